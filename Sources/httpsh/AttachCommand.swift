import AdminShell
import Glibc

/// `httpsh attach`: finds a running server's control socket and opens the shell on it.
struct AttachCommand {
    var port: UInt16 = 8080
    var control: String?
    var instance: String?
    var commands: String?
    var showHelp = false

    static let usage = """
    Usage: httpsh attach [--port N | --control PATH] [--instance NAME] [-c COMMANDS]

    Opens the admin shell on an httpsh that is already running, through its control socket. Leaving the shell
    (exit, Ctrl-D) leaves the server running; 'shutdown' stops it.

    Options:
      -p, --port N          the server's port (default 8080; env SERVER_PORT): its socket in the default folder
          --instance NAME   the server started with --instance NAME (several on one port)
          --control PATH    the socket the server was started with (--control PATH)
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
            case "--control": command.control = try value(argument)
            case "--instance": command.instance = try value(argument)
            case "-c": command.commands = try value(argument)
            case "-h", "--help": command.showHelp = true
            default: throw Options.UsageError(description: "attach: unknown option '\(argument)' (see httpsh attach --help)")
            }
            index += 1
        }
        return command
    }

    /// Connects and runs the session; returns the exit status (1 when the server cannot be reached).
    func run(environment: [String: String]) -> Int32 {
        do {
            let path = try control ?? ControlPath.find(port: port, instance: instance, environment: environment)
            let client = try ControlClient(path: path)
            return AttachSession(client: client).run(commands: commands)
        } catch {
            Output.error("httpsh attach: \(error)")
            return 1
        }
    }
}
