import Glibc

/// Unix times as UTC text with `strftime` patterns: one place for every timestamp the server writes
/// (HTTP dates, logs, listings, upload names), and no Foundation formatter anywhere.
public enum UTCTime {
    /// `seconds` formatted with a `strftime` pattern, in UTC.
    public static func format(_ seconds: Int, _ pattern: String) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, pattern, &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The current time formatted with a `strftime` pattern, in UTC.
    public static func now(_ pattern: String) -> String {
        format(Int(time(nil)), pattern)
    }
}
