import Foundation
import Glibc
import HTTPServer
import Synchronization
import Testing

/// Overload: a thousand slowloris connections do not starve a normal client and are answered 408 and closed;
/// past the connection cap a newcomer gets 503 with `Retry-After` at once, and a freed slot is usable again.
@Suite struct FaultOverloadTests {
    @Test func thousandSlowlorisConnections_get408_whileANormalClientIsServed() throws {
        let server = try TestServer(files: ["a.txt": "a"]) {
            $0.headerTimeoutSeconds = 2
            $0.maxConnectionsPerClient = nil  // every test client is 127.0.0.1: the server's own limits are tested
        }
        defer { server.stop() }
        let slow = try (0..<1000).map { _ in try RawClient(port: server.port, timeout: 10) }
        defer { slow.forEach { $0.close() } }
        for client in slow { try client.send("GET /a.txt HTTP/1.1\r\nHost: h\r\nX-Drip: ") }
        #expect(eventually(within: 20) { server.server.openConnections == 1000 },
                "open: \(server.server.openConnections)")

        // One header byte per second on every connection that still takes bytes.
        let drip = Dripper(slow)
        // Runs before the clients are closed, even when an expectation throws.
        defer { drip.stop() }

        // A normal client is served all along, on new connections and on a kept-alive one.
        let kept = try RawClient(port: server.port, timeout: 10)
        defer { kept.close() }
        for round in 0..<20 {
            let fresh = try RawClient.fetch(port: server.port, "GET", "/a.txt")
            #expect(fresh.status == 200 && fresh.text == "a", "fresh connection, round \(round)")
            try kept.send(RawClient.request("GET", "/a.txt"))
            let reused = try kept.readResponse()
            #expect(reused.status == 200 && reused.text == "a", "kept-alive connection, round \(round)")
            usleep(100_000)
        }
        kept.close()

        // The header timeout ends every slow connection; 30 s only bounds a hang on a loaded machine.
        #expect(eventually(within: 30) { server.server.openConnections == 0 },
                "still open: \(server.server.openConnections)")
        drip.stop()
        var timedOut = 0
        var otherAnswers: [Int] = []
        for client in slow {
            if let response = try? client.readResponse() {
                if response.status == 408, response.closesConnection {
                    timedOut += 1
                } else {
                    otherAnswers.append(response.status)
                }
            }
            #expect(client.waitForClose(), "a slow connection stayed open")
        }
        #expect(otherAnswers.isEmpty, "slow connections answered: \(otherAnswers.prefix(10))")
        #expect(timedOut == slow.count, "only \(timedOut) of \(slow.count) slow connections got 408")
        #expect(try RawClient.fetch(port: server.port, "GET", "/a.txt").status == 200)
    }

    @Test func fiftyFirstConnection_gets503WithRetryAfter_andAFreedSlotServesAgain() throws {
        let server = try TestServer(files: ["a.txt": "a"]) { $0.maxConnections = 50 }
        defer { server.stop() }
        var held = try (0..<50).map { _ in try RawClient(port: server.port, timeout: 10) }
        defer { held.forEach { $0.close() } }
        #expect(eventually(within: 10) { server.server.openConnections == 50 })

        let extra = try RawClient(port: server.port, timeout: 10)
        defer { extra.close() }
        let refused = try extra.readResponse()
        #expect(refused.status == 503)
        #expect(refused["Retry-After"].flatMap { Int($0) }.map { $0 > 0 } == true,
                "Retry-After: \(refused["Retry-After"] ?? "missing")")
        #expect(refused.closesConnection)
        #expect(extra.waitForClose())
        #expect(server.context.stats.connectionsRefused == 1)

        // Every admitted connection is served.
        for client in held { try client.send(RawClient.request("GET", "/a.txt")) }
        #expect(try held.allSatisfy { try $0.readResponse().text == "a" })

        // A slot freed by a client that leaves is given to the next one.
        held.removeLast().close()
        #expect(eventually(within: 10) { server.server.openConnections == 49 })
        let next = try RawClient.fetch(port: server.port, "GET", "/a.txt")
        #expect(next.status == 200 && next.text == "a")
        #expect(server.context.stats.connectionsRefused == 1)
    }
}

/// A thread that sends one byte per second to each connection, dropping a connection once a send fails.
private final class Dripper: Sendable {
    private let running = Atomic<Bool>(true)
    private let done = DispatchSemaphore(value: 0)

    init(_ clients: [RawClient]) {
        let box = FaultClients(clients)
        Thread.detachNewThread { [self] in
            var alive = Array(box.clients.indices)
            while running.load(ordering: .relaxed), !alive.isEmpty {
                alive = alive.filter { (try? box.clients[$0].send("a")) != nil }
                for _ in 0..<10 where running.load(ordering: .relaxed) { usleep(100_000) }
            }
            done.signal()
        }
    }

    /// Stops dripping and waits for the thread; later calls return at once.
    func stop() {
        guard running.exchange(false, ordering: .relaxed) else { return }
        done.wait()
    }
}
