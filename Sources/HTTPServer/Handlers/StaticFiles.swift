import Glibc

/// Serves files from a folder: index pages, redirects for directories without a slash, validators and 304,
/// single ranges with 206/416, directory listings with request counts, and nothing outside the root.
///
/// A class, not a struct: `router.get("/*path", files.handle)` keeps a reference, so a request costs one retain
/// instead of a copy of every field.
public final class StaticFiles: Sendable {
    let resolver: PathResolver
    /// The URL path this folder is mounted at, with a trailing slash (`/`, `/uploads/`).
    let mount: String
    let settings: LiveSettings
    let counters: RequestCounters
    /// Extra headers on every file response (`X-Content-Type-Options: nosniff` on uploads).
    let extraHeaders: HTTPHeaders
    /// Hot files' status, header fields and small files' contents (shared by every `StaticFiles` of a server).
    let cache: FileCache
    /// This folder's number in `cache`.
    let cacheRoot: Int
    /// Rendered listings of this folder's subfolders.
    let listings: ListingCache

    /// Serves `root` under `mount`; nil when the root does not exist. Without a `cache` every request looks at
    /// the disk (pass the server context's `fileCache` to share its memory bound and its figures).
    ///
    /// Nothing inside the `excluding` folders is served or listed, whatever the URL's spelling or the links
    /// leading there (404, as if absent): another handler serves them with headers of its own, as the uploads
    /// folder inside a web root is served only with the uploads' sandboxing headers.
    public init?(root: String, mount: String = "/", settings: LiveSettings, counters: RequestCounters,
                 extraHeaders: HTTPHeaders = HTTPHeaders(), cache: FileCache = FileCache(capacity: 0),
                 excluding: [String] = []) {
        guard let resolver = PathResolver(root: root, excluding: excluding) else { return nil }
        self.resolver = resolver
        self.mount = mount.hasSuffix("/") ? mount : mount + "/"
        self.settings = settings
        self.counters = counters
        self.extraHeaders = extraHeaders
        self.cache = cache
        cacheRoot = cache.register(root: resolver.root)
        listings = ListingCache(revalidateMilliseconds: cache.isEnabled ? cache.revalidateMilliseconds : 0)
    }

    /// The handler for GET (and so HEAD) on `mount` + `*path`. A cached file without precompressed siblings
    /// (most) is answered here; the rest out of line (`cachedVariant`, `uncached`).
    public func handle(_ request: Request) throws -> Response {
        // The root mount (`/`, the one mount of one byte) is told by its length, with no generic prefix search,
        // and the path's first byte read in place (`utf8.first` is a generic call).
        let underRoot = mount.utf8.count == 1 && request.path.withBorrowedUTF8({ $0.first }) == .slash
        guard underRoot || request.path.hasUTF8Prefix(mount) || request.path + "/" == mount else {
            throw HTTPError(.notFound, "nothing at \(request.path)")
        }
        let key = FileCache.Key(root: cacheRoot, path: request.path)
        let now = MonotonicClock.coarseMilliseconds()
        if let entry = cache.lookup(key, now: now, revalidate: { revalidate($0, request) }) {
            // Without siblings, neither the setting nor `Accept-Encoding` can choose one.
            if entry.variants == 0 {
                if let response = cached(entry, request: request, varies: false) { return response }
            } else if let response = try cachedVariant(entry, request: request, now: now) {
                return response
            }
        }
        return try uncached(request, key: key)
    }

    /// The answer from the cache for a file with precompressed siblings: the sibling `Accept-Encoding` chooses
    /// (while they are on), else the file; nil when the cache cannot answer.
    @inline(never)
    private func cachedVariant(_ entry: FileCache.Entry, request: Request, now: Int64) throws -> Response? {
        let variants = settings.precompressed ? entry.variants : 0
        guard let coding = try choose(variants, request) else {
            return cached(entry, request: request, varies: variants != 0)
        }
        // The variant's own entry (its head says Vary already); on a miss the uncached path stores it.
        let variantKey = FileCache.Key(root: cacheRoot, path: request.path, coding: coding.rawValue)
        guard let variant = cache.lookup(variantKey, now: now, revalidate: { _ in locateVariant(request, coding) })
        else { return nil }
        return cached(variant, request: request, varies: false)
    }

