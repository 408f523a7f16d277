import Glibc
import Synchronization

/// Hot files' status, ready-made header fields and (for small files) contents, so serving a hot small file costs
/// no file-system call at all: the response leaves in one `sendmsg` from memory. A larger hot file's entry keeps the
/// file open, so it costs no file-system call either: only its `sendfile`.
///
/// An entry is trusted for `revalidateMilliseconds`; the first request after that walks the path again (one
/// `lstat` per segment, the same containment checks as an uncached request) and compares the file's identity
/// (device, inode, size, modification and change times). So a changed, replaced or deleted file is seen within
/// about a second, and a file swapped for a symbolic link that leaves the root is refused like any such link.
/// Within the window a cached small file is served from memory: contents that were read, at the time, from inside
/// the root. A larger file is sent from the descriptor opened when it was checked: the inode that was checked, as
/// nginx's `open_file_cache` and lighttpd's stat cache do. (A file rewritten in place, not replaced, may then be
/// sent with its old length within the window; a shorter one ends its response early, and the connection closes.)
///
/// Memory is bounded by `capacity` (contents) and `maximumEntries` (metadata), descriptors by `maximumOpenFiles`;
/// the least recently revalidated entries go first, and a larger file no one asked for in `idleOpenMilliseconds`
/// is closed. Shared by every worker; a lookup takes one short lock, but for a worker asking again for the small
/// file it found last (see `remembered`).
public final class FileCache: Sendable {
    /// Files up to this size are kept in memory: the body leaves in one `sendmsg` with its head. Past it, `sendfile`
    /// from the descriptor the entry keeps is cheaper than copying from memory (measured: about 20% less CPU per
    /// 32 KiB and 64 KiB response), and a cache of 32 MiB then holds at least 2,048 small files.
    public static let maximumFileBytes = 16 << 10
    /// The default memory for contents: the hot set of a small site, a small share of any machine.
    public static let defaultCapacity = 32 << 20
    /// Entries kept (with or without contents): bounds the metadata a scan of many distinct files can pin.
    static let maximumEntries = 10_000
    /// Larger files kept open: a site's hot downloads are few, and each holds a descriptor that connections
    /// could otherwise use.
    public static let maximumOpenFiles = 256
    /// A larger file asked for by no request for this long is closed: the disk space of a file deleted or replaced
    /// meanwhile is not held for long, and a descriptor costs nothing while its file is hot.
    static let idleOpenMilliseconds: Int64 = 10_000
    /// How long an entry is served without looking at the file again: "about a second" is what operators expect
    /// from nginx's `open_file_cache_valid` and lighttpd's stat cache.
    public static let revalidateMilliseconds: Int64 = 1000

    /// What the cache holds, for `status` and `/metrics`.
    public struct Usage: Sendable, Equatable {
        public var files = 0
        /// Bytes of cached contents.
        public var bytes = 0
        /// The most contents it may hold.
        public var capacity = 0
        /// Larger files the cache keeps open (at most `maximumOpenFiles`).
        public var openFiles = 0
        public var hits = 0
        public var misses = 0
    }

    /// Which file: the folder a `StaticFiles` serves (its number here), the decoded URL path under it, and the
    /// representation (0 for the file itself, else a `ContentCoding`'s raw value for its precompressed sibling).
    ///
    /// Compared and hashed by the path's bytes, not as a `String`: two Unicode spellings of one name (NFC and NFD
    /// `café`) are two files on Linux, which `String` equality (canonical equivalence) would answer one for the other.
    struct Key: Hashable {
        var root: Int
        var path: String
        var coding: UInt8 = 0

        /// Inlined, with `withPathBytes`: a thread's remembered key is compared in place on every request, where a
        /// call took a copy of it (a retain and a release of its path).
        @inline(__always)
        static func == (a: Key, b: Key) -> Bool {
            a.root == b.root && a.coding == b.coding && a.withPathBytes { mine in
                b.withPathBytes { mine.hasSameBytes(as: $0) }
            }
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(root << 8 | Int(coding))
            withPathBytes { hasher.combine(bytes: $0) }
        }

