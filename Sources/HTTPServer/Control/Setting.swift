/// One server setting: its name (the long flag's, `max-upload`), how its value is read and written as text (as
/// the flag takes it), and, when it can change while the server runs, how the running server adopts it.
/// `config`, `config get/set/save`, the settings file and the command line all go through these, so each setting
/// is described once (`Settings.all`).
public struct Setting: Sendable {
    /// Where a setting's current value came from. Later sources win: default < file < env < flag < live.
    public enum Source: String, Sendable, Comparable {
        case `default`, file, env, flag, live

        public static func < (a: Source, b: Source) -> Bool {
            allCases.firstIndex(of: a) ?? 0 < allCases.firstIndex(of: b) ?? 0
        }

        static let allCases: [Source] = [.default, .file, .env, .flag, .live]
    }

    /// What a live setting changes in the running server.
    public struct Targets: Sendable {
        let server: Server
        var context: ServerContext { server.context }
        var limiter: RateLimiter { server.context.limiter }
    }

    /// The long flag's name without dashes.
    public let name: String
    /// Environment variables that set it, as the README lists them.
    public let environment: [String]
    /// Whether `config set` may change it while the server runs (else it applies at the next start).
    public var live: Bool { adopt != nil }
    /// The value in `configuration`, as the flag takes it (`64M`, `10/1 burst 20`, `off`).
    public let read: @Sendable (ApplicationConfiguration) -> String
    /// Parses `text` as the flag does into `configuration`; the error says what is accepted (without the name).
    public let write: @Sendable (inout ApplicationConfiguration, String) -> String?
    /// Makes the running server use `configuration`'s value.
    let adopt: (@Sendable (ApplicationConfiguration, Targets) -> Void)?

    init(_ name: String, environment: [String] = [],
         read: @escaping @Sendable (ApplicationConfiguration) -> String,
         write: @escaping @Sendable (inout ApplicationConfiguration, String) -> String?,
         adopt: (@Sendable (ApplicationConfiguration, Targets) -> Void)? = nil) {
        self.name = name
        self.environment = environment
        self.read = read
        self.write = write
        self.adopt = adopt
    }
}
