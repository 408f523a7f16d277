import Foundation
import Glibc
import HTTPServer
import Testing

/// An idle httpsh sleeps: with no connection and no request, none of its threads wakes on a timer to look for
/// work (the housekeeper, the control socket's listener, the log writer did, 9 times a second together), and
/// what they watch still happens on time once a client comes.
@Suite struct IdleWakeupsTests {
    @Test func idleServer_wakesNoThread_andStillTimesOutAConnectionAndWritesTheLog() throws {
        let site = try ScratchSite()
        let log = site.path + "/access.log"
        // With a quota too: the folder is counted again every 30 s, which must not wake the server more often.
        let process = try HTTPSHProcess(site.servingFlags + ["--no-shell", "--access-log", log, "--idle-timeout", "1",
                                                             "--uploads-quota", "1G",
                                                             "--control", site.path + "/control.sock"])
        defer {
            process.signal(SIGTERM)
            _ = process.waitForExit()
        }
        let port = try #require(process.announcedPort(in: \.stderr))
        // One request first: the housekeeper watches its connection, then goes back to sleep.
        #expect(RawClient.status(port: port, "/hello.txt") == 200)
        let woke = try #require(Self.wakeUps(process.pid, inIdleSeconds: 5))
        #expect(woke <= 1, "httpsh's threads woke \(woke) times in 5 s of idleness")

        // A keep-alive connection opened while everything slept is closed at its idle timeout, not later.
        let client = try RawClient(port: port, timeout: 10)
        try client.send("GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        let answered = MonotonicClock.milliseconds()
        #expect(client.readToEnd().isEmpty)
        let idle = MonotonicClock.milliseconds() - answered
        #expect(idle >= 900 && idle < 2500, "closed after \(idle) ms of a 1 s idle timeout")
        // The access-log writer, asleep meanwhile, writes both requests' lines.
        #expect(eventually(within: 5) {
            (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").count == 2
        })
    }

    @Test func idleShellReadingAScript_wakesNoThread_andStillEndsAtOnceOnSIGTERM() throws {
        let site = try ScratchSite()
        // Standard input stays open and silent: the shell waits for the next line (it looked at the server's
        // state every 200 ms while it waited).
        let process = try HTTPSHProcess(site.scriptFlags + ["--control", site.path + "/control.sock"])
        process.send("status\n")
        let port = try #require(process.announcedPort(in: \.stdout))
        #expect(RawClient.status(port: port, "/hello.txt") == 200)
        let woke = try #require(Self.wakeUps(process.pid, inIdleSeconds: 3))
        #expect(woke <= 1, "httpsh's threads woke \(woke) times in 3 s of idleness")

        // The shutdown wakes the shell from its wait for input: the process ends without its input closing.
        process.signal(SIGTERM)
        #expect(process.waitForExit()?.status == 0)
    }

    /// The wake-ups of `pid`'s own threads over `seconds`, counted after a second for the last request's work to
    /// settle.
    static func wakeUps(_ pid: Int32, inIdleSeconds seconds: UInt32) -> Int? {
        usleep(1_000_000)
        guard let before = wakeUps(pid) else { return nil }
        usleep(seconds * 1_000_000)
        return wakeUps(pid).map { $0 - before }
    }

    /// Voluntary context switches so far of `pid`'s own threads: the main thread and those it named `httpsh-…`.
    /// Each is a wake-up from a sleep. A sanitizer's background thread is left out: it bears the process's name,
    /// `httpsh`, and ThreadSanitizer's wakes ten times a second.
    static func wakeUps(_ pid: Int32) -> Int? {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return nil }
        return tasks.reduce(0) { total, task in
            let folder = "/proc/\(pid)/task/\(task)"
            guard let name = try? String(contentsOfFile: folder + "/comm", encoding: .utf8),
                  task == String(pid) || name.hasPrefix("httpsh-"),
                  let status = try? String(contentsOfFile: folder + "/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("voluntary_ctxt_switches") }),
                  let count = line.split(separator: "\t").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) })
            else { return total }
            return total + count
        }
    }
}
