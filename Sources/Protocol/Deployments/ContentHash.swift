import Crypto

/// How the coordinator names a bundle or a set of environment variables and a runner checks what it
/// fetched: the hex SHA-256 of the text's UTF-8. Both sides compute it here, so they cannot disagree.
public enum ContentHash {
    public static func of(_ text: String) -> String {
        Hex.encode(SHA256.hash(data: Array(text.utf8)))
    }
}
