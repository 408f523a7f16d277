/// Cross-origin resource sharing (the Fetch standard's CORS protocol): lets scripts on other origins call
/// this server and read its answers.
///
/// A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) from an allowed origin is answered
/// in `admit` with 204 and the `Access-Control-Allow-*` fields, before any route's own `OPTIONS` handler. Other
/// requests from an allowed origin get `Access-Control-Allow-Origin` (and credentials and exposed headers) on
/// their response, also when the handler throws an `HTTPError`. A request from an origin not allowed gets no
/// CORS fields, so the browser refuses it; the server answers it as usual. Routing errors (404, 405) and 500s
/// from errors that are not `HTTPError` carry no CORS fields.
///
/// The origins come fixed at creation, or from a `CORSOrigins` setting read on every request, so an operator can
/// turn CORS on, off or to other origins while the server runs.
///
/// ```swift
/// router.use(CORSMiddleware(allowedOrigins: .list(["https://app.example.com"]), allowCredentials: true))
/// router.use(CORSMiddleware(origins: settings.cors))   // live: what `Server` adds for `configuration.cors`
/// ```
public struct CORSMiddleware: IdleAwareMiddleware {
    /// Which origins may call.
    public enum AllowedOrigins: Sendable, Equatable {
        /// Every origin: `*`, or the caller's origin echoed when credentials are allowed (any site can then make
        /// credentialed requests: prefer a list).
        case any
        /// Only these exact origins (`https://app.example.com`, scheme and port included), compared ignoring case.
        case list([String])
    }

    /// Where the allowed origins come from.
    private enum Source: Sendable {
        case fixed(AllowedOrigins)
        case live(CORSOrigins)
    }

    private let source: Source
    public let allowedMethods: [HTTPMethod]
    public let allowedHeaders: [String]
    public let exposedHeaders: [String]
    public let maxAgeSeconds: Int?
    public let allowCredentials: Bool
    /// The header values, joined once.
    private let methodsValue: String
    private let headersValue: String
    private let exposedValue: String

    /// - Parameters:
    ///   - allowedOrigins: who may call.
    ///   - allowedMethods: methods a preflight allows (GET, HEAD and POST need none for simple requests).
    ///   - allowedHeaders: request headers a preflight allows beyond the CORS-safelisted ones.
    ///   - exposedHeaders: response headers scripts may read beyond the safelisted ones; `X-Request-ID` by
    ///     default so a script can report which request failed.
    ///   - maxAgeSeconds: how long a browser may cache a preflight answer; 10 minutes by default, which spares
    ///     a round trip per call while a changed policy still reaches clients soon (browsers cap it: Chrome at
    ///     2 hours). Nil sends none (the browser's default is 5 s).
    ///   - allowCredentials: whether requests with cookies or HTTP authentication may be read.
    public init(allowedOrigins: AllowedOrigins = .any,
                allowedMethods: [HTTPMethod] = [.get, .head, .post, .put, .patch, .delete],
                allowedHeaders: [String] = ["Content-Type", "Authorization"],
                exposedHeaders: [String] = ["X-Request-ID"],
                maxAgeSeconds: Int? = 600,
                allowCredentials: Bool = false) {
        self.init(source: .fixed(allowedOrigins), allowedMethods: allowedMethods, allowedHeaders: allowedHeaders,
                  exposedHeaders: exposedHeaders, maxAgeSeconds: maxAgeSeconds, allowCredentials: allowCredentials)
    }

    /// CORS that follows a live setting: while `origins` is off, requests pass untouched (one atomic load).
    /// The other parameters are those of `init(allowedOrigins:…)`.
    public init(origins: CORSOrigins,
                allowedMethods: [HTTPMethod] = [.get, .head, .post, .put, .patch, .delete],
                allowedHeaders: [String] = ["Content-Type", "Authorization"],
                exposedHeaders: [String] = ["X-Request-ID"],
                maxAgeSeconds: Int? = 600,
                allowCredentials: Bool = false) {
        self.init(source: .live(origins), allowedMethods: allowedMethods, allowedHeaders: allowedHeaders,
                  exposedHeaders: exposedHeaders, maxAgeSeconds: maxAgeSeconds, allowCredentials: allowCredentials)
    }

