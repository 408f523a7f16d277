/// Every setting of the server, in the order `config` lists them. To add one: append a `Setting` here with its
/// flag name, how to read and write it on `ApplicationConfiguration` (the server's or the site's part), and (if it can change live) what `adopt` does
/// to the running server; the command line, `config` and the settings file then know it.
public enum Settings {
    public static let all: [Setting] = [
        Setting("port", environment: ["SERVER_PORT"], read: { String($0.port) }, write: { config, text in
            apply(SettingValue.integer(text, 0...65535)) { config.port = UInt16($0) }
        }),
        Setting("host", environment: ["SERVER_HOST"], read: { $0.host }, write: { config, text in
            config.host = text
            return nil
        }),
        Setting("root", read: { $0.root }, write: { config, text in
            config.root = text
            return nil
        }),
        Setting("uploads", read: { $0.uploads }, write: { config, text in
            config.uploads = text
            return nil
        }),
        Setting("workers", environment: ["MAX_WORKERS"], read: { String($0.workers) }, write: { config, text in
            apply(SettingValue.integer(text, ServerConfiguration.workerRange)) { config.workers = $0 }
        }, adopt: { config, targets in targets.server.resizeWorkers(to: config.workers) }),
        Setting("dir-listing", read: { $0.directoryListing ? "on" : "off" }, write: { config, text in
            apply(SettingValue.onOff(text)) { config.directoryListing = $0 }
        }, adopt: { config, targets in targets.context.settings.directoryListing = config.directoryListing }),
        Setting("precompressed", read: { $0.precompressed ? "on" : "off" }, write: { config, text in
            apply(SettingValue.onOff(text)) { config.precompressed = $0 }
        }, adopt: { config, targets in targets.context.settings.precompressed = config.precompressed }),
        Setting("cors", environment: ["CORS_ORIGINS"], read: { $0.cors?.description ?? "off" }, write: { config, text in
            if text.lowercased() == "off" {
                config.cors = nil
                return nil
            }
            guard let origins = CORSMiddleware.AllowedOrigins(parsing: text) else {
                return "'\(text)' is not off, * or origins such as https://app.example,http://localhost:3000"
            }
            config.cors = origins
            return nil
        }, adopt: { config, targets in targets.context.settings.cors.current = config.cors }),
        Setting("log-level", environment: ["LOG_LEVEL"], read: { $0.logLevel.description }, write: { config, text in
            apply(SettingValue.level(text)) { config.logLevel = $0 }
        }, adopt: { config, targets in targets.context.logger.level = config.logLevel }),
        Setting("rate-limit", environment: ["RATE_LIMIT_REQUESTS", "RATE_LIMIT_WINDOW"],
                read: { SettingValue.rateLimitText($0.rateLimit) }, write: { config, text in
            apply(SettingValue.rateLimit(text)) { config.rateLimit = $0 }
        }, adopt: { config, targets in targets.limiter.set(config.rateLimit) }),
        Setting("idle-timeout", read: { String($0.idleTimeoutSeconds) }, write: { config, text in
            apply(SettingValue.integer(text, 1...86_400)) { config.idleTimeoutSeconds = $0 }
        }, adopt: { config, targets in targets.context.limits.idleTimeoutSeconds = config.idleTimeoutSeconds }),
        Setting("header-timeout", environment: ["CLIENT_TIMEOUT"], read: { String($0.headerTimeoutSeconds) },
                write: { config, text in
            apply(SettingValue.integer(text, 1...3600)) { config.headerTimeoutSeconds = $0 }
        }, adopt: { config, targets in targets.context.limits.headerTimeoutSeconds = config.headerTimeoutSeconds }),
        Setting("body-timeout", read: { String($0.bodyTimeoutSeconds) }, write: { config, text in
            apply(SettingValue.integer(text, 1...3600)) { config.bodyTimeoutSeconds = $0 }
        }, adopt: { config, targets in targets.context.limits.bodyTimeoutSeconds = config.bodyTimeoutSeconds }),
        Setting("max-requests", read: { String($0.maxRequestsPerConnection) }, write: { config, text in
            apply(SettingValue.integer(text, 1...1_000_000)) { config.maxRequestsPerConnection = $0 }
        }, adopt: { config, targets in
            targets.context.limits.maxRequestsPerConnection = config.maxRequestsPerConnection
        }),
        Setting("max-connections", read: { $0.maxConnections.map(String.init) ?? "auto" }, write: { config, text in
            if text == "auto" {
                config.maxConnections = nil
                return nil
            }
            return apply(SettingValue.integer(text, 1...10_000_000, or: "auto")) { config.maxConnections = $0 }
        }, adopt: { config, targets in
            // `auto` keeps the limit sized from the descriptors at start.
            if let limit = config.maxConnections { targets.context.limits.maxConnections = limit }
        }),
        Setting("max-connections-per-ip", read: { $0.maxConnectionsPerClient.map(String.init) ?? "off" },
                write: { config, text in
            if text == "off" {
                config.maxConnectionsPerClient = nil
                return nil
            }
            return apply(SettingValue.integer(text, 1...10_000_000, or: "off")) {
                config.maxConnectionsPerClient = $0
            }
        }, adopt: { config, targets in
            targets.context.limits.maxConnectionsPerClient = config.maxConnectionsPerClient
        }),
        Setting("rate-limit-ipv6-prefix", read: { String($0.rateLimitIPv6Prefix) }, write: { config, text in
            apply(SettingValue.integer(text, RateLimiter.ipv6PrefixRange)) { config.rateLimitIPv6Prefix = $0 }
        }, adopt: { config, targets in targets.limiter.ipv6PrefixLength = config.rateLimitIPv6Prefix }),
        Setting("max-upload", read: { SettingValue.sizeText($0.maxUploadBytes) }, write: { config, text in
            apply(SettingValue.size(text)) { config.maxUploadBytes = $0 }
        }, adopt: { config, targets in targets.context.limits.upload.value = config.maxUploadBytes }),
        Setting("uploads-quota", read: { $0.uploadsQuotaBytes.map(SettingValue.sizeText) ?? "off" },
                write: { config, text in
            if text.lowercased() == "off" {
                config.uploadsQuotaBytes = nil
                return nil
            }
            return apply(SettingValue.size(text, or: "off")) { config.uploadsQuotaBytes = $0 }
        }, adopt: { config, targets in targets.context.uploads.quotaBytes = config.uploadsQuotaBytes }),
        Setting("file-cache", read: { SettingValue.sizeText($0.fileCacheBytes) }, write: { config, text in
            if text == "0" || text == "off" {
                config.fileCacheBytes = 0
                return nil
            }
            return apply(SettingValue.size(text, or: "off")) { config.fileCacheBytes = $0 }
        }),
        Setting("shutdown-grace", read: { String($0.shutdownGraceSeconds) }, write: { config, text in
            apply(SettingValue.integer(text, Command.shutdownGraceRange)) { config.shutdownGraceSeconds = $0 }
        }, adopt: { config, targets in targets.context.limits.shutdownGraceSeconds = config.shutdownGraceSeconds }),
        Setting("allowed-hosts", read: { $0.allowedHosts?.joined(separator: ",") ?? "default" },
                write: { config, text in
            let names = text.split(separator: ",").map { String($0.filter { $0 != " " }) }.filter { !$0.isEmpty }
            guard text != "default" else {
                config.allowedHosts = nil
                return nil
            }
            guard !names.isEmpty else { return "give host names separated by commas, * for any, or default" }
            config.allowedHosts = names
            return nil
        }, adopt: { config, targets in
            targets.context.limits.allowHosts(config.allowedHosts, bindHost: config.host)
        }),
        Setting("access-log", read: { config in
            switch config.accessLog {
            case .off: "off"
            case .logger: "-"
            case .file(let path): path
            }
        }, write: { config, text in
            config.accessLog = text == "off" ? .off : text == "-" ? .logger : .file(text)
            return nil
        }),
        Setting("log-format", read: { $0.accessLogFormat.rawValue }, write: { config, text in
            guard let format = AccessLog.Format(rawValue: text) else { return "'\(text)' is not combined or json" }
            config.accessLogFormat = format
            return nil
        }, adopt: { config, targets in targets.context.accessLog.format = config.accessLogFormat }),
        Setting("metrics-path", read: { $0.metricsPath ?? "off" }, write: { config, text in
            guard text == "off" || text.hasPrefix("/") else { return "'\(text)' must start with / (or be off)" }
            config.metricsPath = text == "off" ? nil : text
            return nil
        }),
    ]

    /// The setting named `name` (the long flag without dashes).
    public static func named(_ name: String) -> Setting? {
        all.first { $0.name == name }
    }

    private static func apply<T>(_ parsed: Result<T, SettingValue.Problem>, _ store: (T) -> Void) -> String? {
        switch parsed {
        case .success(let value):
            store(value)
            return nil
        case .failure(let problem):
            return problem.message
        }
    }
}
