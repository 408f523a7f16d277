import Synchronization

/// Settings that change while the server runs, read by handlers on every request.
public final class LiveSettings: Sendable {
    private let listing: Atomic<Bool>
    /// The origins CORS answers (nil: off), read by the `CORSMiddleware` httpsh installs.
    public let cors: CORSOrigins

    public init(directoryListing: Bool, cors: CORSMiddleware.AllowedOrigins? = nil) {
        listing = Atomic(directoryListing)
        self.cors = CORSOrigins(cors)
    }

    /// Whether directories without `index.html` are listed (else 403).
    public var directoryListing: Bool {
        get { listing.load(ordering: .relaxed) }
        set { listing.store(newValue, ordering: .relaxed) }
    }
}
