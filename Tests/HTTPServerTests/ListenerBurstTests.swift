import Glibc
import HTTPServerTesting
import Testing
@testable import HTTPServer

/// The listener is edge-triggered: its event is not raised again for connections already queued, and a worker
/// accepts a bounded batch per event. Connections queued beyond one batch must still be accepted without waiting
/// for a newcomer to raise another event.
@Suite struct ListenerBurstTests {
    @Test func connectionsQueuedBeyondOneBatch_areAllAccepted() throws {
        var router = Router()
        router.get("/slow") { _ in
            usleep(300_000)
            return .ok("slow")
        }
        router.get("/fast") { _ in .ok("fast") }
        let server = try TestServer(router: router) { configuration in
            configuration.workers = 1
            configuration.maxConnectionsPerClient = nil
        }
        defer { server.stop() }
        // The only worker sits in a handler while three batches' worth of connections queue on the listener.
        let busy = try RawClient(port: server.port)
        try busy.send(RawClient.request("GET", "/slow"))
        usleep(100_000)
        let queued = try (0..<(Engine.acceptBatch * 3)).map { _ in try RawClient(port: server.port, timeout: 5) }
        #expect(try busy.readResponse().status == 200)
        for client in queued { try client.send(RawClient.request("GET", "/fast")) }
        // The last to connect first: if the queue was left behind, this fails in one timeout, not in hundreds.
        for client in queued.reversed() { #expect(try client.readResponse().status == 200) }
    }
}
