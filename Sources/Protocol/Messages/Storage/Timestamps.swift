/// Nanoseconds since the Unix epoch; commit timestamps are strictly increasing, also across restarts.
public typealias Timestamp = UInt64

/// Identifies an index in the catalog. The built-in indexes of a table come with the table.
public typealias IndexID = UInt64
