import CEditLine
import Glibc
import HTTPServer

/// The interactive prompt. (Placeholder until the libedit editor lands: plain line reading.)
final class LineEditor {
    private let reader = LineReader(fd: 0)

    init(logger: Logger) {}

    func readLine(prompt: String) -> String? {
        Terminal.write(1, prompt)
        return reader.next()
    }

    func remember(_ line: String) {}

    func close() {}
}
