import Foundation
import Glibc
import Testing

/// `kill -9` in the middle of uploads never leaves a partial file under a final name, and the next start on the
/// same uploads folder sweeps the temporary files the crash left behind before it serves.
@Suite struct FaultCrashRecoveryTests {
    @Test func killedMidUpload_leavesNoFinalName_andRestartSweepsTheTemporaries() throws {
        let site = try ScratchSite()
        let first = try HTTPSHProcess(site.flags)
        let port = try #require(first.announcedPort(in: \.stderr), "stderr: \(first.stderr)")

        // Two uploads, a JSON document and a form, each stopped halfway through its body.
        let document = Array(("[" + String(repeating: "1234567,", count: 128 * 1024) + "0]").utf8)
        let json = try RawClient(port: port, timeout: 10)
        defer { json.close() }
        try json.send("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(document.count)\r\n\r\n")
        try json.send(bytes: Array(document[..<(document.count / 2)]))

        let boundary = "faultBoundary1234"
        let content = [UInt8](repeating: 0x41, count: 512 * 1024)
        let partHead = "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"half.bin\"\r\n\r\n"
        let form = Array(partHead.utf8) + content + Array("\r\n--\(boundary)--\r\n".utf8)
        let multipart = try RawClient(port: port, timeout: 10)
        defer { multipart.close() }
        try multipart.send("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Content-Type: multipart/form-data; boundary=\(boundary)\r\nContent-Length: \(form.count)\r\n\r\n")
        try multipart.send(bytes: Array(form[..<(form.count / 2)]))

        // Both bodies are being written to temporary files when the process dies.
        #expect(eventually(within: 10) { site.uploadEntries().filter { $0.hasPrefix(".upload-") }.count == 2 },
                "uploads folder: \(site.uploadEntries())")
        first.signal(SIGKILL)
        let killed = try #require(first.waitForExit())
        #expect(killed.signalled && killed.status == SIGKILL)

        let afterCrash = site.uploadEntries()
        #expect(afterCrash.allSatisfy { $0.hasPrefix(".upload-") && $0.hasSuffix(".tmp") },
                "a name other than a temporary one after the crash: \(afterCrash)")

        // The next start on the same folder sweeps them before it announces its address.
        let second = try HTTPSHProcess(site.flags)
        let secondPort = try #require(second.announcedPort(in: \.stderr), "stderr: \(second.stderr)")
        #expect(site.uploadEntries().isEmpty, "left after start-up: \(site.uploadEntries())")

        // And it stores a whole upload as usual.
        let client = try RawClient(port: secondPort, timeout: 10)
        defer { client.close() }
        try client.send("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(document.count)\r\n\r\n")
        try client.send(bytes: document)
        let stored = try client.readResponse()
        #expect(stored.status == 201, "answered \(stored.status): \(String(decoding: stored.body, as: UTF8.self))")
        let entries = site.uploadEntries()
        #expect(entries.count == 1 && entries.allSatisfy { !$0.hasPrefix(".") }, "uploads folder: \(entries)")
        if let name = entries.first {
            #expect(FileManager.default.contents(atPath: site.uploads + "/" + name).map(Array.init) == document)
        }

        second.signal(SIGTERM)
        let exit = try #require(second.waitForExit())
        #expect(exit.status == 0 && !exit.signalled)
    }
}
