//! One benchmark id over its rounds: the round that stands for it, with its
//! interval and halves; and what one result measured (throughput, the
//! open-loop part, its error). Both kinds of table build their rows on these.

use super::types::*;
use crate::rank::Ranked;
use rtbench_format::{BenchResult, OpenLoop, Status, stats};
use std::collections::BTreeMap;

/// One benchmark id over its rounds: the result that stands for it.
pub(crate) struct Merged<'a> {
    pub(crate) bench: &'a BenchResult,
    pub(crate) stats: RoundStats,
}

/// The figure rounds are compared by: throughput, or for the open-loop
/// workloads the capacity (0 when even the lowest rate missed the target).
/// `None` for a round that did not measure.
pub(crate) fn round_figure(b: &BenchResult) -> Option<f64> {
    if is_open_loop(&b.workload) {
        measured(b).map(|o| o.capacity.rate.unwrap_or(0.0))
    } else {
        throughput(b).map(|t| t.value)
    }
}

/// Merges the rounds of each id (in first-seen order) into its median round
/// (fairness rule 8); without one that measured, its last ok round, else its
/// last round, which then shows its status.
pub(crate) fn merge_rounds<'a>(benches: &[&'a BenchResult]) -> Vec<Merged<'a>> {
    let mut ids: Vec<&str> = Vec::new();
    let mut by_id: BTreeMap<&str, Vec<&'a BenchResult>> = BTreeMap::new();
    for &b in benches {
        let rounds = by_id.entry(b.id.as_str()).or_default();
        if rounds.is_empty() {
            ids.push(b.id.as_str());
        }
        rounds.push(b);
    }
    ids.iter()
        .map(|id| {
            let mut all = by_id.remove(id).unwrap_or_default();
            all.sort_by_key(|b| b.round);
            let mut figures: Vec<(f64, &BenchResult)> = all
                .iter()
                .filter_map(|b| Some((round_figure(b)?, *b)))
                .collect();
            figures.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.round.cmp(&y.1.round)));
            let Some(&(median, bench)) = figures.get(figures.len().saturating_sub(1) / 2) else {
                let bench = all.iter().rev().find(|b| b.status == Status::Ok);
                let bench = bench.or(all.last()).expect("an id has a result");
                let stats = RoundStats {
                    round: bench.round,
                    rounds: 0,
                    spread: None,
                    ci: None,
                    half_width: None,
                    halves: None,
                };
                return Merged { bench, stats };
            };
            let (min, max) = (figures[0].0, figures[figures.len() - 1].0);
            let several = figures.len() > 1;
            let spread = (several && median > 0.0).then(|| (max - min) / median);
            let values: Vec<f64> = figures.iter().map(|f| f.0).collect();
            let (ci, centre) = interval(bench, &values);
            let half_width = ci.and_then(|c| {
                let upper = c.upper?;
                (centre > 0.0).then(|| (upper - c.lower) / 2.0 / centre)
            });
            let stats = RoundStats {
                round: bench.round,
                rounds: figures.len() as u32,
                spread,
                ci,
                half_width,
                halves: halves(bench, &figures),
            };
            Merged { bench, stats }
        })
        .collect()
}

/// A row's 95% interval and the centre its half-width divides by: the
/// capacity's own interval from pooled trials; else Student's t over two
/// rounds or more (the noise lives between rounds); else criterion's
/// interval of the one round.
pub(crate) fn interval(b: &BenchResult, values: &[f64]) -> (Option<Ci>, f64) {
    let figure = round_figure(b).unwrap_or(0.0);
    if let Some((lower, upper)) = measured(b).and_then(|o| o.capacity.interval) {
        let source = IntervalSource::Trials;
        return (
            Some(Ci {
                lower,
                upper,
                source,
            }),
            figure,
        );
    }
    if let Some((mean, lower, upper)) = stats::mean_interval(values) {
        let ci = Ci {
            lower: lower.max(0.0),
            upper: Some(upper),
            source: IntervalSource::Rounds,
        };
        return (Some(ci), mean);
    }
    let ci = throughput(b)
        .filter(|_| !is_open_loop(&b.workload))
        .map(|t| Ci {
            lower: t.lower,
            upper: Some(t.upper),
            source: IntervalSource::Criterion,
        });
    (ci, figure)
}

/// The figure from each half: open-loop capacity from odd and even trials
/// when recorded (none met counts 0), else the mean of odd and even rounds.
pub(crate) fn halves(b: &BenchResult, figures: &[(f64, &BenchResult)]) -> Option<[f64; 2]> {
    if let Some(o) = measured(b)
        && let Some([odd, even]) = o.capacity.halves
    {
        if !o.steps.iter().all(|s| s.halves.is_some()) {
            return Some([odd.unwrap_or(0.0), even.unwrap_or(0.0)]);
        }
        // Derived again from the steps' halves, by the one rule of
        // `stats::half_capacity`, rather than read from the file: runs
        // recorded before the rule changed render by it too.
        let half = |h: usize| {
            let steps: Vec<(f64, bool, bool)> = o
                .steps
                .iter()
                .map(|s| {
                    (
                        s.offered_rate,
                        s.halves.is_some_and(|x| x[h].meets),
                        s.behind,
                    )
                })
                .collect();
            stats::half_capacity(&steps).unwrap_or(0.0)
        };
        return Some([half(0), half(1)]);
    }
    let mean = |odd: bool| {
        let v: Vec<f64> = figures
            .iter()
            .filter(|f| (f.1.round % 2 == 1) == odd)
            .map(|f| f.0)
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    Some([mean(true)?, mean(false)?])
}

/// A row's ranking figure with its interval and halves.
pub(crate) fn ranked(value: Option<f64>, stats: &RoundStats) -> Option<Ranked> {
    value.map(|value| Ranked {
        value,
        interval: stats.ci.map(|c| c.bounds()),
        halves: stats.halves,
    })
}

/// How many of these rows have an interval wider than ±[`WIDE`].
pub(crate) fn wide<'a>(stats: impl Iterator<Item = &'a RoundStats>) -> u32 {
    stats
        .filter(|s| s.half_width.is_some_and(|h| h > WIDE))
        .count() as u32
}

/// Ops per second with its interval; `None` for failed or unestimated rows.
pub(crate) fn throughput(b: &BenchResult) -> Option<Interval> {
    let e = b.estimate?;
    if b.status != Status::Ok || e.mean_ns <= 0.0 || b.ops_per_iter <= 0.0 {
        return None;
    }
    let k = b.ops_per_iter * 1e9;
    let per = |ns: f64| if ns > 0.0 { k / ns } else { k / e.mean_ns };
    Some(Interval {
        value: k / e.mean_ns,
        lower: per(e.mean_upper_ns),
        upper: per(e.mean_lower_ns),
    })
}

/// The open-loop part of a result that succeeded.
pub(crate) fn measured(b: &BenchResult) -> Option<&OpenLoop> {
    b.open_loop.as_ref().filter(|_| b.status == Status::Ok)
}

pub(crate) fn row_error(b: &BenchResult) -> Option<String> {
    b.error
        .clone()
        .or_else(|| (b.status != Status::Ok).then(|| "no error recorded".into()))
}
