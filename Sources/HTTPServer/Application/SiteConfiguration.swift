/// What httpsh's own routes (`StandardRoutes`) serve and where they store uploads: the web root, the uploads
/// folder and the upload route's limits.
///
/// Not part of `ServerConfiguration`, because `Server` serves no folder and takes no upload by itself: a program
/// embedding it gets the routes it mounts and nothing else (above all, no write endpoint it did not ask for), so a
/// folder set on the server's configuration would have been a promise the server does not keep. A program that
/// wants httpsh's routes creates the context with `ServerContext(configuration:site:logger:)` (its upload store
/// on `uploads`, with `uploadsQuotaBytes` and `maxUploadBytes`) and mounts `StandardRoutes.router(site:context:)`.
public struct SiteConfiguration: Sendable, Equatable {
    /// The folder served as `/` (and shown by `status`).
    public var root = "public"
    /// The folder uploads are stored in and served from as `/uploads/`; the shell's `uploads` lists it.
    public var uploads = "uploads"
    /// The body limit of `POST /upload`: a form of a few photos fits; kept live in `context.limits.upload`
    /// (`config set max-upload`).
    public var maxUploadBytes = 64 << 20
    /// The most the uploads folder may hold, in bytes (507 beyond); nil for no limit. Off by default: the right
    /// size depends on the disk and on what the folder already holds (a guessed default could refuse every upload
    /// to a folder an upgrade finds fuller than that), and a full disk is already answered 507 without harm.
    public var uploadsQuotaBytes: Int?

    public init() {}
}

extension ServerContext {
    /// The live state for `configuration`, with an upload store that no route of the library uses unless the
    /// program mounts one on it (`UploadEndpoint(store: context.uploads, limit: context.limits.upload)`): its
    /// folder, `./uploads`, is not touched until such a route prepares it.
    public convenience init(configuration: ServerConfiguration, logger: Logger) throws(AccessLog.OpenError) {
        try self.init(configuration: configuration, site: SiteConfiguration(), logger: logger)
    }

    /// The live state for `configuration`, with the upload store on `site.uploads` (its quota
    /// `site.uploadsQuotaBytes`) and the upload limit `site.maxUploadBytes`, for `StandardRoutes.router(site:context:)`.
    public convenience init(configuration: ServerConfiguration, site: SiteConfiguration,
                            logger: Logger) throws(AccessLog.OpenError) {
        try self.init(configuration: configuration, logger: logger, uploadsFolder: site.uploads,
                      maxUploadBytes: site.maxUploadBytes, uploadsQuotaBytes: site.uploadsQuotaBytes)
    }
}
