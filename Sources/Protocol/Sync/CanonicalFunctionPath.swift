/// A function's path in canonical form (spec §1.9): `messages:list` ≡ `messages.js:list`, and a path
/// without `:` names the module's default export, so `dir/mod` ≡ `dir/mod.js:default`.
public struct CanonicalFunctionPath: Hashable, Sendable, CustomStringConvertible {
    /// The module path with its `.js` extension, e.g. `dir/mod.js`.
    public let module: String
    public let function: String

    public init(module: String, function: String) {
        self.module = module
        self.function = function
    }

    /// Parses a user-supplied path; nil if it is not a valid function path.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        var module = parts[0]
        let function = parts.count == 2 ? parts[1] : "default"
        guard !module.isEmpty, !module.hasPrefix("/"), !module.hasSuffix("/"), Value.isValidIdentifier(function) || function == "default" else { return nil }
        let last = module.split(separator: "/").last.map(String.init) ?? module
        if let dot = last.firstIndex(of: ".") {
            // The only extension allowed is `.js`.
            guard last[dot...] == ".js" else { return nil }
        } else {
            module += ".js"
        }
        let components = module.dropLast(3).split(separator: "/", omittingEmptySubsequences: false)
        guard components.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } }) else {
            return nil
        }
        self.module = module
        self.function = function
    }

    /// `messages.js:list`, the form the real server reports in metadata.
    public var description: String { "\(module):\(function)" }

    /// `messages:list`, the form error messages use (the `.js` stripped).
    public var displayName: String { "\(module.dropLast(3)):\(function)" }
}
