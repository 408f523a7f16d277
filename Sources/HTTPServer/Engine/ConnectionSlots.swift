import CLinux

/// Which worker holds each connection, kept in memory that outlives the connections.
///
/// Connections are registered in epoll edge-triggered and never re-armed: no `epoll_ctl` per response, as
/// `EPOLLONESHOT` needed. The price is that a second edge (more bytes, the client's FIN) can reach another worker
/// while the first still serves the connection, or after it closed it. So an epoll token names a slot and the
/// slot's generation, not the connection's memory; the slot's word says who holds it:
/// - parked: nobody; the worker the next event wakes takes it;
/// - held: a worker serves it;
/// - heldWithNews: a worker serves it and another event came meanwhile; the holder reads again before parking,
///   so no edge is lost;
/// - free: no connection; closing bumps the generation, so an event carrying the old token is dropped.
/// Slots live in chunks that are never freed while the engine runs, so a late event never reads freed memory.
final class ConnectionSlots: @unchecked Sendable {
    private enum State: UInt64 {
        case parked = 0, held = 1, heldWithNews = 2, free = 3
    }

    /// Slots per chunk, and chunks at most: 8M slots, as many as the connection limit allows (half the descriptor
    /// limit, itself at most 2^24). A chunk is 16 KiB, allocated when the slots before it are all taken.
    static let chunkSize = 1024
    static let maximumChunks = 8192

    /// The chunks' addresses, published with release ordering so a worker that sees a token sees its chunk.
    private let directory = UnsafeMutablePointer<UInt64>.allocate(capacity: ConnectionSlots.maximumChunks)
    /// Allocation bookkeeping: slots returned by closed connections, and how many slots exist. Only `assign` and
    /// `retire` touch it, and their one caller, `ConnectionRegistry`, calls them under its lock: a lock here too
    /// cost two more lock-prefixed pairs per connection.
    @exclusivity(unchecked) private var freeSlots: [Int] = []
    @exclusivity(unchecked) private var slotsCreated = 0

    init() {
        directory.initialize(repeating: 0, count: Self.maximumChunks)
    }

    deinit {
        for index in 0..<Self.maximumChunks {
            if let chunk = UnsafeMutableRawPointer(bitPattern: UInt(directory[index])) { chunk.deallocate() }
        }
        directory.deallocate()
    }

    /// Gives `connection` a slot, parked; returns its token, or nil when every slot is taken. Callers serialize
    /// `assign` and `retire` (the registry's lock).
    func assign(_ connection: Connection) -> UInt64? {
        guard let index = freeSlots.popLast() ?? newSlot(), let (word, owner) = slot(index) else { return nil }
        owner.pointee = UInt64(UInt(bitPattern: Unmanaged.passUnretained(connection).toOpaque()))
        let generation = clinux_atomic_load(word) >> 32
        clinux_atomic_store(word, generation << 32 | State.parked.rawValue)
        return Self.token(index: index, generation: generation)
    }

    /// A slot never used before, its chunk allocated when it is the chunk's first; nil when every slot exists.
    private func newSlot() -> Int? {
        let index = slotsCreated
        guard index < Self.chunkSize * Self.maximumChunks else { return nil }
        if index % Self.chunkSize == 0 {
            let chunk = UnsafeMutableRawPointer.allocate(byteCount: Self.chunkSize * 16, alignment: 16)
            chunk.initializeMemory(as: UInt64.self, repeating: 0, count: Self.chunkSize * 2)
            clinux_atomic_store(directory + index / Self.chunkSize, UInt64(UInt(bitPattern: chunk)))
        }
        slotsCreated += 1
        return index
    }

    /// Takes the connection `token` names for the calling worker; nil when another worker holds it (which then
    /// looks again before parking) or when it has closed since the event was queued.
    func acquire(_ token: UInt64) -> Connection? {
        guard let (index, generation) = Self.decode(token), let (word, owner) = slot(index) else { return nil }
        while true {
            let current = clinux_atomic_load(word)
            guard current >> 32 == generation else { return nil }
            switch State(rawValue: current & 0xff) {
            case .parked:
                guard clinux_atomic_compare_exchange(word, current, generation << 32 | State.held.rawValue) != 0
                else { continue }
                guard let object = UnsafeMutableRawPointer(bitPattern: UInt(owner.pointee)) else { return nil }
                return Unmanaged<Connection>.fromOpaque(object).takeUnretainedValue()
            case .held:
                if clinux_atomic_compare_exchange(word, current, generation << 32 | State.heldWithNews.rawValue) != 0 {
                    return nil
                }
            case .heldWithNews, .free, nil:
                return nil
            }
        }
    }

    /// Parks a held connection; false when an event came while it was held: it stays held, and the caller
    /// serves it again (the news may be bytes no other event will announce).
    func release(_ token: UInt64) -> Bool {
        guard let (index, generation) = Self.decode(token), let (word, _) = slot(index) else { return true }
        while true {
            let current = clinux_atomic_load(word)
            if current & 0xff == State.heldWithNews.rawValue {
                // Only the holder changes a slot with news, so a plain store cannot lose anything.
                clinux_atomic_store(word, generation << 32 | State.held.rawValue)
                return false
            }
            if clinux_atomic_compare_exchange(word, current, generation << 32 | State.parked.rawValue) != 0 {
                return true
            }
        }
    }

    /// Frees a held connection's slot when it closes: later events with its token find a new generation.
    /// Callers serialize `assign` and `retire` (the registry's lock).
    func retire(_ token: UInt64) {
        guard let (index, generation) = Self.decode(token), let (word, owner) = slot(index) else { return }
        owner.pointee = 0
        clinux_atomic_store(word, ((generation &+ 1) & 0xffff_ffff) << 32 | State.free.rawValue)
        freeSlots.append(index)
    }

    /// The word and the owner reference of slot `index`, or nil when its chunk does not exist.
    private func slot(_ index: Int) -> (UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<UInt64>)? {
        let chunkIndex = index / Self.chunkSize
        guard chunkIndex < Self.maximumChunks,
              let chunk = UnsafeMutablePointer<UInt64>(bitPattern: UInt(clinux_atomic_load(directory + chunkIndex)))
        else { return nil }
        let offset = index % Self.chunkSize
        return (chunk + offset, chunk + Self.chunkSize + offset)
    }

    /// Tokens 0 and 1 are the listener's and the wake-up's: slot numbers start at 2 in the low 32 bits.
    private static func token(index: Int, generation: UInt64) -> UInt64 {
        generation << 32 | UInt64(index + 2)
    }

    /// The slot number a token names (only for tokens `assign` gave).
    static func index(of token: UInt64) -> Int {
        Int(token & 0xffff_ffff) - 2
    }

    private static func decode(_ token: UInt64) -> (index: Int, generation: UInt64)? {
        let low = Int(token & 0xffff_ffff)
        return low >= 2 ? (low - 2, token >> 32) : nil
    }
}
