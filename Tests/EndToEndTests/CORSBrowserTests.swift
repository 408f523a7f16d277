import Foundation
import Testing

/// `--cors`, `CORS_ORIGINS` and the shell's `cors` on the built binary: over raw sockets, and in headless Chromium
/// where a page served by a second httpsh on another port `fetch()`es a file.
@Suite struct CORSBrowserTests {
    /// A script-driven httpsh on `site`, started; its port.
    private func start(_ process: HTTPSHProcess) throws -> UInt16 {
        process.send("status\n")
        return try #require(process.announcedPort(in: \.stdout), "stdout: \(process.stdout)\nstderr: \(process.stderr)")
    }

    /// Sends one shell line and waits for its reply.
    private func command(_ process: HTTPSHProcess, _ line: String, reply: String) -> Bool {
        process.send(line + "\n")
        return process.waitFor(in: \.stdout) { $0.contains(reply + "\n") } != nil
    }

    @Test func corsFlag_allowsItsOrigin_andTheShellChangesItLive() throws {
        let site = try ScratchSite()
        let process = try HTTPSHProcess(site.scriptFlags + ["--cors", "http://a.example,http://b.example:8000"])
        defer { process.closeInput(); _ = process.waitForExit() }
        let port = try start(process)
        let allowed = try RawClient.fetch(port: port, "GET", "/hello.txt", headers: [("Origin", "http://b.example:8000")])
        #expect(allowed["Access-Control-Allow-Origin"] == "http://b.example:8000")
        let other = try RawClient.fetch(port: port, "GET", "/hello.txt", headers: [("Origin", "http://c.example")])
        #expect(other["Access-Control-Allow-Origin"] == nil)

        #expect(command(process, "cors *", reply: "cors: *"))
        #expect(try RawClient.fetch(port: port, "GET", "/hello.txt", headers: [("Origin", "http://c.example")])
            .values("Access-Control-Allow-Origin") == ["*"])
        #expect(command(process, "cors off", reply: "cors: off"))
        #expect(try RawClient.fetch(port: port, "GET", "/hello.txt", headers: [("Origin", "http://a.example")])
            .values("Access-Control-Allow-Origin").isEmpty)
        #expect(command(process, "status", reply: "CORS:               off"))
    }

    @Test func corsEnvironment_setsTheOrigins() throws {
        let site = try ScratchSite()
        let process = try HTTPSHProcess(site.scriptFlags, environment: ["CORS_ORIGINS": "http://env.example"])
        defer { process.closeInput(); _ = process.waitForExit() }
        let port = try start(process)
        let response = try RawClient.fetch(port: port, "GET", "/hello.txt", headers: [("Origin", "http://env.example")])
        #expect(response.values("Access-Control-Allow-Origin") == ["http://env.example"])
    }

    @Test func browserOnAnotherOrigin_readsAFile_onlyWhileCORSAllowsThatOrigin() throws {
        // The page's server: its origin is what the data server must allow.
        let pageSite = try ScratchSite()
        let pages = try HTTPSHProcess(pageSite.scriptFlags)
        defer { pages.closeInput(); _ = pages.waitForExit() }
        let pagePort = try start(pages)
        let origin = "http://127.0.0.1:\(pagePort)"

        let dataSite = try ScratchSite()
        try Data("secret-data-42\n".utf8).write(to: URL(fileURLWithPath: dataSite.root + "/data.txt"))
        let data = try HTTPSHProcess(dataSite.scriptFlags + ["--cors", origin])
        defer { data.closeInput(); _ = data.waitForExit() }
        let dataPort = try start(data)

        let page = """
        <!DOCTYPE html><html><body><pre id="out">waiting</pre><script>
        fetch("http://127.0.0.1:\(dataPort)/data.txt")
          .then(r => r.text())
          .then(t => { document.getElementById("out").textContent = "READ " + t.trim(); })
          .catch(e => { document.getElementById("out").textContent = "REFUSED " + e.name; });
        </script></body></html>
        """
        try Data(page.utf8).write(to: URL(fileURLWithPath: pageSite.root + "/page.html"))
        let url = "\(origin)/page.html"

        let allowedDOM = try HeadlessChromium.dumpDOM(url)
        #expect(allowedDOM.contains("READ secret-data-42"), "\(allowedDOM)")

        #expect(command(data, "cors http://127.0.0.1:1", reply: "cors: http://127.0.0.1:1"))
        let otherDOM = try HeadlessChromium.dumpDOM(url)
        #expect(otherDOM.contains("REFUSED TypeError"), "\(otherDOM)")
        #expect(!otherDOM.contains("secret-data-42"))

        #expect(command(data, "cors off", reply: "cors: off"))
        let offDOM = try HeadlessChromium.dumpDOM(url)
        #expect(offDOM.contains("REFUSED TypeError"), "\(offDOM)")
    }
}
