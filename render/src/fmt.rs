//! Number formatting shared by every reporter, so HTML, Markdown and charts
//! print the same figure the same way (three significant digits, SI units).

// Times in a unit, shared with the console (`rtbench_format::slo_label`).
pub use rtbench_format::units::{ns_tick, ns_unit, scale_ns};

/// Three significant digits, trailing zeros of a fraction kept (fixed width reads better in tables).
pub fn sig3(x: f64) -> String {
    let a = x.abs();
    if !x.is_finite() {
        "—".into()
    } else if a >= 100.0 || a == 0.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// A time in the unit that keeps it between 1 and 1000: `850 ns`, `12.3 µs`.
pub fn ns(x: f64) -> String {
    let (v, u) = scale_ns(x);
    format!("{} {u}", sig3(v))
}

/// A rate with an SI suffix: `850`, `12.3 k`, `1.23 M`.
pub fn si(x: f64) -> String {
    match x.abs() {
        a if a >= 1e9 => format!("{} G", sig3(x / 1e9)),
        a if a >= 1e6 => format!("{} M", sig3(x / 1e6)),
        a if a >= 1e3 => format!("{} k", sig3(x / 1e3)),
        _ => sig3(x),
    }
}

/// Bytes in binary units: `64 B`, `1 KiB`, `8 MiB`.
pub fn bytes(x: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = x;
    let mut i = 0;
    while v.abs() >= 1024.0 && i + 1 < units.len() {
        v /= 1024.0;
        i += 1;
    }
    if v.fract() == 0.0 {
        format!("{v:.0} {}", units[i])
    } else {
        format!("{} {}", sig3(v), units[i])
    }
}

/// A count as an integer when it is one.
pub fn count(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        sig3(x)
    }
}

/// A ratio such as `0.85×`.
pub fn ratio(x: f64) -> String {
    format!("{}×", sig3(x))
}

/// A signed percentage such as `+4.2%`.
pub fn percent(x: f64) -> String {
    format!("{}{}%", if x >= 0.0 { "+" } else { "" }, sig3(x))
}

/// Plural of an operation name for axis and column labels (`round trip` -> `round trips`).
pub fn plural(op: &str) -> String {
    if op.is_empty() {
        "ops".into()
    } else if op.ends_with('s') {
        op.into()
    } else {
        format!("{op}s")
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a GitHub Markdown table cell: no pipes, no raw HTML, one line.
pub fn md(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('*', "\\*")
        .replace('`', "\\`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(ns(850.0), "850 ns");
        assert_eq!(ns(12_345.0), "12.3 µs");
        assert_eq!(ns(1_250_000.0), "1.25 ms");
        assert_eq!(si(10_000_000.0), "10.0 M");
        assert_eq!(si(123_456.0), "123 k");
        assert_eq!(bytes(64.0), "64 B");
        assert_eq!(bytes(8.0 * 1024.0 * 1024.0), "8 MiB");
        assert_eq!(percent(-4.25), "-4.25%");
        assert_eq!(ratio(0.5), "0.50×");
        assert_eq!(plural("round trip"), "round trips");
    }

    #[test]
    fn escaping() {
        assert_eq!(
            html("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(md("a|b<c>\nd"), "a\\|b&lt;c&gt; d");
    }
}
