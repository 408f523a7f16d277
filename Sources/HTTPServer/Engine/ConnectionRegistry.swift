import Glibc

/// Every open connection, by descriptor, and how many each client holds. It holds the strong references, gives
/// each connection its slot (its epoll token), and its lock makes sure no other thread calls `shutdown(2)` on a
/// descriptor that its owner has already closed and the kernel has handed to someone else.
final class ConnectionRegistry: Sendable {
    private struct State {
        var connections: [Int32: Connection] = [:]
        /// Open connections per capped client (`Connection.cappedAs`); a client leaves when its last one closes,
        /// so this never holds more entries than there are connections.
        var perClient: [IPAddress: Int] = [:]
    }

    private let state = Lock(State())
    /// Which worker holds each connection; a connection's token names its slot.
    let slots = ConnectionSlots()
    /// Counts the open connections for `/metrics` and the connection limit, read without this lock.
    private let gauges: EngineGauges

    init(gauges: EngineGauges) {
        self.gauges = gauges
    }

    /// The number of open connections.
    var count: Int { gauges.openConnections }

    /// Adds `connection` and gives it its token, unless its client (`cappedAs`) already holds `perClientLimit`
    /// connections (or, past any real limit, every slot is taken): then it is left out (the caller refuses it) and
    /// the result is false.
    func insert(_ connection: Connection, perClientLimit: Int?) -> Bool {
        state.withLock { state in
            if let client = connection.cappedAs, let limit = perClientLimit {
                guard state.perClient[client, default: 0] < limit else { return false }
            }
            guard let token = slots.assign(connection) else { return false }
            connection.token = token
            if let client = connection.cappedAs { state.perClient[client, default: 0] += 1 }
            state.connections[connection.socket.fd] = connection
            gauges.connectionOpened()
            return true
        }
    }

    /// Removes and closes a connection; only its owner calls this.
    func close(_ connection: Connection) {
        state.withLock { state in
            guard state.connections.removeValue(forKey: connection.socket.fd) != nil else { return }
            if let client = connection.cappedAs {
                let left = state.perClient[client, default: 1] - 1
                state.perClient[client] = left > 0 ? left : nil
            }
            gauges.connectionClosed()
            slots.retire(connection.token)
            connection.isClosed = true
            connection.socket.close()
        }
    }

    /// Calls `body` for each open connection under the lock; `body` may `shutdown(2)` the socket but not close it.
    func forEach(_ body: (Connection) -> Void) {
        state.withLock { state in
            for connection in state.connections.values { body(connection) }
        }
    }
}
