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
    ],
    targets: [
        .target(name: "CLinux"),
        .target(
            name: "DevenvStore",
            dependencies: [
                "CLinux",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .executableTarget(
            name: "devenv",
            dependencies: [
                "DevenvStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "DevenvStoreTests",
            dependencies: ["DevenvStore", "TestSupport"]
        ),
        .testTarget(
            name: "DevenvCLITests",
            dependencies: ["devenv", "DevenvStore", "TestSupport"]
        ),
    ]
)
