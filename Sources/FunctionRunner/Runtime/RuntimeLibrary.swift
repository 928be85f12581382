import Foundation

/// Converge's JavaScript runtime library: what a deployment's bundle gets for `convex/server` and
/// `convex/values`. The bundler aliases those imports to these files.
public enum RuntimeLibrary {
    /// The folder holding `server.js` and `values.js` (and their `.d.ts`).
    public static var directory: URL {
        Bundle.module.resourceURL!.appendingPathComponent("js")
    }

    public static var serverModule: URL { directory.appendingPathComponent("server.js") }
    public static var valuesModule: URL { directory.appendingPathComponent("values.js") }
    /// Their type declarations, for type-checking an app.
    public static var serverDeclarations: URL { directory.appendingPathComponent("server.d.ts") }
    public static var valuesDeclarations: URL { directory.appendingPathComponent("values.d.ts") }
}
