import Foundation
import Glibc

/// A fresh folder under `/tmp` for one test, with helpers to lay out files, folders and symbolic links in it.
///
/// ```swift
/// let folder = try TemporaryDirectory()
/// defer { folder.remove() }
/// try folder.write("site/index.html", "<h1>hi</h1>")
/// ```
public final class TemporaryDirectory: Sendable {
    /// Why a folder or file could not be made.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The folder's absolute path (no trailing slash).
    public let path: String

    /// Creates `/tmp/httpsh-tests-XXXXXX`.
    public init(prefix: String = "httpsh-tests") throws {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw Failure(description: "mkdtemp failed: errno \(errno)")
        }
        path = String(cString: made)
    }

    /// The absolute path of `relative` inside the folder.
    public func path(_ relative: String) -> String {
        relative.isEmpty ? path : path + "/" + relative
    }

    /// Writes `contents` to `relative`, creating the folders above it.
    public func write(_ relative: String, _ contents: String) throws {
        try write(relative, bytes: Array(contents.utf8))
    }

    /// Writes raw bytes to `relative`, creating the folders above it.
    public func write(_ relative: String, bytes: [UInt8]) throws {
        let full = path(relative)
        try createFolder(atAbsolute: (full as NSString).deletingLastPathComponent)
        guard FileManager.default.createFile(atPath: full, contents: Data(bytes)) else {
            throw Failure(description: "cannot write \(full)")
        }
    }

    /// Creates the folder `relative` (and the folders above it).
    public func makeDirectory(_ relative: String) throws {
        try createFolder(atAbsolute: path(relative))
    }

    /// Creates a symbolic link at `relative` pointing to `target` (absolute, or relative to the link).
    public func symlink(_ relative: String, to target: String) throws {
        guard Glibc.symlink(target, path(relative)) == 0 else {
            throw Failure(description: "symlink \(relative) -> \(target) failed: errno \(errno)")
        }
    }

    /// Sets the modification (and access) time of `relative` to `seconds` since the epoch.
    public func setModified(_ relative: String, seconds: Int) throws {
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        guard utimensat(AT_FDCWD, path(relative), &times, 0) == 0 else {
            throw Failure(description: "utimensat \(relative) failed: errno \(errno)")
        }
    }

    /// Deletes the folder and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    private func createFolder(atAbsolute full: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        } catch {
            throw Failure(description: "cannot create \(full): \(error)")
        }
    }
}
