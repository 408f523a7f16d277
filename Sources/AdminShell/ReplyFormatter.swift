import HTTPServer

/// Renders replies as text a person reads at a glance (`Key: value` lines, aligned tables) or as one JSON object.
public enum ReplyFormatter {
    /// The reply as text lines; failures start with `error: `.
    public static func text(_ reply: Reply) -> String {
        switch reply.content {
        case .message(let message):
            return reply.ok ? message : "error: " + message
        case .fields(let fields):
            let width = fields.map(\.key.count).max() ?? 0
            return fields.map { $0.key + ":" + String(repeating: " ", count: width - $0.key.count + 1) + $0.value }
                .joined(separator: "\n")
        case .table(let columns, let rows):
            guard !rows.isEmpty else { return "(none)" }
            var widths = columns.map(\.count)
            for row in rows {
                for (index, cell) in row.enumerated() where index < widths.count {
                    widths[index] = max(widths[index], cell.count)
                }
            }
            func line(_ cells: [String]) -> String {
                var out = ""
                for (index, cell) in cells.enumerated() {
                    let last = index == cells.count - 1
                    out += last ? cell : cell + String(repeating: " ", count: widths[index] - cell.count + 2)
                }
                return out
            }
            return ([line(columns)] + rows.map(line)).joined(separator: "\n")
        }
    }

    /// The reply as one JSON object: `{"ok":true,"message":…}` (`"error"` when it failed), `{"ok":true,"key":…}`
    /// for `Key: value` fields, or `{"ok":true,"rows":[{…}]}` for a table. Keys are lower-cased, with every run
    /// of other characters turned into one `_` (`Recent req/s` → `recent_req_s`).
    public static func json(_ reply: Reply) -> String {
        var members = ["\"ok\":\(reply.ok)"]
        switch reply.content {
        case .message(let message):
            members.append("\"\(reply.ok ? "message" : "error")\":" + jsonString(message))
        case .fields(let fields):
            members += fields.map { jsonKey($0.key) + ":" + ($0.isNumber ? $0.value : jsonString($0.value)) }
        case .table(let columns, let rows):
            let objects = rows.map { row in
                "{" + zip(columns, row).map { column, cell in
                    jsonKey(column) + ":" + (isJSONInteger(cell) ? cell : jsonString(cell))
                }.joined(separator: ",") + "}"
            }
            members.append("\"rows\":[" + objects.joined(separator: ",") + "]")
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// A reply-shaped JSON object for a line the shell itself refused (a parse error).
    public static func jsonError(_ message: String) -> String {
        "{\"ok\":false,\"error\":" + jsonString(message) + "}"
    }

    /// A one-line summary, for logs: `Key: value, Key: value`.
    public static func oneLine(_ reply: Reply) -> String {
        if case .fields(let fields) = reply.content {
            return fields.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        }
        return text(reply).split(separator: "\n").joined(separator: ", ")
    }

    private static func jsonString(_ text: String) -> String { JSONText.quoted(text) }

    private static func jsonKey(_ text: String) -> String {
        var key = ""
        for character in text.lowercased() {
            if character.isASCII, character.isLetter || character.isNumber {
                key.append(character)
            } else if !key.isEmpty, key.last != "_" {
                key.append("_")
            }
        }
        while key.last == "_" { key.removeLast() }
        return jsonString(key)
    }

    /// Only a cell that is exactly a JSON integer (no `+`, no leading zero) becomes a number: `007` stays text.
    private static func isJSONInteger(_ cell: String) -> Bool {
        guard let value = Int(cell) else { return false }
        return String(value) == cell
    }
}
