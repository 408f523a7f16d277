import CLinux
import Glibc
import Synchronization

/// The uploads folder. Bodies are written to hidden temporary files (`.upload-<hex>.<owner>.tmp`, which static
/// serving and listings never show) and linked under their final name only once complete and valid; `link(2)`
/// fails rather than replace a name, atomically even between processes, so no upload ever overwrites another.
///
/// Any number of servers may share one folder (a shared volume, NFS): each temporary name carries its owner
/// (`UploadOwner`), every owner keeps its live temporary files' modification times fresh, and a starting server
/// sweeps only its own leftovers and those untouched for longer than the body timeout (their owner is gone).
/// The store also lists uploads for the shell (every server's) and counts what it stored.
public final class UploadStore: Sendable {
    /// One stored upload, for `uploads` in the shell.
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let size: Int
        /// Modification time, seconds since the epoch.
        public let modified: Int
    }

    /// Why the shell's view of the store failed.
    public enum ReadError: Error, Equatable {
        case folderUnreadable
        case invalidName
        case notFound
        case tooLarge
    }

    /// What `publish` stored: the final name and the size.
    struct Stored {
        let name: String
        let size: Int
    }

    static let temporaryPrefix = ".upload-"
    static let temporarySuffix = ".tmp"

    /// The folder, as configured.
    public let folder: String
    /// A temporary file untouched for longer than this is abandoned: its owner would have refreshed it. Never
    /// less than `minimumAbandonSeconds`, whatever the body timeout.
    let abandonAfterSeconds: Int
    /// Whose temporary files this store writes: this process, unless a test says otherwise.
    let owner: UploadOwner
    /// The temporary files this process is writing or about to publish, refreshed by `refreshTemporaryFiles()`.
    private let liveTemporaries = Lock<Set<String>>([])
    private let storedFiles = Atomic<Int>(0)
    private let storedBytes = Atomic<Int>(0)
    private let diskSyncs = Atomic<Int>(0)
    /// `--uploads-quota` and the bytes the folder holds.
    let quota: UploadQuota

    /// A store on `folder`; nothing touches the disk until `prepare()`. `abandonAfterSeconds` is the body timeout:
    /// an upload making no progress for that long is given up by its own server anyway.
    public convenience init(folder: String, abandonAfterSeconds: Int = 30) {
        self.init(folder: folder, abandonAfterSeconds: abandonAfterSeconds, owner: .current)
    }

    init(folder: String, abandonAfterSeconds: Int, owner: UploadOwner) {
        self.folder = folder
        self.abandonAfterSeconds = max(abandonAfterSeconds, Self.minimumAbandonSeconds)
        self.owner = owner
        quota = UploadQuota {
            var total = 0
            try? Self.forEachEntry(in: folder) { total += $0.size }
            return total
        }
    }

    /// How often live temporary files are refreshed. Fixed, not derived from this server's body timeout, because
    /// the servers sharing a folder may run with different timeouts (or change them live): a neighbour with a
    /// short one must still see our long uploads as alive. One `utimensat` per upload in progress is cheap.
    public static let refreshIntervalSeconds = 2

    /// The least age at which a temporary file counts as abandoned: five refresh rounds, which also absorbs a few
    /// seconds of clock difference between hosts on a network file system.
    static let minimumAbandonSeconds = 10

    /// Files stored since start (each file of a form counts once).
    public var uploadsTotal: Int { storedFiles.load(ordering: .relaxed) }

    /// Bytes in the files stored since start.
    public var uploadedBytesTotal: Int { storedBytes.load(ordering: .relaxed) }

    /// The most the folder may hold in bytes (`--uploads-quota`; 507 beyond), nil for no limit; changes live.
    public var quotaBytes: Int? {
        get { quota.bytes }
        set { quota.bytes = newValue }
    }

    /// Disk syncs made since start: two per published request, whatever its number of files.
    var diskSyncsTotal: Int { diskSyncs.load(ordering: .relaxed) }

    // MARK: - Start-up

    /// Creates the folder when it is missing, checks that it has hard links, and deletes the temporary files of
    /// this owner's earlier runs, of dead processes on this machine (and of earlier, untagged versions), and the
    /// abandoned ones of any owner; returns how many it deleted. Call once
    /// before serving. Temporary files of other live servers on a shared folder are left alone.
    @discardableResult
    public func prepare() throws -> Int {
        if mkdir(folder, 0o755) != 0, errno != EEXIST {
            throw UploadStorageError(call: "mkdir \(folder)", code: errno)
        }
        try checkHardLinks()
        guard let directory = opendir(folder) else { throw UploadStorageError(call: "opendir \(folder)", code: errno) }
        defer { closedir(directory) }
        let now = Int(time(nil))
        var swept = 0
        while let entry = readdir(directory) {
            let name = Self.name(of: entry)
            guard let tag = Self.ownerTag(ofTemporary: name) else { continue }
            let path = folder + "/" + name
            var info = stat()
            let abandoned = lstat(path, &info) == 0 && now - Int(info.st_mtim.tv_sec) > abandonAfterSeconds
            if tag == owner.tag || abandoned || owner.outlived(tag), unlink(path) == 0 { swept += 1 }
        }
        // With a quota, the folder is summed once now rather than on the first upload.
        if quota.bytes != nil { _ = quota.used }
        return swept
    }

    /// The owner tag of a temporary file's name (empty for the untagged names of earlier versions), or nil when
    /// `name` is not a temporary file.
    static func ownerTag(ofTemporary name: String) -> String? {
        guard name.hasPrefix(temporaryPrefix), name.hasSuffix(temporarySuffix) else { return nil }
        let middle = name.dropFirst(temporaryPrefix.count).dropLast(temporarySuffix.count)
        guard let dot = middle.firstIndex(of: ".") else { return "" }
        return String(middle[middle.index(after: dot)...])
    }

    /// Publishing relies on `link(2)`: on a file system without hard links (FAT, some FUSE and object-store
    /// mounts) a fallback to `rename` could replace another upload, so refuse to start instead.
    private func checkHardLinks() throws {
        let probe = try createFile()
        let linked = temporaryPath()
        defer { unlink(linked) }
        guard Glibc.link(probe.path, linked) == 0 else {
            throw HardLinksUnsupported(folder: folder, code: errno)
        }
    }

    /// The uploads folder cannot hold hard links, which publishing needs.
    struct HardLinksUnsupported: Error, CustomStringConvertible {
        let folder: String
        let code: Int32

        var description: String {
            "its file system does not support hard links (link: \(String(cString: strerror(code)))); uploads are "
                + "published with link(2) so that one can never replace another: use a file system with hard links "
                + "(ext4, xfs, btrfs, tmpfs, NFS)"
        }
    }

    /// When the housekeeper's refresh next has something to do (monotonic milliseconds; nil: nothing to come):
    /// at its `nextRound` while temporary files are to be kept fresh, else when the quota's count turns stale.
    func refreshDue(nextRound: Int64) -> Int64? {
        if !liveTemporaries.withLock({ $0.isEmpty }) { return nextRound }
        return quota.rescanDue.map { max($0, nextRound) }
    }

    /// Sets the modification time of every live temporary file to now, so that a server starting on the same
    /// folder sees them in use. Called by the housekeeper every `refreshIntervalSeconds`.
    public func refreshTemporaryFiles() {
        for path in liveTemporaries.withLock({ $0 }) {
            utimensat(AT_FDCWD, path, nil, 0)
        }
    }

    /// Called by an `UploadFile` when it goes away (published or deleted).
    func forget(_ path: String) {
        liveTemporaries.withLock { _ = $0.remove(path) }
    }

    // MARK: - Writing

    /// A new, empty temporary file for one upload (507 when the disk is full).
    func createFile() throws -> UploadFile {
        // 48 random bits make a clash vanishingly rare (and the owner tag confines it to this process); a few
        // tries cover it anyway.
        for _ in 0..<4 {
            let path = temporaryPath()
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 {
                liveTemporaries.withLock { _ = $0.insert(path) }
                return UploadFile(fd: fd, path: path, store: self)
            }
            guard errno == EEXIST else { throw UploadStorageError.failure("open \(path)", errno) }
        }
        throw UploadStorageError(call: "open: no free temporary name in \(folder)", code: EEXIST)
    }

    /// `<folder>/.upload-<12 hex>.<owner>.tmp`.
    private func temporaryPath() -> String {
        folder + "/" + Self.temporaryPrefix + Self.randomHex(UInt64.random(in: 0...(1 << 48) - 1)) + "."
            + owner.tag + Self.temporarySuffix
    }

    /// Gives each sealed file its final name, all or none, durably: once this returns (and the client gets its
    /// 201) the files and their names are on the disk. A file is linked under the first free candidate of its
    /// `UploadName`; if any step fails, the names already made are removed again and the error is thrown. The
    /// files are counted before this returns, so a client never sees a count that misses its own upload.
    ///
    /// Two disk syncs per request, whatever its number of files: one writes out the data before any name exists
    /// (a power cut can never leave a name on a partial file), one `fsync` of the folder makes the names durable.
    /// The data of a single file (a JSON document, a one-file form) is synced with `fdatasync`; a form of several
    /// files with one `syncfs`, since a sync per file costs a journal commit each (200 forms of 256 one-byte files
    /// held the workers for 27 s that way). `syncfs` also writes out whatever else is pending on the uploads'
    /// file system, which the kernel would write within seconds anyway.
    func publish(_ batch: [(file: UploadFile, name: UploadName)]) throws -> [Stored] {
        let directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw UploadStorageError.failure("open \(folder)", errno) }
        defer { close(directory) }
        let bytes = batch.reduce(0) { $0 + $1.file.size }
        try quota.reserve(bytes)
        var stored = false
        defer { quota.settle(bytes, stored: stored) }
        if batch.count == 1 {
            try syncData(of: batch[0].file)
        } else {
            try sync(directory, "syncfs", clinux_syncfs)
        }
        var linked: [String] = []
        do {
            for (file, naming) in batch {
                linked.append(try link(file, naming))
            }
            try sync(directory, "fsync", fsync)
        } catch {
            for name in linked { unlink(folder + "/" + name) }
            throw error
        }
        for (file, _) in batch {
            unlink(file.path)
            file.isPublished = true
        }
        stored = true
        storedFiles.add(batch.count, ordering: .relaxed)
        storedBytes.add(bytes, ordering: .relaxed)
        return zip(linked, batch).map { Stored(name: $0, size: $1.file.size) }
    }

    /// Calls `call` (`fdatasync`, `syncfs` or `fsync`) on `fd`, counting it; 507 or 500 when it fails. A sync can
    /// wait on the disk for long: it is announced, so the worker pool can start a spare meanwhile.
    private func sync(_ fd: Int32, _ name: String, _ call: (Int32) -> Int32) throws {
        diskSyncs.add(1, ordering: .relaxed)
        guard BlockingCall.run({ call(fd) }) == 0 else { throw UploadStorageError.failure("\(name) \(folder)", errno) }
    }

    /// `fdatasync` of one sealed (closed) file, through a descriptor opened for it.
    private func syncData(of file: UploadFile) throws {
        let fd = open(file.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw UploadStorageError.failure("open \(file.path)", errno) }
        defer { close(fd) }
        try sync(fd, "fdatasync", fdatasync)
    }

    /// Links `file` under the first free name `naming` offers; returns it.
    private func link(_ file: UploadFile, _ naming: UploadName) throws -> String {
        // Past the numbered tries, candidates are random: a handful more always finds a free one.
        for attempt in 0...(UploadName.maxNumberedAttempts + 16) {
            let name = naming.candidate(attempt: attempt)
            if Glibc.link(file.path, folder + "/" + name) == 0 { return name }
            guard errno == EEXIST else { throw UploadStorageError.failure("link \(folder)/\(name)", errno) }
        }
        throw UploadStorageError(call: "link: no free name in \(folder)", code: EEXIST)
    }

    // MARK: - Reading (the shell)

    /// The stored uploads, newest first (then by name); temporary files and folders are left out. With `limit`,
    /// the newest `limit` only, and the memory it takes grows with `limit`, not with the folder: a folder of
    /// 100,000 uploads took 11 MiB to show its newest 50 when every entry was kept.
    public func list(limit: Int? = nil) throws(ReadError) -> [Entry] {
        var kept: [Entry] = []
        // Cut back to the newest `limit` each time twice as many are kept: sorting stays cheap, memory bounded.
        let cutAt = limit.map { max(2 * $0, 64) } ?? Int.max
        try Self.forEachEntry(in: folder) { entry in
            kept.append(entry)
            if kept.count >= cutAt, let limit { Self.keepNewest(limit, of: &kept) }
        }
        Self.keepNewest(limit ?? kept.count, of: &kept)
        return kept
    }

    /// Sorts `entries` newest first (then by name) and drops all but the first `count`.
    private static func keepNewest(_ count: Int, of entries: inout [Entry]) {
        entries.sort { $0.modified != $1.modified ? $0.modified > $1.modified : $0.name < $1.name }
        if entries.count > count { entries.removeLast(entries.count - count) }
    }

    /// Calls `body` with each stored upload in `folder`, in directory order.
    private static func forEachEntry(in folder: String, _ body: (Entry) -> Void) throws(ReadError) {
        guard let directory = opendir(folder) else { throw .folderUnreadable }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = Self.name(of: entry)
            guard !name.hasPrefix(".") else { continue }
            var info = stat()
            guard stat(folder + "/" + name, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            body(Entry(name: name, size: Int(info.st_size), modified: Int(info.st_mtim.tv_sec)))
        }
    }

    /// The absolute path of the upload `name`, for an operator to open it.
    public func path(of name: String) -> String {
        guard !folder.hasPrefix("/"), let cwd = getcwd(nil, 0) else { return folder + "/" + name }
        defer { free(cwd) }
        return String(cString: cwd) + "/" + folder + "/" + name
    }

    /// The bytes of the upload `name` when it holds at most `limit` bytes.
    public func contents(of name: String, limit: Int) throws(ReadError) -> [UInt8] {
        guard !name.isEmpty, !name.hasPrefix("."), !name.contains("/"), !name.utf8.contains(0) else {
            throw .invalidName
        }
        let fd = open(folder + "/" + name, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .notFound }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { throw .notFound }
        guard Int(info.st_size) <= limit else { throw .tooLarge }
        var bytes = [UInt8](repeating: 0, count: limit + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress.map { $0 + count }, $0.count - count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            count += n
        }
        guard count <= limit else { throw .tooLarge }
        return Array(bytes[0..<count])
    }

    // MARK: - Helpers

    private static func name(of entry: UnsafeMutablePointer<dirent>) -> String {
        withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// Twelve lowercase hex digits.
    private static func randomHex(_ value: UInt64) -> String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 12 - hex.count)) + hex
    }
}
