import Synchronization

/// Settings that change while the server runs, read by handlers on every request.
public final class LiveSettings: Sendable {
    private let listing: Atomic<Bool>

    public init(directoryListing: Bool) {
        listing = Atomic(directoryListing)
    }

    /// Whether directories without `index.html` are listed (else 403).
    public var directoryListing: Bool {
        get { listing.load(ordering: .relaxed) }
        set { listing.store(newValue, ordering: .relaxed) }
    }
}
