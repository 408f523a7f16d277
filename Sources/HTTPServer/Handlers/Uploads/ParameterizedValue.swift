/// A header value of the form `main; name=value; name="quoted value"` (RFC 9110 §5.6.6): `Content-Type`
/// (`multipart/form-data; boundary=x`) and a form part's `Content-Disposition` (`form-data; name="f"`).
struct ParameterizedValue: Equatable {
    /// The part before the first `;`, lowercased (`application/json`, `form-data`).
    let main: String
    /// Parameters by lowercased name; the first of a repeated name wins. Values keep their case.
    let parameters: [String: String]

    /// Parses `text`; nil when the main part is empty.
    init?(_ text: String) {
        var rest = Substring(text)
        let end = rest.firstIndex(of: ";") ?? rest.endIndex
        let main = rest[..<end].trimmingCharacters(in: " \t").lowercased()
        guard !main.isEmpty else { return nil }
        rest = rest[end...]
        var parameters: [String: String] = [:]
        while let (name, value) = Self.nextParameter(&rest) {
            if parameters[name] == nil { parameters[name] = value }
        }
        self.main = main
        self.parameters = parameters
    }

    /// Reads `; name=value` from the front of `rest`; nil at the end.
    private static func nextParameter(_ rest: inout Substring) -> (String, String)? {
        while let first = rest.first, first == ";" || first == " " || first == "\t" { rest = rest.dropFirst() }
        guard !rest.isEmpty else { return nil }
        let nameEnd = rest.firstIndex { $0 == "=" || $0 == ";" } ?? rest.endIndex
        let name = rest[..<nameEnd].trimmingCharacters(in: " \t").lowercased()
        rest = rest[nameEnd...]
        guard rest.first == "=" else { return (name, "") }
        rest = rest.dropFirst()
        while let first = rest.first, first == " " || first == "\t" { rest = rest.dropFirst() }
        guard rest.first == "\"" else {
            let valueEnd = rest.firstIndex(of: ";") ?? rest.endIndex
            defer { rest = rest[valueEnd...] }
            return (name, rest[..<valueEnd].trimmingCharacters(in: " \t"))
        }
        // A quoted string. Browsers do not escape backslashes in file names (they percent-encode `"`), so a
        // backslash escapes only `"` and `\` and is otherwise kept, as most form parsers do.
        rest = rest.dropFirst()
        var value = ""
        while let character = rest.first {
            rest = rest.dropFirst()
            if character == "\"" { break }
            if character == "\\", let next = rest.first, next == "\"" || next == "\\" {
                value.append(next)
                rest = rest.dropFirst()
            } else {
                value.append(character)
            }
        }
        return (name, value)
    }
}
