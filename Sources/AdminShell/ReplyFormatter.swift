import HTTPServer

/// Renders replies as text a person reads at a glance (`Key: value` lines, aligned tables) or as one JSON object.
public enum ReplyFormatter {
    /// The reply as text lines; failures start with `error: `. Every value is escaped for the terminal
    /// (`TerminalText`): paths, names and file contents come from clients.
    public static func text(_ reply: Reply) -> String {
        switch reply.content {
        case .message(let message):
            let safe = TerminalText.escaped(message, layout: .multiLine)
            return reply.ok ? safe : "error: " + safe
        case .fields(let fields):
            let width = fields.map(\.label.count).max() ?? 0
            return fields.map {
                $0.label + ":" + String(repeating: " ", count: width - $0.label.count + 1) + TerminalText.escaped($0.text)
            }.joined(separator: "\n")
        case .table(let columns, let cells):
            guard !cells.isEmpty else { return "(none)" }
            let rows = cells.map { $0.map { TerminalText.escaped($0.text) } }
            var widths = columns.map(\.label.count)
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
            return ([line(columns.map(\.label))] + rows.map(line)).joined(separator: "\n")
        }
    }

    /// The reply as one JSON object on one line: `{"ok":true,"message":…}` (`"error"` when it failed),
    /// `{"ok":true,KEY:VALUE,…}` for fields, or `{"ok":true,"rows":[{KEY:VALUE,…}]}` for a table. Keys and value
    /// types come from the reply's own fields and columns (README, "JSON replies").
    public static func json(_ reply: Reply) -> String {
        var members = ["\"ok\":\(reply.ok)"]
        switch reply.content {
        case .message(let message):
            members.append("\"\(reply.ok ? "message" : "error")\":" + jsonString(message))
        case .fields(let fields):
            members += fields.map { jsonString($0.key) + ":" + jsonValue($0.value) }
        case .table(let columns, let rows):
            let objects = rows.map { row in
                let members = zip(columns, row).map { jsonString($0.key) + ":" + jsonValue($1.value) }
                return "{" + members.joined(separator: ",") + "}"
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
            return fields.map { "\($0.label): \($0.text)" }.joined(separator: ", ")
        }
        return text(reply).split(separator: "\n").joined(separator: ", ")
    }

    private static func jsonString(_ text: String) -> String { JSONText.quoted(text) }

    private static func jsonValue(_ value: Reply.Value) -> String {
        switch value {
        case .string(let text): jsonString(text)
        case .integer(let number): String(number)
        // JSON has no infinity or NaN.
        case .number(let number): number.isFinite ? "\(number)" : "null"
        case .boolean(let flag): String(flag)
        case .null: "null"
        }
    }
}
