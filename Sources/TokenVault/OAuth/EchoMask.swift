/// What a token request sent (the refresh token, the client secret, the HTTP Basic credential),
/// in every form a server could echo it, for masking server text before anyone sees it.
///
/// The forms: each secret raw, form-encoded as sent (upper-case hex) and with lower-case hex, in
/// standard and URL-safe base64, and in lower- and upper-case hex; each Basic credential
/// (`client_id:client_secret`, form-encoded as sent, and raw, as most HTTP stacks build it) in
/// standard and URL-safe base64. Text is searched twice: as it is, and with
/// its `%XX` escapes decoded (either case of hex), so a copy escaped differently from what was
/// sent (some bytes escaped, some not, mixed hex case) is found too; a space and a `+` count as
/// the same byte, for the `+` of form-encoding. Every run of `window` bytes or more that the text
/// shares with one of the forms is masked, so a copy cut short, or missing its first bytes, is
/// masked as far as it goes. A form shorter than `window` (a short client secret) is masked where
/// it occurs whole, if at least 4 bytes long: a shorter one would mask ordinary words.
///
/// The forms never leave guarded memory: every `window`-byte run of them is kept as a `UInt64`
/// in a `SecureBuffer`, sorted in place (heapsort: no scratch memory), and the text's runs are
/// looked up by binary search, so a 64 KiB answer costs about a million comparisons whatever
/// the secrets hold.
struct EchoMask {
    /// The shortest run of a secret's form that is masked wherever it appears.
    static let window = 8
    private static let shortest = 4

    /// Sorted `window`-byte runs of every form, each packed into a `UInt64`.
    private let runs: SecureBuffer
    private let runCount: Int
    /// Forms shorter than `window`: pairs of (packed bytes, length) as `UInt64`s.
    private let short: SecureBuffer
    private let shortCount: Int

    /// Nothing to mask.
    init() {
        self.init(forms: [])
    }

    /// The forms of `secrets` and of `basicCredentials`, each an unencoded `id:secret` whose
    /// base64 is the text after `Basic ` in an `Authorization` header.
    init(secrets: [Secret], basicCredentials: [Secret] = []) {
        var forms: [Secret] = []
        for secret in secrets where secret.count >= Self.shortest {
            forms.append(secret)
            forms.append(Self.formEncoded(secret, lowercase: false))
            forms.append(Self.formEncoded(secret, lowercase: true))
            forms.append(Self.base64(secret, variant: .standard))
            forms.append(Self.base64(secret, variant: .urlSafeNoPadding))
            forms.append(Self.hex(secret, uppercase: false))
            forms.append(Self.hex(secret, uppercase: true))
        }
        for credential in basicCredentials where credential.count >= Self.shortest {
            forms.append(Self.base64(credential, variant: .standard))
            forms.append(Self.base64(credential, variant: .urlSafeNoPadding))
        }
        self.init(forms: forms)
    }

    private init(forms: [Secret]) {
        let window = Self.window
        let runCount = forms.reduce(0) { $0 + max(0, $1.count - window + 1) }
        let runs = SecureBuffer(count: runCount * 8)
        let shortForms = forms.filter { $0.count < window }
        let short = SecureBuffer(count: shortForms.count * 16)
        // sodium_malloc places an allocation against its guard page: a multiple of 8 bytes
        // starts 8-aligned.
        let packedRuns = runs.base.bindMemory(to: UInt64.self, capacity: runCount)
        var next = 0
        for form in forms where form.count >= window {
            form.withUnsafeBytes { bytes in
                var packed: UInt64 = 0
                for (index, byte) in bytes.enumerated() {
                    packed = packed << 8 | UInt64(Self.canonical(byte))
                    if index >= window - 1 {
                        packedRuns[next] = packed
                        next += 1
                    }
                }
            }
        }
        let packedShort = short.base.bindMemory(to: UInt64.self, capacity: shortForms.count * 2)
        for (index, form) in shortForms.enumerated() {
            packedShort[2 * index] = form.withUnsafeBytes { $0.reduce(UInt64(0)) { $0 << 8 | UInt64(Self.canonical($1)) } }
            packedShort[2 * index + 1] = UInt64(form.count)
        }
        Self.heapsort(UnsafeMutableBufferPointer(start: runCount == 0 ? nil : packedRuns, count: runCount))
        self.runs = runs
        self.runCount = runCount
        self.short = short
        self.shortCount = shortForms.count
    }

    var isEmpty: Bool { runCount == 0 && shortCount == 0 }

