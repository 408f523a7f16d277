import Foundation
import Glibc
import HTTPServerTesting
import Testing

/// A gzip'd page made with `gzip -k9`, served by the built binary: curl `--compressed` and headless Chromium
/// receive the variant and decode it.
@Suite struct PrecompressedBrowserTests {
    static let page = """
    <!DOCTYPE html><html><head><meta charset="utf-8"><title>gzip</title></head>
    <body style="font: 40px sans-serif; background: #fff"><h1 id="h">Served from page.html.gz</h1>
    <p>\(String(repeating: "compressible text ", count: 200))</p></body></html>

    """

    /// Runs a tool to the end; its standard output.
    private func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func gzippedPage_isDecodedByCurlAndChromium() throws {
        let site = try ScratchSite()
        let original = site.root + "/page.html"
        try Data(Self.page.utf8).write(to: URL(fileURLWithPath: original))
        _ = try run("/bin/gzip", ["-k9", original])
        let compressedSize = try #require(try FileManager.default.attributesOfItem(atPath: original + ".gz")[.size] as? Int)
        #expect(compressedSize < Self.page.utf8.count / 4)

        let log = site.path + "/access.log"
        let process = try HTTPSHProcess(["--port", "0", "-d", site.root, "--uploads", site.uploads,
                                         "--access-log", log, "--log-format", "json"])
        defer { process.closeInput(); _ = process.waitForExit() }
        process.send("status\n")
        let port = try #require(process.announcedPort(in: \.stdout))
        let url = "http://127.0.0.1:\(port)/page.html"

        // curl: the head says gzip, the decoded body is the original page.
        let head = try run("/usr/bin/curl", ["-s", "-D", "-", "-o", "/dev/null", "--compressed", url])
        #expect(head.contains("Content-Encoding: gzip\r\n"), "\(head)")
        #expect(head.contains("Content-Length: \(compressedSize)\r\n"))
        #expect(head.contains("Vary: Accept-Encoding\r\n"))
        #expect(try run("/usr/bin/curl", ["-s", "--compressed", url]) == Self.page)

        // Chromium: the DOM is the page's, and the access log shows the compressed size went out.
        let dom = try HeadlessChromium.dumpDOM(url)
        #expect(dom.contains("<h1 id=\"h\">Served from page.html.gz</h1>"), "\(dom)")
        let screenshot = site.path + "/page.png"
        try HeadlessChromium.screenshot(url, to: screenshot, width: 900, height: 300)
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 2000)
        // Kept for a person to look at (the README's screenshot came from here).
        try? FileManager.default.removeItem(atPath: "/tmp/httpsh-precompressed-page.png")
        try? FileManager.default.copyItem(atPath: screenshot, toPath: "/tmp/httpsh-precompressed-page.png")

        // Both Chromium runs' page requests (the log is written behind the responses); whether Chromium also asks
        // for `/favicon.ico` before it exits varies from run to run, so lines are not counted.
        func chromiumPageLines() -> [Substring] {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
                .filter { $0.contains("\"/page.html\"") && $0.contains("HeadlessChrome") }
        }
        #expect(eventually(within: 10) { chromiumPageLines().count >= 2 })
        let served = chromiumPageLines()
        #expect(served.count >= 2, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        #expect(served.allSatisfy { $0.contains("\"bytes\":\(compressedSize)") }, "\(served)")
    }
}
