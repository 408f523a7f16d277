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

    /// Serves `root` under `mount`; nil when the root does not exist.
    public init?(root: String, mount: String = "/", settings: LiveSettings, counters: RequestCounters,
                 extraHeaders: HTTPHeaders = HTTPHeaders()) {
        guard let resolver = PathResolver(root: root) else { return nil }
        self.resolver = resolver
        self.mount = mount.hasSuffix("/") ? mount : mount + "/"
        self.settings = settings
        self.counters = counters
        self.extraHeaders = extraHeaders
    }

    /// The handler for GET (and so HEAD) on `mount` + `*path`.
    public func handle(_ request: Request) throws -> Response {
        guard request.path.hasPrefix(mount) || request.path + "/" == mount else {
            throw HTTPError(.notFound, "nothing at \(request.path)")
        }
        let relative = String(request.path.dropFirst(min(mount.count, request.path.count)))
        let segments: [Substring]
        switch resolver.segments(of: relative) {
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
            return try directory(path, request: request)
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw HTTPError(.notFound, "nothing at \(request.path)") }
        return try file(path, name: segments.last.map(String.init) ?? "", request: request)
    }

    private func directory(_ path: String, request: Request) throws -> Response {
        guard request.path.hasSuffix("/") else {
            // 308 keeps the method; the query is kept too (RFC 9110 §15.4.9).
            let location = PercentEncoding.encodePath(request.path + "/") + (request.head.query.map { "?" + $0 } ?? "")
            var response = Response(status: .permanentRedirect)
            response.headers.add("Location", location)
            return response
        }
        var info = stat()
        let index = path + "/index.html"
        if stat(index, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
            return try file(index, name: "index.html", request: request)
        }
        guard settings.directoryListing else {
            throw HTTPError(.forbidden, "directory listing is turned off")
        }
        let page = DirectoryListing(path: path, urlPath: request.path, isRoot: request.path == mount,
                                    counters: counters).html()
        var response = Response(status: .ok, contentType: "text/html; charset=utf-8", bytes: Array(page.utf8))
        response.headers.add("Cache-Control", "no-cache")
        for (name, value) in extraHeaders { response.headers.add(name, value) }
        return response
    }

    private func file(_ path: String, name: String, request: Request) throws -> Response {
        var info = stat()
        guard var region = FileRegion.open(path: path, status: &info) else {
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

        if validators.notModified(request.headers) {
            region.close()
            return Response(status: .notModified, headers: headers)
        }
        guard request.method == .get || request.method == .head, validators.rangeAllowed(request.headers) else {
            return Response(status: .ok, headers: headers, body: .file(region))
        }
        switch ByteRange.resolve(request.headers["Range"], length: region.length) {
        case .whole:
            return Response(status: .ok, headers: headers, body: .file(region))
        case .partial(let lower, let upper):
            headers.add("Content-Range", "bytes \(lower)-\(upper)/\(region.length)")
            region.offset = lower
            region.length = upper - lower + 1
            return Response(status: .partialContent, headers: headers, body: .file(region))
        case .unsatisfiable:
            region.close()
            headers.add("Content-Range", "bytes */\(region.length)")
            return Response(status: .rangeNotSatisfiable, headers: headers)
        }
    }
}
