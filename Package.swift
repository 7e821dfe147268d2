// swift-tools-version:6.0
import PackageDescription

/// Kernels must reach the CPU's FMA units: x86-64-v3 (Haswell) is the baseline every
/// machine we run on supports; never build for the host CPU (DEVELOPERS.md).
let kernelFlags: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-Xcc", "-march=x86-64-v3", "-target-cpu", "haswell"]),
]

let package = Package(
    name: "Vigil",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
        .library(name: "VigilEngine", targets: ["VigilEngine"]),
        .library(name: "VigilMedia", targets: ["VigilMedia"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat libavcodec libswscale libavutil",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"])]
        ),
        .systemLibrary(
            name: "CJPEG",
            pkgConfig: "libjpeg",
            providers: [.apt(["libjpeg-dev"])]
        ),
        .target(
            name: "CVigilRuntime"
        ),
        .target(
            name: "VigilEngine",
            dependencies: ["CVigilRuntime", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: kernelFlags
        ),
        .target(
            name: "VigilMedia",
            dependencies: ["CFFmpeg", "CJPEG"]
        ),
        .target(
            name: "VigilVision",
            dependencies: ["VigilEngine"]
        ),
        .target(
            name: "VigilPipeline",
            dependencies: ["VigilMedia", "VigilVision", "VigilEngine", .product(name: "Histogram", package: "hdrhistogram-swift")]
        ),
        .executableTarget(
            name: "vigil",
            dependencies: [
                "VigilEngine",
                "VigilMedia",
                "VigilVision",
                "VigilPipeline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "_TestSupport",
            dependencies: ["VigilEngine"]
        ),
        // Test-only: counts heap allocations, to prove the engine's per-frame run makes none.
        .target(
            name: "CAllocationCounter",
            path: "Tests/CAllocationCounter"
        ),
        .testTarget(
            name: "VigilEngineTests",
            dependencies: ["VigilEngine", "_TestSupport", "CAllocationCounter"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "VigilMediaTests",
            dependencies: ["VigilMedia"]
        ),
        .testTarget(
            name: "VigilCLITests",
            dependencies: ["vigil", "_TestSupport"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "VigilVisionTests",
            dependencies: ["VigilVision", "VigilEngine", "_TestSupport"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "VigilPipelineTests",
            dependencies: ["VigilPipeline", "VigilMedia", "VigilVision", "_TestSupport"]
        ),
    ]
)
