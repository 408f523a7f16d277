import Foundation
import Testing
@testable import HTTPServer

/// The `EmbedExample` program, built next to the test bundle, run as a user would: JSON routes, a static file,
/// CORS, then SIGTERM and a clean exit.
@Suite struct ExampleTests {
    @Test func example_servesItsRoutes_andExitsCleanlyOnSIGTERM() throws {
        let folder = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            .deletingLastPathComponent()
        let binary = folder.appendingPathComponent("EmbedExample").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build it first: \(binary) is missing")

        let root = FileManager.default.temporaryDirectory.appendingPathComponent("embed-example-\(UUID())").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let page = "<!DOCTYPE html><title>example</title>\n"
        try page.write(toFile: root + "/index.html", atomically: true, encoding: .utf8)

        let port = try LoopbackPort.free()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--port", String(port), "--root", root]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        let banner = try Self.readLine(output.fileHandleForReading.fileDescriptor, timeoutSeconds: 20)
        #expect(banner.contains("http://127.0.0.1:\(port)/"), "\(banner)")

        let hello = try RawClient.exchange(port: port, "GET /api/hello/W%C3%B6rld HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(hello.status == 200)
        #expect(hello.text == #"{"hello":"Wörld"}"# + "\n")
        #expect(hello["Server-Timing"]?.hasPrefix("app;dur=") == true)

        let body = #"{"text":"hi there","from":"test"}"#
        let echo = try RawClient.exchange(port: port, "POST /api/echo HTTP/1.1\r\nHost: localhost\r\nOrigin: https://x.example\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        #expect(echo.status == 200)
        #expect(echo.text == #"{"characters":8,"from":"test","text":"hi there"}"# + "\n")
        #expect(echo["Access-Control-Allow-Origin"] == "*")

        let preflight = try RawClient.exchange(port: port, "OPTIONS /api/echo HTTP/1.1\r\nHost: localhost\r\n"
            + "Origin: https://x.example\r\nAccess-Control-Request-Method: POST\r\n\r\n")
        #expect(preflight.status == 204)
        #expect(preflight["Access-Control-Allow-Methods"]?.contains("POST") == true)

        let file = try RawClient.exchange(port: port, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(file.status == 200)
        #expect(file.text == page)
        #expect(file["Content-Type"] == "text/html; charset=utf-8")

        kill(process.processIdentifier, SIGTERM)
        // Generous: the example's own grace is 5 s and nothing is in flight.
        #expect(eventually(within: 20) { !process.isRunning }, "EmbedExample did not stop after SIGTERM")
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }

    /// The first line written to `fd`, waiting at most `timeoutSeconds`.
    private static func readLine(_ fd: Int32, timeoutSeconds: Int32) throws -> String {
        var bytes: [UInt8] = []
        let deadline = Date().addingTimeInterval(Double(timeoutSeconds))
        while !bytes.contains(10) {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let remaining = Int32(max(0, deadline.timeIntervalSinceNow) * 1000)
            guard remaining > 0, poll(&poller, 1, remaining) > 0 else {
                throw TestFailure("no line from EmbedExample within \(timeoutSeconds) s")
            }
            var chunk = [UInt8](repeating: 0, count: 512)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw TestFailure("EmbedExample closed its output") }
            bytes += chunk[..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
