import Glibc
import CLinux

/// Starts a detached, named thread running `body`; false when the system refused to create it.
@discardableResult
public func spawnThread(name: String, _ body: @escaping @Sendable () -> Void) -> Bool {
    final class Box: Sendable {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }
    let box = Unmanaged.passRetained(Box(name: name, body: body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(&thread, nil, { raw in
        guard let raw else { return nil }
        let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
        clinux_set_thread_name(String(box.name.prefix(15)))
        box.body()
        return nil
    }, box)
    guard result == 0 else {
        Unmanaged<Box>.fromOpaque(box).release()
        return false
    }
    // Nothing joins these threads: detached, each one's stack is freed when it exits. Left joinable, every
    // retired worker kept its 8 MiB stack mapped for the life of the process.
    pthread_detach(thread)
    return true
}

/// A condition variable to pair with a `Lock`-protected state.
final class Condition: @unchecked Sendable {
    // pthread objects must not move in memory, so they live on the heap.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var generation = 0

    init() {
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        // Deadlines on the monotonic clock: setting the wall clock neither cuts a wait short nor stretches it.
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    /// Wakes the waiters.
    func signal() {
        pthread_mutex_lock(mutex)
        generation &+= 1
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Blocks until `poll` returns a value, re-checking after each `signal`; with `timeoutMilliseconds`, returns
    /// nil once the time is up. The thread sleeps in between (an idle server must not wake on a timer), so
    /// whatever makes `poll` return a value must `signal` afterwards.
    func wait<Value>(timeoutMilliseconds: Int? = nil, _ poll: () -> Value?) -> Value? {
        let deadline = timeoutMilliseconds.map { MonotonicClock.milliseconds() + Int64($0) }
        while true {
            pthread_mutex_lock(mutex)
            let seen = generation
            pthread_mutex_unlock(mutex)
            if let value = poll() { return value }
            if let deadline, MonotonicClock.milliseconds() >= deadline { return nil }
            pthread_mutex_lock(mutex)
            // A signal since `seen` means another look at once; checked under the mutex, so none is missed.
            if generation == seen {
                if let deadline {
                    var until = timespec(tv_sec: Int(deadline / 1000), tv_nsec: Int(deadline % 1000) * 1_000_000)
                    pthread_cond_timedwait(condition, mutex, &until)
                } else {
                    pthread_cond_wait(condition, mutex)
                }
            }
            pthread_mutex_unlock(mutex)
        }
    }
}
