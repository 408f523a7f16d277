/// Counts per key, at most `limit` keys: a key met once the table is full is counted in `overflow` instead, so a
/// scanner sending distinct paths (or a botnet of addresses) cannot grow memory. Keys already counted keep
/// counting exactly.
///
/// Counting runs on every request (per path, per client), and a keep-alive client mostly repeats itself: the
/// current run of one key is counted aside and folded into the table when another key comes, so a repeated key
/// costs a comparison, not a hash. Readers see the run folded in.
struct BoundedCounts<Key: Hashable & Sendable>: Sendable {
    /// Distinct keys kept at most.
    let limit: Int
    private var stored: [Key: Int] = [:]
    private var storedOverflow = 0
    /// The key counted last and how many times in a row, not yet in `stored` (two fields, not an optional
    /// tuple: a repeat then adds in place, with no copy of the key).
    private var runKey: Key?
    private var runCount = 0

    init(limit: Int) {
        self.limit = limit
    }

    /// The kept keys' counts.
    var counts: [Key: Int] { folded.counts }

    /// What keys beyond `limit` counted.
    var overflow: Int { folded.overflow }

    /// Adds `count` for `key`. The repeat is inlined where the worker counts; a new key takes the call.
    @inline(__always)
    mutating func add(_ key: Key, _ count: Int = 1) {
        if runKey == key {
            runCount += count
            return
        }
        startRun(key, count)
    }

    /// Folds the current run into the table and starts one of `key`.
    @inline(never)
    private mutating func startRun(_ key: Key, _ count: Int) {
        if let previous = runKey {
            Self.store(previous, runCount, in: &stored, overflow: &storedOverflow, limit: limit)
        }
        runKey = key
        runCount = count
    }

    /// The count for `key` (0 when it is not kept).
    func count(for key: Key) -> Int {
        let counted = stored[key]
        guard runKey == key, counted != nil || stored.count < limit else { return counted ?? 0 }
        return (counted ?? 0) + runCount
    }

    /// Adds `other`'s counts, within this table's limit.
    mutating func merge(_ other: BoundedCounts) {
        let theirs = other.folded
        for (key, count) in theirs.counts { add(key, count) }
        storedOverflow += theirs.overflow
    }

    /// The table with the current run counted in.
    private var folded: (counts: [Key: Int], overflow: Int) {
        guard let runKey else { return (stored, storedOverflow) }
        var counts = stored
        var overflow = storedOverflow
        Self.store(runKey, runCount, in: &counts, overflow: &overflow, limit: limit)
        return (counts, overflow)
    }

    private static func store(_ key: Key, _ count: Int, in counts: inout [Key: Int], overflow: inout Int, limit: Int) {
        if let index = counts.index(forKey: key) {
            counts.values[index] += count
        } else if counts.count < limit {
            counts[key] = count
        } else {
            overflow += count
        }
    }
}
