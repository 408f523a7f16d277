/// One entry of `slowlog`: a request that took long, with what identifies it.
public struct SlowRequest: Sendable, Equatable {
    /// How many each worker keeps, and `slowlog` shows at most: enough to see a pattern, small enough that
    /// keeping them costs one comparison per request.
    public static let kept = 32

    public let id: String
    public let microseconds: Int64
    public let method: String
    /// The path as the client sent it (percent-encoded).
    public let path: String
    public let client: IPAddress
    public let status: Int
    /// Unix seconds.
    public let finishedAt: Int
}
