import Glibc

/// One object per thread, kept until the thread sets another or exits: what a worker keeps for itself, such as its
/// copy of a shared value that rarely changes, read without a lock or an atomic read-modify-write.
///
/// Only the thread that set an object sees it here. Declare each one as a `static let`: a process has 1,024 keys,
/// and the first 32 are the quick ones.
final class ThreadLocal<Object: AnyObject>: Sendable {
    /// nil when the process had no key left: then every thread has no object (slower, still right).
    private let key: pthread_key_t?

    init() {
        var key = pthread_key_t()
        // Run as a thread exits, with its object still set: gives back the reference `set` took.
        let created = pthread_key_create(&key) { raw in
            if let raw { Unmanaged<AnyObject>.fromOpaque(raw).release() }
        }
        self.key = created == 0 ? key : nil
    }

    /// Calls `body` with the calling thread's object, borrowed (no reference counting); nil before its first `set`.
    func withObject<Result>(_ body: (Object) -> Result?) -> Result? {
        guard let key, let raw = pthread_getspecific(key) else { return nil }
        return Unmanaged<Object>.fromOpaque(raw)._withUnsafeGuaranteedRef(body)
    }

    /// The calling thread's object, made (and set) by `make` on its first use.
    func object(orMake make: () -> Object) -> Object {
        if let key, let raw = pthread_getspecific(key) { return Unmanaged<Object>.fromOpaque(raw).takeUnretainedValue() }
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
            if let old { Unmanaged<Object>.fromOpaque(old).release() }
        } else {
            new.release()
        }
    }
}
