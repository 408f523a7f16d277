/// Request durations in log-linear buckets (16 per power of two, so any percentile is within about 4.5%),
/// from 1 µs to about 70 minutes, in a fixed 512-entry array: recording is an index computation and an add.
public struct LatencyHistogram: Sendable, Equatable {
    /// Sub-buckets per power of two: the precision/size trade-off.
    static let subBuckets = 16
    static let bucketCount = 32 * subBuckets

    private(set) var counts = [Int](repeating: 0, count: LatencyHistogram.bucketCount)
    /// Requests recorded.
    public private(set) var total = 0
    /// The largest duration recorded, exact.
    public private(set) var maximum: Int64 = 0

    public init() {}

    /// Adds one duration in microseconds. Inlined: every request is recorded.
    @inline(__always)
    public mutating func record(microseconds: Int64) {
        counts[Self.index(for: microseconds)] += 1
        total += 1
        if microseconds > maximum { maximum = microseconds }
    }

    /// Adds another histogram's counts.
    public mutating func merge(_ other: LatencyHistogram) {
        for index in counts.indices { counts[index] += other.counts[index] }
        total += other.total
        maximum = max(maximum, other.maximum)
    }

    /// The duration (µs) below which `fraction` (0...1) of recorded requests fall: the upper edge of the
    /// bucket holding that rank, capped by the exact maximum. 0 when empty.
    public func percentile(_ fraction: Double) -> Int64 {
        guard total > 0 else { return 0 }
        let rank = max(1, Int((fraction * Double(total)).rounded(.up)))
        var seen = 0
        for (index, count) in counts.enumerated() {
            seen += count
            if seen >= rank { return min(Self.upperBound(of: index), maximum) }
        }
        return maximum
    }

    /// Buckets below 16 µs are exact; above, each power of two [2^k, 2^(k+1)) splits into 16 equal parts.
    static func index(for microseconds: Int64) -> Int {
        let value = max(0, microseconds)
        if value < Int64(subBuckets) { return Int(value) }
        let power = 63 - value.leadingZeroBitCount  // floor(log2(value)), at least 4
        let shift = power - 4
        let sub = Int((value >> shift) & Int64(subBuckets - 1))
        return min(bucketCount - 1, (power - 3) * subBuckets + sub)
    }

    /// The largest value that maps to bucket `index`.
    static func upperBound(of index: Int) -> Int64 {
        if index < subBuckets { return Int64(index) }
        let power = index / subBuckets + 3
        let sub = Int64(index % subBuckets)
        let shift = power - 4
        return ((Int64(subBuckets) + sub + 1) << shift) - 1
    }
}
