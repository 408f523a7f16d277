import AdminShell
import Glibc
import HTTPServer

/// Starts the server and runs it the way the options say: the shell, a script, or until a signal.
struct Launcher {
    let options: Options

    /// Runs to the end; returns the exit status.
    func run() -> Int32 {
        let configuration = options.configuration
        let logWriter = AsyncLineWriter(fd: 2)
        let logger = Logger(level: configuration.logLevel, sink: logWriter)
        let server: Server
        do {
            let context = try ServerContext(configuration: configuration, logger: logger)
            for entry in options.blocks { context.blocklist.add(entry) }
            var router = try StandardRoutes.router(configuration: configuration, context: context)
            router.use(CORSMiddleware(origins: context.settings.cors))
            server = try Server(configuration: configuration, context: context, router: router)
            try server.start()
        } catch {
            Output.error("httpsh: \(error)")
            return 1
        }
        let bus = CommandBus(control: ServerControl(server: server, sources: options.sources,
                                                    settingsPath: options.settingsPath))
        let stopped = StopSignal()
        Signals.start(bus: bus) { reply in
            // Through the log sink: while the prompt is open, a line written straight to the terminal garbles it.
            logger.sink.write("httpsh: shut down (\(ReplyFormatter.oneLine(reply)))")
            stopped.signal()
        }

        let status: Int32
        switch options.mode {
        case .serveOnly:
            logger.info("serving \(configuration.root) at \(server.url) with \(configuration.workers) workers")
            stopped.wait()
            status = 0
        case .shell:
            let shell = ShellSession(bus: bus, server: server, logger: logger)
            status = shell.run(commands: options.commands, serveAfterScript: options.serveAfterScript) {
                stopped.wait()
            }
        }
        logWriter.flush()
        return status
    }
}

/// A one-shot flag a thread can wait on.
final class StopSignal: Sendable {
    private let pipe: (read: Int32, write: Int32)

    init() {
        var fds: [Int32] = [0, 0]
        Glibc.pipe(&fds)
        pipe = (fds[0], fds[1])
    }

    func signal() {
        var byte: UInt8 = 1
        _ = Glibc.write(pipe.write, &byte, 1)
    }

    func wait() {
        var byte: UInt8 = 0
        while Glibc.read(pipe.read, &byte, 1) < 0, errno == EINTR {}
    }
}
