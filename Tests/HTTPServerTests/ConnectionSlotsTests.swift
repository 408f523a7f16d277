import Foundation
import Synchronization
import HTTPServerTesting
import Testing
@testable import HTTPServer

/// The hand-off rule of edge-triggered connections: one holder at a time, news seen before parking, and no event
/// for a closed connection ever reaching it (or whoever took its slot next).
@Suite struct ConnectionSlotsTests {
    private func connection() throws -> Connection {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else {
            throw TestFailure("socketpair failed")
        }
        close(fds[1])
        let peer = try #require(SocketAddress(host: "127.0.0.1", port: 1))
        return Connection(socket: Socket(fd: fds[0]), peer: peer, client: peer.ip, id: 1, cappedAs: nil)
    }

    @Test func parkedConnection_isTakenByOneWorkerOnly() throws {
        let slots = ConnectionSlots()
        let connection = try connection()
        let token = try #require(slots.assign(connection))
        #expect(slots.acquire(token) === connection)
        #expect(slots.acquire(token) == nil)
        #expect(slots.release(token) == false, "the second event is news for the holder")
        #expect(slots.release(token) == true)
        #expect(slots.acquire(token) === connection, "parked again, the next event takes it")
    }

    @Test func eventAfterClose_isDropped_evenWhenTheSlotIsReused() throws {
        let slots = ConnectionSlots()
        let first = try connection()
        let oldToken = try #require(slots.assign(first))
        #expect(slots.acquire(oldToken) === first)
        slots.retire(oldToken)
        #expect(slots.acquire(oldToken) == nil)

        let second = try connection()
        let newToken = try #require(slots.assign(second))
        #expect(newToken != oldToken)
        #expect(slots.acquire(oldToken) == nil, "a late event of the closed connection must not take the new one")
        #expect(slots.acquire(newToken) === second)
    }

    @Test func slotsGrowPastOneChunk() throws {
        let slots = ConnectionSlots()
        var tokens: [UInt64] = []
        var connections: [Connection] = []
        for _ in 0..<(ConnectionSlots.chunkSize + 10) {
            let connection = try connection()
            connections.append(connection)
            tokens.append(try #require(slots.assign(connection)))
        }
        #expect(Set(tokens).count == tokens.count)
        #expect(slots.acquire(tokens[ConnectionSlots.chunkSize + 5]) === connections[ConnectionSlots.chunkSize + 5])
    }

    /// Four threads deliver "events" for one connection as fast as they can; each that takes it serves it the way
    /// a worker does (again while there is news). Never two holders at once, and the slot ends parked.
    @Test func concurrentEvents_neverGiveTwoHolders_andNeverLoseNews() throws {
        let slots = ConnectionSlots()
        let connection = try connection()
        let token = try #require(slots.assign(connection))
        let holders = Atomic<Int>(0)
        let overlaps = Atomic<Int>(0)
        let rounds = Atomic<Int>(0)
        let done = DispatchGroup()
        for _ in 0..<4 {
            done.enter()
            Thread {
                for _ in 0..<20_000 {
                    guard let held = slots.acquire(token) else { continue }
                    #expect(held === connection)
                    repeat {
                        rounds.add(1, ordering: .relaxed)
                        if holders.add(1, ordering: .sequentiallyConsistent).newValue != 1 {
                            overlaps.add(1, ordering: .relaxed)
                        }
                        holders.subtract(1, ordering: .sequentiallyConsistent)
                    } while !slots.release(token)
                }
                done.leave()
            }.start()
        }
        done.wait()
        #expect(overlaps.load(ordering: .relaxed) == 0)
        #expect(rounds.load(ordering: .relaxed) >= 1)
        // Parked at the end: a last event is taken at once.
        #expect(slots.acquire(token) === connection)
    }
}
