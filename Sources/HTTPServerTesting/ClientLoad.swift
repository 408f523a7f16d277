import Foundation
import Glibc
import HTTPServer
import Synchronization

/// Client threads that keep a server busy while a test changes it, and classify every request they send, so a
/// test can say exactly which answers it accepts.
///
/// Each thread requests `paths` in turn until `stop()` (or `limitPerThread` requests): over a new connection per
/// request (`.newPerRequest`, with `Connection: close`), or over keep-alive connections it opens again whenever
/// the server ends one (`.keepAlive(perThread:)`, used round-robin from the one thread: many open connections
/// without as many threads).
///
/// ```swift
/// let load = ClientLoad(port: server.port, threads: 2, connections: .newPerRequest)
/// #expect(load.waitForAnswers(5, status: 200))
/// // … change the server …
/// #expect(load.stop(), "a client thread hung")
/// #expect(load.failures(expecting: 200).isEmpty)
/// ```
public final class ClientLoad: Sendable {
    /// How each thread connects.
    public enum Connections: Sendable {
        /// A new connection for every request, closed after its answer.
        case newPerRequest
        /// `perThread` keep-alive connections, each opened again when the server ends it.
        case keepAlive(perThread: Int)
    }

    /// How one request ended, from the client's side.
    public enum Outcome: Sendable, Equatable, CustomStringConvertible {
        /// A whole response arrived: status line, headers and every byte of the body.
        case answered(status: Int)
        /// The connect failed (the listener is gone): nothing was sent.
        case refused
        /// The connection ended before a single byte of the response, while or after the request was sent: the
        /// server closed it without reading the request, or never accepted it. `reused` says the connection had
        /// carried an answered request before (a keep-alive connection the server closed as idle).
        case closedBeforeAnswer(reused: Bool)
        /// Some of a response arrived, then the connection ended or went silent (-1 bytes: the answer was malformed).
        case truncated(bytes: Int)
        /// Nothing arrived within the client's timeout and the connection stayed open.
        case silent

        /// The status when a whole response arrived.
        public var status: Int? {
            if case .answered(let status) = self { status } else { nil }
        }

        /// True unless the request was answered with `expected`. A close before any answer on a reused keep-alive
        /// connection does not count: RFC 9112 §9.3.1 lets a client send an idempotent request again on a new
        /// connection then (the load does, with its next request), as a server may close an idle connection at
        /// any time.
        public func fails(expecting expected: Int) -> Bool {
            switch self {
            case .answered(let status): status != expected
            case .closedBeforeAnswer(let reused): !reused
            case .refused, .truncated, .silent: true
            }
        }

        public var description: String {
            switch self {
            case .answered(let status): "\(status)"
            case .refused: "refused"
            case .closedBeforeAnswer(let reused): reused ? "closed before an answer (reused)" : "closed before an answer"
            case .truncated(let bytes): "truncated after \(bytes) bytes"
            case .silent: "silent"
            }
        }
    }

    /// A bound on the requests per thread, so a test that forgets to stop cannot spin for long.
    public static let limitPerThread = 50_000

    private struct Tally {
        var outcomes: [Outcome] = []
        var responses: [RawResponse] = []
        var answered = 0
        var answeredByStatus: [Int: Int] = [:]
    }

    private let running = Atomic<Bool>(true)
    /// The project's pthread `Lock`, not `Mutex`: ThreadSanitizer sees through it (`make sanitize`).
    private let tally = Lock(Tally())
    private let finished = DispatchGroup()

    /// Starts `threads` clients against 127.0.0.1:`port`. Every read waits at most `timeout` seconds.
    /// `stopWhenRefused` ends a thread at its first refused connect (the listener is gone); otherwise it tries
    /// again after a millisecond. `keepingResponses` keeps every whole response for `responses` (for a test that
    /// checks what the bodies said, not just their statuses).
    public init(port: UInt16, paths: [String] = ["/hello.txt"], threads: Int = 1,
                connections: Connections = .keepAlive(perThread: 1), timeout: Double = 10,
                stopWhenRefused: Bool = false, keepingResponses: Bool = false) {
        let plan = Plan(port: port, paths: paths, connections: connections, timeout: timeout,
                        stopWhenRefused: stopWhenRefused, keepingResponses: keepingResponses)
        for index in 0..<threads {
            finished.enter()
            Thread.detachNewThread { [self] in
                run(plan, thread: index)
                finished.leave()
            }
        }
    }

    // MARK: - What the test reads

