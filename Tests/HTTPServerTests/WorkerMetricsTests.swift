import Glibc
import Testing
@testable import HTTPServer

/// A worker hands its finished requests over through a lock-free ring; readers fold it in before they read. These
/// check that no record is lost, counted twice or seen late, however the ring wraps and whoever folds it.
@Suite struct WorkerMetricsTests {
    static let client = IPAddress(in_addr(s_addr: UInt32(0xC000_0201).bigEndian))

    static func record(_ metrics: WorkerMetrics, _ count: Int, method: HTTPMethod? = .get, code: Int = 200,
                       microseconds: Int64 = 100, nowSeconds: Int = 1_000, path: String = "/file") {
        for index in 0..<count {
            metrics.record(methodNumber: method?.number, path: path, code: code, bytes: 10, microseconds: microseconds,
                           client: client, nowSeconds: nowSeconds, id: RequestID(made: UInt64(index)))
        }
    }

    static func requests(_ shard: WorkerMetrics.Shard) -> Int {
        shard.requests.values.reduce(0, +)
    }

    @Test func counts_areExactAfterTheRingWrapsManyTimes() {
        let registry = MetricsRegistry()
        let metrics = registry.register()
        let counts = [1, WorkerMetrics.ringCapacity - 1, 1, WorkerMetrics.ringCapacity, 5 * WorkerMetrics.ringCapacity + 3]
        for count in counts {
            let before = Self.requests(registry.total())
            Self.record(metrics, count)
            let total = registry.total()
            #expect(Self.requests(total) - before == count)
        }
        let total = registry.total()
        let recorded = counts.reduce(0, +)
        #expect(total.requests[.init(method: "GET", code: 200)] == recorded)
        #expect(total.responseBytes == 10 * recorded)
        #expect(total.durationCounts.reduce(0, +) == recorded)
        #expect(total.sinceStart.total == recorded)
        #expect(total.top.map { $0.paths.counts["/file"] ?? 0 }.reduce(0, +) == recorded)
    }

    @Test func counts_areExactWhileReadersFoldConcurrently() async {
        let registry = MetricsRegistry()
        let metrics = registry.register()
        let recorded = 20_000
        let writer = Task.detached { Self.record(metrics, recorded) }
        var seen = 0
        while seen < recorded {
            let now = Self.requests(registry.total())
            #expect(now >= seen && now <= recorded)
            seen = now
            await Task.yield()
        }
        await writer.value
        #expect(Self.requests(registry.total()) == recorded)
        #expect(registry.total().sinceStart.total == recorded)
    }

    @Test func retire_keepsRecordsNoReaderHasFolded() {
        let registry = MetricsRegistry()
        let metrics = registry.register()
        Self.record(metrics, 5)
        registry.retire(metrics)
        #expect(Self.requests(registry.total()) == 5)
    }

    @Test func reset_dropsRecordsPublishedBeforeIt() {
        let registry = MetricsRegistry()
        let metrics = registry.register()
        Self.record(metrics, 5)
        registry.reset()
        Self.record(metrics, 2, code: 404)
        let total = registry.total()
        #expect(total.requests == [.init(method: "GET", code: 404): 2])
    }

    @Test func slowest_labelsMethodsOutsideRFC9110AsOther() {
        let registry = MetricsRegistry()
        let metrics = registry.register()
        Self.record(metrics, 1, method: HTTPMethod("BREW"), code: 501, microseconds: 9_000)
        Self.record(metrics, 1, method: .delete, code: 403, microseconds: 8_000)
        Self.record(metrics, 1, method: nil, code: 400, microseconds: 7_000)
        let slowest = registry.slowest(3)
        #expect(slowest.map(\.method) == ["other", "DELETE", "other"])
        #expect(slowest.map(\.status) == [501, 403, 400])
    }

    /// Each request is recorded in its window's histogram only (the latencies since start are summed when read):
    /// windows replaced, left behind or returned to when the clock steps back must still count since start, and
    /// the last minute and `top` must show the windows they showed when each request was recorded twice.
    @Test func windows_keepTheLastMinuteAndTop_whileSinceStartKeepsEverything() {
        let registry = MetricsRegistry()
        let metrics = registry.register()
        Self.record(metrics, 3, nowSeconds: 1_000, path: "/a")  // window 100
        Self.record(metrics, 2, nowSeconds: 1_010, path: "/b")  // 101, whose slot 107 takes
        Self.record(metrics, 1, nowSeconds: 1_075, path: "/c")  // 107
        Self.record(metrics, 4, nowSeconds: 1_005, path: "/a")  // back to 100, still in its slot
        Self.record(metrics, 5, nowSeconds: 1_080, path: "/d")  // 108, which takes 100's place in `top`
        let summary = registry.summary(nowSeconds: 1_085)
        #expect(summary.sinceStart.total == 15)
        #expect(summary.lastMinute.total == 6)
        #expect(summary.lastWindowRequests == 1)
        #expect(summary.topPaths.map { "\($0.0) \($0.1)" } == ["/d 5", "/c 1"])
        #expect(registry.total(recent: false).sinceStart.total == 15)
        #expect(registry.total(recent: false).recent.allSatisfy { $0.window < 0 })
        // The window of 100 is past the last minute, but still in its slot, both parts of it.
        #expect(registry.total().recent.contains { $0.window == 100 && $0.latency.total == 7 })
    }

