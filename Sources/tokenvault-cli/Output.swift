import ArgumentParser
import Logging
import TokenVault
#if canImport(Glibc)
import Glibc
#endif

/// stdout without buffering surprises: one write of the whole text.
enum Output {
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    /// A token from guarded memory and a newline, without a String copy.
    static func writeLine(_ bytes: UnsafeRawBufferPointer) {
        write(bytes)
        write("\n")
    }

    private static func write(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
            if written <= 0 { if errno == EINTR { continue }; return }
            offset += written
        }
    }
}
