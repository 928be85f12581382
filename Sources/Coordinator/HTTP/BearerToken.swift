import Hummingbird
import Protocol

extension Request {
    /// The token of an `Authorization: Bearer <token>` header; nil without one.
    var bearerToken: String? {
        guard let header = headers[.authorization], header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        return String(header.dropFirst(7))
    }
}

extension Coordinator {
    /// The identity a user token proves; a token that does not verify is a 401.
    func identity(provenBy token: String) async throws -> Value {
        do {
            return try await verifyUserToken(token).identity
        } catch {
            throw APIError(.unauthorized, "Unauthenticated", "\(error)")
        }
    }
}
