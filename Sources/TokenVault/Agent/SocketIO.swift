import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Reading one line and writing all bytes on a connected socket, within a deadline.
enum SocketIO {
    enum LineFailure: Error {
        case tooLong
        case timedOut
        /// End of stream or an error before the newline.
        case closed(Errno?)
    }

    /// Reads up to a newline into a guarded buffer of `limit` bytes; returns the buffer and the
    /// line's length (without the newline). Gives up at `deadline` (monotonic seconds).
    static func readLine(from socket: FileDescriptor, limit: Int, deadline: Double) throws(LineFailure) -> (SecureBuffer, Int) {
        let buffer = SecureBuffer(count: limit)
        var count = 0
        while true {
            let left = deadline - MonotonicClock.now
            guard left > 0 else { throw .timedOut }
            var watched = pollfd(fd: socket.rawValue, events: Int16(POLLIN), revents: 0)
            let ready = poll(&watched, 1, Int32(min(left * 1000, 60_000)) + 1)
            if ready < 0 { if errno == EINTR { continue }; throw .closed(Errno(rawValue: errno)) }
            if ready == 0 { continue }
            let got = recv(socket.rawValue, buffer.base + count, limit - count, Int32(MSG_DONTWAIT))
            if got < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw .closed(Errno(rawValue: errno))
            }
            if got == 0 { throw .closed(nil) }
            let bytes = UnsafeRawBufferPointer(start: buffer.base + count, count: got)
            if let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) { return (buffer, count + newline) }
            count += got
            guard count < limit else { throw .tooLong }
        }
    }

    /// Writes every byte (no SIGPIPE when the peer is gone); `false` when the peer went away.
    @discardableResult
    static func writeAll(_ bytes: UnsafeRawBufferPointer, to socket: FileDescriptor) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = send(socket.rawValue, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if sent < 0 { if errno == EINTR { continue }; return false }
            offset += sent
        }
        return true
    }

    @discardableResult
    static func writeAll(_ text: String, to socket: FileDescriptor) -> Bool {
        var text = text
        return text.withUTF8 { writeAll(UnsafeRawBufferPointer($0), to: socket) }
    }

    /// Send and receive time limits, so that a blocked peer cannot hold a thread forever.
    static func setTimeouts(_ socket: FileDescriptor, seconds: Int) {
        var limit = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(socket.rawValue, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket.rawValue, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }
}
