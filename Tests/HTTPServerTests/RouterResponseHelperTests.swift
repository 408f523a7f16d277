import Foundation
import Testing
@testable import HTTPServer

/// The `Response` helpers as a client sees them over loopback HTTP.
@Suite struct RouterResponseHelperTests {
    private struct Point: Encodable {
        var x: Double
        var label: String
    }

    private func helperRouter(folder: String) -> Router {
        var router = Router()
        router.get("/ok") { _ in .ok("fine\n") }
        router.get("/bytes") { _ in .ok(bytes: [0, 1, 2, 255], contentType: "application/x-test") }
        router.get("/html") { _ in .html("<p>\("a<b".htmlEscaped)</p>", status: HTTPStatus(202, "Accepted")) }
        router.get("/json") { _ in try .json(Point(x: 1.5, label: "a/b")) }
        router.get("/nan") { _ in try .json(Point(x: .nan, label: "bad")) }
        router.post("/things") { _ in .created(location: "/things/7") }
        router.get("/moved") { _ in .redirect(to: "/new", permanent: true) }
        router.get("/elsewhere") { _ in .redirect(to: "/new") }
        router.post("/form") { _ in .seeOther("/done") }
        router.get("/offsite/:form") { request in
            switch request.parameters["form"] {
            case "slashes": .redirect(to: "//evil.example/x")
            case "backslash": .redirect(to: "/\\evil.example/x", permanent: true)
            case "tab": .redirect(to: "/\t/evil.example/x")
            case "seeother": .seeOther("///evil.example/x")
            default: .redirect(to: "https://example.com/x")
            }
        }
        router.delete("/things/:id") { _ in .noContent }
        router.get("/gone") { _ in .notFound }
        router.get("/file/:name") { request in try .file(path: folder + "/" + (request.parameters["name"] ?? "")) }
        return router
    }

    private func withServer(_ body: (UInt16, String) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("router-helpers-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let running = try TestServer(router: helperRouter(folder: folder))
        defer { running.stop() }
        try body(running.port, folder)
    }

    private func get(_ port: UInt16, _ path: String, method: String = "GET") throws -> RawResponse {
        try RawClient.exchange(port: port, "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func bodies_carryTheirContentTypes() throws {
        try withServer { port, _ in
            let ok = try get(port, "/ok")
            #expect(ok.status == 200 && ok.text == "fine\n")
            #expect(ok["Content-Type"] == "text/plain; charset=utf-8")
            let bytes = try get(port, "/bytes")
            #expect(bytes.body == [0, 1, 2, 255] && bytes["Content-Type"] == "application/x-test")
            let html = try get(port, "/html")
            #expect(html.status == 202 && html.text == "<p>a&lt;b</p>")
            #expect(html["Content-Type"] == "text/html; charset=utf-8")
        }
    }

    @Test func redirect_toAProtocolRelativeTarget_staysOnThisServer() throws {
        try withServer { port, _ in
            for form in ["slashes", "backslash", "tab", "seeother"] {
                let reply = try get(port, "/offsite/" + form)
                #expect([303, 307, 308].contains(reply.status), "\(form)")
                #expect(reply["Location"] == "/evil.example/x", "\(form)")
            }
            let absolute = try get(port, "/offsite/absolute")
            #expect(absolute.status == 307 && absolute["Location"] == "https://example.com/x")
        }
    }

    @Test func json_isCompactSortedAndTyped() throws {
        try withServer { port, _ in
            let reply = try get(port, "/json")
            #expect(reply["Content-Type"] == "application/json")
            #expect(reply.text == #"{"label":"a/b","x":1.5}"# + "\n")
        }
    }

    @Test func json_thatCannotBeEncoded_isA500() throws {
        try withServer { port, _ in
            let reply = try get(port, "/nan")
            #expect(reply.status == 500)
        }
    }

    @Test func statusHelpers_setStatusAndLocation() throws {
        try withServer { port, _ in
            let created = try get(port, "/things", method: "POST")
            #expect(created.status == 201 && created["Location"] == "/things/7")
            let moved = try get(port, "/moved")
            #expect(moved.status == 308 && moved["Location"] == "/new")
            let elsewhere = try get(port, "/elsewhere")
            #expect(elsewhere.status == 307 && elsewhere["Location"] == "/new")
            let seeOther = try get(port, "/form", method: "POST")
            #expect(seeOther.status == 303 && seeOther["Location"] == "/done")
            let deleted = try get(port, "/things/7", method: "DELETE")
            #expect(deleted.status == 204 && deleted["Content-Length"] == nil)
            #expect(try get(port, "/gone").status == 404)
        }
    }

    @Test func file_isSentWholeWithItsType() throws {
        try withServer { port, folder in
            let content = String(repeating: "line of text\n", count: 5000)
            try content.write(toFile: folder + "/notes.txt", atomically: true, encoding: .utf8)
            let reply = try get(port, "/file/notes.txt")
            #expect(reply.status == 200)
            #expect(reply["Content-Type"] == "text/plain; charset=utf-8")
            #expect(reply.text == content)
        }
    }

    @Test func file_missingOrDirectory_is404() throws {
        try withServer { port, _ in
            let missing = try get(port, "/file/absent.txt")
            let directory = try get(port, "/file/sub")
            #expect(missing.status == 404)
            #expect(directory.status == 404)
        }
    }
}
