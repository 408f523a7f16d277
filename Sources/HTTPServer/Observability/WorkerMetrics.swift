
/// One worker's request metrics. Only its worker writes them, so its lock is uncontended on the hot path;
/// a scrape or the shell's `stats` takes each worker's lock briefly to read. No global lock per request.
final class WorkerMetrics: Sendable {
    /// Upper bounds (seconds) of the Prometheus duration histogram: from a cached 1 KiB file to a slow upload.
    static let durationBuckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// The shell's "last minute" is six 10-second windows.
    static let windowSeconds = 10
    static let windowCount = 6
    /// `top` looks at the current and the previous window only: paths and clients are kept for those two.
    static let topWindowCount = 2

    struct Shard: Sendable {
        /// Requests by method and status code. Unbounded: methods outside RFC 9110 share one label, so the keys
        /// are few. `BoundedCounts` counts a run of one key (most requests repeat the previous one's) unhashed.
        var requestCounts = BoundedCounts<CountKey>(limit: .max)
        /// Requests by method and status code, keyed `"GET 200"`.
        var requests: [MethodAndCode: Int] {
            Dictionary(requestCounts.counts.map { ($0.key.methodAndCode, $0.value) }, uniquingKeysWith: +)
        }
        var responseBytes = 0
        /// Cumulative-style counts per `durationBuckets` entry (non-cumulative here; summed when rendered).
        var durationCounts = [Int](repeating: 0, count: WorkerMetrics.durationBuckets.count + 1)
        var durationSumMicroseconds: Int64 = 0
        var sinceStart = LatencyHistogram()
        /// Recent windows' latencies, indexed by `window % windowCount`, each tagged with the window it holds.
        var recent = [Window](repeating: Window(), count: WorkerMetrics.windowCount)
        /// The busiest paths and clients of the last two windows, indexed by `window % topWindowCount`.
        var top = [TopWindow](repeating: TopWindow(), count: WorkerMetrics.topWindowCount)
        /// The slowest requests since start or the last `slowlog reset`, slowest first.
        var slowest: [SlowRequest] = []

        /// Adds another shard's counts (a retiring worker's, or one worker's into a scrape's total). Without
        /// `recent`, only the counters `/metrics` shows: a scrape's cost then does not depend on the traffic's
        /// paths and clients.
        mutating func merge(_ other: Shard, recent includingRecent: Bool = true) {
            requestCounts.merge(other.requestCounts)
            responseBytes += other.responseBytes
            for index in durationCounts.indices { durationCounts[index] += other.durationCounts[index] }
            durationSumMicroseconds += other.durationSumMicroseconds
            sinceStart.merge(other.sinceStart)
            guard includingRecent else { return }
            slowest = SlowRequest.slowest(slowest + other.slowest)
            Self.mergeWindows(&recent, other.recent, \.window) { $0.latency.merge($1.latency) }
            Self.mergeWindows(&top, other.top, \.window) { $0.merge($1) }
        }

        /// Slot by slot, the newer window wins and equal windows add up.
        private static func mergeWindows<W>(_ mine: inout [W], _ theirs: [W], _ window: KeyPath<W, Int>,
                                            _ add: (inout W, W) -> Void) {
            for slot in mine.indices where theirs[slot][keyPath: window] >= 0 {
                if theirs[slot][keyPath: window] > mine[slot][keyPath: window] {
                    mine[slot] = theirs[slot]
                } else if theirs[slot][keyPath: window] == mine[slot][keyPath: window] {
                    add(&mine[slot], theirs[slot])
                }
            }
        }
    }

    /// The latencies of one 10-second window.
    struct Window: Sendable {
        var window = -1
        var latency = LatencyHistogram()
    }

    /// Requests by path and by client in one 10-second window, for `top`. Bounded against scanners: paths are
    /// cut (`PathKey`), and past `maximumKeys` distinct paths (or clients) the rest count as one "other".
    struct TopWindow: Sendable {
        /// Distinct paths, and distinct clients, kept per window and worker: plenty for the busiest ten.
        static let maximumKeys = 1000

