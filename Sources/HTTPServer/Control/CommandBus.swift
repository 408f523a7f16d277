
/// The one way into a running server. Every sender (the shell, signals, tests, an embedding program) calls
/// `send`; commands are applied one at a time, in the order they arrive, and each returns its `Reply`.
public final class CommandBus: Sendable {
    private let control: Lock<ServerControl>

    public init(control: ServerControl) {
        self.control = Lock(control)
    }

    /// Applies `command` and returns its reply. Blocks while an earlier command (e.g. a shutdown) runs.
    public func send(_ command: Command) -> Reply {
        control.withLock { $0.apply(command) }
    }
}
