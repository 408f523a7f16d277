import Glibc

/// Parses a request head from bytes, strictly enough to refuse request smuggling (RFC 9112).
///
/// The parser is stateless: given every byte received so far, it says whether a head is complete, and if so
/// returns it with the number of bytes it used. The connection keeps `scanned` between calls so a head that
/// arrives a byte at a time is not rescanned from the start.
public struct RequestParser: Sendable {
    /// The limits, each with the status sent when a client exceeds it.
    public struct Limits: Sendable {
        /// A request line longer than this gets 414: URLs this long are attacks or bugs, not links.
        public var maxRequestLine = 8 * 1024
        /// A header section larger than this gets 431: browsers send 1–8 KiB; 64 KiB bounds memory per client.
        public var maxHeaderBytes = 64 * 1024
        /// More header fields than this gets 431: a hundred covers any real client; thousands are a DoS attempt.
        public var maxHeaderCount = 100
        /// More CR/LF bytes than this before the request line gets 400. RFC 9112 §2.2 asks servers to ignore at
        /// least one empty line (old clients send a stray CRLF after a body); a few cover that, a stream of them
        /// is a client making no progress toward a request.
        public var maxLeadingEmptyLineBytes = 8

        public init() {}
    }

    /// What one call found.
    public enum Outcome: Sendable {
        /// More bytes are needed; `scanned` bytes need not be looked at again.
        case incomplete(scanned: Int)
        /// A complete head that used `consumed` bytes of the input.
        case head(RequestHead, consumed: Int)
        /// The bytes are not a valid request; answer `status` and close.
        case failure(HTTPStatus, String)
    }

    public var limits: Limits

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Looks for a complete head at the start of `bytes`; `resumeAt` is a previous `incomplete(scanned:)`.
    public func parse(_ bytes: UnsafeRawBufferPointer, resumeAt: Int = 0) -> Outcome {
        // RFC 9112 §2.2: a server SHOULD ignore at least one empty line received before the request line.
        // Only a few are allowed, so skipping them again on every call costs nothing.
        var start = 0
        while start < bytes.count, bytes[start] == .cr || bytes[start] == .lf { start += 1 }
        if start > limits.maxLeadingEmptyLineBytes {
            return .failure(.badRequest, "too many empty lines before the request line")
        }
        guard start < bytes.count else { return .incomplete(scanned: 0) }

        guard let lineEnd = bytes.firstIndex(of: .lf, from: start) else {
            if bytes.count - start > limits.maxRequestLine { return .failure(.uriTooLong, "request line too long") }
            return .incomplete(scanned: 0)
        }
        if lineEnd - start > limits.maxRequestLine { return .failure(.uriTooLong, "request line too long") }

        // A head that arrives whole (every keep-alive request) is read in one pass that finds its end as it reads
        // its fields, on the first call that has the request line's end (`resumeAt` 0: a head that arrives in
        // pieces is not read again from its start each time). The pass looks no further than the limit allows,
        // so a head it takes is within it. A head it does not take (incomplete, over the limit, with a line of
        // another shape) is found and read step by step, with the same outcome.
        if resumeAt == 0 {
            let window = UnsafeRawBufferPointer(rebasing: bytes[(lineEnd + 1)..<min(bytes.count, lineEnd + 1 + maxFieldBytes)])
            if let usual = usualFields(window) {
                return complete(UnsafeRawBufferPointer(rebasing: bytes[start..<lineEnd]), .success(usual.headers),
                                consumed: lineEnd + 1 + usual.next)
            }
        }
        return parseStepByStep(bytes, requestLine: start..<lineEnd, resumeAt: resumeAt)
    }

    /// The largest header section taken, from the end of the request line to the start of the empty line. The
    /// field positions are 32-bit: a limit raised past 4 GiB still stops there.
    private var maxFieldBytes: Int { max(min(limits.maxHeaderBytes, Int(UInt32.max)), 0) }