    /// The answer from the disk: the path resolved inside the root, then the file (cached under `key`), an index
    /// page, a listing or a redirect.
    @inline(never)
    private func uncached(_ request: Request, key: FileCache.Key) throws -> Response {
        let segments: [Substring]
        switch resolver.segments(of: relative(request)) {
        case .success(let found): segments = found
        case .failure(.invalid): throw HTTPError(.badRequest, "the path contains characters that are not allowed")
        case .failure(.hidden): throw HTTPError(.notFound, "nothing at \(request.path)")
        }
        guard let resolved = resolver.resolve(segments) else {
            throw HTTPError(.notFound, "nothing at \(request.path)")
        }
        let path = resolved.path
        let info = resolved.info

        if info.st_mode & S_IFMT == S_IFDIR {
            return try directory(path, info: info, segments: segments, request: request)
        }
        // `/file.txt/` (or `/file.txt/.`) names a folder, and a file is none: 404, as `open` would say ENOTDIR.
        guard info.st_mode & S_IFMT == S_IFREG, !request.path.hasSuffix("/"), !request.path.hasSuffix("/.") else {
            throw HTTPError(.notFound, "nothing at \(request.path)")
        }
        return try file(path, name: segments.last.map(String.init) ?? "", request: request, key: key)
    }

    /// The request's path under the mount.
    private func relative(_ request: Request) -> String {
        String(request.path.dropFirst(min(mount.count, request.path.count)))
    }

    /// Where the request's path leads now, with the same refusals as an uncached request; nil when it is refused
    /// or does not exist.
    private func locate(_ request: Request) -> PathResolver.Resolved? {
        guard case .success(let segments) = resolver.segments(of: relative(request)) else { return nil }
        return resolver.resolve(segments)
    }

    /// A cached file's status now, or nil to drop the entry: gone, or its precompressed siblings changed (one made,
    /// removed or gone stale), which only the uncached path records.
    private func revalidate(_ entry: FileCache.Entry, _ request: Request) -> stat? {
        guard let found = locate(request) else { return nil }
        let variants = PrecompressedVariants.available(for: found.path, original: found.info)
        return variants == entry.variants ? found.info : nil
    }

    /// A cached variant's status now, or nil when it, or its freshness against the original, is gone.
    private func locateVariant(_ request: Request, _ coding: ContentCoding) -> stat? {
        guard let original = locate(request) else { return nil }
        var info = stat()
        guard lstat(original.path + coding.suffix, &info) == 0, info.st_mode & S_IFMT == S_IFREG,
              PrecompressedVariants.isFresh(info, comparedTo: original.info) else { return nil }
        return info
    }

    /// The coding to answer with among a file's `variants` (nil: the file itself), by `Accept-Encoding`. Parsed
    /// only for files that have variants, so other files pay nothing. 406 when the client refuses the file itself
    /// and accepts none of its variants.
    private func choose(_ variants: UInt8, _ request: Request) throws -> ContentCoding? {
        guard variants != 0 else { return nil }
        let accepted = AcceptEncoding(request.headers[.acceptEncoding])
        if let coding = PrecompressedVariants.choose(accepted, available: variants) { return coding }
        guard accepted.identityAllowed else {
            throw HTTPError(.notAcceptable, "no representation in an accepted coding",
                            headers: ["Vary": "Accept-Encoding"])
        }
        return nil
    }

    /// The response from a cache entry: its contents, or its open file. `varies` adds `Vary: Accept-Encoding`.
    private func cached(_ entry: FileCache.Entry, request: Request, varies: Bool) -> Response? {
        if let contents = entry.contents {
            // The usual request for a hot small file: the entry's fields and contents as they are, with no closure
            // made for `respond`.
            if !varies, Self.asksForWhole(request) {
                return Response(status: .ok, headers: entry.headers, body: contents.isEmpty ? .empty : .bytes(contents))
            }
            return respond(validators: entry.validators, headers: entry.headers, length: contents.count,
                           request: request, varies: varies) { lower, upper in
                lower == 0 && upper == contents.count - 1 ? .bytes(contents) : .bytes(Array(contents[lower...upper]))
            }
        }
        guard let descriptor = entry.descriptor else { return nil }
        return respond(validators: entry.validators, headers: entry.headers, length: entry.identity.size,
                       request: request, varies: varies) { lower, upper in
            .file(FileRegion(shared: descriptor, offset: lower, length: upper - lower + 1))
        }
    }

