//! Latency histograms (HdrHistogram) and their summary in the results layout.

use base64::Engine;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
use rtbench_format::Latency;

/// A histogram from 1 ns to 100 s with 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 100_000_000_000, 3).expect("valid histogram bounds")
}

/// Records `ns`, clamped into the histogram's range.
pub fn record(hist: &mut Histogram<u64>, ns: u64) {
    hist.saturating_record(ns.max(1));
}

/// Summarizes `hist` for results: percentiles, a spectrum of at most ~100
/// points (HdrHistogram's halving-ticks iteration), and the whole histogram.
pub fn summarize(hist: &Histogram<u64>, kind: &str) -> Latency {
    let mut spectrum: Vec<(f64, u64)> = hist
        .iter_quantiles(2)
        .map(|v| (v.quantile_iterated_to() * 100.0, v.value_iterated_to()))
        .collect();
    if spectrum.len() > 120 {
        let step = spectrum.len().div_ceil(120);
        let last = *spectrum.last().unwrap();
        spectrum = spectrum.into_iter().step_by(step).collect();
        spectrum.push(last);
    }
    let mut bytes = Vec::new();
    let hdr = V2DeflateSerializer::new()
        .serialize(hist, &mut bytes)
        .ok()
        .map(|_| base64::engine::general_purpose::STANDARD.encode(&bytes));
    Latency {
        kind: kind.to_string(),
        count: hist.len(),
        min_ns: hist.min(),
        mean_ns: hist.mean(),
        stdev_ns: hist.stdev(),
        p50_ns: hist.value_at_quantile(0.5),
        p90_ns: hist.value_at_quantile(0.9),
        p99_ns: hist.value_at_quantile(0.99),
        p999_ns: hist.value_at_quantile(0.999),
        max_ns: hist.max(),
        spectrum,
        hdr_base64: hdr,
    }
}
