/// Refuses requests from blocked addresses (403) and clients over the rate limit (429 with `Retry-After`)
/// before their body is read. A 429 carries `RateLimit-Limit` and `RateLimit-Remaining: 0`.
public struct ProtectionMiddleware: Middleware {
    let blocklist: Blocklist
    let limiter: RateLimiter

    public init(blocklist: Blocklist, limiter: RateLimiter) {
        self.blocklist = blocklist
        self.limiter = limiter
    }

    public func admit(_ request: Request) -> Response? {
        if blocklist.isBlocked(request.client) {
            var response = ErrorPage.response(.forbidden, reason: "your address is blocked", json: request.prefersJSON,
                                              requestID: request.id)
            response.closeConnection = true
            return response
        }
        guard case .limited(let retryAfter) = limiter.check(request.client), let limit = limiter.limit else {
            return nil
        }
        return ErrorPage.response(.tooManyRequests, reason: "rate limit of \(limit) exceeded; retry in \(retryAfter) s",
                                  json: request.prefersJSON, requestID: request.id,
                                  headers: ["Retry-After": String(retryAfter),
                                            "RateLimit-Limit": String(limit.requests),
                                            "RateLimit-Remaining": "0"])
    }
}
