/// What an OAuth token looks like, wherever it comes from (a token endpoint's answer, `import`):
/// one or more bytes of visible ASCII (0x21-0x7E). RFC 6749 allows a space as well (§A.12,
/// §A.17); no server sends one, and a token with a space, a line break, NUL, an escape or
/// non-ASCII in it would be printed by `tokenvault token` and put in headers by callers.
enum TokenSyntax {
    static func isToken(_ bytes: UnsafeRawBufferPointer) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy { (0x21...0x7E).contains($0) }
    }
}