        @inline(__always)
        private func withPathBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
            path.withBorrowedUTF8 { body(UnsafeRawBufferPointer($0)) }
        }
    }

    /// Whether a file on disk is still the one an entry describes.
    struct Identity: Equatable {
        var device: UInt
        var inode: UInt
        var size: Int
        var modified: timespec
        var changed: timespec

        init(_ info: stat) {
            device = UInt(info.st_dev)
            inode = UInt(info.st_ino)
            size = Int(info.st_size)
            modified = info.st_mtim
            changed = info.st_ctim
        }

        static func == (a: Identity, b: Identity) -> Bool {
            a.device == b.device && a.inode == b.inode && a.size == b.size
                && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
                && a.changed.tv_sec == b.changed.tv_sec && a.changed.tv_nsec == b.changed.tv_nsec
        }
    }

    /// One cached file. Immutable but for the time it was last checked.
    final class Entry: Sendable {
        /// The real path (inside the root, no symbolic links).
        let path: String
        let identity: Identity
        let validators: Validators
        /// ETag, Last-Modified, Accept-Ranges, Content-Type (and the handler's extra fields), ready to send.
        let headers: HTTPHeaders
        /// The whole file, when it is small enough to keep.
        let contents: [UInt8]?
        /// The file, open, when it is too large to keep in memory (an entry has this or `contents`).
        let descriptor: SharedFileDescriptor?
        /// When the file was last found unchanged (monotonic ms).
        let checkedAt: Atomic<Int64>
        /// The file's fresh precompressed siblings when it was checked (`ContentCoding.bit`s), so choosing one
        /// costs no file-system call.
        let variants: UInt8

        init(path: String, identity: Identity, validators: Validators, headers: HTTPHeaders, contents: [UInt8]?,
             descriptor: SharedFileDescriptor? = nil, checkedAt: Int64, variants: UInt8 = 0) {
            self.path = path
            self.identity = identity
            self.validators = validators
            self.headers = headers
            self.contents = contents
            self.descriptor = descriptor
            self.checkedAt = Atomic(checkedAt)
            self.variants = variants
        }
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var bytes = 0
        var openFiles = 0
        var misses = 0

        mutating func add(_ key: Key, _ entry: Entry) {
            entries[key] = entry
            bytes += entry.contents?.count ?? 0
            if entry.descriptor != nil { openFiles += 1 }
        }

        /// Whether there was an entry under `key`.
        @discardableResult
        mutating func removeEntry(_ key: Key) -> Bool {
            guard let entry = entries.removeValue(forKey: key) else { return false }
            bytes -= entry.contents?.count ?? 0
            if entry.descriptor != nil { openFiles -= 1 }
            return true
        }

        /// The key of the least recently revalidated entry that `matches`.
        func oldest(where matches: (Entry) -> Bool = { _ in true }) -> Key? {
            var oldest: (key: Key, checkedAt: Int64)?
            for (key, entry) in entries where matches(entry) {
                let checkedAt = entry.checkedAt.load(ordering: .relaxed)
                if oldest.map({ checkedAt < $0.checkedAt }) ?? true { oldest = (key, checkedAt) }
            }
            return oldest?.key
        }
        var roots: [String] = []
    }

    /// The most bytes of contents kept; 0 turns the cache off (every request looks at the disk).
    public let capacity: Int
    let revalidateMilliseconds: Int64
    private let state = Lock(State())
    /// Lookups that found an entry: counted apart from `state`, since a remembered entry is found without the lock.
    private let hits = Atomic<Int>(0)
    /// Changed, under the lock, whenever an entry leaves `state.entries`, to a number no cache has had: an entry a
    /// thread found while this had the value it has now is still the one under its key.
    private let generation = Atomic<Int>(FileCache.generations.wrappingAdd(1, ordering: .relaxed).newValue)

    /// A cache holding up to `capacity` bytes of contents. `revalidateMilliseconds` is for tests.
    public init(capacity: Int = FileCache.defaultCapacity,
                revalidateMilliseconds: Int64 = FileCache.revalidateMilliseconds) {
        self.capacity = max(0, capacity)
        self.revalidateMilliseconds = revalidateMilliseconds
    }

    public var isEnabled: Bool { capacity > 0 }

    /// What is cached now.
    public var usage: Usage {
        state.withLock { state in
            Usage(files: state.entries.count, bytes: state.bytes, capacity: capacity, openFiles: state.openFiles,
                  hits: hits.load(ordering: .relaxed), misses: state.misses)
        }
    }

    /// A number for a served folder, part of every key of its files.
    func register(root: String) -> Int {
        state.withLock { state in
            if let index = state.roots.firstIndex(of: root) { return index }
            state.roots.append(root)
            return state.roots.count - 1
        }
    }

    /// The entry for `key`, when there is one and it is fresh; nil sends the caller to the disk (and `store`).
    /// An entry past its window is revalidated here by the first caller that notices; `revalidate` walks the path
    /// again and returns the status found there, or nil when it no longer resolves inside the root (or no longer
    /// matches what else the entry recorded, such as its variants).
    func lookup(_ key: Key, now: Int64, revalidate: (Entry) -> stat?) -> Entry? {
        guard isEnabled, let entry = remembered(key) ?? find(key) else { return nil }
        hits.wrappingAdd(1, ordering: .relaxed)
        let checked = entry.checkedAt.load(ordering: .relaxed)
        guard now - checked >= revalidateMilliseconds else { return entry }
        // One worker revalidates; the others keep serving the entry meanwhile (it is at most that much older).
        guard entry.checkedAt.compareExchange(expected: checked, desired: now, ordering: .relaxed).exchanged else {
            return entry
        }
        if let info = revalidate(entry), Identity(info) == entry.identity, info.st_mode & S_IFMT == S_IFREG {
            return entry
        }
        remove(key, entry)
        return nil
    }

    /// The entry the calling thread found last, when that was under `key` (compared by bytes) and no entry has left
    /// the cache since: a worker serving one hot file finds it with no hash and no lock. The usual revalidation
    /// follows all the same.
    private func remembered(_ key: Key) -> Entry? {
        let current = generation.load(ordering: .acquiring)
        return lastFound.withObject { $0.entry(under: key, generation: current) }
    }

    /// The entry under `key`, looked up under the lock, and remembered by the calling thread.
    private func find(_ key: Key) -> Entry? {
        let (entry, seen) = state.withLock { state -> (Entry?, Int) in
            let entry = state.entries[key]
            if entry == nil { state.misses += 1 }
            return (entry, generation.load(ordering: .relaxed))
        }
        guard let entry else { return nil }
        // Not an open file's entry: a thread's last found would keep its descriptor open after the cache let it go.
        if entry.descriptor == nil { lastFound.object { LastFound(key, entry, seen) }.remember(key, entry, seen) }
        return entry
    }

    /// Called under the lock when an entry has left `state.entries` (removed, replaced, evicted, cleared).
    private func entryLeft() {
        generation.store(Self.generations.wrappingAdd(1, ordering: .relaxed).newValue, ordering: .releasing)
    }

    /// Where every cache's new `generation` comes from.
    private static let generations = Atomic<Int>(0)
    /// The entry each thread found last, with its key and the cache's generation then (one for every cache in the
    /// process: a generation is never another cache's).
    private static let lastFoundByThread = ThreadLocal<LastFound>()
    /// `lastFoundByThread`, reached without the lazy global's check on every request.
    private let lastFound = FileCache.lastFoundByThread

    /// One thread's last found entry. Only that thread touches it, so it needs no runtime exclusivity check.
    private final class LastFound {
        @exclusivity(unchecked) private var key: Key
        @exclusivity(unchecked) private var entry: Entry
        @exclusivity(unchecked) private var generation: Int

        init(_ key: Key, _ entry: Entry, _ generation: Int) {
            self.key = key
            self.entry = entry
            self.generation = generation
        }

        /// `entry` when it is under `key` and was found in `generation` of the cache.
        func entry(under key: Key, generation current: Int) -> Entry? {
            generation == current && Self.holds(&self.key, key) ? entry : nil
        }

        /// `remembered == key`, with the remembered key lent in place: `inout` is an exclusive access, so the
        /// compare (a call to `memcmp`) cannot change it, where a read of the property copied it around the
        /// compare (a retain and a release of its path).
        private static func holds(_ remembered: inout Key, _ key: Key) -> Bool {
            remembered == key
        }

        func remember(_ key: Key, _ entry: Entry, _ generation: Int) {
            self.key = key
            self.entry = entry
            self.generation = generation
        }
    }

    /// Keeps `entry` under `key`, evicting the least recently revalidated entries to stay within bounds (for an
    /// open file, the least recently revalidated open one). An entry whose contents alone exceed the capacity is
    /// not kept.
    func store(_ key: Key, _ entry: Entry) {
        guard isEnabled else { return }
        let size = entry.contents?.count ?? 0
        guard size <= capacity else { return }
        state.withLock { state in
            if state.removeEntry(key) { entryLeft() }
            while state.bytes + size > capacity || state.entries.count >= Self.maximumEntries,
                  let oldest = state.oldest() {
                state.removeEntry(oldest)
                entryLeft()
            }
            while entry.descriptor != nil, state.openFiles >= Self.maximumOpenFiles,
                  let oldest = state.oldest(where: { $0.descriptor != nil }) {
                state.removeEntry(oldest)
                entryLeft()
            }
            state.add(key, entry)
        }
    }

    /// Forgets the larger files no request asked for in `idleOpenMilliseconds` (the housekeeper's call): each
    /// descriptor closes once the answers still sending from it are done.
    func closeIdleFiles(now: Int64) {
        state.withLock { state in
            guard state.openFiles > 0 else { return }
            let idle = state.entries.filter {
                $0.value.descriptor != nil
                    && now - $0.value.checkedAt.load(ordering: .relaxed) > Self.idleOpenMilliseconds
            }
            for key in idle.keys { state.removeEntry(key) }
            if !idle.isEmpty { entryLeft() }
        }
    }

    /// Forgets `entry` if it is still the one under `key`.
    func remove(_ key: Key, _ entry: Entry) {
        state.withLock { state in
            guard let current = state.entries[key], current === entry else { return }
            state.removeEntry(key)
            entryLeft()
        }
    }

    /// Forgets everything (the shell's `cache clear`, tests).
    public func clear() {
        state.withLock { state in
            state.entries.removeAll()
            state.bytes = 0
            state.openFiles = 0
            entryLeft()
        }
    }

    /// Reads a whole small file from an open descriptor; nil when it does not read back at the expected size
    /// (it changed while being read: the caller serves it uncached this time).
    static func readContents(_ fd: Int32, size: Int) -> [UInt8]? {
        var failed = false
        let contents = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var offset = 0
            while offset < size, let base = buffer.baseAddress {
                let n = pread(fd, base + offset, size - offset, off_t(offset))
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { break }
                offset += n
            }
            failed = offset != size
            count = offset
        }
        return failed ? nil : contents
    }
}
