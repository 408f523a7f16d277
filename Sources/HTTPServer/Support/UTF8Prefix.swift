import Glibc

extension StringProtocol {
    /// True when the string's UTF-8 bytes begin with `prefix`'s, compared as bytes (no Unicode normalisation):
    /// for paths and header values, where the generic `utf8.starts(with:)` walks index by index and cost more
    /// than the rest of the check on every request.
    func hasUTF8Prefix(_ prefix: some StringProtocol) -> Bool {
        let bytes = utf8, start = prefix.utf8
        guard bytes.count >= start.count else { return false }
        if let result = bytes.withContiguousStorageIfAvailable({ mine in
            start.withContiguousStorageIfAvailable { theirs in
                guard let mine = mine.baseAddress, let theirs = theirs.baseAddress else { return true }
                return memcmp(mine, theirs, start.count) == 0
            }
        }), let result {
            return result
        }
        return bytes.starts(with: start)
    }
}
