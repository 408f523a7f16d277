import CLinux
import Glibc

/// Driving one connection each time epoll hands it to a worker: flush what is pending, read, parse, answer,
/// and park the socket again (or close it).
extension Engine {
    /// What the connection does after handling some input.
    enum Step {
        /// Go on: read more (or park waiting for it).
        case proceed
        /// A response is waiting for the socket to drain.
        case wouldBlockWrite
        /// A response has had its turn and goes on after the other ready connections.
        case writeNextTurn
        /// Close the connection.
        case close
    }

    /// `readToEnd`: read until the socket says `EAGAIN` or end of stream, even after a read that did not fill
    /// the buffer. Needed when the event that brought the worker may stand for the peer's FIN too: a short read
    /// returns the bytes before the FIN without reporting it, and with edge-triggering no second event comes.
    func serve(_ connection: Connection, on worker: Worker, readToEnd: Bool) {
        connection.activate()
        if case .lingering = connection.exchange {
            discardUntilClosed(connection, worker)
            return
        }
        if connection.timedOut.load(ordering: .relaxed) {
            answerTimeout(connection, worker)
            return
        }
        if case .writing(var outbound) = connection.exchange {
            let progress = outbound.write(to: connection.socket)
            switch progress {
            case .waitingForRoom, .turnUsed:
                connection.exchange = .writing(outbound)
                park(connection, nextTurn: progress == .turnUsed)
                return
            case .closed:
                connection.exchange = .writing(outbound)
                close(connection)
                return
            case .sent:
                connection.exchange = .idle
                if outbound.closeAfter {
                    finish(connection, worker)
                    return
                }
            }
            if !connection.inbound.isEmpty, !continueAfter(processInbound(connection, worker), connection, worker) {
                return
            }
        }
        readLoop(connection, worker, readToEnd: readToEnd)
    }

    private func readLoop(_ connection: Connection, _ worker: Worker, readToEnd: Bool) {
        let scratch = worker.scratch
        while true {
            guard let base = scratch.baseAddress else { return }
            switch connection.socket.read(into: base, count: scratch.count) {
            case .wouldBlock:
                park(connection)
                return
            case .closed:
                close(connection)
                return
            case .done(let count):
                let step: Step
                if connection.inbound.isEmpty {
                    let (used, result) = process(connection, UnsafeRawBufferPointer(rebasing: scratch[0..<count]), worker)
                    if used < count { connection.inbound = Array(scratch[used..<count]) }
                    step = result
                } else {
                    connection.inbound.append(contentsOf: scratch[0..<count])
                    step = processInbound(connection, worker)
                }
                guard continueAfter(step, connection, worker) else { return }
                // A read that did not fill the buffer drained the socket: park rather than pay for a recv that
                // would say EAGAIN. Bytes that arrive after it raise a new edge (news, if we still hold it). Unless
                // the peer may have closed: its FIN, behind these bytes, would then be reported by no other event.
                if count < scratch.count, !readToEnd {
                    park(connection)
                    return
                }
            }
        }
    }

    /// Handles a step's outcome; true when the caller should go on reading.
    private func continueAfter(_ step: Step, _ connection: Connection, _ worker: Worker) -> Bool {
        switch step {
        case .proceed:
            return true
        case .wouldBlockWrite, .writeNextTurn:
            park(connection, nextTurn: step == .writeNextTurn)
            return false
        case .close:
            finish(connection, worker)
            return false
        }
    }

    /// Closes after the last response. When the client may still be sending (a body we refused, pipelined
    /// requests), closing at once makes the kernel answer its next bytes with a reset, which can destroy the
    /// response still in flight. So stop writing and discard input until the client closes or the housekeeper's
    /// linger limit passes: the "lingering close" of nginx and Apache. A client whose request said it was its last,
    /// answered at once, sends nothing more (unless it left a body unread, which `lingerOnClose` covers): no look
    /// for input then.
    private func finish(_ connection: Connection, _ worker: Worker) {
        guard connection.lingerOnClose || !connection.clientIsDone && connection.socket.hasPendingInput() else {
            close(connection)
            return
        }
        connection.exchange = .lingering(since: MonotonicClock.milliseconds())
        connection.inbound = []
        connection.socket.shutdown(.write)
        discardUntilClosed(connection, worker)
    }

