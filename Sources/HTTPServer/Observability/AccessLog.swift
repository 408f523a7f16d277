import Glibc

/// One line per request, in Combined Log Format (what nginx, GoAccess and AWStats read) or as JSON lines.
/// Lines go through the logger at `info`, so `loglevel warning` silences them.
public final class AccessLog: Sendable {
    /// The line format.
    public enum Format: String, Sendable {
        case combined
        case json
    }

    /// What one line says.
    struct Entry {
        var client: IPAddress
        var head: RequestHead?
        var status: Int
        var bytes: Int
        var requestID: String
        var microseconds: Int64
    }

    let logger: Logger
    let format: Format

    public init(logger: Logger, format: Format = .combined) {
        self.logger = logger
        self.format = format
    }

    func record(_ entry: Entry) {
        guard logger.isEnabled(.info) else { return }
        logger.raw(.info, format == .json ? Self.json(entry) : Self.combined(entry))
    }

    /// `127.0.0.1 - - [21/Nov/2026:20:30:00 +0000] "GET / HTTP/1.1" 200 1234 "referer" "agent"`.
    static func combined(_ entry: Entry) -> String {
        let request = entry.head.map { "\($0.method) \($0.target) \($0.version)" } ?? "-"
        let referer = entry.head?.headers["Referer"] ?? "-"
        let agent = entry.head?.headers["User-Agent"] ?? "-"
        return "\(entry.client) - - [\(timestamp("%d/%b/%Y:%H:%M:%S +0000"))] \"\(quoted(request))\" \(entry.status) "
            + "\(entry.bytes) \"\(quoted(referer))\" \"\(quoted(agent))\""
    }

    static func json(_ entry: Entry) -> String {
        func field(_ name: String, _ value: String) -> String { "\"\(name)\":\"\(ErrorPage.jsonEscaped(value))\"" }
        let head = entry.head
        return "{" + [
            field("time", timestamp("%Y-%m-%dT%H:%M:%SZ")),
            field("request_id", entry.requestID),
            field("client", entry.client.description),
            field("method", head.map { $0.method.description } ?? "-"),
            field("path", head?.target ?? "-"),
            "\"status\":\(entry.status)",
            "\"bytes\":\(entry.bytes)",
            "\"duration_us\":\(entry.microseconds)",
            field("user_agent", head?.headers["User-Agent"] ?? ""),
            field("referer", head?.headers["Referer"] ?? ""),
        ].joined(separator: ",") + "}"
    }

    /// Escapes `"` and `\` and replaces control bytes, so a hostile header cannot forge log lines.
    private static func quoted(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case let c where c.value < 0x20 || c.value == 0x7f: out += "\\x" + String(c.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func timestamp(_ format: String) -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 40)
        let n = strftime(&buffer, buffer.count, format, &parts)
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
