import Dispatch
import Testing
@testable import HTTPServer

@Suite struct RequestCountersTests {
    @Test func record_fromManyThreads_sumsExactly() {
        let counters = RequestCounters()
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for _ in 0..<5_000 { counters.record("/hot.html") }
            counters.record("/thread-\(thread)")
        }
        #expect(counters.count(for: "/hot.html") == 40_000)
        #expect(counters.count(for: "/thread-3") == 1)
        let snapshot = counters.snapshot()
        #expect(snapshot.first?.path == "/hot.html")
        #expect(snapshot.first?.count == 40_000)
        #expect(snapshot.count == 9)
    }

    @Test func record_pastTheCap_countsNewPathsUnderOtherKey() {
        let counters = RequestCounters()
        // Two threads fill the cap between them: the cap is server-wide, not per shard.
        DispatchQueue.concurrentPerform(iterations: 2) { half in
            for index in stride(from: half, to: RequestCounters.maximumPaths, by: 2) {
                counters.record("/file-\(index)")
            }
        }
        counters.record("/one-too-many")
        counters.record("/file-0")
        #expect(counters.count(for: "/one-too-many") == 0)
        #expect(counters.count(for: RequestCounters.otherKey) == 1)
        #expect(counters.count(for: "/file-0") == 2)
        #expect(counters.snapshot().count == RequestCounters.maximumPaths + 1)
    }

    @Test func reset_forgetsCountsAndFreesTheCap() {
        let counters = RequestCounters()
        for index in 0..<RequestCounters.maximumPaths { counters.record("/file-\(index)") }
        counters.reset()
        counters.record("/after-reset")
        #expect(counters.count(for: "/after-reset") == 1)
        #expect(counters.count(for: "/file-0") == 0)
        #expect(counters.snapshot().map(\.path) == ["/after-reset"])
    }

    // Workers count through rings of their own, which every reader folds in first.

    @Test func workerRecords_areCountedTheMomentRecordReturns_howeverTheRingWraps() {
        let counters = RequestCounters()
        let ring = counters.register()
        let capacity = RequestCounters.WorkerRing.capacity
        var recorded = 0
        for batch in [1, capacity - 1, 1, capacity, 5 * capacity + 3] {
            for _ in 0..<batch { counters.record("/hot.html", through: ring) }
            recorded += batch
            #expect(counters.count(for: "/hot.html") == recorded)
        }
        counters.record("/listed.html", through: ring)
        #expect(counters.counts(for: ["/hot.html", "/listed.html"]) == [recorded, 1])
        #expect(counters.snapshot().map(\.count) == [recorded, 1])
        #expect(counters.footprint.paths == 2)
    }

    @Test func workerRecords_areExactWhileAReaderFolds() async {
        let counters = RequestCounters()
        let ring = counters.register()
        let recorded = 20_000
        let finished = Lock(false)
        let writer = Task.detached {
            for _ in 0..<recorded { counters.record("/hot.html", through: ring) }
            finished.withLock { $0 = true }
        }
        // Reads race the writer: each sees a count no lower than the one before, never more than were recorded.
        var seen = 0
        while !finished.withLock({ $0 }) {
            let now = counters.count(for: "/hot.html")
            #expect(now >= seen && now <= recorded)
            seen = now
            await Task.yield()
        }
        await writer.value
        #expect(counters.count(for: "/hot.html") == recorded)
    }

    @Test func retire_keepsRecordsNoReaderHasFolded() {
        let counters = RequestCounters()
        let leaving = counters.register()
        let staying = counters.register()
        for _ in 0..<5 { counters.record("/page.html", through: leaving) }
        counters.retire(leaving)
        counters.record("/page.html", through: staying)
        #expect(counters.count(for: "/page.html") == 6)
    }

    @Test func retiringWorkers_handTheirCountsOver_andTheirRingsGo() throws {
        let fixture = try TestServer(files: ["hello.txt": "hello\n"])
        fixture.server.resizeWorkers(to: 4)
        for _ in 0..<20 { #expect(try RawClient.fetch(port: fixture.port, "GET", "/hello.txt").status == 200) }
        // Fewer requests than a ring holds: whatever the three leaving workers served is still in their rings.
        fixture.server.resizeWorkers(to: 1)
        #expect(eventually { fixture.context.counters.workersCounting == 1 })
        #expect(fixture.context.counters.count(for: "/hello.txt") == 20)
    }

    @Test func reset_dropsWorkerRecordsNoReaderHasFolded() {
        let counters = RequestCounters()
        let ring = counters.register()
        for _ in 0..<5 { counters.record("/before.html", through: ring) }
        counters.reset()
        counters.record("/after.html", through: ring)
        #expect(counters.snapshot().map(\.path) == ["/after.html"])
        #expect(counters.count(for: "/before.html") == 0)
    }

    @Test func workerRecords_pastTheCap_shareOneServerWideCap() {
        let counters = RequestCounters()
        let rings = [counters.register(), counters.register()]
        // Two workers fill the cap between them, each through its own ring, from its own thread.
        DispatchQueue.concurrentPerform(iterations: 2) { half in
            for index in stride(from: half, to: RequestCounters.maximumPaths, by: 2) {
                counters.record("/file-\(index)", through: rings[half])
            }
        }
        // Which paths take the last places is the order the rings are folded in: a read folds them all.
        #expect(counters.footprint.paths == RequestCounters.maximumPaths)
        counters.record("/one-too-many", through: rings[0])
        counters.record("/one-more", through: rings[1])
        counters.record("/file-0", through: rings[1])
        #expect(counters.count(for: "/one-too-many") == 0)
        #expect(counters.count(for: RequestCounters.otherKey) == 2)
        #expect(counters.count(for: "/file-0") == 2)
        #expect(counters.footprint.paths == RequestCounters.maximumPaths)
    }
}
