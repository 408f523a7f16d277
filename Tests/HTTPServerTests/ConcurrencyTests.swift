import Dispatch
import Foundation
import HTTPServer
import Testing

/// Many clients at once: idle keep-alive connections never hold a worker, and concurrent requests are all
/// served and counted exactly.
@Suite struct ConcurrencyTests {
    @Test func idleKeepAliveConnections_doNotHoldTheOnlyWorker() throws {
        let server = try TestServer(files: ["a.txt": "a"]) { $0.workers = 1 }
        defer { server.stop() }
        var idle: [RawClient] = []
        defer { idle.forEach { $0.close() } }
        for _ in 0..<200 {
            let client = try RawClient(port: server.port)
            try client.send(RawClient.request("GET", "/a.txt"))
            let response = try client.readResponse()
            #expect(response["Connection"] == "keep-alive")
            idle.append(client)
        }
        #expect(server.server.workers.live == 1)
        #expect(eventually { server.server.openConnections == 200 })

        // Generous: one worker answers in well under a millisecond when it is free.
        let newcomer = try RawClient(port: server.port, timeout: 2)
        defer { newcomer.close() }
        try newcomer.send(RawClient.request("GET", "/a.txt"))
        #expect(try newcomer.readResponse().text == "a")

        // The idle ones are still alive and served too.
        for client in [idle[0], idle[99], idle[199]] {
            try client.send(RawClient.request("GET", "/a.txt"))
            #expect(try client.readResponse().text == "a")
        }
    }

    @Test func concurrentRequests_areAllServedAndCountedExactly() throws {
        let server = try TestServer(files: ["hot.txt": "hot"])
        defer { server.stop() }
        let clients = 100
        let port = server.port
        let results = Lock<[Int]>([])
        let start = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for _ in 0..<clients {
            done.enter()
            Thread {
                defer { done.leave() }
                start.wait()
                let status = (try? RawClient.fetch(port: port, "GET", "/hot.txt"))
                    .map { $0.text == "hot" ? $0.status : -1 } ?? 0
                results.withLock { $0.append(status) }
            }.start()
        }
        for _ in 0..<clients { start.signal() }
        #expect(done.wait(timeout: .now() + 30) == .success)
        let statuses = results.withLock { $0 }
        #expect(statuses.count == clients)
        #expect(statuses.allSatisfy { $0 == 200 }, "statuses: \(statuses.filter { $0 != 200 })")
        #expect(server.context.counters.count(for: "/hot.txt") == clients)
        #expect(server.context.stats.requestsServed == clients)
    }
}
