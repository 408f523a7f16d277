import Synchronization

/// A fixed ring through which one producer thread hands elements to a consumer without a lock per element: what a
/// worker records per request (`WorkerMetrics`, `RequestCounters`), taken by whoever next reads under the lock
/// that guards the totals. Why: a mutex per request cost more than the bookkeeping it guarded.
///
/// One producer: only one thread ever calls `push`. One consumer at a time: `drain` is called only under the lock
/// that guards what the elements are folded into. When the ring is full, the producer drains it itself, under
/// that same lock, so nothing is dropped and a reader never waits on more than `capacity` elements per ring.
///
/// Unchecked `Sendable`: a slot goes from producer to consumer through `published` (the slot is written, then a
/// release store; the consumer loads with acquire) and back through `taken` (the slot is moved out, then a
/// release store; the producer loads with acquire before reusing it). The elements themselves cross from one thread
/// to another, so they must be `Sendable`.
final class HandoffRing<Element: Sendable>: @unchecked Sendable {
    /// Slots: the producer takes the lock once per 64 elements at most, and a drain moves at most 64.
    static var capacity: Int { 64 }

    private let slots = UnsafeMutablePointer<Element>.allocate(capacity: HandoffRing.capacity)
    /// Elements pushed so far; stored by the producer alone.
    private let published = Atomic<Int>(0)
    /// Elements drained so far; stored by the consumer of the moment alone.
    private let taken = Atomic<Int>(0)

    init() {}

    deinit {
        drain { _ in }
        slots.deallocate()
    }

    /// Hands `element` over. When the ring is full, `drainFirst` runs first: it must take the consumers' lock and
    /// `drain`. Producer only.
    func push(_ element: consuming Element, drainFirst: () -> Void) {
        let next = published.load(ordering: .relaxed)
        if next - taken.load(ordering: .acquiring) == Self.capacity { drainFirst() }
        (slots + next % Self.capacity).initialize(to: element)
        published.store(next + 1, ordering: .releasing)
    }

    /// Passes every element pushed so far to `body`, oldest first, moved out of the ring. One consumer at a time:
    /// call it under the lock that guards what `body` changes.
    func drain(_ body: (consuming Element) -> Void) {
        let end = published.load(ordering: .acquiring)
        var next = taken.load(ordering: .relaxed)
        guard next != end else { return }
        while next != end {
            body((slots + next % Self.capacity).move())
            next += 1
        }
        taken.store(end, ordering: .releasing)
    }
}
