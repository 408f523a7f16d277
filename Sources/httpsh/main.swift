import Glibc
import HTTPServer

// Signals are blocked before any thread exists, so only the signal thread ever receives them.
Signals.blockForProcess()
setvbuf(fdopen(1, "w"), nil, _IOLBF, 0)

let version = "httpsh 0.1.0"
let arguments = Array(CommandLine.arguments.dropFirst())
var environment: [String: String] = [:]
for (key, value) in ProcessEnvironment.all() { environment[key] = value }

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

exit(Launcher(options: options).run())
