/// Parsing and printing of setting values, shared by flags, the settings file and `config set`. Each parser
/// returns the value, or an error that names what is accepted.
enum SettingValue {
    /// A number in `range`; `word` names the word the setting also takes (`off`, `auto`), for the error.
    static func integer(_ text: String, _ range: ClosedRange<Int>, or word: String? = nil) -> Result<Int, Problem> {
        guard let value = Int(text), range.contains(value) else {
            return .failure(Problem("'\(text)' is not a number from \(range.lowerBound) to \(range.upperBound)"
                + (word.map { ", or \($0)" } ?? "")))
        }
        return .success(value)
    }

    static func onOff(_ text: String) -> Result<Bool, Problem> {
        switch text.lowercased() {
        case "on", "enabled", "true", "yes", "1": .success(true)
        case "off", "disabled", "false", "no", "0": .success(false)
        default: .failure(Problem("'\(text)' is not on/off (or enabled/disabled)"))
        }
    }

    static func level(_ text: String) -> Result<LogLevel, Problem> {
        guard let level = LogLevel(name: text) else {
            return .failure(Problem("'\(text)' is not a log level (debug, info, warning, error, none)"))
        }
        return .success(level)
    }

    /// `off`, `N/SECONDS`, or `N/SECONDS burst B`.
    static func rateLimit(_ text: String) -> Result<RateLimit?, Problem> {
        if text.lowercased() == "off" { return .success(nil) }
        let words = text.split(separator: " ")
        var burst: Int?
        if words.count == 3, words[1] == "burst" {
            guard let value = Int(words[2]), value >= 1 else { return .failure(Problem("burst must be at least 1")) }
            burst = value
        }
        guard words.count == 1 || burst != nil, let limit = RateLimit(parsing: String(words[0]), burst: burst) else {
            let longest = Int(RateLimit.maximumWindowSeconds)
            return .failure(Problem("'\(text)' is not N/SECONDS [burst B] with 0 < SECONDS ≤ \(longest) "
                + "(such as 10/1 or 100/60), or off"))
        }
        return .success(limit)
    }

    static func rateLimitText(_ limit: RateLimit?) -> String {
        guard let limit else { return "off" }
        let window = limit.seconds == limit.seconds.rounded() ? String(Int(limit.seconds)) : String(limit.seconds)
        return "\(limit.requests)/\(window)" + (limit.burst == limit.requests ? "" : " burst \(limit.burst)")
    }

    /// `65536`, `64K`, `64M`, `1G`; `word` names the word the setting also takes (`off`), for the error.
    static func size(_ text: String, or word: String? = nil) -> Result<Int, Problem> {
        let multipliers: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var digits = Substring(text.uppercased())
        var multiplier = 1
        if digits.hasSuffix("B") { digits = digits.dropLast() }
        if let last = digits.last, let factor = multipliers[last] {
            multiplier = factor
            digits = digits.dropLast()
        }
        guard let value = Int(digits), value > 0, value <= Int.max / multiplier else {
            return .failure(Problem("'\(text)' is not a size such as 65536, 512K or 64M"
                + (word.map { ", or \($0)" } ?? "")))
        }
        return .success(value * multiplier)
    }

    /// The shortest exact form: `64M`, `512K`, `1000`.
    static func sizeText(_ bytes: Int) -> String {
        for (suffix, unit) in [("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)] where bytes % unit == 0 {
            return "\(bytes / unit)\(suffix)"
        }
        return String(bytes)
    }

    /// Why a value was refused, without the setting's name (each caller adds it its own way).
    struct Problem: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }
}
