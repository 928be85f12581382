import Foundation
import Protocol
import StorageClient

extension Coordinator {
    /// Makes a bundle the live deployment, after a runner has analyzed it and the storage node's
    /// catalog matches its schema: existing documents are checked against it (a violation refuses
    /// the push and changes nothing), missing tables are created and new indexes backfilled before
    /// the swap; indexes the schema no longer has are dropped after it. One push at a time.
    ///
    /// An index whose fields change is dropped and rebuilt before the swap (the catalog names indexes
    /// uniquely), so the old code's queries of it fail until the push completes.
    @discardableResult
    public func push(bundle: String) async throws -> PushReport {
        try await pushes.run { try await self.pushNow(bundle: bundle) }
    }

    private func pushNow(bundle: String) async throws -> PushReport {
        let deployment = Deployment(bundle: bundle)
        await deployments.stage(deployment)
        do {
            return try await makeLive(deployment)
        } catch {
            // A rejected bundle (and what a runner said of it) is not kept for a later push to drop.
            await deployments.forgetStaged(except: [])
            throw error
        }
    }

    private func makeLive(_ deployment: Deployment) async throws -> PushReport {
        let bundleAnalysis: DeploymentAnalysis
        do {
            bundleAnalysis = try await analysis(of: deployment)
        } catch CoordinatorError.runnerFailed(let message) {
            // The first line is the error; the rest is the runtime's stack.
            let error = message.split(separator: "\n").first.map(String.init) ?? message
            throw CoordinatorError.pushRejected("The app failed to load: \(error.replacingOccurrences(of: "the bundle failed to load: ", with: ""))")
        }
        let previous = await deployments.live
        var previousAnalysis: DeploymentAnalysis?
        if let previous { previousAnalysis = try? await analysis(of: previous) }
        let storage = try await hub.storage()
        let changes = try SchemaChanges(schema: bundleAnalysis.schema, catalog: try await storage.catalog())
        if let schema = bundleAnalysis.schema, schema.schemaValidation {
            // Tables whose validator the live deployment already enforced need no second look.
            let enforced = previousAnalysis?.schema.flatMap { $0.schemaValidation ? $0 : nil }
            let changed = schema.tables.filter { table in enforced?.tables.first { $0.name == table.name }?.documentType != table.documentType }
            try await checkExistingDocuments(of: changed, deployment: deployment)
        }
        do {
            for table in changes.tablesToCreate { _ = try await storage.createTable(table) }
            let replaced = Set(changes.indexesToAdd.map(\.label))
            for index in changes.indexesToDrop where replaced.contains(index.label) {
                try await storage.dropIndex(table: index.table, name: index.name)
            }
            for index in changes.indexesToAdd { _ = try await storage.createIndex(table: index.table, name: index.name, fields: index.fields) }
            try await deployments.push(deployment)
            for index in changes.indexesToDrop where !replaced.contains(index.label) {
                try await storage.dropIndex(table: index.table, name: index.name)
            }
        } catch let error as StorageError {
            throw CoordinatorError.pushRejected("The storage node refused a change of the schema: \(error.message)")
        }
        // The previous bundle stays fetchable: runners may still be running calls of it.
        await deployments.forgetStaged(except: [previous?.hash].compactMap { $0 })
        await (try? hub)?.invalidateAll()
        logger.info("deployment \(deployment.hash.prefix(12)) is live")
        return PushReport(hash: deployment.hash, functions: bundleAnalysis.functions, previousFunctions: previousAnalysis?.functions ?? [],
                          changes: changes)
    }

    /// The live deployment's description (functions, routes, crons, schema, auth providers).
    func liveAnalysis() async throws -> Value {
        guard let live = await deployments.live else { throw CoordinatorError.noDeployment }
        return try await analysis(of: live).raw
    }

    /// How the live deployment's function at `path` is called: nil if there is no such function (or it
    /// is an HTTP action, which only its route reaches).
    func kind(of path: CanonicalFunctionPath) async throws -> FunctionKind? {
        guard let live = await deployments.live else { throw CoordinatorError.noDeployment }
        return try await analysis(of: live).functionsByPath[path]?.kind.functionKind
    }

    /// What a runner found in a bundle loaded with the current environment variables, asked once.
    func analysis(of deployment: Deployment) async throws -> DeploymentAnalysis {
        let environment = await deployments.callEnvironment.hash
        if let known = await deployments.analysis(hash: deployment.hash, environment: environment) { return known }
        let analysis = try DeploymentAnalysis(try ConvexJSONReader.decode(try await runners.analyze(deployment.hash, environment: environment)))
        await deployments.setAnalysis(analysis, hash: deployment.hash, environment: environment)
        return analysis
    }

    /// Every document of these tables already in the database, checked by a runner against the new
    /// bundle's schema a page at a time.
    private func checkExistingDocuments(of tables: [DeploymentAnalysis.Table], deployment: Deployment) async throws {
        for table in tables {
            var cursor: Value = .null
            while true {
                var call = RunFunction(deployment: deployment.hash, module: "_system.js", function: "checkSchema", kind: .query,
                                       args: ["table": .string(table.name), "cursor": cursor], allowInternal: true)
                call.system = "checkSchema"
                call.environment = await deployments.callEnvironment.hash
                let result = try await runners.call(call, pool: .db)
                guard case .success(let page) = result.status else {
                    guard case .failure(let message, _, _) = result.status else { return }
                    throw CoordinatorError.pushRejected("Checking table \"\(table.name)\" against the schema failed: \(message)")
                }
                if case .object(let failure)? = page["failure"], case .string(let id)? = failure["id"], case .string(let message)? = failure["message"] {
                    throw CoordinatorError.pushRejected(
                        "Schema validation failed.\nDocument with ID \"\(id)\" in table \"\(table.name)\" does not match the schema: \(message)")
                }
                guard page["isDone"] == .boolean(false), let next = page["continueCursor"] else { break }
                cursor = next
            }
        }
    }

}
