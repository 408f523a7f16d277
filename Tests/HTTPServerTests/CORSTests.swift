import Synchronization
import Testing
@testable import HTTPServer

/// CORS over real loopback HTTP: preflights answered before routing problems, fields on actual responses.
@Suite struct CORSTests {
    private struct Message: Decodable {
        var text: String
    }

    /// Counts calls of the route's own OPTIONS handler.
    private final class Calls: Sendable {
        let count = Atomic<Int>(0)
    }

    private func corsRouter(_ cors: CORSMiddleware, optionsCalls: Calls? = nil) -> Router {
        var router = Router()
        router.use(cors)
        router.get("/api/items") { _ in .text("items\n") }
        router.post("/api/echo") { request in try .json(["text": try request.decode(Message.self).text]) }
        router.options("/api/custom") { _ in
            optionsCalls?.count.add(1, ordering: .relaxed)
            return .text("own options\n")
        }
        router.get("/api/fail") { _ in throw HTTPError(.conflict, "busy") }
        return router
    }

    private func preflight(_ path: String, origin: String, method: String = "POST",
                           headers: String = "content-type") -> String {
        "OPTIONS \(path) HTTP/1.1\r\nHost: localhost\r\nOrigin: \(origin)\r\nAccess-Control-Request-Method: \(method)\r\n"
            + "Access-Control-Request-Headers: \(headers)\r\n\r\n"
    }

    private func get(_ path: String, origin: String?) -> String {
        "GET \(path) HTTP/1.1\r\nHost: localhost\r\n" + (origin.map { "Origin: \($0)\r\n" } ?? "") + "\r\n"
    }

    @Test func preflight_toARegisteredPath_isAnswered204WithAllowFields() throws {
        let cors = CORSMiddleware(allowedOrigins: .list(["https://app.example"]),
                                  allowedMethods: [.get, .post, .delete], allowedHeaders: ["Content-Type", "X-Token"],
                                  maxAgeSeconds: 120, allowCredentials: true)
        let running = try TestServer(router: corsRouter(cors))
        defer { running.stop() }
        // /api/echo has only POST: the pipeline's OPTIONS path must still let CORS answer.
        let reply = try RawClient.exchange(port: running.port, preflight("/api/echo", origin: "https://app.example"))
        #expect(reply.status == 204)
        #expect(reply["Access-Control-Allow-Origin"] == "https://app.example")
        #expect(reply["Access-Control-Allow-Methods"] == "GET, POST, DELETE")
        #expect(reply["Access-Control-Allow-Headers"] == "Content-Type, X-Token")
        #expect(reply["Access-Control-Max-Age"] == "120")
        #expect(reply["Access-Control-Allow-Credentials"] == "true")
        #expect(reply.values("Vary").contains("Origin"))
    }

    @Test func preflight_isAnsweredBeforeTheRoutesOwnOptionsHandler() throws {
        let calls = Calls()
        let running = try TestServer(router: corsRouter(CORSMiddleware(), optionsCalls: calls))
        defer { running.stop() }
        let reply = try RawClient.exchange(port: running.port, preflight("/api/custom", origin: "https://x.example"))
        #expect(reply.status == 204)
        #expect(reply["Access-Control-Allow-Origin"] == "*")
        #expect(calls.count.load(ordering: .relaxed) == 0)
        // A plain OPTIONS (not a preflight) still reaches the route.
        let plain = try RawClient.exchange(port: running.port, "OPTIONS /api/custom HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(plain.text == "own options\n")
        #expect(calls.count.load(ordering: .relaxed) == 1)
    }

    @Test func preflight_fromAnOriginNotAllowed_getsNoCORSFields() throws {
        let running = try TestServer(router: corsRouter(CORSMiddleware(allowedOrigins: .list(["https://app.example"]))))
        defer { running.stop() }
        let reply = try RawClient.exchange(port: running.port, preflight("/api/echo", origin: "https://evil.example"))
        #expect(reply.status == 204)
        #expect(reply["Allow"] == "POST, OPTIONS")
        #expect(reply["Access-Control-Allow-Origin"] == nil)
        #expect(reply["Access-Control-Allow-Methods"] == nil)
    }

    @Test func simpleRequest_fromAnyOrigin_getsStarAndExposedHeaders() throws {
        let running = try TestServer(router: corsRouter(CORSMiddleware()))
        defer { running.stop() }
        let reply = try RawClient.exchange(port: running.port, get("/api/items", origin: "https://x.example"))
        #expect(reply.status == 200)
        #expect(reply["Access-Control-Allow-Origin"] == "*")
        #expect(reply["Access-Control-Expose-Headers"] == "X-Request-ID")
        #expect(reply["Access-Control-Allow-Credentials"] == nil)
        #expect(reply["Vary"] == nil, "a * answer does not depend on Origin")
    }

    @Test func simpleRequest_fromAListedOrigin_echoesItWithVary() throws {
        let cors = CORSMiddleware(allowedOrigins: .list(["https://a.example", "https://b.example"]),
                                  allowCredentials: true)
        let running = try TestServer(router: corsRouter(cors))
        defer { running.stop() }
        let allowed = try RawClient.exchange(port: running.port, get("/api/items", origin: "https://B.example"))
        #expect(allowed["Access-Control-Allow-Origin"] == "https://B.example")
        #expect(allowed["Access-Control-Allow-Credentials"] == "true")
        #expect(allowed.values("Vary") == ["Origin"])

        let refused = try RawClient.exchange(port: running.port, get("/api/items", origin: "https://c.example"))
        #expect(refused.status == 200, "the server answers; the browser withholds it")
        #expect(refused["Access-Control-Allow-Origin"] == nil)
        #expect(refused.values("Vary") == ["Origin"])

        let sameOrigin = try RawClient.exchange(port: running.port, get("/api/items", origin: nil))
        #expect(sameOrigin["Access-Control-Allow-Origin"] == nil)
        #expect(sameOrigin.values("Vary") == ["Origin"], "caches must not reuse it for a cross-origin call")
    }

    @Test func anyOriginWithCredentials_echoesTheOrigin() throws {
        let running = try TestServer(router: corsRouter(CORSMiddleware(allowedOrigins: .any, allowCredentials: true)))
        defer { running.stop() }
        let reply = try RawClient.exchange(port: running.port, get("/api/items", origin: "https://x.example"))
        #expect(reply["Access-Control-Allow-Origin"] == "https://x.example")
        #expect(reply["Access-Control-Allow-Credentials"] == "true")
    }

    @Test func thrownHTTPErrors_carryTheCORSFields() throws {
        let running = try TestServer(router: corsRouter(CORSMiddleware()))
        defer { running.stop() }
        let conflict = try RawClient.exchange(port: running.port, get("/api/fail", origin: "https://x.example"))
        #expect(conflict.status == 409)
        #expect(conflict["Access-Control-Allow-Origin"] == "*")

        let body = "{oops"
        let badJSON = try RawClient.exchange(port: running.port,
            "POST /api/echo HTTP/1.1\r\nHost: localhost\r\nOrigin: https://x.example\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
        #expect(badJSON.status == 400)
        #expect(badJSON["Access-Control-Allow-Origin"] == "*")
    }
}
