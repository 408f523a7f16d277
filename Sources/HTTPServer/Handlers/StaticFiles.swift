import Glibc

/// Serves files from a folder: index pages, redirects for directories without a slash, validators and 304,
/// single ranges with 206/416, directory listings with request counts, and nothing outside the root.
public struct StaticFiles: Sendable {
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
    public init?(root: String, mount: String = "/", settings: LiveSettings, counters: RequestCounters,
                 extraHeaders: HTTPHeaders = HTTPHeaders(), cache: FileCache = FileCache(capacity: 0)) {
        guard let resolver = PathResolver(root: root) else { return nil }
        self.resolver = resolver
        self.mount = mount.hasSuffix("/") ? mount : mount + "/"
        self.settings = settings
        self.counters = counters
        self.extraHeaders = extraHeaders
        self.cache = cache
        cacheRoot = cache.register(root: resolver.root)
        listings = ListingCache(revalidateMilliseconds: cache.isEnabled ? cache.revalidateMilliseconds : 0)
    }

    /// The handler for GET (and so HEAD) on `mount` + `*path`.
    public func handle(_ request: Request) throws -> Response {
        guard request.path.utf8.starts(with: mount.utf8) || request.path + "/" == mount else {
            throw HTTPError(.notFound, "nothing at \(request.path)")
        }
        let key = FileCache.Key(root: cacheRoot, path: request.path)
        if let entry = cache.lookup(key, now: MonotonicClock.milliseconds(), revalidate: { locate(request)?.info }),
           let response = cached(entry, key: key, request: request) {
            return response
        }
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
            return try directory(path, info: info, request: request)
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw HTTPError(.notFound, "nothing at \(request.path)") }
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

    /// The response from a cache entry; nil when a large file's descriptor no longer leads to the checked inode
    /// (the caller then takes the uncached path).
    private func cached(_ entry: FileCache.Entry, key: FileCache.Key, request: Request) -> Response? {
        if let contents = entry.contents {
            return respond(validators: entry.validators, headers: entry.headers, length: contents.count,
                           request: request) { lower, upper in
                lower == 0 && upper == contents.count - 1 ? .bytes(contents) : .bytes(Array(contents[lower...upper]))
            }
        }
        var info = stat()
        let fd = open(entry.path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            cache.remove(key, entry)
            return nil
        }
        guard fstat(fd, &info) == 0, FileCache.Identity(info) == entry.identity else {
            Glibc.close(fd)
            cache.remove(key, entry)
            return nil
        }
        let region = FileRegion(fd: fd, offset: 0, length: Int(info.st_size))
        return respond(validators: entry.validators, headers: entry.headers, length: region.length,
                       request: request, release: region.close) { lower, upper in
            .file(FileRegion(fd: fd, offset: lower, length: upper - lower + 1))
        }
    }

    private func directory(_ path: String, info: stat, request: Request) throws -> Response {
        guard request.path.hasSuffix("/") else {
            // 308 keeps the method; the query is kept too (RFC 9110 §15.4.9).
            let location = PercentEncoding.encodePath(request.path + "/") + (request.head.query.map { "?" + $0 } ?? "")
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
            DirectoryListing(path: path, urlPath: request.path, isRoot: request.path == mount).render()
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
        let available = settings.precompressed ? PrecompressedVariants.available(for: path, original: info) : 0
        var coding: ContentCoding?
        if available != 0 {
            let accepted = AcceptEncoding(request.headers["Accept-Encoding"])
            if let chosen = PrecompressedVariants.choose(accepted, available: available),
               let (variant, variantInfo) = PrecompressedVariants.open(path, chosen, original: info) {
                region.close()
                (region, info, coding) = (variant, variantInfo, chosen)
            } else if !accepted.identityAllowed {
                region.close()
                throw HTTPError(.notAcceptable, "no representation in an accepted coding",
                                headers: ["Vary": "Accept-Encoding"])
            }
        }
        let validators = Validators(size: region.length, modifiedSeconds: Int(info.st_mtim.tv_sec),
                                    modifiedNanoseconds: Int(info.st_mtim.tv_nsec), coding: coding)
        var headers = HTTPHeaders()
        if let coding { headers.add("Content-Encoding", coding.token) }
        // Whenever a variant exists the answer depends on Accept-Encoding, the original's too.
        if available != 0 { headers.add("Vary", "Accept-Encoding") }
        headers.add("ETag", validators.etag)
        headers.add("Last-Modified", HTTPDate.format(validators.modified))
        headers.add("Accept-Ranges", "bytes")
        if let type = MIMETypes.type(forFileName: name) {
            headers.add("Content-Type", type)
        } else {
            headers.add("Content-Type", MIMETypes.fallback)
            headers.add("Content-Disposition", "attachment")
        }
        for (name, value) in extraHeaders { headers.add(name, value) }

        if let key, cache.isEnabled {
            // Kept only when the opened file is what the path check saw (not swapped in between).
            let contents = region.length <= FileCache.maximumFileBytes && region.length <= cache.capacity
                ? FileCache.readContents(region.fd, size: region.length) : nil
            let entry = FileCache.Entry(path: path, identity: FileCache.Identity(info), validators: validators,
                                        headers: headers, contents: contents,
                                        checkedAt: MonotonicClock.milliseconds())
            if region.length > FileCache.maximumFileBytes || contents != nil { cache.store(key, entry) }
            if let contents {
                region.close()
                return respond(validators: validators, headers: headers, length: contents.count,
                               request: request) { lower, upper in
                    lower == 0 && upper == contents.count - 1 ? .bytes(contents) : .bytes(Array(contents[lower...upper]))
                }
            }
        }
        return respond(validators: validators, headers: headers, length: region.length, request: request,
                       release: region.close) { lower, upper in
            .file(FileRegion(fd: region.fd, offset: lower, length: upper - lower + 1))
        }
    }

    /// The conditional and range logic shared by cached and uncached files: 304, 200, 206 or 416. `body` makes the
    /// body for bytes `lower...upper`; `release` frees what the body would have used when none is sent.
    private func respond(validators: Validators, headers: HTTPHeaders, length: Int, request: Request,
                         release: () -> Void = {}, body: (Int, Int) -> Response.Body) -> Response {
        var headers = headers
        if validators.notModified(request.headers) {
            release()
            return Response(status: .notModified, headers: headers)
        }
        let range = (request.method == .get || request.method == .head) && validators.rangeAllowed(request.headers)
            ? ByteRange.resolve(request.headers["Range"], length: length) : .whole
        switch range {
        case .whole:
            guard length > 0 else {
                release()
                return Response(status: .ok, headers: headers)
            }
            return Response(status: .ok, headers: headers, body: body(0, length - 1))
        case .partial(let lower, let upper):
            headers.add("Content-Range", "bytes \(lower)-\(upper)/\(length)")
            return Response(status: .partialContent, headers: headers, body: body(lower, upper))
        case .unsatisfiable:
            release()
            headers.add("Content-Range", "bytes */\(length)")
            return Response(status: .rangeNotSatisfiable, headers: headers)
        }
    }
}
