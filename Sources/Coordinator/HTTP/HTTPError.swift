import Hummingbird
import Protocol

/// A request-level failure (spec §2.2): a non-2xx status with `{"code", "message"}`.
struct HTTPError: Error {
    let status: HTTPResponse.Status
    let code: String
    let message: String

    static func badRequest(_ code: String, _ message: String) -> HTTPError { HTTPError(status: .badRequest, code: code, message: message) }

    var response: Response {
        var object = JSONObject()
        object.string("code", code)
        object.string("message", message)
        return .json(object.text, status: status)
    }
}

extension Response {
    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
