import AsyncHTTPClient
import Foundation
import JWTKit
import NIOCore
import Protocol

/// Turns a user's JWT into the identity functions see through `ctx.auth.getUserIdentity()`: picks the
/// provider by the token's issuer and audience, checks the signature against the provider's JWKS
/// (fetched and kept for a while; fetched again when a token names a key it has not seen, at most
/// every `minRefetch`) and the token's expiry, then maps the claims the way Convex does.
///
/// Only RS256 and ES256 are accepted (a customJwt provider names one of them). Every key is pinned to
/// its algorithm before jwt-kit sees it: a key without `alg` would otherwise take the algorithm from
/// whatever token header came first.
actor UserAuthenticator {
    private struct CachedKeys {
        let keys: JWTKeyCollection
        /// Each key's ID and the algorithm it is pinned to.
        let algorithms: [String: String]
        let fetched: ContinuousClock.Instant
    }

    static let supportedAlgorithms: Set<String> = ["RS256", "ES256"]

    private var keysByURL: [String: CachedKeys] = [:]
    private var discovered: [String: (jwksURL: String, fetched: ContinuousClock.Instant)] = [:]
    private let keepKeys: Duration
    private let minRefetch: Duration
    private let httpClient: HTTPClient

    init(keepKeys: Duration = .seconds(600), minRefetch: Duration = .seconds(30), httpClient: HTTPClient = .shared) {
        self.keepKeys = keepKeys
        self.minRefetch = minRefetch
        self.httpClient = httpClient
    }

    /// The identity, and when the token expires.
    func identity(token: String, providers: [AuthProvider]) async throws -> (identity: Value, expires: Date) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = Self.jsonPart(parts[0]), let claims = Self.jsonPart(parts[1]) else {
            throw AuthError("Could not parse JWT payload. Check that the token is a valid JWT format.")
        }
        guard case .string(let issuer)? = claims["iss"], case .string(let subject)? = claims["sub"] else {
            throw AuthError("The JWT is missing its `iss` or `sub` claim.")
        }
        let audiences: [String]
        switch claims["aud"] {
        case .string(let one)?: audiences = [one]
        case .array(let many)?: audiences = many.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
        default: audiences = []
        }
        guard case .string(let algorithm)? = header["alg"], Self.supportedAlgorithms.contains(algorithm) else {
            throw AuthError("The JWT's algorithm must be one of \(Self.supportedAlgorithms.sorted()).")
        }
        let expires: Date
        switch claims["exp"] {
        case .float64(let seconds)?: expires = Date(timeIntervalSince1970: seconds)
        case .int64(let seconds)?: expires = Date(timeIntervalSince1970: Double(seconds))
        default: throw AuthError("The JWT has no numeric `exp` claim; tokens must expire.")
        }
        guard let provider = providers.first(where: { provider in
            Self.sameIssuer(provider.issuer, issuer)
                && (provider.applicationID.map(audiences.contains) ?? true)
                && { if case .customJwt(_, _, let wanted, _) = provider { return wanted == algorithm } else { return true } }()
        }) else {
            let configured = providers.map { "issuer \($0.issuer) with application ID \($0.applicationID ?? "(any)")" }.joined(separator: ", ")
            throw AuthError("No auth provider found matching the given token (issuer \(issuer), audience \(audiences)). "
                + "Check that your JWT's issuer and audience match one of your configured providers: [\(configured)]")
        }
        let kid: String? = if case .string(let k)? = header["kid"] { k } else { nil }
        let allowed: Set<String>
        if case .customJwt(_, _, let wanted, _) = provider { allowed = [wanted] } else { allowed = Self.supportedAlgorithms }
        let (keys, keyAlgorithms) = try await keys(for: provider, kid: kid, algorithms: allowed)
        let usable = kid.flatMap { keyAlgorithms[$0] }.map { [$0] } ?? Set(keyAlgorithms.values)
        guard usable.contains(algorithm) else {
            throw AuthError("The JWT's algorithm \(algorithm) is not its key's (\(usable.sorted().joined(separator: ", "))).")
        }
        do {
            _ = try await keys.verify(token, as: ExpiryClaims.self, iteratingKeys: kid == nil)
        } catch {
            throw AuthError("Could not verify token claim. Check that the token signature is valid and the token hasn't expired. (\(error))")
        }
        return (Self.identity(claims: claims, issuer: issuer, subject: subject), expires)
    }

    // MARK: Keys

    private func keys(for provider: AuthProvider, kid: String?, algorithms: Set<String>) async throws -> (JWTKeyCollection, [String: String]) {
        switch provider {
        case .oidc(let domain, _):
            return try await keySet(at: try await jwksURL(of: domain), kid: kid, algorithms: algorithms)
        case .customJwt(_, let jwks, _, _):
            return try await keySet(at: jwks, kid: kid, algorithms: algorithms)
        }
    }

    private func jwksURL(of domain: String) async throws -> String {
        if let known = discovered[domain], ContinuousClock.now - known.fetched < keepKeys { return known.jwksURL }
        let discovery = try await fetchJSON(Self.trimmingSlash(domain) + "/.well-known/openid-configuration")
        guard case .string(let jwksURL)? = discovery["jwks_uri"] else {
            throw AuthError("The OpenID configuration of \(domain) has no jwks_uri")
        }
        discovered[domain] = (jwksURL, .now)
        return jwksURL
    }

    private func keySet(at url: String, kid: String?, algorithms: Set<String>) async throws -> (JWTKeyCollection, [String: String]) {
        if let cached = keysByURL[url] {
            let age = ContinuousClock.now - cached.fetched
            let knowsKey = kid.map { cached.algorithms[$0] != nil } ?? true
            // A token naming an unknown key refetches (keys rotate), but not more often than minRefetch.
            if age < keepKeys && (knowsKey || age < minRefetch) { return (cached.keys, cached.algorithms) }
        }
        let (json, pinned) = try Self.pinnedKeySet(try await fetchText(url), algorithms: algorithms)
        let keys = JWTKeyCollection()
        do {
            try await keys.add(jwksJSON: json)
        } catch {
            throw AuthError("The JWKS at \(url.prefix(80)) could not be read: \(error)")
        }
        keysByURL[url] = CachedKeys(keys: keys, algorithms: pinned, fetched: .now)
        return (keys, pinned)
    }

    /// The signing keys of a JWKS that use one of `algorithms`, each with its `alg` set (from its key
    /// type when absent) and a `kid` (made up when absent), and the algorithm of each kid; other keys
    /// are left out.
    static func pinnedKeySet(_ json: String, algorithms: Set<String>) throws -> (json: String, algorithms: [String: String]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let entries = object["keys"] as? [[String: Any]]
        else { throw AuthError("the JWKS is not a JSON object with a `keys` array") }
        var kept: [[String: Any]] = [], pinned: [String: String] = [:]
        for (index, var key) in entries.enumerated() {
            if let use = key["use"] as? String, use != "sig" { continue }
            let implied: String? = switch (key["kty"] as? String, key["crv"] as? String) {
            case ("RSA", _): "RS256"
            case ("EC", "P-256"): "ES256"
            default: nil
            }
            guard let alg = (key["alg"] as? String) ?? implied, alg == implied, algorithms.contains(alg) else { continue }
            key["alg"] = alg
            let kid = (key["kid"] as? String) ?? "converge-key-\(index)"
            key["kid"] = kid
            pinned[kid] = alg
            kept.append(key)
        }
        guard !kept.isEmpty else { throw AuthError("the JWKS has no signing key for \(algorithms.sorted())") }
        let data = try JSONSerialization.data(withJSONObject: ["keys": kept])
        return (String(decoding: data, as: UTF8.self), pinned)
    }

    private func fetchJSON(_ url: String) async throws -> Value {
        do {
            return try ConvexJSONReader.decode(try await fetchText(url))
        } catch let error as AuthError {
            throw error
        } catch {
            throw AuthError("\(url) did not return JSON: \(error)")
        }
    }

    /// The body at an http(s) URL, or the content of a `data:` URI (customJwt allows those for JWKS).
    private func fetchText(_ url: String) async throws -> String {
        if url.hasPrefix("data:") {
            guard let comma = url.firstIndex(of: ",") else { throw AuthError("malformed data: URI for the JWKS") }
            let meta = url[url.index(url.startIndex, offsetBy: 5)..<comma], payload = String(url[url.index(after: comma)...])
            if meta.hasSuffix(";base64") {
                guard let data = Data(base64Encoded: payload) else { throw AuthError("the JWKS data: URI is not valid base64") }
                return String(decoding: data, as: UTF8.self)
            }
            return payload.removingPercentEncoding ?? payload
        }
        do {
            let response = try await httpClient.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
            guard response.status == .ok else { throw AuthError("\(url) answered \(response.status.code)") }
            let body = try await response.body.collect(upTo: 1 << 20)
            return String(buffer: body)
        } catch let error as AuthError {
            throw error
        } catch {
            throw AuthError("Could not fetch \(url): \(error)")
        }
    }

    // MARK: Claims

    private static func jsonPart(_ part: Substring) -> Value? {
        var base64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let value = try? ConvexJSONReader.decode(Array(data)), case .object = value else { return nil }
        return value
    }

    private static func trimmingSlash(_ url: String) -> String {
        url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    private static func sameIssuer(_ configured: String, _ claimed: String) -> Bool {
        trimmingSlash(configured) == trimmingSlash(claimed)
    }

    /// OpenID standard claims get Convex's camelCase names; other claims keep theirs.
    static let standardClaims: [String: String] = [
        "name": "name", "given_name": "givenName", "family_name": "familyName", "nickname": "nickname",
        "preferred_username": "preferredUsername", "profile": "profileUrl", "picture": "pictureUrl", "email": "email",
        "email_verified": "emailVerified", "gender": "gender", "birthdate": "birthday", "zoneinfo": "timezone",
        "locale": "language", "phone_number": "phoneNumber", "phone_number_verified": "phoneNumberVerified",
        "address": "address", "updated_at": "updatedAt",
    ]
    static let registeredClaims: Set<String> = ["iss", "sub", "aud", "exp", "iat", "nbf", "jti"]

    static func identity(claims: Value, issuer: String, subject: String) -> Value {
        var fields: [String: Value] = [:]
        if case .object(let all) = claims {
            for (name, value) in all where !registeredClaims.contains(name) {
                fields[standardClaims[name] ?? name] = value
            }
        }
        // Set last, so no claim can stand in for them.
        fields["tokenIdentifier"] = .string("\(issuer)|\(subject)")
        fields["subject"] = .string(subject)
        fields["issuer"] = .string(issuer)
        return .object(fields)
    }
}

/// The claims every accepted token must satisfy whatever else it carries: not expired, not early.
private struct ExpiryClaims: JWTPayload {
    var exp: ExpirationClaim
    var nbf: NotBeforeClaim?

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        try nbf?.verifyNotBefore()
    }
}
