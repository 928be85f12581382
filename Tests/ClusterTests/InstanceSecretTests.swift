import ConvergeTestSupport
import XCTest

/// The instance secret every process of a cluster is given: 32 bytes as 64 hex characters, and
/// nothing shorter or malformed is taken for one.
final class InstanceSecretTests: XCTestCase {
    func testASecretOtherThanThirtyTwoBytesOfHexIsRefusedWithWhatItMustBe() throws {
        for bad in ["ab", String(repeating: "ab", count: 31), String(repeating: "ab", count: 33), String(repeating: "zz", count: 32)] {
            let outcome = try ConvergeCLI.run(["keys", "admin-key", "--instance-name", "carnitas", "--instance-secret", bad])
            XCTAssertNotEqual(outcome.status, 0, "\(bad.count) characters were taken for a secret")
            XCTAssertTrue(outcome.errors.contains("64 hex characters"), outcome.errors)
        }
        let good = try ConvergeCLI.run(["keys", "admin-key", "--instance-name", "carnitas", "--instance-secret", String(repeating: "ab", count: 32)])
        XCTAssertEqual(good.status, 0, good.errors)
        XCTAssertTrue(good.output.hasPrefix("carnitas|"), good.output)
    }
}
