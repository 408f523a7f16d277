import Glibc

/// A small text file read whole: a settings file, a fleet's list of control sockets. Bounded, because a path
/// given by mistake (a log, a device) must be refused, not read into memory.
public enum TextFile {
    /// Why the file could not be read, with its path.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The UTF-8 text of `path`, refused beyond `maximumBytes`.
    public static func read(_ path: String, maximumBytes: Int) throws(Failure) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(description: "\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            data += chunk[..<count]
            guard data.count <= maximumBytes else {
                throw Failure(description: "\(path): larger than \(maximumBytes / 1024) KiB")
            }
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw Failure(description: "\(path): not UTF-8 text")
        }
        return text
    }
}
