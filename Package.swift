// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "devenv",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "devenv", targets: ["devenv"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        .target(name: "CLinux"),
        // libarchive, libgit2, libcurl and libzstd are loaded on first use
        // (Sources/CLinux/include/DevenvLazy.h).
        .target(name: "CArchive", dependencies: ["CLinux"]),
        .target(name: "CGit2", dependencies: ["CLinux"]),
        .target(name: "CCurl", dependencies: ["CLinux"]),
        .target(name: "CZstd", dependencies: ["CLinux"]),
        // What every layer uses and no domain owns: system calls, trees, processes, JSON, TOML,
        // shell syntax, quantities, the platform (docs/architecture.md).
        .target(
            name: "DevenvBasics",
            dependencies: ["CLinux", .product(name: "TOMLKit", package: "TOMLKit")]
        ),
        .target(
            name: "DevenvStore",
            dependencies: [
                "DevenvBasics",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "DevenvFetch",
            dependencies: [
                "DevenvBasics", "DevenvStore", "CArchive", "CGit2", "CCurl", "CZstd",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "DevenvBuild",
            dependencies: ["DevenvBasics", "DevenvStore", "DevenvFetch", "DevenvCache"]
        ),
        .executableTarget(name: "embed-files"),
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["embed-files"]),
        .target(
            name: "DevenvPackages",
            dependencies: ["DevenvBasics", "DevenvStore", "DevenvFetch", "DevenvBuild"],
            plugins: ["EmbedFiles"]
        ),
        .target(
            name: "DevenvNixLang",
            dependencies: [
                "DevenvStore", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            // Lest TOMLKit's operators, seen through DevenvStore, make `==` on optionals ambiguous.
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
        .target(
            name: "DevenvProject",
            dependencies: [
                "DevenvBasics", "DevenvStore", "DevenvFetch", "DevenvCache", "DevenvBuild", "DevenvPackages",
                "DevenvNixLang",
            ],
            plugins: ["EmbedFiles"]
        ),
        .target(
            name: "DevenvShell",
            dependencies: [
                "DevenvBasics", "DevenvBuild", "DevenvProject", "DevenvStore", "DevenvFetch", "DevenvPackages",
                "DevenvCache",
            ],
            plugins: ["EmbedFiles"]
        ),
        .target(
            name: "DevenvCache",
            dependencies: [
                "DevenvBasics", "DevenvStore", "DevenvFetch", .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "DevenvServices",
            dependencies: ["CLinux", "DevenvBasics", "DevenvProject"]
        ),
        .target(
            name: "DevenvContainer",
            dependencies: ["CArchive", "DevenvBasics", "DevenvStore", "DevenvFetch", "DevenvBuild", "DevenvProject"]
        ),
        .executableTarget(
            name: "devenv",
            dependencies: [
                "DevenvBasics",
                "DevenvStore",
                "DevenvFetch",
                "DevenvBuild",
                "DevenvPackages",
                "DevenvProject",
                "DevenvShell",
                "DevenvServices",
                "DevenvContainer",
                "DevenvCache",
                "DevenvNixLang",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "TestSupport", dependencies: ["DevenvBasics", "DevenvStore", "DevenvFetch", "DevenvBuild"],
            path: "Tests/TestSupport"),
        .testTarget(
            name: "DevenvBasicsTests",
            dependencies: ["DevenvBasics", "TestSupport"]
        ),
        .testTarget(
            name: "DevenvNixLangTests",
            dependencies: ["DevenvNixLang", "TestSupport"]
        ),
        .testTarget(
            name: "DevenvStoreTests",
            dependencies: ["DevenvBasics", "DevenvStore", "TestSupport"]
        ),
        .testTarget(
            name: "DevenvFetchTests",
            dependencies: ["DevenvBasics", "DevenvFetch", "DevenvStore", "TestSupport"]
        ),
        .testTarget(
            name: "DevenvBuildTests",
            dependencies: ["DevenvBasics", "DevenvBuild", "DevenvFetch", "DevenvStore", "TestSupport"]
        ),
        .testTarget(
            name: "DevenvPackagesTests",
            dependencies: ["DevenvBasics", "DevenvPackages", "DevenvBuild", "DevenvStore", "TestSupport"]
        ),
        .testTarget(
            name: "DevenvProjectTests",
            dependencies: ["DevenvBasics", "DevenvProject", "DevenvBuild", "DevenvStore", "TestSupport"]
        ),
        .testTarget(
            name: "DevenvShellTests",
            dependencies: ["DevenvBasics", "DevenvShell", "DevenvProject", "DevenvBuild", "DevenvFetch", "TestSupport"]
        ),
        .testTarget(
            name: "DevenvCacheTests",
            dependencies: ["DevenvBasics", "DevenvCache", "DevenvStore", "TestSupport"]
        ),
        .testTarget(
            name: "DevenvContainerTests",
            dependencies: ["DevenvContainer", "DevenvStore", "TestSupport"]
        ),
        .testTarget(
            name: "DevenvServicesTests",
            dependencies: ["DevenvBasics", "DevenvServices", "DevenvProject", "TestSupport"]
        ),
        .testTarget(
            name: "DevenvCLITests",
            dependencies: [
                "DevenvBasics", "devenv", "DevenvStore", "DevenvBuild", "DevenvPackages", "DevenvProject",
                "DevenvCache", "TestSupport",
            ]
        ),
    ]
)
