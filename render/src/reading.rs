//! The sentence under an uneven-work table: which runtime design held the
//! latency target to the higher load. It is made from the figures, so it
//! never claims more than they show: capacities whose 95% intervals overlap
//! are tied; without intervals (older files) a difference within the
//! rounds' spread or 10% is "about the same".

use crate::fmt;

/// Below this relative difference two capacities read as the same: the
/// bisection itself stops at 10% (`rtbench_workloads::sweep::RESOLUTION`).
pub const TIE: f64 = 0.10;

/// The best row of one flavor in a group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Best<'a> {
    pub runtime: &'a str,
    /// Capacity at the target; `None` when no row of the flavor met it.
    pub rate: Option<f64>,
    /// That row's spread over rounds.
    pub spread: Option<f64>,
    /// Its capacity's 95% interval (upper infinite when unbounded).
    pub ci: Option<(f64, f64)>,
}

/// One sentence comparing the best work-stealing row with the best
/// thread-per-core row under `mix`; `None` when neither flavor measured.
pub fn reading(mix: &str, slo: &str, ws: Option<Best>, tpc: Option<Best>) -> Option<String> {
    const WS: &str = "work-stealing";
    const TPC: &str = "thread-per-core";
    let rate = |x: f64| format!("{}/s", fmt::si(x));
    // A rate with its interval, when it has one.
    let with_ci = |x: f64, b: &Best| match b.ci {
        Some((lo, hi)) if hi.is_finite() => {
            format!("{} ({} – {})", rate(x), fmt::si(lo), fmt::si(hi))
        }
        Some((lo, _)) => format!("{} (≥ {})", rate(x), fmt::si(lo)),
        None => rate(x),
    };
    let under = format!("under the {mix} mix");
    Some(match (ws, tpc) {
        (None, None) => return None,
        (Some(a), Some(b)) => match (a.rate, b.rate) {
            (Some(x), Some(y)) => {
                let (hi, lo) = (x.max(y), x.min(y));
                let spread = [a.spread, b.spread]
                    .into_iter()
                    .flatten()
                    .fold(TIE, f64::max);
                // The winner first.
                let (first, second) = if x >= y {
                    ((a.runtime, x, &a), (b.runtime, y, &b))
                } else {
                    ((b.runtime, y, &b), (a.runtime, x, &a))
                };
                let pair = format!(
                    "{} {} against {} {} (best of each flavor)",
                    first.0,
                    with_ci(first.1, first.2),
                    second.0,
                    with_ci(second.1, second.2)
                );
                let tied = match (a.ci, b.ci) {
                    (Some(p), Some(q)) => Some(rtbench_format::stats::overlap(p, q)),
                    _ => None,
                };
                if tied == Some(true) {
                    format!(
                        "Work-stealing and thread-per-core held {slo} to loads that cannot be told apart at 95% {under}: {pair}."
                    )
                } else if tied.is_none() && lo > 0.0 && hi / lo - 1.0 <= spread {
                    format!(
                        "Work-stealing and thread-per-core held {slo} to about the same load {under}: {pair}."
                    )
                } else {
                    let (winner, loser) = if x > y { (WS, TPC) } else { (TPC, WS) };
                    format!(
                        "{} held {slo} up to {}× the load of {loser} {under}: {pair}.",
                        capitalize(winner),
                        times(hi / lo)
                    )
                }
            }
            (Some(x), None) => none_met(TPC, slo, &under, WS, a.runtime, &rate(x)),
            (None, Some(y)) => none_met(WS, slo, &under, TPC, b.runtime, &rate(y)),
            (None, None) => {
                format!(
                    "No work-stealing or thread-per-core runtime met {slo} at any rate tried {under}."
                )
            }
        },
        (Some(only), None) => absent(TPC, WS, only, slo, &under),
        (None, Some(only)) => absent(WS, TPC, only, slo, &under),
    })
}

/// One flavor met the target nowhere, the other somewhere.
fn none_met(none: &str, slo: &str, under: &str, met: &str, runtime: &str, rate: &str) -> String {
    format!(
        "No {none} runtime met {slo} at any rate tried {under}; the best {met} one, {runtime}, held it to {rate}."
    )
}

/// Only one flavor measured: say so, and what it did.
fn absent(missing: &str, present: &str, only: Best, slo: &str, under: &str) -> String {
    match only.rate {
        Some(x) => format!(
            "No {missing} runtime measured {under}; the best {present} one, {}, held {slo} to {}/s.",
            only.runtime,
            fmt::si(x)
        ),
        None => format!(
            "No {missing} runtime measured {under}, and no {present} one met {slo} at any rate tried."
        ),
    }
}

