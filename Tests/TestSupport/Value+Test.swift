import Protocol

/// Shortcuts for reading function results in assertions.
extension Value {
    /// The items of an array; empty for anything else.
    public var arrayValue: [Value] { if case .array(let items) = self { return items } else { return [] } }
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
}
