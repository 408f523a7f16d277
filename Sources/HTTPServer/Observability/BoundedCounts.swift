/// Counts per key, at most `limit` keys: a key met once the table is full is counted in `overflow` instead, so a
/// scanner sending distinct paths (or a botnet of addresses) cannot grow memory. Keys already counted keep
/// counting exactly.
struct BoundedCounts<Key: Hashable & Sendable>: Sendable {
    /// Distinct keys kept at most.
    let limit: Int
    private(set) var counts: [Key: Int] = [:]
    /// What keys beyond `limit` counted.
    private(set) var overflow = 0

    init(limit: Int) {
        self.limit = limit
    }

    /// Adds `count` for `key`.
    mutating func add(_ key: Key, _ count: Int = 1) {
        if let index = counts.index(forKey: key) {
            counts.values[index] += count
        } else if counts.count < limit {
            counts[key] = count
        } else {
            overflow += count
        }
    }

    /// The count for `key` (0 when it is not kept).
    func count(for key: Key) -> Int { counts[key] ?? 0 }

    /// Adds `other`'s counts, within this table's limit.
    mutating func merge(_ other: BoundedCounts) {
        for (key, count) in other.counts { add(key, count) }
        overflow += other.overflow
    }
}
