/// Refuses requests from blocked addresses (403) and clients over the rate limit (429 with `Retry-After`)
/// before their body is read. A 429 carries `RateLimit-Limit` and `RateLimit-Remaining: 0`.
public struct ProtectionMiddleware: IdleAwareMiddleware {
    let blocklist: Blocklist
    let limiter: RateLimiter
    /// Where refusals are recorded as security events, when given.
    let journal: SecurityJournal?

    public init(blocklist: Blocklist, limiter: RateLimiter, journal: SecurityJournal? = nil) {
        self.blocklist = blocklist
        self.limiter = limiter
        self.journal = journal
    }

    /// It only refuses, in `admit`.
    var wrapsHandler: Bool { false }

    /// Nothing blocked and no rate limit: every request passes.
    var isIdle: Bool { blocklist.isEmpty && !limiter.isEnabled }

    public func admit(_ request: Request) -> Response? {
        if blocklist.isBlocked(request.client) {
            journal?.record(.blocked, client: request.client, requestID: request.id,
                            detail: "\(request.method) \(request.head.rawPath)")
            var response = ErrorPage.response(.forbidden, reason: "your address is blocked", json: request.prefersJSON,
                                              requestID: request.id)
            response.closeConnection = true
            return response
        }
        guard case .limited(let retryAfter) = limiter.check(request.client), let limit = limiter.limit else {
            return nil
        }
        journal?.record(.rateLimited, client: request.client, requestID: request.id,
                        detail: "\(request.method) \(request.head.rawPath) over \(limit)")
        return ErrorPage.response(.tooManyRequests, reason: "rate limit of \(limit) exceeded; retry in \(retryAfter) s",
                                  json: request.prefersJSON, requestID: request.id,
                                  headers: ["Retry-After": String(retryAfter),
                                            "RateLimit-Limit": String(limit.requests),
                                            "RateLimit-Remaining": "0"])
    }
}
