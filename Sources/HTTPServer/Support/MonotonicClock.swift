import Glibc

/// The monotonic clock, for timeouts and durations that must not jump with the wall clock.
public enum MonotonicClock {
    public static func milliseconds() -> Int64 {
        microseconds() / 1000
    }

    public static func microseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }
}
