import Glibc

/// Every open connection, by descriptor. It holds the strong references that epoll tokens point to, and its lock
/// makes sure no other thread calls `shutdown(2)` on a descriptor that its owner has already closed and the
/// kernel has handed to someone else.
final class ConnectionRegistry: Sendable {
    private let connections = Lock<[Int32: Connection]>([:])

    /// The number of open connections.
    var count: Int { connections.withLock { $0.count } }

    func insert(_ connection: Connection) {
        connections.withLock { $0[connection.socket.fd] = connection }
    }

    /// Removes and closes a connection; only its owner calls this.
    func close(_ connection: Connection) {
        connections.withLock { map in
            map[connection.socket.fd] = nil
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
