import Foundation
import Glibc
import Testing

/// `--json` is a stable interface for scripts: each reply is exactly one JSON document on standard output, with
/// numbers as numbers (unit in the key) and names as strings, whatever they look like.
@Suite struct JSONInterfaceTests {
    /// A web root and an uploads folder holding an upload named like a number.
    private final class Folders {
        let root = NSTemporaryDirectory() + "httpsh-json-\(UUID().uuidString)"

        init() throws {
            for folder in ["site", "uploads"] {
                try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
            }
            try "hello\n".write(toFile: root + "/site/hello.txt", atomically: true, encoding: .utf8)
            try "numbered\n".write(toFile: root + "/uploads/2024", atomically: true, encoding: .utf8)
        }

        deinit { try? FileManager.default.removeItem(atPath: root) }

        var arguments: [String] { ["--port", "0", "--root", root + "/site", "--uploads", root + "/uploads"] }
    }

    /// Runs `httpsh -c script` and returns its exit status, stdout and stderr.
    private func run(_ script: String, _ folders: Folders) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = try HTTPSHProcess(folders.arguments + ["-c", script])
        let exit = try #require(process.waitForExit(seconds: 30))
        return (exit.status, process.stdout, process.stderr)
    }

    /// Runs `python3 arguments` with `text` on stdin; its exit status and stdout.
    private func python(_ arguments: [String], _ text: String) throws -> (status: Int32, output: String) {
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3"] + arguments
        let input = Pipe()
        let output = Pipe()
        python.standardInput = input
        python.standardOutput = output
        python.standardError = FileHandle.nullDevice
        try python.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        python.waitUntilExit()
        return (python.terminationStatus, String(decoding: printed, as: UTF8.self))
    }

    /// Feeds `text` to `python3 -m json.tool`, which accepts exactly one JSON document.
    private func pythonAccepts(_ text: String) throws -> Bool {
        try python(["-m", "json.tool"], text).status == 0
    }

    /// Python's type name (`int`, `float`, `str`, `bool`, `NoneType`) for each key of the document and of its
    /// first row (as `rows.KEY`): Python's parser tells `5` from `5.0`, which Foundation's does not.
    private func pythonTypes(_ text: String) throws -> [String: String] {
        let script = """
            import json, sys
            d = json.load(sys.stdin)
            items = list(d.items()) + [("rows." + k, v) for k, v in (d.get("rows") or [{}])[0].items()]
            print("\\n".join(k + " " + type(v).__name__ for k, v in items))
            """
        var types: [String: String] = [:]
        for line in try python(["-c", script], text).output.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { types[String(parts[0])] = String(parts[1]) }
        }
        return types
    }

    private func object(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func everyJSONReply_IsOneDocumentThatAParserAccepts() throws {
        let folders = try Folders()
        // The last script line runs after the block, so `blocked` has a row; stdout must still be one document.
        let scripts = ["status --json", "stats --json", "top --json", "counters --json", "uploads --json",
                       "block 192.0.2.0/24 42\nblocked --json", "workers 3 --json", "ratelimit 10/1 --json",
                       "dirlisting off --json", "loglevel warning --json", "unblock 192.0.2.9 --json",
                       "workers lots --json", "connections --json", "slowlog --json", "drain on --json",
                       "stats reset --json", "slowlog reset --json", "kill 999 --json", "config --json",
                       "config get max-upload --json", "config set idle-timeout 12 --json", "shutdown --json"]
        for script in scripts {
            let result = try run(script, folders)
            let document = script.contains("\n") ? String(result.stdout.split(separator: "\n").last ?? "")
                : result.stdout
            #expect(try pythonAccepts(document), "\(script): \(result.stdout)")
            if !script.contains("\n") {
                #expect(result.stdout.split(separator: "\n").count == 1, "\(script): \(result.stdout)")
            }
            // The end-of-script shutdown reports on stderr, out of the way.
            if !script.hasPrefix("shutdown") { #expect(result.stderr.contains("Finished requests:"), "\(script)") }
        }
    }

    @Test func statusAndStats_AreTypedWithUnitsInTheKeys() throws {
        let folders = try Folders()
        let status = try pythonTypes(try run("status --json", folders).stdout)
        for key in ["uptime_seconds", "memory_bytes", "workers", "workers_busy", "open_connections",
                    "in_flight_requests", "requests_served", "open_files", "rate_limited", "blocked_ranges"] {
            #expect(status[key] == "int", "\(key)")
        }
        for key in ["state", "url", "root", "uploads", "log_level"] { #expect(status[key] == "str", "\(key)") }
        #expect(status["ok"] == "bool")
        #expect(status["recent_requests_per_second"] == "float")
        #expect(status["directory_listing"] == "bool")
        #expect(status["rate_limit"] == "NoneType")

        let stats = try pythonTypes(try run("stats --json", folders).stdout)
        for key in ["requests_1xx", "requests_2xx", "requests_5xx", "response_bytes", "last_minute_requests",
                    "since_start_requests"] {
            #expect(stats[key] == "int", "\(key)")
        }
        for key in ["last_minute_p50_ms", "last_minute_p99_ms", "since_start_p90_ms", "since_start_max_ms"] {
            #expect(stats[key] == "float", "\(key)")
        }
    }

    @Test func namesThatLookLikeNumbers_StayStrings() throws {
        let folders = try Folders()
        let uploadsText = try run("uploads --json", folders).stdout
        let row = try #require((try object(uploadsText)["rows"] as? [[String: Any]])?.first)
        #expect(row["name"] as? String == "2024")
        #expect(try pythonTypes(uploadsText) == ["ok": "bool", "rows": "list", "rows.name": "str",
                                                 "rows.size_bytes": "int", "rows.uploaded": "str"])

        let config = try pythonTypes(try run("config --json", folders).stdout)
        #expect(config["rows.name"] == "str" && config["rows.value"] == "str" && config["rows.source"] == "str")
        #expect(config["rows.live"] == "bool")

        let output = try run("block 192.0.2.0/24 42\nblocked --json", folders).stdout
        let blocked = try object(String(output.split(separator: "\n").last ?? ""))
        let entry = try #require((blocked["rows"] as? [[String: Any]])?.first)
        #expect(entry["range"] as? String == "192.0.2.0/24")
        #expect(entry["reason"] as? String == "42")
        let types = try pythonTypes(String(output.split(separator: "\n").last ?? ""))
        #expect(types["rows.hits"] == "int" && types["rows.reason"] == "str" && types["rows.since"] == "str")
    }
}
