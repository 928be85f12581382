import Foundation
import Synchronization

/// A `converge serve` the harness starts itself on a temporary data directory, with the bench app
/// deployed. Being its parent, the harness can read its processes' memory and database size and
/// SIGKILL its storage node; `serve` restarts what dies.
final class LocalCluster: Sendable {
    let url: String
    let adminKey: String
    let dataDirectory: URL
    private let serve: Process

    /// `converge` is the binary to run (the one running the harness). A `serve` that has not deployed
    /// the app within `startTimeout` is stopped and reported, with the end of its log.
    init(converge: URL, app: URL, runners: Int, runnerWorkers: Int, startTimeout: Duration = .seconds(120)) throws {
        dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("converge-bench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        // The children's logs, kept for when a start fails (they are removed with the directory).
        let log = dataDirectory.appendingPathComponent("serve.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = converge
        process.arguments = ["serve", "--data", dataDirectory.path, "--port", "0", "--site-port", "0",
                             "--runners", String(runners), "--runner-workers", String(runnerWorkers), "--deploy", app.path]
        // Its secret comes from the data directory, not from the caller's environment.
        process.environment = ProcessInfo.processInfo.environment.filter { $0.key != "INSTANCE_SECRET" && $0.key != "INSTANCE_NAME" }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        serve = process
        // Terminating a `serve` that hangs ends its output, so the read below returns instead of waiting forever.
        let started = Mutex(false)
        DispatchQueue.global().asyncAfter(deadline: .now() + startTimeout.seconds) {
            if !started.withLock({ $0 }) { process.terminate() }
        }
        var text = ""
        while !text.contains("\ndeployed ") {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else {
                let tail = ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(20).joined(separator: "\n")
                try? FileManager.default.removeItem(at: dataDirectory)
                throw BenchFailure("converge serve did not deploy the bench app within \(Int(startTimeout.seconds)) s or exited first:\n\(text)\nits log ends:\n\(tail)")
            }
            text += String(decoding: chunk, as: UTF8.self)
        }
        started.withLock { $0 = true }
        guard let url = text.firstMatch(of: /running at (\S+)/)?.1, let key = text.firstMatch(of: /admin key: (\S+)/)?.1 else {
            throw BenchFailure("converge serve printed no URL and admin key:\n\(text)")
        }
        self.url = String(url)
        self.adminKey = String(key)
    }

    /// The process ids of serve's children in `role` ("storage", "coordinator", "runner"), from /proc;
    /// runners of one pool only, with `pool`. Each child is listed under the thread that started it,
    /// so every thread of serve is read.
    func processIds(role: String, pool: String? = nil) -> [Int32] {
        let tasks = "/proc/\(serve.processIdentifier)/task"
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? []
        let children = threads.compactMap { try? String(contentsOfFile: "\(tasks)/\($0)/children", encoding: .utf8) }.joined(separator: " ")
        return children.split(separator: " ").compactMap { Int32($0) }.filter { pid in
            guard let commandLine = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let arguments = commandLine.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard arguments.count > 1, arguments[1] == role else { return false }
            guard let pool else { return true }
            return zip(arguments, arguments.dropFirst()).contains { $0 == "--pool" && $1 == pool }
        }
    }

    /// Resident memory of the processes in `role`, in bytes.
    func residentBytes(role: String) -> Int {
        processIds(role: role).reduce(0) { total, pid in
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            let kilobytes = status.firstMatch(of: /VmRSS:\s+(\d+) kB/).flatMap { Int($0.1) } ?? 0
            return total + kilobytes * 1024
        }
    }

    /// The SQLite database and its WAL, in bytes.
    var databaseBytes: Int {
        ["converge.sqlite3", "converge.sqlite3-wal"].reduce(0) { total, name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: dataDirectory.appendingPathComponent(name).path)
            return total + ((attributes?[.size] as? Int) ?? 0)
        }
    }

    /// SIGKILLs the storage node; returns its process id, or nil if none was running.
    func killStorage() -> Int32? {
        kill(role: "storage")
    }

    /// SIGKILLs one process of `role` (and `pool`, for runners); returns its id, or nil if none ran.
    func kill(role: String, pool: String? = nil) -> Int32? {
        guard let pid = processIds(role: role, pool: pool).first else { return nil }
        Foundation.kill(pid, SIGKILL)
        return pid
    }

    func stop() {
        if serve.isRunning {
            serve.terminate()
            serve.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: dataDirectory)
    }
}

/// Why a benchmark could not run, said in one line.
struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
