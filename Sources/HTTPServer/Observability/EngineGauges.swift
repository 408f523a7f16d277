import Synchronization

/// What the running engine looks like right now: open connections and workers. The engine writes these as things
/// happen; `/metrics` and the shell read them. No reference back into the engine is needed to read them.
public final class EngineGauges: Sendable {
    private let open = Atomic<Int>(0)
    private let live = Atomic<Int>(0)
    private let busy = Atomic<Int>(0)

    init() {}

    /// Client connections open now. Sequentially consistent, as the housekeeper's `Doorbell` needs (a plain
    /// load on x86, as relaxed).
    public var openConnections: Int { open.load(ordering: .sequentiallyConsistent) }
    /// Worker threads running now.
    public var workersLive: Int { live.load(ordering: .relaxed) }
    /// Workers handling an event right now.
    public var workersBusy: Int { busy.load(ordering: .relaxed) }

    func connectionOpened() { open.add(1, ordering: .sequentiallyConsistent) }
    func connectionClosed() { open.subtract(1, ordering: .relaxed) }
    func workerStarted() { live.add(1, ordering: .relaxed) }
    func workerExited() { live.subtract(1, ordering: .relaxed) }
    func workerBusy() { busy.add(1, ordering: .relaxed) }
    func workerIdle() { busy.subtract(1, ordering: .relaxed) }
}
