import Foundation

/// A deployment's environment variables (`process.env` in functions), with Convex's rules for names
/// and sizes. Runners fetch them by the hash of their canonical JSON, as they fetch bundles.
public struct EnvironmentVariables: Hashable, Sendable {
    public private(set) var values: [String: String] {
        didSet { hash = Self.hash(of: values) }
    }
    /// Hex SHA-256 of `json`, kept with the values: the coordinator names the environment in every call.
    public private(set) var hash: String

    /// Most variables a deployment may have.
    public static let maxCount = 512
    /// Longest variable name, in UTF-8 bytes.
    public static let maxNameBytes = 256
    /// Longest value, in UTF-8 bytes.
    public static let maxValueBytes = 8192
    /// Most bytes of all names and values together, in UTF-8.
    public static let maxTotalBytes = 512 << 10

    /// Takes `values` as they are: only `applying(_:)` checks names and limits.
    public init(_ values: [String: String] = [:]) {
        self.values = values
        hash = Self.hash(of: values)
    }

    /// The hash of no variables at all.
    public static let none = EnvironmentVariables().hash

    /// The canonical JSON object: keys sorted, no whitespace.
    public var json: String { Self.json(of: values) }

    private static func json(of values: [String: String]) -> String {
        ConvexJSONWriter.encodeString(.object(values.mapValues(Value.string)))
    }

    private static func hash(of values: [String: String]) -> String {
        ContentHash.of(json(of: values))
    }

    /// Reads a JSON object of strings (as `json` writes it); names and limits are not checked.
    public init(json: String) throws {
        guard case .object(let fields) = try ConvexJSONReader.decode(json) else { throw EnvironmentError("environment variables must be a JSON object") }
        var values: [String: String] = [:]
        for (name, value) in fields {
            guard case .string(let text) = value else { throw EnvironmentError("the value of \(name) is not a string") }
            values[name] = text
        }
        self.values = values
        hash = Self.hash(of: values)
    }

    /// These variables with `changes` applied (a nil value removes the variable), checked against Convex's limits.
    public func applying(_ changes: [(name: String, value: String?)]) throws -> EnvironmentVariables {
        var next = values
        for (name, value) in changes {
            try Self.check(name: name)
            if let value {
                guard value.utf8.count <= Self.maxValueBytes else {
                    throw EnvironmentError("The environment variable value is \(value.utf8.count) bytes, which is too large. (max size: \(Self.maxValueBytes))")
                }
                next[name] = value
            } else {
                next[name] = nil
            }
        }
        guard next.count <= Self.maxCount else { throw EnvironmentError("The environment variable limit (\(Self.maxCount)) has been met.") }
        let total = next.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        guard total <= Self.maxTotalBytes else {
            throw EnvironmentError("The total size of all environment variables (\(total) bytes) exceeds the limit (\(Self.maxTotalBytes) bytes).")
        }
        return EnvironmentVariables(next)
    }

    /// Throws `EnvironmentError` unless `name` is a valid variable name that is not built in.
    public static func check(name: String) throws {
        guard name.utf8.count <= maxNameBytes else {
            throw EnvironmentError("The environment variable name \(name) is too long. Environment variable names must be less than \(maxNameBytes).")
        }
        guard let first = name.unicodeScalars.first, first.isASCIILetter || first == "_",
              name.unicodeScalars.allSatisfy({ $0.isASCIILetter || $0 == "_" || ("0"..."9").contains($0) })
        else {
            throw EnvironmentError("The environment variable name \(name) is invalid. Environment variable names must begin with a letter "
                + "and may only include characters a-z, A-Z, 0-9, and underscores.")
        }
        guard name != "CONVEX_CLOUD_URL", name != "CONVEX_SITE_URL" else {
            throw EnvironmentError("Environment variable with name \"\(name)\" is built-in and cannot be overridden")
        }
    }
}

/// A rejected variable or change; `description` is the message for the user.
public struct EnvironmentError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

private extension Unicode.Scalar {
    var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}
