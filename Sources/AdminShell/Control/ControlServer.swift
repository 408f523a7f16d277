import CLinux
import Glibc
import HTTPServer
import Synchronization

/// The control socket of a running httpsh: a Unix-domain socket where `httpsh attach` (or `socat`) reaches the
/// same command bus as the launching shell. Only this user and root get in (the folder and socket modes, and each
/// peer's uid through `SO_PEERCRED`). Every session has a thread of its own, so a slow or stuck one never holds up
/// another session or a worker.
public final class ControlServer: Sendable {
    /// Sessions open at once at most: operators and scripts together; each costs a thread and a descriptor.
    public static let maximumSessions = 32
    /// How long a refused peer may take to read its one line.
    static let refusalSendMilliseconds = 1_000

    /// The socket's path.
    public let path: String
    private let listener: UnixSocket
    /// The socket file's device and inode: on exit only our own file is removed, not a successor's.
    private let identity: (device: UInt, inode: UInt)
    private let running = Atomic<Bool>(true)
    /// An eventfd `stop` makes readable, to wake the accepting thread.
    private let stopEvent: Int32
    private let sessions = Atomic<Int>(0)

    /// Binds the socket at `path` (a stale file left by a server that died is replaced; a live one is an error)
    /// and makes it private (0600). `isDefault`: the path is the per-user default, whose folder must be ours.
    public init(path: String, isDefault: Bool) throws(ControlPath.Failure) {
        try ControlPath.prepareFolder(of: path, isDefault: isDefault)
        try Self.removeIfStale(path)
        let listener: UnixSocket
        do {
            listener = try UnixSocket.listen(path: path, backlog: 16)
        } catch {
            throw ControlPath.Failure(description: "control socket \(path): \(error)")
        }
        let stopEvent = eventfd(0, Int32(EFD_CLOEXEC))
        guard stopEvent >= 0 else {
            listener.close()
            unlink(path)
            throw ControlPath.Failure(description: "control socket \(path): eventfd: \(String(cString: strerror(errno)))")
        }
        chmod(path, 0o600)
        var info = stat()
        stat(path, &info)
        self.path = path
        self.listener = listener
        self.stopEvent = stopEvent
        identity = (UInt(info.st_dev), UInt(info.st_ino))
    }

    deinit {
        Glibc.close(stopEvent)
    }

    /// A socket file nobody answers on is what a killed server leaves: remove it. One that answers belongs to a
    /// running httpsh; anything else at the path is not ours to delete.
    private static func removeIfStale(_ path: String) throws(ControlPath.Failure) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw ControlPath.Failure(description: "\(path) exists and is not a socket; remove it or use --control PATH")
        }
        do {
            let probe = try UnixSocket.connect(path: path)
            probe.close()
            throw ControlPath.Failure(description: "another httpsh is running with control socket \(path); "
                + "attach to it, or choose --control PATH or --instance NAME")
        } catch let error as ControlPath.Failure {
            throw error
        } catch {
            guard (error as? SocketError)?.code == ECONNREFUSED else {
                throw ControlPath.Failure(description: "control socket \(path): \(error)")
            }
            unlink(path)
        }
    }

    /// Starts accepting sessions. `onShutdown` runs after a session's `shutdown` has drained the server.
    public func start(bus: CommandBus, server: Server, logger: Logger, onShutdown: @escaping @Sendable () -> Void) {
        spawnThread(name: "httpsh-control") { [self] in
            acceptSessions(bus: bus, server: server, logger: logger, onShutdown: onShutdown)
        }
    }

    private func acceptSessions(bus: CommandBus, server: Server, logger: Logger,
                                onShutdown: @escaping @Sendable () -> Void) {
        let ownUID = geteuid()
        while running.load(ordering: .relaxed) {
            guard let client = listener.accept(unlessReadable: stopEvent) else { continue }
            guard let uid = client.peerUID(), uid == ownUID || uid == 0 else {
                logger.warning("control socket: refused a peer with uid \(client.peerUID().map(String.init) ?? "?")")
                refuse(client, "permission denied: only uid \(ownUID) and root may control this httpsh")
                continue
            }
            guard sessions.add(1, ordering: .relaxed).newValue <= Self.maximumSessions else {
                sessions.subtract(1, ordering: .relaxed)
                refuse(client, "too many control sessions (\(Self.maximumSessions) open); try again later")
                continue
            }
            let started = spawnThread(name: "httpsh-session") { [self] in
                ControlSession(socket: client, bus: bus, server: server, onShutdown: onShutdown).run()
                client.close()
                sessions.subtract(1, ordering: .relaxed)
            }
            if !started {
                sessions.subtract(1, ordering: .relaxed)
                refuse(client, "cannot start a session thread; try again later")
            }
        }
        listener.close()
    }

    /// Sends one `error: …` line instead of a greeting, and closes.
    private func refuse(_ client: UnixSocket, _ reason: String) {
        client.setSendTimeout(milliseconds: Self.refusalSendMilliseconds)
        client.send("error: \(reason)\n")
        client.close()
    }

    /// Stops accepting and removes the socket file when it is still ours. Open sessions end with the process.
    public func stop() {
        guard running.exchange(false, ordering: .relaxed) else { return }
        // The descriptor stays readable: the accepting thread wakes, sees `running` false and leaves. It is
        // closed only by `deinit`, once that thread let go of this object, so no other file gets this write.
        var one: UInt64 = 1
        _ = Glibc.write(stopEvent, &one, 8)
        var info = stat()
        if stat(path, &info) == 0, UInt(info.st_dev) == identity.device, UInt(info.st_ino) == identity.inode {
            unlink(path)
        }
    }
}
