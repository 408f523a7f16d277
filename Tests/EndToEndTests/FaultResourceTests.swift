import Foundation
import Glibc
import Testing

/// A burst of 400 connections leaks nothing: once the clients close, the spawned server's descriptor count is back
/// at its baseline and its resident memory stops growing from one burst to the next.
@Suite struct FaultResourceTests {
    /// Connections per burst: far more than the workers, few enough for any descriptor limit.
    static let burst = 400

    @Test func connectionBursts_returnDescriptorsAndMemoryToBaseline() throws {
        let site = try FaultSite()
        // Every burst comes from 127.0.0.1: the per-client cap would refuse most of it.
        let process = try HTTPSHProcess(site.flags + ["--workers", "4", "--max-connections-per-ip", "off"])
        defer {
            process.signal(SIGTERM)
            _ = process.waitForExit()
        }
        let port = try #require(process.announcedPort(in: \.stderr), "stderr: \(process.stderr)")
        let pid = process.pid
        let baseline = try #require(FaultProc.descriptors(pid))

        // The first burst warms the allocator up; memory is measured from after it.
        try runBurst(port: port, pid: pid, baseline: baseline)
        let memoryAfterWarmUp = try #require(FaultProc.residentBytes(pid))
        for _ in 0..<3 { try runBurst(port: port, pid: pid, baseline: baseline) }
        let memoryAfterBursts = try #require(FaultProc.residentBytes(pid))

        // Slack for allocator caches; a leak of even 10 KiB per connection would pass 12 MiB over three bursts.
        // AddressSanitizer keeps freed memory in quarantine on purpose, so under it resident memory says nothing.
        if !FaultProc.addressSanitizerIsOn {
            #expect(memoryAfterBursts <= memoryAfterWarmUp + 8 << 20,
                    "RSS grew from \(memoryAfterWarmUp >> 10) KiB to \(memoryAfterBursts >> 10) KiB over three bursts")
        }
        // The server still serves.
        #expect(try LoopbackHTTP.get(port: port, "/hello.txt").hasSuffix("hello from httpsh\n"))
    }

    /// Workers that retire give their thread back whole: growing to 64 and shrinking to 1 five times leaves the
    /// mapped memory where one such cycle left it (a thread stack is 8 MiB; 315 leaked ones would be 2.5 GiB).
    @Test func workersGrownAndShrunkRepeatedly_leaveNoThreadStacksBehind() throws {
        let site = try FaultSite()
        let process = try HTTPSHProcess(site.scriptFlags + ["--workers", "1"])
        defer {
            process.closeInput()
            _ = process.waitForExit()
        }
        // A script prints the address with `status`; once it is there, the server has started.
        process.send("status\n")
        _ = try #require(process.announcedPort(in: \.stdout), "stdout: \(process.stdout)")
        let pid = process.pid
        let idleThreads = try #require(FaultProc.threads(pid))

        func cycle() -> Bool {
            process.send("workers 64\n")
            guard faultEventually(within: 20, { (FaultProc.threads(pid) ?? 0) >= idleThreads + 63 }) else { return false }
            process.send("workers 1\n")
            return faultEventually(within: 20) { (FaultProc.threads(pid) ?? .max) <= idleThreads }
        }
        #expect(cycle(), "threads: \(FaultProc.threads(pid) ?? -1), idle: \(idleThreads)")
        let mappedAfterOne = try #require(FaultProc.virtualBytes(pid))
        for round in 2...5 { #expect(cycle(), "round \(round): threads \(FaultProc.threads(pid) ?? -1)") }
        let mappedAfterFive = try #require(FaultProc.virtualBytes(pid))
        #expect(mappedAfterFive <= mappedAfterOne + 64 << 20,
                "mapped memory grew from \(mappedAfterOne >> 20) MiB to \(mappedAfterFive >> 20) MiB")
    }

    /// Opens `burst` connections at once, gets a response on every one of them, closes them all, and checks the
    /// server's descriptors while they are open and after they closed.
    private func runBurst(port: UInt16, pid: Int32, baseline: Int,
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
        var sockets = try (0..<Self.burst).map { _ in try FaultSocket(port: port) }
        for socket in sockets { try socket.send("GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") }
        for socket in sockets {
            let response = try socket.readResponse()
            #expect(response.status == 200, sourceLocation: sourceLocation)
        }
        let open = FaultProc.descriptors(pid) ?? 0
        #expect(open >= baseline + Self.burst, "only \(open) descriptors with \(Self.burst) connections open",
                sourceLocation: sourceLocation)
        sockets.forEach { $0.close() }
        sockets.removeAll()
        var now = open
        let settled = faultEventually(within: 20) {
            now = FaultProc.descriptors(pid) ?? Int.max
            return now <= baseline + 5
        }
        #expect(settled, "descriptors: \(baseline) before, \(now) after the burst closed",
                sourceLocation: sourceLocation)
    }
}
