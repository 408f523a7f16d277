/// A response a handler returns: status, headers and a body. The engine adds `Date`, `Server`, `Content-Length`,
/// `Connection` and `Keep-Alive`, and leaves out the body for HEAD.
public struct Response: Sendable {
    /// What the body is made of.
    public enum Body: Sendable {
        case empty
        case bytes([UInt8])
        /// A region of an open file, sent with `sendfile`.
        case file(FileRegion)

        /// The body's length in bytes.
        public var count: Int {
            switch self {
            case .empty: 0
            case .bytes(let bytes): bytes.count
            case .file(let region): region.length
            }
        }

        /// Lends the body's bytes to `body` (none for `.empty`); nil, without calling it, for a file. Lent where
        /// they lie: no reference to the array is taken for the call.
        func withBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result? {
            switch self {
            case .empty: body(UnsafeRawBufferPointer(start: nil, count: 0))
            case .bytes(let bytes): bytes.withUnsafeBytes(body)
            case .file: nil
            }
        }
    }

    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: Body
    /// Set when the connection must close after this response (e.g. after a framing error).
    public var closeConnection = false

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: Body = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A body from bytes with the given content type.
    public init(status: HTTPStatus = .ok, contentType: String, bytes: [UInt8]) {
        self.init(status: status, headers: ["Content-Type": contentType], body: .bytes(bytes))
    }

    /// A body from text, sent as UTF-8.
    public init(status: HTTPStatus = .ok, contentType: String = "text/plain; charset=utf-8", text: String) {
        self.init(status: status, contentType: contentType, bytes: Array(text.utf8))
    }

    /// Releases what the body holds (a file descriptor) without sending it.
    public func discardBody() {
        if case .file(let region) = body { region.close() }
    }
}
