import Foundation
import Synchronization
import Testing
@testable import HTTPServer

/// The lock-free line a connection publishes for `connections`: what is published reads back whole, a long path
/// is cut visibly, and a reader racing the owner never sees half of one request and half of another.
@Suite struct CurrentRequestTests {
    @Test func publish_readsBackAsSent_andClearWithdrawsIt() {
        let current = CurrentRequest()
        let empty = current.read()
        current.publish(.get, "/café/index.html")
        let first = current.read()
        current.publish(.delete, "/a")
        let second = current.read()
        current.publish(.other("PROPFIND"), "/dav/x")
        let spelled = current.read()
        current.clear()
        let cleared = current.read()
        #expect(empty == nil)
        #expect(first == "GET /café/index.html")
        #expect(second == "DELETE /a", "a shorter path leaves nothing of the longer one behind")
        #expect(spelled == "PROPFIND /dav/x")
        #expect(cleared == nil)
    }

    @Test func longPath_isCutAtCapacityAndMarked() {
        let current = CurrentRequest()
        let path = "/" + String(repeating: "x", count: CurrentRequest.capacity * 2)
        current.publish(.get, path)
        let read = current.read()
        #expect(read == "GET " + String(path.prefix(CurrentRequest.capacity)) + "…")
    }

    /// Where a connection keeps it: in a class, shared by two threads.
    private final class Holder: Sendable {
        let current = CurrentRequest()
    }

    @Test func readerRacingTheOwner_seesOnlyWholeRequests() {
        let holder = Holder()
        // Paths of different lengths and bytes, so a torn read (words of two requests) would show.
        let paths = (0..<8).map { index in
            "/" + String(repeating: Character(UnicodeScalar(UInt8(97 + index))), count: 5 + index * 29)
        }
        let whole = Set(paths.flatMap { ["GET \($0)", "MKCOL \($0)"] })
        let done = Atomic<Bool>(false)
        let writer = Thread {
            var index = 0
            while !done.load(ordering: .relaxed) {
                holder.current.publish(index % 3 == 0 ? .other("MKCOL") : .get, paths[index % paths.count])
                if index % 5 == 0 { holder.current.clear() }
                index += 1
            }
        }
        writer.start()
        var reads = 0
        var torn = 0
        var example = ""
        let deadline = Date().addingTimeInterval(1)
        while Date() < deadline {
            if let read = holder.current.read() {
                reads += 1
                if !whole.contains(read) {
                    torn += 1
                    example = read
                }
            }
        }
        done.store(true, ordering: .relaxed)
        #expect(reads > 100, "the reader saw requests")
        #expect(torn == 0, "for example: \(example.prefix(80))")
    }
}
