import Foundation
import HTTPServer
import Testing

/// What a program embedding the library gets from `Server.start` and `ServerConfiguration` alone: its routes, and
/// every configuration field honoured without wiring anything else; and httpsh's own routes, from a
/// `SiteConfiguration`.
@Suite struct EmbeddingTests {
    @Test func start_servesTheRoutesItRegisters() throws {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.workers = 1
        let logs = CollectingLogSink()
        let server = try Server.start(configuration, logSink: logs) { router, _ in
            router.get("/hello/:name") { request in .text("hello \(request.parameters["name"] ?? "")\n") }
        }
        defer { _ = server.shutdown(graceSeconds: 0) }
        let response = try RawClient.fetch(port: server.address.port, "GET", "/hello/you")
        #expect(response.status == 200)
        #expect(response.text == "hello you\n")
        #expect(eventually { logs.lines.contains { $0.contains("GET /hello/you") } }, "the access line is logged")
    }

    @Test func start_whenTheRoutesThrow_failsWithTheirError() {
        var configuration = ServerConfiguration()
        configuration.port = 0
        #expect(throws: Server.StartError.self) {
            _ = try Server.start(configuration, logSink: CollectingLogSink()) { _, _ in
                throw Server.StartError(description: "no site")
            }
        }
    }

    @Test func rateLimit_isEnforcedWithoutAnyMiddleware() throws {
        let server = try TestServer(standardRoutes: false, configure: {
            $0.rateLimit = RateLimit(requests: 1, seconds: 60, burst: 1)
        }, routes: { router in
            router.get("/x") { _ in .text("x") }
        })
        defer { server.stop() }
        #expect(try RawClient.fetch(port: server.port, "GET", "/x").status == 200)
        let limited = try RawClient.fetch(port: server.port, "GET", "/x")
        #expect(limited.status == 429)
        #expect(limited["RateLimit-Limit"] == "1")
    }

    @Test func metricsPath_isServed_andNilServesNone() throws {
        let served = try TestServer(standardRoutes: false, configure: { $0.metricsPath = "/stats/prometheus" })
        defer { served.stop() }
        let metrics = try RawClient.fetch(port: served.port, "GET", "/stats/prometheus")
        #expect(metrics.status == 200)
        #expect(metrics.text.contains("# TYPE http_requests_total counter"))

        let none = try TestServer(standardRoutes: false, configure: { $0.metricsPath = nil })
        defer { none.stop() }
        #expect(try RawClient.fetch(port: none.port, "GET", "/metrics").status == 404)
    }

    @Test func cors_isAnsweredWithoutAnyMiddleware_andFollowsTheLiveSetting() throws {
        let server = try TestServer(standardRoutes: false, configure: {
            $0.cors = .list(["http://app.example"])
        }, routes: { router in
            router.get("/x") { _ in .text("x") }
        })
        defer { server.stop() }
        func allowOrigin(_ origin: String) throws -> [String] {
            try RawClient.fetch(port: server.port, "GET", "/x", headers: [("Origin", origin)])
                .values("Access-Control-Allow-Origin")
        }
        #expect(try allowOrigin("http://app.example") == ["http://app.example"])
        #expect(try allowOrigin("http://other.example").isEmpty)
        #expect(server.bus.send(.setCORS(nil)).ok)
        #expect(try allowOrigin("http://app.example").isEmpty)
    }

    @Test func corsUnset_answersNoCORSFields() throws {
        let server = try TestServer(standardRoutes: false, routes: { router in
            router.get("/x") { _ in .text("x") }
        })
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "GET", "/x", headers: [("Origin", "http://app.example")])
        #expect(response.status == 200)
        #expect(response["Access-Control-Allow-Origin"] == nil)
    }

    @Test func logLevel_isTheLoggersLevel() throws {
        let server = try TestServer(standardRoutes: false, configure: { $0.logLevel = .error })
        defer { server.stop() }
        #expect(server.context.logger.level == .error)
        #expect(try RawClient.fetch(port: server.port, "GET", "/nothing").status == 404)
        #expect(!server.logs.lines.contains { $0.contains("GET /nothing") }, "no access line below error")
    }

    @Test func standardRoutes_serveTheSite_fromAContextMadeForIt() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try folder.write("site/hello.txt", "hello\n")
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.workers = 1
        var site = SiteConfiguration()
        site.root = folder.path("site")
        site.uploads = folder.path("stored")
        site.maxUploadBytes = 1 << 10
        site.uploadsQuotaBytes = 1 << 20
        let context = try ServerContext(configuration: configuration, site: site,
                                        logger: Logger(level: .error, sink: CollectingLogSink()))
        let server = try Server(configuration: configuration, context: context,
                                router: StandardRoutes.router(site: site, context: context))
        try server.start()
        defer { _ = server.shutdown(graceSeconds: 0) }
        #expect(try RawClient.fetch(port: server.address.port, "GET", "/hello.txt").text == "hello\n")
        #expect(context.uploads.folder == site.uploads && context.uploads.quotaBytes == 1 << 20)
        let large = try RawClient.fetch(port: server.address.port, "POST", "/upload",
                                        headers: [("Content-Type", "application/json")],
                                        body: "\"" + String(repeating: "x", count: 2000) + "\"")
        #expect(large.status == 413, "the site's upload limit")
        let small = try RawClient.fetch(port: server.address.port, "POST", "/upload",
                                        headers: [("Content-Type", "application/json")], body: "{\"n\":1}")
        #expect(small.status == 201)
        #expect(try FileManager.default.contentsOfDirectory(atPath: site.uploads).count == 1,
                "stored in the site's folder")
    }

    @Test func standardRoutes_onAContextMadeWithoutTheSite_refuseToStart() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try folder.makeDirectory("site")
        var site = SiteConfiguration()
        site.root = folder.path("site")
        site.uploads = folder.path("stored")
        let context = try ServerContext(configuration: ServerConfiguration(),
                                        logger: Logger(level: .error, sink: CollectingLogSink()))
        #expect {
            _ = try StandardRoutes.router(site: site, context: context)
        } throws: { error in
            "\(error)".contains("ServerContext(configuration:site:logger:)")
        }
        #expect(!FileManager.default.fileExists(atPath: site.uploads), "nothing was made")
    }
}
