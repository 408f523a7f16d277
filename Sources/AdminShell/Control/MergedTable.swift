import HTTPServer

/// The tables several servers printed, as one table with an INSTANCE column first: a fleet's `counters`, `top`,
/// `blocked`, `uploads` and `connections` read as one list (each server's rows together, in fleet order).
///
/// The servers send text; a table is read back from the layout `ReplyFormatter` gives it: column labels separated
/// by at least two spaces, and every cell but the last padded to its column's width.
enum MergedTable {
    /// A table read back from its text: the column labels and the cells of each row.
    struct Parsed: Equatable {
        let columns: [String]
        let rows: [[String]]
    }

    /// The one table for `tables` (label and reply text, in fleet order); nil when a text is not a table or the
    /// servers' columns differ (servers of different versions): each reply is then shown on its own.
    static func merge(_ tables: [(label: String, text: String)]) -> String? {
        var columns: [String]?
        var rows: [[String]] = []
        for (label, text) in tables {
            guard let parsed = parse(text) else { return nil }
            if parsed.columns.isEmpty { continue }
            if let columns, columns != parsed.columns { return nil }
            columns = parsed.columns
            rows += parsed.rows.map { [label] + $0 }
        }
        guard let columns else { return "(none)" }
        let reply = Reply.table([Reply.Column("INSTANCE", key: "instance")] + columns.map { Reply.Column($0, key: $0) },
                                rows.map { $0.map(Reply.Cell.string) })
        // The formatter escapes every cell again: what the servers sent reaches the terminal only through it.
        return ReplyFormatter.text(reply)
    }

    /// The table `text` shows; no columns for `(none)`, nil when `text` is not a table.
    static func parse(_ text: String) -> Parsed? {
        if text == "(none)" { return Parsed(columns: [], rows: []) }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(Array.init)
        guard let header = lines.first, header.first.map({ $0 != " " }) == true else { return nil }
        var starts = [0]
        for index in 2..<max(2, header.count) where header[index - 2] == " " && header[index - 1] == " " && header[index] != " " {
            starts.append(index)
        }
        func cells(_ line: [Character]) -> [String]? {
            var cells: [String] = []
            for (number, start) in starts.enumerated() {
                let end = number + 1 < starts.count ? starts[number + 1] : line.count
                // Every cell but the last ends in at least two spaces of padding.
                if number + 1 < starts.count, end > line.count || line[end - 2] != " " || line[end - 1] != " " {
                    return nil
                }
                guard start <= line.count else { return nil }
                var cell = line[start..<min(end, line.count)]
                if number + 1 < starts.count { while cell.last == " " { cell.removeLast() } }
                cells.append(String(cell))
            }
            return cells
        }
        guard let columns = cells(header) else { return nil }
        var rows: [[String]] = []
        for line in lines.dropFirst() {
            guard let row = cells(line) else { return nil }
            rows.append(row)
        }
        return Parsed(columns: columns, rows: rows)
    }
}
