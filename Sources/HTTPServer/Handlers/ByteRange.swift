/// A single byte range from a `Range` header (RFC 9110 §14.1.2), resolved against a representation's length.
public enum ByteRange {
    /// What a `Range` header asks for.
    public enum Outcome: Equatable {
        /// No usable range: send the whole representation (missing header, other unit, several ranges, bad syntax).
        case whole
        /// Send `lower...upper` (inclusive) with 206.
        case partial(lower: Int, upper: Int)
        /// No byte of the range exists: 416.
        case unsatisfiable
    }

    /// Interprets `header` for a representation of `length` bytes. Multi-range requests get the whole
    /// representation, which RFC 9110 allows a server to do.
    public static func resolve(_ header: String?, length: Int) -> Outcome {
        guard let header, header.hasPrefix("bytes=") else { return .whole }
        let spec = header.dropFirst(6).trimmingCharacters(in: " \t")
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .whole }
        let first = spec[..<dash].trimmingCharacters(in: " \t")
        let last = spec[spec.index(after: dash)...].trimmingCharacters(in: " \t")
        guard first.utf8.allSatisfy(\.isDigit), last.utf8.allSatisfy(\.isDigit) else { return .whole }
        if first.isEmpty {
            // Suffix range: the last N bytes.
            guard let count = Int(last) ?? (last.isEmpty ? nil : Int.max), !last.isEmpty else { return .whole }
            guard count > 0, length > 0 else { return .unsatisfiable }
            return .partial(lower: max(0, length - count), upper: length - 1)
        }
        guard let lower = Int(first) else { return .unsatisfiable }  // more digits than Int: past any end
        // An open end runs to the end of the representation, however long it is: `bytes=100-` of 100 bytes is
        // past the end (416), not backwards.
        let upper = last.isEmpty ? Int.max : (Int(last) ?? Int.max)
        if upper < lower { return .whole }  // syntactically invalid: ignore the header
        guard lower < length else { return .unsatisfiable }
        return .partial(lower: lower, upper: min(upper, length - 1))
    }
}
