import Foundation
import Logging
import MCP
import TokenVault
import TokenVaultMCP

/// Connects to an MCP server with a vault profile's token, lists the server's tools and calls one:
///
///     tokenvault-mcp-example PROFILE URL [TOOL [ARGUMENTS-JSON]]
///
/// The vault and key are found as the `tokenvault` command finds them (TOKENVAULT_PATH,
/// TOKENVAULT_KEY, TOKENVAULT_KEYFILE). Without TOOL it calls the first tool the server lists,
/// with no arguments. Prints the tools' names, one a line, then the tool's text content.
/// Exit codes: 0 success, 20 the profile needs a new sign-in, 1 any other failure, 64 usage.
@main
struct Example {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard (2...4).contains(arguments.count), let url = URL(string: arguments[1]) else {
            fail("usage: tokenvault-mcp-example PROFILE URL [TOOL [ARGUMENTS-JSON]]", status: 64)
        }
        let toolArguments: [String: Value]?
        do {
            toolArguments = try arguments.count == 4 ? decodeArguments(arguments[3]) : nil
        } catch {
            fail("error: ARGUMENTS-JSON is not a JSON object: \(error)", status: 64)
        }

        let authorizer: TokenVaultAuthorizer
        do {
            authorizer = try TokenVaultAuthorizer(profile: arguments[0])
        } catch {
            fail("error: \(error)")
        }
        let transport = HTTPClientTransport(endpoint: url, streaming: false, authorizer: authorizer)
        let client = Client(name: "tokenvault-mcp-example", version: "1.0")
        do {
            try await authorizer.rethrowingVaultErrors {
                _ = try await client.connect(transport: transport)
                let (tools, _) = try await client.listTools()
                for tool in tools { print(tool.name) }
                guard let name = arguments.count >= 3 ? arguments[2] : tools.first?.name else {
                    throw ExampleError.noTools
                }
                let (content, isError) = try await client.callTool(name: name, arguments: toolArguments)
                for case .text(let text, _, _) in content { print(text) }
                if isError == true { throw ExampleError.toolFailed(name) }
            }
            await client.disconnect()
        } catch let error as TokenVaultMCPError {
            await client.disconnect()
            let status: Int32 = if case .reauthenticationRequired = error { 20 } else { 1 }
            fail("error: \(error.problem)\ntokenvault-mcp-example: hint: \(error.hint)", status: status)
        } catch {
            await client.disconnect()
            fail("error: \(error)")
        }
    }

    static func decodeArguments(_ json: String) throws -> [String: Value] {
        try JSONDecoder().decode([String: Value].self, from: Data(json.utf8))
    }

    static func fail(_ message: String, status: Int32 = 1) -> Never {
        FileHandle.standardError.write(Data("tokenvault-mcp-example: \(message)\n".utf8))
        exit(status)
    }
}

/// Failures of the example itself.
enum ExampleError: Error, CustomStringConvertible {
    case noTools
    case toolFailed(String)

    var description: String {
        switch self {
        case .noTools: "the server lists no tools"
        case .toolFailed(let name): "the tool '\(name)' reported an error"
        }
    }
}