    /// Every outcome so far, in the order they were recorded.
    public var outcomes: [Outcome] { tally.withLock { $0.outcomes } }

    /// Every whole response so far, when the load was started `keepingResponses` (else none).
    public var responses: [RawResponse] { tally.withLock { $0.responses } }

    /// The outcomes that fail with `expected` (see `Outcome.fails(expecting:)`).
    public func failures(expecting expected: Int) -> [Outcome] {
        outcomes.filter { $0.fails(expecting: expected) }
    }

    /// Requests answered so far: all of them, or those answered with `status`.
    public func answered(status: Int? = nil) -> Int {
        tally.withLock { tally in status.map { tally.answeredByStatus[$0] ?? 0 } ?? tally.answered }
    }

    /// Waits until `count` more requests were answered (with `status` when given), up to `seconds`; false if
    /// they were not.
    @discardableResult
    public func waitForAnswers(_ count: Int, status: Int? = nil, within seconds: Double = 20) -> Bool {
        let target = answered(status: status) + count
        return eventually(within: seconds) { answered(status: status) >= target }
    }

    // MARK: - Stopping

    /// Tells the threads to stop after their current request and waits for them (up to `seconds`); false if one
    /// did not end.
    @discardableResult
    public func stop(within seconds: Double = 30) -> Bool {
        running.store(false, ordering: .relaxed)
        return waitForThreads(within: seconds)
    }

    /// Waits for the threads to end on their own, as they do with `stopWhenRefused` (up to `seconds`).
    public func waitForThreads(within seconds: Double = 30) -> Bool {
        finished.wait(timeout: .now() + seconds) == .success
    }

    // MARK: - The client threads

    /// What every thread is told.
    private struct Plan: Sendable {
        let port: UInt16
        let paths: [String]
        let connections: Connections
        let timeout: Double
        let stopWhenRefused: Bool
        let keepingResponses: Bool
    }

    /// One client connection and whether it already carried an answered request.
    private struct Slot {
        var client: RawClient?
        var reused = false
    }

    private func run(_ plan: Plan, thread index: Int) {
        let keepAlive: Bool
        var slots: [Slot]
        switch plan.connections {
        case .newPerRequest:
            keepAlive = false
            slots = [Slot()]
        case .keepAlive(let perThread):
            keepAlive = true
            slots = Array(repeating: Slot(), count: max(perThread, 1))
        }
        defer { slots.forEach { $0.client?.close() } }
        var sent = 0
        while running.load(ordering: .relaxed), sent < Self.limitPerThread {
            let slot = sent % slots.count
            let path = plan.paths[(index + sent) % plan.paths.count]
            sent += 1
            if slots[slot].client == nil {
                guard let client = try? RawClient(port: plan.port, timeout: plan.timeout) else {
                    record(.refused, nil)
                    if plan.stopWhenRefused { return }
                    usleep(1_000)
                    continue
                }
                slots[slot] = Slot(client: client)
            }
            guard let client = slots[slot].client else { continue }
            let request = RawClient.request("GET", path, headers: keepAlive ? [] : [("Connection", "close")])
            let (outcome, response) = Self.exchange(request, on: client, reused: slots[slot].reused)
            record(outcome, plan.keepingResponses ? response : nil)
            if keepAlive, let response, !response.closesConnection {
                slots[slot].reused = true
            } else {
                client.close()
                slots[slot] = Slot()
            }
        }
    }

    /// Sends `request` and reads its answer: how it ended, and the response when a whole one arrived.
    private static func exchange(_ request: String, on client: RawClient, reused: Bool) -> (Outcome, RawResponse?) {
        do {
            try client.send(request)
        } catch {
            return (.closedBeforeAnswer(reused: reused), nil)
        }
        do {
            let response = try client.readResponse()
            return (.answered(status: response.status), response)
        } catch RawClient.Failure.closed(let partial) {
            return (partial.isEmpty ? .closedBeforeAnswer(reused: reused) : .truncated(bytes: partial.count), nil)
        } catch RawClient.Failure.timeout(let partial) {
            return (partial.isEmpty ? .silent : .truncated(bytes: partial.count), nil)
        } catch {
            return (.truncated(bytes: -1), nil)
        }
    }

    private func record(_ outcome: Outcome, _ response: RawResponse?) {
        tally.withLock { tally in
            tally.outcomes.append(outcome)
            if let response { tally.responses.append(response) }
            if let status = outcome.status {
                tally.answered += 1
                tally.answeredByStatus[status, default: 0] += 1
            }
        }
    }
}
