import TokenVault

/// Short human phrases for times and token states.
enum Describe {
    /// `45s`, `12m`, `3h05m`, `4d06h`.
    static func duration(_ seconds: Int64) -> String {
        let s = max(0, seconds)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86_400 { return "\(s / 3600)h" + pad(s % 3600 / 60) + "m" }
        return "\(s / 86_400)d" + pad(s % 86_400 / 3600) + "h"
    }

    private static func pad(_ value: Int64) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    static func access(_ profile: TokenProfile, now: UnixTime) -> String {
        switch RefreshPolicy.accessState(of: profile, now: now) {
        case .missing: return "none"
        case .unknownExpiry: return "expiry unknown"
        case .valid(let remaining): return "valid \(duration(remaining))"
        case .refreshDue(let remaining): return "refresh due (valid \(duration(remaining)))"
        case .expired(let since): return "expired \(duration(since)) ago"
        }
    }

    static func ago(_ time: UnixTime?, now: UnixTime) -> String {
        guard let time else { return "never" }
        return "\(duration(now.clampedSubtracting(time))) ago"
    }
}
