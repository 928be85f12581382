extension IndexInfo {
    /// The key of `document` in this index: the indexed fields' values (missing fields encode as
    /// undefined), then the document's `_id` so that every key names exactly one document.
    public func key(of document: Value) -> IndexKey {
        var values: [Value?] = fields.map { document.value(atPath: $0.split(separator: ".").map(String.init)) }
        if fields.last != "_id" { values.append(document["_id"]) }
        return IndexKey(values)
    }

    /// The key under which `by_id` finds a document: its ID string.
    public static func byIDKey(_ id: DocumentID) -> IndexKey {
        IndexKey([.string(id.description)])
    }
}
