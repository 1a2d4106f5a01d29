/// The query of the address a browser was redirected to after a sign-in (RFC 6749 §4.1.2):
/// `code` and `state`, or `error` and `error_description`, and `iss` (RFC 9207). Read from
/// guarded memory; the code is decoded into guarded memory and never becomes a `String`.
struct AuthorizationRedirect {
    /// The path before the query (`/callback`); empty for a pasted address without one.
    let path: String
    let code: Secret?
    let state: String?
    let error: String?
    let errorDescription: String?
    let issuer: String?

    /// Reads a request target (`/callback?…`) or a whole pasted address (`http://…/callback?…`);
    /// `nil` when it has no query.
    init?(_ target: UnsafeRawBufferPointer) {
        var end = target.count
        while end > 0, [0x20, 0x09, 0x0D, 0x0A].contains(target[end - 1]) { end -= 1 }
        var start = 0
        while start < end, [0x20, 0x09].contains(target[start]) { start += 1 }
        let text = UnsafeRawBufferPointer(rebasing: target[start..<end])
        guard let question = text.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        let fragment = text.firstIndex(of: UInt8(ascii: "#")) ?? text.count
        guard question < fragment else { return nil }
        var before = UnsafeRawBufferPointer(rebasing: text[..<question])
        if let scheme = Self.find("://", in: before) {
            let authority = UnsafeRawBufferPointer(rebasing: before[(scheme + 3)...])
            let slash = authority.firstIndex(of: UInt8(ascii: "/")) ?? authority.count
            before = UnsafeRawBufferPointer(rebasing: authority[slash...])
        }
        path = String(decoding: before, as: UTF8.self)
        var code: Secret?, state: String?, error: String?, errorDescription: String?, issuer: String?
        for pair in UnsafeRawBufferPointer(rebasing: text[(question + 1)..<fragment]).split(separator: UInt8(ascii: "&")) {
            let pair = UnsafeRawBufferPointer(rebasing: pair)
            let equals = pair.firstIndex(of: UInt8(ascii: "=")) ?? pair.count
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: pair[..<equals]), as: UTF8.self)
            let value = equals < pair.count ? Self.percentDecoded(UnsafeRawBufferPointer(rebasing: pair[(equals + 1)...])) : Secret(copying: "")
            switch name {
            case "code": code = value.isEmpty ? nil : value
            case "state": state = value.unsafeStringValue()
            case "error": error = value.withUnsafeBytes { PrintableText.clean(String(decoding: $0, as: UTF8.self)) }
            case "error_description": errorDescription = value.withUnsafeBytes { PrintableText.clean(String(decoding: $0, as: UTF8.self)) }
            case "iss": issuer = value.unsafeStringValue()
            default: break
            }
        }
        self.code = code
        self.state = state
        self.error = error
        self.errorDescription = errorDescription
        self.issuer = issuer
    }

    /// The code, once `state` (and `iss`, when present) match this sign-in; else why not.
    func code(expectedState: String, issuer expectedIssuer: String) throws(AuthorizationError) -> Secret {
        guard state == expectedState else { throw .wrongState }
        if let issuer, issuer != expectedIssuer { throw .wrongIssuer(PrintableText.clean(issuer)) }
        if let error { throw .errorRedirect(error: error, description: errorDescription) }
        guard let code else { throw .missingCode }
        return code
    }

    /// `application/x-www-form-urlencoded` decoding into guarded memory: `%XX` and `+`.
    private static func percentDecoded(_ bytes: UnsafeRawBufferPointer) -> Secret {
        var out = SecureWriter(capacity: max(bytes.count, 1))
        var index = 0
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), index + 2 < bytes.count, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(byte == UInt8(ascii: "+") ? 0x20 : byte)
                index += 1
            }
        }
        return out.finish()
    }

    private static func find(_ needle: StaticString, in haystack: UnsafeRawBufferPointer) -> Int? {
        let wanted = UnsafeRawBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        guard haystack.count >= wanted.count else { return nil }
        return (0...(haystack.count - wanted.count)).first { haystack[$0..<($0 + wanted.count)].elementsEqual(wanted) }
    }
}
