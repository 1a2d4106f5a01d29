#if canImport(Glibc)
import Glibc
#endif

/// Seconds on the monotonic clock.
func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// Seconds `body` took.
func timed(_ body: () throws -> Void) rethrows -> Double {
    let start = now()
    try body()
    return now() - start
}

/// Timings of one thing, in seconds. The machines these run on are noisy: report the median,
/// and the 90th percentile where a tail matters.
struct Samples {
    private(set) var values: [Double] = []

    init() {}

    mutating func add(_ seconds: Double) { values.append(seconds) }

    var count: Int { values.count }
    var median: Double { percentile(50) }
    var p90: Double { percentile(90) }

    /// Nearest-rank percentile.
    func percentile(_ percent: Double) -> Double {
        precondition(!values.isEmpty, "no samples")
        let sorted = values.sorted()
        let rank = Int((percent / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}

/// `812 ns`, `1.42 µs`, `186 µs`, `2.31 ms`, `1.20 s`: three significant digits.
func duration(_ seconds: Double) -> String {
    let (value, unit): (Double, String)
    switch seconds {
    case ..<1e-6: (value, unit) = (seconds * 1e9, "ns")
    case ..<1e-3: (value, unit) = (seconds * 1e6, "µs")
    case ..<1: (value, unit) = (seconds * 1e3, "ms")
    default: (value, unit) = (seconds, "s")
    }
    return "\(significant(value)) \(unit)"
}

/// `512 B`, `9.20 MiB`, `23.5 GiB`.
func bytes(_ count: Int) -> String {
    let value = Double(count)
    switch count {
    case ..<1024: return "\(count) B"
    case ..<(1 << 20): return "\(significant(value / 1024)) KiB"
    case ..<(1 << 30): return "\(significant(value / 1024 / 1024)) MiB"
    default: return "\(significant(value / 1024 / 1024 / 1024)) GiB"
    }
}

/// `0.76×`.
func ratio(_ value: Double) -> String {
    fixed(value, decimals: 2) + "×"
}

/// Three significant digits, without exponent.
func significant(_ value: Double) -> String {
    switch abs(value) {
    case ..<10: return fixed(value, decimals: 2)
    case ..<100: return fixed(value, decimals: 1)
    default: return fixed(value, decimals: 0)
    }
}

func fixed(_ value: Double, decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    let fraction = Int(scaled - Double(whole) * scale)
    let sign = value < 0 && scaled > 0 ? "-" : ""
    guard decimals > 0 else { return sign + String(whole) }
    let digits = String(fraction)
    return sign + String(whole) + "." + String(repeating: "0", count: decimals - digits.count) + digits
}

/// `10,000`.
func grouped(_ value: Int) -> String {
    let digits = Array(String(value))
    var out = ""
    for (index, digit) in digits.enumerated() {
        if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
        out.append(digit)
    }
    return out
}

func padded(_ text: String, _ width: Int, right: Bool = false) -> String {
    let gap = max(0, width - text.count)
    return right ? String(repeating: " ", count: gap) + text : text + String(repeating: " ", count: gap)
}
