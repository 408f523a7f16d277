import Foundation
@testable import HTTPServer
import HTTPServerTesting
import Testing

/// A connection a worker accepted just before a drain began, whose first request has not arrived yet, gets the
/// drain's first-request grace (`Engine.firstRequestGraceMilliseconds`) rather than being closed unanswered: its
/// client dialled a server that was serving.
@Suite struct DrainFirstRequestGraceTests {
    @Test func connectionAcceptedByAWorkerAsTheDrainStarts_isAnsweredWithinTheGrace() throws {
        let server = try TestServer(standardRoutes: false, configure: { $0.workers = 1 }, routes: { router in
            router.get("/hold") { _ in
                usleep(200_000)
                return Response(text: "held")
            }
        })
        defer { server.stop() }
        let port = server.port
        // K: a keep-alive connection that keeps the only worker busy, so the next two connections queue.
        let busy = try RawClient(port: port, timeout: 10)
        defer { busy.close() }
        try busy.send(RawClient.request("GET", "/hold"))
        usleep(50_000)
        // H sends its request at once; F connects but sends nothing yet. The worker accepts both in one batch,
        // then serves H (200 ms) while the drain starts, then looks at F.
        let held = try RawClient(port: port, timeout: 10)
        defer { held.close() }
        try held.send(RawClient.request("GET", "/hold"))
        let fresh = try RawClient(port: port, timeout: 10)
        defer { fresh.close() }
        usleep(250_000)  // the worker is now in H's handler, with F accepted
        let shutdown = GracefulShutdownTests.BackgroundShutdown(server.server, grace: 5)
        usleep(300_000)  // H answered; F served with nothing to read, during the drain
        try fresh.send(RawClient.request("GET", "/hold"))
        let response = try? fresh.readResponse()
        #expect(response?.status == 200, "a connection accepted before the drain was closed unanswered")
        _ = shutdown.wait()
    }
}
