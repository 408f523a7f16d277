import Glibc

/// A file-system call on the uploads folder failed for a reason the client cannot fix (permissions, I/O).
/// The pipeline logs it with the request id and answers a plain 500; a full disk or quota is a 507 instead.
struct UploadStorageError: Error, CustomStringConvertible {
    /// The call and its path, e.g. `link /srv/uploads/a.txt`.
    let call: String
    let code: Int32

    var description: String { "\(call): \(String(cString: strerror(code)))" }

    /// The error to throw after `call` failed with `code`: 507 when the disk or the quota is full.
    static func failure(_ call: String, _ code: Int32) -> any Error {
        if code == ENOSPC || code == EDQUOT {
            return HTTPError(.insufficientStorage, "the server has no room left to store this upload")
        }
        return UploadStorageError(call: call, code: code)
    }
}
