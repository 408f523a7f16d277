/// One server of a fleet shell (`httpsh attach --control a.sock --control b.sock`, or `--controls FILE`): its
/// control socket and the short label its replies carry.
///
/// The label is the name given (`web1 /tmp/web1.sock` in a `--controls` file), else the socket file's name without
/// `.sock` (`/run/httpsh/8080-blue.sock` → `8080-blue`). Labels that would be the same take more of their path
/// (`a/control`, `b/control`), so the same list always gives the same labels.
public struct FleetTarget: Sendable, Equatable {
    public let label: String
    public let path: String

    /// Why a list of sockets cannot make a fleet.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// One socket as the operator listed it: a path, and a name when one was given.
    public struct Entry: Sendable, Equatable {
        public let name: String?
        public let path: String

        public init(name: String?, path: String) {
            self.name = name
            self.path = path
        }
    }

    /// The entries of a `--controls` file: one socket a line, `PATH` or `NAME PATH`; blank lines and `#`
    /// comments are skipped. `source` names the file in errors.
    public static func entries(listedIn text: String, source: String) throws(Failure) -> [Entry] {
        var entries: [Entry] = []
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.prefix { $0 != "#" }
            let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
            switch words.count {
            case 0: continue
            case 1: entries.append(Entry(name: nil, path: words[0]))
            case 2: entries.append(Entry(name: words[0], path: words[1]))
            default:
                throw Failure(description: "\(source):\(index + 1): expected 'PATH' or 'NAME PATH', "
                    + "found \(words.count) words")
            }
        }
        guard !entries.isEmpty else { throw Failure(description: "\(source): lists no control socket") }
        return entries
    }

    /// The fleet `entries` make, labelled; a path listed twice or two servers named alike are refused (each
    /// command would run twice on one server, or two replies would be told apart by nothing).
    public static func fleet(_ entries: [Entry]) throws(Failure) -> [FleetTarget] {
        var seenPaths = Set<String>()
        for entry in entries where !seenPaths.insert(entry.path).inserted {
            throw Failure(description: "\(entry.path) is listed twice")
        }
        let components = entries.map { entry in
            var parts = entry.path.split(separator: "/").map(String.init)
            if let last = parts.last, last.hasSuffix(".sock"), last.count > ".sock".count {
                parts[parts.count - 1] = String(last.dropLast(".sock".count))
            }
            return parts
        }
        // Unnamed sockets start with their file name and take one more folder while their label is not unique;
        // the path as given is the last resort (`a.sock` and `/a.sock`).
        var depths = entries.map { $0.name == nil ? 1 : 0 }
        func label(_ index: Int) -> String {
            if let name = entries[index].name { return name }
            let parts = components[index]
            return depths[index] > parts.count ? entries[index].path : parts.suffix(depths[index]).joined(separator: "/")
        }
        while true {
            let labels = entries.indices.map(label)
            var counts: [String: Int] = [:]
            for label in labels { counts[label, default: 0] += 1 }
            let growing = entries.indices.filter {
                counts[labels[$0], default: 0] > 1 && entries[$0].name == nil && depths[$0] <= components[$0].count
            }
            if growing.isEmpty {
                if let repeated = labels.first(where: { counts[$0, default: 0] > 1 }) {
                    throw Failure(description: "two servers would both be labelled '\(repeated)': name them "
                        + "('NAME PATH' lines in a --controls file)")
                }
                return entries.indices.map { FleetTarget(label: labels[$0], path: entries[$0].path) }
            }
            for index in growing { depths[index] += 1 }
        }
    }
}