    /// A folder's index page or listing; without its trailing slash, a redirect to the folder's canonical path.
    private func directory(_ path: String, info: stat, segments: [Substring], request: Request) throws -> Response {
        guard request.path.hasSuffix("/") else {
            // 308 keeps the method; the query is kept too (RFC 9110 §15.4.9). The target is rebuilt from the
            // resolved segments, never from the path as sent: `//evil.example` must not become `Location:
            // //evil.example/`, which a browser reads as another host (an open redirect).
            let folder = segments.map { PercentEncoding.encodePath($0) + "/" }.joined()
            let location = PercentEncoding.encodePath(mount) + folder + (request.head.query.map { "?" + $0 } ?? "")
            var response = Response(status: .permanentRedirect)
            response.headers.add("Location", location)
            return response
        }
        var indexInfo = stat()
        let index = path + "/index.html"
        if stat(index, &indexInfo) == 0, indexInfo.st_mode & S_IFMT == S_IFREG {
            return try file(index, name: "index.html", request: request)
        }
        guard settings.directoryListing else {
            throw HTTPError(.forbidden, "directory listing is turned off")
        }
        let listing = listings.listing(request.path, info: info, now: MonotonicClock.milliseconds()) {
            DirectoryListing(path: path, urlPath: request.path, isRoot: request.path == mount, resolver: resolver).render()
        }
        var response = Response(status: .ok, contentType: "text/html; charset=utf-8",
                                bytes: listing.page(counters: counters))
        response.headers.add("Cache-Control", "no-cache")
        for (name, value) in extraHeaders { response.headers.add(name, value) }
        return response
    }

    private func file(_ path: String, name: String, request: Request, key: FileCache.Key? = nil) throws -> Response {
        var info = stat()
        guard let region = FileRegion.open(path: path, status: &info) else {
            throw HTTPError(.forbidden, "the file cannot be read")
        }
        // A cached entry records the variants even while they are off, so turning them on takes effect at once.
        let caching = key != nil && cache.isEnabled
        let variants = settings.precompressed || caching
            ? PrecompressedVariants.available(for: path, original: info) : 0
        let offered = settings.precompressed ? variants : 0
        let coding: ContentCoding?
        do {
            coding = try choose(offered, request)
        } catch {
            region.close()
            throw error
        }
        guard let coding, let (variant, variantInfo) = PrecompressedVariants.open(path, coding, original: info) else {
            return serve(region, info: info, path: path, name: name, coding: nil, variants: variants,
                         varies: offered != 0, key: key, request: request)
        }
        // The original is cached too (once): its entry carries the variants for the next request's choice.
        if caching {
            _ = serve(region, info: info, path: path, name: name, coding: nil, variants: variants, varies: true,
                      key: key, request: nil)
        }
        region.close()
        let variantKey = key.map { FileCache.Key(root: $0.root, path: $0.path, coding: coding.rawValue) }
        return serve(variant, info: variantInfo, path: path + coding.suffix, name: name, coding: coding,
                     variants: variants, varies: true, key: variantKey, request: request)
    }

