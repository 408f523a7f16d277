import Testing
@testable import HTTPServer

/// The ring hands each element over exactly once, in order, however often it wraps, and frees what no one took.
@Suite struct HandoffRingTests {
    @Test func drain_passesEveryElementOnceInOrder_whenTheProducerDrainsAFullRing() {
        let ring = HandoffRing<Int>()
        var received: [Int] = []
        var drainsByProducer = 0
        let pushed = 3 * HandoffRing<Int>.capacity + 5
        for value in 0..<pushed {
            ring.push(value) {
                drainsByProducer += 1
                ring.drain { received.append($0) }
            }
            if value % 100 == 99 { ring.drain { received.append($0) } }
        }
        ring.drain { received.append($0) }
        #expect(received == Array(0..<pushed))
        #expect(drainsByProducer > 0)
    }

    @Test func deinit_freesElementsNoOneDrained() {
        let freed = Lock<[Int]>([])
        do {
            let ring = HandoffRing<Tracked>()
            for value in 0..<3 { ring.push(Tracked(value, freed: freed)) {} }
            ring.drain { _ in }
            for value in 3..<5 { ring.push(Tracked(value, freed: freed)) {} }
            #expect(freed.withLock { $0 } == [0, 1, 2])
        }
        #expect(freed.withLock { $0 } == [0, 1, 2, 3, 4])
    }
}
