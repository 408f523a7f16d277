import CLinux
import Glibc

/// One worker thread's loop: wait on the shared epoll set, handle whatever woke it, repeat.
///
/// There is no queue between a ready socket and the code that serves it: the thread that epoll wakes accepts the
/// connection or serves the request itself, then parks it. Idle connections wait in epoll, not here.
final class Worker: @unchecked Sendable {
    /// Events taken per `epoll_wait`. Small, so one worker does not sit on ready sockets the other could serve.
    static let batchSize = 8
    /// Bytes read per `recv`: room for the largest head the parser accepts plus the request line.
    static let scratchSize = 80 * 1024

    static let listenerToken: UInt64 = 0
    static let wakeToken: UInt64 = 1

    private let engine: Engine
    private let events = UnsafeMutableBufferPointer<epoll_event>.allocate(capacity: Worker.batchSize)
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Worker.scratchSize, alignment: 16)
    /// Where responses' heads are written (the scratch buffer may still hold pipelined requests). 16 KiB holds
    /// any head but one a handler loads with unusually many or long fields, which gets an array of its own.
    let headBuffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 16 << 10)
    var dates = DateCache()
    var requestIDs = RequestIDGenerator()
    let metrics: WorkerMetrics

    init(engine: Engine, metrics: WorkerMetrics) {
        self.engine = engine
        self.metrics = metrics
    }

    deinit {
        events.deallocate()
        scratch.deallocate()
        headBuffer.deallocate()
    }

    /// Runs until the pool retires this worker.
    func run() {
        while true {
            let count = engine.events.wait(into: events, timeoutMilliseconds: -1)
            var retire = false
            for index in 0..<count {
                let token = events[index].data.u64
                switch token {
                case Self.listenerToken:
                    engine.acceptConnections(on: self)
                case Self.wakeToken:
                    // Finish the rest of the batch first: those sockets are disarmed until served.
                    retire = retire || engine.pool.shouldRetire()
                default:
                    guard let connection = engine.registry.slots.acquire(token) else { continue }
                    serve(connection)
                }
            }
            if retire {
                engine.services.metrics.retire(metrics)
                return
            }
        }
    }

    /// Serves a connection this worker took, until it closes or parks with nothing new: an event that came while
    /// it was served (another worker could not take it) means another look.
    func serve(_ connection: Connection) {
        engine.pool.markBusy()
        defer { engine.pool.markIdle() }
        let object = Unmanaged.passUnretained(connection).toOpaque()
        while true {
            clinux_handoff_acquire(object)
            engine.serve(connection, on: self)
            if connection.isClosed { return }
            clinux_handoff_release(object)
            if engine.registry.slots.release(connection.token) { return }
        }
    }
}

/// Request ids: a random per-worker prefix and a counter, 16 hex digits, unique without coordination.
struct RequestIDGenerator {
    private let prefix = UInt32.random(in: 0...UInt32.max)
    private var counter: UInt32 = 0

    mutating func next() -> String {
        counter &+= 1
        let value = UInt64(prefix) << 32 | UInt64(counter)
        // Sixteen hex digits written straight into the string's storage: one allocation per id.
        return String(unsafeUninitializedCapacity: 16) { buffer in
            for index in 0..<16 {
                let digit = UInt8(truncatingIfNeeded: value >> (60 - 4 * index)) & 0xf
                buffer[index] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
            }
            return 16
        }
    }
}
