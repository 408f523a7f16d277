import Foundation
import Glibc
import Testing
@testable import HTTPServer

/// `Outbound` over a real loopback TCP connection: a file response's head, held back with `MSG_MORE` to share a
/// segment with the file, must still arrive whole and at once, for small files and large ones alike; a long file
/// goes a turn's share at a time.
@Suite struct OutboundTests {
    /// A connected pair: the server side as the engine's non-blocking `Socket`, the client side as a plain fd.
    private struct Pair {
        let server: Socket
        let client: Int32

        init() throws {
            let listener = try Socket.listen(on: try #require(SocketAddress(host: "127.0.0.1", port: 0)), backlog: 4)
            defer { listener.close() }
            let address = try #require(listener.localAddress())
            let client = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            let connected = address.withSockAddr { Glibc.connect(client, $0, $1) }
            try #require(connected == 0)
            var accepted: (Socket, SocketAddress)?
            for _ in 0..<100 where accepted == nil {
                accepted = try listener.accept()
                if accepted == nil { usleep(10_000) }
            }
            self.client = client
            server = try #require(accepted).0
        }

        /// Whatever has arrived on the client side, waiting up to 100 ms for something.
        func receiveAvailable() -> [UInt8] {
            var poller = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { return [] }
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            let n = recv(client, &buffer, buffer.count, 0)
            return n > 0 ? Array(buffer[0..<n]) : []
        }

        func close() {
            server.close()
            Glibc.close(client)
        }
    }

    /// A temporary file of `size` pseudo-random bytes, opened as a whole-file region.
    private func fileRegion(size: Int) throws -> (FileRegion, [UInt8], String) {
        let path = NSTemporaryDirectory() + "outbound-\(UInt32.random(in: 0...UInt32.max))"
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (try #require(FileRegion.open(path: path)), bytes, path)
    }

    @Test(arguments: [1, 1024, 64 << 10, (64 << 10) + 1, 1 << 20, 3 << 20])
    func fileResponse_arrivesWholeWithItsHead(size: Int) throws {
        let pair = try Pair()
        defer { pair.close() }
        let (region, bytes, path) = try fileRegion(size: size)
        defer { unlink(path) }
        let head = Array("HTTP/1.1 200 OK\r\nContent-Length: \(size)\r\n\r\n".utf8)
        var outbound = Outbound(head: head, body: .file(region), closeAfter: false)

        // One thread plays both sides: write what the socket takes, read what arrived, until all is there or
        // a generous 5 s passed (only a stalled head or body fails).
        var result = outbound.write(to: pair.server)
        var all: [UInt8] = []
        let deadline = Date().addingTimeInterval(5)
        while all.count < head.count + size, Date() < deadline {
            // A file longer than a turn starts corked: every write leaves the socket uncorked, or its last bytes
            // would wait for the kernel's 200 ms cork timer.
            #expect(!Self.isCorked(pair.server))
            all += pair.receiveAvailable()
            if result != .sent { result = outbound.write(to: pair.server) }
        }
        #expect(result == .sent)
        #expect(all.count == head.count + size)
        #expect(firstDifference(all.prefix(head.count), head) == nil)
        #expect(firstDifference(all.dropFirst(head.count), bytes) == nil)
    }

    /// Whether `socket` holds back partial segments (`TCP_CORK`).
    private static func isCorked(_ socket: Socket) -> Bool {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(socket.fd, Int32(IPPROTO_TCP), TCP_CORK, &value, &length) == 0 && value != 0
    }

    /// A head written into the worker's reused buffer: when the socket does not take it all at once, what is left
    /// must be copied before `write` returns, since the worker's next response overwrites the buffer.
    @Test func borrowedHead_thatDoesNotFitTheSocket_survivesTheBufferBeingReused() throws {
        let pair = try Pair()
        defer { pair.close() }
        let size = 4 << 20  // far more than a loopback socket takes at once
        let original = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: size)
        defer { buffer.deallocate() }
        _ = buffer.initialize(from: original)
        var outbound = Outbound(borrowing: UnsafeRawBufferPointer(buffer), body: .bytes([1, 2, 3]), closeAfter: false)

        var result = outbound.write(to: pair.server)
        #expect(result == .waitingForRoom)
        buffer.update(repeating: 0xee)  // the worker's next response
        var all: [UInt8] = []
        let deadline = Date().addingTimeInterval(10)
        while all.count < size + 3, Date() < deadline {
            all += pair.receiveAvailable()
            if result != .sent { result = outbound.write(to: pair.server) }
        }
        #expect(result == .sent)
        #expect(all.count == size + 3)
        #expect(firstDifference(all.prefix(size), original) == nil)
        #expect(Array(all.suffix(3)) == [1, 2, 3])
    }