    private func discardUntilClosed(_ connection: Connection, _ worker: Worker) {
        guard let base = worker.scratch.baseAddress else { return }
        while true {
            switch connection.socket.read(into: base, count: worker.scratch.count) {
            case .done:
                // A client that keeps sending would keep this worker here: the linger limit holds while reading.
                if case .lingering(let since) = connection.exchange,
                   MonotonicClock.milliseconds() - since > Housekeeper.lingerMilliseconds {
                    close(connection)
                    return
                }
                continue
            case .wouldBlock:
                park(connection)
                return
            case .closed:
                close(connection)
                return
            }
        }
    }

    private func processInbound(_ connection: Connection, _ worker: Worker) -> Step {
        let (used, step) = connection.inbound.withUnsafeBytes { process(connection, $0, worker) }
        connection.inbound.removeFirst(used)
        return step
    }

    /// Consumes requests (and body bytes) from `bytes`; returns how many bytes it used and what comes next.
    private func process(_ connection: Connection, _ bytes: UnsafeRawBufferPointer, _ worker: Worker) -> (Int, Step) {
        var offset = 0
        while true {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            if connection.exchange.isReadingBody {
                let (used, step) = feedBody(rest, connection, worker)
                offset += used
                guard let step else { continue }
                return (offset, step)
            }
            guard !rest.isEmpty else { return (offset, .proceed) }

            // Consumed, so the head moves out of the outcome into `begin` rather than being copied out and the
            // outcome destroyed after it.
            let outcome = parser.parse(rest, resumeAt: connection.exchange.scanned)
            switch consume outcome {
            case .incomplete(let scanned):
                let (refused, step) = awaitRestOfHead(scanned: scanned, connection, worker)
                return (refused ? offset + rest.count : offset, step)
            case .failure(let status, let reason):
                return (offset + rest.count, refuseHead(status, reason, connection, worker))
            case .head(let head, let consumed):
                offset += consumed
                let step = begin(head, on: connection, worker)
                guard case .proceed = step else { return (offset, step) }
            }
        }
    }

    /// Feeds `bytes` to the body being read; returns how many it used, and what comes next, or nil when the
    /// request is answered and the next one may follow in the same bytes.
    @inline(never)
    private func feedBody(_ bytes: UnsafeRawBufferPointer, _ connection: Connection, _ worker: Worker) -> (Int, Step?) {
        guard case .readingBody(var reader) = connection.exchange else { return (0, .proceed) }
        connection.exchange = .idle  // taken out while it is fed, so its buffer is not copied
        let used: Int
        do {
            used = try reader.feed(bytes)
        } catch {
            reader.abort()
            var response = pipeline.response(for: error, reader.request)
            pipeline.bodyFailed(reader, response)
            response.closeConnection = true
            return (0, send(response, on: connection, head: reader.request.head, id: reader.request.requestID, worker))
        }
        guard reader.isComplete else {
            connection.exchange = .readingBody(reader)
            return (used, .proceed)
        }
        let step = send(pipeline.complete(reader, counts: worker.requestCounts), on: connection,
                        head: reader.request.head, id: reader.request.requestID, worker)
        guard case .proceed = step else { return (used, step) }
        return (used, nil)
    }

