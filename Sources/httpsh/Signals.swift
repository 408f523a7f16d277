import Glibc
import HTTPServer

/// Turns SIGTERM, SIGINT and SIGHUP into commands on the bus, from one thread that waits for them.
enum Signals {
    private static let handled = [SIGTERM, SIGINT, SIGHUP]

    /// Blocks the handled signals (and ignores SIGPIPE) for the whole process. Call first in `main`, before any
    /// thread starts, so every thread inherits the mask and only `sigwait` sees them.
    static func blockForProcess() {
        signal(SIGPIPE, SIG_IGN)
        var set = sigset_t()
        sigemptyset(&set)
        for signal in handled { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Starts the signal thread: TERM and INT shut down gracefully (`onShutdown` runs after the drain),
    /// HUP reopens the logs.
    static func start(bus: CommandBus, onShutdown: @escaping @Sendable (Reply) -> Void) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        let context = Unmanaged.passRetained(SignalContext(bus: bus, onShutdown: onShutdown)).toOpaque()
        var thread = pthread_t()
        pthread_create(&thread, &attributes, { raw in
            guard let raw else { return nil }
            let context = Unmanaged<SignalContext>.fromOpaque(raw).takeRetainedValue()
            context.run()
            return nil
        }, context)
        pthread_detach(thread)
    }

    private final class SignalContext: Sendable {
        let bus: CommandBus
        let onShutdown: @Sendable (Reply) -> Void

        init(bus: CommandBus, onShutdown: @escaping @Sendable (Reply) -> Void) {
            self.bus = bus
            self.onShutdown = onShutdown
        }

        func run() {
            var set = sigset_t()
            sigemptyset(&set)
            for signal in Signals.handled { sigaddset(&set, signal) }
            while true {
                var received: Int32 = 0
                guard sigwait(&set, &received) == 0 else { continue }
                if received == SIGHUP {
                    _ = bus.send(.reopenLogs)
                } else {
                    onShutdown(bus.send(.shutdown(graceSeconds: nil)))
                    return
                }
            }
        }
    }
}
