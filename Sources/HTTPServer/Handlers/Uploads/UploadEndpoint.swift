/// `POST /upload`: a JSON document or a multipart form, streamed into the upload store as it arrives.
///
/// Everything that can be decided from the head is answered before the body is read: a body over the limit
/// (413, by the pipeline from `Content-Length`), no length at all (411), an unsupported type or coding (415).
/// The body then streams through a `RequestBodySink`; the limit also holds for chunked bodies as they arrive.
public struct UploadEndpoint: Sendable {
    /// The media types accepted, as listed in 415 answers and `Accept-Post`.
    static let acceptedTypes = "application/json, multipart/form-data"

    public let store: UploadStore
    /// The largest body accepted; changes live.
    public let limit: BodyLimit
    /// The URL path the store is served under (`/uploads/`), for the paths in answers.
    public let mount: String

    public init(store: UploadStore, maxBytes: Int, mount: String = "/uploads/") {
        self.init(store: store, limit: BodyLimit(maxBytes), mount: mount)
    }

    public init(store: UploadStore, limit: BodyLimit, mount: String = "/uploads/") {
        self.store = store
        self.limit = limit
        self.mount = mount.hasSuffix("/") ? mount : mount + "/"
    }

    /// The largest body accepted now.
    public var maxBytes: Int { limit.value }

    /// Registers `POST path` on `router`.
    public func register(on router: inout Router, at path: String = "/upload") {
        let endpoint = self
        router.on(.post, path, body: .streamedWithin(limit, makeSink: { try endpoint.makeSink(for: $0) }),
                  { try endpoint.respondWithoutBody($0) })
    }

    /// The sink for a request's body, chosen by its `Content-Type`; throws 415 for anything else.
    func makeSink(for request: Request) throws -> any RequestBodySink {
        if let coding = request.headers[.contentEncoding], !coding.equalsIgnoringASCIICase("identity") {
            throw unsupported("Content-Encoding '\(coding)' is not supported; send the body unencoded")
        }
        guard let value = request.headers[.contentType], let type = ParameterizedValue(value) else {
            throw unsupported("the request has no Content-Type; accepted: \(Self.acceptedTypes)")
        }
        switch type.main {
        case "application/json":
            return try JSONUploadSink(store: store, mount: mount)
        case "multipart/form-data":
            guard let boundary = type.parameters["boundary"] else {
                throw HTTPError(.badRequest, "multipart/form-data without a boundary parameter")
            }
            guard let parser = MultipartParser(boundary: boundary) else {
                throw HTTPError(.badRequest, "the multipart boundary must be 1 to \(MultipartParser.maxBoundaryLength) characters")
            }
            return MultipartUploadSink(store: store, mount: mount, parser: parser)
        default:
            throw unsupported("Content-Type '\(type.main)' is not accepted; accepted: \(Self.acceptedTypes)")
        }
    }

    /// A POST without a body: 411 when it has no `Content-Length` either (RFC 9110 §15.5.12); an explicit
    /// `Content-Length: 0` is an empty body, answered like any other (an empty document is not JSON).
    func respondWithoutBody(_ request: Request) throws -> Response {
        guard request.headers.contains("Content-Length") else {
            throw HTTPError(.lengthRequired, "an upload needs a Content-Length or chunked Transfer-Encoding")
        }
        let sink = try makeSink(for: request)
        do {
            return try sink.finish()
        } catch {
            sink.abort()
            throw error
        }
    }

    private func unsupported(_ reason: String) -> HTTPError {
        HTTPError(.unsupportedMediaType, reason, headers: ["Accept-Post": Self.acceptedTypes])
    }
}