    /// Finds the end of a head whose request line is `requestLine` (its line feed just after), looking from
    /// `resumeAt`, and reads its field lines one at a time: for a head that arrives in pieces, or that the one
    /// pass does not take.
    @inline(never)
    private func parseStepByStep(_ bytes: UnsafeRawBufferPointer, requestLine: Range<Int>, resumeAt: Int) -> Outcome {
        let lineEnd = requestLine.upperBound
        guard let headEnd = endOfHead(bytes, from: max(lineEnd, resumeAt)) else {
            if bytes.count - lineEnd > limits.maxHeaderBytes {
                return .failure(.headerFieldsTooLarge, "header section too large")
            }
            return .incomplete(scanned: max(lineEnd, bytes.count - 3))
        }
        if headEnd.fieldsEnd - lineEnd > maxFieldBytes {
            return .failure(.headerFieldsTooLarge, "header section too large")
        }
        let fields = parseFields(UnsafeRawBufferPointer(rebasing: bytes[(lineEnd + 1)..<headEnd.fieldsEnd]))
        return complete(UnsafeRawBufferPointer(rebasing: bytes[requestLine]), fields, consumed: headEnd.next)
    }

    /// The head of `requestLine` (CR included, when it ends so) and the fields read after it, or the request
    /// line's fault, told before any of the fields'.
    private func complete(_ requestLine: UnsafeRawBufferPointer, _ fields: consuming Result<HTTPHeaders, Failure>,
                          consumed: Int) -> Outcome {
        // Typed throws rather than `Result`s: the parts move into the head instead of being copied out of an enum.
        do throws(Failure) {
            // Taken apart here, so that each part moves into the head (a struct's parts were copied out of it).
            let (method, target, version, rawPath, query) = try parseRequestLine(requestLine.trimmingCR())
            return .head(try makeHead(method: method, target: target, version: version, rawPath: rawPath,
                                      query: query, headers: fields.get()),
                         consumed: consumed)
        } catch {
            return .failure(error.status, error.reason)
        }
    }

    // MARK: - Finding lines

    /// Finds the empty line ending the head. `fieldsEnd` is where the field lines stop (the start of the empty
    /// line); `next` is the first byte after it. Lines may end in CRLF or a bare LF (RFC 9112 §2.2).
    private func endOfHead(_ bytes: UnsafeRawBufferPointer, from: Int) -> (fieldsEnd: Int, next: Int)? {
        var from = from
        while let i = bytes.firstIndex(of: .lf, from: from) {
            if i + 1 < bytes.count, bytes[i + 1] == .lf { return (i + 1, i + 2) }
            if i + 2 < bytes.count, bytes[i + 1] == .cr, bytes[i + 2] == .lf { return (i + 1, i + 3) }
            from = i + 1
        }
        return nil
    }

    // MARK: - Request line

    private struct Failure: Error {
        let status: HTTPStatus
        let reason: String
        static func bad(_ reason: String) -> Failure { Failure(status: .badRequest, reason: reason) }
    }

    /// A request line's parts. `rawPath` and `query` are an origin-form target's (`/path?query`, the usual form),
    /// split on its bytes; nil for the other forms, which `makeHead` splits.
    private typealias RequestLine = (method: HTTPMethod, target: String, version: RequestHead.Version,
                                     rawPath: String?, query: String?)

    private func parseRequestLine(_ line: UnsafeRawBufferPointer) throws(Failure) -> RequestLine {
        guard let spaces = Self.usualSpaces(in: line) else { throw Self.fault(ofRequestLine: line) }
        let methodBytes = UnsafeRawBufferPointer(rebasing: line[..<spaces.first])
        let targetBytes = UnsafeRawBufferPointer(rebasing: line[(spaces.first + 1)..<spaces.second])
        let versionBytes = UnsafeRawBufferPointer(rebasing: line[(spaces.second + 1)...])
        let version: RequestHead.Version
        // The version is eight bytes, compared as one word: "HTTP/1.1" and "HTTP/1.0" in little-endian order.
        let word = versionBytes.count == 8 ? UInt64(littleEndian: versionBytes.loadUnaligned(as: UInt64.self)) : 0
        if word == 0x312e_312f_5054_5448 {
            version = .http11
        } else if word == 0x302e_312f_5054_5448 {
            version = .http10
        } else {
            throw Self.fault(ofVersion: versionBytes)
        }
        let target = String(decoding: targetBytes, as: UTF8.self)
        let origin = targetBytes.first == .slash
            ? splitOrigin(targetBytes, target, pathEnd: spaces.pathEnd - spaces.first - 1) : nil
        return (HTTPMethod(token: methodBytes), target, version, origin?.rawPath, origin?.query)
    }

