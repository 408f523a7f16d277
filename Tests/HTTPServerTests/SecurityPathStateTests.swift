import Glibc
import HTTPServerTesting
import Testing
@testable import HTTPServer

/// Finding 6 of the hostile probe: 36,000 distinct 8 KiB paths grew memory from 13.5 to 194 MB for good, and
/// every `/metrics` scrape from 1 to 70 ms. Per-path state (`counters`, `top`, `slowlog`) is now bounded in
/// entries and bytes, and a scrape reads none of it.
@Suite struct SecurityPathStateTests {
    @Test func manyDistinctLongPaths_keepPerPathStateBoundedInEntriesAndBytes() throws {
        let server = try TestServer(files: ["hello.txt": "hello\n"], configure: {
            $0.workers = 1  // one worker's windows: the cap per window is then visible in `top`
            $0.maxRequestsPerConnection = 100_000
        }, routes: { router in
            router.get("/any/*rest") { _ in Response(text: "ok\n") }
        })
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        let filler = String(repeating: "x", count: 1024)
        let missing = 2_100  // more than twice a window's cap: at least one window overflows
        let served = 300
        // Pipelined a hundred at a time: the windows are 10 s of wall clock, and one round trip per request on a
        // loaded machine could spread the paths so thin that no window ever reached its cap.
        for batch in stride(from: 0, to: missing + served, by: 100) {
            let indices = batch..<min(batch + 100, missing + served)
            try client.send(indices.map { index in
                RawClient.request("GET", (index < missing ? "/missing/" : "/any/") + "\(index)-" + filler)
            }.joined())
            for index in indices {
                #expect(try client.readResponse().status == (index < missing ? 404 : 200))
            }
        }

        // The README's numbers: paths cut to 512 bytes, 1,000 paths per window (two windows) and worker.
        let top = server.context.metrics.pathFootprint
        #expect(top.paths <= 2 * 1_000)
        #expect(top.bytes <= top.paths * 512)
        let counters = server.context.counters.footprint
        #expect(counters.paths == served)
        #expect(counters.bytes <= counters.paths * 512)
        // A scrape merges counters and histograms only: no path or client is copied, whatever came before.
        #expect(server.context.metrics.total(recent: false).top.allSatisfy { $0.window < 0 && $0.paths.counts.isEmpty })
        let slowest = server.context.metrics.slowest(SlowRequest.kept)
        #expect(slowest.allSatisfy { $0.path.utf8.count <= PathKey.maximumBytes })

        let rows = server.bus.send(.top(count: 5)).rowTexts.filter { $0.first == "path" }
        #expect(rows.contains { $0.last == RequestCounters.otherKey })
        #expect(rows.allSatisfy { ($0.last ?? "").utf8.count <= PathKey.maximumBytes })
        let counted = server.bus.send(.counters(top: nil, prefix: "/any/")).rowTexts
        #expect(counted.count == served)
        #expect(counted.allSatisfy { ($0.last ?? "").hasSuffix("…") && ($0.last ?? "").utf8.count <= PathKey.maximumBytes })
    }

    @Test func cutPath_keepsWholeCharactersAndFitsTheBound() {
        let path = "/" + String(repeating: "é", count: 600)
        let key = PathKey.bounded(path)
        #expect(key.utf8.count <= PathKey.maximumBytes)
        #expect(key.hasSuffix("…"))
        #expect(path.hasPrefix(String(key.dropLast())))
        #expect(PathKey.bounded("/hello.txt") == "/hello.txt")
    }

    @Test func countsPastTheirLimit_poolUnderOverflow() {
        var counts = BoundedCounts<String>(limit: 2)
        for key in ["a", "b", "c", "a", "d"] { counts.add(key) }
        #expect(counts.counts == ["a": 2, "b": 1])
        #expect(counts.overflow == 2)
    }

    /// A run of one key is counted aside until another key comes: readers must see it exactly as if each had
    /// been stored, including a run of a key the full table has no room for.
    @Test func runsOfOneKey_readExactlyAsIfEachWereStored() {
        var counts = BoundedCounts<String>(limit: 2)
        for _ in 0..<3 { counts.add("a") }
        #expect(counts.counts == ["a": 3])
        #expect(counts.count(for: "a") == 3)
        counts.add("b", 2)
        counts.add("c")
        counts.add("c")
        #expect(counts.counts == ["a": 3, "b": 2])
        #expect(counts.count(for: "c") == 0)
        #expect(counts.overflow == 2)
        counts.add("a")
        #expect(counts.count(for: "a") == 4)
        #expect(counts.overflow == 2)
        var merged = BoundedCounts<String>(limit: 2)
        merged.add("b")
        merged.merge(counts)
        #expect(merged.counts == ["a": 4, "b": 3])
        #expect(merged.overflow == 2)
    }
}
