import Protocol
import XCTest

final class AdminKeyTests: XCTestCase {
    let secret = Array("Carnitas, literally meaning \"lit".utf8)

    func testIssuedKeyVerifiesForItsInstance() throws {
        let key = AdminKey(instanceName: "carnitas", issuedSeconds: 1_700_000_000)
        let text = try key.encoded(instanceSecret: secret)
        XCTAssertTrue(text.hasPrefix("carnitas|01"))
        XCTAssertEqual(text.count, "carnitas|".count + 2 * (1 + 12 + 16) + 2 * 8, "version, nonce, tag and a short protobuf")
        XCTAssertEqual(try AdminKey(verifying: text, instanceName: "carnitas", instanceSecret: secret), key)
        XCTAssertEqual(try AdminKey(verifying: "prod:" + text, instanceName: "carnitas", instanceSecret: secret), key, "a deployment-type prefix is ignored")
    }

    func testSystemAndReadOnlyKeysKeepTheirIdentity() throws {
        let key = AdminKey(instanceName: "carnitas", issuedSeconds: 5, identity: .system, isReadOnly: true)
        let opened = try AdminKey(verifying: try key.encoded(instanceSecret: secret), instanceName: "carnitas", instanceSecret: secret)
        XCTAssertEqual(opened.identity, .system)
        XCTAssertTrue(opened.isReadOnly)
    }

    func testEveryKeyIsDifferentButAllVerify() throws {
        let key = AdminKey(instanceName: "carnitas", issuedSeconds: 9)
        let a = try key.encoded(instanceSecret: secret), b = try key.encoded(instanceSecret: secret)
        XCTAssertNotEqual(a, b, "a fresh nonce each time")
        XCTAssertNoThrow(try AdminKey(verifying: b, instanceName: "carnitas", instanceSecret: secret))
    }

    func testForeignTamperedAndMalformedKeysAreRejected() throws {
        let text = try AdminKey(instanceName: "carnitas", issuedSeconds: 9).encoded(instanceSecret: secret)
        XCTAssertThrowsError(try AdminKey(verifying: text, instanceName: "carnitas", instanceSecret: Array(repeating: 1, count: 32))) {
            XCTAssertEqual($0 as? AdminKeyError, .notSealedWithThisSecret)
        }
        XCTAssertThrowsError(try AdminKey(verifying: text, instanceName: "other", instanceSecret: secret)) {
            XCTAssertEqual($0 as? AdminKeyError, .wrongInstance)
        }
        var tampered = Array(text)
        tampered[tampered.count - 1] = tampered.last == "0" ? "1" : "0"
        XCTAssertThrowsError(try AdminKey(verifying: String(tampered), instanceName: "carnitas", instanceSecret: secret))
        for bad in ["x", "carnitas|zz", "carnitas|", "carnitas|02" + String(repeating: "00", count: 40)] {
            XCTAssertThrowsError(try AdminKey(verifying: bad, instanceName: "carnitas", instanceSecret: secret), bad)
        }
    }
}
