import HTTPServer

extension RequestParser {
    /// Parses a request written as text (its UTF-8 bytes), for tests.
    func parse(_ text: String, resumeAt: Int = 0) -> Outcome {
        parse(bytes: Array(text.utf8), resumeAt: resumeAt)
    }

    /// Parses raw bytes, for tests.
    func parse(bytes: [UInt8], resumeAt: Int = 0) -> Outcome {
        bytes.withUnsafeBytes { parse($0, resumeAt: resumeAt) }
    }
}

extension RequestParser.Outcome {
    /// The head, when the outcome is a complete head.
    var head: RequestHead? {
        if case .head(let head, _) = self { return head }
        return nil
    }

    /// The bytes the head used, when the outcome is a complete head.
    var consumed: Int? {
        if case .head(_, let consumed) = self { return consumed }
        return nil
    }

    /// The status code of a failure.
    var failureCode: Int? {
        if case .failure(let status, _) = self { return status.code }
        return nil
    }

    /// True when more bytes are needed.
    var isIncomplete: Bool {
        if case .incomplete = self { return true }
        return false
    }
}
