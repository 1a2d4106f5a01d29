import Logging
import SystemPackage

/// `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
enum RetryAfter {
    static func seconds(from value: String, now: UnixTime) -> Int64? {
        if let seconds = Int64(value.trimmingBlanks()), seconds >= 0 { return min(seconds, 86_400) }
        // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
        let parts = value.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 6, parts[5] == "GMT", let day = Int64(parts[1]), (1...31).contains(day),
              let month = months.firstIndex(of: String(parts[2])), let year = Int64(parts[3]), (1970...9999).contains(year)
        else { return nil }
        let clock = parts[4].split(separator: ":").compactMap { Int64($0) }
        guard clock.count == 3, (0..<24).contains(clock[0]), (0..<60).contains(clock[1]), (0...60).contains(clock[2]) else { return nil }
        let time = ISO8601.daysFromCivil(year: year, month: Int64(month + 1), day: day) * 86_400
            + clock[0] * 3600 + clock[1] * 60 + clock[2]
        return min(max(0, time - now), 86_400)
    }
}

private extension String {
    func trimmingBlanks() -> Substring {
        var slice = self[...]
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return slice
    }
}
