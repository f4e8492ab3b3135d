// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Ferry",
    products: [
        .executable(name: "ferry", targets: ["ferry"]),
        .library(name: "FerryKit", targets: ["FerryKit", "FerrySQLite", "FerryPostgres", "FerryStores"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CLibDeflate", path: "Sources/CLibDeflate", providers: [.apt(["libdeflate-dev"])]),
        .target(name: "CFerrySystem", path: "Sources/CFerrySystem"),
        // The core: changesets, codecs, export, import, sync. It speaks to databases only
        // through the Store protocol, and cannot import a database's C API.
        .target(
            name: "FerryKit",
            dependencies: [
                "CZlib", "CLibDeflate", "CFerrySystem",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // The stores call the core's encoders per cell (JSONBuffer, XXH64, PortableRow):
            // full cross-module optimisation lets those calls inline again across the target
            // boundary (an incremental export ran 10-15% slower without it).
            swiftSettings: [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]
        ),
        .target(name: "FerrySQLite", dependencies: ["FerryKit", "CSQLite"]),
        // PostgreSQL keeps an import's scratch key map in a local SQLite file.
        .target(name: "FerryPostgres", dependencies: ["FerryKit", "FerrySQLite", "CLibPQ"]),
        // Opens what --db names (a path or a URI), and the demo that uses both stores.
        .target(name: "FerryStores", dependencies: ["FerryKit", "FerrySQLite", "FerryPostgres"]),
        .executableTarget(
            name: "ferry",
            dependencies: [
                "FerryKit", "FerrySQLite", "FerryPostgres", "FerryStores",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "FerryKitTests", dependencies: ["FerryKit", "FerrySQLite", "FerryPostgres", "FerryStores", "CSQLite"]),
        .testTarget(name: "ferryTests", dependencies: ["ferry", "FerryKit", "FerrySQLite", "FerryPostgres", "FerryStores"]),
    ]
)
