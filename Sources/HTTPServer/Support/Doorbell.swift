import Synchronization

/// Lets a thread with nothing to do sleep until another thread has work for it, instead of waking on a timer to
/// look. Ringing costs one atomic load while the sleeper is awake, so it may sit on a path taken per connection.
///
/// The work must be visible through sequentially consistent atomics, written before `ring` and read by
/// `hasWork`: then either the sleeper sees the work before it sleeps, or the ringer sees it asleep and wakes it.
final class Doorbell: Sendable {
    private let condition = Condition()
    private let asleep = Atomic<Bool>(false)

    init() {}

    /// Wakes the sleeper, if it sleeps.
    func ring() {
        if asleep.load(ordering: .sequentiallyConsistent) { condition.signal() }
    }

    /// Sleeps until `hasWork` returns true (asked at once and after each ring) or, with `timeoutMilliseconds`,
    /// until the time is up.
    func sleep(timeoutMilliseconds: Int?, until hasWork: () -> Bool) {
        asleep.store(true, ordering: .sequentiallyConsistent)
        _ = condition.wait(timeoutMilliseconds: timeoutMilliseconds) { hasWork() ? true : nil }
        asleep.store(false, ordering: .relaxed)
    }
}
