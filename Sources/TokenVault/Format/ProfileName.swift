/// Profile names are plain identifiers: they appear in file names of other tools, shell
/// scripts and log lines, so nothing that needs quoting.
package enum ProfileName {
    /// 1 to 64 characters of `A-Z a-z 0-9 - _ .`, not starting with `.`.
    package static func isValid(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { isValid(UnsafeRawBufferPointer($0)) }
    }

    /// The same rule on the name's bytes (as a vault payload holds them).
    static func isValid(_ name: UnsafeRawBufferPointer) -> Bool {
        guard (1...64).contains(name.count), name[0] != UInt8(ascii: ".") else { return false }
        return name.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                return true
            default:
                return false
            }
        }
    }
}