    /// Answers `request` with the file open in `region` (the file `name`, or its `coding` variant), caching its
    /// header fields (and a small file's contents) under `key` with the original's `variants`. `varies` adds
    /// `Vary: Accept-Encoding`. Without a request it only caches.
    private func serve(_ region: FileRegion, info: stat, path: String, name: String, coding: ContentCoding?,
                       variants: UInt8, varies: Bool, key: FileCache.Key?, request: Request?) -> Response {
        let validators = Validators(size: region.length, modifiedSeconds: Int(info.st_mtim.tv_sec),
                                    modifiedNanoseconds: Int(info.st_mtim.tv_nsec), coding: coding)
        var headers = HTTPHeaders()
        headers.add("ETag", validators.etag)
        headers.add("Last-Modified", HTTPDate.format(validators.modified))
        headers.add("Accept-Ranges", "bytes")
        // A variant always varies: its field is part of its cached head. The original's is added per response,
        // while variants are on.
        if let coding {
            headers.add("Content-Encoding", coding.token)
            headers.add("Vary", "Accept-Encoding")
        }
        let varies = varies && coding == nil
        if let type = MIMETypes.type(forFileName: name) {
            headers.add("Content-Type", type)
        } else {
            headers.add("Content-Type", MIMETypes.fallback)
            headers.add("Content-Disposition", "attachment")
        }
        for (name, value) in extraHeaders { headers.add(name, value) }

        if let key, cache.isEnabled {
            // Kept only when the opened file is what the path check saw (not swapped in between).
            let small = region.length <= FileCache.maximumFileBytes
            let contents = small && region.length <= cache.capacity
                ? FileCache.readContents(region.fd, size: region.length) : nil
            // A larger file's entry keeps a descriptor of its own: this response's region closes when it is sent.
            let copy = small ? -1 : fcntl(region.fd, F_DUPFD_CLOEXEC, 0)
            let descriptor = copy >= 0 ? SharedFileDescriptor(taking: copy) : nil
            let entry = FileCache.Entry(path: path, identity: FileCache.Identity(info), validators: validators,
                                        headers: headers, contents: contents, descriptor: descriptor,
                                        checkedAt: MonotonicClock.coarseMilliseconds(), variants: variants)
            if contents != nil || descriptor != nil { cache.store(key, entry) }
            if let contents, let request {
                region.close()
                return respond(validators: validators, headers: headers, length: contents.count,
                               request: request, varies: varies) { lower, upper in
                    lower == 0 && upper == contents.count - 1 ? .bytes(contents) : .bytes(Array(contents[lower...upper]))
                }
            }
        }
        guard let request else { return Response(status: .ok) }
        return respond(validators: validators, headers: headers, length: region.length, request: request,
                       varies: varies, release: region.close) { lower, upper in
            .file(FileRegion(fd: region.fd, offset: lower, length: upper - lower + 1))
        }
    }

    /// The conditional and range logic shared by cached and uncached files: 304, 200, 206 or 416. `body` makes the
    /// body for bytes `lower...upper`; `release` frees what the body would have used when none is sent.
    private func respond(validators: Validators, headers: HTTPHeaders, length: Int, request: Request, varies: Bool,
                         release: () -> Void = {}, body: (Int, Int) -> Response.Body) -> Response {
        if !varies, Self.asksForWhole(request) {
            return whole(headers: headers, length: length, release: release, body: body)
        }
        let asked = request.headers
        var headers = headers
        // Whenever a file has variants its answer depends on Accept-Encoding, the original's too (RFC 9110 §12.5.5).
        if varies { headers.add("Vary", "Accept-Encoding") }
        if validators.notModified(asked) {
            release()
            return Response(status: .notModified, headers: headers)
        }
        let range = (request.method == .get || request.method == .head) && validators.rangeAllowed(asked)
            ? ByteRange.resolve(asked[.range], length: length) : .whole
        switch range {
        case .whole:
            return whole(headers: headers, length: length, release: release, body: body)
        case .partial(let lower, let upper):
            headers.add("Content-Range", "bytes \(lower)-\(upper)/\(length)")
            return Response(status: .partialContent, headers: headers, body: body(lower, upper))
        case .unsatisfiable:
            release()
            headers.add("Content-Range", "bytes */\(length)")
            return Response(status: .rangeNotSatisfiable, headers: headers)
        }
    }

    /// True when a request asks for neither a validation nor a part (most do): the conditional and range checks
    /// of `respond` then come to the whole file with its fields as they are. Asked of the request, which reads
    /// its fields in place (`headers` is a copy of the set).
    private static func asksForWhole(_ request: Request) -> Bool {
        !request.hasField(.ifNoneMatch) && !request.hasField(.ifModifiedSince) && !request.hasField(.range)
    }

    /// 200 with the whole file (an empty one has no body to make).
    private func whole(headers: HTTPHeaders, length: Int, release: () -> Void,
                       body: (Int, Int) -> Response.Body) -> Response {
        guard length > 0 else {
            release()
            return Response(status: .ok, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: body(0, length - 1))
    }
}
