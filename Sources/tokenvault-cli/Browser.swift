import TokenVault
#if canImport(Glibc)
import Glibc
#endif

/// Opens an address in the user's browser for `login`: `$BROWSER` (a `:`-separated list of
/// commands; `%s` stands for the address, else it comes last), else `xdg-open` when it is on
/// PATH. The browser gets the environment without the vault key and is not waited for.
enum Browser {
    static func open(_ address: String) {
        if let variable = getenv("BROWSER").map({ String(cString: $0) }), !variable.isEmpty {
            for command in variable.split(separator: ":") {
                var words = command.split(separator: " ").map(String.init)
                guard !words.isEmpty else { continue }
                if words.contains(where: { $0.contains("%s") }) {
                    words = words.map { $0.replacing("%s", with: address) }
                } else {
                    words.append(address)
                }
                if Subprocess.start(words, hiding: [KeySource.keyVariable]) { return }
            }
            Reporter.warning("could not start $BROWSER; open the address above yourself")
            return
        }
        if Subprocess.start(["xdg-open", address], hiding: [KeySource.keyVariable]) { return }
        Reporter.note("no browser to open (set $BROWSER, or install xdg-open); open the address above yourself")
    }
}
