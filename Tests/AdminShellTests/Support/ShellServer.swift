import AdminShell
import HTTPServer

extension TestServer {
    /// A server wired like the httpsh executable (standard routes; CORS comes with every `Server`) with a shutdown
    /// grace of 2 s, serving `hello.txt`, `folder/a.txt` (a folder without an index), `docs/index.html`, and one
    /// stored upload (`note.json`). `configure` runs after these defaults.
    static func shell(workers: Int = 2,
                      configure: (inout ApplicationConfiguration) -> Void = { _ in }) throws -> TestServer {
        try TestServer(files: ["hello.txt": "hello\n", "folder/a.txt": "inside\n", "docs/index.html": "<h1>docs</h1>\n"],
                       configure: { configuration in
                           configuration.workers = workers
                           configuration.shutdownGraceSeconds = 2
                           configure(&configuration)
                       },
                       prepare: { folder in try folder.write("uploads/note.json", "{\"n\":1}\n") })
    }

    /// Sends a shell line through the parser and the bus, as the shell does.
    func run(_ line: String) -> Reply {
        guard case .success(.server(let command, _))? = CommandParser.parse(line) else {
            return .failed("not a server command: \(line)")
        }
        return bus.send(command)
    }

    /// `GET path` over a fresh connection; nil when the server closed it without answering.
    func get(_ path: String) -> RawResponse? {
        try? RawClient.fetch(port: port, "GET", path)
    }
}
