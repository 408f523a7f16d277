/// Announces a call that may wait for long (a disk sync, a query to another service) to the thread pool the
/// calling thread belongs to, so that the pool can put another thread to work meanwhile.
///
/// httpsh runs one worker per CPU. A handler that waits inside `BlockingCall.run` gets a spare worker started at
/// once when every other worker is stuck too; a wait not announced is noticed only by the housekeeper's next
/// check (within half a second). On a thread no pool runs (the shell, a test), `run` only calls `body`.
public enum BlockingCall {
    /// Runs `body`, telling the calling thread's pool before and after.
    public static func run<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        guard let observer = observers.withObject({ $0 as? any BlockingCallObserver }) else { return try body() }
        observer.willBlock()
        defer { observer.didBlock() }
        return try body()
    }

    /// Makes `observer` hear of the blocking calls made on the calling thread, for as long as the thread runs.
    static func observe(_ observer: any BlockingCallObserver) {
        observers.set(observer)
    }

    private static let observers = ThreadLocal<AnyObject>()
}

/// Hears of the blocking calls made on one thread.
protocol BlockingCallObserver: AnyObject {
    func willBlock()
    func didBlock()
}
