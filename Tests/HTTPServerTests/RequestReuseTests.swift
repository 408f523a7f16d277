import HTTPServer
import HTTPServerTesting
import Synchronization
import Testing

/// A worker takes a finished request's storage, and the buffer of its header fields, for its next request: only
/// when nothing else holds them. A handler that keeps its request, or only its headers, past the answer must read
/// its own values after later requests on the same connection; and every request must see its own parts, never
/// one left over from the request before (parameters, body, a longer header section).
@Suite struct RequestReuseTests {
    /// What handlers kept, read by the test after later requests.
    private final class Kept: Sendable {
        let requests = Mutex<[Request]>([])
        let headers = Mutex<[HTTPHeaders]>([])
    }

    private static func router(_ kept: Kept) -> Router {
        var router = Router()
        router.get("/keep/:name") { request in
            kept.requests.withLock { $0.append(request) }
            return .text(describe(request))
        }
        router.get("/headers/:name") { request in
            kept.headers.withLock { $0.append(request.headers) }
            return .text(describe(request))
        }
        router.get("/plain") { .text(describe($0)) }
        router.post("/upload") { .text(describe($0)) }
        router.get("/many/:a/:b/:c/:d/:e/*f") { request in
            .text(["a", "b", "c", "d", "e", "f"].map { request.parameters[$0] ?? "-" }.joined(separator: ",")
                + " \(request.parameters.count)\n")
        }
        return router
    }

    /// Everything a handler reads from its request, on one line.
    private static func describe(_ request: Request) -> String {
        "\(request.method) \(request.path) \(request.parameters) query=\(request.head.query ?? "-") "
            + "body=\(request.body.count) " + describe(request.headers)
    }

    private static func describe(_ headers: HTTPHeaders) -> String {
        headers.fields.map { "\($0.name)=\($0.value)" }.joined(separator: ",") + "\n"
    }

    /// Sends one request on `client` and returns the line its handler wrote.
    private static func exchange(_ client: RawClient, _ method: String, _ target: String, tag: String,
                                 extra: [(String, String)] = [], body: String? = nil) throws -> String {
        try client.send(RawClient.request(method, target, headers: [("X-Tag", tag)] + extra, body: body))
        let response = try client.readResponse()
        #expect(response.status == 200, "\(method) \(target)")
        return response.text
    }

