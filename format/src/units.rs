//! Times as a reader writes them, shared by the report and the console so
//! that a figure (a latency target above all) reads the same in both.

/// The unit (divisor, symbol) that suits nanosecond values of this size.
pub fn ns_unit(x: f64) -> (f64, &'static str) {
    match x.abs() {
        a if a >= 1e9 => (1e9, "s"),
        a if a >= 1e6 => (1e6, "ms"),
        a if a >= 1e3 => (1e3, "µs"),
        _ => (1.0, "ns"),
    }
}

/// Divides a nanosecond value into a readable unit.
pub fn scale_ns(x: f64) -> (f64, &'static str) {
    let (d, u) = ns_unit(x);
    (x / d, u)
}

/// An axis tick for a time: `20 µs`, `2.5 ms` (no padding zeros).
pub fn ns_tick(x: f64) -> String {
    let (v, u) = scale_ns(x);
    let s = format!("{v:.2}");
    format!("{} {u}", s.trim_end_matches('0').trim_end_matches('.'))
}
