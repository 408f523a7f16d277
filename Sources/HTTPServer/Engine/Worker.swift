import CLinux
import Glibc
import Synchronization

/// One worker thread's loop: wait on the shared epoll set, handle whatever woke it, repeat.
///
/// There is no queue between a ready socket and the code that serves it: the thread that epoll wakes accepts the
/// connection or serves the request itself, then parks it. Idle connections wait in epoll, not here.
final class Worker: BlockingCallObserver, @unchecked Sendable {
    /// Events taken per `epoll_wait`. Small, so one worker does not sit on ready sockets the other could serve.
    static let batchSize = 8
    /// Bytes read per `recv`: room for the largest head the parser accepts plus the request line.
    static let scratchSize = 80 * 1024

    static let listenerToken: UInt64 = 0
    static let wakeToken: UInt64 = 1

    private let engine: Engine
    // The engine's parts this loop touches per event, held here: reached through `engine`, each was retained
    // and released around every use (three pairs per response).
    private let eventSet: EventSet
    private let pool: WorkerPool
    private let slots: ConnectionSlots
    private let events = UnsafeMutableBufferPointer<epoll_event>.allocate(capacity: Worker.batchSize)
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Worker.scratchSize, alignment: 16)
    /// Where responses' heads are written (the scratch buffer may still hold pipelined requests). 16 KiB holds
    /// any head but one a handler loads with unusually many or long fields, which gets an array of its own.
    let headBuffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 16 << 10)
    /// One listener event's accepted connections, before they are served (plain values: no array per batch).
    let accepted = UnsafeMutableBufferPointer<(Socket, SocketAddress)>.allocate(capacity: Engine.acceptBatch)
    // Only this worker's thread touches these two, once or twice per response each: a checked class property
    // would cost a runtime exclusivity check at every touch.
    /// The parts of response heads that repeat (status line, `Date`, `Server`, a cached file's fields), rendered.
    @exclusivity(unchecked) var heads: ResponseHeadParts
    @exclusivity(unchecked) var requestIDs = RequestIDGenerator()
    let metrics: WorkerMetrics
    /// This worker's ring in the server's `RequestCounters`: it counts served paths with no shared lock.
    let requestCounts: RequestCounters.WorkerRing
    /// This worker's counts of requests started and answered, in the server's `ServerStats`.
    let requests: ServerStats.WorkerRequests
    /// Batches started and finished: odd while this worker handles one. The pool reads it to find a worker stuck
    /// in one batch.
    let progress = Atomic<UInt64>(0)
    /// Set while this worker waits in an announced blocking call.
    let isBlocked = Atomic<Bool>(false)
    /// `progress` at the housekeeper's previous check; read and written only under the pool's lock.
    var progressAtLastCheck: UInt64 = 0
    /// Neither in an announced blocking call nor still in the batch it was in at the housekeeper's previous
    /// check: the worker will take events again soon. Asked under the pool's lock.
    var isFree: Bool {
        guard !isBlocked.load(ordering: .relaxed) else { return false }
        let progress = progress.load(ordering: .relaxed)
        return progress & 1 == 0 || progress != progressAtLastCheck
    }

    init(engine: Engine, metrics: WorkerMetrics) {
        self.engine = engine
        eventSet = engine.events
        pool = engine.pool
        slots = engine.registry.slots
        self.metrics = metrics
        requestCounts = engine.services.counters.register()
        requests = engine.services.stats.register()
        heads = ResponseHeadParts(server: engine.configuration.serverName)
    }

    deinit {
        events.deallocate()
        scratch.deallocate()
        headBuffer.deallocate()
        accepted.deallocate()
    }

    /// Runs until the pool lets this worker leave.
    func run() {
        BlockingCall.observe(self)
        while true {
            // While the pool has a surplus, wake up now and then to check whether this worker may leave.
            let timeout = pool.hasSurplus ? WorkerPool.surplusCheckMilliseconds : -1
            let count = eventSet.wait(into: events, timeoutMilliseconds: timeout)
            // Busy per batch, not per connection: two atomic updates for up to `batchSize` events.
            pool.markBusy()
            advanceProgress()
            var leave = false
            for index in 0..<count {
                let token = events[index].data.u64
                switch token {
                case Self.listenerToken:
                    engine.acceptConnections(on: self)
                case Self.wakeToken:
                    // Finish the rest of the batch first: an edge not acted on is not reported again.
                    leave = leave || pool.shouldLeave(self)
                default:
                    guard let connection = slots.acquire(token) else { continue }
                    serve(connection, peerMayHaveClosed: events[index].events & Self.hangUpEvents != 0)
                }
            }
            advanceProgress()
            pool.markIdle()
            if !leave, pool.hasSurplus { leave = pool.mayLeave(self) }
            if leave {
                retire()
                return
            }
        }
    }

    /// Hands this worker's unread metrics and counts over to the server's totals and forgets its share of them:
    /// when it leaves, or when its thread could not be started.
    func retire() {
        engine.services.metrics.retire(metrics)
        engine.services.counters.retire(requestCounts)
        engine.services.stats.retire(requests)
    }

    /// Counts a batch's start or end: `progress` is odd while the worker handles one. Only this thread writes it,
    /// so a load and a store do (no locked instruction).
    @inline(__always)
    private func advanceProgress() {
        progress.store(progress.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
    }

    /// Blocking calls under way on this thread (one inside another counts as one wait); only this thread
    /// touches it.
    @exclusivity(unchecked) private var blockingDepth = 0

    func willBlock() {
        blockingDepth += 1
        if blockingDepth == 1 { pool.willBlock(self) { engine.makeWorker() } }
    }

    func didBlock() {
        blockingDepth -= 1
        if blockingDepth == 0 { isBlocked.store(false, ordering: .relaxed) }
    }

    /// What epoll reports when the peer closed (or the connection failed): its end of stream is then waiting
    /// behind whatever bytes came before it.
    private static let hangUpEvents = EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue

    /// Serves a connection this worker took, until it closes or parks with nothing new: an event that came while
    /// it was served (another worker could not take it) means another look. `peerMayHaveClosed`: the event said
    /// so, and the first look reads to the end; an event we only heard of as news may have said so too.
    func serve(_ connection: Connection, peerMayHaveClosed: Bool) {
        let object = Unmanaged.passUnretained(connection).toOpaque()
        var readToEnd = peerMayHaveClosed
        while true {
            clinux_handoff_acquire(object)
            engine.serve(connection, on: self, readToEnd: readToEnd)
            readToEnd = true
            if connection.isClosed { return }
            clinux_handoff_release(object)
            if slots.release(connection.token) { return }
        }
    }
}