    /// A head not whole yet: remembers how far the parser looked and when its first byte came. One deadline from
    /// that byte, checked here too: a client that keeps this worker reading (never parked, so never seen by the
    /// housekeeper) must not outlive it. True (with the refusal's step) when the deadline passed.
    @inline(never)
    private func awaitRestOfHead(scanned: Int, _ connection: Connection, _ worker: Worker) -> (Bool, Step) {
        let now = MonotonicClock.milliseconds()
        let started: Int64
        if case .readingHead(let since, _) = connection.exchange { started = since } else { started = now }
        connection.exchange = .readingHead(since: started, scanned: scanned)
        if now - started > Int64(services.limits.headerTimeoutSeconds) * 1000 {
            return (true, refuseHead(.requestTimeout, "the request took too long to arrive", connection, worker))
        }
        return (false, .proceed)
    }

    /// Starts the exchange of a parsed head: answers it, or sets the connection reading its body. Takes the head
    /// (`consuming`) so that its last use hands it on instead of copying it.
    private func begin(_ head: consuming RequestHead, on connection: Connection, _ worker: Worker) -> Step {
        // Usually idle already: assigning would destroy the old value through the enum's value witness.
        if !connection.exchange.isIdle { connection.exchange = .idle }
        connection.requestStarted = MonotonicClock.microseconds()
        let id = requestID(for: head, worker)
        if blocklist.isBlocked(connection.client) { return refuseBlocked(head, id: id, connection, worker) }
        worker.requests.requestStarted()
        connection.requestClient = forwarded.client(peer: connection.client, headers: head.headers)
        connection.currentRequest.publish(head.method, head.rawPath)
        // The head is lent to the request: `head` is the request's again when it is answered now.
        switch pipeline.begin(&head, client: connection.requestClient, id: id, counts: worker.requestCounts) {
        case .respond(var response, let bodyUnread):
            if bodyUnread { response.closeConnection = true }
            return withUnsafePointer(to: &head) { send(response, on: connection, headAt: $0, id: id, worker) }
        case .readBody(let reader):
            return startBody(reader, on: connection)
        }
    }

    /// `begin` for a client on the blocklist: answered, as the README promises, then closed (a reset would look
    /// like a network fault).
    @inline(never)
    private func refuseBlocked(_ head: RequestHead, id: RequestID, _ connection: Connection,
                               _ worker: Worker) -> Step {
        services.securityEvents.record(.blocked, client: connection.client, requestID: id.description,
                                      detail: "\(head.method) \(head.rawPath)")
        var response = pipeline.error(.forbidden, "your address is blocked", head, id)
        response.closeConnection = true
        worker.requests.requestStarted()
        return send(response, on: connection, head: head, id: id, worker)
    }

    /// `begin` for a request with a body: the connection reads it next, after a `100 Continue` if the client
    /// waits for one.
    @inline(never)
    private func startBody(_ reader: BodyReader, on connection: Connection) -> Step {
        connection.exchange = .readingBody(reader)
        let request = reader.request
        if request.head.version == .http11, request.headers.hasToken("100-continue", in: .expect) {
            sendContinue(on: connection)
        }
        return .proceed
    }

    /// Answers a head that will never be complete (malformed, over a limit, or too slow) and closes: the one
    /// place where a request head is refused.
    private func refuseHead(_ status: HTTPStatus, _ reason: String, _ connection: Connection, _ worker: Worker) -> Step {
        connection.exchange = .idle
        connection.requestStarted = MonotonicClock.microseconds()
        let id = worker.requestIDs.next()
        if status == .requestTimeout {
            services.securityEvents.record(.headerTimeout, client: connection.client, requestID: id.description,
                                          detail: "\(connection.inbound.count) bytes of head received")
        } else {
            pipeline.headFailed(status, reason, client: connection.client, id: id)
        }
        var response = pipeline.error(status, reason, nil, id)
        response.closeConnection = true
        return send(response, on: connection, head: nil, id: id, worker)
    }

