import Glibc

extension UnsafeRawBufferPointer {
    /// True when both buffers hold the same bytes: one `memcmp`, for keys and names compared on every request,
    /// where the generic `elementsEqual` walks byte by byte.
    func hasSameBytes(as other: UnsafeRawBufferPointer) -> Bool {
        guard count == other.count else { return false }
        // A buffer without an address is empty, and so is the other one of the same count.
        guard let mine = baseAddress, let theirs = other.baseAddress else { return true }
        return memcmp(mine, theirs, count) == 0
    }
}
