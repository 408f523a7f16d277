import Glibc

/// A value behind a `pthread_mutex_t`.
///
/// Why not `Synchronization.Mutex`: on Linux it synchronizes through futexes that ThreadSanitizer cannot see,
/// so every access under it is reported as a race (a 4-thread counter reproduces it). With pthread, which TSan
/// intercepts, `make sanitize` checks the server's own synchronization precisely. The cost is the same.
package final class Lock<State>: @unchecked Sendable {
    // The mutex must not move in memory, so it lives on the heap.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Unchecked: the mutex already makes every access exclusive, and the runtime's own check (`swift_beginAccess`)
    /// cost about 120 instructions per `withLock`, several times per request.
    @exclusivity(unchecked) private var state: State

    package init(_ state: State) {
        self.state = state
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    package func withLock<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&state)
    }
}
