import Foundation
import Testing

/// JSON text of token values that are not tokens: each holds the secret marker, so a message that
/// quoted the value would show it.
private let notTokens: [String] = [
    #""\#(secretMarker)-line\nbreak""#,
    #""\#(secretMarker)-escape\u001b[31m""#,
    #""\#(secretMarker)-nul\u0000""#,
    #""\#(secretMarker) space""#,
    #""\#(secretMarker)-caf\u00e9""#,
    #""\#(secretMarker)-café""#,
    #""{\"access_token\": \"\#(secretMarker)-inside\"}""#,
    #"{"access_token":"\#(secretMarker)-object"}"#,
    #"["\#(secretMarker)-array"]"#,
    "12345",
]

@Suite("token input shape")
struct TokenInputShapeTests {
    @Test("import refuses an access_token or refresh_token that is not visible ASCII, from stdin or --from, naming the member and not the value",
          arguments: ["access_token", "refresh_token"], notTokens)
    func notTokenShaped(_ member: String, _ value: String) throws {
        let other = member == "access_token" ? "refresh_token" : "access_token"
        let json = #"{"\#(member)":\#(value),"\#(other)":"\#(secretMarker)-fine"}"#
        let sandbox = try Sandbox()
        let file = sandbox.directory.file("tokens.json")
        _ = FileManager.default.createFile(atPath: file, contents: Data(json.utf8), attributes: [.posixPermissions: 0o600])
        let importLine = ["import", "p", "--token-endpoint", "https://auth.example.com/token", "--client-id", "c"]
        for (arguments, stdin) in [(importLine, json), (importLine + ["--from", file], nil)] {
            let result = try sandbox.run(arguments, stdin: stdin)
            #expect(result.status == 19, "\(arguments.suffix(2)): \(result.stderr)")
            #expect(result.stderr.contains("tokenvault: error: \(member) in the token input is not "), "\(result.stderr)")
            #expect(!result.output.contains(secretMarker))
            #expect(try sandbox.profileNames() == [])
        }
    }

    @Test("null or an empty string is an absent token, as before")
    func absentTokens() throws {
        let sandbox = try Sandbox()
        let importLine = ["import", "p", "--token-endpoint", "https://auth.example.com/token", "--client-id", "c"]
        try sandbox.expectSuccess(importLine, stdin: #"{"access_token":"\#(secretMarker)-at","refresh_token":null}"#)
        try sandbox.expectSuccess(importLine, stdin: #"{"access_token":"","refresh_token":"\#(secretMarker)-rt"}"#)
        #expect(try sandbox.profileNames() == ["p"])
    }
}
