import SystemPackage
import TokenVault
#if canImport(Glibc)
import Glibc
#endif

/// Opens an address in the user's browser for `login`: `$BROWSER` (a `:`-separated list of
/// commands; `%s` stands for what to open, else it comes last), else `xdg-open` when it is on
/// PATH. The browser gets the environment without the vault key and is not waited for.
///
/// The browser is given the path of a page that sends it on to the address, not the address
/// itself: a command line is readable by every user in /proc/PID/cmdline, and the address
/// carries this sign-in's state and PKCE challenge, with which another local user could start a
/// sign-in to their own account and send its code to tokenvault's listener first. The page is a
/// 0600 file in a 0700 folder of this user's; `Page.remove()` deletes both once the sign-in is
/// over.
enum Browser {
    /// The page and its folder, until the sign-in ends.
    final class Page {
        let folder: String
        let file: String

        init(folder: String, file: String) {
            self.folder = folder
            self.file = file
        }

        func remove() {
            unlink(file)
            rmdir(folder)
        }
    }

    /// Starts the browser at `address`; the page it was given, if any, for `remove()` later.
    static func open(_ address: String) -> Page? {
        guard let page = writePage(address) else {
            Reporter.note("could not write the page that opens the address; open the address above yourself")
            return nil
        }
        if let variable = getenv("BROWSER").map({ String(cString: $0) }), !variable.isEmpty {
            for command in variable.split(separator: ":") {
                var words = command.split(separator: " ").map(String.init)
                guard !words.isEmpty else { continue }
                if words.contains(where: { $0.contains("%s") }) {
                    words = words.map { $0.replacing("%s", with: page.file) }
                } else {
                    words.append(page.file)
                }
                if Subprocess.start(words, hiding: [KeySource.keyVariable]) { return page }
            }
            Reporter.warning("could not start $BROWSER; open the address above yourself")
            return page
        }
        if Subprocess.start(["xdg-open", page.file], hiding: [KeySource.keyVariable]) { return page }
        Reporter.note("no browser to open (set $BROWSER, or install xdg-open); open the address above yourself")
        return page
    }

    /// A page that sends the browser to `address`, in a new 0700 folder under $XDG_RUNTIME_DIR
    /// (else /tmp), written 0600 and exclusively.
    private static func writePage(_ address: String) -> Page? {
        let base = getenv("XDG_RUNTIME_DIR").map { String(cString: $0) }.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "/tmp"
        var template = Array("\(base)/tokenvault-login-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { return nil }
        let folder = String(cString: made)
        let file = folder + "/sign-in.html"
        let escaped = address.replacing("&", with: "&amp;").replacing("\"", with: "&quot;").replacing("<", with: "&lt;")
        let html = """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=\(escaped)">
            <title>TokenVault sign-in</title></head>
            <body><p><a href="\(escaped)">Continue to sign in</a></p></body></html>

            """
        let page = Page(folder: folder, file: file)
        do {
            let descriptor = try PrivateFile.createExclusively(FilePath(file))
            defer { try? descriptor.close() }
            try Array(html.utf8).withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws -> Void in try descriptor.writeAll(bytes) }
        } catch {
            page.remove()
            return nil
        }
        return page
    }
}
