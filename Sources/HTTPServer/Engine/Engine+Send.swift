import Glibc

/// Answering: a response serialized into the worker's head buffer and written, in one `writev` when the socket
/// takes it all, else carried on by an `Outbound` when the socket has room; and the exchange recorded.
extension Engine {
    /// Serializes a response, records the exchange, and writes as much as the socket takes. The request is
    /// counted as served before the first byte goes out, so a client never sees a count that misses its own
    /// request.
    ///
    /// The usual response (a byte body, a head that fits the worker's buffer) goes out in one `writev` straight
    /// from where its head and body lie; only one the socket does not take whole, or one with a file body, gets
    /// an `Outbound`.
    ///
    /// `head` is the request's head (nil for one that never parsed), lent where it lies for the call: an optional
    /// head passed by value was copied into a new optional (128 bytes and a tag) at every call, and each look into
    /// it was an outlined call copying it again.
    func send(_ response: borrowing Response, on connection: Connection, headAt head: UnsafePointer<RequestHead>?,
              id: RequestID, _ worker: Worker) -> Step {
        connection.requestsServed += 1
        if response.closeConnection { connection.lingerOnClose = true }
        // The method's number, read in place (a copy of the method is an outlined call and may retain).
        let methodNumber = head?.pointee.method.number
        let keepAliveAsked = head?.pointee.keepAlive ?? false
        connection.clientIsDone = methodNumber != nil && !keepAliveAsked
        let keepAlive = keepAliveAsked && !response.closeConnection
            && connection.requestsServed < services.limits.maxRequestsPerConnection
            && !draining.load(ordering: .relaxed)
        let persistence: ResponseSerializer.Persistence = keepAlive
            ? .keepAlive(timeout: services.limits.idleTimeoutSeconds,
                         remaining: services.limits.maxRequestsPerConnection - connection.requestsServed + 1)
            : .close
        let bodyLength = Self.bodyLength(of: response)
        let sendsBody: Bool
        if methodNumber == HTTPMethod.head.number {
            sendsBody = false
        } else {
            sendsBody = !response.status.forbidsBody
        }
        if !sendsBody { response.discardBody() }
        worker.heads.advance(to: Int(time(nil)))
        // The head goes into the worker's buffer (no allocation per response).
        guard let headLength = ResponseSerializer.write(response, bodyLength: bodyLength, parts: &worker.heads,
                                                        persistence: persistence, requestID: id,
                                                        into: worker.headBuffer)
        else {
            return sendWithHeadOfItsOwn(response, persistence: persistence, sendsBody: sendsBody, on: connection,
                                        head: head, id: id, worker, keepAlive: keepAlive)
        }
        record(response.status.code, head: head, methodNumber: methodNumber, id: id, headBytes: headLength,
               bodyBytes: sendsBody ? bodyLength : 0, on: connection, worker)
        let headBytes = UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: worker.headBuffer[..<headLength]))
        let written = sendsBody
            ? Self.writeOnce(headBytes, bodyOf: response, to: connection.socket)
            : Outbound.writeOnce(headBytes, UnsafeRawBufferPointer(start: nil, count: 0), to: connection.socket)
        guard let result = written else {
            var outbound = Outbound(borrowing: headBytes, body: response.body, closeAfter: !keepAlive)
            return write(&outbound, on: connection, keepAlive: keepAlive)
        }
        if case .done(let sent) = result, sent == headLength + (sendsBody ? bodyLength : 0) {
            return keepAlive ? .proceed : .close
        }
        return sendRest(after: result, of: headBytes, body: sendsBody ? response.body : .empty, on: connection,
                        keepAlive: keepAlive)
    }

    /// `send` for a head held as an optional value (answers to a refused or timed-out request, a body's end).
    func send(_ response: Response, on connection: Connection, head: RequestHead?, id: RequestID,
              _ worker: Worker) -> Step {
        guard var head else { return send(response, on: connection, headAt: nil, id: id, worker) }
        return withUnsafePointer(to: &head) { send(response, on: connection, headAt: $0, id: id, worker) }
    }

    /// `response.body.count`, read where the body lies: inline in `send`, the compiler copied the body to read it
    /// (a retain and a release per response).
    @inline(never)
    private static func bodyLength(of response: borrowing Response) -> Int {
        response.body.count
    }

    /// `Outbound.writeOnce` of the head and `response`'s byte body (nil for a file body), out of line for the
    /// same reason as `bodyLength(of:)`.
    @inline(never)
    private static func writeOnce(_ head: UnsafeRawBufferPointer, bodyOf response: borrowing Response,
                                  to socket: Socket) -> Socket.IOResult? {
        response.body.withBytes { Outbound.writeOnce(head, $0, to: socket) }
    }

    /// `send` for a head too long for the worker's buffer: serialized into an array of its own.
    @inline(never)
    private func sendWithHeadOfItsOwn(_ response: Response, persistence: ResponseSerializer.Persistence,
                                      sendsBody: Bool, on connection: Connection,
                                      head: UnsafePointer<RequestHead>?, id: RequestID, _ worker: Worker,
                                      keepAlive: Bool) -> Step {
        var outbound = Outbound(head: ResponseSerializer.head(for: response, bodyLength: response.body.count,
                                                              parts: &worker.heads, persistence: persistence,
                                                              requestID: id),
                                body: sendsBody ? response.body : .empty, closeAfter: !keepAlive)
        record(response.status.code, head: head, methodNumber: head?.pointee.method.number, id: id,
               headBytes: outbound.headLength, bodyBytes: outbound.bodyLength, on: connection, worker)
        return write(&outbound, on: connection, keepAlive: keepAlive)
    }

    /// `send` after a first `writev` that did not send the whole response: the rest goes on as an `Outbound`,
    /// written on at once after a partial write (as `Outbound.write` does), or left for room to write.
    @inline(never)
    private func sendRest(after result: Socket.IOResult, of head: UnsafeRawBufferPointer, body: Response.Body,
                          on connection: Connection, keepAlive: Bool) -> Step {
        let sent: Int
        switch result {
        case .closed:
            return .close
        case .wouldBlock:
            sent = 0
        case .done(let count):
            sent = count
        }
        var outbound = Outbound(remainderOf: head, body: body, sent: sent, closeAfter: !keepAlive)
        guard sent > 0 else { return wait(outbound, on: connection, nextTurn: false) }
        return write(&outbound, on: connection, keepAlive: keepAlive)
    }

    /// The bookkeeping of one answered request: the connection's activity (for `connections`), statistics,
    /// per-worker metrics, the access log. `methodNumber` is `head`'s method's, read out of it by the caller.
    private func record(_ code: Int, head: UnsafePointer<RequestHead>?, methodNumber: Int?, id: RequestID,
                        headBytes: Int, bodyBytes: Int, on connection: Connection, _ worker: Worker) {
        connection.answered(bytes: headBytes + bodyBytes)
        if methodNumber != nil { worker.requests.requestFinished() }
        let microseconds = MonotonicClock.microseconds() - connection.requestStarted
        let client = methodNumber == nil ? connection.client : connection.requestClient
        worker.metrics.record(methodNumber: methodNumber, path: head?.pointee.rawPath, code: code,
                              bytes: bodyBytes, microseconds: microseconds, client: client,
                              nowSeconds: worker.heads.second, id: id)
        guard accessLog.isRecording else { return }
        logAccess(code, head: head?.pointee, id: id, bodyBytes: bodyBytes, client: client, microseconds: microseconds)
    }

    /// The access log's line for an answered request (when the log is on: out of the usual response's way).
    @inline(never)
    private func logAccess(_ code: Int, head: RequestHead?, id: RequestID, bodyBytes: Int, client: IPAddress,
                           microseconds: Int64) {
        accessLog.record(AccessLog.Entry(client: client, head: head, status: code,
                                         bytes: bodyBytes, requestID: id.description,
                                         microseconds: microseconds))
    }

    /// Socket I/O only: writes what the socket takes now; the rest waits for `EPOLLOUT`.
    private func write(_ outbound: inout Outbound, on connection: Connection, keepAlive: Bool) -> Step {
        let progress = outbound.write(to: connection.socket)
        switch progress {
        case .sent:
            return keepAlive ? .proceed : .close
        case .waitingForRoom, .turnUsed:
            return wait(outbound, on: connection, nextTurn: progress == .turnUsed)
        case .closed:
            outbound.abandon()
            return .close
        }
    }

    /// Leaves the rest of a response for the socket to take later: when it has room, or (`nextTurn`) after the
    /// connections ready now.
    private func wait(_ outbound: Outbound, on connection: Connection, nextTurn: Bool) -> Step {
        connection.exchange = .writing(outbound)
        // While the answer waits for the socket, even a client that said it was done has time to send bytes
        // (a stray CRLF): closing on them unread would reset the connection under the answer's tail.
        connection.clientIsDone = false
        return nextTurn ? .writeNextTurn : .wouldBlockWrite
    }
}
