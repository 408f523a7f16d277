import Glibc

/// Every open connection, by descriptor. It holds the strong references that epoll tokens point to, and its lock
/// makes sure no other thread calls `shutdown(2)` on a descriptor that its owner has already closed and the
/// kernel has handed to someone else.
final class ConnectionRegistry: Sendable {
    private let connections = Lock<[Int32: Connection]>([:])
    /// Counts the open connections for `/metrics` and the connection limit, read without this lock.
    private let gauges: EngineGauges

    init(gauges: EngineGauges) {
        self.gauges = gauges
    }

    /// The number of open connections.
    var count: Int { gauges.openConnections }

    func insert(_ connection: Connection) {
        connections.withLock { map in
            map[connection.socket.fd] = connection
            gauges.connectionOpened()
        }
    }

    /// Removes and closes a connection; only its owner calls this.
    func close(_ connection: Connection) {
        connections.withLock { map in
            guard map.removeValue(forKey: connection.socket.fd) != nil else { return }
            gauges.connectionClosed()
            connection.socket.close()
        }
    }

    /// Calls `body` for each open connection under the lock; `body` may `shutdown(2)` the socket but not close it.
    func forEach(_ body: (Connection) -> Void) {
        connections.withLock { map in
            for connection in map.values { body(connection) }
        }
    }
}
