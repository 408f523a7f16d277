/// One worker's request metrics. Only its worker writes them, into a ring that needs no lock (`HandoffRing`); a
/// scrape or the shell's `stats` takes the worker's lock briefly, folds the ring in, and reads. No lock per
/// request.
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
        /// The window requests are counted in now, and its paths and clients. Kept apart from the other windows,
        /// so that counting a request reaches its histogram without going through an array of windows.
        private var current = Window()
        private var currentTop = TopWindow()
        /// The other windows' latencies, by `window % windowCount`; the current window's slot is empty.
        private var others = [Window](repeating: Window(), count: WorkerMetrics.windowCount)
        /// The other window's paths and clients, by `window % topWindowCount`; the current window's slot is empty.
        private var otherTops = [TopWindow](repeating: TopWindow(), count: WorkerMetrics.topWindowCount)
        /// The latencies of windows no longer kept. With the windows' own, every latency since start: each
        /// request is recorded in one histogram, and `sinceStart` is summed when read.
        private var older = LatencyHistogram()
        /// The slowest requests since start or the last `slowlog reset`, slowest first, as they were recorded:
        /// their text is made when `slowlog` reads them, not for each request that joins them.
        private var slowEntries: [Finished] = []

        /// The slowest requests since start or the last `slowlog reset`, slowest first.
        var slowest: [SlowRequest] { slowEntries.map(\.slowRequest) }

        /// `slowlog reset`.
        mutating func forgetSlowest() {
            slowEntries = []
        }

        /// Every request's latency since start (or the last `stats reset`).
        var sinceStart: LatencyHistogram {
            var all = older
            for window in recent where window.window >= 0 { all.merge(window.latency) }
            return all
        }

        /// Recent windows' latencies, indexed by `window % windowCount`, each tagged with the window it holds.
        var recent: [Window] {
            get {
                var windows = others
                if current.window >= 0 { windows[current.window % WorkerMetrics.windowCount] = current }
                return windows
            }
            set {
                others = newValue
                current = Window()
            }
        }

        /// The busiest paths and clients of the last two windows, indexed by `window % topWindowCount`.
        var top: [TopWindow] {
            get {
                var windows = otherTops
                if currentTop.window >= 0 { windows[currentTop.window % WorkerMetrics.topWindowCount] = currentTop }
                return windows
            }
            set {
                otherTops = newValue
                currentTop = TopWindow()
            }
        }

        /// Counts one finished request.
        mutating func add(_ finished: Finished) {
            let microseconds = finished.microseconds
            let window = finished.nowSeconds / WorkerMetrics.windowSeconds
            if window != current.window { enter(window) }
            current.latency.record(microseconds: microseconds)
            requestCounts.add(finished.key)
            responseBytes += finished.bytes
            durationCounts[finished.bucket] += 1
            durationSumMicroseconds += microseconds
            currentTop.clients.add(finished.client)
            if let pathKey = finished.pathKey { currentTop.paths.add(pathKey) }
            // One comparison for all but the slowest: the list is full and sorted, its last is the bar to beat.
            if slowEntries.count < SlowRequest.kept || microseconds > (slowEntries.last?.microseconds ?? 0) {
                // Inserted in place, slowest first: no sorted copy per entry.
                let index = slowEntries.firstIndex { $0.microseconds < microseconds } ?? slowEntries.count
                slowEntries.insert(finished, at: index)
                if slowEntries.count > SlowRequest.kept { slowEntries.removeLast() }
            }
        }

        /// Makes `window` the current one (once per window, or when the clock steps back): the current one goes
        /// back to its slot, and `window` takes over its own slot, whose older window's latencies go to `older`
        /// (its paths and clients are forgotten, as `top` looks at two windows only).
        @inline(never)
        private mutating func enter(_ window: Int) {
            if current.window >= 0 { others[current.window % WorkerMetrics.windowCount] = current }
            if currentTop.window >= 0 { otherTops[currentTop.window % WorkerMetrics.topWindowCount] = currentTop }
            let slot = window % WorkerMetrics.windowCount
            let displaced = others[slot]
            others[slot] = Window()
            if displaced.window == window {
                current = displaced
            } else {
                if displaced.window >= 0 { older.merge(displaced.latency) }
                current = Window(window: window)
            }
            let topSlot = window % WorkerMetrics.topWindowCount
            currentTop = otherTops[topSlot].window == window ? otherTops[topSlot] : TopWindow(window: window)
            otherTops[topSlot] = TopWindow()
        }

        /// Adds another shard's counts (a retiring worker's, or one worker's into a scrape's total). Without
        /// `recent`, only the counters `/metrics` shows and the latencies since start: a scrape's cost then does
        /// not depend on the traffic's paths and clients.
        mutating func merge(_ other: Shard, recent includingRecent: Bool = true) {
            requestCounts.merge(other.requestCounts)
            responseBytes += other.responseBytes
            for index in durationCounts.indices { durationCounts[index] += other.durationCounts[index] }
            durationSumMicroseconds += other.durationSumMicroseconds
            guard includingRecent else {
                older.merge(other.sinceStart)
                return
            }
            older.merge(other.older)
            slowEntries = Array((slowEntries + other.slowEntries).sorted { $0.microseconds > $1.microseconds }
                .prefix(SlowRequest.kept))
            var windows = recent
            Self.mergeWindows(&windows, other.recent, \.window, { $0.latency.merge($1.latency) },
                              dropping: { older.merge($0.latency) })
            recent = windows
            var tops = top
            Self.mergeWindows(&tops, other.top, \.window, { $0.merge($1) }, dropping: { _ in })
            top = tops
        }

        /// Slot by slot, the newer window wins and equal windows add up; `drop` gets the window that loses.
        private static func mergeWindows<W>(_ mine: inout [W], _ theirs: [W], _ window: KeyPath<W, Int>,
                                            _ add: (inout W, W) -> Void, dropping drop: (W) -> Void) {
            for slot in mine.indices where theirs[slot][keyPath: window] >= 0 {
                if theirs[slot][keyPath: window] > mine[slot][keyPath: window] {
                    if mine[slot][keyPath: window] >= 0 { drop(mine[slot]) }
                    mine[slot] = theirs[slot]
                } else if theirs[slot][keyPath: window] == mine[slot][keyPath: window] {
                    add(&mine[slot], theirs[slot])
                } else {
                    drop(theirs[slot])
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
    /// methods outside RFC 9110 share the last) and the code, in one integer, compared and hashed as one; the label
    /// is made only when the counts are read.
    struct CountKey: Hashable, Sendable {
        /// `code` above the low four bits, the method's place in them.
        private let packed: Int

        /// `methodNumber`: the method's `HTTPMethod.number`, nil for a request whose head never parsed.
        init(methodNumber: Int?, code: Int) {
            packed = code << 4 | (methodNumber ?? HTTPMethod.otherNumber)
        }

        var method: Int { packed & 0xF }
        var code: Int { packed >> 4 }

        var methodAndCode: MethodAndCode {
            MethodAndCode(method: WorkerMetrics.countedMethods[method], code: code)
        }
    }

    /// The labels of `CountKey.method`, in its order. Methods outside RFC 9110's set share one label, so a client
    /// cannot create unbounded series.
    private static let countedMethods = HTTPMethod.named.map(\.description) + ["other"]

    /// `durationBuckets` in whole microseconds: comparing a duration with them as integers picks the same bucket
    /// as comparing its seconds, without a division per request.
    private static let durationBoundsMicroseconds = durationBuckets.map { Int64(($0 * 1_000_000).rounded()) }

    /// `durationBoundsMicroseconds`, held by each instance: read per request without the lazy global's check.
    private let durationBounds = WorkerMetrics.durationBoundsMicroseconds

    /// The index in `durationCounts` for a duration.
    private func durationBucket(_ microseconds: Int64) -> Int {
        let bounds = durationBounds
        var index = 0
        while index < bounds.count, microseconds > bounds[index] { index += 1 }
        return index
    }

    /// A finished request as the worker hands it over: everything `Shard.add` needs, nothing computed twice.
    struct Finished: Sendable {
        var key: CountKey
        var pathKey: String?
        var bytes: Int
        var microseconds: Int64
        var bucket: Int
        var client: IPAddress
        var nowSeconds: Int
        var id: RequestID

        /// How `slowlog` shows it.
        var slowRequest: SlowRequest {
            SlowRequest(id: id.description, microseconds: microseconds, method: WorkerMetrics.countedMethods[key.method],
                        path: pathKey ?? "-", client: client, status: key.code, finishedAt: nowSeconds)
        }
    }

    /// Finished requests the worker has published and no one has folded into `state` yet. Why a ring: a mutex per
    /// response cost more than the rest of the bookkeeping; the worker now takes `state`'s lock once per
    /// `ringCapacity` responses (when the ring is full), and a reader takes it anyway.
    static let ringCapacity = HandoffRing<Finished>.capacity
    private let ring = HandoffRing<Finished>()
    private let state = Lock(Shard())

    /// Runs `body` on the counts, every published record included: a reader (scrape, `stats`, retire, reset) sees
    /// exactly the requests counted before it asked.
    func withShard<Result>(_ body: (inout Shard) -> Result) -> Result {
        state.withLock { shard in
            fold(into: &shard)
            return body(&shard)
        }
    }

    /// Moves every published record into `shard`. Called under `state`'s lock only, so there is one consumer at
    /// a time.
    private func fold(into shard: inout Shard) {
        ring.drain { shard.add($0) }
    }

    /// Records one finished request. Called by this metrics' worker only (the ring has one producer).
    /// `methodNumber`: the method's `HTTPMethod.number` (the engine reads it in place, not copying the method),
    /// nil for a request whose head never parsed.
    func record(methodNumber: Int?, path: String?, code: Int, bytes: Int, microseconds: Int64, client: IPAddress,
                nowSeconds: Int, id: RequestID) {
        ring.push(Finished(key: CountKey(methodNumber: methodNumber, code: code), pathKey: path.map(PathKey.bounded),
                           bytes: bytes, microseconds: microseconds, bucket: durationBucket(microseconds),
                           client: client, nowSeconds: nowSeconds, id: id)) {
            foldPublished()
        }
    }

    /// Empties a full ring into `state` (once per `ringCapacity` responses): out of line, so the usual `record`
    /// stays small.
    @inline(never)
    private func foldPublished() {
        state.withLock { fold(into: &$0) }
    }
}
