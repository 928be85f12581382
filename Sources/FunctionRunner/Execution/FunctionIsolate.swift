import CJavaScriptCore
import Foundation
import Protocol
import Synchronization

/// One JavaScriptCore context group on a thread of its own, with one deployment's bundle compiled
/// once for it and evaluated into pooled contexts. Every JavaScript call happens on that thread; while
/// one invocation waits for its host, another may run in another context.
public actor FunctionIsolate {
    private let executor: JSThreadExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private let bundle: String
    private let environment: [String: String]
    private let limits: ExecutionLimits
    private var group: JSContextGroupRef?
    private var script: JSScriptRef?
    private var pool: [JSGlobalContextRef] = []
    private let watchdog = Watchdog()
    /// Contexts kept for reuse; more are created when busy and released past this.
    private let poolSize: Int
    /// How many calls an isolate interleaves without creating contexts: while one waits for the
    /// storage node, another runs.
    public static let defaultPoolSize = 4
    /// Calls `Deployments` has handed this isolate that have not finished.
    nonisolated let callsInFlight = Atomic<Int>(0)

    /// `environment` is what `process.env` holds, from before the bundle's modules load.
    public init(bundle: String, environment: [String: String] = [:], limits: ExecutionLimits = ExecutionLimits(),
                name: String = "converge-js", poolSize: Int = defaultPoolSize) {
        self.bundle = bundle
        self.environment = environment
        self.limits = limits
        self.poolSize = poolSize
        executor = JSThreadExecutor(name: name)
    }

    /// Runs on the isolate's own thread: JavaScriptCore objects are released there, and then the thread ends.
    isolated deinit {
        for context in pool { JSGlobalContextRelease(context) }
        if let script { JSScriptRelease(script) }
        if let group { JSContextGroupRelease(group) }
        executor.stop()
    }

    // MARK: Contexts

    /// Compiles the bundle for this isolate's group, once.
    private func compiledScript() throws -> (JSContextGroupRef, JSScriptRef) {
        if let group, let script { return (group, script) }
        let group = JSContextGroupCreate()!
        let source = JS.string(bundle), url = JS.string("bundle.js")
        defer { JSStringRelease(source); JSStringRelease(url) }
        var errorMessage: JSStringRef?
        var errorLine: Int32 = 0
        guard let script = JSScriptCreateFromString(group, url, 1, source, &errorMessage, &errorLine) else {
            let message = errorMessage.map { JS.swiftString($0) } ?? "unknown error"
            errorMessage.map { JSStringRelease($0) }
            JSContextGroupRelease(group)
            throw JavaScriptError(message: "the bundle does not compile: \(message) (line \(errorLine))", stack: "")
        }
        self.group = group
        self.script = script
        return (group, script)
    }

    /// A context with the bundle evaluated into it: from the pool, or new.
    private func takeContext() throws -> JSGlobalContextRef {
        if let context = pool.popLast() { return context }
        let (group, script) = try compiledScript()
        let context = JSGlobalContextCreateInGroup(group, nil)!
        installProcessEnvironment(in: context)
        var exception: JSValueRef?
        JSScriptEvaluate(context, script, nil, &exception)
        if let exception {
            let error = JavaScriptError(context: context, exception: exception)
            JSGlobalContextRelease(context)
            throw JavaScriptError(message: "the bundle failed to load: \(error.message)", stack: error.stack)
        }
        return context
    }

    /// `globalThis.process.env`: a frozen object of the variables; reading one that is not set gives undefined.
    private func installProcessEnvironment(in context: JSGlobalContextRef) {
        let json = JS.string(EnvironmentVariables(environment).json)
        defer { JSStringRelease(json) }
        let env = JSValueMakeFromJSONString(context, json)!
        let freeze = JS.object(context, JS.property(context, JS.object(context, JS.property(context, JSContextGetGlobalObject(context), "Object"))!, "freeze"))!
        _ = try? JS.call(context, freeze, [env])
        let process = JSObjectMake(context, nil, nil)!
        JS.setProperty(context, process, "env", env)
        _ = try? JS.call(context, freeze, [process])
        // Read-only, so no call can leave a changed `process` behind in a pooled context.
        let name = JS.string("process")
        defer { JSStringRelease(name) }
        JSObjectSetProperty(context, JSContextGetGlobalObject(context), name, process,
                            JSPropertyAttributes(kJSPropertyAttributeReadOnly | kJSPropertyAttributeDontDelete), nil)
    }

    private func returnContext(_ context: JSGlobalContextRef, reusable: Bool) {
        if reusable && pool.count < poolSize {
            pool.append(context)
        } else {
            JSGlobalContextRelease(context)
        }
    }

    /// How many contexts are ready for reuse (for tests and metrics).
    public var pooledContexts: Int { pool.count }

    // MARK: Running functions

    /// Runs one function to completion, serving its host calls, within the time limits.
    public func run(_ request: FunctionRequest, host: FunctionHost) async -> FunctionOutcome {
        let context: JSGlobalContextRef
        do {
            context = try takeContext()
        } catch {
            return FunctionOutcome(result: .failure(FunctionError(message: "\(error)")), logLines: [])
        }
        let invocation = Invocation(context: context, host: host)
        let cpuBudget = request.kind == .action ? limits.actionSeconds : limits.queryMutationCPUSeconds
        let wallDeadline = ContinuousClock.now + .seconds(request.kind == .action ? limits.actionSeconds : limits.queryMutationWallSeconds)
        var cpuUsed = 0.0
        var reusable = true

        /// Enters JavaScript under the remaining CPU budget; false if the watchdog stopped it.
        func enter(_ body: () throws -> Void) -> Bool {
            watchdog.arm(group: group!, seconds: max(0.001, cpuBudget - cpuUsed))
            let start = Self.threadCPUSeconds()
            var thrown: Error?
            do { try body() } catch { thrown = error }
            cpuUsed += Self.threadCPUSeconds() - start
            if watchdog.disarm(group: group!) { return false }
            if let thrown { invocation.fail(FunctionError(message: "\(thrown)")) }
            return true
        }

        var finished = enter { try invocation.start(request) }
        if cpuUsed > cpuBudget { finished = false }
        var wallClockExpired = false
        if request.kind == .action {
            await serveConcurrently(invocation, host: host, deadline: wallDeadline, finished: &finished, wallClockExpired: &wallClockExpired, enter: enter)
        } else {
            // A query's or mutation's transaction takes one call at a time, in the order they were made.
            while finished && !invocation.isSettled {
                let calls = invocation.takePendingCalls()
                guard !calls.isEmpty else {
                    invocation.fail(FunctionError(message: "Uncaught Error: the function awaited a promise that can never settle"))
                    break
                }
                for pending in calls {
                    guard ContinuousClock.now < wallDeadline else {
                        wallClockExpired = true
                        break
                    }
                    let result: Result<Value, Error>
                    do { result = .success(try await host.call(pending.operation, pending.arguments)) } catch { result = .failure(error) }
                    finished = enter { try invocation.settle(pending, with: result) }
                    // Work split across microtasks can run past the watchdog, which restarts with each one.
                    if cpuUsed > cpuBudget { finished = false }
                    if !finished || invocation.isSettled { break }
                }
                if wallClockExpired { break }
            }
        }
        if wallClockExpired {
            reusable = false
            let limit = Int(request.kind == .action ? limits.actionSeconds : limits.queryMutationWallSeconds)
            invocation.fail(FunctionError(message: "Function execution timed out (maximum duration: \(limit)s)"))
        }
        if !finished {
            reusable = false
            invocation.timeOut(FunctionError(message: "Function execution timed out: JavaScript ran for more than \(cpuBudget) s of CPU time"))
        }
        invocation.releaseOutstanding()
        var outcome = invocation.outcome!
        if let tooLarge = resultTooLarge(outcome, of: request) { outcome.result = .failure(tooLarge) }
        if case .failure = outcome.result { reusable = false }
        returnContext(context, reusable: reusable)
        return outcome
    }

    /// A return value past the limit fails the function, whichever way it was called (a mutation's
    /// writes then do not commit). An HTTP action's value is its response, which has limits of its own.
    private func resultTooLarge(_ outcome: FunctionOutcome, of request: FunctionRequest) -> FunctionError? {
        guard request.http == nil, case .success(let value) = outcome.result else { return nil }
        let limit = request.system == nil ? limits.maxResultBytes : limits.maxSystemResultBytes
        let size = value.size
        guard size > limit else { return nil }
        let name = "\(request.module.hasSuffix(".js") ? String(request.module.dropLast(3)) : request.module):\(request.function)"
        return FunctionError(message: "Function \(name) return value is too large (actual: \(Self.binarySize(size)), limit: \(Self.binarySize(limit)))")
    }

    /// Bytes in binary units with up to two decimals, trailing zeros dropped: `16 MiB`, `17.8 MiB`.
    static func binarySize(_ bytes: Int) -> String {
        var value = Double(bytes)
        var unit = "B"
        for next in ["KiB", "MiB", "GiB"] where value >= 1024 {
            value /= 1024
            unit = next
        }
        var text = String(format: "%.2f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return "\(text) \(unit)"
    }

    /// An action's host calls (timers, fetches, other functions) all run at once, as JavaScript expects
    /// of concurrent promises; each settles when it finishes. The wall-clock deadline is a task of its
    /// own, so a long wait cannot outlast it.
    private func serveConcurrently(_ invocation: Invocation, host: FunctionHost, deadline: ContinuousClock.Instant,
                                   finished: inout Bool, wallClockExpired: inout Bool, enter: (() throws -> Void) -> Bool) async {
        await withTaskGroup(of: (key: Int, result: Result<Value, Error>)?.self) { group in
            group.addTask {
                try? await Task.sleep(until: deadline)
                return nil
            }
            var inFlight: [Int: Invocation.PendingCall] = [:]
            var nextKey = 0
            while finished && !invocation.isSettled {
                for call in invocation.takePendingCalls() {
                    let key = nextKey
                    nextKey += 1
                    inFlight[key] = call
                    let operation = call.operation, arguments = call.arguments
                    group.addTask {
                        do { return (key, .success(try await host.call(operation, arguments))) } catch { return (key, .failure(error)) }
                    }
                }
                guard !inFlight.isEmpty else {
                    invocation.fail(FunctionError(message: "Uncaught Error: the function awaited a promise that can never settle"))
                    break
                }
                guard let next = await group.next(), let (key, result) = next else {
                    wallClockExpired = true
                    break
                }
                let call = inFlight.removeValue(forKey: key)!
                finished = enter { try invocation.settle(call, with: result) }
            }
            group.cancelAll()
        }
    }

    /// The functions the bundle defines: module path, name, kind and visibility.
    public func analyze() throws -> String {
        let context = try takeContext()
        defer { returnContext(context, reusable: true) }
        let global = JSContextGetGlobalObject(context)!
        guard let converge = JS.object(context, JS.property(context, global, "__converge")),
              let analyze = JS.object(context, JS.property(context, converge, "analyze"))
        else { throw JavaScriptError(message: "the bundle did not install the Converge runtime", stack: "") }
        return JS.swiftString(context, try JS.call(context, analyze, this: converge, [])) ?? "[]"
    }

    static func threadCPUSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

/// Stops JavaScript that runs past its budget, through the context group's execution time limit.
private final class Watchdog {
    private var fired = false

    func arm(group: JSContextGroupRef, seconds: Double) {
        fired = false
        JSContextGroupSetExecutionTimeLimit(group, seconds, { _, info in
            guard let info else { return true }
            Unmanaged<Watchdog>.fromOpaque(info).takeUnretainedValue().fired = true
            return true
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Clears the limit; true if it fired since `arm`.
    func disarm(group: JSContextGroupRef) -> Bool {
        JSContextGroupClearExecutionTimeLimit(group)
        return fired
    }
}
