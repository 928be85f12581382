import Protocol
import XCTest

final class RandomBytesTests: XCTestCase {
    /// Counts draws, so the test sees how many times the generator (the kernel, for the system one) is asked.
    private struct CountingGenerator: RandomNumberGenerator {
        var draws = 0
        mutating func next() -> UInt64 {
            draws += 1
            return 0x0807_0605_0403_0201 &* UInt64(draws)
        }
    }

    func testEightBytesComeFromEachDraw() {
        var generator = CountingGenerator()
        let bytes = generator.bytes(14)
        XCTAssertEqual(bytes.count, 14)
        XCTAssertEqual(generator.draws, 2)
        XCTAssertEqual(Array(bytes[0..<8]), [1, 2, 3, 4, 5, 6, 7, 8], "the first draw, low byte first")
        XCTAssertEqual(Array(bytes[8..<14]), [2, 4, 6, 8, 10, 12], "the second draw, cut to what is left")
    }

    func testSystemBytesHaveTheLengthAskedAndDiffer() {
        XCTAssertEqual(RandomBytes.system(0), [])
        XCTAssertEqual(RandomBytes.system(32).count, 32)
        XCTAssertNotEqual(RandomBytes.system(16), RandomBytes.system(16))
    }
}
