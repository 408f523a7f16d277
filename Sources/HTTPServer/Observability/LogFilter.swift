/// Which access-log lines `log follow` shows: every condition given must hold.
public struct LogFilter: Sendable, Equatable, CustomStringConvertible {
    /// A status class (`4` for 4xx) or one exact status (`404`).
    public enum StatusMatch: Sendable, Equatable {
        case statusClass(Int)
        case exactly(Int)
    }

    public var status: StatusMatch?
    /// Request targets that start with this (`/api/`).
    public var pathPrefix: String?
    /// Clients inside this range.
    public var client: CIDR?

    public init(status: StatusMatch? = nil, pathPrefix: String? = nil, client: CIDR? = nil) {
        self.status = status
        self.pathPrefix = pathPrefix
        self.client = client
    }

    /// Parses `4xx`, `5XX` or `404`; nil for anything else.
    public static func statusMatch(_ text: String) -> StatusMatch? {
        let lowered = text.lowercased()
        if lowered.count == 3, lowered.hasSuffix("xx"), let digit = Int(lowered.prefix(1)), (1...5).contains(digit) {
            return .statusClass(digit)
        }
        if let code = Int(text), (100...599).contains(code) { return .exactly(code) }
        return nil
    }

    func matches(status code: Int, target: String?, client address: IPAddress) -> Bool {
        switch status {
        case .statusClass(let digit)? where code / 100 != digit: return false
        case .exactly(let wanted)? where code != wanted: return false
        default: break
        }
        if let pathPrefix, !(target ?? "").hasPrefix(pathPrefix) { return false }
        if let client, !client.contains(address) { return false }
        return true
    }

    /// The filter in the shell's words (`status 4xx path /api/`), or `all requests`.
    public var description: String {
        var words: [String] = []
        switch status {
        case .statusClass(let digit)?: words.append("status \(digit)xx")
        case .exactly(let code)?: words.append("status \(code)")
        case nil: break
        }
        if let pathPrefix { words.append("path \(pathPrefix)") }
        if let client { words.append("client \(client)") }
        return words.isEmpty ? "all requests" : words.joined(separator: " ")
    }
}
