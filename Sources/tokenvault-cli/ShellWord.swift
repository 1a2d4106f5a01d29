import TokenVault

/// A word of a command line a person copies into a POSIX shell: as it is when the shell would
/// read it back unchanged, otherwise in single quotes.
enum ShellWord {
    static func quoted(_ word: String) -> String {
        // Control characters cannot be pasted back faithfully and must not reach a terminal.
        let word = PrintableText.clean(word, limit: nil)
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "@", "%", "+", "=", ":", ",", ".", "/", "_", "-": return true
            default: return false
            }
        }
        if plain { return word }
        return "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: #"'\''"#) + "'"
    }
}
