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
