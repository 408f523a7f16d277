import Glibc

/// Every open connection, by its slot, and how many each client holds. It holds the strong references, gives
/// each connection its slot (its epoll token), and its lock makes sure no other thread calls `shutdown(2)` on a
/// descriptor that its owner has already closed and the kernel has handed to someone else.
final class ConnectionRegistry: Sendable {
    private struct State {
        /// The open connections at their slots' numbers (`ConnectionSlots.index(of:)`): found without hashing.
        var connections: [Connection?] = []
        /// Open connections per capped client (`Connection.cappedAs`); a client leaves when its last one closes,
        /// so this never holds more entries than there are connections.
        var perClient: [IPAddress: Int] = [:]
        /// Whether new connections are counted in `perClient`: only while a cap is set, since counting costs
        /// two hashes per connection. When a cap is set again, the connections opened meanwhile are counted
        /// first (`countUncounted`), so a live `max-connections-per-ip` sees every open connection.
        var countingClients = false

        /// Counts every open connection that is not counted yet (those opened while no cap was set).
        mutating func countUncounted() {
            for case let connection? in connections where !connection.isCountedAsClient {
                guard let client = connection.cappedAs else { continue }
                perClient[client, default: 0] += 1
                connection.isCountedAsClient = true
            }
            countingClients = true
        }
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
            if perClientLimit == nil {
                state.countingClients = false
            } else if !state.countingClients {
                state.countUncounted()
            }
            // By position: one hash when the client already has connections, two for its first.
            var counted: Dictionary<IPAddress, Int>.Index?
            if let client = connection.cappedAs, let limit = perClientLimit {
                counted = state.perClient.index(forKey: client)
                guard (counted.map { state.perClient.values[$0] } ?? 0) < limit else { return false }
            }
            guard let token = slots.assign(connection) else { return false }
            connection.token = token
            if let client = connection.cappedAs, perClientLimit != nil {
                if let entry = counted {
                    state.perClient.values[entry] += 1
                } else {
                    state.perClient[client] = 1
                }
                connection.isCountedAsClient = true
            }
            let index = ConnectionSlots.index(of: token)
            if index >= state.connections.count {
                state.connections.append(contentsOf: repeatElement(nil, count: index + 1 - state.connections.count))
            }
            state.connections[index] = connection
            gauges.connectionOpened()
            return true
        }
    }

    /// Removes and closes a connection; only its owner calls this.
    func close(_ connection: Connection) {
        state.withLock { state in
            let index = ConnectionSlots.index(of: connection.token)
            guard state.connections.indices.contains(index), state.connections[index] === connection else { return }
            state.connections[index] = nil
            if connection.isCountedAsClient, let client = connection.cappedAs,
               let entry = state.perClient.index(forKey: client) {
                // By position: one hash for the lookup, none for the update or the removal.
                if state.perClient.values[entry] > 1 {
                    state.perClient.values[entry] -= 1
                } else {
                    state.perClient.remove(at: entry)
                }
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
            for case let connection? in state.connections { body(connection) }
        }
    }
}
