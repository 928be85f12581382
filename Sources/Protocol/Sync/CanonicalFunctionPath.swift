/// A function's path in canonical form (docs/sync-protocol.md, Function paths): `messages:list` ≡ `messages.js:list`, and a path
/// without `:` names the module's default export, so `dir/mod` ≡ `dir/mod.js:default`.
public struct CanonicalFunctionPath: Hashable, Sendable, CustomStringConvertible {
    /// The module path with its `.js` extension, e.g. `dir/mod.js`.
    public let module: String
    /// The export's name; `default` for the module's default export.
    public let function: String
    /// `messages:list`, the form error messages and metrics use (the `.js` stripped). Kept, not
    /// derived on each use: every live query's re-run names its function.
    public let displayName: String

    /// Takes the parts as they are: `module` must end in `.js`, which `displayName` drops.
    public init(module: String, function: String) {
        self.module = module
        self.function = function
        displayName = "\(module.dropLast(3)):\(function)"
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
        guard components.allSatisfy(Self.isValidComponent) else { return nil }
        self.init(module: module, function: function)
    }

    /// Letters, digits, `_` and `-`. Every call parses its path, so ASCII is checked byte by byte;
    /// only a component with other bytes pays for Unicode character properties.
    private static func isValidComponent(_ component: Substring) -> Bool {
        guard !component.isEmpty else { return false }
        for byte in component.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "_"), UInt8(ascii: "-"):
                continue
            case 0x80...:
                return component.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
            default:
                return false
            }
        }
        return true
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.module == b.module && a.function == b.function
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(module)
        hasher.combine(function)
    }

    /// `messages.js:list`, the form the real server reports in metadata.
    public var description: String { "\(module):\(function)" }
}
