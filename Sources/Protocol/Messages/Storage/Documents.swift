/// One version of a document as stored.
public struct StoredDocument: Hashable, Sendable {
    public var id: DocumentID
    /// The timestamp of the commit that wrote this version.
    public var ts: Timestamp
    public var value: Value

    public init(id: DocumentID, ts: Timestamp, value: Value) {
        self.id = id
        self.ts = ts
        self.value = value
    }
}

/// A document's new full value, or nil to delete it.
public struct DocumentWrite: Hashable, Sendable {
    public var id: DocumentID
    public var value: Value?
    /// A document the transaction created under a fresh random ID: the node writes it without
    /// looking for an earlier version.
    public var isInsert: Bool

    /// `isInsert` is kept only for a write with a value, never for a deletion.
    public init(id: DocumentID, value: Value?, isInsert: Bool = false) {
        self.id = id
        self.value = value
        self.isInsert = isInsert && value != nil
    }
}
