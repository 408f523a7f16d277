import Dispatch
import Foundation
import Glibc
import HTTPServer
import Synchronization
import Testing

/// A graceful shutdown under load keeps its promise for every request a client managed to send.
///
/// The contract, from the client's side: a request whose bytes were completely written on a connection the
/// server had accepted ends in exactly one of two ways. Either a complete response arrives (status line, headers
/// and all of its `Content-Length` body), or the connection ends before a single byte of the response, which is
/// allowed only for a request the server never read. Two counts make "never read" checkable: the server counts a
/// request as served before its first byte goes out, so the responses it counted must equal the complete
/// responses clients received (none was counted and then lost), and no request may be left in flight.
@Suite struct FaultShutdownTests {
    @Test func gracefulShutdownUnderLoad_answersEveryRequestItRead_andTruncatesNone() throws {
        // A quarter-mebibyte file makes some responses wait for the client to read; /work keeps requests in flight.
        let big = String(repeating: "0123456789abcdef", count: 16 * 1024)
        let server = try TestServer(files: ["a.txt": "a", "big.txt": big], configure: { $0.workers = 4 },
                                    routes: { router in
            router.get("/work") { _ in
                usleep(20_000)
                return Response(text: "worked")
            }
        })
        defer { server.stop() }
        let load = ClientLoad(port: server.port, paths: ["/a.txt", "/work", "/big.txt"], threads: 12, timeout: 15,
                              stopWhenRefused: true)
        #expect(load.waitForAnswers(300), "the load never got going")

        let report = server.server.shutdown(graceSeconds: 5)
        // Every thread ends on its own: the listener is gone, so its next connect is refused.
        #expect(load.waitForThreads(within: 30), "a client thread hung after the shutdown")

        let results = load.outcomes
        let answered = results.count { $0.status != nil }
        let closedFirst = results.count { if case .closedBeforeAnswer = $0 { true } else { false } }
        // Each thread's last attempt: the connect refused once the listener was gone.
        let refused = results.count { $0 == .refused }
        let broken = results.filter { if case .truncated = $0 { true } else { $0 == .silent } }
        #expect(broken.isEmpty, "truncated or silent answers: \(broken.prefix(5))")
        #expect(results.allSatisfy { if case .answered(let status) = $0 { status == 200 } else { true } })
        #expect(report.forced == 0, "the grace ran out with connections open")
        #expect(server.context.stats.requestsServed == answered,
                "the server answered \(server.context.stats.requestsServed), clients received \(answered) whole")
        #expect(server.context.stats.requestsInFlight == 0, "a request was read and never answered")
        #expect(answered + closedFirst + refused == results.count)
        #expect(server.server.openConnections == 0)
    }

    /// The drain closes idle keep-alive connections at once, while their clients may be sending the next request
    /// that very moment. A request that races in must be answered or never read; it must not be read and then
    /// find its connection already shut for writing.
    @Test func shutdownRacingTheNextRequestOnIdleConnections_losesNoAnswer() throws {
        let server = try TestServer(files: ["a.txt": "a"]) { $0.maxConnectionsPerClient = nil }  // 300 from one address
        defer { server.stop() }
        let clients = try (0..<300).map { _ in try RawClient(port: server.port, timeout: 10) }
        defer { clients.forEach { $0.close() } }
        for client in clients {
            try client.send(RawClient.request("GET", "/a.txt"))
            #expect(try client.readResponse().status == 200)
        }
        let servedBefore = server.context.stats.requestsServed

        // Next requests go out on every connection while the drain walks them.
        let sent = Atomic<Int>(0)
        let sender = FaultClients(clients)
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            for client in sender.clients {
                if (try? client.send(RawClient.request("GET", "/a.txt"))) != nil { sent.add(1, ordering: .relaxed) }
            }
            finished.signal()
        }
        #expect(eventually { sent.load(ordering: .relaxed) >= 30 })
        let report = server.server.shutdown(graceSeconds: 5)
        finished.wait()

        var answered = 0
        var broken: [String] = []
        for client in clients {
            do {
                let response = try client.readResponse()
                #expect(response.status == 200)
                answered += 1
            } catch RawClient.Failure.closed(let partial) where partial.isEmpty {
                continue
            } catch {
                broken.append("\(error)")
            }
        }
        #expect(broken.isEmpty, "truncated or silent answers: \(broken.prefix(3))")
        #expect(report.forced == 0)
        #expect(server.context.stats.requestsServed - servedBefore == answered,
                "served \(server.context.stats.requestsServed - servedBefore) in the race, \(answered) arrived")
        #expect(server.context.stats.requestsInFlight == 0)
    }
}
