// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "TokenVault",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "TokenVault", targets: ["TokenVault"]),
        // What users and apps run: `tokenvault token PROFILE` on a valid token, quick to start;
        // every other command line it hands to tokenvault-cli, installed beside it.
        .executable(name: "tokenvault", targets: ["tokenvault"]),
        .executable(name: "tokenvault-cli", targets: ["tokenvault-cli"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        // Headers only: libcurl is loaded with dlopen on the first request, so no pkgConfig
        // (it would add -lcurl). Sources/CCurl/shim.h says why.
        .systemLibrary(
            name: "CCurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // Headers only: prctl, setrlimit and the signal handlers that must be async-signal-safe
        // (crash reports, restoring a terminal's echo). Sources/CProcess/shim.h says why.
        .systemLibrary(name: "CProcess"),
        // sync_file_range, which Glibc's Swift module leaves out (Sources/CFile/shim.h).
        .systemLibrary(name: "CFile"),
        // libpq's prototypes, declared in the shim: libpq is loaded with dlopen by the first
        // PostgreSQL vault, so file vaults' users neither load it nor need its headers to build
        // (Sources/CPostgres/shim.h).
        .systemLibrary(name: "CPostgres"),
        .target(
            name: "TokenVault",
            dependencies: [
                "CSodium",
                "CCurl",
                "CProcess",
                "CFile",
                "CPostgres",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The front: the library alone (no swift-argument-parser, no Foundation, no async main),
        // linked as a static executable (libsodium.a from libsodium-dev, glibc, the Swift
        // runtime): no dynamic loader, no relocations, about 1 ms less start-up. It never loads
        // libcurl (a token to refresh goes to tokenvault-cli), and owner names in error texts
        // (getpwuid_r) are thrown away with the error it hands to tokenvault-cli, so glibc's
        // notes that dlopen and getpwuid_r in a static executable need the build's glibc at run
        // time do not apply to what it runs. Linked with the toolchain's lld, which does not
        // print those notes (GNU ld and gold print them on every build).
        // Sources/tokenvault/Front.swift says what it serves itself.
        .executableTarget(
            name: "tokenvault",
            dependencies: ["TokenVault"],
            linkerSettings: [.unsafeFlags(["-static-executable", "-use-ld=lld"])]
        ),
        // The full command, every subcommand; the front runs it with execv. Linked with the
        // toolchain's lld as the front is: with --static-swift-stdlib, GNU ld and gold print a
        // note on every build about the static Foundation's use of mktemp, which lld does not.
        .executableTarget(
            name: "tokenvault-cli",
            dependencies: [
                "TokenVault",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            linkerSettings: [.unsafeFlags(["-use-ld=lld"])]
        ),
        .executableTarget(
            name: "tokenvault-bench",
            dependencies: [
                "TokenVault",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Benchmarks/TokenVaultBenchmarks"
        ),
        // The parsers' fuzz target: libFuzzer's when scripts/fuzz builds it (-D FUZZING, with
        // sanitizers), otherwise a corpus replayer that the tests run. Not part of any product.
        .executableTarget(
            name: "tokenvault-fuzz",
            dependencies: ["TokenVault"]
        ),
        .testTarget(
            name: "TokenVaultTests",
            dependencies: [
                "TokenVault",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            exclude: ["JSON/JSONCases", "Import/ClientStores"],
            resources: [.copy("Vectors")]
        ),
    ]
)
