import SystemPackage

/// The one record a lock file may hold at its start: a number as 20 decimal digits and a newline.
/// The writer lock keeps the highest generation written there (`FileVaultBackend`), a refresh
/// lock until when its holder's request may still arrive (`RefreshFileLock`).
enum LockFileRecord {
    static let length = 21

    static func encode(_ value: UInt64) -> [UInt8] {
        let digits = String(value)
        return Array((String(repeating: "0", count: length - 1 - digits.count) + digits + "\n").utf8)
    }

    /// The number at the start of the file open at `descriptor`; `nil` when it holds no record
    /// (nothing written yet, an older tokenvault, or anything else).
    static func read(from descriptor: FileDescriptor) -> UInt64? {
        var text = [UInt8](repeating: 0, count: length)
        guard let count = try? text.withUnsafeMutableBytes({ try descriptor.read(fromAbsoluteOffset: 0, into: $0) }),
              count == length, text.last == UInt8(ascii: "\n") else { return nil }
        var value: UInt64 = 0
        for digit in text.dropLast() {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = times.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
            guard !overflow, !carry else { return nil }
            value = sum
        }
        return value
    }
}
