import TokenVault

/// `30d`, `720h`, `90m`, `3600s` or `3600`, in seconds.
enum DurationText {
    static func seconds(parsing text: String) -> Int64? {
        guard let last = text.last else { return nil }
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        let (digits, unit) = last.isNumber ? (Substring(text), Int64(1)) : (text.dropLast(), units[last] ?? 0)
        // At most ten years: longer is a typo, and it keeps every sum with it in range.
        guard unit > 0, let value = Int64(digits), value > 0, value <= 10 * 365 * 86_400 / unit else { return nil }
        return value * unit
    }
}

extension DurationText {
    /// `seconds` as `--refresh-lifetime` takes it back: in the largest whole unit.
    static func text(_ seconds: Int64) -> String {
        for (unit, length) in [("w", Int64(604_800)), ("d", 86_400), ("h", 3600), ("m", 60)] where seconds % length == 0 {
            return "\(seconds / length)\(unit)"
        }
        return "\(seconds)s"
    }
}
