import Synchronization

/// The most the uploads folder may hold (`--uploads-quota`, live through `config set uploads-quota`) and how
/// much it holds. The folder is summed once (at start, or when a quota is first set), then each published upload
/// is added; it is summed again before an upload is refused, so files an operator deleted since free their room,
/// and every `rescanSeconds` by the housekeeper, so the uploads of other servers sharing the folder count too.
final class UploadQuota: Sendable {
    /// Before refusing an upload the folder is summed again, unless it was less than this ago: a flood of
    /// uploads to a full folder costs at most one scan a second.
    static let refusalRescanSeconds: Int64 = 1
    /// How stale the sum may grow while a quota is set: bounds what other servers on a shared folder can store
    /// beyond the quota unseen, at the cost of one scan of the folder per half minute.
    static let rescanSeconds: Int64 = 30

    private struct Usage {
        /// Bytes of the stored uploads: the last sum plus what this server published since.
        var stored = 0
        /// Bytes of uploads admitted and being published now.
        var reserved = 0
        /// When the folder was last summed (monotonic milliseconds); nil before the first sum.
        var summedAt: Int64?
    }

    /// The quota in bytes; 0 for none.
    private let limit = Atomic<Int>(0)
    private let usage = Lock(Usage())
    /// Sums the sizes of the uploads in the folder (`stat` of each file: only at the moments above).
    private let sum: @Sendable () -> Int

    init(sum: @escaping @Sendable () -> Int) {
        self.sum = sum
    }

    /// The quota in bytes, nil for none.
    var bytes: Int? {
        get {
            let value = limit.load(ordering: .relaxed)
            return value > 0 ? value : nil
        }
        set { limit.store(newValue ?? 0, ordering: .relaxed) }
    }

    /// Bytes the folder holds as counted now (summing it first if it never was).
    var used: Int {
        usage.withLock { usage in
            if usage.summedAt == nil { resum(&usage) }
            return usage.stored
        }
    }

    /// Throws 507 unless an upload of `count` bytes still fits: checked as a body arrives, to refuse early.
    func check(_ count: Int) throws {
        guard let quota = bytes else { return }
        try usage.withLock { usage in try admit(count, quota, &usage) }
    }

    /// Holds room for `count` bytes being published, or throws 507; `settle` must follow.
    func reserve(_ count: Int) throws {
        let quota = bytes
        try usage.withLock { usage in
            if let quota { try admit(count, quota, &usage) }
            usage.reserved += count
        }
    }

    /// The `count` bytes `reserve` held are now stored (`stored`), or were not (publishing failed).
    func settle(_ count: Int, stored: Bool) {
        usage.withLock { usage in
            usage.reserved -= count
            if stored { usage.stored += count }
        }
    }

    /// When `refreshIfStale` next sums the folder (monotonic milliseconds; at once before a first sum), nil
    /// while no quota is set.
    var rescanDue: Int64? {
        guard bytes != nil else { return nil }
        return usage.withLock { $0.summedAt.map { $0 + Self.rescanSeconds * 1000 } ?? 0 }
    }

    /// Sums the folder again when a quota is set and the last sum is older than `rescanSeconds` (the housekeeper).
    /// The scan runs outside the lock, so uploads arriving meanwhile are not held up by it; one published during
    /// the scan may be counted twice until the next sum, which errs on the side of the quota.
    func refreshIfStale() {
        guard bytes != nil, usage.withLock({ isStale($0, seconds: Self.rescanSeconds) }) else { return }
        let total = sum()
        usage.withLock { usage in
            usage.stored = total
            usage.summedAt = MonotonicClock.milliseconds()
        }
    }

    /// Throws 507 unless `count` more bytes fit within `quota`, summing the folder again first when that could
    /// change the answer.
    private func admit(_ count: Int, _ quota: Int, _ usage: inout Usage) throws {
        if usage.summedAt == nil { resum(&usage) }
        if usage.stored + usage.reserved + count <= quota { return }
        if isStale(usage, seconds: Self.refusalRescanSeconds) {
            resum(&usage)
            if usage.stored + usage.reserved + count <= quota { return }
        }
        throw HTTPError(.insufficientStorage,
                        "the uploads folder is full: \(count) more bytes would take it past its quota of \(quota) bytes")
    }

    private func isStale(_ usage: Usage, seconds: Int64) -> Bool {
        guard let summedAt = usage.summedAt else { return true }
        return MonotonicClock.milliseconds() - summedAt >= seconds * 1000
    }

    private func resum(_ usage: inout Usage) {
        usage.stored = sum()
        usage.summedAt = MonotonicClock.milliseconds()
    }
}
