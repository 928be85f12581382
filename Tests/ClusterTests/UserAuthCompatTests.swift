import ConvergeTestSupport
import Crypto
import Foundation
import XCTest

/// User JWTs through the official Python client: an OIDC provider whose discovery document and JWKS
/// a local web server serves, and a customJwt provider with its JWKS inline as a data: URI. Tokens are
/// ES256, signed here.
final class UserAuthCompatTests: XCTestCase {
    func testUserTokensFromOIDCAndCustomJWTProviders() throws {
        let key = P256.Signing.PrivateKey(), stranger = P256.Signing.PrivateKey()
        // The issuer's key set leaves out `alg`, as some do: a token must not be able to choose it.
        let jwks = Self.jwks(key.publicKey, kid: "k1", alg: nil)
        let site = try Self.temporaryDirectory("converge-oidc")
        let app = try Self.temporaryDirectory("converge-auth-app")
        defer {
            try? FileManager.default.removeItem(at: site)
            try? FileManager.default.removeItem(at: app)
        }
        // The issuer's web server on a port it picks; its first line says which.
        let webServer = Process()
        webServer.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        webServer.arguments = ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", site.path]
        let announcement = Pipe()
        webServer.standardOutput = announcement
        webServer.standardError = FileHandle.nullDevice
        try webServer.run()
        defer {
            kill(webServer.processIdentifier, SIGKILL) // http.server ignores the SIGTERM it inherits blocked
            webServer.waitUntilExit()
        }
        let line = String(decoding: announcement.fileHandleForReading.availableData, as: UTF8.self)
        guard let port = line.firstMatch(of: /port (\d+)/)?.1 else { throw TestFailure("http.server said: \(line)") }
        let issuer = "http://127.0.0.1:\(port)"
        try FileManager.default.createDirectory(at: site.appendingPathComponent(".well-known"), withIntermediateDirectories: true)
        try #"{"issuer":"\#(issuer)","jwks_uri":"\#(issuer)/jwks.json"}"#
            .write(to: site.appendingPathComponent(".well-known/openid-configuration"), atomically: true, encoding: .utf8)
        try jwks.write(to: site.appendingPathComponent("jwks.json"), atomically: true, encoding: .utf8)

        let fixture = CompatScript.root.appendingPathComponent("Tests/ClusterTests/Fixtures/auth/convex")
        let convex = app.appendingPathComponent("convex")
        try FileManager.default.copyItem(at: fixture, to: convex)
        let inline = "data:text/plain;charset=utf-8;base64," + Data(Self.jwks(key.publicKey, kid: "k1", alg: "ES256").utf8).base64EncodedString()
        try """
            export default {
              providers: [
                { domain: "\(issuer)", applicationID: "converge-tests" },
                { type: "customJwt", issuer: "https://custom.example", jwks: "\(inline)", algorithm: "ES256", applicationID: "custom-app" },
              ],
            };
            """.write(to: convex.appendingPathComponent("auth.config.ts"), atomically: true, encoding: .utf8)

        let now = Int(Date().timeIntervalSince1970)
        let ada: [String: Any] = ["iss": issuer, "aud": "converge-tests", "sub": "user-1", "exp": now + 3600, "iat": now,
                                  "name": "Ada", "email": "ada@example.com", "email_verified": true,
                                  "picture": "https://example.com/ada.png", "team": "blue"]
        let tokens = try [
            Self.token(ada, key: key, kid: "k1"),
            Self.token(["iss": "https://custom.example", "aud": "custom-app", "sub": "user-2", "exp": now + 3600], key: key, kid: "k1"),
            Self.token(ada.merging(["exp": now - 60]) { $1 }, key: key, kid: "k1"),
            Self.token(ada.merging(["aud": "someone-else"]) { $1 }, key: key, kid: "k1"),
            Self.token(ada, key: stranger, kid: "k1"),
            Self.token(ada.merging(["tokenIdentifier": "evil|victim", "subject": "victim"]) { $1 }, key: key, kid: "k1"),
            Self.token(ada.filter { $0.key != "exp" }, key: key, kid: "k1"),
            Self.token(ada, key: key, kid: "k1", headerAlg: "RS256"),
            Self.token(ada.merging(["exp": now + 8]) { $1 }, key: key, kid: "k1"),
        ]
        let outcome = try CompatScript.run("user_auth.py", app: convex.path, arguments: [issuer] + tokens)
        XCTAssertEqual(outcome.status, 0, outcome.report + outcome.serveErrors)
        XCTAssertTrue(outcome.report.contains("all checks passed"), outcome.report)
    }

    private static func base64URL(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func jwks(_ key: P256.Signing.PublicKey, kid: String, alg: String?) -> String {
        let raw = key.rawRepresentation // x || y
        let algField = alg.map { #""alg":"\#($0)","# } ?? ""
        return #"{"keys":[{"kty":"EC","crv":"P-256",\#(algField)"use":"sig","kid":"\#(kid)","x":"\#(base64URL(raw.prefix(32)))","y":"\#(base64URL(raw.suffix(32)))"}]}"#
    }

    /// An ES256 token; `headerAlg` lies about the algorithm in the header (the signature stays ES256).
    private static func token(_ claims: [String: Any], key: P256.Signing.PrivateKey, kid: String, headerAlg: String = "ES256") throws -> String {
        let header = base64URL(try JSONSerialization.data(withJSONObject: ["alg": headerAlg, "typ": "JWT", "kid": kid]))
        let payload = base64URL(try JSONSerialization.data(withJSONObject: claims))
        let signature = try key.signature(for: Data("\(header).\(payload)".utf8)).rawRepresentation
        return "\(header).\(payload).\(base64URL(signature))"
    }

    private static func temporaryDirectory(_ prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
