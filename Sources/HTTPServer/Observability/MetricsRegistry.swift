import Glibc

/// Every worker's metrics, combined on demand for `/metrics` and the shell's `stats` and `top`.
/// A retiring worker's counts are folded into `retired`, so counters never go backwards.
public final class MetricsRegistry: Sendable {
    private struct State {
        var live: [ObjectIdentifier: WorkerMetrics] = [:]
        var retired = WorkerMetrics.Shard()
    }

    private let state = Lock(State())

    public init() {}

    func register() -> WorkerMetrics {
        let metrics = WorkerMetrics()
        state.withLock { $0.live[ObjectIdentifier(metrics)] = metrics }
        return metrics
    }

    func retire(_ metrics: WorkerMetrics) {
        let shard = metrics.withShard { $0 }
        state.withLock { state in
            state.live[ObjectIdentifier(metrics)] = nil
            state.retired.merge(shard)
        }
    }

    /// The sum over every worker, past and present. Without `recent` (for `/metrics`), only the counters and
    /// histograms: no path, client or slow request is copied or merged.
    func total(recent: Bool = true) -> WorkerMetrics.Shard {
        let (live, retired) = state.withLock { (Array($0.live.values), $0.retired) }
        var total = WorkerMetrics.Shard()
        total.merge(retired, recent: recent)
        for metrics in live { total.merge(metrics.withShard { $0 }, recent: recent) }
        return total
    }

    /// `stats reset`: every count, histogram and recent window starts again from zero (Prometheus sees a
    /// counter reset, as after a restart).
    public func reset() {
        resetShards { $0 = WorkerMetrics.Shard() }
    }

    /// `slowlog reset`: forget the slowest requests.
    public func resetSlowest() {
        resetShards { $0.forgetSlowest() }
    }

    private func resetShards(_ change: (inout WorkerMetrics.Shard) -> Void) {
        let live = state.withLock { state in
            change(&state.retired)
            return Array(state.live.values)
        }
        for metrics in live { metrics.withShard { change(&$0) } }
    }

    /// The slowest requests since start or the last reset, slowest first.
    public func slowest(_ count: Int) -> [SlowRequest] {
        Array(total().slowest.prefix(count))
    }

    /// Request counts by status class (`2xx`…), for `stats`.
    public struct Summary: Sendable {
        public var byClass: [String: Int]
        public var responseBytes: Int
        public var sinceStart: LatencyHistogram
        public var lastMinute: LatencyHistogram
        /// Requests finished in the last complete 10-second window, for a steady "recent req/s".
        public var lastWindowRequests: Int
        /// Busiest paths and clients over the last `windowSeconds`·2 seconds, most first.
        public var topPaths: [(String, Int)]
        public var topClients: [(String, Int)]
    }

    /// The name `top` gives clients past the per-window cap.
    public static let otherClients = "(other clients)"

    /// Distinct paths `top` keeps now, over every worker, and the bytes of their keys: bounded by
    /// `TopWindow.maximumKeys` × `PathKey.maximumBytes` per worker and window, whatever the traffic.
    var pathFootprint: (paths: Int, bytes: Int) {
        var paths = 0
        var bytes = 0
        for window in total().top {
            paths += window.paths.counts.count
            bytes += window.paths.counts.keys.reduce(0) { $0 + $1.utf8.count }
        }
        return (paths, bytes)
    }

    /// What the shell shows. `nowSeconds` selects the recent windows.
    public func summary(nowSeconds: Int = Int(time(nil)), top: Int = 10) -> Summary {
        let total = total()
        var byClass: [String: Int] = [:]
        for (key, count) in total.requests { byClass["\(key.code / 100)xx", default: 0] += count }
        let current = nowSeconds / WorkerMetrics.windowSeconds
        var minute = LatencyHistogram()
        var lastWindowRequests = 0
        for window in total.recent where window.window >= 0 && current - window.window < WorkerMetrics.windowCount {
            minute.merge(window.latency)
            if window.window == current - 1 { lastWindowRequests += window.latency.total }
        }
        // "Right now" for `top`: the current and the previous window.
        var paths = BoundedCounts<String>(limit: .max)
        var clients = BoundedCounts<IPAddress>(limit: .max)
        for window in total.top where window.window >= 0 && current - window.window <= 1 {
            paths.merge(window.paths)
            clients.merge(window.clients)
        }
        func ranked<Key>(_ counts: BoundedCounts<Key>, other: String, _ name: (Key) -> String) -> [(String, Int)] {
            (counts.counts.map { (name($0.key), $0.value) } + (counts.overflow > 0 ? [(other, counts.overflow)] : []))
                .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
                .prefix(top).map { $0 }
        }
        return Summary(byClass: byClass, responseBytes: total.responseBytes, sinceStart: total.sinceStart,
                       lastMinute: minute, lastWindowRequests: lastWindowRequests,
                       topPaths: ranked(paths, other: RequestCounters.otherKey) { $0 },
                       topClients: ranked(clients, other: Self.otherClients) { $0.description })
    }
}
