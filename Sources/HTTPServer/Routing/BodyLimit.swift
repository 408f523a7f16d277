import Synchronization

/// A body-size limit that can change while the server runs (`config set max-upload 1G`): read once per request,
/// when its head arrives, so a change applies to the next request and never to one already streaming.
public final class BodyLimit: Sendable {
    private let bytes: Atomic<Int>

    public init(_ bytes: Int) {
        self.bytes = Atomic(bytes)
    }

    public var value: Int {
        get { bytes.load(ordering: .relaxed) }
        set { bytes.store(newValue, ordering: .relaxed) }
    }
}
