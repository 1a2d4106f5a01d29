#if canImport(Glibc)
import Glibc
#endif

/// Login names for the uids in messages: people know whose file it is by name, not by number.
package enum UserName {
    /// The user's login name from the password database (`getpwuid_r`), or `uid N` when it has none.
    package static func of(_ uid: UInt32) -> String {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name else {
            return "uid \(uid)"
        }
        return String(cString: name)
    }

    /// The effective user's name.
    package static var current: String { of(geteuid()) }

    /// What `sudo -u` takes for the uid: its name, or `'#N'` when it has none.
    package static func sudoUser(_ uid: UInt32) -> String {
        let name = of(uid)
        return name.hasPrefix("uid ") ? "'#\(uid)'" : name
    }

    /// `'name' (uid N)`, or `uid N` alone when the uid has no name.
    package static func described(_ uid: UInt32) -> String {
        let name = of(uid)
        return name.hasPrefix("uid ") ? name : "'\(name)' (uid \(uid))"
    }
}
