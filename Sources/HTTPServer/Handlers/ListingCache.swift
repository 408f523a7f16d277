import Glibc
import Synchronization

/// Rendered directory listings by URL path, so a listing request reads no folder and `stat`s no entry: it only
/// fills in the request counts.
///
/// A listing is rendered again when the folder itself changed (its identity: modification and change times move
/// when an entry is added, removed or renamed) or when it is older than `FileCache.revalidateMilliseconds` (an
/// entry's own size or time can change without touching the folder). The folder's status comes from the path
/// check every request makes anyway, so a fresh listing costs no extra system call.
final class ListingCache: Sendable {
    /// Bytes of rendered listings kept: some hundred folders of a few hundred entries each.
    static let capacity = 8 << 20

    private struct Cached {
        var identity: FileCache.Identity
        var renderedAt: Int64
        var listing: DirectoryListing.Rendered
        var bytes: Int
    }

    private struct State {
        var listings: [String: Cached] = [:]
        var bytes = 0
    }

    private let state = Lock(State())
    private let revalidateMilliseconds: Int64

    init(revalidateMilliseconds: Int64) {
        self.revalidateMilliseconds = revalidateMilliseconds
    }

    /// The listing of the folder at `urlPath`, whose current status is `info`; `render` makes it when the cached
    /// one is missing or stale.
    func listing(_ urlPath: String, info: stat, now: Int64,
                 render: () -> DirectoryListing.Rendered) -> DirectoryListing.Rendered {
        let identity = FileCache.Identity(info)
        let cached = state.withLock { $0.listings[urlPath] }
        if let cached, cached.identity == identity, now - cached.renderedAt < revalidateMilliseconds {
            return cached.listing
        }
        let listing = render()
        let bytes = listing.byteCount
        guard bytes <= Self.capacity / 4 else { return listing }  // a huge folder is rendered each time
        state.withLock { state in
            if let old = state.listings.removeValue(forKey: urlPath) { state.bytes -= old.bytes }
            while state.bytes + bytes > Self.capacity,
                  let oldest = state.listings.min(by: { $0.value.renderedAt < $1.value.renderedAt }) {
                state.listings.removeValue(forKey: oldest.key)
                state.bytes -= oldest.value.bytes
            }
            state.listings[urlPath] = Cached(identity: identity, renderedAt: now, listing: listing, bytes: bytes)
            state.bytes += bytes
        }
        return listing
    }
}
