import Glibc

/// A response on its way out: the serialized head, then the body bytes or a file region sent with `sendfile`.
/// Written as far as the socket takes it, up to a turn's share of a file; the rest waits for `EPOLLOUT`, or for
/// the connection's next turn.
struct Outbound {
    /// Bytes of a file one connection sends per turn before the worker serves the others (lighttpd sends 256 KiB
    /// a turn, nginx's `sendfile_max_chunk` is 2 MiB): a fast reader of a long file cannot hold a worker, and the
    /// kernel's work of sending stays in the sender's time. Measured with 1 MiB files over loopback: `wrk` spent
    /// about a quarter less CPU per response, as the kernel no longer sent the rest of each file from the
    /// receiver's acknowledgements.
    static let fileBytesPerTurn = 256 << 10

    /// How far a `write` got.
    enum Progress: Equatable {
        /// Everything is written.
        case sent
        /// The socket is full: the rest waits for room (`EPOLLOUT`).
        case waitingForRoom
        /// A turn's share of the file is written and the socket takes more: the rest waits until the connections
        /// ready now had their turn.
        case turnUsed
        /// The peer is gone.
        case closed
    }

    private var head: [UInt8]
    /// A head still in the worker's buffer: valid only until the first `write` returns, which copies what the
    /// socket did not take into `head`.
    private var borrowedHead: UnsafeRawBufferPointer?
    private var headSent = 0
    private var bytes: [UInt8]
    private var bytesSent = 0
    private var file: FileRegion?
    /// Whether the connection closes once this is written.
    let closeAfter: Bool
    /// Bytes of body to send, for the access log.
    let bodyLength: Int

    /// The head's whole length in bytes (for the statistics; what is left of it to send is tracked apart).
    let headLength: Int

    init(head: [UInt8], body: Response.Body, closeAfter: Bool) {
        self.init(head: head, borrowing: nil, headLength: head.count, body: body, closeAfter: closeAfter)
    }

    /// A response whose head lies in a buffer the caller reuses after the first `write`.
    init(borrowing head: UnsafeRawBufferPointer, body: Response.Body, closeAfter: Bool) {
        self.init(head: [], borrowing: head, headLength: head.count, body: body, closeAfter: closeAfter)
    }

    /// What is left of a response after `writeOnce` sent its first `sent` bytes: the rest of the head is copied
    /// out of the caller's buffer, which the caller reuses.
    init(remainderOf head: UnsafeRawBufferPointer, body: Response.Body, sent: Int, closeAfter: Bool) {
        let fromHead = min(sent, head.count)
        self.init(head: Array(head[fromHead...]), borrowing: nil, headLength: head.count, body: body,
                  closeAfter: closeAfter)
        bytesSent = sent - fromHead
    }

    private init(head: [UInt8], borrowing borrowedHead: UnsafeRawBufferPointer?, headLength: Int,
                 body: Response.Body, closeAfter: Bool) {
        self.head = head
        self.borrowedHead = borrowedHead
        self.headLength = headLength
        self.closeAfter = closeAfter
        bodyLength = body.count
        switch body {
        case .empty:
            bytes = []
        case .bytes(let content):
            bytes = content
        case .file(let region):
            bytes = []
            file = region.length > 0 ? region : nil
            if region.length == 0 { region.close() }
        }
    }

    /// Writes as much as the socket accepts now, up to a turn's share of a file.
    mutating func write(to socket: Socket) -> Progress {
        let result = writeAvailable(to: socket)
        if let borrowed = borrowedHead {
            if headSent < borrowed.count { head = Array(borrowed[headSent...]) }
            headSent = 0
            borrowedHead = nil
        }
        return result
    }

