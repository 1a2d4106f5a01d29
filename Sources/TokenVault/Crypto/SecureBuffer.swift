/// Bytes that must not leak: held in `sodium_malloc`'d memory (guard pages, `mlock`ed where the
/// limit allows), zeroed when the last reference goes away and kept for the next buffer of the
/// same size, until kept allocations newer than it make `sodium_free` free it
/// (SecureBuffer+Recycling.swift).
///
/// A buffer is written only while the code that allocated it still owns it alone (decrypting,
/// decoding, unescaping in place); after that it is shared read-only, which is what makes the
/// `@unchecked Sendable` sound.
final class SecureBuffer: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let count: Int

    init(count: Int) {
        precondition(Sodium.ready && count >= 0)
        if let kept = Self.takeKept(count: count) {
            base = kept
        } else if let allocated = Sodium.allocateGuarded(count: Swift.max(count, 1)) {
            base = allocated
        } else {
            fatalError("tokenvault: out of guarded memory (sodium_malloc of \(count) bytes failed)")
        }
        self.count = count
    }

    convenience init(copying bytes: UnsafeRawBufferPointer) {
        self.init(count: bytes.count)
        if let source = bytes.baseAddress, bytes.count > 0 {
            self.base.copyMemory(from: source, byteCount: bytes.count)
        }
    }

    deinit {
        Self.keep(base, count: count)
    }

    var bytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: base, count: count)
    }

    func bytes(in range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.lowerBound >= 0 && range.upperBound <= count)
        return UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }
}

/// A growable byte sink in guarded memory, for building plaintext (JSON payloads, form bodies)
/// without ever placing it in an `Array` or a `String`.
struct SecureWriter: ~Copyable {
    private(set) var buffer: SecureBuffer
    private(set) var count = 0

    init(capacity: Int = 4096) {
        buffer = SecureBuffer(count: capacity)
    }

    mutating func reserve(_ extra: Int) {
        let needed = count + extra
        guard needed > buffer.count else { return }
        var capacity = buffer.count
        while capacity < needed { capacity *= 2 }
        let grown = SecureBuffer(count: capacity)
        grown.base.copyMemory(from: buffer.base, byteCount: count)
        buffer = grown
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        reserve(bytes.count)
        (buffer.base + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        count += bytes.count
    }

    mutating func append(_ byte: UInt8) {
        reserve(1)
        buffer.base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    mutating func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends a non-secret string (a URL, a profile name, a number).
    mutating func append(public text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    mutating func append(_ secret: Secret) {
        secret.withUnsafeBytes { append($0) }
    }

    /// Pads with ISO/IEC 7816-4 padding (`sodium_pad`) to a multiple of `blockSize`; always adds
    /// at least one byte.
    mutating func pad(toMultipleOf blockSize: Int) {
        reserve(blockSize)
        guard let padded = Sodium.pad(buffer.bytes, length: count, blockSize: blockSize) else {
            preconditionFailure("sodium_pad: buffer too small")
        }
        count = padded
    }

    var written: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: buffer.base, count: count)
    }

    /// The bytes written so far, as a `Secret`.
    consuming func finish() -> Secret {
        Secret(buffer: buffer, range: 0..<count)
    }
}
