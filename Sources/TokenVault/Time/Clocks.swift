import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Seconds on the monotonic clock, and wall-clock Unix time, without Foundation.
enum MonotonicClock {
    static var now: Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    static func sleep(seconds: Double) {
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}

/// The system's real-time clock, for times that are stored or compared with a server's.
package enum WallClock {
    /// The current Unix time in whole seconds.
    package static var now: UnixTime {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UnixTime(spec.tv_sec)
    }
}
