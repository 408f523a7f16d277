import Glibc
import HTTPServer

/// Polls `condition` every 10 ms until it holds or `seconds` pass; true when it held.
/// For "eventually" checks only: the limit is generous and never part of what a test asserts about speed.
public func eventually(within seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = monotonicSeconds() + seconds
    while true {
        if condition() { return true }
        if monotonicSeconds() > deadline { return false }
        usleep(10_000)
    }
}

/// Seconds on the monotonic clock (the library's `MonotonicClock`), for measuring how long something took.
public func monotonicSeconds() -> Double {
    Double(MonotonicClock.microseconds()) / 1e6
}
