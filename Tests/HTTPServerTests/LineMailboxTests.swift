import HTTPServer
import Dispatch
import Glibc
import Testing

@Suite struct LineMailboxTests {
    private func readable(_ fd: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) == 1
    }

    @Test func lines_WaitInOrderAndWakeThePrompt() throws {
        let sink = try #require(LineMailbox(capacity: 100))
        #expect(!readable(sink.wakeDescriptor))
        sink.write("one")
        sink.write("two")
        #expect(readable(sink.wakeDescriptor))
        let taken = sink.take()
        #expect(taken.lines == ["one", "two"])
        #expect(taken.dropped == 0)
        #expect(!readable(sink.wakeDescriptor))
        #expect(sink.take().lines.isEmpty)
    }

    @Test func linesFromManyThreads_AreAllKept() throws {
        let sink = try #require(LineMailbox(capacity: 1_000))
        let perThread = 200
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for index in 0..<perThread { sink.write("\(thread)-\(index)") }
        }
        #expect(Set(sink.take().lines).count == 4 * perThread)
    }

    @Test func beyondCapacity_LinesAreDroppedAndCounted() throws {
        let sink = try #require(LineMailbox(capacity: 100))
        for index in 0..<(sink.capacity + 5) { sink.write("line \(index)") }
        let taken = sink.take()
        #expect(taken.lines.count == sink.capacity)
        #expect(taken.dropped == 5)
        #expect(sink.take().dropped == 0)
    }
}
