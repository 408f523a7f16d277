/// Log lines waiting for a slow reader, bounded in lines and in bytes. Lines come from clients' requests (an
/// access line quoting a 64 KiB header is about 250 KB once escaped), so a count of lines alone does not bound
/// memory: a stalled terminal or pipe must cost at most `maximumBytes`, whatever the lines hold. A line that does
/// not fit is dropped and counted, never waited for.
struct LineQueue {
    /// Lines kept waiting at most.
    let maximumLines: Int
    /// UTF-8 bytes (newlines included) kept at most, waiting or taken and not yet released.
    let maximumBytes: Int
    private(set) var lines: [String] = []
    /// The bytes of `lines` plus those taken and not yet `release`d (a batch being written).
    private(set) var bytes = 0
    /// Lines refused since start (or since `takeDropped`).
    private(set) var dropped = 0

    init(maximumLines: Int, maximumBytes: Int) {
        self.maximumLines = maximumLines
        self.maximumBytes = maximumBytes
    }

    /// Queues `line`; false (and counted) when it does not fit.
    mutating func append(_ line: String) -> Bool {
        let size = Self.size(line)
        guard lines.count < maximumLines, bytes + size <= maximumBytes else {
            dropped += 1
            return false
        }
        lines.append(line)
        bytes += size
        return true
    }

    /// Takes every waiting line. Their bytes stay counted until `release`: a batch being written still takes
    /// memory, so the bound covers it too.
    mutating func take() -> [String] {
        defer { lines.removeAll(keepingCapacity: false) }
        return lines
    }

    /// Forgets the bytes of `taken` lines (written, or handed on).
    mutating func release(_ taken: [String]) {
        bytes -= taken.reduce(0) { $0 + Self.size($1) }
    }

    /// The drop count since the last call, which starts again from zero.
    mutating func takeDropped() -> Int {
        defer { dropped = 0 }
        return dropped
    }

    private static func size(_ line: String) -> Int { line.utf8.count + 1 }
}