        var window = -1
        var paths = BoundedCounts<String>(limit: TopWindow.maximumKeys)
        var clients = BoundedCounts<IPAddress>(limit: TopWindow.maximumKeys)

        mutating func merge(_ other: TopWindow) {
            paths.merge(other.paths)
            clients.merge(other.clients)
        }
    }

    struct MethodAndCode: Hashable, Sendable {
        var method: String
        var code: Int
    }

    /// What a request is counted under while it is recorded: the method's place in `countedMethods` (`nil` and
    /// methods outside RFC 9110 share the last) and the code, compared and hashed as two integers; the label is
    /// made only when the counts are read.
    struct CountKey: Hashable, Sendable {
        var method: UInt8
        var code: Int

        init(_ method: HTTPMethod?, code: Int) {
            self.code = code
            switch method {
            case .get: self.method = 0
            case .head: self.method = 1
            case .post: self.method = 2
            case .put: self.method = 3
            case .patch: self.method = 4
            case .delete: self.method = 5
            case .options: self.method = 6
            case .trace: self.method = 7
            case .connect: self.method = 8
            case .other, nil: self.method = 9
            }
        }

        var methodAndCode: MethodAndCode {
            MethodAndCode(method: WorkerMetrics.countedMethods[Int(method)], code: code)
        }
    }

    /// The labels of `CountKey.method`, in its order.
    private static let countedMethods = [HTTPMethod.get, .head, .post, .put, .patch, .delete, .options, .trace,
                                         .connect].map(\.description) + ["other"]

    /// `durationBuckets` in whole microseconds: comparing a duration with them as integers picks the same bucket
    /// as comparing its seconds, without a division per request.
    private static let durationBoundsMicroseconds = durationBuckets.map { Int64(($0 * 1_000_000).rounded()) }

    /// The index in `durationCounts` for a duration.
    private static func durationBucket(_ microseconds: Int64) -> Int {
        let bounds = durationBoundsMicroseconds
        var index = 0
        while index < bounds.count, microseconds > bounds[index] { index += 1 }
        return index
    }

    let state = Lock(Shard())

    /// Records one finished request.
    func record(method: HTTPMethod?, path: String?, code: Int, bytes: Int, microseconds: Int64, client: IPAddress,
                nowSeconds: Int, id: RequestID) {
        let key = CountKey(method, code: code)
        let bucket = Self.durationBucket(microseconds)
        let window = nowSeconds / Self.windowSeconds
        let pathKey = path.map(PathKey.bounded)
        state.withLock { shard in
            shard.requestCounts.add(key)
            shard.responseBytes += bytes
            shard.durationCounts[bucket] += 1
            shard.durationSumMicroseconds += microseconds
            shard.sinceStart.record(microseconds: microseconds)
            let slot = window % Self.windowCount
            if shard.recent[slot].window != window {
                shard.recent[slot] = Window(window: window)
            }
            shard.recent[slot].latency.record(microseconds: microseconds)
            let topSlot = window % Self.topWindowCount
            if shard.top[topSlot].window != window {
                shard.top[topSlot] = TopWindow(window: window)
            }
            shard.top[topSlot].clients.add(client)
            if let pathKey { shard.top[topSlot].paths.add(pathKey) }
            // One comparison for all but the slowest: the list is full and sorted, its last is the bar to beat.
            if shard.slowest.count < SlowRequest.kept || microseconds > (shard.slowest.last?.microseconds ?? 0) {
                let entry = SlowRequest(id: id.description, microseconds: microseconds,
                                        method: method.map(Self.label) ?? "other", path: pathKey ?? "-",
                                        client: client, status: code, finishedAt: nowSeconds)
                // Inserted in place, slowest first: no sorted copy per entry.
                let index = shard.slowest.firstIndex { $0.microseconds < microseconds } ?? shard.slowest.count
                shard.slowest.insert(entry, at: index)
                if shard.slowest.count > SlowRequest.kept { shard.slowest.removeLast() }
            }
        }
    }

    /// Methods outside RFC 9110's set share one label, so a client cannot create unbounded series.
    static func label(_ method: HTTPMethod) -> String {
        method.isStandard ? method.description : "other"
    }
}
