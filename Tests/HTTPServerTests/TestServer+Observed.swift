import HTTPServer

extension TestServer {
    /// A server for the observability tests: httpsh's routes over a root holding `hello.txt`, the default host
    /// policy (so 421 can be seen), and the access log where the test wants it.
    static func observed(accessLog: AccessLog.Destination = .off, format: AccessLog.Format = .combined,
                         routes: (inout Router) -> Void = { _ in }) throws -> TestServer {
        try TestServer(files: ["hello.txt": "hello\n"], configure: {
            $0.accessLog = accessLog
            $0.accessLogFormat = format
            $0.allowedHosts = nil
        }, routes: routes)
    }
}
