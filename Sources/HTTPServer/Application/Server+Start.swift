extension Server {
    /// Starts a server in one call: the live state from `configuration`, the routes `routes` registers (it gets
    /// the state, for handlers such as `StaticFiles` that share it), then the workers. Log lines go to `logSink`,
    /// standard error by default, written by a thread of its own.
    ///
    /// ```swift
    /// let server = try Server.start(configuration) { router, _ in
    ///     router.get("/hello/:name") { request in .text("hello \(request.parameters["name"] ?? "")\n") }
    /// }
    /// ```
    public static func start(_ configuration: ServerConfiguration = ServerConfiguration(),
                             logSink: any LogSink = AsyncLineWriter(fd: 2),
                             routes: (inout Router, ServerContext) throws -> Void) throws -> Server {
        let context = try ServerContext(configuration: configuration,
                                        logger: Logger(level: configuration.logLevel, sink: logSink))
        var router = Router()
        try routes(&router, context)
        let server = try Server(configuration: configuration, context: context, router: router)
        try server.start()
        return server
    }
}