    /// Why a version that is neither HTTP/1.1 nor HTTP/1.0 is refused.
    @inline(never)
    private static func fault(ofVersion version: UnsafeRawBufferPointer) -> Failure {
        if version.count == 8, UnsafeRawBufferPointer(rebasing: version[..<5]).equals("HTTP/"),
           version[5].isDigit, version[6] == .dot, version[7].isDigit {
            return Failure(status: .versionNotSupported, reason: "only HTTP/1.0 and HTTP/1.1 are supported")
        }
        return .bad("malformed HTTP version")
    }

    /// The two spaces of a request line whose method is a token and whose target is visible ASCII (every valid
    /// line), found in the one pass that checks those bytes, and where the target's first `?` or `#` is (the
    /// second space when it has neither); nil for any other line.
    @inline(__always)
    private static func usualSpaces(in line: UnsafeRawBufferPointer) -> (first: Int, second: Int, pathEnd: Int)? {
        var index = 0
        while index < line.count, line[index].isTokenCharacter { index += 1 }
        guard index > 0, index < line.count, line[index] == .space else { return nil }
        let first = index
        index += 1
        while index < line.count, line[index] &- 0x21 < 0x5e, line[index] != .question, line[index] != .numberSign {
            index += 1
        }
        let pathEnd = index
        while index < line.count, line[index] &- 0x21 < 0x5e { index += 1 }
        guard index > first + 1, index < line.count, line[index] == .space else { return nil }
        return (first, index, pathEnd)
    }

