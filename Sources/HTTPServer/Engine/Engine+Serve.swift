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
