import SystemPackage
import TokenVault
#if canImport(Glibc)
import Glibc
#endif

/// What a path that names nothing was probably meant to be, for the hints: a `~` the shell did
/// not expand, a vault or a file whose name is a typo away.
enum PathGuess {
    /// `path` with a leading `~` or `~/` replaced by the home folder, when it starts so (a shell
    /// expands `~` only at the start of a word: not in `--keyfile=~/…`, a quoted value, or a
    /// systemd unit's `Environment=`).
    static func tildeExpanded(_ path: FilePath) -> FilePath? {
        let text = path.string
        guard text == "~" || text.hasPrefix("~/"),
            let home = HomeDirectory.current(variable: { name in getenv(name).map { String(cString: $0) } })
        else { return nil }
        return home.appending(String(text.dropFirst(2)))
    }

    /// The vaults a missing vault at `path` may have been meant as: those in its folder and
    /// the default vault, nearest first by name.
    static func existingVaults(near path: FilePath) -> [FilePath] {
        var vaults = VaultProbe.vaults(in: VaultLocation(path: path).directory)
        let defaultVault = VaultLocation.defaultLocation().path
        if !vaults.contains(defaultVault), case .vault = VaultProbe.look(at: defaultVault) { vaults.append(defaultVault) }
        return vaults.filter { $0 != path }
    }

    /// The vault `path` (where there is none) was most likely meant to be: its `~` expanded,
    /// or an existing vault a typo away.
    static func similarVault(to path: FilePath) -> FilePath? {
        if let expanded = tildeExpanded(path), case .vault = VaultProbe.look(at: expanded) { return expanded }
        return closest(to: path, in: existingVaults(near: path))
    }

    /// The file in `path`'s folder (not a vault) whose path is a typo away from `path`.
    static func similarFile(to path: FilePath) -> FilePath? {
        let files = VaultProbe.entries(of: VaultLocation(path: path).directory).filter { VaultProbe.look(at: $0) == .otherFile }
        return closest(to: path, in: files)
    }

    private static func closest(to path: FilePath, in candidates: [FilePath]) -> FilePath? {
        ClosestName.closest(to: path.string, in: candidates.map(\.string)).map { FilePath($0) }
    }
}