    /// Why a request line `usualSpaces` does not take is refused (every line these checks pass, it takes).
    @inline(never)
    private static func fault(ofRequestLine line: UnsafeRawBufferPointer) -> Failure {
        guard let firstSpace = line.firstIndex(of: .space, from: 0), firstSpace > 0 else {
            return .bad("malformed request line")
        }
        guard let secondSpace = line.firstIndex(of: .space, from: firstSpace + 1), secondSpace > firstSpace + 1 else {
            return .bad("malformed request line")
        }
        guard UnsafeRawBufferPointer(rebasing: line[..<firstSpace]).allSatisfy(\.isTokenCharacter) else {
            return .bad("invalid method")
        }
        guard UnsafeRawBufferPointer(rebasing: line[(firstSpace + 1)..<secondSpace]).allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            return .bad("invalid character in request target")
        }
        return .bad("malformed request line")
    }

    /// `/path?query#fragment` → the path and the query (the fragment, which clients should not send, dropped);
    /// `pathEnd` is where the first `?` or `#` is. A target that is all path is `target` itself, not a copy.
    private func splitOrigin(_ bytes: UnsafeRawBufferPointer, _ target: String, pathEnd: Int)
        -> (rawPath: String, query: String?) {
        guard pathEnd < bytes.count else { return (target, nil) }
        let rawPath = String(decoding: bytes[..<pathEnd], as: UTF8.self)
        guard bytes[pathEnd] == .question else { return (rawPath, nil) }
        let end = bytes.firstIndex(of: .numberSign, from: pathEnd + 1) ?? bytes.count
        return (rawPath, String(decoding: bytes[(pathEnd + 1)..<end], as: UTF8.self))
    }

    // MARK: - Header fields

    /// Reads the field lines at the start of `bytes` in one pass when each has the usual shape (`usualFieldLine`)
    /// and the empty line after them is there: returns the fields, where the empty line starts (`fieldsEnd`) and
    /// the first byte after it (`next`). Nil for any other head, which `parse` then finds and reads step by step
    /// (`endOfHead`, `parseFields`): that reading takes the same usual lines the same way, so both give one
    /// outcome. Also nil at the field count limit, which the step-by-step reading tells apart from a valid head.
    private func usualFields(_ bytes: UnsafeRawBufferPointer) -> (headers: HTTPHeaders, fieldsEnd: Int, next: Int)? {
        let capacity = min(max(limits.maxHeaderCount, 0), bytes.count / 3 + 1)
        return withUnsafeTemporaryAllocation(of: ReceivedFields.Position.self, capacity: capacity) { positions in
            var count = 0
            var known = KnownFieldIndex()
            var lineStart = 0
            while lineStart < bytes.count {
                let first = bytes[lineStart]
                if first == .lf || first == .cr {
                    let next = first == .lf ? lineStart + 1 : lineStart + 2
                    guard next <= bytes.count, bytes[next - 1] == .lf else { return nil }
                    guard count > 0 else { return (HTTPHeaders(), lineStart, next) }
                    let fields = ReceivedFields(lines: UnsafeRawBufferPointer(rebasing: bytes[..<lineStart]),
                                                positions: UnsafeBufferPointer(rebasing: positions[..<count]))
                    return (HTTPHeaders(received: fields, known: known), lineStart, next)
                }
                guard count < capacity, let usual = Self.usualFieldLine(bytes, at: lineStart) else { return nil }
                positions[count] = ReceivedFields.Position(
                    nameStart: UInt32(lineStart), nameEnd: UInt32(usual.nameEnd),
                    valueStart: UInt32(usual.valueStart), valueEnd: UInt32(usual.valueEnd))
                if let field = KnownField(bytes: UnsafeRawBufferPointer(rebasing: bytes[lineStart..<usual.nameEnd])) {
                    known.record(field, at: count)
                }
                count += 1
                lineStart = usual.next
            }
            return nil
        }
    }

    /// Checks the field lines and notes where each name and value is; the lines are then copied once, whole
    /// (`ReceivedFields`), and no `String` is made until a field is read. For the heads `usualFields` does not take.
    @inline(never)
    private func parseFields(_ bytes: UnsafeRawBufferPointer) -> Result<HTTPHeaders, Failure> {
        // Every field line takes three bytes at least (a name, the colon, the line feed), which bounds the
        // positions to note for a large limit; the limit itself bounds them for a large section.
        let capacity = min(max(limits.maxHeaderCount, 0), bytes.count / 3 + 1)
        return withUnsafeTemporaryAllocation(of: ReceivedFields.Position.self, capacity: capacity) { positions in
            var count = 0
            var known = KnownFieldIndex()
            var lineStart = 0
            while lineStart < bytes.count {
                let offset = lineStart
                let nameEnd: Int, valueStart: Int, valueEnd: Int
                if let usual = Self.usualFieldLine(bytes, at: lineStart) {
                    (nameEnd, valueStart, valueEnd, lineStart) = usual
                } else {
                    let lineEnd = bytes.firstIndex(of: .lf, from: lineStart) ?? bytes.count
                    let line = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<lineEnd]).trimmingCR()
                    lineStart = lineEnd + 1
                    if line.isEmpty { continue }
                    // RFC 9112 §5.2: obsolete line folding is rejected with 400.
                    if line[0] == .space || line[0] == .tab { return .failure(.bad("obsolete line folding")) }
                    guard let colon = line.firstIndex(of: .colon, from: 0), colon > 0 else {
                        return .failure(.bad("header field without a name"))
                    }
                    let name = UnsafeRawBufferPointer(rebasing: line[..<colon])
                    // RFC 9112 §5.1: no whitespace between the field name and the colon; 400 when there is.
                    guard name.allSatisfy(\.isTokenCharacter) else {
                        return .failure(.bad("invalid header field name"))
                    }
                    var lower = colon + 1
                    var upper = line.count
                    while lower < upper, line[lower] == .space || line[lower] == .tab { lower += 1 }
                    while upper > lower, line[upper - 1] == .space || line[upper - 1] == .tab { upper -= 1 }
                    let value = UnsafeRawBufferPointer(rebasing: line[lower..<upper])
                    guard value.allSatisfy({ $0 >= 0x20 && $0 != 0x7f || $0 == .tab }) else {
                        return .failure(.bad("invalid character in header field value"))
                    }
                    (nameEnd, valueStart, valueEnd) = (offset + colon, offset + lower, offset + upper)
                }
                guard count < capacity else {
                    return .failure(Failure(status: .headerFieldsTooLarge, reason: "too many header fields"))
                }
                positions[count] = ReceivedFields.Position(
                    nameStart: UInt32(offset), nameEnd: UInt32(nameEnd),
                    valueStart: UInt32(valueStart), valueEnd: UInt32(valueEnd))
                let name = UnsafeRawBufferPointer(rebasing: bytes[offset..<nameEnd])
                if let field = KnownField(bytes: name) { known.record(field, at: count) }
                count += 1
            }
            guard count > 0 else { return .success(HTTPHeaders()) }
            let fields = ReceivedFields(lines: bytes, positions: UnsafeBufferPointer(rebasing: positions[..<count]))
            return .success(HTTPHeaders(received: fields, known: known))
        }
    }

    /// Reads the field line at `start` in one pass when it has the usual shape: a token, a colon, a value of
    /// visible characters, spaces and tabs, then LF or CRLF. Returns where the name ends, where the value (without
    /// the spaces and tabs around it) starts and ends, and where the next line starts; nil for any other line,
    /// which `parseFields` then reads step by step and refuses with the reason. One pass instead of a `memchr` for
    /// the line end, one for the colon and a check of the name and of the value: lines are short, calls are not.
    @inline(__always)
    private static func usualFieldLine(_ bytes: UnsafeRawBufferPointer, at start: Int)
        -> (nameEnd: Int, valueStart: Int, valueEnd: Int, next: Int)? {
        let end = bytes.count
        var index = start
        // The name eight bytes at a time while they are letters, digits and `-` (what names are made of), then
        // byte by byte through any other token characters.
        while index + 8 <= end {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let outside = Self.bytesOutsideNameLetters(word)
            guard outside == 0 else {
                index += outside.trailingZeroBitCount / 8
                break
            }
            index += 8
        }
        while index < end, bytes[index].isTokenCharacter { index += 1 }
        guard index > start, index < end, bytes[index] == .colon else { return nil }
        let nameEnd = index
        index += 1
        while index < end, bytes[index] == .space || bytes[index] == .tab { index += 1 }
        let valueStart = index
        while true {
            // Eight bytes at a time (values, a User-Agent or a Cookie, are the long part of a head), then to the
            // first byte that is not field text: a tab goes on, anything else ends the value.
            if index + 8 <= end {
                let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let outside = Self.bytesOutsideFieldText(word)
                guard outside != 0 else {
                    index += 8
                    continue
                }
                index += outside.trailingZeroBitCount / 8
            } else {
                while index < end, bytes[index] >= .space, bytes[index] != 0x7f { index += 1 }
                guard index < end else { break }
            }
            guard bytes[index] == .tab else { break }
            index += 1
        }
        var valueEnd = index
        while valueEnd > valueStart, bytes[valueEnd - 1] == .space || bytes[valueEnd - 1] == .tab { valueEnd -= 1 }
        if index < end, bytes[index] == .lf { return (nameEnd, valueStart, valueEnd, index + 1) }
        if index + 1 < end, bytes[index] == .cr, bytes[index + 1] == .lf { return (nameEnd, valueStart, valueEnd, index + 2) }
        return nil
    }

    /// Marks (with its top bit) each of the eight bytes of `word` (the first in the lowest bits) that is not an ASCII
    /// letter, digit or `-`; 0 when there is none. Each test of a range adds to the low seven bits of each byte
    /// (below 0x80 + 0x7f), so no byte carries into the next, and a byte with its top bit set is outside every range.
    @inline(__always)
    static func bytesOutsideNameLetters(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let low = word & ~highs
        /// The top bit of each byte of `x` (below 0x80) that is from `lowest` to `highest`.
        func within(_ x: UInt64, _ lowest: UInt64, _ highest: UInt64) -> UInt64 {
            (x &+ ones &* (0x80 - lowest)) & ~(x &+ ones &* (0x7f - highest))
        }
        let letters = within(low | ones &* 0x20, 0x61, 0x7a)
        let digits = within(low, 0x30, 0x39)
        let dashes = within(low, 0x2d, 0x2d)
        return ~((letters | digits | dashes) & ~word) & highs
    }

    /// Marks (with its top bit) each of the eight bytes of `word` (the first in the lowest bits) that is below space (a
    /// control byte, a tab, CR or LF) or is DEL: the bytes a field value's one-pass reading stops at; 0 when there
    /// is none. The classic SWAR test for a byte below `n`, `(x - n) & ~x & 0x80`, can also mark a byte above one
    /// that matched (through the borrow), never one below: the lowest mark is the first such byte.
    @inline(__always)
    static func bytesOutsideFieldText(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let belowSpace = (word &- ones &* 0x20) & ~word & highs
        let del = word ^ (ones &* 0x7f)
        return belowSpace | (del &- ones) & ~del & highs
    }

    // MARK: - Framing and target

    private func makeHead(method: consuming HTTPMethod, target: consuming String, version: RequestHead.Version,
                          rawPath: consuming String?, query: consuming String?,
                          headers: consuming HTTPHeaders) throws(Failure) -> RequestHead {
        // Most requests have neither framing field: they are answered without building the value lists.
        var framing = RequestHead.Framing.none
        if headers.contains(.transferEncoding) || headers.contains(.contentLength) {
            switch bodyFraming(headers, version: version) {
            case .success(let value): framing = value
            case .failure(let failure): throw failure
            }
        }

        let hosts = headers.count(of: .host)
        if hosts > 1 { throw .bad("more than one Host header") }
        if version == .http11, hosts == 0 { throw .bad("HTTP/1.1 request without Host") }

        let options = headers.connectionOptions
        let keepAlive = !options.contains(.close) && (version == .http11 || options.contains(.keepAlive))
        let path: String
        if let originPath = rawPath.take() {
            path = originPath
        } else {
            (path, query) = try Self.split(otherFormTarget: target, method: method)
        }
        return RequestHead(method: method, target: target, rawPath: path, query: query,
                           version: version, headers: headers, framing: framing, keepAlive: keepAlive)
    }

    /// The path and query of a target in absolute form or asterisk form (origin form is split with the request
    /// line), or why it is refused.
    @inline(never)
    private static func split(otherFormTarget fullTarget: String, method: HTTPMethod) throws(Failure)
        -> (rawPath: String, query: String?) {
        // The target is ASCII (checked with the request line), so bytes and Characters coincide: scan the UTF-8
        // view, which costs a fraction of Character-by-Character `hasPrefix`/`firstIndex`.
        var target = Substring(fullTarget)
        if let afterScheme = RequestHead.afterScheme(ofAbsoluteTarget: target) {
            // Absolute form (RFC 9112 §3.2.2): the path is what follows the authority.
            let pathStart = afterScheme.firstIndex { $0 == "/" || $0 == "?" } ?? afterScheme.endIndex
            target = afterScheme[pathStart...]
            if target.isEmpty || target.first == "?" { target = "/" + target }
        } else if target == "*" {
            guard method == .options else { throw .bad("asterisk-form is only for OPTIONS") }
        } else {
            throw .bad("request target must start with /")
        }
        if let hash = target.utf8.firstIndex(of: UInt8(ascii: "#")) { target = target[..<hash] }
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return (String(target), nil) }
        return (String(target[..<mark]), String(target[target.index(after: mark)...]))
    }

    /// RFC 9112 §6.1–6.3: chunked must be the final (here: only) coding; CL with TE, or CLs that differ, are
    /// refused because a proxy in front of us might read them the other way (request smuggling).
    @inline(never)
    private func bodyFraming(_ headers: HTTPHeaders, version: RequestHead.Version) -> Result<RequestHead.Framing, Failure> {
        let encodings = headers.values(.transferEncoding)
        let lengths = headers.values(.contentLength)
        if !encodings.isEmpty {
            if !lengths.isEmpty { return .failure(.bad("both Content-Length and Transfer-Encoding")) }
            if version == .http10 { return .failure(.bad("Transfer-Encoding in an HTTP/1.0 request")) }
            let codings = encodings.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: " \t") }
            guard codings.count == 1, codings[0].equalsIgnoringASCIICase("chunked") else {
                // Chunked applied twice is malformed (§7.1), not a coding we lack: 400 like any unreadable framing.
                let chunkedCount = codings.count { $0.equalsIgnoringASCIICase("chunked") }
                if chunkedCount == 1, codings.last?.equalsIgnoringASCIICase("chunked") == true {
                    return .failure(Failure(status: .notImplemented, reason: "only the chunked transfer coding is supported"))
                }
                return .failure(.bad("unsupported Transfer-Encoding"))
            }
            return .success(.chunked)
        }
        guard !lengths.isEmpty else { return .success(.none) }
        var length: Int?
        for element in lengths.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) }) {
            let digits = element.trimmingCharacters(in: " \t")
            // 18 digits keep the value inside Int; anything longer is no body we would accept anyway.
            guard !digits.isEmpty, digits.utf8.count <= 18, digits.utf8.allSatisfy(\.isDigit), let value = Int(digits) else {
                return .failure(.bad("invalid Content-Length"))
            }
            if let previous = length, previous != value { return .failure(.bad("differing Content-Length values")) }
            length = value
        }
        return .success(length.map { $0 == 0 ? .none : .length($0) } ?? .none)
    }
}