    private init(source: Source, allowedMethods: [HTTPMethod], allowedHeaders: [String], exposedHeaders: [String],
                 maxAgeSeconds: Int?, allowCredentials: Bool) {
        self.source = source
        self.allowedMethods = allowedMethods
        self.allowedHeaders = allowedHeaders
        self.exposedHeaders = exposedHeaders
        self.maxAgeSeconds = maxAgeSeconds
        self.allowCredentials = allowCredentials
        methodsValue = allowedMethods.map(\.description).joined(separator: ", ")
        headersValue = allowedHeaders.joined(separator: ", ")
        exposedValue = exposedHeaders.joined(separator: ", ")
    }

    /// The origins allowed right now; nil while a live setting is off.
    public var allowedOrigins: AllowedOrigins? {
        switch source {
        case .fixed(let origins): origins
        case .live(let setting): setting.current
        }
    }

    var wrapsHandler: Bool { true }

    /// Off: a live setting turned off lets every request through untouched.
    var isIdle: Bool {
        guard case .live(let setting) = source else { return false }
        return !setting.isOn
    }

    /// Answers a preflight from an allowed origin.
    public func admit(_ request: Request) -> Response? {
        guard request.method == .options, request.headers.contains(.accessControlRequestMethod),
              let origin = request.headers[.origin], let origins = allowedOrigins,
              let allowed = allowOrigin(for: origin, origins) else {
            return nil
        }
        var response = Response(status: .noContent)
        response.headers.add("Access-Control-Allow-Origin", allowed)
        if echoesOrigin(origins) { response.headers.add("Vary", "Origin") }
        if allowCredentials { response.headers.add("Access-Control-Allow-Credentials", "true") }
        response.headers.add("Access-Control-Allow-Methods", methodsValue)
        if !headersValue.isEmpty { response.headers.add("Access-Control-Allow-Headers", headersValue) }
        if let maxAgeSeconds { response.headers.add("Access-Control-Max-Age", String(maxAgeSeconds)) }
        return response
    }

    /// Adds the CORS fields to the response, or to a thrown `HTTPError`.
    public func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        guard let origins = allowedOrigins else { return try next(request) }
        let origin = request.headers[.origin]
        do {
            var response = try next(request)
            decorate(&response.headers, origin: origin, origins)
            return response
        } catch var error as HTTPError {
            decorate(&error.headers, origin: origin, origins)
            throw error
        }
    }

    /// True when the answer depends on `Origin`, which shared caches must then be told (`Vary: Origin`).
    private func echoesOrigin(_ origins: AllowedOrigins) -> Bool {
        if case .any = origins, !allowCredentials { return false }
        return true
    }

    /// The `Access-Control-Allow-Origin` value for `origin`, or nil when it may not call.
    private func allowOrigin(for origin: String, _ origins: AllowedOrigins) -> String? {
        switch origins {
        case .any:
            return allowCredentials ? origin : "*"
        case .list(let origins):
            return origins.contains { $0.equalsIgnoringASCIICase(origin) } ? origin : nil
        }
    }

    private func decorate(_ headers: inout HTTPHeaders, origin: String?, _ origins: AllowedOrigins) {
        if echoesOrigin(origins) { headers.add("Vary", "Origin") }
        guard let origin, let allowed = allowOrigin(for: origin, origins) else { return }
        headers.add("Access-Control-Allow-Origin", allowed)
        if allowCredentials { headers.add("Access-Control-Allow-Credentials", "true") }
        if !exposedValue.isEmpty { headers.add("Access-Control-Expose-Headers", exposedValue) }
    }
}
