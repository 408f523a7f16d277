import Glibc
import HTTPServer
import Testing

/// Resizing the worker pool up and down under load fails no request and ends with the asked-for number of
/// threads: growing starts threads at once, shrinking retires them only between requests.
@Suite struct FaultWorkerResizeTests {
    @Test func fiftyResizesUnderLoad_failNoRequest_andEndAtTheTarget() throws {
        let big = String(repeating: "x", count: 128 * 1024)
        let server = try TestServer(files: ["a.txt": "a", "big.txt": big]) { $0.workers = 2 }
        defer { server.stop() }
        // Half the changes go through the command bus, as the shell and signals send them.
        let bus = CommandBus(control: ServerControl(server: server.server, site: server.site))
        let load = ClientLoad(port: server.port, paths: ["/a.txt", "/big.txt"], threads: 6, timeout: 15)
        #expect(load.waitForAnswers(100), "the load never got going")

        // A fixed walk over 1...9, shrinking to 1 and growing by several at a time.
        var generator = SplitMix(seed: 0x5eed)
        var sizes: [Int] = []
        for step in 0..<50 {
            let size = step % 10 == 9 ? 1 : Int(generator.next() % 9) + 1
            sizes.append(size)
            if step.isMultiple(of: 2) {
                #expect(server.server.resizeWorkers(to: size) == size)
            } else {
                let reply = bus.send(.setWorkers(size))
                #expect(reply.ok, "workers \(size): \(reply)")
            }
            // Let requests run between changes, so every size serves some and retirements overlap requests.
            #expect(load.waitForAnswers(10), "no requests were answered after resizing to \(size)")
        }
        let final = sizes.last ?? 0
        #expect(load.stop(), "a client thread hung")

        let results = load.outcomes
        let failures = results.filter { $0 != .answered(status: 200) }
        #expect(failures.isEmpty, "\(failures.count) of \(results.count) requests failed: \(failures.prefix(5))")
        #expect(results.count >= 500)
        #expect(server.server.workers.target == final)
        #expect(eventually(within: 10) { server.server.workers.live == final },
                "live workers: \(server.server.workers.live), target \(final)")
        #expect(eventually(within: 10) { server.server.workers.busy == 0 })
        // The survivors serve.
        #expect(try RawClient.fetch(port: server.port, "GET", "/a.txt").text == "a")
    }
}

/// A tiny deterministic generator, so the walk of sizes is the same on every run.
private struct SplitMix {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
