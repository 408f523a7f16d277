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

    /// The reply as one JSON object: `{"ok":true,"message":…}`, `{"ok":true,"Key":…}` or
    /// `{"ok":true,"rows":[{…}]}` (keys lower-cased, spaces as `_`).
    public static func json(_ reply: Reply) -> String {
        func key(_ text: String) -> String {
            "\"" + ErrorPage.jsonEscaped(text.lowercased().replacingSpaces()) + "\""
        }
        func string(_ text: String) -> String { "\"" + ErrorPage.jsonEscaped(text) + "\"" }
        var members = ["\"ok\":\(reply.ok)"]
        switch reply.content {
        case .message(let message):
            members.append("\"\(reply.ok ? "message" : "error")\":" + string(message))
        case .fields(let fields):
            members += fields.map { key($0.key) + ":" + ($0.isNumber ? $0.value : string($0.value)) }
        case .table(let columns, let rows):
            let objects = rows.map { row in
                "{" + zip(columns, row).map { column, cell in
                    key(column) + ":" + (Int(cell) != nil ? cell : string(cell))
                }.joined(separator: ",") + "}"
            }
            members.append("\"rows\":[" + objects.joined(separator: ",") + "]")
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// A one-line summary, for logs.
    public static func oneLine(_ reply: Reply) -> String {
        text(reply).split(separator: "\n").joined(separator: ", ")
    }
}

extension String {
    func replacingSpaces() -> String {
        String(map { $0 == " " || $0 == "-" ? "_" : $0 })
    }
}