/// `1.8` for a clear gap, `1.07` for a small one that still beat the spread.
fn times(r: f64) -> String {
    if r < 1.5 {
        format!("{r:.2}")
    } else {
        format!("{r:.1}")
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLO: &str = "p99 ≤ 1 ms";

    fn best(runtime: &str, rate: Option<f64>, spread: Option<f64>) -> Option<Best<'_>> {
        Some(Best {
            runtime,
            rate,
            spread,
            ci: None,
        })
    }

    fn with_ci(b: Option<Best<'_>>, lo: f64, hi: f64) -> Option<Best<'_>> {
        b.map(|b| Best {
            ci: Some((lo, hi)),
            ..b
        })
    }

    #[test]
    fn overlapping_intervals_are_a_tie_whatever_the_gap() {
        // 14% apart, beyond the 10% rule, but the intervals overlap.
        let r = reading(
            "uniform",
            SLO,
            with_ci(best("tokio-mt", Some(80_000.0), None), 76_000.0, 84_000.0),
            with_ci(best("monoio", Some(70_000.0), None), 66_000.0, 77_000.0),
        )
        .unwrap();
        assert_eq!(
            r,
            "Work-stealing and thread-per-core held p99 ≤ 1 ms to loads that cannot be told apart \
             at 95% under the uniform mix: tokio-mt 80.0 k/s (76.0 k – 84.0 k) against monoio \
             70.0 k/s (66.0 k – 77.0 k) (best of each flavor)."
        );
        // 5% apart, within the 10% rule, but the intervals are apart: a win.
        let r = reading(
            "uniform",
            SLO,
            with_ci(
                best("tokio-mt", Some(42_000.0), None),
                41_000.0,
                f64::INFINITY,
            ),
            with_ci(best("monoio", Some(40_000.0), None), 39_000.0, 40_500.0),
        )
        .unwrap();
        assert!(
            r.starts_with("Work-stealing held p99 ≤ 1 ms up to 1.05× the load of thread-per-core"),
            "{r}"
        );
        assert!(
            r.contains("tokio-mt 42.0 k/s (≥ 41.0 k) against monoio 40.0 k/s (39.0 k – 40.5 k)")
        );
    }

    #[test]
    fn a_clear_win_names_the_ratio_and_both_runtimes() {
        let r = reading(
            "hot-connections",
            SLO,
            best("tokio-mt", Some(41_000.0), None),
            best("monoio", Some(23_000.0), None),
        );
        assert_eq!(
            r.unwrap(),
            "Work-stealing held p99 ≤ 1 ms up to 1.8× the load of thread-per-core under the \
             hot-connections mix: tokio-mt 41.0 k/s against monoio 23.0 k/s (best of each flavor)."
        );
    }

    #[test]
    fn a_loss_is_said_the_other_way_round() {
        let r = reading(
            "uniform",
            SLO,
            best("tokio-mt", Some(30_000.0), Some(0.02)),
            best("monoio", Some(36_000.0), Some(0.03)),
        )
        .unwrap();
        assert!(
            r.starts_with(
                "Thread-per-core held p99 ≤ 1 ms up to 1.20× the load of work-stealing under the uniform mix: "
            ),
            "{r}"
        );
        assert!(r.ends_with("monoio 36.0 k/s against tokio-mt 30.0 k/s (best of each flavor)."));
    }

    #[test]
    fn within_ten_percent_or_the_spread_is_about_the_same() {
        let same = |ws, tpc, spread| {
            reading(
                "uniform",
                SLO,
                best("tokio-mt", Some(ws), spread),
                best("monoio", Some(tpc), None),
            )
            .unwrap()
        };
        let r = same(40_000.0, 39_000.0, None);
        assert!(
            r.starts_with("Work-stealing and thread-per-core held p99 ≤ 1 ms to about the same load under the uniform mix: tokio-mt 40.0 k/s against monoio 39.0 k/s"),
            "{r}"
        );
        // 8% apart: within the bisection's resolution.
        assert!(same(43_200.0, 40_000.0, None).contains("about the same"));
        // 15% apart, but the rounds disagree by 20%: still a tie.
        assert!(same(46_000.0, 40_000.0, Some(0.20)).contains("about the same"));
        assert!(same(46_000.0, 40_000.0, Some(0.02)).contains("up to 1.15×"));
    }

    #[test]
    fn one_flavor_without_capacity() {
        let r = reading(
            "blocking",
            SLO,
            best("tokio-mt", Some(12_500.0), None),
            best("monoio", None, None),
        );
        assert_eq!(
            r.unwrap(),
            "No thread-per-core runtime met p99 ≤ 1 ms at any rate tried under the blocking mix; \
             the best work-stealing one, tokio-mt, held it to 12.5 k/s."
        );
        let r = reading(
            "blocking",
            SLO,
            best("tokio-mt", None, None),
            best("monoio", Some(9_000.0), None),
        );
        assert!(r.unwrap().starts_with("No work-stealing runtime met"));
    }

    #[test]
    fn neither_flavor_met_the_target() {
        let r = reading(
            "blocking",
            SLO,
            best("tokio-mt", None, None),
            best("monoio", None, None),
        );
        assert_eq!(
            r.unwrap(),
            "No work-stealing or thread-per-core runtime met p99 ≤ 1 ms at any rate tried under the blocking mix."
        );
    }

    #[test]
    fn missing_flavors() {
        assert_eq!(reading("skewed", SLO, None, None), None);
        let r = reading("skewed", SLO, best("tokio-mt", Some(20_000.0), None), None);
        assert_eq!(
            r.unwrap(),
            "No thread-per-core runtime measured under the skewed mix; the best work-stealing one, \
             tokio-mt, held p99 ≤ 1 ms to 20.0 k/s."
        );
        let r = reading("skewed", SLO, None, best("monoio", None, None));
        assert_eq!(
            r.unwrap(),
            "No work-stealing runtime measured under the skewed mix, and no thread-per-core one met \
             p99 ≤ 1 ms at any rate tried."
        );
    }
}
