import Foundation
import Glibc
import HTTPServer

/// Headless Chromium, for what only a browser decides: whether a cross-origin script may read a response, whether a
/// compressed page decodes. `make test` installs it (`apt-get install chromium`) when it is missing.
///
/// ```swift
/// let dom = try HeadlessChromium.dumpDOM("http://127.0.0.1:\(port)/page.html")
/// try HeadlessChromium.screenshot("http://127.0.0.1:\(port)/", to: "/tmp/page.png")
/// ```
enum HeadlessChromium {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Long enough for a cold start on a loaded 2-core machine; a healthy run takes 2–5 s.
    static let timeoutSeconds = 60.0
    /// Virtual time the page gets after loading, so its `fetch()` calls finish before the DOM is taken.
    static let settleMilliseconds = 5000

    static func binary() throws -> String {
        for path in ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        where access(path, X_OK) == 0 {
            return path
        }
        throw Failure(description: "chromium is not installed; `make test` installs it (apt-get install chromium)")
    }

    /// The page's DOM, serialized after it loaded and its scripts ran.
    static func dumpDOM(_ url: String) throws -> String {
        try run(["--dump-dom", url])
    }

    /// Saves a PNG of the page, `width`×`height` pixels.
    static func screenshot(_ url: String, to path: String, width: Int = 800, height: Int = 600) throws {
        _ = try run(["--screenshot=\(path)", "--window-size=\(width),\(height)", "--hide-scrollbars", url])
        guard access(path, R_OK) == 0 else { throw Failure(description: "chromium wrote no screenshot at \(path)") }
    }

    /// Runs Chromium with a throw-away profile; its standard output.
    private static func run(_ arguments: [String]) throws -> String {
        let profileFolder = try TemporaryDirectory(prefix: "httpsh-chromium")
        defer { profileFolder.remove() }
        let profile = profileFolder.path

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary())
        // --no-sandbox: the tests may run as root, where Chromium refuses its sandbox.
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--disable-extensions", "--user-data-dir=\(profile)",
                             "--virtual-time-budget=\(settleMilliseconds)"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        // Read while it runs, so a large DOM cannot fill the pipe and stall it.
        let collected = Lock<Data>(Data())
        let reader = Thread {
            let data = output.fileHandleForReading.readDataToEndOfFile()
            collected.withLock { $0 = data }
        }
        reader.start()
        guard eventually(within: timeoutSeconds, { !process.isRunning }) else {
            process.terminate()
            process.waitUntilExit()
            throw Failure(description: "chromium did not finish within \(Int(timeoutSeconds)) s")
        }
        process.waitUntilExit()
        while !reader.isFinished { usleep(5_000) }
        return String(decoding: collected.withLock { $0 }, as: UTF8.self)
    }
}
