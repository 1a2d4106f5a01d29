/// Splitting a command line written in a variable (`TOKENVAULT_KEY_COMMAND`) into its words,
/// without a shell. The rules, a small part of the shell's:
/// - spaces and tabs separate words;
/// - inside '…' every character is itself;
/// - inside "…" a backslash keeps the `"` or `\` after it, and is itself before anything else;
/// - outside quotes a backslash keeps the character after it;
/// - nothing else is special: no variables, no `~`, no globs, no pipes or redirections
///   (write `sh -c '…'` for those).
package enum CommandWords {
    /// Why a command line cannot be split.
    package enum SplitError: Error, Sendable, Equatable {
        /// It holds no word.
        case empty
        /// A quote that is not closed, or a backslash at the very end.
        case unterminated
    }

    /// The words of `line`.
    package static func split(_ line: String) throws(SplitError) -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false
        var iterator = line.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            switch scalar {
            case " ", "\t", "\n":
                if inWord { words.append(word) }
                word = ""
                inWord = false
            case "'":
                inWord = true
                while true {
                    guard let next = iterator.next() else { throw .unterminated }
                    if next == "'" { break }
                    word.unicodeScalars.append(next)
                }
            case "\"":
                inWord = true
                while true {
                    guard let next = iterator.next() else { throw .unterminated }
                    if next == "\"" { break }
                    if next == "\\" {
                        guard let escaped = iterator.next() else { throw .unterminated }
                        if escaped != "\"" && escaped != "\\" { word.unicodeScalars.append(next) }
                        word.unicodeScalars.append(escaped)
                    } else {
                        word.unicodeScalars.append(next)
                    }
                }
            case "\\":
                guard let escaped = iterator.next() else { throw .unterminated }
                inWord = true
                word.unicodeScalars.append(escaped)
            default:
                inWord = true
                word.unicodeScalars.append(scalar)
            }
        }
        if inWord { words.append(word) }
        guard !words.isEmpty else { throw .empty }
        return words
    }
}
