import AdminShell
import Glibc
import HTTPServer

/// `httpsh attach`: finds a running server's control socket and opens the shell on it, or on every server of a
/// fleet (`--control` repeated, `--controls FILE`).
struct AttachCommand {
    var port: UInt16 = 8080
    /// The sockets given with `--control`, in order.
    var controls: [String] = []
    /// The `--controls` file: more sockets, one a line.
    var controlsFile: String?
    var instance: String?
    var commands: String?
    /// How long each server of a fleet may take to answer one command: long enough for a busy server, short
    /// enough that a stopped one does not hold up the operator.
    var timeoutSeconds = 5.0
    var showHelp = false

    static let usage = """
    Usage: httpsh attach [--port N | --control PATH...| --controls FILE] [--instance NAME] [--timeout SECONDS]
                         [-c COMMANDS]

    Opens the admin shell on an httpsh that is already running, through its control socket. Leaving the shell
    (exit, Ctrl-D) leaves the server running; 'shutdown' stops it.

    Options:
      -p, --port N          the server's port (default 8080; env SERVER_PORT): its socket in the default folder
          --instance NAME   the server started with --instance NAME (several on one port)
          --control PATH    the socket the server was started with (--control PATH); repeat it for a fleet:
                            each command then runs on every server, each reply labelled with its server
          --controls FILE   a fleet's sockets, one a line: PATH or NAME PATH ('#' starts a comment)
          --timeout SECONDS how long each server of a fleet may take to answer a command (default 5)
      -c COMMANDS           run commands separated by ';' and leave; exit status 1 when one failed
      -h, --help            show this help

    Commands also come from a pipe: printf 'workers 4\\n' | httpsh attach
    """

    /// Parses the arguments after `attach`.
    static func parse(_ arguments: [String], environment: [String: String]) throws(Options.UsageError) -> AttachCommand {
        var command = AttachCommand()
        if let port = environment["SERVER_PORT"], let value = UInt16(port) { command.port = value }
        var index = 0
        func value(_ flag: String) throws(Options.UsageError) -> String {
            index += 1
            guard index < arguments.count else { throw Options.UsageError(description: "attach: \(flag) needs a value") }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "-p", "--port":
                let text = try value(argument)
                guard let port = UInt16(text), port > 0 else {
                    throw Options.UsageError(description: "attach: \(argument): '\(text)' is not a port from 1 to 65535")
                }
                command.port = port
            case "--control": command.controls.append(try value(argument))
            case "--controls": command.controlsFile = try value(argument)
            case "--timeout":
                let text = try value(argument)
                guard let seconds = Double(text), seconds >= 0.1, seconds <= Self.longestTimeoutSeconds else {
                    throw Options.UsageError(description: "attach: --timeout: '\(text)' is not a number of seconds "
                        + "from 0.1 to \(Int(Self.longestTimeoutSeconds))")
                }
                command.timeoutSeconds = seconds
            case "--instance": command.instance = try value(argument)
            case "-c": command.commands = try value(argument)
            case "-h", "--help": command.showHelp = true
            default: throw Options.UsageError(description: "attach: unknown option '\(argument)' (see httpsh attach --help)")
            }
            index += 1
        }
        return command
    }

    /// The longest `--timeout`: an hour is more than any command takes; more is a typo.
    static let longestTimeoutSeconds = 3600.0
    /// The largest `--controls` file: thousands of sockets fit; more is not such a list.
    static let longestControlsFile = 1 << 20

    /// Connects and runs the session; returns the exit status (1 when the server cannot be reached).
    func run(environment: [String: String]) -> Int32 {
        do {
            if controls.count > 1 || controlsFile != nil {
                return FleetSession(targets: try fleet(), timeoutSeconds: timeoutSeconds).run(commands: commands)
            }
            let path = try controls.first ?? ControlPath.find(port: port, instance: instance, environment: environment)
            let client = try ControlClient(path: path)
            return AttachSession(client: client).run(commands: commands)
        } catch {
            Output.error("httpsh attach: \(error)")
            return 1
        }
    }

    /// The fleet's servers: the `--control` sockets, then those the `--controls` file lists.
    private func fleet() throws -> [FleetTarget] {
        var entries = controls.map { FleetTarget.Entry(name: nil, path: $0) }
        if let controlsFile {
            let text = try TextFile.read(controlsFile, maximumBytes: Self.longestControlsFile)
            entries += try FleetTarget.entries(listedIn: text, source: controlsFile)
        }
        return try FleetTarget.fleet(entries)
    }
}
