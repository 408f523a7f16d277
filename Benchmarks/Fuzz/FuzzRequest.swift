// libFuzzer entry point for the request parser, the chunked decoder, percent-decoding and the path resolver.
// Built by `make fuzz` with `swiftc -sanitize=fuzzer,address` into the whole HTTPServer library's sources.
// The contract checked: no input crashes, and every successful parse is internally consistent.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let parser = RequestParser()
    guard let resolver = PathResolver(root: "/tmp") else { return 0 }
    var resumeAt = 0
    // Feed the input in two pieces, as a network would, to exercise `resumeAt`.
    let split = size / 2
    if case .incomplete(let scanned) = parser.parse(UnsafeRawBufferPointer(rebasing: bytes[0..<split])) {
        precondition(scanned <= split, "scanned past the input")
        resumeAt = scanned
    }
    // A head that arrives whole is read in one pass, one that arrives in pieces step by step (any `resumeAt`
    // past 0): both readings must give the same outcome.
    if size > 1 {
        let onePass = summary(parser.parse(bytes)), stepByStep = summary(parser.parse(bytes, resumeAt: 1))
        precondition(onePass == stepByStep, "one pass: \(onePass); step by step: \(stepByStep)")
    }
    switch parser.parse(bytes, resumeAt: resumeAt) {
    case .head(let head, let consumed):
        precondition(consumed > 0 && consumed <= size, "consumed \(consumed) of \(size)")
        precondition(head.rawPath.hasPrefix("/") || head.rawPath == "*", "path \(head.rawPath)")
        // The fields are read in place from the received bytes: every way of reading them must agree (and stay
        // inside the buffer, which AddressSanitizer watches).
        let fields = head.headers.fields
        precondition(fields.count == head.headers.count, "\(fields.count) fields, count \(head.headers.count)")
        for (name, value) in fields {
            precondition(!name.isEmpty && head.headers.values(name).contains(value), "field \(name) not found by name")
            // The usual lines are read in one pass, the others step by step: both keep to RFC 9110 §5.5.
            precondition(name.utf8.allSatisfy(\.isTokenCharacter), "field name \(name) is not a token")
            precondition(value.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x7f || $0 == .tab }, "control byte in \(name)")
            precondition(![.space, .tab].contains(value.utf8.first) && ![.space, .tab].contains(value.utf8.last),
                         "whitespace around the value of \(name)")
        }
        for field in KnownField.allCases {
            let scanned = fields.first { $0.name.equalsIgnoringASCIICase(field.name) }?.value
            precondition(head.headers[field] == scanned, "known field \(field) differs from a scan")
        }
        if let path = PercentEncoding.decode(head.rawPath) {
            precondition(!path.utf8.contains(0), "NUL survived decoding")
            if case .success(let segments) = resolver.segments(of: path) {
                for segment in segments {
                    precondition(segment != ".." && !segment.hasPrefix("."), "escaping segment \(segment)")
                    precondition(!segment.contains("/"), "separator inside a segment")
                }
            }
        }
        if case .chunked = head.framing {
            var decoder = ChunkedDecoder()
            let body = UnsafeRawBufferPointer(rebasing: bytes[consumed...])
            if let used = try? decoder.decode(body, emit: { _ in }) {
                precondition(used <= body.count, "decoder used more than it was given")
            }
        }
    case .incomplete(let scanned):
        precondition(scanned <= size, "scanned past the input")
    case .failure(let status, _):
        precondition(status.code >= 400 && status.code < 600, "status \(status)")
    }
    return 0
}

/// An outcome as text, every part of a head in it (an incomplete one without how far it was scanned).
private func summary(_ outcome: RequestParser.Outcome) -> String {
    switch outcome {
    case .incomplete: "incomplete"
    case .failure(let status, let reason): "\(status.code) \(reason)"
    case .head(let head, let consumed):
        "\(head.method) \(head.target) \(head.rawPath) \(head.query ?? "-") \(head.version) \(head.framing) "
            + "\(head.keepAlive) \(head.headers.fields) \(consumed)"
    }
}
