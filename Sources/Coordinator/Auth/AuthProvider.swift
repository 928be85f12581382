import Protocol

/// One provider of `convex/auth.config.ts`, whose JWTs give callers a user identity.
enum AuthProvider: Sendable, Equatable {
    /// An OpenID Connect issuer: tokens with `iss == domain` and `aud` containing `applicationID`,
    /// signed by a key of the JWKS its discovery document names.
    case oidc(domain: String, applicationID: String)
    /// `type: "customJwt"`: tokens with `iss == issuer`, signed with `algorithm` by a key of `jwks`
    /// (an https URL or a `data:` URI), and `aud` containing `applicationID` if one is given.
    case customJwt(issuer: String, jwks: String, algorithm: String, applicationID: String?)

    /// The providers of a bundle's analysis (`authProviders`), skipping none silently: a provider
    /// that cannot be understood is an error, so a typo does not quietly lock everyone out.
    static func providers(from analysis: Value) throws -> [AuthProvider] {
        guard case .array(let entries)? = analysis["authProviders"] else { return [] }
        return try entries.map { entry in
            func field(_ name: String) -> String? {
                if case .string(let text)? = entry[name] { return text } else { return nil }
            }
            if field("type") == "customJwt" {
                guard let issuer = field("issuer"), let jwks = field("jwks"), let algorithm = field("algorithm") else {
                    throw AuthError("a customJwt auth provider needs issuer, jwks and algorithm")
                }
                return .customJwt(issuer: issuer, jwks: jwks, algorithm: algorithm, applicationID: field("applicationID"))
            }
            guard let domain = field("domain"), let applicationID = field("applicationID") else {
                throw AuthError("an auth provider needs a domain and an applicationID (or type: \"customJwt\")")
            }
            return .oidc(domain: domain, applicationID: applicationID)
        }
    }

    var issuer: String {
        switch self {
        case .oidc(let domain, _): return domain
        case .customJwt(let issuer, _, _, _): return issuer
        }
    }

    var applicationID: String? {
        switch self {
        case .oidc(_, let applicationID): return applicationID
        case .customJwt(_, _, _, let applicationID): return applicationID
        }
    }
}

/// A user token that does not authenticate anyone; the message is what the client is told.
struct AuthError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
