/// What a graceful shutdown did (`Server.shutdown`, the shell's shutdown report).
public struct DrainReport: Sendable {
    /// Requests that were in flight when the shutdown began and completed.
    public let finishedRequests: Int
    /// Idle keep-alive connections closed at once.
    public let closedIdle: Int
    /// Connections still open at the deadline, closed without finishing.
    public let forced: Int
    /// How long the drain took.
    public let milliseconds: Int
}
