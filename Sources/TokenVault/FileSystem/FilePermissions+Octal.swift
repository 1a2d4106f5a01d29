import SystemPackage

extension FilePermissions {
    /// The mode as four octal digits (`0600`, `1777`), as `chmod` and `ls -l` readers know it.
    package var octal: String {
        let digits = String(rawValue & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
