import Glibc
import Testing
@testable import HTTPServer

/// A worker hands its finished requests over through a lock-free ring; readers fold it in before they read. These
/// check that no record is lost, counted twice or seen late, however the ring wraps and whoever folds it.
@Suite struct WorkerMetricsTests {
    static let client = IPAddress(in_addr(s_addr: UInt32(0xC000_0201).bigEndian))

    static func record(_ metrics: WorkerMetrics, _ count: Int, method: HTTPMethod? = .get, code: Int = 200,
                       microseconds: Int64 = 100, nowSeconds: Int = 1_000) {
        for index in 0..<count {
            metrics.record(method: method, path: "/file", code: code, bytes: 10, microseconds: microseconds,
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
}
