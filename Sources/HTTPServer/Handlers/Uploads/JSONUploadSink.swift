/// Receives a `Content-Type: application/json` upload: the bytes go to a temporary file as they arrive and
/// through a streaming validator, and the document is published as `upload_<UTC time>_<hex>.json` once the
/// body is complete and valid JSON.
final class JSONUploadSink: RequestBodySink {
    private let store: UploadStore
    private let mount: String
    private var file: UploadFile?
    private var validator = JSONValidator()
    /// Why the upload is refused, once it is: the rest of the body is then read and dropped, and this answers it.
    private var rejection: HTTPError?

    /// Creates the temporary file before any of the body is read, so a full disk is reported at once.
    init(store: UploadStore, mount: String) throws {
        self.store = store
        self.mount = mount
        file = try store.createFile()
    }

    func write(_ bytes: Span<UInt8>) throws {
        guard rejection == nil, let file else { return }
        do {
            try bytes.withUnsafeBytes { raw in
                try validator.feed(raw)
                try file.append(raw)
            }
        } catch let error as JSONValidator.Failure {
            reject(Self.notJSON(error))
        } catch let refusal as HTTPError {
            reject(refusal)
        }
    }

    func finish() throws -> Response {
        defer { file = nil }
        if let rejection { throw rejection }
        do {
            try validator.finish()
        } catch {
            throw Self.notJSON(error)
        }
        guard let file else { throw HTTPError(.internalServerError, "the upload was already finished") }
        try file.seal()
        let stored = try store.publish([(file, .generated(extension: "json"))])
        return UploadResponse.document(stored[0], mount: mount)
    }

    /// Releasing the temporary file deletes it.
    func abort() {
        file = nil
    }

    /// Remembers why the upload is refused (not JSON, a full disk) and deletes what was written; the rest of the
    /// body is then read and dropped, so the client receives the answer instead of a reset in the middle of sending.
    private func reject(_ refusal: HTTPError) {
        rejection = refusal
        file = nil
    }

    private static func notJSON(_ failure: JSONValidator.Failure) -> HTTPError {
        HTTPError(.badRequest, "the body is not valid JSON: \(failure)")
    }
}
