#if canImport(Glibc)
import Glibc
#endif

/// stdout for the token: its bytes and a newline in one `writev`, straight from guarded memory,
/// as the full command's one `write` of the same bytes.
enum StandardOutput {
    static func writeLine(_ bytes: UnsafeRawBufferPointer) {
        var newline: UInt8 = 0x0A
        withUnsafeMutablePointer(to: &newline) { newlinePointer in
            var parts = (
                iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count),
                iovec(iov_base: UnsafeMutableRawPointer(newlinePointer), iov_len: 1)
            )
            withUnsafeMutableBytes(of: &parts) { raw in
                let vector = raw.baseAddress!.assumingMemoryBound(to: iovec.self)
                var first = 0
                while first < 2 {
                    let written = writev(STDOUT_FILENO, vector + first, Int32(2 - first))
                    if written < 0 { if errno == EINTR { continue }; return }
                    if written == 0 { return }
                    // Skip what was written: whole parts, then into the part that was cut.
                    var left = written
                    while first < 2, left >= vector[first].iov_len {
                        left -= vector[first].iov_len
                        first += 1
                    }
                    if first < 2 {
                        vector[first].iov_base = vector[first].iov_base! + left
                        vector[first].iov_len -= left
                    }
                }
            }
        }
    }
}
