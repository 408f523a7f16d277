/// The routes of httpsh itself, built from the same public pieces an embedding program uses.
public enum StandardRoutes {
    /// Uploaded files are served as data, never as active content: `nosniff` keeps browsers to the declared type,
    /// and a sandboxing CSP stops an uploaded HTML or SVG page from running scripts on this origin.
    static let uploadHeaders: HTTPHeaders = [
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox",
    ]

    /// Static files from `site.root` at `/`, `POST /upload` into the context's upload store, the uploads at
    /// `/uploads/`, and health checks. Prepares the upload store (creating its folder, sweeping temporary files a
    /// crash left). Fails when the root does not exist, the uploads folder cannot be made, the root lies inside
    /// the uploads folder, or the context's store is on another folder than `site.uploads` (make the context with
    /// `ServerContext(configuration:site:logger:)`).
    ///
    /// Uploaded files come out of `/uploads/` only, with `uploadHeaders`: when the uploads folder lies inside the
    /// root (`httpsh -d .`), the root's handler treats it as absent, whatever the URL's spelling or the links
    /// leading there, and its listings leave it out.
    public static func router(site: SiteConfiguration, context: ServerContext) throws -> Router {
        guard context.uploads.folder == site.uploads else {
            throw Server.StartError(description: "the context's upload store is on '\(context.uploads.folder)', not "
                + "'\(site.uploads)': create it with ServerContext(configuration:site:logger:)")
        }
        guard let siteRoot = PathResolver(root: site.root)?.root
        else { throw Server.StartError(description: "web root '\(site.root)' does not exist") }
        do {
            let swept = try context.uploads.prepare()
            if swept > 0 { context.logger.info("removed \(swept) unfinished upload(s) from \(site.uploads)") }
        } catch {
            throw Server.StartError(description: "uploads folder '\(site.uploads)': \(error)")
        }
        guard let uploads = StaticFiles(root: site.uploads, mount: "/uploads/", settings: context.settings,
                                        counters: context.counters, extraHeaders: uploadHeaders,
                                        cache: context.fileCache)
        else { throw Server.StartError(description: "uploads folder '\(site.uploads)' does not exist") }
        let uploadsRoot = uploads.resolver.root
        if siteRoot == uploadsRoot || siteRoot.hasPrefix(uploadsRoot == "/" ? "/" : uploadsRoot + "/") {
            throw Server.StartError(description: "web root '\(site.root)' lies inside the uploads folder "
                + "'\(site.uploads)': every upload would be served as part of the site; serve another folder")
        }
        guard let siteFiles = StaticFiles(root: siteRoot, settings: context.settings, counters: context.counters,
                                          cache: context.fileCache, excluding: [uploadsRoot])
        else { throw Server.StartError(description: "web root '\(site.root)' does not exist") }
        var router = Router()
        router.get("/healthz", Health.live)
        router.get("/readyz", Health.ready(context))
        UploadEndpoint(store: context.uploads, limit: context.limits.upload).register(on: &router)
        // Closures rather than method references (`siteFiles.handle`): those reach the handler through three
        // thunks on every request.
        router.get("/uploads/*path") { try uploads.handle($0) }
        router.get("/*path") { try siteFiles.handle($0) }
        return router
    }
}