    @Test func keptRequestAndHeaders_readTheirOwnValues_afterLaterRequestsOnTheConnection() throws {
        let kept = Kept()
        // One worker: every request of the connection is answered by the thread that holds the spares.
        let server = try TestServer(router: Self.router(kept)) { $0.workers = 1 }
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        let long = String(repeating: "l", count: 600)
        let longer = String(repeating: "L", count: 3000)

        let first = try Self.exchange(client, "GET", "/keep/first?x=1", tag: "one", extra: [("X-Long", long)])
        #expect(first == "GET /keep/first [\"name\": \"first\"] query=x=1 body=0 Host=127.0.0.1,X-Tag=one,X-Long=\(long)\n")
        #expect(try Self.exchange(client, "GET", "/plain", tag: "two")
            == "GET /plain [:] query=- body=0 Host=127.0.0.1,X-Tag=two\n")
        let third = try Self.exchange(client, "GET", "/headers/third?y", tag: "three", extra: [("Accept", "*/*")])
        #expect(third == "GET /headers/third [\"name\": \"third\"] query=y body=0 Host=127.0.0.1,X-Tag=three,Accept=*/*\n")
        // A section longer than the spare buffer has room for, then short ones again.
        #expect(try Self.exchange(client, "GET", "/plain", tag: "four", extra: [("X-Longer", longer)])
            == "GET /plain [:] query=- body=0 Host=127.0.0.1,X-Tag=four,X-Longer=\(longer)\n")
        #expect(try Self.exchange(client, "POST", "/upload", tag: "five", body: "hello")
            == "POST /upload [:] query=- body=5 Host=127.0.0.1,X-Tag=five,Content-Length=5\n")
        #expect(try Self.exchange(client, "GET", "/plain", tag: "six")
            == "GET /plain [:] query=- body=0 Host=127.0.0.1,X-Tag=six\n")

        let keptRequest = try #require(kept.requests.withLock { $0.first })
        #expect(Self.describe(keptRequest) == first, "the kept request is still the first one")
        #expect(keptRequest.headers["X-Long"] == long)
        let keptHeaders = try #require(kept.headers.withLock { $0.first })
        #expect(Self.describe(keptHeaders) == "Host=127.0.0.1,X-Tag=three,Accept=*/*\n", "the kept headers are the third's")

        // Let go of both, then more requests: their storage and buffer may now be taken again, and hold the new
        // requests' values only.
        kept.requests.withLock { $0.removeAll() }
        kept.headers.withLock { $0.removeAll() }
        for tag in ["seven", "eight", "nine"] {
            #expect(try Self.exchange(client, "GET", "/plain?\(tag)", tag: tag)
                == "GET /plain [:] query=\(tag) body=0 Host=127.0.0.1,X-Tag=\(tag)\n")
        }
        #expect(try Self.exchange(client, "GET", "/keep/again", tag: "ten")
            == "GET /keep/again [\"name\": \"again\"] query=- body=0 Host=127.0.0.1,X-Tag=ten\n")
        #expect(try Self.exchange(client, "GET", "/plain", tag: "eleven")
            == "GET /plain [:] query=- body=0 Host=127.0.0.1,X-Tag=eleven\n")
        let again = try #require(kept.requests.withLock { $0.first })
        #expect(Self.describe(again) == "GET /keep/again [\"name\": \"again\"] query=- body=0 Host=127.0.0.1,X-Tag=ten\n")
    }

    /// The pipeline lends a request the engine's head and takes it back once the answer is made (a copy when a
    /// handler kept the request): what the engine then does with the answer (no body for HEAD, a close for
    /// `Connection: close`) must follow that request's own head, kept or not.
    @Test func answer_followsTheRequestsOwnHead_keptOrNot() throws {
        let kept = Kept()
        let server = try TestServer(router: Self.router(kept)) { $0.workers = 1 }
        defer { server.stop() }
        for target in ["/keep/h", "/plain"] {
            let client = try RawClient(port: server.port)
            defer { client.close() }
            try client.send(RawClient.request("HEAD", target, headers: [("X-Tag", "head")]))
            let head = try client.readResponse(toHead: true)
            #expect(head.status == 200, "HEAD \(target)")
            // Had the engine answered the HEAD as a GET, its body would be read here as this response's head.
            try client.send(RawClient.request("GET", target, headers: [("X-Tag", "last"), ("Connection", "close")]))
            let last = try client.readResponse()
            #expect(last.status == 200)
            #expect(last.text.hasPrefix("GET \(target) "), "\(last.text)")
            #expect(last["Connection"]?.lowercased() == "close", "GET \(target)")
            #expect(client.waitForClose(), "Connection: close, from the request's own head")
        }
        #expect(kept.requests.withLock { $0.map(\.method) } == [.head, .get])
    }

    /// A request keeps where its parameters lie in its raw path, made into values when asked for: more captures
    /// than are held inline, then fewer, then none, on one connection (one worker, so one reused storage), each
    /// request reads its own.
    @Test func parameters_areEachRequestsOwn_fromManyCapturesToNone() throws {
        let server = try TestServer(router: Self.router(Kept())) { $0.workers = 1 }
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        #expect(try Self.exchange(client, "GET", "/many/1/2/3/4/%35/six/%37", tag: "one") == "1,2,3,4,5,six/7 6\n")
        #expect(try Self.exchange(client, "GET", "/keep/k%20k", tag: "two")
            == "GET /keep/k k [\"name\": \"k k\"] query=- body=0 Host=127.0.0.1,X-Tag=two\n")
        #expect(try Self.exchange(client, "GET", "/many/a/b/c/d/e/", tag: "three") == "a,b,c,d,e, 6\n")
        #expect(try Self.exchange(client, "GET", "/plain", tag: "four")
            == "GET /plain [:] query=- body=0 Host=127.0.0.1,X-Tag=four\n")
        // No route: nothing captured is left over for the next request either.
        try client.send(RawClient.request("GET", "/keep", headers: [("X-Tag", "five")]))
        #expect(try client.readResponse().status == 404)
        #expect(try Self.exchange(client, "GET", "/plain", tag: "six")
            == "GET /plain [:] query=- body=0 Host=127.0.0.1,X-Tag=six\n")
    }
}
