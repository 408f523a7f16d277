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
}
