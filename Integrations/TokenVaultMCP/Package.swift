// swift-tools-version: 6.1
import PackageDescription

// TokenVault for apps that talk to MCP servers through the MCP Swift SDK. A package of its own so
// that apps using TokenVault without MCP never resolve or build the SDK.
let package = Package(
    name: "TokenVaultMCP",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "TokenVaultMCP", targets: ["TokenVaultMCP"]),
        .executable(name: "tokenvault-mcp-example", targets: ["tokenvault-mcp-example"]),
    ],
    dependencies: [
        // The repository root, whatever its checkout folder is called.
        .package(name: "TokenVault", path: "../.."),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(
            name: "TokenVaultMCP",
            dependencies: [
                .product(name: "TokenVault", package: "TokenVault"),
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Connects to an MCP server with a profile's token, lists its tools and calls one.
        .executableTarget(
            name: "tokenvault-mcp-example",
            dependencies: [
                "TokenVaultMCP",
                .product(name: "TokenVault", package: "TokenVault"),
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TokenVaultMCPTests",
            dependencies: [
                "TokenVaultMCP",
                .product(name: "TokenVault", package: "TokenVault"),
                .product(name: "MCP", package: "swift-sdk"),
            ],
            exclude: ["Support/README.md"]
        ),
    ]
)
