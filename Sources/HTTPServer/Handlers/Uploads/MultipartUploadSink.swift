/// Receives a `multipart/form-data` upload (an HTML form with `<input type=file multiple>`, `curl -F`): each file
/// part streams into its own temporary file as the parser finds its bytes, text fields are kept in memory, and
/// once the closing boundary has arrived every file is published under its sanitised name, or none is.
final class MultipartUploadSink: RequestBodySink {
    /// Files in one form: each costs a temporary file, a link and a row in the answer, so a form cannot ask for
    /// thousands. 100, as Django's `DATA_UPLOAD_MAX_NUMBER_FILES`: more than a person picks at once.
    static let maxFiles = 100
    /// Text fields in one form: each is kept in memory and echoed in the answer.
    static let maxFields = 256
    /// A text field is a note or a title, not a document; larger values belong in a file part.
    static let maxFieldBytes = 64 * 1024
    /// All text fields of one form together, so a form holds at most this much in memory besides the one write
    /// buffer of the file being read (finished files hold none).
    static let maxFieldBytesTotal = 1 << 20

    private let store: UploadStore
    private let mount: String
    private var parser: MultipartParser
    /// The file part being read, with the name its client gave it.
    private var currentFile: (file: UploadFile, original: String)?
    /// The text field being read.
    private var currentField: (name: String, value: [UInt8])?
    private var files: [(file: UploadFile, original: String)] = []
    private var fields: [(name: String, value: String)] = []
    /// Bytes of text fields read so far.
    private var fieldBytes = 0
    /// Why the upload is refused, once it is: the rest of the body is then read and dropped, and this answers it.
    private var rejection: HTTPError?

    init(store: UploadStore, mount: String, parser: MultipartParser) {
        self.store = store
        self.mount = mount
        self.parser = parser
    }

    func write(_ bytes: Span<UInt8>) throws {
        guard rejection == nil else { return }
        do {
            try bytes.withUnsafeBytes { raw in try parser.feed(raw) { try handle($0) } }
        } catch let refusal as HTTPError {
            // A malformed form, a limit, a full disk: drop what was written but read the body to its end, so the
            // client receives the answer instead of a reset in the middle of sending.
            rejection = refusal
            discardFiles()
        }
    }

    func finish() throws -> Response {
        defer { discardFiles() }
        if let rejection { throw rejection }
        guard parser.isComplete else {
            throw HTTPError(.badRequest, "malformed multipart body: it ends before its closing boundary")
        }
        guard !files.isEmpty else { throw HTTPError(.badRequest, "the form holds no file") }
        let stored = try store.publish(files.map { ($0.file, UploadName(clientFileName: $0.original)) })
        let answered = zip(stored, files).map { UploadResponse.File(stored: $0, original: $1.original) }
        return UploadResponse.form(answered, fields: fields, mount: mount)
    }

    func abort() {
        discardFiles()
    }

    private func handle(_ event: MultipartParser.Event) throws {
        switch event {
        case .start(let head):
            if let filename = head.filename {
                guard files.count < Self.maxFiles else {
                    throw HTTPError(.contentTooLarge,
                                    "a form may hold at most \(Self.maxFiles) files; send the others in another request")
                }
                currentFile = (try store.createFile(), filename)
            } else {
                guard fields.count < Self.maxFields else {
                    throw HTTPError(.contentTooLarge, "a form may hold at most \(Self.maxFields) fields")
                }
                currentField = (head.name, [])
            }
        case .data(let bytes):
            if let (file, _) = currentFile {
                try file.append(bytes)
            } else if var field = currentField {
                guard field.value.count + bytes.count <= Self.maxFieldBytes else {
                    throw HTTPError(.contentTooLarge, "form field '\(field.name)' is larger than \(Self.maxFieldBytes) bytes")
                }
                fieldBytes += bytes.count
                guard fieldBytes <= Self.maxFieldBytesTotal else {
                    throw HTTPError(.contentTooLarge,
                                    "a form's text fields may hold at most \(Self.maxFieldBytesTotal) bytes in all")
                }
                currentField = nil
                field.value.append(contentsOf: bytes)
                currentField = field
            }
        case .end:
            if let part = currentFile {
                currentFile = nil
                try part.file.seal()
                // A file input left empty is sent as a part with `filename=""` and no content: nothing to store.
                if !(part.original.isEmpty && part.file.size == 0) { files.append(part) }
            } else if let field = currentField {
                currentField = nil
                fields.append((field.name, String(decoding: field.value, as: UTF8.self)))
            }
        }
    }

    /// Releases every temporary file, which deletes it.
    private func discardFiles() {
        currentFile = nil
        currentField = nil
        files.removeAll()
    }
}
