import Glibc
import HTTPServer
import HTTPServerTesting
import Synchronization
import Testing

/// One worker per CPU, and a spare while every worker is stuck: a request that waits inside a handler must not
/// stall the others, whether the wait is announced (`BlockingCall`) or not; the spare leaves once it is over.
@Suite struct SpareWorkerTests {
    /// A handler that waits until the test lets it go, and says when it has started waiting.
    final class Gate: Sendable {
        let entered = Atomic<Bool>(false)
        let opened = Atomic<Bool>(false)

        func wait() {
            entered.store(true, ordering: .relaxed)
            let deadline = MonotonicClock.milliseconds() + 20_000
            while !opened.load(ordering: .relaxed), MonotonicClock.milliseconds() < deadline { usleep(2000) }
        }
    }

    @Test func announcedBlockingCall_onTheOnlyWorker_startsASpareAtOnce_thatLeavesAfterIt() throws {
        let gate = Gate()
        let server = try TestServer(standardRoutes: false, configure: { $0.workers = 1 }, routes: { router in
            router.get("/block") { _ in
                BlockingCall.run { gate.wait() }
                return .text("done")
            }
            router.get("/x") { _ in .text("x") }
        })
        defer { server.stop() }
        #expect(server.server.workers.live == 1)

        let blocked = try RawClient(port: server.port)
        try blocked.send("GET /block HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(eventually(within: 10) { gate.entered.load(ordering: .relaxed) })
        // The spare started before the call began: no check of the housekeeper's was needed.
        #expect(server.server.workers.live == 2)
        #expect(server.status("workers_spare") == "1")
        #expect(try RawClient.fetch(port: server.port, "GET", "/x").text == "x")

        gate.opened.store(true, ordering: .relaxed)
        #expect(try blocked.readResponse().text == "done")
        #expect(eventually(within: 10) { server.server.workers.live == 1 }, "live: \(server.server.workers.live)")
        #expect(server.server.workers.target == 1)
        #expect(server.status("workers_spare") == "0")
        #expect(try RawClient.fetch(port: server.port, "GET", "/x").text == "x")
    }

    @Test func unannouncedWait_onEveryWorker_getsASpareFromTheHousekeeper_thatLeavesAfterIt() throws {
        let gate = Gate()
        let server = try TestServer(standardRoutes: false, configure: { $0.workers = 1 }, routes: { router in
            router.get("/stall") { _ in
                gate.wait()
                return .text("done")
            }
            router.get("/x") { _ in .text("x") }
        })
        defer { server.stop() }

        let stalled = try RawClient(port: server.port)
        try stalled.send("GET /stall HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(eventually(within: 10) { gate.entered.load(ordering: .relaxed) })
        // Answered while the only worker is still held: by a spare, within two of the housekeeper's checks.
        let other = try RawClient(port: server.port, timeout: 10)
        try other.send("GET /x HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(try other.readResponse().text == "x")
        #expect(server.server.workers.live == 2)

        gate.opened.store(true, ordering: .relaxed)
        #expect(try stalled.readResponse().text == "done")
        #expect(eventually(within: 10) { server.server.workers.live == 1 }, "live: \(server.server.workers.live)")
    }

    @Test func workersLeavingAfterAShrink_areNotSpares() throws {
        let gate = Gate()
        let entered = Atomic<Int>(0)
        let server = try TestServer(standardRoutes: false, configure: { $0.workers = 4 }, routes: { router in
            router.get("/stall") { _ in
                entered.add(1, ordering: .relaxed)
                gate.wait()
                return .text("done")
            }
        })
        defer { server.stop() }

        // Three of the four workers held: one is free, so no spare starts, and none of the three can leave. One
        // client at a time: a worker serves the connections it accepted in one batch one after another.
        var stalled: [RawClient] = []
        for count in 1...3 {
            let client = try RawClient(port: server.port)
            try client.send("GET /stall HTTP/1.1\r\nHost: h\r\n\r\n")
            stalled.append(client)
            #expect(eventually(within: 10) { entered.load(ordering: .relaxed) == count })
        }
        // Until the housekeeper has checked (every 250 ms), a held worker still counts as free, and the free one
        // would leave at the shrink.
        usleep(600_000)
        #expect(server.bus.send(.setWorkers(1)).ok)
        // Four threads run for a target of one; the three beyond it are leaving, not spares: in the text, in
        // JSON, and in /metrics, whose busy and idle workers add up to the threads running.
        #expect(server.server.workers.live == 4)
        let status = server.bus.send(.status)
        #expect(status.field("workers_spare")?.text == "0")
        #expect(status.field("workers_spare")?.value == .integer(0))
        #expect(status.field("workers")?.value == .integer(4))
        let metrics = try RawClient.fetch(port: server.port, "GET", "/metrics").text
        #expect(metrics.contains("httpsh_workers{state=\"busy\"} "))
        #expect(Self.workerSamples(metrics) == 4, "\(metrics)")

        gate.opened.store(true, ordering: .relaxed)
        for client in stalled { #expect(try client.readResponse().text == "done") }
        #expect(eventually(within: 10) { server.server.workers.live == 1 }, "live: \(server.server.workers.live)")
        #expect(server.status("workers_spare") == "0")
    }

    /// The sum of `/metrics`' worker gauges (busy and idle).
    private static func workerSamples(_ metrics: String) -> Int {
        metrics.split(separator: "\n").filter { $0.hasPrefix("httpsh_workers{") }
            .compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }.reduce(0, +)
    }
}