    @Test func windows_ofSeveralWorkers_addUpByWindow_withARetiredOne() {
        let registry = MetricsRegistry()
        let first = registry.register()
        let second = registry.register()
        Self.record(first, 2, nowSeconds: 1_000, path: "/a")  // window 100
        Self.record(first, 3, nowSeconds: 1_070, path: "/c")  // 107
        Self.record(second, 4, nowSeconds: 1_010, path: "/b")  // 101, replaced by 107 in the same slot
        Self.record(second, 1, nowSeconds: 1_079, path: "/c")  // 107
        registry.retire(second)
        let summary = registry.summary(nowSeconds: 1_075)
        #expect(summary.sinceStart.total == 10)
        #expect(summary.lastMinute.total == 4)
        #expect(summary.lastWindowRequests == 0)
        #expect(summary.topPaths.map { "\($0.0) \($0.1)" } == ["/c 4"])
        #expect(registry.total(recent: false).sinceStart.total == 10)
        Self.record(first, 6, nowSeconds: 1_082, path: "/d")  // 108
        let later = registry.summary(nowSeconds: 1_085)
        #expect(later.sinceStart.total == 16)
        #expect(later.lastMinute.total == 10)
        #expect(later.lastWindowRequests == 4)
        #expect(later.topPaths.map { "\($0.0) \($0.1)" } == ["/d 6", "/c 4"])
    }

    /// Requests are counted by method and code in one integer: the labels come back as they went in.
    @Test func requests_keepEveryMethodAndCode() {
        let registry = MetricsRegistry()
        let metrics = registry.register()
        Self.record(metrics, 2, method: .get, code: 200)
        Self.record(metrics, 1, method: .head, code: 304)
        Self.record(metrics, 1, method: .connect, code: 999)
        Self.record(metrics, 3, method: HTTPMethod("BREW"), code: 501)
        Self.record(metrics, 1, method: nil, code: 400)
        Self.record(metrics, 1, method: .get, code: 200)
        #expect(registry.total().requests == [.init(method: "GET", code: 200): 3, .init(method: "HEAD", code: 304): 1,
                                              .init(method: "CONNECT", code: 999): 1, .init(method: "other", code: 501): 3,
                                              .init(method: "other", code: 400): 1])
    }

    /// A slow request is kept as recorded and shown (id, method, path, status, time) only when read: the list
    /// must hold the slowest of every worker, slowest first, with what each was recorded with.
    @Test func slowest_keepsTheSlowestOfEveryWorkerInOrder_untilReset() {
        let registry = MetricsRegistry()
        let first = registry.register()
        let second = registry.register()
        for index in 0..<100 {
            let metrics = index % 2 == 0 ? first : second
            let microseconds = Int64((index * 37) % 100 + 1) * 10
            metrics.record(methodNumber: (index % 3 == 0 ? HTTPMethod.post : .get).number, path: "/p\(index)",
                           code: 200 + index,
                           bytes: 1, microseconds: microseconds, client: Self.client, nowSeconds: 5_000 + index,
                           id: RequestID(made: UInt64(index)))
        }
        registry.retire(second)
        let slowest = registry.slowest(SlowRequest.kept)
        #expect(slowest.count == SlowRequest.kept)
        #expect(slowest.map(\.microseconds) == (0..<SlowRequest.kept).map { Int64(100 - $0) * 10 })
        for entry in slowest {
            let index = entry.status - 200
            #expect(entry.path == "/p\(index)")
            #expect(entry.method == (index % 3 == 0 ? "POST" : "GET"))
            #expect(entry.finishedAt == 5_000 + index)
            #expect(entry.id == RequestID(made: UInt64(index)).description)
            #expect(entry.client == Self.client)
        }
        registry.resetSlowest()
        #expect(registry.slowest(SlowRequest.kept).isEmpty)
        Self.record(first, 1, microseconds: 1)
        #expect(registry.slowest(SlowRequest.kept).map(\.microseconds) == [1])
    }
}
