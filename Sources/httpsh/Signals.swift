import Glibc
import HTTPServer

/// Turns SIGTERM, SIGINT, SIGHUP and SIGUSR1 into actions, from one thread that waits for them.
enum Signals {
    private static let handled = [SIGTERM, SIGINT, SIGHUP, SIGUSR1]

    /// Blocks the handled signals (and ignores SIGPIPE) for the whole process. Call first in `main`, before any
    /// thread starts, so every thread inherits the mask and only `sigwait` sees them.
    static func blockForProcess() {
        signal(SIGPIPE, SIG_IGN)
        var set = sigset_t()
        sigemptyset(&set)
        for signal in handled { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Starts the signal thread: TERM and INT shut down gracefully (`onShutdown` runs after the drain), USR1
    /// reopens the logs (nginx's and lighttpd's signal), HUP (the terminal went away) calls `onHangUp` and never
    /// stops the server.
    static func start(bus: CommandBus, onHangUp: @escaping @Sendable () -> Void,
                      onShutdown: @escaping @Sendable (Reply) -> Void) {
        spawnThread(name: "httpsh-signals") {
            var set = sigset_t()
            sigemptyset(&set)
            for signal in handled { sigaddset(&set, signal) }
            while true {
                var received: Int32 = 0
                guard sigwait(&set, &received) == 0 else { continue }
                switch received {
                case SIGUSR1: _ = bus.send(.reopenLogs)
                case SIGHUP: onHangUp()
                default:
                    onShutdown(bus.send(.shutdown(graceSeconds: nil)))
                    return
                }
            }
        }
    }
}
