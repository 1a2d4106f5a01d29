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
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { if errno == EINTR { continue }; return }
                offset += written
            }
        }
    }
}
