import Glibc

/// Where a server's control socket lives. By default a per-user runtime folder and a name from the port, so
/// `httpsh attach --port 8080` finds it: `$XDG_RUNTIME_DIR/httpsh/8080.sock`, else `/run/httpsh/` for root and
/// `/tmp/httpsh-UID/` for others. Several servers on one port (`--reuse-port`) tell theirs apart with an
/// instance name: `8080-NAME.sock`.
public enum ControlPath {
    /// Why no socket path could be used.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The folder the default sockets live in, for this user and environment.
    public static func defaultFolder(environment: [String: String]) -> String {
        if let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/") { return runtime + "/httpsh" }
        let uid = geteuid()
        return uid == 0 ? "/run/httpsh" : "/tmp/httpsh-\(uid)"
    }

    /// The default socket of the server on `port` (named `instance`, when several share the port).
    public static func defaultPath(port: UInt16, instance: String?, environment: [String: String]) -> String {
        defaultFolder(environment: environment) + "/" + fileName(port: port, instance: instance)
    }

    static func fileName(port: UInt16, instance: String?) -> String {
        instance.map { "\(port)-\($0).sock" } ?? "\(port).sock"
    }

    /// True for an instance name that is safe in a file name: letters, digits, `.`, `_` and `-`, 1 to 32 of them.
    public static func isValidInstance(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 32 && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)
                || $0 == "." || $0 == "_" || $0 == "-") }
    }

    /// The socket `httpsh attach --port N` means: `N.sock` when it exists, else the one `N-NAME.sock` there is.
    /// Several instances on the port and none named: an error that lists them.
    public static func find(port: UInt16, instance: String?, environment: [String: String]) throws(Failure) -> String {
        let folder = defaultFolder(environment: environment)
        let exact = folder + "/" + fileName(port: port, instance: instance)
        if instance != nil || access(exact, F_OK) == 0 { return exact }
        let instances = socketNames(in: folder).compactMap { name -> String? in
            guard name.hasPrefix("\(port)-"), name.hasSuffix(".sock") else { return nil }
            return String(name.dropFirst("\(port)-".count).dropLast(".sock".count))
        }.sorted()
        switch instances.count {
        case 0: return exact
        case 1: return folder + "/" + fileName(port: port, instance: instances[0])
        default:
            throw Failure(description: "several httpsh serve port \(port) (\(instances.joined(separator: ", "))); "
                + "choose one with --instance NAME")
        }
    }

    private static func socketNames(in folder: String) -> [String] {
        guard let directory = opendir(folder) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            names.append(name)
        }
        return names
    }

    /// Makes the socket's folder when it is missing (0700). The default folder must belong to this user and be
    /// private (it is made so when it belongs to us): another user's folder could hold a socket that is not ours.
    static func prepareFolder(of path: String, isDefault: Bool) throws(Failure) {
        guard let slash = path.lastIndex(of: "/") else { return }
        let folder = slash == path.startIndex ? "/" : String(path[..<slash])
        if mkdir(folder, 0o700) != 0, errno != EEXIST {
            throw Failure(description: "cannot create \(folder): \(String(cString: strerror(errno)))")
        }
        guard isDefault else { return }
        var info = stat()
        guard lstat(folder, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw Failure(description: "\(folder) is not a folder")
        }
        guard info.st_uid == geteuid() else {
            throw Failure(description: "\(folder) belongs to uid \(info.st_uid), not to this user; use --control PATH")
        }
        if info.st_mode & 0o077 != 0 { chmod(folder, 0o700) }
    }
}
