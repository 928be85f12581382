import CJavaScriptCore
import Protocol

/// The JavaScript side of one function call in one context: the runtime's promise, the host calls it
/// is waiting on, and how it ended.
final class Invocation {
    struct PendingCall {
        let operation: String
        let arguments: Value
        let resolve: JSObjectRef
        let reject: JSObjectRef
    }

    let context: JSGlobalContextRef
    private let host: FunctionHost
    private var pending: [PendingCall] = []
    /// Calls made and not yet settled, whose resolve and reject functions are protected from GC.
    private var outstanding: [PendingCall] = []
    /// How the call ended, once it has. The runtime's result arrives as JSON while JavaScript is on
    /// the stack (under the CPU budget and its watchdog); it is read only when first asked for, after
    /// JavaScript has returned, so a large result is not charged to the function's CPU time.
    private var ending: Ending?

    private enum Ending {
        case json(String)
        case outcome(FunctionOutcome)
    }

    var isSettled: Bool { ending != nil }

    var outcome: FunctionOutcome? {
        switch ending {
        case nil: return nil
        case .outcome(let outcome): return outcome
        case .json(let json):
            let outcome: FunctionOutcome
            do {
                outcome = try Self.outcome(fromJSON: json)
            } catch {
                outcome = FunctionOutcome(result: .failure(FunctionError(message: "the runtime returned an unreadable result: \(error)")), logLines: [])
            }
            ending = .outcome(outcome)
            return outcome
        }
    }

    init(context: JSGlobalContextRef, host: FunctionHost) {
        self.context = context
        self.host = host
    }

    /// Installs this call's host functions and starts `__converge.invoke`, whose promise settles the outcome.
    func start(_ request: FunctionRequest) throws {
        let global = JSContextGetGlobalObject(context)!
        JS.setProperty(context, global, "__convergeHost", makeHostObject())
        guard let converge = JS.object(context, JS.property(context, global, "__converge")),
              let invoke = JS.object(context, JS.property(context, converge, "invoke"))
        else { throw HostError("the bundle did not install the Converge runtime") }
        let promise = try JS.call(context, invoke, this: converge, [JS.makeString(context, Self.requestJSON(request))])
        guard let promiseObject = JS.object(context, promise), let then = JS.object(context, JS.property(context, promiseObject, "then")) else {
            throw HostError("__converge.invoke did not return a promise")
        }
        // Weak: a pooled context outlives this invocation, and with it these functions.
        let onSettled = NativeFunction.make(context) { [weak self] context, args in
            self?.finish(json: args.first.flatMap { JS.swiftString(context, $0) } ?? "")
            return JSValueMakeUndefined(context)
        }
        let onRejected = NativeFunction.make(context) { [weak self] context, args in
            let error = args.first.map { JavaScriptError(context: context, exception: $0) }
            self?.fail(FunctionError(message: error?.message ?? "Uncaught error", stack: error?.stack ?? ""))
            return JSValueMakeUndefined(context)
        }
        _ = try JS.call(context, then, this: promiseObject, [onSettled, onRejected])
    }

    func takePendingCalls() -> [PendingCall] {
        defer { pending = [] }
        return pending
    }

    /// Resolves or rejects the promise of a host call; the function runs on until it awaits again.
    func settle(_ call: PendingCall, with result: Result<Value, Error>) throws {
        defer { release(call) }
        switch result {
        case .success(let value):
            _ = try JS.call(context, call.resolve, [JS.makeString(context, ConvexJSONWriter.encodeString(value))])
        case .failure(let error):
            _ = try JS.call(context, call.reject, [NativeFunction.makeError(context, error)])
        }
    }

    private func release(_ call: PendingCall) {
        JSValueUnprotect(context, call.resolve)
        JSValueUnprotect(context, call.reject)
        outstanding.removeAll { $0.resolve == call.resolve }
    }

    /// Lets go of calls the function will never see settled (it timed out or already finished).
    func releaseOutstanding() {
        for call in outstanding { release(call) }
        pending = []
    }

    /// Ends the call as timed out, whatever it produced: it ran past its CPU budget.
    func timeOut(_ error: FunctionError) {
        ending = .outcome(FunctionOutcome(result: .failure(error), logLines: outcome?.logLines ?? []))
    }

    func fail(_ error: FunctionError) {
        if ending == nil { ending = .outcome(FunctionOutcome(result: .failure(error), logLines: [])) }
    }

    private func finish(json: String) {
        if ending == nil { ending = .json(json) }
    }

    private func makeHostObject() -> JSObjectRef {
        let object = JSObjectMake(context, nil, nil)!
        JS.setProperty(context, object, "call", NativeFunction.make(context) { [weak self] context, args in
            guard let self else { throw HostError("this function call has already ended") }
            guard args.count == 2, let operation = JS.swiftString(context, args[0]), let json = JS.swiftString(context, args[1]) else {
                throw HostError("host call needs an operation and its arguments")
            }
            var resolve: JSObjectRef?, reject: JSObjectRef?
            guard let promise = JSObjectMakeDeferredPromise(context, &resolve, &reject, nil), let resolve, let reject else {
                throw HostError("cannot create a promise")
            }
            // Swift holds these across JavaScript entries, where the garbage collector may run.
            JSValueProtect(context, resolve)
            JSValueProtect(context, reject)
            let call = PendingCall(operation: operation, arguments: try ConvexJSONReader.decode(json), resolve: resolve, reject: reject)
            self.pending.append(call)
            self.outstanding.append(call)
            return promise
        })
        JS.setProperty(context, object, "callSync", NativeFunction.make(context) { [weak self] context, args in
            guard let self else { throw HostError("this function call has already ended") }
            guard args.count == 2, let operation = JS.swiftString(context, args[0]), let json = JS.swiftString(context, args[1]) else {
                throw HostError("host call needs an operation and its arguments")
            }
            let result = try self.host.callSync(operation, try ConvexJSONReader.decode(json))
            return JS.makeString(context, ConvexJSONWriter.encodeString(result))
        })
        return object
    }

    private static func requestJSON(_ request: FunctionRequest) -> String {
        var fields: [String: Value] = [
            "module": .string(request.module),
            "function": .string(request.function),
            "kind": .string(request.kind.rawValue),
            "args": request.args,
            "allowInternal": .boolean(request.allowInternal),
            "seed": .string(String(request.seed)),
            "now": .float64(request.nowMillis),
        ]
        if let identity = request.identity { fields["identity"] = identity }
        if let http = request.http { fields["http"] = http }
        if let system = request.system { fields["system"] = .string(system) }
        // The runtime parses this with JSON.parse and decodes `args` itself, so it is convex_encoded_json.
        return ConvexJSONWriter.encodeString(.object(fields))
    }

    private static func outcome(fromJSON json: String) throws -> FunctionOutcome {
        let value = try ConvexJSONReader.decode(json)
        var lines: [String] = []
        if case .array(let raw)? = value["logLines"] {
            lines = raw.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
        }
        // A bundle whose runtime predates the flag may have read auth: assume it did.
        let readAuth = value["readAuth"] != .boolean(false)
        if let result = value["value"] { return FunctionOutcome(result: .success(result), logLines: lines, readAuth: readAuth) }
        guard case .object(let error)? = value["error"], case .string(let message)? = error["message"] else {
            throw HostError("neither value nor error")
        }
        var stack = ""
        if case .string(let s)? = error["stack"] { stack = s }
        return FunctionOutcome(result: .failure(FunctionError(message: message, data: error["data"], stack: stack)), logLines: lines,
                               readAuth: readAuth)
    }
}
