import Foundation
import Glibc
import Testing
@testable import HTTPServer

@Suite struct MetricsEndpointTests {
    /// Parses the text exposition format: every sample line becomes `name{labels}` → value; HELP/TYPE lines are
    /// checked for shape. Fails the test on any line that is neither.
    static func parse(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        let sample = #/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+]+|\+Inf)$/#
        let meta = #/^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/#
        for line in text.split(separator: "\n") {
            if let match = try? sample.wholeMatch(in: String(line)) {
                samples[String(match.output.1) + String(match.output.2 ?? "")] = Double(match.output.3)
            } else {
                #expect((try? meta.wholeMatch(in: String(line))) != nil, "not exposition format: \(line)")
            }
        }
        return samples
    }

    @Test func counters_moveByExactlyTheRequestsMade() throws {
        let fixture = try TestServer.observed()
        let before = Self.parse(try RawClient.fetch(port: fixture.port, "GET", "/metrics").text)
        for _ in 0..<7 { _ = try RawClient.fetch(port: fixture.port, "GET", "/hello.txt") }
        for _ in 0..<3 { _ = try RawClient.fetch(port: fixture.port, "GET", "/nothing-here") }
        let after = Self.parse(try RawClient.fetch(port: fixture.port, "GET", "/metrics").text)
        let ok = "http_requests_total{method=\"GET\",code=\"200\"}"
        let missing = "http_requests_total{method=\"GET\",code=\"404\"}"
        // The first scrape counts itself once it is answered: 7 files + 1 scrape.
        #expect((after[ok] ?? 0) - (before[ok] ?? 0) == 8)
        #expect((after[missing] ?? 0) - (before[missing] ?? 0) == 3)
        let count = "http_request_duration_seconds_count"
        #expect((after[count] ?? 0) - (before[count] ?? 0) == 11)
        #expect(after["http_request_duration_seconds_bucket{le=\"+Inf\"}"] == after[count])
        #expect((after["http_response_bytes_total"] ?? 0) > (before["http_response_bytes_total"] ?? 0))
        #expect((after["process_resident_memory_bytes"] ?? 0) > 1_000_000)
        #expect((after["process_open_fds"] ?? 0) > 3)
        #expect(after["httpsh_workers{state=\"busy\"}"] != nil)
        #expect(after["process_start_time_seconds"] == Double(fixture.context.stats.startedAt))
    }

    @Test func histogramBuckets_areCumulative() throws {
        let fixture = try TestServer.observed()
        for _ in 0..<5 { _ = try RawClient.fetch(port: fixture.port, "GET", "/hello.txt") }
        let samples = Self.parse(try RawClient.fetch(port: fixture.port, "GET", "/metrics").text)
        var previous = 0.0
        for bound in WorkerMetrics.durationBuckets.map(MetricsEndpoint.number) + ["+Inf"] {
            let value = try #require(samples["http_request_duration_seconds_bucket{le=\"\(bound)\"}"])
            #expect(value >= previous)
            previous = value
        }
    }

    @Test func retiredWorkers_keepTheirCounts() throws {
        let fixture = try TestServer.observed()
        fixture.server.resizeWorkers(to: 4)
        for _ in 0..<20 { _ = try RawClient.fetch(port: fixture.port, "GET", "/hello.txt") }
        fixture.server.resizeWorkers(to: 1)
        #expect(eventually { fixture.server.workers.live == 1 })
        let samples = Self.parse(try RawClient.fetch(port: fixture.port, "GET", "/metrics").text)
        #expect(samples["http_requests_total{method=\"GET\",code=\"200\"}"] == 20)
    }

    @Test func readyz_turns503WhileDraining() throws {
        let fixture = try TestServer.observed { router in
            router.get("/slow") { _ in
                usleep(600_000)
                return Response(text: "done\n")
            }
        }
        let ready = try RawClient.fetch(port: fixture.port, "GET", "/readyz")
        #expect(ready.status == 200)
        // One request keeps the drain going; another connection has begun its head before the drain starts.
        let slow = try RawClient(port: fixture.port)
        try slow.send("GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let probe = try RawClient(port: fixture.port)
        // A first exchange makes sure the server has accepted this connection before the drain closes the
        // listener (connections still in the accept backlog are reset, as with nginx).
        try probe.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect((try? probe.readResponse())?.status == 200)
        try probe.send("GET /readyz HTTP/1.1\r\n")
        usleep(100_000)
        let server = fixture.server
        let drained = Thread { _ = server.shutdown(graceSeconds: 5) }
        drained.start()
        usleep(100_000)
        try probe.send("Host: localhost\r\n\r\n")
        let draining = try probe.readResponse()
        #expect(draining.status == 503)
        #expect(draining.text.contains("draining"))
        #expect(draining["connection"] == "close")
        let finished = try slow.readResponse()
        #expect(finished.status == 200)
        #expect(finished.text == "done\n")
        slow.close()
        probe.close()
    }
}
