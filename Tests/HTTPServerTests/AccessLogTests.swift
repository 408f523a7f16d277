import Foundation
import Testing
@testable import HTTPServer

@Suite(.serialized) struct AccessLogTests {
    /// host ident authuser [date] "request" status bytes "referer" "agent"
    nonisolated(unsafe) static let combined = #/^(\S+) - - \[(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) \+0000\] "([A-Z]+) (\S+) (HTTP/1\.[01])" (\d{3}) (\d+) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"$/#

    /// The file's lines once it has at least `count` of them (none if it never does).
    private func lines(of path: String, atLeast count: Int) -> [String] {
        func read() -> [String] {
            ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        return eventually { read().count >= count } ? read() : []
    }

    @Test func combinedLines_parseFieldByField() throws {
        let path = NSTemporaryDirectory() + "access-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fixture = try TestServer.observed(accessLog: .file(path))
        _ = try RawClient.fetch(port: fixture.port, "GET", "/hello.txt",
                                        headers: [("Referer", "http://example.test/a"), ("User-Agent", "probe \"quoted\"/1.0")])
        _ = try RawClient.fetch(port: fixture.port, "GET", "/missing")
        let lines = lines(of: path, atLeast: 2)
        #expect(lines.count == 2)
        let first = try #require(lines.first.flatMap { try? Self.combined.wholeMatch(in: $0) })
        #expect(first.output.1 == "127.0.0.1")
        #expect(first.output.8 == "GET")
        #expect(first.output.9 == "/hello.txt")
        #expect(first.output.10 == "HTTP/1.1")
        #expect(first.output.11 == "200")
        #expect(first.output.12 == "6")
        #expect(first.output.13 == "http://example.test/a")
        #expect(first.output.14 == #"probe \"quoted\"/1.0"#)
        let second = try #require(try Self.combined.wholeMatch(in: lines[1]))
        #expect(second.output.11 == "404")
    }

    @Test func jsonLines_parseAsJSON() throws {
        let path = NSTemporaryDirectory() + "access-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fixture = try TestServer.observed(accessLog: .file(path), format: .json)
        let response = try RawClient.fetch(port: fixture.port, "GET", "/hello.txt?x=1",
                                                                headers: [("User-Agent", "tester")])
        let lines = lines(of: path, atLeast: 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(object["method"] as? String == "GET")
        #expect(object["path"] as? String == "/hello.txt?x=1")
        #expect(object["status"] as? Int == 200)
        #expect(object["bytes"] as? Int == 6)
        #expect(object["client"] as? String == "127.0.0.1")
        #expect(object["user_agent"] as? String == "tester")
        #expect(object["request_id"] as? String == response["x-request-id"])
        #expect((object["duration_us"] as? Int).map { $0 >= 0 } == true)
    }

    @Test func reopen_followsARotatedFile() throws {
        let path = NSTemporaryDirectory() + "access-\(UUID().uuidString).log"
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: path + ".1")
        }
        let fixture = try TestServer.observed(accessLog: .file(path))
        _ = try RawClient.fetch(port: fixture.port, "GET", "/hello.txt")
        #expect(lines(of: path, atLeast: 1).count == 1)
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        #expect(fixture.context.accessLog.reopen() == "reopened \(path)")
        _ = try RawClient.fetch(port: fixture.port, "GET", "/again")
        let fresh = lines(of: path, atLeast: 1)
        #expect(fresh.count == 1)
        #expect(fresh.first?.contains("/again") == true)
        #expect(lines(of: path + ".1", atLeast: 1).count == 1)
    }

    @Test func clientRequestID_isEchoedWhenSane() throws {
        let fixture = try TestServer.observed()
        let echoed = try RawClient.fetch(port: fixture.port, "GET", "/hello.txt",
                                                              headers: [("X-Request-ID", "abc-123")])
        #expect(echoed["x-request-id"] == "abc-123")
        let replaced = try RawClient.fetch(port: fixture.port, "GET", "/hello.txt",
                                                                headers: [("X-Request-ID", "<script>")])
        #expect(replaced["x-request-id"] != "<script>")
        #expect(replaced["x-request-id"]?.count == 16)
    }
}
