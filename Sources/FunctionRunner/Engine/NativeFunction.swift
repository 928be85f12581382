import CJavaScriptCore
import Protocol

/// JavaScript functions backed by Swift closures. The closure gets the arguments and returns a value,
/// or throws a message that becomes a JavaScript `Error`.
enum NativeFunction {
    typealias Body = (JSContextRef, [JSValueRef]) throws -> JSValueRef

    private final class Box {
        let body: Body
        init(_ body: @escaping Body) { self.body = body }
    }

    // Created once and never changed, so sharing it between threads is safe.
    nonisolated(unsafe) private static let functionClass: JSClassRef = {
        var definition = kJSClassDefinitionEmpty
        definition.callAsFunction = { context, function, _, count, arguments, exception in
            guard let context, let function, let raw = JSObjectGetPrivate(function) else { return nil }
            let box = Unmanaged<Box>.fromOpaque(raw).takeUnretainedValue()
            let args = (0..<count).compactMap { arguments?[$0] }
            do {
                return try box.body(context, args)
            } catch {
                exception?.pointee = makeError(context, error)
                return JSValueMakeUndefined(context)
            }
        }
        definition.finalize = { object in
            guard let raw = JSObjectGetPrivate(object) else { return }
            Unmanaged<Box>.fromOpaque(raw).release()
        }
        return JSClassCreate(&definition)
    }()

    static func make(_ context: JSContextRef, _ body: @escaping Body) -> JSObjectRef {
        JSObjectMake(context, functionClass, Unmanaged.passRetained(Box(body)).toOpaque())
    }

    static func makeError(_ context: JSContextRef, _ message: String) -> JSValueRef {
        let text = JS.makeString(context, message)
        return JSObjectMakeError(context, 1, [text], nil)
    }

    /// A JavaScript `Error` for a Swift one. A `HostError` with ConvexError data carries it along
    /// (as JSON in `convexErrorData`), and the runtime throws a `ConvexError` with that data.
    static func makeError(_ context: JSContextRef, _ error: Error) -> JSValueRef {
        let rejection = makeError(context, "\(error)")
        if let data = (error as? HostError)?.convexErrorData, let object = JS.object(context, rejection) {
            JS.setProperty(context, object, "convexErrorData", JS.makeString(context, ConvexJSONWriter.encodeString(data)))
        }
        return rejection
    }
}
