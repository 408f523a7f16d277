import Dispatch
import Foundation
import HTTPServer
import Synchronization

// Shared by the Fault* suites: client threads that keep a server busy and classify every request they send.

/// How one request a load thread sent ended, from the client's side.
enum FaultOutcome: Sendable, Equatable {
    /// A whole response arrived: status line, headers and every byte of the body.
    case answered(status: Int)
    /// The connection ended (end of stream or reset) before a single byte of the response: the server closed
    /// it without reading the request, or never accepted it.
    case closedBeforeAnswer
    /// Some of a response arrived, then the connection ended or went silent: a truncated answer.
    case truncated(bytes: Int)
    /// Nothing arrived within the client's timeout and the connection stayed open.
    case silent
}

/// Threads that each open a keep-alive connection and send requests on it one after another until told to
/// stop, reconnecting when the server ends a connection (after `Connection: close`, or a close before an answer).
/// Every request whose bytes were completely written is classified; one whose write failed was never sent.
final class FaultLoad: Sendable {
    /// A bound on the requests per thread, so a test that forgets to stop cannot spin for long.
    static let limitPerThread = 50_000

    private let running = Atomic<Bool>(true)
    private let outcomes = Lock<[FaultOutcome]>([])
    private let refusedConnects = Atomic<Int>(0)
    private let finished = DispatchGroup()

    /// Starts `threads` clients against 127.0.0.1:`port`, each requesting the paths in turn.
    /// `stopWhenRefused` ends a thread once a connect is refused (the listener is gone).
    init(port: UInt16, threads: Int, paths: [String], timeout: Double = 15, stopWhenRefused: Bool = false) {
        for index in 0..<threads {
            finished.enter()
            Thread.detachNewThread { [self] in
                defer { finished.leave() }
                var client: RawClient?
                var sent = 0
                while running.load(ordering: .relaxed), sent < Self.limitPerThread {
                    if client == nil {
                        do {
                            client = try RawClient(port: port, timeout: timeout)
                        } catch {
                            refusedConnects.add(1, ordering: .relaxed)
                            if stopWhenRefused { return }
                            usleep(1_000)
                            continue
                        }
                    }
                    guard let connection = client else { continue }
                    let path = paths[(index + sent) % paths.count]
                    do {
                        try connection.send(RawClient.request("GET", path))
                    } catch {
                        // Not completely sent: nothing to classify. Start over on a new connection.
                        connection.close()
                        client = nil
                        continue
                    }
                    sent += 1
                    let (outcome, keepsConnection) = Self.outcome(of: connection)
                    outcomes.withLock { $0.append(outcome) }
                    if keepsConnection { continue }
                    connection.close()
                    client = nil
                }
                client?.close()
            }
        }
    }

    /// Reads the answer to the request just sent; true when the connection can carry the next one.
    private static func outcome(of connection: RawClient) -> (FaultOutcome, Bool) {
        do {
            let response = try connection.readResponse()
            return (.answered(status: response.status), !response.closesConnection)
        } catch RawClient.Failure.closed(let partial) {
            return (partial.isEmpty ? .closedBeforeAnswer : .truncated(bytes: partial.count), false)
        } catch RawClient.Failure.timeout(let partial) {
            return (partial.isEmpty ? .silent : .truncated(bytes: partial.count), false)
        } catch {
            return (.truncated(bytes: -1), false)
        }
    }

    /// Every outcome so far.
    var results: [FaultOutcome] { outcomes.withLock { $0 } }

    /// Requests answered so far (any status).
    var answered: Int {
        outcomes.withLock { $0.count { if case .answered = $0 { true } else { false } } }
    }

    /// Connects that failed (the listener closed, or the backlog was full).
    var refused: Int { refusedConnects.load(ordering: .relaxed) }

    /// Waits until `count` more requests were answered (up to `seconds`); false if they were not.
    @discardableResult
    func waitForAnswers(_ count: Int, seconds: Double = 20) -> Bool {
        let target = answered + count
        return eventually(within: seconds) { answered >= target }
    }

    /// Tells the threads to stop after their current request and waits for them (up to `seconds`).
    @discardableResult
    func stop(seconds: Double = 30) -> Bool {
        running.store(false, ordering: .relaxed)
        return waitForThreads(seconds: seconds)
    }

    /// Waits for the threads to end on their own (up to `seconds`).
    func waitForThreads(seconds: Double = 30) -> Bool {
        finished.wait(timeout: .now() + seconds) == .success
    }
}

/// Clients handed to one helper thread, which is the only one using them until the test takes them back (after
/// the helper has finished), so no two threads ever use one client at once.
struct FaultClients: @unchecked Sendable {
    let clients: [RawClient]

    init(_ clients: [RawClient]) {
        self.clients = clients
    }
}
