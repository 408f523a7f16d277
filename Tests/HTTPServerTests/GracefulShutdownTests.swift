import Dispatch
import Foundation
@testable import HTTPServer
import Testing

/// Graceful shutdown: in-flight requests finish with `Connection: close`, idle connections close at once,
/// `/readyz` says 503 while draining, and nothing new is accepted afterwards.
@Suite struct GracefulShutdownTests {
    /// A server with `GET /slow`, which takes about half a second.
    private func makeServer() throws -> TestServer {
        try TestServer(files: ["a.txt": "a"], routes: { router in
            router.get("/slow") { _ in
                usleep(500_000)
                return Response(text: "slow done")
            }
        })
    }

    /// A shutdown running on another thread, as an operator's command would.
    final class BackgroundShutdown: Sendable {
        private let finished = DispatchSemaphore(value: 0)
        private let result = Lock<DrainReport?>(nil)

        init(_ server: Server, grace: Double) {
            Thread { [self] in
                let report = server.shutdown(graceSeconds: grace)
                result.withLock { $0 = report }
                finished.signal()
            }.start()
        }

        /// The report, once the shutdown returned within `seconds`; nil if it did not.
        func wait(seconds: Double = 10) -> DrainReport? {
            guard finished.wait(timeout: .now() + seconds) == .success else { return nil }
            return result.withLock { $0 }
        }
    }

    @Test func inFlightRequest_finishesWithConnectionClose_thenNewConnectionsAreRefused() throws {
        let server = try makeServer()
        defer { server.stop() }
        let port = server.port
        let idle = try RawClient(port: port)
        defer { idle.close() }
        try idle.send(RawClient.request("GET", "/a.txt"))
        #expect(try idle.readResponse()["Connection"] == "keep-alive")

        let client = try RawClient(port: port, timeout: 10)
        defer { client.close() }
        try client.send(RawClient.request("GET", "/slow"))
        #expect(eventually { server.context.stats.requestsInFlight == 1 })

        let shutdown = BackgroundShutdown(server.server, grace: 5)
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "slow done")
        #expect(response.closesConnection)
        #expect(client.waitForClose())
        #expect(idle.waitForClose(), "an idle keep-alive connection stayed open during the drain")

        let drained = try #require(shutdown.wait())
        #expect(drained.finishedRequests == 1)
        #expect(drained.closedIdle >= 1)
        #expect(drained.forced == 0)
        #expect(throws: RawClient.Failure.self) { _ = try RawClient(port: port) }
    }

    @Test func readyz_is503_whileDraining() throws {
        let server = try makeServer()
        defer { server.stop() }
        #expect(try RawClient.fetch(port: server.port, "GET", "/readyz").status == 200)

        // A request whose head is still arriving when the drain starts is answered, not dropped.
        let probe = try RawClient(port: server.port)
        defer { probe.close() }
        try probe.send("GET /readyz HTTP/1.1\r\nHost: h\r\n")
        #expect(eventually { phases(server).contains(.readingHead) })

        let slow = try RawClient(port: server.port, timeout: 10)
        defer { slow.close() }
        try slow.send(RawClient.request("GET", "/slow"))
        #expect(eventually { server.context.stats.requestsInFlight == 1 })
        let shutdown = BackgroundShutdown(server.server, grace: 5)
        #expect(eventually { server.server.isDraining })

        try probe.send("\r\n")
        let readiness = try probe.readResponse()
        #expect(readiness.status == 503)
        #expect(readiness["Retry-After"] == "5")
        #expect(readiness.text.contains("draining"))
        #expect(readiness.closesConnection)

        #expect(try slow.readResponse().status == 200)
        #expect(shutdown.wait() != nil)
    }

    @Test func zeroGrace_dropsTheInFlightRequest() throws {
        let server = try makeServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port, timeout: 10)
        defer { client.close() }
        try client.send(RawClient.request("GET", "/slow"))
        #expect(eventually { server.context.stats.requestsInFlight == 1 })
        let report = server.server.shutdown(graceSeconds: 0)
        #expect(report.forced == 1)
        #expect(server.server.isDraining)
        // The handler still runs to its end, but the client never gets a response on the dropped socket.
        let rest = client.readToEnd()
        #expect(!String(decoding: rest, as: UTF8.self).contains("slow done"))
    }

    @Test func resizeAfterTheShutdown_startsNoWorker_andTellsTheOperator() throws {
        let server = try makeServer()
        defer { server.stop() }
        #expect(server.bus.send(.shutdown(graceSeconds: 0)).ok)
        #expect(server.server.workers.live == 0)

        // What the shell and the control socket send: refused, nothing recorded as changed.
        let refusal = Reply.failed("workers: the server is shutting down; no worker starts")
        #expect(server.bus.send(.setWorkers(4)) == refusal)
        #expect(server.bus.send(.configSet("workers", "4")) == refusal)
        #expect(server.bus.send(.configGet("workers")).field("value")?.text == "2")
        // An embedding program's call: no thread starts, the size stays.
        #expect(server.server.resizeWorkers(to: 3) == nil)
        #expect(server.server.workers.live == 0)
        #expect(server.server.workers.target == 2)
    }

    /// The phases of the server's open connections, as its housekeeper sees them.
    private func phases(_ server: TestServer) -> [Connection.Phase] {
        var found: [Connection.Phase] = []
        server.server.engine.registry.forEach { found.append($0.phase) }
        return found
    }
}
