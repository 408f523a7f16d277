// A small program that embeds HTTPServer: two JSON routes, static files, CORS and a custom middleware.
//
//   swift run EmbedExample --port 8090 --root public
//   curl http://127.0.0.1:8090/api/hello/world
//   curl -d '{"text":"hi"}' http://127.0.0.1:8090/api/echo
import Glibc
import HTTPServer

/// The body `POST /api/echo` accepts.
struct Message: Codable {
    var text: String
    var from: String?
}

/// What it answers: the message with a field added.
struct Echo: Encodable {
    var text: String
    var from: String?
    var characters: Int
}

/// A custom middleware: adds `Server-Timing` with how long the rest of the chain took.
struct Timing: Middleware {
    func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        let start = ContinuousClock.now
        var response = try next(request)
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        let milliseconds = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        response.headers.add("Server-Timing", "app;dur=\(milliseconds)")
        return response
    }
}

/// Writes `message` to standard error and exits.
func fail(_ message: String, status: Int32 = 1) -> Never {
    var line = message + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    exit(status)
}

// Block the stop signals before any thread starts, so only `sigwait` below sees them.
var stopSignals = sigset_t()
sigemptyset(&stopSignals)
sigaddset(&stopSignals, SIGINT)
sigaddset(&stopSignals, SIGTERM)
pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

var configuration = ServerConfiguration()
configuration.port = 8090
// The folder served at `/`: the program's own, since the server serves only what its routes do.
var root = "public"
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    switch (flag, arguments.popFirst()) {
    case ("--port", let value?):
        guard let port = UInt16(value) else { fail("EmbedExample: --port takes a number from 0 to 65535", status: 2) }
        configuration.port = port
    case ("--root", let value?):
        root = value
    default:
        fail("usage: EmbedExample [--port N] [--root DIR]", status: 2)
    }
}

// One call: the routes are registered with the server's live state (the static files share its settings and
// counters), then the workers start. Log lines (one access-log line per request, errors) go to standard error
// from a thread of their own.
let logWriter = AsyncLineWriter(fd: 2)
let server: Server
do {
    server = try Server.start(configuration, logSink: logWriter) { router, context in
        guard let site = StaticFiles(root: root, settings: context.settings, counters: context.counters)
        else { throw Server.StartError(description: "folder '\(root)' does not exist") }
        router.use(CORSMiddleware(allowedOrigins: .any))
        router.use(Timing())
        router.get("/api/hello/:name") { request in
            try .json(["hello": request.parameters["name"] ?? ""])
        }
        router.post("/api/echo") { request in
            let message = try request.decode(Message.self)
            return try .json(Echo(text: message.text, from: message.from, characters: message.text.count))
        }
        router.get("/*path", site.handle)
    }
} catch {
    fail("EmbedExample: \(error)")
}
print("serving \(root) at \(server.url)")
fflush(nil)

var received: Int32 = 0
sigwait(&stopSignals, &received)
let report = server.shutdown(graceSeconds: 5)
print("stopped after signal \(received): \(report.finishedRequests) requests finished, \(report.forced) cut off")
logWriter.flush(timeoutSeconds: max(0.5, server.graceSecondsLeft))  // a stalled stderr must not keep us alive
