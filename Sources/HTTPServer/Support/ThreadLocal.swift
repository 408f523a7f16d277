import CLinux
import Glibc
import Synchronization

/// One object per thread, kept until the thread sets another or exits: what a worker keeps for itself, such as its
/// copy of a shared value that rarely changes, read without a lock or an atomic read-modify-write.
///
/// Only the thread that set an object sees it here. Declare each one as a `static let`: a process has 1,024 keys.
/// The first `CLINUX_THREAD_SLOTS` made also get a slot in the thread's own storage, read with one inlined load
/// (the server reads several per request; `pthread_getspecific` is a call); the rest read their key.
final class ThreadLocal<Object: AnyObject>: Sendable {
    /// nil when the process had no key left: then every thread has no object (slower, still right).
    private let key: pthread_key_t?
    /// This one's slot among `clinux_thread_slots`, which mirrors what `key` holds; nil past the slots' count.
    private let slot: UInt32?

    init() {
        var key = pthread_key_t()
        // Run as a thread exits, with its object still set: empties its slot and gives back the reference `set`
        // took.
        let created = pthread_key_create(&key) { raw in
            guard let raw else { return }
            clinux_clear_thread_slots(raw)
            Unmanaged<AnyObject>.fromOpaque(raw).release()
        }
        self.key = created == 0 ? key : nil
        let slot = created == 0 ? threadSlotsTaken.add(1, ordering: .relaxed).oldValue : Int(CLINUX_THREAD_SLOTS)
        self.slot = slot < CLINUX_THREAD_SLOTS ? UInt32(slot) : nil
    }

    /// The calling thread's object, unretained; nil before its first `set`.
    private var raw: UnsafeMutableRawPointer? {
        if let slot { return clinux_thread_slot(slot) }
        guard let key else { return nil }
        return pthread_getspecific(key)
    }

    /// Calls `body` with the calling thread's object, borrowed (no reference counting); nil before its first `set`.
    func withObject<Result>(_ body: (Object) -> Result?) -> Result? {
        guard let raw else { return nil }
        return Unmanaged<Object>.fromOpaque(raw)._withUnsafeGuaranteedRef(body)
    }

    /// The calling thread's object, made (and set) by `make` on its first use.
    func object(orMake make: () -> Object) -> Object {
        if let raw { return Unmanaged<Object>.fromOpaque(raw).takeUnretainedValue() }
        let object = make()
        set(object)
        return object
    }

    /// Makes `object` the calling thread's, in place of the one before.
    func set(_ object: Object) {
        guard let key else { return }
        let old = pthread_getspecific(key)
        let new = Unmanaged.passRetained(object)
        if pthread_setspecific(key, new.toOpaque()) == 0 {
            if let slot { clinux_set_thread_slot(slot, new.toOpaque()) }
            if let old { Unmanaged<Object>.fromOpaque(old).release() }
        } else {
            new.release()
        }
    }
}

/// How many `ThreadLocal`s have taken a slot (the count goes on past the slots: those read their key).
private let threadSlotsTaken = Atomic<Int>(0)
