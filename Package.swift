// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "httpsh",
    products: [
        .library(name: "HTTPServer", targets: ["HTTPServer"]),
        .executable(name: "httpsh", targets: ["httpsh"]),
    ],
    targets: [
        // epoll, eventfd and accept4: what Glibc's Swift module lacks.
        .target(name: "CLinux"),
        // libedit through its histedit API, with fixed-arity wrappers for its variadic calls.
        .systemLibrary(
            name: "CEditLine",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]
        ),
        .target(name: "HTTPServer", dependencies: ["CLinux"]),
        .target(name: "AdminShell", dependencies: ["HTTPServer", "CEditLine", "CLinux"]),
        .executableTarget(name: "httpsh", dependencies: ["HTTPServer", "AdminShell"]),
        // A small program embedding the library: documentation that compiles (README: Embedding the server).
        .executableTarget(name: "EmbedExample", dependencies: ["HTTPServer"]),
        // The one test kit every test target shares: a raw HTTP client, a server fixture, `eventually`, a log
        // capture and temporary folders (as Hummingbird's HummingbirdTesting serves its tests).
        .target(name: "HTTPServerTesting", dependencies: ["HTTPServer"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "HTTPServerTesting", "CLinux"]),
        .testTarget(name: "AdminShellTests", dependencies: ["AdminShell", "HTTPServer", "HTTPServerTesting"]),
        .testTarget(name: "EndToEndTests", dependencies: ["HTTPServer", "HTTPServerTesting"]),
    ],
    swiftLanguageModes: [.v6]
)
