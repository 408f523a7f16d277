import Glibc

/// Splits a `multipart/form-data` body (RFC 7578, RFC 2046 §5.1) into parts as its bytes arrive. Part data is
/// handed on as soon as it is known not to be the start of a boundary, so the parser holds at most one part's
/// header section or a delimiter's length of data, whatever the size of the body.
struct MultipartParser {
    /// A part's header section larger than this is refused: real ones are a few hundred bytes, and this still
    /// leaves room for a file name of a few thousand characters.
    static let maxHeaderBytes = 16 * 1024
    /// RFC 2046 §5.1.1: a boundary is 1 to 70 characters.
    static let maxBoundaryLength = 70

    /// What the parser found.
    enum Event {
        /// A part begins: its headers, parsed.
        case start(PartHead)
        /// The next bytes of the current part's content (valid only during the call).
        case data(UnsafeRawBufferPointer)
        /// The current part is complete.
        case end
    }

    /// The headers of one part that matter for a form.
    struct PartHead: Equatable {
        /// The form field's name (`name=`).
        let name: String
        /// The file name the client gave (`filename=`), or nil for a plain field.
        let filename: String?
        /// The part's `Content-Type`, if any.
        let contentType: String?
    }

    private enum State {
        /// Before the first boundary: skipped.
        case preamble
        /// Just after a boundary: `--` (the last one) or padding and CRLF (a part follows).
        case afterBoundary
        case headers
        case content
        /// After the closing boundary: skipped.
        case epilogue
    }

    /// CRLF `--` boundary: what ends each part's content.
    private let delimiter: [UInt8]
    private var state = State.preamble
    /// Bytes kept from the previous call: a possible start of the delimiter, or an incomplete header line.
    /// It starts as CRLF because the first boundary of a body has no line break before it.
    private var carry: [UInt8] = [.cr, .lf]
    private var headerLines: [String] = []
    private var headerBytes = 0

    /// A parser for the body of `Content-Type: multipart/form-data; boundary=<boundary>`; nil when the boundary
    /// is empty, too long or holds a line break.
    init?(boundary: String) {
        let bytes = Array(boundary.utf8)
        guard (1...Self.maxBoundaryLength).contains(bytes.count), !bytes.contains(.cr), !bytes.contains(.lf) else {
            return nil
        }
        delimiter = [.cr, .lf, UInt8(ascii: "-"), UInt8(ascii: "-")] + bytes
    }

    /// True once the closing boundary has been read.
    var isComplete: Bool {
        if case .epilogue = state { return true }
        return false
    }

    /// Parses the next bytes of the body, reporting what it finds to `handle`. Throws `HTTPError` (400) for a malformed
    /// body, or whatever `handle` throws.
    mutating func feed(_ input: UnsafeRawBufferPointer, _ handle: (Event) throws -> Void) throws {
        if carry.isEmpty {
            let used = try parse(input, handle)
            carry = Array(input[used...])
        } else {
            carry.append(contentsOf: input)
            let buffer = carry
            let used = try buffer.withUnsafeBytes { try parse($0, handle) }
            carry = Array(buffer[used...])
        }
    }

    /// Parses as much of `buffer` as can be decided now; returns how many bytes it used.
    private mutating func parse(_ buffer: UnsafeRawBufferPointer, _ handle: (Event) throws -> Void) throws -> Int {
        var i = 0
        while i < buffer.count {
            switch state {
            case .preamble, .content:
                let (index, found) = Self.find(delimiter, in: buffer, from: i)
                if case .content = state, index > i {
                    try handle(.data(UnsafeRawBufferPointer(rebasing: buffer[i..<index])))
                }
                guard found else { return index }
                if case .content = state { try handle(.end) }
                i = index + delimiter.count
                state = .afterBoundary
            case .afterBoundary:
                // RFC 2046 §5.1.1 allows spaces and tabs after a boundary ("transport padding").
                while i < buffer.count, buffer[i] == .space || buffer[i] == .tab { i += 1 }
                guard buffer.count - i >= 2 else { return i }
                if buffer[i] == UInt8(ascii: "-"), buffer[i + 1] == UInt8(ascii: "-") {
                    state = .epilogue
                } else if buffer[i] == .cr, buffer[i + 1] == .lf {
                    state = .headers
                } else {
                    throw HTTPError(.badRequest, "malformed multipart body: a boundary line has extra characters")
                }
                i += 2
            case .headers:
                let (lineEnd, found) = Self.find(Self.lineBreak, in: buffer, from: i)
                guard found else {
                    if headerBytes + buffer.count - i > Self.maxHeaderBytes { throw Self.headersTooLarge }
                    return i
                }
                let line = UnsafeRawBufferPointer(rebasing: buffer[i..<lineEnd])
                headerBytes += line.count + 2
                if headerBytes > Self.maxHeaderBytes { throw Self.headersTooLarge }
                i = lineEnd + 2
                if line.isEmpty {
                    try handle(.start(try partHead()))
                    headerLines.removeAll()
                    headerBytes = 0
                    state = .content
                } else {
                    headerLines.append(String(decoding: line, as: UTF8.self))
                }
            case .epilogue:
                return buffer.count
            }
        }
        return i
    }

    /// The form-relevant headers of the part just read.
    private func partHead() throws -> PartHead {
        var disposition: ParameterizedValue?
        var contentType: String?
        for line in headerLines {
            guard let colon = line.firstIndex(of: ":") else {
                throw HTTPError(.badRequest, "malformed multipart body: a part header has no ':'")
            }
            let name = line[..<colon]
            let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
            if name.equalsIgnoringASCIICase("Content-Disposition") {
                disposition = ParameterizedValue(value)
            } else if name.equalsIgnoringASCIICase("Content-Type") {
                contentType = value
            }
        }
        guard let disposition, disposition.main == "form-data", let name = disposition.parameters["name"] else {
            throw HTTPError(.badRequest, "malformed multipart body: a part lacks 'Content-Disposition: form-data; name=…'")
        }
        return PartHead(name: name, filename: disposition.parameters["filename"], contentType: contentType)
    }

    private static let lineBreak: [UInt8] = [.cr, .lf]

    private static let headersTooLarge = HTTPError(.badRequest, 
        "malformed multipart body: a part's headers are larger than \(maxHeaderBytes) bytes")

    /// The first occurrence of `pattern` in `buffer[from...]` (`found`), or else where a partial occurrence
    /// begins at its very end (or the end itself): everything before `index` is certainly not pattern.
    static func find(_ pattern: [UInt8], in buffer: UnsafeRawBufferPointer, from start: Int) -> (index: Int, found: Bool) {
        guard let base = buffer.baseAddress, let first = pattern.first else { return (buffer.count, false) }
        var position = start
        while position < buffer.count {
            guard let hit = memchr(base + position, Int32(first), buffer.count - position) else { break }
            let index = base.distance(to: UnsafeRawPointer(hit))
            let available = min(pattern.count, buffer.count - index)
            let matches = pattern.withUnsafeBytes { wanted in
                wanted.baseAddress.map { memcmp(base + index, $0, available) == 0 } ?? false
            }
            if matches { return (index, available == pattern.count) }
            position = index + 1
        }
        return (buffer.count, false)
    }
}
