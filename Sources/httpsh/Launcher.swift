import AdminShell
import Glibc
import HTTPServer
import Synchronization

/// Starts the server and runs it the way the options say: the shell, a script, or until a signal. The control
/// socket stays open all along, so `httpsh attach` reaches the server whatever happens to the launching terminal.
struct Launcher {
    let options: Options
    let environment: [String: String]

    /// Runs to the end; returns the exit status.
    func run() -> Int32 {
        let configuration = options.configuration
        let logWriter = AsyncLineWriter(fd: 2)
        let logger = Logger(level: configuration.logLevel, sink: logWriter)
        let server: Server
        do {
            let context = try ServerContext(configuration: configuration.server, site: configuration.site,
                                            logger: logger)
            for entry in options.blocks { context.blocklist.add(entry) }
            let router = try StandardRoutes.router(site: configuration.site, context: context)
            server = try Server(configuration: configuration.server, context: context, router: router)
            try server.start()
        } catch {
            Output.error("httpsh: \(error)")
            return 1
        }
        let control: ControlServer?
        do {
            control = try openControl(port: server.address.port)
        } catch {
            Output.error("httpsh: \(error)")
            _ = server.shutdown(graceSeconds: 0)
            return 1
        }
        defer { control?.stop() }

        let bus = CommandBus(control: ServerControl(server: server, site: configuration.site,
                                                    sources: options.sources, settingsPath: options.settingsPath,
                                                    controlSocket: control?.path))
        let stopped = StopSignal()
        let hungUp = Atomic<Bool>(false)
        // Readable once `hungUp` is set: the prompt sleeps on it rather than looking at the flag on a timer.
        let hangUpNotice = StopSignal()
        let interactive = options.mode == .shell && options.commands == nil && isatty(0) == 1 && isatty(1) == 1
        Signals.start(bus: bus, onHangUp: {
            hungUp.store(true, ordering: .relaxed)
            hangUpNotice.signal()
            if !interactive { logger.info("SIGHUP: no terminal to leave; serving on (SIGUSR1 reopens the logs)") }
        }, onShutdown: { reply in
            // Through the log sink: while the prompt is open, a line written straight to the terminal garbles it.
            logger.sink.write("httpsh: shut down (\(ReplyFormatter.oneLine(reply)))")
            stopped.signal()
        })
        control?.start(bus: bus, server: server, logger: logger) {
            logger.sink.write("httpsh: shut down through the control socket")
            stopped.signal()
        }

        let status: Int32
        switch options.mode {
        case .serveOnly:
            logger.info("serving \(configuration.root) at \(server.url) with \(configuration.workers) workers"
                + (control.map { "; control socket \($0.path)" } ?? ""))
            stopped.wait()
            status = 0
        case .shell:
            let shell = ShellSession(bus: bus, server: server, logger: logger)
            shell.attachCommand = attachCommand(port: server.address.port, control: control)
            shell.terminalHungUp = { hungUp.load(ordering: .relaxed) }
            shell.terminalHangUpDescriptor = hangUpNotice.descriptor
            status = shell.run(commands: options.commands, serveAfterScript: options.serveAfterScript) {
                stopped.wait()
            }
        }
        // What is left of the grace period, and at least half a second for the last lines of a healthy log: a
        // stalled standard error (a paused terminal, a pipe nobody reads) must not keep the process alive.
        logWriter.flush(timeoutSeconds: max(0.5, server.graceSecondsLeft))
        return status
    }

    /// Binds the control socket the options ask for; nil with `--control off`.
    private func openControl(port: UInt16) throws(ControlPath.Failure) -> ControlServer? {
        switch options.control {
        case .off:
            return nil
        case .path(let path):
            return try ControlServer(path: path, isDefault: false)
        case .defaultPath:
            let path = ControlPath.defaultPath(port: port, instance: options.controlInstance, environment: environment)
            return try ControlServer(path: path, isDefault: true)
        }
    }

    /// The command line that reaches this server from another terminal.
    private func attachCommand(port: UInt16, control: ControlServer?) -> String {
        guard let control else { return "nothing: the control socket is off (--control off)" }
        if options.control != .defaultPath { return "httpsh attach --control \(control.path)" }
        return "httpsh attach --port \(port)" + (options.controlInstance.map { " --instance \($0)" } ?? "")
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

    /// Readable once `signal` was called (until `wait` reads it).
    var descriptor: Int32 { pipe.read }

    func wait() {
        var byte: UInt8 = 0
        while Glibc.read(pipe.read, &byte, 1) < 0, errno == EINTR {}
    }
}
