import HTTPServer

/// The servers of a fleet shell and a connection to each: runs one command line on all of them at once, every
/// server within the same deadline, so one stopped or overloaded server costs one deadline and the others' replies
/// still come. A server that failed is connected again at the next command.
final class Fleet {
    /// One server: where it is, and the connection while there is one.
    final class Member {
        let target: FleetTarget
        var client: ControlClient?
        /// True once it answered a `shutdown`: it is no longer asked anything.
        var stopped = false

        init(target: FleetTarget) {
            self.target = target
        }
    }

    let members: [Member]
    /// How long each server may take to answer a command (`--timeout`).
    let timeoutMilliseconds: Int64

    init(targets: [FleetTarget], timeoutMilliseconds: Int64) {
        members = targets.map(Member.init)
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// The servers not stopped by a `shutdown`.
    var running: [Member] { members.filter { !$0.stopped } }

    /// The deadline for a command sent now, `extraMilliseconds` later for one that legitimately takes long.
    func deadline(extraMilliseconds: Int64 = 0) -> Int64 {
        MonotonicClock.milliseconds() + timeoutMilliseconds + extraMilliseconds
    }

    /// Connects to every running server that has no connection, all by `deadline`: each failure by member.
    @discardableResult
    func connect(by deadline: Int64) -> [ObjectIdentifier: String] {
        var failures: [ObjectIdentifier: String] = [:]
        for (member, opening) in open(running, &failures) { greet(member, opening, by: deadline, &failures) }
        return failures
    }

    /// Starts connecting to each of `members` without a connection (which takes no wait).
    private func open(_ members: [Member], _ failures: inout [ObjectIdentifier: String]) -> [(Member, ControlClient.Opening)] {
        var openings: [(Member, ControlClient.Opening)] = []
        for member in members where member.client == nil {
            do {
                openings.append((member, try ControlClient.open(member.target.path,
                                                                timeoutMilliseconds: Int(timeoutMilliseconds))))
            } catch {
                failures[ObjectIdentifier(member)] = error.description
            }
        }
        return openings
    }

    private func greet(_ member: Member, _ opening: ControlClient.Opening, by deadline: Int64,
                       _ failures: inout [ObjectIdentifier: String]) {
        do {
            member.client = try ControlClient(opening, greetedBy: deadline)
        } catch {
            failures[ObjectIdentifier(member)] = describe(error)
        }
    }

    /// Runs `line` on `members` (running servers) and collects the replies by `deadline`.
    func run(_ line: String, on members: [Member], by deadline: Int64) -> FleetReply {
        let (asked, failed) = submit(line, to: members, by: deadline)
        var answers = failed.mapValues { FleetReply.Answer.failed($0) }
        for member in asked {
            guard let client = member.client else { continue }
            do {
                answers[ObjectIdentifier(member)] = .reply(try client.reply(by: deadline))
            } catch {
                answers[ObjectIdentifier(member)] = .failed(describe(error))
                // A silent server keeps its connection, and its late reply is skipped when it comes; a broken one
                // is connected again at the next command.
                if !error.timedOut { member.client = nil }
            }
        }
        return FleetReply(answers: members.map { member in
            (member.target.label, answers[ObjectIdentifier(member)] ?? .failed("not asked"))
        })
    }

    /// Sends `line` to `members` (connecting by `deadline` where needed) without waiting for the
    /// replies: the servers asked, and why each of the others was not. A server that has not answered an
    /// earlier command yet is not asked (the command would run whenever it wakes up) and costs no wait.
    func submit(_ line: String, to members: [Member],
                by deadline: Int64) -> (asked: [Member], failed: [ObjectIdentifier: String]) {
        var failed: [ObjectIdentifier: String] = [:]
        var asked: [Member] = []
        func send(_ member: Member) {
            guard let client = member.client else { return }
            do {
                guard try client.catchUp() else {
                    failed[ObjectIdentifier(member)] = "still not answering: no reply to an earlier command yet"
                    return
                }
                try client.submit(line)
                asked.append(member)
            } catch {
                failed[ObjectIdentifier(member)] = describe(error)
                member.client = nil
            }
        }
        let openings = open(members, &failed)
        // The connected servers start on the command before the new connections' greetings are waited for.
        for member in members where member.client != nil { send(member) }
        for (member, opening) in openings {
            greet(member, opening, by: deadline, &failed)
            send(member)
        }
        return (asked, failed)
    }

    /// Closes every connection (the servers run on).
    func close() {
        for member in members {
            member.client?.close()
            member.client = nil
        }
    }

    /// A failure in the words an operator reads, saying how long a silent server was given.
    func describe(_ failure: ControlClient.Failure) -> String {
        guard failure.timedOut else { return failure.description }
        return "not answering: no reply within \(Self.seconds(timeoutMilliseconds)) (stopped or overloaded?)"
    }

    /// `5 s`, `0.5 s`.
    static func seconds(_ milliseconds: Int64) -> String {
        milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(Double(milliseconds) / 1000) s"
    }
}
