/// Why `converge serve` could not start or keep its cluster.
struct ServeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