    /// What `writeOnce` left of a head in the worker's buffer and a byte body: the remainder must send exactly the
    /// bytes after the first `sent`, even once the buffer holds the next response.
    @Test func remainderAfterAPartialFirstWrite_sendsTheRestAfterTheBufferIsReused() throws {
        let pair = try Pair()
        defer { pair.close() }
        let headSize = 1000
        let original = (0..<headSize).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
        let body = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: headSize)
        defer { buffer.deallocate() }
        _ = buffer.initialize(from: original)

        let first = body.withUnsafeBytes { Outbound.writeOnce(UnsafeRawBufferPointer(buffer), $0, to: pair.server) }
        guard case .done(let sent) = first else {
            Issue.record("the first write sent nothing: \(first)")
            return
        }
        #expect(sent < headSize + body.count, "a loopback socket takes far less than 4 MiB at once")
        var outbound = Outbound(remainderOf: UnsafeRawBufferPointer(buffer), body: .bytes(body), sent: sent,
                                closeAfter: false)
        buffer.update(repeating: 0xee)  // the worker's next response
        var all: [UInt8] = []
        var result = Outbound.Progress.waitingForRoom
        let deadline = Date().addingTimeInterval(10)
        while all.count < headSize + body.count, Date() < deadline {
            all += pair.receiveAvailable()
            if result != .sent { result = outbound.write(to: pair.server) }
        }
        #expect(result == .sent)
        #expect(all.count == headSize + body.count)
        #expect(firstDifference(all.prefix(headSize), original) == nil)
        #expect(firstDifference(all.dropFirst(headSize), body) == nil)
    }

    /// One `write` sends at most a turn's share of a file, even to a socket that would take more, and says so; the
    /// following writes send the rest.
    @Test func longFile_goesATurnsShareAtATime() throws {
        let pair = try Pair()
        defer { pair.close() }
        let size = 4 * Outbound.fileBytesPerTurn
        let (region, bytes, path) = try fileRegion(size: size)
        defer { unlink(path) }
        let head = Array("HTTP/1.1 200 OK\r\nContent-Length: \(size)\r\n\r\n".utf8)
        var outbound = Outbound(head: head, body: .file(region), closeAfter: false)

        var all: [UInt8] = []
        var turns = 0
        var result = Outbound.Progress.waitingForRoom
        let deadline = Date().addingTimeInterval(10)
        while result != .sent, result != .closed, Date() < deadline {
            let before = all.count
            result = outbound.write(to: pair.server)
            if result == .turnUsed { turns += 1 }
            // Everything this write sent, read before the next one.
            var more = pair.receiveAvailable()
            while !more.isEmpty {
                all += more
                more = pair.receiveAvailable()
            }
            #expect(all.count - before <= head.count + Outbound.fileBytesPerTurn)
        }
        #expect(result == .sent)
        #expect(turns >= 3)
        #expect(all.count == head.count + size)
        #expect(firstDifference(all.dropFirst(head.count), bytes) == nil)
    }
}
