import Testing
@testable import HTTPServer

/// The middleware chain over real loopback HTTP: order, answering early, changing responses, errors.
@Suite struct MiddlewareTests {
    /// What happened, in order, across middleware and handlers.
    private final class Trace: Sendable {
        private let events = Lock<[String]>([])
        func record(_ event: String) { events.withLock { $0.append(event) } }
        var all: [String] { events.withLock { $0 } }
    }

    /// Records entry and exit, tags the response, and answers 401 itself when `refuses` is true.
    private struct Step: Middleware {
        let name: String
        let trace: Trace
        var refuses = false

        func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
            trace.record("\(name)>")
            guard !refuses else {
                trace.record("\(name) refused")
                return .text("refused by \(name)\n", status: HTTPStatus(401, "Unauthorized"))
            }
            var response = try next(request)
            trace.record("<\(name)")
            response.headers.add("X-Chain", name)
            return response
        }
    }

    /// Refuses in `admit` requests whose path starts with `prefix`.
    private struct Gate: Middleware {
        let name: String
        let prefix: String
        let trace: Trace

        func admit(_ request: Request) -> Response? {
            trace.record("admit \(name)")
            guard request.path.hasPrefix(prefix) else { return nil }
            return .text("closed by \(name)\n", status: .forbidden)
        }
    }

    /// Adds a header to an `HTTPError` thrown further in, and rethrows it.
    private struct TagErrors: Middleware {
        func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
            do {
                return try next(request)
            } catch var error as HTTPError {
                error.headers.add("X-Tagged", "yes")
                throw error
            }
        }
    }

    private func get(_ path: String) -> String { "GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n" }

    @Test func chain_runsInRegistrationOrder_outermostFirst() throws {
        let trace = Trace()
        var router = Router()
        router.use(Step(name: "a", trace: trace))
        router.use(Step(name: "b", trace: trace))
        router.use(Step(name: "c", trace: trace))
        router.get("/x") { _ in
            trace.record("handler")
            return .text("x\n")
        }
        let running = try TestServer(router: router)
        defer { running.stop() }
        let reply = try RawClient.exchange(port: running.port, get("/x"))
        #expect(reply.status == 200)
        #expect(trace.all == ["a>", "b>", "c>", "handler", "<c", "<b", "<a"])
        // Each changed the response on the way out: the innermost first.
        #expect(reply.values("X-Chain") == ["c", "b", "a"])
    }

    /// The server's own middleware (protection first, live CORS last) are passed by while they have nothing to
    /// do, and take part again as soon as they have: the application's middleware runs in place either way.
    @Test func serversOwnMiddleware_passedByWhileIdle_actAsSoonAsTurnedOn() throws {
        let trace = Trace()
        var router = Router()
        router.use(Step(name: "a", trace: trace))
        router.get("/x") { _ in
            trace.record("handler")
            return .text("x\n")
        }
        let running = try TestServer(router: router)
        defer { running.stop() }
        let request = "GET /x HTTP/1.1\r\nHost: localhost\r\nOrigin: https://app.example\r\n\r\n"
        let idle = try RawClient.exchange(port: running.port, request)
        #expect(idle.status == 200 && idle["Access-Control-Allow-Origin"] == nil)
        #expect(idle.values("X-Chain") == ["a"])

        running.context.settings.cors.current = .any
        let cors = try RawClient.exchange(port: running.port, request)
        #expect(cors["Access-Control-Allow-Origin"] == "*")
        #expect(cors.values("X-Chain") == ["a"])
        running.context.settings.cors.current = nil
        #expect(try RawClient.exchange(port: running.port, request)["Access-Control-Allow-Origin"] == nil)

        running.context.limiter.set(RateLimit(requests: 1, seconds: 60, burst: 1))
        #expect(try RawClient.exchange(port: running.port, request).status == 200)
        #expect(try RawClient.exchange(port: running.port, request).status == 429)
        running.context.limiter.set(nil)
        running.context.blocklist.block(try #require(CIDR("127.0.0.1/32")), reason: "test")
        #expect(try RawClient.exchange(port: running.port, request).status == 403)
        #expect(trace.all == Array(repeating: ["a>", "handler", "<a"], count: 4).flatMap { $0 })
    }

    @Test func middleware_canAnswerWithoutCallingNext() throws {
        let trace = Trace()
        var router = Router()
        router.use(Step(name: "a", trace: trace))
        router.use(Step(name: "b", trace: trace, refuses: true))
        router.use(Step(name: "c", trace: trace))
        router.get("/x") { _ in
            trace.record("handler")
            return .text("x\n")
        }
        let running = try TestServer(router: router)
        defer { running.stop() }
        let reply = try RawClient.exchange(port: running.port, get("/x"))
        #expect(reply.status == 401)
        #expect(reply.text == "refused by b\n")
        #expect(trace.all == ["a>", "b>", "b refused", "<a"])
        #expect(reply.values("X-Chain") == ["a"])
    }

    @Test func admit_refusesBeforeTheBodyIsRead_firstAnswerWins() throws {
        let trace = Trace()
        var router = Router()
        router.use(Gate(name: "first", prefix: "/private", trace: trace))
        router.use(Gate(name: "second", prefix: "/", trace: trace))
        router.post("/private/upload", body: .buffered(maxBytes: 10 << 20)) { _ in
            trace.record("handler")
            return .noContent
        }
        let running = try TestServer(router: router)
        defer { running.stop() }
        let connection = try RawClient(port: running.port)
        defer { connection.close() }
        // Announce 5 MB and send none of it: the answer must come anyway.
        try connection.send("POST /private/upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000000\r\n\r\n")
        let reply = try connection.readResponse()
        #expect(reply.status == 403)
        #expect(reply.text == "closed by first\n")
        #expect(reply["Connection"] == "close")
        #expect(connection.waitForClose())
        #expect(trace.all == ["admit first"])
    }

    @Test func admit_letsThrough_thenHandleRuns() throws {
        let trace = Trace()
        var router = Router()
        router.use(Gate(name: "gate", prefix: "/private", trace: trace))
        router.use(Step(name: "a", trace: trace))
        router.post("/public") { request in
            trace.record("handler \(request.body.count)")
            return .noContent
        }
        let running = try TestServer(router: router)
        defer { running.stop() }
        let reply = try RawClient.exchange(port: running.port,
                                                "POST /public HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc")
        #expect(reply.status == 204)
        #expect(trace.all == ["admit gate", "a>", "handler 3", "<a"])
    }

    @Test func thrownHTTPError_passesUpThroughHandle() throws {
        var router = Router()
        router.use(TagErrors())
        router.get("/conflict") { _ in throw HTTPError(.conflict, "already there") }
        let running = try TestServer(router: router)
        defer { running.stop() }
        let reply = try RawClient.exchange(port: running.port, get("/conflict"))
        #expect(reply.status == 409)
        #expect(reply["X-Tagged"] == "yes")
        #expect(reply.text.contains("already there"))
    }

    @Test func rateLimit_isAnAdmitMiddleware() throws {
        var router = Router()
        let limiter = RateLimiter(limit: RateLimit(requests: 2, seconds: 60, burst: 2))
        router.use(ProtectionMiddleware(blocklist: Blocklist(), limiter: limiter))
        router.get("/x") { _ in .text("x\n") }
        let running = try TestServer(router: router)
        defer { running.stop() }
        let statuses = try (0..<3).map { _ in try RawClient.exchange(port: running.port, get("/x")) }
        #expect(statuses.map(\.status) == [200, 200, 429])
        #expect(statuses[2]["Retry-After"] != nil)
    }
}
