import CLinux
import HTTPServerTesting
import Testing
@testable import HTTPServer

/// A thread sees the object it set and no other, through a fast slot or, past the slots, its key; the object is
/// given back when the thread replaces it or exits.
@Suite struct ThreadLocalTests {
    /// More locals than there are slots, so that some read their key: both ways give each thread its own.
    /// (These take slots for the rest of the test process; the server's locals made after them read their keys,
    /// which is slower and as right.)
    static let locals = (0..<Int(CLINUX_THREAD_SLOTS) + 4).map { _ in ThreadLocal<Tracked>() }

    @Test func object_isTheCallingThreadsOwn_inSlotsAndPastThem() {
        let freed = Lock<[Int]>([])
        let seen = Lock<[[Int?]]>([])
        for thread in 0..<2 {
            spawnThread(name: "local-\(thread)") {
                for (index, local) in Self.locals.enumerated() {
                    local.set(Tracked(thread * 1000 + index, freed: freed))
                }
                let values = Self.locals.map { local in local.withObject { $0.value } }
                seen.withLock { $0.append(values) }
            }
        }
        #expect(eventually { seen.withLock { $0.count } == 2 })
        let expected = (0..<2).map { thread in Self.locals.indices.map { Optional(thread * 1000 + $0) } }
        #expect(Set(seen.withLock { $0 }) == Set(expected))
        // This thread set nothing: it sees nothing.
        #expect(Self.locals.allSatisfy { local in local.withObject { $0.value } == nil })
    }

    @Test func object_isGivenBackWhenReplacedAndWhenTheThreadExits() {
        let freed = Lock<[Int]>([])
        let first = Self.locals[0]
        let last = Self.locals[Self.locals.count - 1]
        let done = Lock(false)
        spawnThread(name: "local-exit") {
            first.set(Tracked(1, freed: freed))
            first.set(Tracked(2, freed: freed))
            last.set(Tracked(3, freed: freed))
            let made = last.object { Tracked(4, freed: freed) }
            done.withLock { $0 = freed.withLock { $0 } == [1] && made.value == 3 }
        }
        #expect(eventually { freed.withLock { Set($0) } == [1, 2, 3] })
        #expect(done.withLock { $0 })
    }
}
