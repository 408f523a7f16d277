import HTTPServer
import Testing

// Shared by the Adversarial* suites: a server with a file and an echo route, one hostile exchange on a fresh
// connection, and the check that every hostile input is followed by: "a normal request still works".

/// A server with `/ok.txt` ("ok"), `/folder/` (a folder, for redirects), a file literally named `%2e%2e` ("literal")
/// and `POST /echo` answering `<length>:<body>`; the folder around the root holds a secret that must never come out.
func makeAdversarialServer(configure: (inout ApplicationConfiguration) -> Void = { _ in }) throws -> TestServer {
    let server = try TestServer(files: ["ok.txt": "ok", "folder/inside.txt": "inside", "%2e%2e": "literal"],
                                configure: configure, routes: { router in
        router.post("/echo") { request in
            Response(text: "\(request.body.count):" + String(decoding: request.body, as: UTF8.self))
        }
    })
    try server.folder.write("secret.txt", adversarialSecret)
    return server
}

/// A marker that exists only outside the web root.
let adversarialSecret = "ADVERSARIAL-SECRET-\(UInt32.random(in: 0...UInt32.max))"

/// Sends `bytes` on a new connection and reads one response; the client stays open for more checks.
func adversarialExchange(_ server: TestServer, _ bytes: [UInt8]) throws -> (RawResponse, RawClient) {
    let client = try RawClient(port: server.port, timeout: 10)
    try client.send(bytes: bytes)
    return (try client.readResponse(), client)
}

/// Sends `text` (as UTF-8) on a new connection and reads one response.
func adversarialExchange(_ server: TestServer, _ text: String) throws -> (RawResponse, RawClient) {
    try adversarialExchange(server, Array(text.utf8))
}

/// The answer said `Connection: close` and the server then closed the connection.
func expectAnsweredAndClosed(_ response: RawResponse, _ client: RawClient,
                             sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(response.closesConnection, "Connection: \(response["Connection"] ?? "missing")",
            sourceLocation: sourceLocation)
    #expect(client.waitForClose(), "the server kept the connection open", sourceLocation: sourceLocation)
}

/// A fresh connection still gets `/ok.txt`: the hostile input left the server serving.
func expectStillServing(_ server: TestServer, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let response = try RawClient.fetch(port: server.port, "GET", "/ok.txt")
        #expect(response.status == 200 && response.text == "ok", "after: \(response.status) \(response.text)",
                sourceLocation: sourceLocation)
    } catch {
        Issue.record("the server stopped serving: \(error)", sourceLocation: sourceLocation)
    }
}
