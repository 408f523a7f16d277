import Glibc

/// An HTML index of one folder: directories first, then files, sorted by name; sizes, modification times and
/// how often each entry was requested. Names are HTML-escaped and links percent-encoded; dotfiles are left out,
/// and so are the resolver's excluded folders (and links to them), which this handler would answer 404 for.
///
/// Reading a folder and `stat`-ing each entry is most of a listing's cost, so a listing is rendered once into
/// bytes, split where each row's request count goes (`Rendered`); a request only fills in the counts.
struct DirectoryListing {
    struct Entry {
        var name: String
        var isDirectory: Bool
        var size: Int
        var modified: Int
    }

    let path: String
    let urlPath: String
    let isRoot: Bool
    /// The resolver of the handler that serves the folder, for its exclusions.
    let resolver: PathResolver

    /// Rows shown at most: a longer page is no index anyone reads, and anyone who may upload can make the uploads
    /// folder big (16,600 entries cost 140 ms a request when each was `stat`-ed and rendered). The rest is counted
    /// in a note under the table.
    static let maxEntries = 1000

    /// What a listing shows: the first entries in order, and how many more the folder holds.
    struct Entries {
        var shown: [Entry]
        var leftOut: Int
    }

    /// A name `readdir` found, with its status when it had to be read to know the entry's type.
    private struct Candidate {
        var name: String
        var isDirectory: Bool
        var info: stat?
    }

