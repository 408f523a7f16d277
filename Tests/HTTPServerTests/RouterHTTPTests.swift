import Testing
import Glibc
@testable import HTTPServer

/// Routing over real loopback HTTP: errors from handlers, JSON in and out, 405, HEAD and the response helpers.
@Suite struct RouterHTTPTests {
    private struct Note: Codable, Equatable {
        var text: String
        var stars: Int
        var tags: [String]?
    }

    private struct Failing: Error {}

    private func apiRouter() -> Router {
        var router = Router()
        router.get("/boom") { _ in throw Failing() }
        router.get("/ok") { _ in .text("ok\n") }
        router.get("/items/:id") { request in .text("item \(request.parameters["id"] ?? "?")\n") }
        router.put("/items/:id") { _ in .noContent }
        router.get("/search") { request in .text(request.query("q") ?? "-") }
        router.post("/notes") { request in
            var note = try request.decode(Note.self)
            note.stars += 1
            return try .json(note, status: .created)
        }
        return router
    }

    private func get(_ path: String, _ extra: String = "") -> String {
        "GET \(path) HTTP/1.1\r\nHost: localhost\r\n\(extra)\r\n"
    }

    private func post(_ path: String, json: String) -> String {
        "POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAccept: application/json\r\n"
            + "Content-Length: \(json.utf8.count)\r\n\r\n\(json)"
    }

    @Test func throwingHandler_answers500WithRequestID_andKeepAliveGoesOn() throws {
        let running = try TestServer(router: apiRouter())
        defer { running.stop() }
        let connection = try RawClient(port: running.port)
        defer { connection.close() }

        try connection.send(get("/boom", "Accept: application/json\r\n"))
        let failed = try connection.readResponse()
        #expect(failed.status == 500)
        let id = try #require(failed["X-Request-ID"])
        #expect(failed.text.contains("\"request_id\":\"\(id)\""))
        #expect(!failed.text.contains("Failing"), "internals must not reach the client")
        #expect(failed["Connection"] == "keep-alive")
        #expect(running.logs.lines.contains { $0.contains("ERROR") && $0.contains(id) && $0.contains("Failing") })

        try connection.send(get("/ok"))
        let next = try connection.readResponse()
        #expect(next.status == 200)
        #expect(next.text == "ok\n")
    }

    @Test func throwingHandler_keepsTheClientsRequestID() throws {
        let running = try TestServer(router: apiRouter())
        defer { running.stop() }
        let reply = try RawClient.exchange(port: running.port, get("/boom", "X-Request-ID: trace-42\r\n"))
        #expect(reply.status == 500)
        #expect(reply["X-Request-ID"] == "trace-42")
        #expect(reply.text.contains("trace-42"))
    }

    @Test func jsonBody_isDecodedAndAnsweredAsJSON() throws {
        let running = try TestServer(router: apiRouter())
        defer { running.stop() }
        let reply = try RawClient.exchange(port: running.port, post("/notes", json: #"{"text":"hi","stars":2}"#))
        #expect(reply.status == 201)
        #expect(reply["Content-Type"] == "application/json")
        #expect(reply.text == #"{"stars":3,"text":"hi"}"# + "\n")
    }

    @Test func badJSON_answers400SayingWhy_andKeepAliveGoesOn() throws {
        let running = try TestServer(router: apiRouter())
        defer { running.stop() }
        let connection = try RawClient(port: running.port)
        defer { connection.close() }
        let cases: [(body: String, reason: String)] = [
            (#"{"text": "hi", "#, "the body is not valid JSON"),
            (#"{"text":"hi"}"#, #"field \"stars\" is missing"#),
            (#"{"text":"hi","stars":"many"}"#, #"field \"stars\": expected an integer"#),
            (#"{"text":null,"stars":1}"#, #"field \"text\" is null; expected a string"#),
            (#"{"text":"hi","stars":1,"tags":["a",7]}"#, #"field \"tags[1]\": expected a string"#),
            (#"[1,2]"#, "the body: expected an object"),
            ("", "the request has no body; expected JSON"),
        ]
        for (body, reason) in cases {
            try connection.send(post("/notes", json: body))
            let reply = try connection.readResponse()
            #expect(reply.status == 400, "\(body)")
            #expect(reply.text.contains("\"detail\":\"\(reason)\""), "\(body) → \(reply.text)")
        }
        try connection.send(post("/notes", json: #"{"text":"ok","stars":0}"#))
        #expect(try connection.readResponse().status == 201)
    }

    @Test func wrongMethod_answers405WithAllow() throws {
        let running = try TestServer(router: apiRouter())
        defer { running.stop() }
        let reply = try RawClient.exchange(port: running.port,
                                                "DELETE /items/3 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
        #expect(reply.status == 405)
        #expect(reply["Allow"] == "GET, HEAD, PUT, OPTIONS")
    }

    @Test func options_withoutARoute_answers204WithAllow() throws {
        let running = try TestServer(router: apiRouter())
        defer { running.stop() }
        let reply = try RawClient.exchange(port: running.port, "OPTIONS /items/3 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(reply.status == 204)
        #expect(reply["Allow"] == "GET, HEAD, PUT, OPTIONS")
    }

    @Test func head_isAnsweredByTheGetRoute_withoutBody() throws {
        let running = try TestServer(router: apiRouter())
        defer { running.stop() }
        let connection = try RawClient(port: running.port)
        defer { connection.close() }
        try connection.send("HEAD /items/a%20b HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let head = try connection.readResponse(toHead: true)
        try connection.send(get("/items/a%20b"))
        let full = try connection.readResponse()
        #expect(head.status == 200)
        #expect(full.text == "item a b\n")
        #expect(head["Content-Length"] == String(full.body.count))
    }

    @Test func query_decodesPlusAndPercent20() throws {
        let running = try TestServer(router: apiRouter())
        defer { running.stop() }
        let reply = try RawClient.exchange(port: running.port, get("/search?q=big+red%20apple&x=1"))
        #expect(reply.text == "big red apple")
    }

    @Test func unknownPath_answers404() throws {
        let running = try TestServer(router: apiRouter())
        defer { running.stop() }
        let reply = try RawClient.exchange(port: running.port, get("/nowhere", "Accept: application/json\r\n"))
        #expect(reply.status == 404)
        #expect(reply.text.contains("\"status\":404"))
    }
}
