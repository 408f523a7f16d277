import Synchronization

/// The open connections as an operator sees them (`connections`, `kill`).
extension Server {
    /// One open connection, for `connections`.
    public struct ConnectionInfo: Sendable, Equatable {
        public let id: Int
        public let client: String
        public let ageSeconds: Int
        /// `idle`, `reading head`, `reading body`, `active`, `writing` or `closing`.
        public let state: String
        public let requests: Int
        public let bytesOut: Int
        /// `GET /path` (as the client sent it) while a request is under way.
        public let currentRequest: String?
    }

    /// Every open connection, oldest first.
    public func connections() -> [ConnectionInfo] {
        let now = MonotonicClock.milliseconds()
        var list: [ConnectionInfo] = []
        engine.registry.forEach { connection in
            list.append(ConnectionInfo(
                id: connection.id, client: connection.peer.description,
                ageSeconds: Int((now - connection.openedAt) / 1000), state: Self.stateName(connection.phase),
                requests: connection.requestsAnswered.load(ordering: .relaxed),
                bytesOut: connection.bytesOut.load(ordering: .relaxed),
                currentRequest: connection.currentRequest.read()))
        }
        return list.sorted { $0.id < $1.id }
    }

    /// Closes the connection numbered `id` at once (a request under way is cut short); false when none is open.
    public func kill(connection id: Int) -> Bool {
        var found = false
        engine.registry.forEach { connection in
            if connection.id == id {
                connection.socket.shutdown(.both)
                found = true
            }
        }
        return found
    }

    private static func stateName(_ phase: Connection.Phase) -> String {
        switch phase {
        case .idle: "idle"
        case .readingHead: "reading head"
        case .readingBody: "reading body"
        case .active: "active"
        case .writing: "writing"
        case .lingering: "closing"
        }
    }
}
