// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "converge",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "converge", targets: ["converge"]),
        .executable(name: "converge-storage-bench", targets: ["StorageBench"]),
        .executable(name: "converge-runner-bench", targets: ["RunnerBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // Shared by every process: values, IDs, index keys, frames, messages. No process logic.
        .target(
            name: "Protocol",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // Crash points for the tests of exactly-once and recovery; inert unless CONVERGE_FAULTS is set.
        .target(name: "FaultInjection"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        // glibc's allocator controls, for the coordinator to give back the memory of closed sockets.
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        .target(
            name: "StorageNode",
            dependencies: [
                "Protocol",
                "FaultInjection",
                "CSQLite",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .systemLibrary(
            name: "CJavaScriptCore",
            path: "Sources/CJavaScriptCore",
            pkgConfig: "javascriptcoregtk-4.1",
            providers: [.apt(["libjavascriptcoregtk-4.1-dev"])]
        ),
        // Runs user JavaScript; reaches the database only through the storage client.
        .target(
            name: "FunctionRunner",
            dependencies: [
                "Protocol",
                "FaultInjection",
                "StorageClient",
                "CJavaScriptCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            resources: [.copy("Runtime/js")]
        ),
        // The front door: deployments, the runner pool, the HTTP and sync protocols, metrics.
        .target(
            name: "Coordinator",
            dependencies: [
                "Protocol",
                "FaultInjection",
                "CMalloc",
                "StorageClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // The client side of the storage protocol, for runners, the coordinator, tests and benchmarks.
        .target(
            name: "StorageClient",
            dependencies: [
                "Protocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "converge",
            dependencies: [
                "StorageNode",
                "FunctionRunner",
                "Coordinator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                "BenchHarness",
            ]
        ),
        .target(
            name: "BenchSupport",
            dependencies: ["Protocol", "CSQLite", .product(name: "Histogram", package: "hdrhistogram-swift")],
            path: "bench/Support"
        ),
        // `converge bench`: the workloads, the bench app they call, and the report they write.
        .target(
            name: "BenchHarness",
            dependencies: [
                "Protocol",
                "BenchSupport",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "bench/Harness",
            resources: [.copy("app")]
        ),
        .executableTarget(
            name: "StorageBench",
            dependencies: [
                "StorageClient",
                "BenchSupport",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "bench/StorageBench"
        ),
        .executableTarget(
            name: "RunnerBench",
            dependencies: [
                "FunctionRunner",
                "StorageClient",
                "BenchSupport",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "bench/RunnerBench",
            exclude: ["app"]
        ),
        .testTarget(name: "ProtocolTests", dependencies: [
            "Protocol", "ConvergeTestSupport", .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "StorageNodeTests", dependencies: [
            "StorageNode", "StorageClient", "ConvergeTestSupport", .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Starts real `converge` processes for the tests that cross process boundaries.
        .target(name: "ConvergeTestSupport", dependencies: [
            "StorageClient", "Protocol", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
        ], path: "Tests/TestSupport"),
        .testTarget(name: "ClusterTests", dependencies: [
            "StorageClient", "Protocol", "ConvergeTestSupport", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The coordinator's units: the query cache, runner dispatch, the function log, sync sockets and sessions.
        .testTarget(name: "CoordinatorTests", dependencies: [
            "Coordinator", "FunctionRunner", "StorageClient", "Protocol", "ConvergeTestSupport", .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
        .testTarget(
            name: "FunctionRunnerTests",
            dependencies: ["FunctionRunner", "Coordinator", "StorageClient", "Protocol", "ConvergeTestSupport"],
            exclude: ["Fixtures"]
        ),
    ]
)
