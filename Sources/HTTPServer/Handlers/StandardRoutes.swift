/// The routes of httpsh itself, built from the same public pieces an embedding program uses.
public enum StandardRoutes {
    /// Static files from the root at `/`, uploads at `/uploads/`, and health checks. Fails when the root
    /// folder does not exist.
    public static func router(configuration: ServerConfiguration, context: ServerContext) throws -> Router {
        guard let site = StaticFiles(root: configuration.root, settings: context.settings, counters: context.counters)
        else { throw Server.StartError(description: "web root '\(configuration.root)' does not exist") }
        var router = Router()
        router.defaultBodyLimit = configuration.maxBodyBytes
        router.get("/healthz", Health.live)
        router.get("/readyz", Health.ready(context))
        if let uploads = StaticFiles(root: configuration.uploads, mount: "/uploads/", settings: context.settings,
                                     counters: context.counters,
                                     extraHeaders: ["X-Content-Type-Options": "nosniff"]) {
            router.get("/uploads/*path", uploads.handle)
        }
        router.get("/*path", site.handle)
        return router
    }
}