    /// The folder's entries in order, at most `maxEntries`. Names and types come from `readdir`; only the entries
    /// shown are `fstatat`-ed (relative to the open folder) for their size and time, plus the folders (for the
    /// exclusions) and the entries `readdir` gives no type for (links), so a big folder costs one pass over its
    /// names, not a `stat` each.
    func entries() -> Entries {
        guard let directory = opendir(path) else { return Entries(shown: [], leftOut: 0) }
        defer { closedir(directory) }
        let folder = dirfd(directory)
        var candidates: [Candidate] = []
        while let item = readdir(directory) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard !name.hasPrefix(".") else { continue }
            let type = Int(item.pointee.d_type)
            if type == DT_REG {
                candidates.append(Candidate(name: name, isDirectory: false, info: nil))
                continue
            }
            guard type == DT_DIR || type == DT_LNK || type == DT_UNKNOWN else { continue }
            var info = stat()
            guard fstatat(folder, name, &info, 0) == 0 else { continue }
            let isDirectory = info.st_mode & S_IFMT == S_IFDIR
            guard isDirectory || info.st_mode & S_IFMT == S_IFREG else { continue }
            if isDirectory, resolver.isExcluded(path + "/" + name, info) { continue }
            candidates.append(Candidate(name: name, isDirectory: isDirectory, info: info))
        }
        // Each name is lowercased once, not twice per comparison.
        let ordered = Self.withoutVariants(candidates)
            .map { (key: $0.name.lowercased(), candidate: $0) }
            .sorted { a, b in
                a.candidate.isDirectory != b.candidate.isDirectory ? a.candidate.isDirectory : a.key < b.key
            }
        let shown = ordered.prefix(Self.maxEntries).compactMap { pair -> Entry? in
            var info = pair.candidate.info ?? stat()
            if pair.candidate.info == nil, fstatat(folder, pair.candidate.name, &info, 0) != 0 { return nil }
            return Entry(name: pair.candidate.name, isDirectory: pair.candidate.isDirectory, size: Int(info.st_size),
                         modified: Int(info.st_mtim.tv_sec))
        }
        return Entries(shown: shown, leftOut: max(0, ordered.count - Self.maxEntries))
    }

    /// The page with every count left open.
    func render() -> Rendered {
        let title = "Index of \(urlPath)".htmlEscaped
        var head: [UInt8] = []
        head.append(contentsOf: """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
        <title>\(title)</title>
        <style>body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}
        table{border-collapse:collapse;width:100%}th,td{padding:.3em .8em;text-align:left;border-bottom:1px solid #eee}
        th{background:#f6f6f6}.n{text-align:right;font-variant-numeric:tabular-nums}a{text-decoration:none}
        @media (prefers-color-scheme:dark){body{background:#161616;color:#ddd}th{background:#222}
        td,th{border-color:#333}a{color:#8ab4f8}}</style></head>
        <body><h1>\(title)</h1>
        <table><thead><tr><th>Name</th><th class="n">Size</th><th>Modified (UTC)</th><th class="n">Requests</th></tr></thead>
        <tbody>

        """.utf8)
        if !isRoot {
            head.append(contentsOf: "<tr><td><a href=\"../\">../</a></td><td></td><td></td><td></td></tr>\n".utf8)
        }
        var rows: [Rendered.Row] = []
        let entries = entries()
        for entry in entries.shown {
            let display = entry.name + (entry.isDirectory ? "/" : "")
            let href = PercentEncoding.encodePath(entry.name) + (entry.isDirectory ? "/" : "")
            var prefix: [UInt8] = []
            prefix.append(contentsOf: "<tr><td><a href=\"\(href.htmlEscaped)\">\(display.htmlEscaped)</a></td>".utf8)
            prefix.append(contentsOf: "<td class=\"n\">\(entry.isDirectory ? "-" : Self.humanSize(entry.size))</td>".utf8)
            prefix.append(contentsOf: "<td>\(UTCTime.format(entry.modified, "%Y-%m-%d %H:%M"))</td><td class=\"n\">".utf8)
            rows.append(Rendered.Row(prefix: prefix, counterKey: urlPath + display))
        }
        var tail: [UInt8] = []
        tail.append(contentsOf: "</tbody></table>\n".utf8)
        if entries.leftOut > 0 {
            let total = entries.shown.count + entries.leftOut
            tail.append(contentsOf: """
            <p class="more">The first \(entries.shown.count) of \(total) entries are listed; \
            \(entries.leftOut) more are not shown.</p>

            """.utf8)
        }
        tail.append(contentsOf: "<p><small>httpsh</small></p></body></html>\n".utf8)
        return Rendered(head: head, rows: rows, tail: tail)
    }

    /// A listing rendered once; `page` fills in the request counts.
    struct Rendered: Sendable {
        struct Row: Sendable {
            /// The row up to its count cell's content.
            var prefix: [UInt8]
            /// The path whose requests the row counts (`/docs/guide.md`).
            var counterKey: String
        }

        static let rowEnd: [UInt8] = Array("</td></tr>\n".utf8)

        let head: [UInt8]
        let rows: [Row]
        let tail: [UInt8]

        /// Bytes held, for the cache's bound.
        var byteCount: Int {
            rows.reduce(head.count + tail.count) { $0 + $1.prefix.count + $1.counterKey.utf8.count + 32 }
        }

        /// The page with today's counts, in one buffer.
        func page(counters: RequestCounters) -> [UInt8] {
            let counts = counters.counts(for: rows.map(\.counterKey))
            var out: [UInt8] = []
            out.reserveCapacity(byteCount + rows.count * (Self.rowEnd.count + 8))
            out.append(contentsOf: head)
            for (row, count) in zip(rows, counts) {
                out.append(contentsOf: row.prefix)
                ResponseSerializer.appendDecimal(count, to: &out)
                out.append(contentsOf: Self.rowEnd)
            }
            out.append(contentsOf: tail)
            return out
        }
    }

    /// `entries` without the precompressed siblings (`x.gz`, `x.br`, `x.zst`) of a file `x` listed too: they are
    /// the same document, served for `x`. A `.gz` without its original stays, as a file of its own.
    private static func withoutVariants(_ entries: [Candidate]) -> [Candidate] {
        let files = Set(entries.lazy.filter { !$0.isDirectory }.map(\.name))
        return entries.filter { entry in
            guard !entry.isDirectory else { return true }
            return !ContentCoding.allCases.contains { coding in
                entry.name.hasSuffix(coding.suffix) && files.contains(String(entry.name.dropLast(coding.suffix.count)))
            }
        }
    }

    /// `512 B`, `1.5 KiB`, `3.2 MiB`.
    static func humanSize(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        var value = Double(bytes)
        for unit in ["KiB", "MiB", "GiB", "TiB"] {
            value /= 1024
            if value < 1024 || unit == "TiB" {
                let tenths = Int((value * 10).rounded())
                return "\(tenths / 10).\(tenths % 10) \(unit)"
            }
        }
        return "\(bytes) B"
    }
}
