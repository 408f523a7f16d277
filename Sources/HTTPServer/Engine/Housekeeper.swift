import Glibc

/// A background thread that enforces the time limits no worker is waiting on: idle keep-alive connections,
/// slow request heads (408), stalled bodies and stalled responses; resumes accepting after a pause; starts a
/// spare worker when every worker is stuck in one batch of events; keeps
/// the uploads in progress visibly alive to other servers sharing the uploads folder, and the uploads quota's
/// count of the folder fresh; closes the files the file cache keeps open that no request wants any more.
///
/// It checks every `intervalMilliseconds` only while there is something to watch: open connections (every stuck
/// worker is serving one), or accepting paused. Otherwise it sleeps until the engine rings `Engine.housekeeping`
/// (a connection opened, accepting paused, the workers stopped), waking on its own only when a file is still
/// open or an upload or quota needs refreshing: an idle server does not wake up.
struct Housekeeper {
    /// How often limits are checked: fine enough for second-granular timeouts, cheap with 10,000 connections.
    static let intervalMilliseconds: Int64 = 250
    /// How long a closing connection may keep sending before it is cut: enough for a refused upload's tail
    /// already on the wire, short enough that lingering clients cost nothing.
    static let lingerMilliseconds: Int64 = 2000

    let engine: Engine

    func start() {
        let engine = self.engine
        spawnThread(name: "httpsh-housekeep") {
            let uploads = engine.services.uploads
            var nextRefresh: Int64 = 0
            var nextFileCheck: Int64 = 0
            while !engine.stopped.load(ordering: .relaxed) {
                if engine.needsWatching {
                    usleep(UInt32(Self.intervalMilliseconds * 1000))
                } else {
                    let now = MonotonicClock.milliseconds()
                    let filesOpen = engine.services.fileCache.usage.openFiles > 0
                    let fileCheck = filesOpen ? nextFileCheck : nil
                    let refresh = uploads.refreshDue(nextRound: nextRefresh)
                    let wakeAt = [fileCheck, refresh].compactMap { $0 }.min()
                    // Also awake once a file is open that was not when `wakeAt` was set: a connection that rang
                    // may have opened one and closed before this thread looked, and with no file check due it
                    // would sleep on, the file left open until the next connection.
                    engine.housekeeping.sleep(timeoutMilliseconds: wakeAt.map { Int(max(0, $0 - now)) }) {
                        engine.needsWatching || engine.stopped.load(ordering: .sequentiallyConsistent)
                            || (!filesOpen && engine.services.fileCache.usage.openFiles > 0)
                    }
                }
                let now = MonotonicClock.milliseconds()
                Housekeeper(engine: engine).sweep(now: now)
                engine.resumeAcceptingIfPaused()
                engine.pool.startSpareIfAllStuck { engine.makeWorker() }
                if now >= nextFileCheck {
                    engine.services.fileCache.closeIdleFiles(now: now)
                    nextFileCheck = now + 1000
                }
                if now >= nextRefresh {
                    uploads.refreshTemporaryFiles()
                    uploads.quota.refreshIfStale()
                    nextRefresh = now + Int64(UploadStore.refreshIntervalSeconds) * 1000
                }
            }
        }
    }

    /// Closes or times out every connection past its phase's limit.
    func sweep(now: Int64) {
        let configuration = engine.configuration
        let limits = engine.services.limits
        engine.registry.forEach { connection in
            let age = now - connection.since.load(ordering: .relaxed)
            switch connection.phase {
            case .idle where age > Int64(limits.idleTimeoutSeconds) * 1000:
                // Reading side only, as in a drain: a request racing in is answered, not read and dropped.
                connection.socket.shutdown(.read)
            case .writing where age > Int64(configuration.sendTimeoutSeconds) * 1000,
                 .lingering where age > Self.lingerMilliseconds:
                connection.socket.shutdown(.both)
            case .readingHead where age > Int64(limits.headerTimeoutSeconds) * 1000,
                 .readingBody where age > Int64(limits.bodyTimeoutSeconds) * 1000:
                if !connection.timedOut.exchange(true, ordering: .relaxed) {
                    connection.socket.shutdown(.read)
                }
            default:
                break
            }
        }
    }
}
