import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The user's home folder, for the default paths under it.
package enum HomeDirectory {
    /// `HOME` when set and not empty, else the effective user's home folder in the password
    /// database (`getpwuid_r`), else `nil`. `variable` reads the environment by name.
    package static func current(variable: (String) -> String?) -> FilePath? {
        if let home = variable("HOME"), !home.isEmpty { return FilePath(home) }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(geteuid(), &entry, &buffer, buffer.count, &result) == 0, result != nil, let directory = entry.pw_dir,
            directory.pointee != 0
        else { return nil }
        return FilePath(String(cString: directory))
    }
}
