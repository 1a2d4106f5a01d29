import Testing
@testable import TokenVault

/// TOKENVAULT_KEY_COMMAND's words, as README's rules split them: no shell, a few quotes.
@Suite("command words")
struct CommandWordsTests {
    @Test("quotes and backslashes as README describes them, nothing else special", arguments: [
        ("pass show tokenvault/key", ["pass", "show", "tokenvault/key"]),
        ("  systemd-creds\tdecrypt --name=k /etc/credstore.encrypted/k -  ", ["systemd-creds", "decrypt", "--name=k", "/etc/credstore.encrypted/k", "-"]),
        ("sh -c 'echo $HOME | tr a b'", ["sh", "-c", "echo $HOME | tr a b"]),
        (#"say "a \"quoted\" \\ word" \n"#, ["say", #"a "quoted" \ word"#, "n"]),
        (#"one\ word "two"'three' ''"#, ["one word", "twothree", ""]),
        (#""keep \n as is""#, [#"keep \n as is"#]),
        ("~/bin/key $VAR *.key >out", ["~/bin/key", "$VAR", "*.key", ">out"]),
    ])
    func split(_ line: String, _ words: [String]) throws {
        #expect(try CommandWords.split(line) == words)
    }

    @Test("no word, an open quote or a final backslash is refused", arguments: [
        ("", CommandWords.SplitError.empty), ("   \t ", .empty),
        ("pass show 'key", .unterminated), (#"pass "key"#, .unterminated), (#"pass key\"#, .unterminated),
    ])
    func refused(_ line: String, _ error: CommandWords.SplitError) {
        #expect(throws: error) { try CommandWords.split(line) }
    }
}
