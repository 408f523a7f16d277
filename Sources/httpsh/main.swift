import Glibc
import HTTPServer

let version = "httpsh 0.1.0"
let arguments = Array(CommandLine.arguments.dropFirst())
var environment: [String: String] = [:]
for (key, value) in ProcessEnvironment.all() { environment[key] = value }

if arguments.first == "attach" {
    // A client: Ctrl-C and SIGTERM end it as they end any command; a closed pipe is an error, not a signal.
    signal(SIGPIPE, SIG_IGN)
    let attach: AttachCommand
    do {
        attach = try AttachCommand.parse(Array(arguments.dropFirst()), environment: environment)
    } catch {
        Output.error("httpsh: \(error)")
        exit(2)
    }
    if attach.showHelp {
        Output.print(AttachCommand.usage)
        exit(0)
    }
    exit(attach.run(environment: environment))
}

// Signals are blocked before any thread exists, so only the signal thread ever receives them.
Signals.blockForProcess()
setvbuf(fdopen(1, "w"), nil, _IOLBF, 0)

let options: Options
do {
    options = try Options.parse(arguments, environment: environment)
} catch {
    Output.error("httpsh: \(error)")
    exit(2)
}
if options.showHelp {
    Output.print(Options.usage)
    exit(0)
}
if options.showVersion {
    Output.print(version)
    exit(0)
}

exit(Launcher(options: options, environment: environment).run())
