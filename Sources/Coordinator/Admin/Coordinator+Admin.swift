import Foundation
import Protocol
import StorageClient

/// What the admin routes read and change: the data, and the environment variables.
extension Coordinator {
    /// The user tables, by name.
    public func tableNames() async throws -> [String] {
        try await hub.withStorage { try await $0.catalog() }.tables.map(\.name).filter { !$0.hasPrefix("_") }.sorted()
    }

    /// Up to `limit` documents of a table by creation time, newest first unless `ascending`.
    public func documents(of table: String, limit: Int, ascending: Bool) async throws -> [Value] {
        try await hub.withStorage { storage in
            let catalog = try await storage.catalog()
            guard !table.hasPrefix("_"), let info = catalog.table(named: table),
                  let index = catalog.index(table: info.number, name: IndexInfo.byCreationTime) else {
                throw CoordinatorError.tableNotFound(table)
            }
            let page = try await storage.scan(ScanRequest(ts: try await storage.latestTimestamp(), index: index.id, interval: .all,
                                                          order: ascending ? .ascending : .descending, limit: max(1, min(limit, 10_000))))
            return page.entries.map(\.document.value)
        }
    }

    /// The environment variables set for the deployment (functions also see the built-in URLs).
    public func environmentVariables() async -> [String: String] {
        await deployments.environment.values
    }

    /// Sets (or with nil, removes) environment variables; calls from now on see the new values, and
    /// modules that read them as they load are loaded again.
    @discardableResult
    public func changeEnvironmentVariables(_ changes: [(name: String, value: String?)]) async throws -> [String: String] {
        let values = try await deployments.changeEnvironment(changes).values
        await (try? hub)?.invalidateAll()
        return values
    }

    /// The deployment's public URLs: where clients reach its API (`CONVEX_CLOUD_URL`) and its HTTP
    /// actions (`CONVEX_SITE_URL`), as functions see them in `process.env`.
    public func setPublicURLs(cloud: String, site: String) async {
        await deployments.setBuiltIns(["CONVEX_CLOUD_URL": cloud, "CONVEX_SITE_URL": site])
    }

}
