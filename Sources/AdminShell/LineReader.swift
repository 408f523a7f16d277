import Glibc

/// Reads lines from a file descriptor without buffering past what it returns, and gives up waiting when
/// `shouldStop` turns true (a signal is shutting the server down while a script's input stays open).
final class LineReader {
    /// How often a reader waiting for input checks `shouldStop`, when no `stopDescriptors` tell it.
    static let stopCheckMilliseconds: Int32 = 200

    private let fd: Int32
    private let shouldStop: () -> Bool
    /// Descriptors that turn readable when `shouldStop` turns true (`Server.shutdownDescriptor`): with them,
    /// the reader sleeps until input or one of them, instead of checking every `stopCheckMilliseconds`.
    private let stopDescriptors: [Int32]
    private var pending: [UInt8] = []

    init(fd: Int32, stopDescriptors: [Int32] = [], shouldStop: @escaping () -> Bool = { false }) {
        self.fd = fd
        self.stopDescriptors = stopDescriptors
        self.shouldStop = shouldStop
    }

    /// The next line without its newline (and without a CR before it), or nil at end of input or when stopped.
    func next() -> String? {
        var byte: UInt8 = 0
        while true {
            guard waitForInput() else { return nil }
            let n = read(fd, &byte, 1)
            if n < 0, errno == EINTR { continue }
            if n <= 0 {
                guard !pending.isEmpty else { return nil }
                defer { pending.removeAll() }
                return String(decoding: pending, as: UTF8.self)
            }
            if byte == 10 {
                if pending.last == 13 { pending.removeLast() }
                defer { pending.removeAll(keepingCapacity: true) }
                return String(decoding: pending, as: UTF8.self)
            }
            pending.append(byte)
        }
    }

    /// True when a read will not block (data, end of input or an error); false once `shouldStop` is true.
    private func waitForInput() -> Bool {
        let timeout = stopDescriptors.isEmpty ? Self.stopCheckMilliseconds : -1
        while true {
            var entries = ([fd] + stopDescriptors).map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if poll(&entries, nfds_t(entries.count), timeout) > 0, entries[0].revents != 0 { return true }
            if shouldStop() { return false }
        }
    }
}
