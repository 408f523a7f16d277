import Glibc

/// The settings file `config save` writes and `--config PATH` reads: one `name = value` line per setting (the
/// names and values of the command-line flags), `#` comments, and one `block = …` line per blocked range, so
/// a restart keeps every live change and the blocklist.
///
/// ```
/// workers = 4
/// max-upload = 256M
/// block = 203.0.113.0/24 since 1764310000 until 1764313600 scanner
/// ```
public enum SettingsFile {
    /// A file that cannot be read or used: one line naming the file and line.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The largest settings file read: a few hundred lines of settings and blocks; more is not a settings file.
    static let maximumBytes = 1 << 20

    /// Reads `path` into `configuration`, marking each setting it sets in `sources`; returns the blocks it lists.
    public static func load(_ path: String, into configuration: inout ApplicationConfiguration,
                            sources: inout [String: Setting.Source]) throws(Failure) -> [Blocklist.Entry] {
        let text = try read(path)
        var blocks: [Blocklist.Entry] = []
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            func fail(_ message: String) -> Failure { Failure(description: "\(path):\(offset + 1): \(message)") }
            let line = rawLine.trimmingBlanks()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw fail("expected 'name = value', got '\(line.prefix(60))'")
            }
            let name = String(line[..<equals]).trimmingBlanks()
            let value = String(line[line.index(after: equals)...]).trimmingBlanks()
            if name == "block" {
                guard let entry = blockEntry(value) else {
                    throw fail("block: expected 'RANGE since SECONDS [until SECONDS] [REASON]', "
                        + "got '\(value.prefix(60))'")
                }
                blocks.append(entry)
                continue
            }
            guard let setting = Settings.named(name) else {
                throw fail("unknown setting '\(name.prefix(40))' (see 'config' in the shell for the names)")
            }
            if let problem = setting.write(&configuration, value) { throw fail("\(name): \(problem)") }
            sources[name] = .file
        }
        return blocks
    }

    /// The file's text for `configuration` and `blocks`.
    public static func render(_ configuration: ApplicationConfiguration, blocks: [Blocklist.Entry], savedAt: Int) -> String {
        var lines = ["# httpsh settings, saved \(UTCTime.format(savedAt, "%Y-%m-%d %H:%M:%S")) UTC by 'config save'.",
                     "# Read at start with --config PATH; flags and environment variables win over it."]
        for setting in Settings.all { lines.append("\(setting.name) = \(setting.read(configuration))") }
        for entry in blocks {
            var line = "block = \(entry.range) since \(entry.since)"
            if let expires = entry.expires { line += " until \(expires)" }
            lines.append(line + " " + entry.reason.replacing("\n", with: " "))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `text` to `path` whole or not at all: a temporary file, flushed, then renamed over the old one.
    public static func write(_ text: String, to path: String) throws(Failure) {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
        var bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeMutableBytes { raw in
                guard let base = raw.baseAddress else { return -1 }
                return Glibc.write(fd, base + written, raw.count - written)
            }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            written += count
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw Failure(description: "cannot write \(path): \(reason)")
        }
        bytes.removeAll()
    }

    private static func read(_ path: String) throws(Failure) -> String {
        do {
            return try TextFile.read(path, maximumBytes: maximumBytes)
        } catch {
            throw Failure(description: error.description)
        }
    }

    /// `RANGE since SECONDS [until SECONDS] [REASON]`.
    private static func blockEntry(_ text: String) -> Blocklist.Entry? {
        var words = text.split(separator: " ", omittingEmptySubsequences: true)[...]
        guard let first = words.popFirst(), let range = CIDR(String(first)) else { return nil }
        guard words.popFirst() == "since", let sinceWord = words.popFirst(), let since = Int(sinceWord) else {
            return nil
        }
        var expires: Int?
        if words.first == "until" {
            words = words.dropFirst()
            guard let word = words.popFirst(), let until = Int(word) else { return nil }
            expires = until
        }
        let reason = words.joined(separator: " ")
        return Blocklist.Entry(range: range, reason: reason.isEmpty ? "blocked by operator" : reason, since: since,
                               expires: expires)
    }
}

private extension StringProtocol {
    func trimmingBlanks() -> String {
        String(drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }
            .reversed())
    }
}
