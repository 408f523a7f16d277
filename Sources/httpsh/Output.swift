import AdminShell
import Glibc

/// Lines to stdout and stderr.
enum Output {
    static func print(_ text: String) {
        Terminal.write(1, text + "\n")
    }

    static func error(_ text: String) {
        Terminal.write(2, text + "\n")
    }
}

/// The process environment as key-value pairs.
enum ProcessEnvironment {
    static func all() -> [(String, String)] {
        var pairs: [(String, String)] = []
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                pairs.append((String(text[..<equals]), String(text[text.index(after: equals)...])))
            }
            pointer += 1
        }
        return pairs
    }
}
