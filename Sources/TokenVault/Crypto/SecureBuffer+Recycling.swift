import Synchronization

/// Released guarded allocations, kept for the next `SecureBuffer` of the same size.
///
/// A `sodium_malloc` and `sodium_free` pair is a dozen system calls (mmap, mprotect of the guard
/// pages, mlock, madvise, and their undoing: about 25 µs on a VM), more than everything else in
/// opening a small vault, and the same few sizes come back on every open and seal: 32-byte
/// sealing keys, the payload, the writer that builds it. A kept allocation was zeroed on release
/// like any other, and keeps its guard pages (it is reused only at its exact size, so they still
/// sit right after the data), its lock and `MADV_DONTDUMP`. Of allocations of at most 64 KiB the
/// eight released last are kept, an older one is freed; of larger ones, the one released last.
/// A large one is a vault's payload: a store's write releases the payload of its previous write,
/// and its next write needs one of the same size (`VaultPayload.encode` rounds it to 64 KiB), so
/// a write of a large vault reuses the pages instead of mapping, locking and filling them again.
extension SecureBuffer {
    private struct Kept: @unchecked Sendable {
        let base: UnsafeMutableRawPointer
        let count: Int
    }

    private static let kept = Mutex<[Kept]>([])
    private static let keptLarge = Mutex<Kept?>(nil)
    private static let largestKept = 64 * 1024
    private static let mostKept = 8

    /// A kept, zeroed allocation of exactly `count` bytes, if there is one.
    static func takeKept(count: Int) -> UnsafeMutableRawPointer? {
        guard count <= largestKept else {
            return keptLarge.withLock { large in
                guard let kept = large, kept.count == count else { return nil }
                large = nil
                return kept.base
            }
        }
        return kept.withLock { kept in
            kept.firstIndex { $0.count == count }.map { kept.remove(at: $0).base }
        }
    }

    /// Zeroes and keeps a released allocation, freeing the oldest kept one when there are too
    /// many (for a large one, the large one kept before).
    static func keep(_ base: UnsafeMutableRawPointer, count: Int) {
        Sodium.zero(UnsafeMutableRawBufferPointer(start: base, count: count))
        guard count <= largestKept else {
            let replaced = keptLarge.withLock { large in
                defer { large = Kept(base: base, count: count) }
                return large
            }
            if let replaced { Sodium.freeGuarded(replaced.base) }
            return
        }
        let evicted = kept.withLock { kept -> Kept? in
            kept.append(Kept(base: base, count: count))
            return kept.count > mostKept ? kept.removeFirst() : nil
        }
        if let evicted { Sodium.freeGuarded(evicted.base) }
    }
}