    /// Overwrites with `*` every byte of `text` covered by a run shared with a form. Returns
    /// whether anything was masked.
    @discardableResult
    func mask(_ text: UnsafeMutableRawBufferPointer) -> Bool {
        guard !isEmpty, !text.isEmpty else { return false }
        var covered = [Bool](repeating: false, count: text.count)
        scan(UnsafeRawBufferPointer(text), decoding: false, into: &covered)
        scan(UnsafeRawBufferPointer(text), decoding: true, into: &covered)
        var masked = false
        for index in covered.indices where covered[index] {
            text[index] = UInt8(ascii: "*")
            masked = true
        }
        return masked
    }

    /// Walks `text` (its `%XX` escapes decoded when `decoding`), keeping the last `window`
    /// bytes packed and where each began, and marks the text bytes behind every match.
    private func scan(_ text: UnsafeRawBufferPointer, decoding: Bool, into covered: inout [Bool]) {
        let window = Self.window
        // An empty buffer's base is a 1-byte allocation, not aligned for UInt64: never bound.
        let runs = UnsafeBufferPointer(start: runCount == 0 ? nil : self.runs.base.assumingMemoryBound(to: UInt64.self), count: runCount)
        let short = UnsafeBufferPointer(start: shortCount == 0 ? nil : self.short.base.assumingMemoryBound(to: UInt64.self), count: shortCount * 2)
        var starts = [Int](repeating: 0, count: window)
        var packed: UInt64 = 0
        var seen = 0
        var index = 0
        while index < text.count {
            var byte = text[index]
            var length = 1
            if decoding, byte == UInt8(ascii: "%"), index + 2 < text.count,
               let high = Self.hexValue(text[index + 1]), let low = Self.hexValue(text[index + 2]) {
                byte = high << 4 | low
                length = 3
            }
            packed = packed << 8 | UInt64(Self.canonical(byte))
            starts[seen % window] = index
            seen += 1
            index += length
            if seen >= window, Self.contains(runs, packed) {
                for offset in starts[seen % window]..<index { covered[offset] = true }
            }
            for pair in 0..<shortCount {
                let count = Int(short[2 * pair + 1])
                let bits = UInt64(count * 8)
                if seen >= count, packed & ((1 << bits) - 1) == short[2 * pair] {
                    for offset in starts[(seen - count) % window]..<index { covered[offset] = true }
                }
            }
        }
    }

    /// A space and a `+` are one byte to the search: form-encoding writes a space as `+`.
    private static func canonical(_ byte: UInt8) -> UInt8 {
        byte == UInt8(ascii: " ") ? UInt8(ascii: "+") : byte
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private static func contains(_ sorted: UnsafeBufferPointer<UInt64>, _ value: UInt64) -> Bool {
        var low = 0, high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low < sorted.count && sorted[low] == value
    }

    /// Sorts in place, with no scratch buffer (the standard library's sort may allocate one in
    /// ordinary memory).
    private static func heapsort(_ values: UnsafeMutableBufferPointer<UInt64>) {
        func siftDown(_ start: Int, _ end: Int) {
            var root = start
            while 2 * root + 1 < end {
                var child = 2 * root + 1
                if child + 1 < end, values[child] < values[child + 1] { child += 1 }
                guard values[root] < values[child] else { return }
                values.swapAt(root, child)
                root = child
            }
        }
        let count = values.count
        guard count > 1 else { return }
        for start in stride(from: count / 2 - 1, through: 0, by: -1) { siftDown(start, count) }
        for end in stride(from: count - 1, to: 0, by: -1) {
            values.swapAt(0, end)
            siftDown(0, end)
        }
    }

    private static func formEncoded(_ secret: Secret, lowercase: Bool) -> Secret {
        var writer = SecureWriter(capacity: secret.count * 3 + 1)
        secret.withUnsafeBytes { writer.appendFormEncoded($0, lowercaseHex: lowercase) }
        return writer.finish()
    }

    private static func base64(_ secret: Secret, variant: Sodium.Base64Variant) -> Secret {
        secret.withUnsafeBytes { Sodium.encodeBase64($0, variant: variant) }
    }

    private static func hex(_ secret: Secret, uppercase: Bool) -> Secret {
        let digits = Array((uppercase ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var writer = SecureWriter(capacity: secret.count * 2 + 1)
        secret.withUnsafeBytes { bytes in
            for byte in bytes {
                writer.append(digits[Int(byte >> 4)])
                writer.append(digits[Int(byte & 0x0f)])
            }
        }
        return writer.finish()
    }
}
