import Synchronization

/// Settings that change while the server runs, read by handlers on every request.
public final class LiveSettings: Sendable {
    private let listing: Atomic<Bool>
    private let variants: Atomic<Bool>
    /// The origins CORS answers (nil: off), read by the `CORSMiddleware` httpsh installs.
    public let cors: CORSOrigins

    public init(directoryListing: Bool, cors: CORSMiddleware.AllowedOrigins? = nil, precompressed: Bool = true) {
        listing = Atomic(directoryListing)
        variants = Atomic(precompressed)
        self.cors = CORSOrigins(cors)
    }

    /// Whether precompressed siblings (`x.br`, `x.zst`, `x.gz`) are served for `x` to clients that accept them.
    public var precompressed: Bool {
        get { variants.load(ordering: .relaxed) }
        set { variants.store(newValue, ordering: .relaxed) }
    }

    /// Whether directories without `index.html` are listed (else 403).
    public var directoryListing: Bool {
        get { listing.load(ordering: .relaxed) }
        set { listing.store(newValue, ordering: .relaxed) }
    }
}
