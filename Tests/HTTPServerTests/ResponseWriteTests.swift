import HTTPServer
import HTTPServerTesting
import Testing

/// How the engine writes a response: the usual one goes out in one `writev` from the worker's head buffer and the
/// body's bytes; what the socket does not take at once (a partial write, a full socket) must still arrive whole
/// and in order after the worker's buffer has served later responses, and so must a head too long for that buffer.
@Suite struct ResponseWriteTests {
    /// Bytes that differ from one response to the next and along each body, so a piece out of place shows.
    /// Filled in a plain loop: a `map` closure per byte took seconds for 3 MiB in a debug build under
    /// ThreadSanitizer, longer than the client waits.
    private static func body(_ seed: Int, count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count {
                buffer[index] = UInt8(truncatingIfNeeded: index &* 7 &+ seed &* 31 &+ index >> 12)
            }
            initialized = count
        }
    }

    private static let large = 3 << 20

    private func server() throws -> TestServer {
        try TestServer(standardRoutes: false, routes: { router in
            router.get("/large/:seed") { request in
                .ok(bytes: Self.body(Int(request.parameters["seed"] ?? "") ?? 0, count: Self.large))
            }
            router.get("/small/:seed") { request in
                .ok(bytes: Self.body(Int(request.parameters["seed"] ?? "") ?? 0, count: 100))
            }
            router.get("/long-head") { _ in
                var response = Response.ok(bytes: Self.body(9, count: 1000))
                response.headers.add("X-Long", String(repeating: "v", count: 40_000))
                return response
            }
        })
    }

    @Test func largeBodiesPipelined_beyondWhatTheSocketTakes_arriveWholeAndInOrder() throws {
        let server = try server()
        defer { server.stop() }
        let client = try RawClient(port: server.port, timeout: 20)
        defer { client.close() }
        // Sent before anything is read: the first response fills the socket part-way through, the others wait
        // for room, and the small ones between them are written from the same buffer meanwhile.
        let targets = ["/large/1", "/small/2", "/large/3", "/small/4", "/large/5"]
        try client.send(targets.map { RawClient.request("GET", $0) }.joined())
        for target in targets {
            let response = try client.readResponse()
            let seed = Int(target.split(separator: "/").last ?? "") ?? 0
            let expected = Self.body(seed, count: target.hasPrefix("/large") ? Self.large : 100)
            #expect(response.status == 200)
            #expect(response["Content-Length"] == String(expected.count))
            #expect(firstDifference(response.body, expected) == nil, "\(target)")
        }
    }

    @Test func headOfALargeBody_announcesItsLength_andSendsNone() throws {
        let server = try server()
        defer { server.stop() }
        let client = try RawClient(port: server.port, timeout: 10)
        defer { client.close() }
        try client.send(RawClient.request("HEAD", "/large/1") + RawClient.request("GET", "/small/2"))
        let head = try client.readResponse(toHead: true)
        #expect(head.status == 200)
        #expect(head["Content-Length"] == String(Self.large))
        let next = try client.readResponse()
        #expect(next.body == Self.body(2, count: 100), "the HEAD answer carried no body")
    }

    @Test func headTooLongForTheWorkersBuffer_arrivesWhole_andTheNextResponseToo() throws {
        let server = try server()
        defer { server.stop() }
        let client = try RawClient(port: server.port, timeout: 10)
        defer { client.close() }
        try client.send(RawClient.request("GET", "/long-head") + RawClient.request("GET", "/small/3"))
        let long = try client.readResponse()
        #expect(long["X-Long"] == String(repeating: "v", count: 40_000))
        #expect(long["Content-Length"] == "1000")
        #expect(long.body == Self.body(9, count: 1000))
        let next = try client.readResponse()
        #expect(next.body == Self.body(3, count: 100))
    }
}
