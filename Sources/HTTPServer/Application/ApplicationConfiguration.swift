/// Everything httpsh runs with, as one value: the server's configuration and its site's. The command line, the
/// settings file, `config` and `status` read and write this (`Settings.all`), so each setting names one member
/// whichever part it belongs to: the members of both parts are reached directly (`configuration.port`,
/// `configuration.root`).
@dynamicMemberLookup
public struct ApplicationConfiguration: Sendable {
    /// What `Server` (with its context) uses.
    public var server: ServerConfiguration
    /// What httpsh's own routes use.
    public var site: SiteConfiguration

    public init(server: ServerConfiguration = ServerConfiguration(), site: SiteConfiguration = SiteConfiguration()) {
        self.server = server
        self.site = site
    }

    public subscript<Value>(dynamicMember member: WritableKeyPath<ServerConfiguration, Value>) -> Value {
        get { server[keyPath: member] }
        set { server[keyPath: member] = newValue }
    }

    public subscript<Value>(dynamicMember member: WritableKeyPath<SiteConfiguration, Value>) -> Value {
        get { site[keyPath: member] }
        set { site[keyPath: member] = newValue }
    }
}
