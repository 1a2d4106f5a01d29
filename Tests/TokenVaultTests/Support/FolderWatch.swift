import Foundation
@testable import TokenVault
#if canImport(Glibc)
import Glibc
#endif

/// The names created, renamed and deleted in one folder, as inotify reports them, so that a test
/// acts the moment another process reaches a step (a writer creating its temp file) instead of
/// after a guessed sleep.
final class FolderWatch {
    enum Change: Equatable {
        case created(String)
        case renamedAway(String)
        case renamedHere(String)
        case deleted(String)
    }

    private let descriptor: Int32
    private var pending: [Change] = []

    init(_ folder: String) throws {
        descriptor = inotify_init1(Int32(IN_CLOEXEC) | Int32(IN_NONBLOCK))
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let mask = UInt32(IN_CREATE) | UInt32(IN_MOVED_FROM) | UInt32(IN_MOVED_TO) | UInt32(IN_DELETE)
        guard inotify_add_watch(descriptor, folder, mask) >= 0 else {
            close(descriptor)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    deinit {
        close(descriptor)
    }

    /// The next change, waiting at most `timeout` seconds; `nil` when none came in that time.
    func next(timeout: Double) -> Change? {
        let deadline = MonotonicClock.now + timeout
        while pending.isEmpty {
            let left = deadline - MonotonicClock.now
            guard left > 0 else { return nil }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(min(left, 1) * 1000) + 1) > 0 else { continue }
            readEvents()
        }
        return pending.removeFirst()
    }

    /// Waits up to `timeout` seconds for a change `matching`; the changes before it are dropped.
    func wait(timeout: Double, for matching: (Change) -> Bool) -> Change? {
        let deadline = MonotonicClock.now + timeout
        while let change = next(timeout: max(0, deadline - MonotonicClock.now)) {
            if matching(change) { return change }
        }
        return nil
    }

    /// Forgets every change reported so far.
    func drain() {
        readEvents()
        pending.removeAll()
    }

    private func readEvents() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return }
        // struct inotify_event: wd, mask, cookie, len (four 32-bit fields), then len bytes of
        // NUL-padded name.
        var offset = 0
        while offset + 16 <= count {
            let (mask, length) = buffer.withUnsafeBytes { raw in
                (raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                 Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)))
            }
            let nameBytes = buffer[(offset + 16)..<(offset + 16 + length)].prefix { $0 != 0 }
            let name = String(decoding: nameBytes, as: UTF8.self)
            if mask & UInt32(IN_CREATE) != 0 { pending.append(.created(name)) }
            if mask & UInt32(IN_MOVED_FROM) != 0 { pending.append(.renamedAway(name)) }
            if mask & UInt32(IN_MOVED_TO) != 0 { pending.append(.renamedHere(name)) }
            if mask & UInt32(IN_DELETE) != 0 { pending.append(.deleted(name)) }
            offset += 16 + length
        }
    }
}