    /// The client's `X-Request-ID` when it is short and plain, else a new one.
    private func requestID(for head: RequestHead, _ worker: Worker) -> RequestID {
        if let given = head.headers[.xRequestID], (1...64).contains(given.utf8.count),
           given.utf8.allSatisfy({ $0.isTokenCharacter }) {
            return RequestID(given)
        }
        return worker.requestIDs.next()
    }

    /// Tells a client waiting on `Expect: 100-continue` to send its body (RFC 9110 §10.1.1).
    private func sendContinue(on connection: Connection) {
        var line = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
        line.withUnsafeMutableBytes { raw in
            var vector = [iovec(iov_base: raw.baseAddress, iov_len: raw.count)]
            _ = vector.withUnsafeMutableBufferPointer { connection.socket.write($0) }
        }
    }

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

    /// The housekeeper found this connection too slow: answer 408 if a request was under way, then close.
    private func answerTimeout(_ connection: Connection, _ worker: Worker) {
        var started: Request?
        switch connection.exchange {
        case .readingHead:
            break
        case .readingBody(let reader):
            // A stalled body belongs to a started request: answering with its head ends it in the statistics.
            started = reader.request
            reader.abort()
        case .idle, .writing, .lingering:
            close(connection)
            return
        }
        connection.exchange = .idle
        if started == nil { connection.requestStarted = MonotonicClock.microseconds() }
        let id = started?.requestID ?? worker.requestIDs.next()
        if started == nil {
            services.securityEvents.record(.headerTimeout, client: connection.client, requestID: id.description,
                                          detail: "\(connection.inbound.count) bytes of head received")
        }
        var response = pipeline.error(.requestTimeout, "the request took too long to arrive", started?.head, id)
        response.closeConnection = true
        _ = send(response, on: connection, head: started?.head, id: id, worker)
        close(connection)
    }

    /// Leaves the connection to epoll until something new happens (input, or, with a response pending, room to
    /// write), publishing the phase and its clock for the housekeeper. The worker then releases its slot. A
    /// connection parks for the first time here: it enters epoll now. `nextTurn`: its response had its turn and the
    /// socket has room; asking epoll again puts it behind the connections ready now.
    func park(_ connection: Connection, nextTurn: Bool = false) {
        // During a drain an idle connection that has had an answer closes now; one still waiting for its first
        // request keeps the drain loop's grace.
        if case .idle = connection.exchange, draining.load(ordering: .relaxed),
           connection.requestsAnswered.load(ordering: .relaxed) > 0 {
            close(connection)
            return
        }
        let now = MonotonicClock.coarseMilliseconds()
        if case .writing = connection.exchange {
            // Asked once per connection; if the socket drained meanwhile, epoll reports it at once.
            if !connection.isRegistered {
                guard register(connection, interest: .inputAndOutput) else { return }
            } else if !connection.watchesOutput || nextTurn {
                connection.watchesOutput = true
                guard events.rearm(connection.socket.fd, token: connection.token, interest: .inputAndOutput) else {
                    close(connection)
                    return
                }
            }
        } else if !connection.isRegistered {
            guard register(connection, interest: .input) else { return }
        }
        switch connection.exchange {
        case .lingering(let since):
            connection.enter(.lingering, since: since)
        case .writing:
            connection.enter(.writing, since: now)
        case .readingBody:
            connection.enter(.readingBody, since: now)
        case .readingHead(let since, _):
            connection.enter(.readingHead, since: since)
        case .idle:
            connection.enter(.idle, since: now)
        }
    }

    /// Releases everything the connection holds and closes it. A request whose body was still arriving ends
    /// unanswered.
    func close(_ connection: Connection) {
        switch connection.exchange {
        case .readingBody(let body):
            body.abort()
            stats.requestAbandoned()
            connection.exchange = .idle
        case .writing(var outbound):
            outbound.abandon()
            connection.exchange = .idle
        case .readingHead, .lingering:
            connection.exchange = .idle
        case .idle:
            break  // nothing to release (assigning would still destroy the old value through a value witness)
        }
        registry.close(connection)
    }
}
