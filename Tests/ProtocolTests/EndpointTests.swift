import XCTest

@testable import Protocol

/// `tcp://host:port` and `unix:///path` endpoints.
final class EndpointTests: XCTestCase {
    func testTCPEndpointsParseAndPrintBack() {
        for (text, host, port) in [("tcp://127.0.0.1:3210", "127.0.0.1", 3210), ("tcp://localhost:0", "localhost", 0),
                                   ("tcp://[::1]:65535", "[::1]", 65535), ("tcp://storage-1.internal:80", "storage-1.internal", 80)] {
            XCTAssertEqual(Endpoint(text), .tcp(host: host, port: port), text)
            XCTAssertEqual(Endpoint(text)?.description, text)
        }
    }

    func testUnixEndpointsParseAndPrintBack() {
        XCTAssertEqual(Endpoint("unix:///tmp/storage.sock"), .unix(path: "/tmp/storage.sock"))
        XCTAssertEqual(Endpoint("unix:///tmp/storage.sock")?.description, "unix:///tmp/storage.sock")
        XCTAssertEqual(Endpoint("unix://relative.sock"), .unix(path: "relative.sock"))
    }

    func testMalformedEndpointsAreRejected() {
        for text in ["", "tcp://", "tcp://host", "tcp://:80", "tcp://host:", "tcp://host:port", "tcp://host:65536",
                     "tcp://host:-1", "unix://", "http://host:80", "host:80", "TCP://host:80", "/tmp/x.sock"] {
            XCTAssertNil(Endpoint(text), text)
        }
    }
}
