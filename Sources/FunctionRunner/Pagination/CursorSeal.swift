import Crypto
import CryptoExtras
import Foundation
import Protocol

/// Seals page cursors and query journals for clients, and opens what they send back. Both are
/// AES-128-GCM-SIV under a key of their own derived from the instance secret, with a zero nonce:
/// the same cursor always seals to the same text, so a page that is re-run and ends at the same
/// place returns the same `continueCursor` (and the client is sent no change). Index keys in a
/// cursor hold document values the page may have filtered out, hence encryption, not just a MAC.
///
/// The text is `base64(0x01 ‖ ciphertext ‖ tag)`; the plaintext is `0x00` (end) or `0x01` (after
/// a key) ‖ the 32-byte fingerprint ‖ the key.
public struct CursorSeal: Sendable {
    private static let version: UInt8 = 1
    private let cursorKey: SymmetricKey
    private let journalKey: SymmetricKey

    public init(instanceSecret: [UInt8]) {
        cursorKey = KeyPurpose.cursor.key(from: instanceSecret)
        journalKey = KeyPurpose.queryJournal.key(from: instanceSecret)
    }

    func seal(_ cursor: PageCursor) -> String {
        Self.seal(cursor, with: cursorKey)
    }

    /// A cursor this deployment issued; anything else is `PaginationError.unreadableCursor`.
    func open(_ text: String) throws(PaginationError) -> PageCursor {
        try Self.open(text, with: cursorKey)
    }

    /// A query's journal: where its page ended, for the next run of the same subscription.
    func sealJournal(endingAt cursor: PageCursor) -> String {
        Self.seal(cursor, with: journalKey)
    }

    func openJournal(_ text: String) throws(PaginationError) -> PageCursor {
        try Self.open(text, with: journalKey)
    }

    private static let nonce = try! AES.GCM._SIV.Nonce(data: [UInt8](repeating: 0, count: 12))

    private static func seal(_ cursor: PageCursor, with key: SymmetricKey) -> String {
        var plaintext: [UInt8]
        switch cursor.position {
        case .end: plaintext = [0] + cursor.fingerprint.bytes
        case .after(let indexKey): plaintext = [1] + cursor.fingerprint.bytes + indexKey
        }
        // Sealing with a valid key and nonce cannot fail.
        let box = try! AES.GCM._SIV.seal(plaintext, using: key, nonce: nonce, authenticating: [version])
        return Base64.encode([version] + Array(box.ciphertext) + Array(box.tag))
    }

    private static func open(_ text: String, with key: SymmetricKey) throws(PaginationError) -> PageCursor {
        let tagCount = 16
        guard let bytes = Base64.decode(text), bytes.count >= 1 + 1 + QueryFingerprint.byteCount + tagCount, bytes[0] == version else {
            throw .unreadableCursor
        }
        let plaintext: [UInt8]
        do {
            let box = try AES.GCM._SIV.SealedBox(nonce: nonce, ciphertext: bytes[1..<(bytes.count - tagCount)], tag: bytes.suffix(tagCount))
            plaintext = Array(try AES.GCM._SIV.open(box, using: key, authenticating: [version]))
        } catch {
            throw .unreadableCursor
        }
        guard let fingerprint = QueryFingerprint(bytes: Array(plaintext[1...QueryFingerprint.byteCount])) else { throw .unreadableCursor }
        let rest = Array(plaintext[(1 + QueryFingerprint.byteCount)...])
        switch plaintext[0] {
        case 0 where rest.isEmpty: return PageCursor(position: .end, fingerprint: fingerprint)
        case 1: return PageCursor(position: .after(rest), fingerprint: fingerprint)
        default: throw .unreadableCursor
        }
    }
}
