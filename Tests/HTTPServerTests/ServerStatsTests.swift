import Testing
@testable import HTTPServer

/// Each worker counts its requests in counters of its own: the server's figures are their sums, and a retired
/// worker's counts stay in them.
@Suite struct ServerStatsTests {
    @Test func requests_sumEveryWorker_andKeepARetiredOnesCounts() {
        let stats = ServerStats(startedAt: 0)
        let first = stats.register()
        let second = stats.register()
        for _ in 0..<5 { first.requestStarted() }
        for _ in 0..<3 { first.requestFinished() }
        for _ in 0..<4 { second.requestStarted() }
        for _ in 0..<4 { second.requestFinished() }
        #expect(stats.requestsServed == 7)
        #expect(stats.requestsInFlight == 2)
        stats.retire(second)
        #expect(stats.requestsServed == 7)
        #expect(stats.requestsInFlight == 2)
        stats.requestAbandoned()
        first.requestFinished()
        #expect(stats.requestsServed == 8)
        #expect(stats.requestsInFlight == 0)
        stats.retire(first)
        let third = stats.register()
        third.requestStarted()
        #expect(stats.requestsServed == 8)
        #expect(stats.requestsInFlight == 1)
    }

    @Test func requests_countedWhileReadConcurrently_endExact() async {
        let stats = ServerStats(startedAt: 0)
        let workers = (0..<2).map { _ in stats.register() }
        let perWorker = 20_000
        let tasks = workers.map { requests in
            Task.detached {
                for _ in 0..<perWorker {
                    requests.requestStarted()
                    requests.requestFinished()
                }
            }
        }
        var seen = 0
        while seen < 2 * perWorker {
            let served = stats.requestsServed
            #expect(served >= seen && served <= 2 * perWorker)
            #expect(stats.requestsInFlight >= 0)
            seen = served
            await Task.yield()
        }
        for task in tasks { await task.value }
        #expect(stats.requestsServed == 2 * perWorker)
        #expect(stats.requestsInFlight == 0)
    }
}
