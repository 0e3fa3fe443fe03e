import PactaCore

/// Opaque pagination cursors: the id after which the next page starts, base64url-encoded.
enum PageCursor {
    static func encode(after id: String) -> String {
        Base64URL.encode("a:\(id)")
    }

    static func decode(_ cursor: String) -> String? {
        guard let text = Base64URL.decodeText(cursor), text.hasPrefix("a:") else { return nil }
        let id = String(text.dropFirst(2))
        return AgreementValidator.isValidIdentifier(id) ? id : nil
    }
}
