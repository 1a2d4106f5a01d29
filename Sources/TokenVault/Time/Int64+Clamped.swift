/// Arithmetic on times and counts that never traps. Every value in a `TokenProfile` may be any
/// `Int64` an app sets, and an overflow would stop the process (SIGILL), so sums and differences
/// of them stop at the bound they would pass instead.
extension Int64 {
    /// `self + other`, or `.max` / `.min` where it would overflow.
    package func clampedAdding(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }

    /// `self - other`, or `.max` / `.min` where it would overflow.
    package func clampedSubtracting(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other < 0 ? .max : .min) : difference
    }

    /// `self` moved into `bounds`.
    package func clamped(to bounds: ClosedRange<Int64>) -> Int64 {
        Swift.min(Swift.max(self, bounds.lowerBound), bounds.upperBound)
    }
}
