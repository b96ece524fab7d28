// swift-tools-version: 6.0
// ocislim: read an OCI image layout → plan → rewrite layers (Python minimization) → write a new layout → report.
import Foundation
import PackageDescription

/// ISA-L's inflate is used where its headers are installed (Debian: libisal-dev, which scripts/setup.sh installs);
/// elsewhere, or with OCISLIM_WITHOUT_ISAL=1 in the environment, gzip layers are inflated by zlib.
let hasISAL =
    ProcessInfo.processInfo.environment["OCISLIM_WITHOUT_ISAL"] != "1"
    && ["/usr/include/isa-l/igzip_lib.h", "/usr/local/include/isa-l/igzip_lib.h"].contains {
        FileManager.default.fileExists(atPath: $0)
    }

let package = Package(
    name: "ocislim",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ocislim", targets: ["ocislim"]),
        .library(name: "OCISlim", targets: ["OCISlim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        // MARK: C libraries, one module each, found through pkg-config.
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        .systemLibrary(name: "CIsal", pkgConfig: "libisal", providers: [.apt(["libisal-dev"])]),

        // MARK: Thin Swift wrappers that hide every pointer.
        .target(name: "ByteIO"),
        .target(name: "Hashing", dependencies: ["CCrypto", "ByteIO"]),
        .target(
            name: "Codecs",
            dependencies: ["CZlib", "CZstd", "CDeflate", "ByteIO"] + (hasISAL ? ["CIsal"] : []),
            swiftSettings: hasISAL ? [.define("OCISLIM_ISAL")] : []
        ),
        .target(name: "TarStream", dependencies: ["CArchive", "ByteIO"]),

        // MARK: The domain: the OCI image model and the Python minimizer. No C modules here.
        .target(name: "OCIImage", dependencies: ["ByteIO", "Hashing", "Codecs"]),
        .target(name: "ImageArchive", dependencies: ["ByteIO", "Hashing", "Codecs", "TarStream", "OCIImage"]),
        .target(name: "PythonMinimizer"),

        // MARK: The pipeline: read layout → plan → rewrite layers → write documents → report.
        .target(
            name: "OCISlim",
            dependencies: [
                "ByteIO", "Hashing", "Codecs", "TarStream", "OCIImage", "ImageArchive", "PythonMinimizer",
            ]
        ),

        // MARK: `verify`: both images materialised on disk, their Python modules imported in bubblewrap sandboxes.
        .target(
            name: "ImageVerify",
            dependencies: ["OCISlim", "OCIImage", "ByteIO", "Codecs", "TarStream", "CArchive"]
        ),

        // MARK: The command line: parse arguments, call the pipeline, print; the executable only runs it.
        .target(
            name: "OCISlimCLI",
            dependencies: [
                "OCISlim", "ImageVerify", "ByteIO", "Codecs", "PythonMinimizer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            plugins: ["BuildInfo"]
        ),
        // The commit the binary is built from, generated before every build (`ocislim --version`, the JSON report).
        .plugin(name: "BuildInfo", capability: .buildTool()),
        .executableTarget(
            name: "ocislim",
            dependencies: ["OCISlimCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        // MARK: The building blocks' speed, for `make bench` (not a product).
        .executableTarget(name: "ocislim-bench", dependencies: ["ByteIO", "Hashing", "Codecs"]),

        // MARK: Tests, one target per library, sharing one home for fixtures and the process runner.
        .target(
            name: "TestSupport", dependencies: ["ByteIO", "Codecs", "Hashing", "OCIImage", "TarStream"],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "ByteIOTests", dependencies: ["ByteIO", "TestSupport"]),
        .testTarget(name: "HashingTests", dependencies: ["Hashing", "ByteIO", "TestSupport"]),
        .testTarget(name: "CodecsTests", dependencies: ["Codecs", "ByteIO", "Hashing", "TestSupport"]),
        .testTarget(name: "TarStreamTests", dependencies: ["TarStream", "ByteIO", "TestSupport"]),
        .testTarget(name: "OCIImageTests", dependencies: ["OCIImage", "ByteIO", "Hashing", "TestSupport"]),
        .testTarget(name: "PythonMinimizerTests", dependencies: ["PythonMinimizer", "Hashing", "TestSupport"]),
        .testTarget(
            name: "ImageArchiveTests",
            dependencies: ["ImageArchive", "OCIImage", "TarStream", "ByteIO", "Hashing", "TestSupport"]
        ),
        .testTarget(
            name: "OCISlimTests",
            dependencies: [
                "OCISlim", "OCIImage", "ImageArchive", "TarStream", "Codecs", "ByteIO", "Hashing", "PythonMinimizer",
                "TestSupport",
            ]
        ),
        .testTarget(
            name: "ImageVerifyTests",
            dependencies: ["ImageVerify", "OCISlim", "OCIImage", "TarStream", "ByteIO", "Codecs", "TestSupport"]
        ),
        .testTarget(
            name: "OCISlimCLITests",
            dependencies: [
                "OCISlimCLI", "ImageVerify", "OCISlim", "OCIImage", "ByteIO", "Codecs", "PythonMinimizer",
                "TestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// MARK: Fuzz targets
// libFuzzer harnesses (Sources/ocislim-fuzz), declared only when OCISLIM_FUZZ=1, which `make fuzz` sets: they link
// libFuzzer's runtime, which only a build with `-Xswiftc -sanitize=fuzzer` provides, so plain builds never see them.
if ProcessInfo.processInfo.environment["OCISLIM_FUZZ"] == "1" {
    let harnesses: [(name: String, dependencies: [Target.Dependency])] = [
        ("json", ["OCIImage", "OCISlim"]),
        ("layout", ["OCISlim", "Hashing"]),
        ("tar", ["TarStream", "ByteIO", "PythonMinimizer"]),
        ("planner", ["PythonMinimizer"]),
    ]
    package.targets += [
        .systemLibrary(name: "CLibFuzzer", path: "Sources/ocislim-fuzz/CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"], path: "Sources/ocislim-fuzz/FuzzSupport"),
    ]
    package.targets += harnesses.map {
        .executableTarget(
            name: "ocislim-fuzz-\($0.name)", dependencies: ["FuzzSupport"] + $0.dependencies,
            path: "Sources/ocislim-fuzz/\($0.name)"
        )
    }
}
