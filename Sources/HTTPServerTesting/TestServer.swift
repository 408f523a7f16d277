import Glibc
import HTTPServer
import Synchronization

/// A real `Server` listening on 127.0.0.1 (or the host `configure` sets) with a kernel-chosen port, serving its own
/// temporary folder. Call `stop()` (usually in a `defer`) to drop its connections and delete the folder. Its
/// configuration is httpsh's (`ApplicationConfiguration`: the server's and the site's, reached alike).
///
/// The folder holds the web root at `root` (`<folder>/site`) and the uploads folder at `uploads`
/// (`<folder>/uploads`); the folder itself is outside the root, so a test can put "secret" files there and check
/// they never come out. The router is httpsh's own (`StandardRoutes`) unless `standardRoutes` is false; `routes`
/// adds more (literal routes win over the static files' `/*path`); `wire` adds what needs the server's live
/// state (middleware reading live settings); `prepare` runs on the folder before the server starts. `bus` sends
/// commands as the shell does.
///
/// ```swift
/// let server = try TestServer(files: ["hello.txt": "hello\n"]) { $0.workers = 1 }
/// defer { server.stop() }
/// let response = try RawClient.fetch(port: server.port, "GET", "/hello.txt")
///
/// let echo = try TestServer(routes: { router in
///     router.post("/echo") { request in Response(text: "\(request.body.count)") }
/// })
/// ```
public final class TestServer: Sendable {
    public let server: Server
    /// The temporary folder holding `site/` (the root) and `uploads/`.
    public let folder: TemporaryDirectory
    /// Everything the server logged (access lines included).
    public let logs: CollectingLogSink
    /// The command bus into the server, as the shell and signals use it.
    public let bus: CommandBus
    /// The site the standard routes serve (root and uploads folders, upload limits).
    public let site: SiteConfiguration
    private let stopped = Atomic<Bool>(false)

    /// The port the kernel picked.
    public var port: UInt16 { server.address.port }
    /// The server's live state: settings, counters, statistics.
    public var context: ServerContext { server.context }
    /// The web root's absolute path.
    public var root: String { folder.path("site") }
    /// The uploads folder's absolute path.
    public var uploads: String { folder.path("uploads") }

    /// Lays out `files` (relative path → contents) under the root, then starts the server.
    /// `configure` adjusts the configuration (host, port, root and uploads are already set).
    public init(files: [String: String] = [:],
         standardRoutes: Bool = true,
         configure: (inout ApplicationConfiguration) -> Void = { _ in },
         routes: (inout Router) -> Void = { _ in },
         wire: (ServerContext, inout Router) -> Void = { _, _ in },
         prepare: (TemporaryDirectory) throws -> Void = { _ in }) throws {
        folder = try TemporaryDirectory()
        try folder.makeDirectory("site")
        try folder.makeDirectory("uploads")
        do {
            for (path, contents) in files { try folder.write("site/" + path, contents) }
            try prepare(folder)
        } catch {
            folder.remove()
            throw error
        }

        var configuration = ApplicationConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.root = folder.path("site")
        configuration.uploads = folder.path("uploads")
        // Two workers match the machine; tests about worker counts set their own.
        configuration.workers = 2
        // Tests name hosts freely (`Host: h`); the host policy has tests of its own.
        configuration.allowedHosts = ["*"]
        configure(&configuration)

        let logs = CollectingLogSink()
        self.logs = logs
        site = configuration.site
        do {
            // As httpsh's launcher does: the context's upload store on the site's folder, then the routes.
            let context = try ServerContext(configuration: configuration.server, site: site,
                                            logger: Logger(level: configuration.logLevel, sink: logs))
            var router = standardRoutes ? try StandardRoutes.router(site: site, context: context) : Router()
            routes(&router)
            wire(context, &router)
            server = try Server(configuration: configuration.server, context: context, router: router)
            try server.start()
        } catch {
            folder.remove()
            throw error
        }
        bus = CommandBus(control: ServerControl(server: server, site: site))
    }

    /// A server answering with `router` alone (no static files).
    public convenience init(router: Router, configure: (inout ApplicationConfiguration) -> Void = { _ in }) throws {
        try self.init(standardRoutes: false, configure: configure, routes: { $0 = router })
    }

    deinit {
        stop()
    }

    /// The text of one field of the `status` command's reply, by its JSON key (`workers`).
    public func status(_ key: String) -> String? {
        bus.send(.status).field(key)?.text
    }

    /// Writes a file under the root after the server started.
    public func write(_ relative: String, _ contents: String) throws {
        try folder.write("site/" + relative, contents)
    }

    /// Drops every connection at once, stops the workers and deletes the folder. Safe to call twice.
    /// `beforeRemoving` runs between the two (a test that mounted a file system in the folder unmounts it).
    public func stop(beforeRemoving: () -> Void = {}) {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        if !server.isDraining { _ = server.shutdown(graceSeconds: 0) }
        beforeRemoving()
        folder.remove()
    }
}
