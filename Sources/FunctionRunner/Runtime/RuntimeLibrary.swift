import Foundation

/// Converge's JavaScript runtime library: what a deployment's bundle gets for `convex/server` and
/// `convex/values`. The bundler aliases those imports to these files.
public enum RuntimeLibrary {
    /// The folder holding `server.js` and `values.js`.
    public static var directory: URL {
        Bundle.module.resourceURL!.appendingPathComponent("js")
    }

    public static var serverModule: URL { directory.appendingPathComponent("server.js") }
    public static var valuesModule: URL { directory.appendingPathComponent("values.js") }
}
