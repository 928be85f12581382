import Protocol

/// Turns a `withIndex` range (`q.eq(...).gt(...).lt(...)` as recorded by the runtime) into a key
/// interval, checking it against the index's fields the way Convex does: equalities on a prefix of
/// the fields in order, then at most one lower and one upper bound on the next field.
enum IndexRange {
    static func interval(_ range: Value, index: IndexInfo, tableName: String) throws -> KeyInterval {
        guard case .array(let operations) = range else { throw HostError("an index range must be a list") }
        var equal: [Value?] = []
        var lower: (value: Value?, inclusive: Bool)?
        var upper: (value: Value?, inclusive: Bool)?
        var boundField: String?
        for operation in operations {
            guard case .string(let op)? = operation["op"], case .string(let field)? = operation["field"] else {
                throw HostError("malformed index range")
            }
            // The runtime marks `undefined` (a missing field) explicitly: JSON has no undefined.
            let value: Value? = operation["undefined"] == true ? nil : (operation["value"] ?? .null)
            if op == "eq" {
                guard lower == nil, upper == nil, equal.count < index.fields.count, index.fields[equal.count] == field else {
                    throw HostError("Uncaught Error: Tried to query index \(tableName).\(index.name) but the query didn't use the index fields in order. Index fields: \(index.fields), query: eq(\"\(field)\")")
                }
                equal.append(value)
                continue
            }
            guard equal.count < index.fields.count, index.fields[equal.count] == field, boundField == nil || boundField == field else {
                throw HostError("Uncaught Error: Tried to query index \(tableName).\(index.name) with a range on \"\(field)\", which is not the next index field. Index fields: \(index.fields)")
            }
            boundField = field
            switch op {
            case "gt", "gte":
                guard lower == nil else { throw HostError("An index range may have only one lower bound") }
                lower = (value, op == "gte")
            case "lt", "lte":
                guard upper == nil else { throw HostError("An index range may have only one upper bound") }
                upper = (value, op == "lte")
            default:
                throw HostError("unknown index range operation \(op)")
            }
        }
        let lowerBound = lower.map { IndexBound(equal + [$0.value], inclusive: $0.inclusive) } ?? (equal.isEmpty ? nil : IndexBound(equal, inclusive: true))
        let upperBound = upper.map { IndexBound(equal + [$0.value], inclusive: $0.inclusive) } ?? (equal.isEmpty ? nil : IndexBound(equal, inclusive: true))
        return KeyInterval.range(lower: lowerBound, upper: upperBound)
    }
}
