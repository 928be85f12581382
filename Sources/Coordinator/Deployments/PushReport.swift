import Protocol

/// What a push changed, for `converge deploy` to print: functions added and removed, tables created,
/// indexes added and removed.
public struct PushReport: Sendable {
    public let hash: String
    public let addedFunctions: [String]
    public let removedFunctions: [String]
    public let createdTables: [String]
    public let addedIndexes: [String]
    public let removedIndexes: [String]

    init(hash: String, functions: [DeploymentAnalysis.Function], previousFunctions: [DeploymentAnalysis.Function], changes: SchemaChanges) {
        self.hash = hash
        let now = Set(functions.map(\.name)), before = Set(previousFunctions.map(\.name))
        addedFunctions = now.subtracting(before).sorted()
        removedFunctions = before.subtracting(now).sorted()
        createdTables = changes.tablesToCreate
        addedIndexes = changes.indexesToAdd.map(\.label)
        removedIndexes = changes.indexesToDrop.map(\.label)
    }

    var json: String {
        var object = JSONObject()
        object.string("hash", hash)
        object.strings("addedFunctions", addedFunctions)
        object.strings("removedFunctions", removedFunctions)
        object.strings("createdTables", createdTables)
        object.strings("addedIndexes", addedIndexes)
        object.strings("removedIndexes", removedIndexes)
        return object.text
    }
}
