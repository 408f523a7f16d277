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