    private mutating func writeAvailable(to socket: Socket) -> Progress {
        let headCount = borrowedHead?.count ?? head.count
        // A file longer than a turn: its head and first turn leave corked together, as lighttpd sends them. With
        // the head sent `MSG_MORE` instead, 1 MiB responses cost 206–273 µs of the server's CPU against 183–203
        // corked (five rounds each, by hand). Two more system calls, so not for the shorter files.
        let corked = headSent == 0 && bytesSent == 0 && headCount > 0
            && (file?.length ?? 0) > Self.fileBytesPerTurn
        if corked { socket.setCorked(true) }
        defer { if corked { socket.setCorked(false) } }
        while headSent < headCount || bytesSent < bytes.count {
            // The head of a file response waits (`MSG_MORE`) to leave in one segment with the file's first bytes:
            // a few percent less CPU per 1 KiB response, about 15% per 64 KiB one. For a large file it matters
            // more: a lone small head segment in front of every response kept the client's receive window from
            // growing (the kernel's autotuning judges a segment by its size against its memory), so a 1 MiB
            // response went out at the pace of the client's window updates, sent from the client's own CPU time:
            // with wrk, half the rate and 2.5 times wrk's CPU per response.
            let more = file != nil && !corked
            let result: Socket.IOResult
            if let borrowed = borrowedHead {
                result = bytes.withUnsafeBytes { body in
                    Self.writeVectors(socket, borrowed, from: headSent, body, from: bytesSent, more: more)
                }
            } else {
                result = head.withUnsafeBytes { owned in
                    bytes.withUnsafeBytes { body in
                        Self.writeVectors(socket, owned, from: headSent, body, from: bytesSent, more: more)
                    }
                }
            }
            guard case .done(var n) = result else { return result == .wouldBlock ? .waitingForRoom : .closed }
            let fromHead = min(n, headCount - headSent)
            headSent += fromHead
            n -= fromHead
            bytesSent += n
        }
        var turn = Self.fileBytesPerTurn
        while var region = file {
            guard region.length > 0 else {
                region.close()
                file = nil
                break
            }
            guard turn > 0 else { return .turnUsed }
            let start = region.offset
            let result = socket.sendFile(region.fd, offset: &region.offset, count: min(region.length, turn))
            region.length -= region.offset - start
            turn -= region.offset - start
            file = region
            switch result {
            case .done: continue
            case .wouldBlock: return .waitingForRoom
            case .closed: return .closed
            }
        }
        return .sent
    }

    /// The first try at a response with a byte body (or none), made before any `Outbound` exists: one `writev` of
    /// the head and the body. Most responses go out whole this way; `init(remainderOf:body:sent:closeAfter:)`
    /// takes over the others.
    static func writeOnce(_ head: UnsafeRawBufferPointer, _ body: UnsafeRawBufferPointer,
                          to socket: Socket) -> Socket.IOResult {
        writeVectors(socket, head, from: 0, body, from: 0, more: false)
    }

    /// One `writev` of what is left of the head and the byte body.
    private static func writeVectors(_ socket: Socket, _ headBytes: UnsafeRawBufferPointer, from headSent: Int,
                                     _ bodyBytes: UnsafeRawBufferPointer, from bodySent: Int,
                                     more: Bool) -> Socket.IOResult {
        // Two vectors on the stack: no array is allocated per write. (No nested function filling them: the
        // count it captured cost a runtime exclusivity check per touch.)
        var vectors = (iovec(), iovec())
        return withUnsafeMutableBytes(of: &vectors) { raw in
            let slots = raw.bindMemory(to: iovec.self)
            var count = 0
            if let vector = vector(headBytes, from: headSent) {
                slots[count] = vector
                count += 1
            }
            if let vector = vector(bodyBytes, from: bodySent) {
                slots[count] = vector
                count += 1
            }
            return socket.write(UnsafeMutableBufferPointer(rebasing: slots[0..<count]), more: more)
        }
    }

    /// What is left of `bytes` after `sent`, as a vector; nil when nothing is.
    private static func vector(_ bytes: UnsafeRawBufferPointer, from sent: Int) -> iovec? {
        guard sent < bytes.count, let base = bytes.baseAddress else { return nil }
        return iovec(iov_base: UnsafeMutableRawPointer(mutating: base + sent), iov_len: bytes.count - sent)
    }

    /// Releases the file, if the response is abandoned part-way.
    mutating func abandon() {
        file?.close()
        file = nil
    }
}
