import Foundation
import AdminShell
import HTTPServer

/// A real httpsh server on 127.0.0.1 port 0, wired like the executable (standard routes, protection middleware,
/// a command bus), serving a fresh temporary folder:
/// `hello.txt`, `folder/` (no index, one file), `docs/index.html`, and an uploads folder with one upload.
final class TestServer {
    let server: Server
    let bus: CommandBus
    let logs = CollectingSink()
    let root: String
    let port: UInt16

    /// `configure` adjusts the configuration after the defaults (port, folders, workers, any host) are set.
    init(workers: Int = 2, configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        root = NSTemporaryDirectory() + "httpsh-shell-\(UUID().uuidString)"
        let files = FileManager.default
        for folder in ["site/folder", "site/docs", "uploads"] {
            try files.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
        }
        try "hello\n".write(toFile: root + "/site/hello.txt", atomically: true, encoding: .utf8)
        try "inside\n".write(toFile: root + "/site/folder/a.txt", atomically: true, encoding: .utf8)
        try "<h1>docs</h1>\n".write(toFile: root + "/site/docs/index.html", atomically: true, encoding: .utf8)
        try "{\"n\":1}\n".write(toFile: root + "/uploads/note.json", atomically: true, encoding: .utf8)

        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.root = root + "/site"
        configuration.uploads = root + "/uploads"
        configuration.workers = workers
        configuration.shutdownGraceSeconds = 2
        configuration.allowedHosts = ["*"]
        configure(&configuration)
        let logger = Logger(level: .info, sink: logs)
        let context = try ServerContext(configuration: configuration, logger: logger)
        var router = try StandardRoutes.router(configuration: configuration, context: context)
        router.use(CORSMiddleware(origins: context.settings.cors))
        server = try Server(configuration: configuration, context: context, router: router)
        try server.start()
        bus = CommandBus(control: ServerControl(server: server))
        port = server.address.port
    }

    deinit {
        _ = bus.send(.shutdown(graceSeconds: 0))
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Sends a shell line through the parser and the bus, as the shell does.
    func run(_ line: String) -> Reply {
        guard case .success(.server(let command, _))? = CommandParser.parse(line) else {
            return .failed("not a server command: \(line)")
        }
        return bus.send(command)
    }

    /// The text of one field of `status`, by its JSON key.
    func status(_ key: String) -> String? {
        bus.send(.status).field(key)?.text
    }

    /// GET over a fresh connection.
    func get(_ path: String) -> HTTPResult {
        HTTPResult.get(port: port, path: path)
    }
}

/// Keeps every log line, for tests that look at them.
final class CollectingSink: LogSink {
    private let lines = Lock<[String]>([])

    func write(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    var all: [String] { lines.withLock { $0 } }
}
