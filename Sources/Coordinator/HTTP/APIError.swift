import Hummingbird
import Protocol

/// A request that fails as a whole (docs/http-api.md): a non-2xx status with `{"code", "message"}`.
/// Thrown by a route, it becomes its response (Hummingbird's `HTTPResponseError`). A function that
/// throws is no such failure: that is a 200 with `status: "error"`.
struct APIError: HTTPResponseError {
    let status: HTTPResponse.Status
    let code: String
    let message: String

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    static func badRequest(_ code: String, _ message: String) -> APIError { APIError(.badRequest, code, message) }

    /// What a failure the client cannot act on reads: no internals.
    static let internalError = APIError(.internalServerError, "InternalServerError", "Your request couldn't be completed. Try again later.")

    /// How the API reports a call the coordinator could not make.
    init(_ error: CoordinatorError) {
        switch error {
        case .overloaded, .noRunners, .runnerLost: self.init(.serviceUnavailable, "Overloaded", error.description)
        case .storageUnavailable: self.init(.serviceUnavailable, "StorageUnavailable", error.description)
        case .tableNotFound: self.init(.notFound, "TableNotFound", error.description)
        case .pushRejected(let why): self.init(.badRequest, "PushRejected", why)
        case .noDeployment: self.init(.notFound, "NoDeployment", error.description)
        case .runnerFailed, .unexpectedAnswer, .invalidAnalysis, .unknownBundle, .unknownEnvironment, .invalidFunctionPath, .notARunnerRequest:
            self = .internalError
        }
    }

    /// How the API reports what a request's handling threw: an `APIError` as it is, the
    /// coordinator's errors by their kind, anything else as an internal error.
    static func reporting(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError: error
        case let error as CoordinatorError: APIError(error)
        default: .internalError
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        response
    }

    var response: Response {
        var object = JSONObject()
        object.string("code", code)
        object.string("message", message)
        return .json(object.text, status: status)
    }
}

/// Turns what a route throws into an `APIError` (`APIError.reporting`). Hummingbird's own errors
/// (an unknown route) pass as they are.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPResponseError {
            throw error
        } catch {
            throw APIError.reporting(error)
        }
    }
}

extension Response {
    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
