//! Building the overview from a model whose tables and groups are complete:
//! ratios to each case's best, ranks, and what did not run.

use super::types::*;
use crate::rank::SplitHalf;
use rtbench_format::{Flavor, Status};
use std::collections::BTreeMap;

/// Builds the overview from a model whose tables and groups are complete.
pub fn build(model: &Model) -> Overview {
    let mut cases = Vec::new();
    let mut topologies = Vec::new();
    let mut columns: Vec<BTreeMap<&str, OverviewCell>> = Vec::new();
    let (mut wide_rows, mut rows_with_interval) = (0, 0);
    let mut count_wide = |stats: &mut dyn Iterator<Item = &RoundStats>| {
        for s in stats {
            rows_with_interval += usize::from(s.half_width.is_some());
            wide_rows += usize::from(s.half_width.is_some_and(|h| h > WIDE));
        }
    };
    let mut split_half = SplitHalf::default();
    let mut split_half_by_workload: BTreeMap<String, SplitHalf> = BTreeMap::new();
    let mut add_half = |workload: &str, s: SplitHalf| {
        split_half = split_half + s;
        let w = split_half_by_workload
            .entry(workload.to_string())
            .or_default();
        *w = *w + s;
    };
    let mut add = |id: &str, workload: &str, s: &Scope, figure: &str, rows| {
        let (cells, ranked) = rank(rows);
        topologies.push(s.topology.clone());
        cases.push(OverviewCase {
            id: id.to_string(),
            label: format!("{workload} {}", s.case),
            workload: workload.to_string(),
            case: s.case.clone(),
            figure: figure.to_string(),
            ranked,
        });
        columns.push(cells);
    };
    for section in model.sections() {
        match section {
            // Closed-loop tables rank by throughput: `ratio_to_best` is the ratio.
            Section::Workload(w) => {
                for t in &w.tables {
                    count_wide(&mut t.rows.iter().map(|r| &r.round_stats));
                    add_half(&w.name, t.split_half);
                    let rows = t
                        .rows
                        .iter()
                        .map(|r| {
                            (
                                r.runtime.as_str(),
                                r.status,
                                r.ratio_to_best,
                                r.tied_with_best,
                            )
                        })
                        .collect();
                    add(&t.id, &w.name, &t.scope, "throughput", rows);
                }
            }
            Section::LatencyUnderLoad(groups)
            | Section::UnevenWork(groups)
            | Section::HttpUnderLoad(groups) => {
                for g in groups {
                    count_wide(&mut g.rows.iter().map(|r| &r.round_stats));
                    add_half(&g.workload, g.split_half);
                    let rows = g
                        .rows
                        .iter()
                        .map(|r| {
                            let capacity = r.capacity.as_ref().map(|c| c.rate.unwrap_or(0.0));
                            (r.runtime.as_str(), r.status, capacity, r.tied_with_best)
                        })
                        .collect();
                    add(&g.id, &g.workload, &g.scope, "capacity", rows);
                }
            }
        }
    }
    // A case measured in several topologies says which.
    let labels: Vec<String> = cases.iter().map(|c| c.label.clone()).collect();
    for (c, topology) in cases.iter_mut().zip(topologies) {
        if labels.iter().filter(|l| **l == c.label).count() > 1 {
            c.label = format!("{} ({topology})", c.label);
        }
    }

    let mut runtimes: Vec<OverviewRuntime> = model
        .runtimes
        .iter()
        .filter_map(|info| {
            let cells: Vec<Option<OverviewCell>> = columns
                .iter()
                .map(|c| c.get(info.name.as_str()).cloned())
                .collect();
            if cells.iter().all(Option::is_none) {
                return None;
            }
            let mut ranks: Vec<u32> = cells.iter().flatten().filter_map(|c| c.rank).collect();
            ranks.sort_unstable();
            Some(OverviewRuntime {
                runtime: info.name.clone(),
                colour: info.colour.clone(),
                is_reference: info
                    .description
                    .as_ref()
                    .is_some_and(|d| d.flavor == Flavor::Reference),
                median_rank: median(&ranks),
                ranked_cases: ranks.len() as u32,
                cells,
            })
        })
        .collect();
    runtimes.sort_by(|a, b| {
        let key = |r: &OverviewRuntime| r.median_rank.unwrap_or(f64::INFINITY);
        key(a)
            .total_cmp(&key(b))
            .then(b.ranked_cases.cmp(&a.ranked_cases))
            .then_with(|| a.runtime.cmp(&b.runtime))
    });

    let count = |status: Status| model.failures.iter().filter(|f| f.status == status).count();
    Overview {
        rounds: model.run.rounds,
        cases,
        runtimes,
        counts: Counts {
            failed: count(Status::Failed),
            hung: count(Status::Hung),
            crashed: count(Status::Crashed),
            skipped: model
                .runtimes
                .iter()
                .filter(|r| r.status == RuntimeStatus::Skipped)
                .count(),
            missing: model.missing.len(),
            problems: model.problems.len(),
        },
        wide_rows,
        rows_with_interval,
        split_half,
        split_half_by_workload,
        generator_checks: generator_checks(model),
    }
}

/// The pairs of rows where another client drove the same server: echo's
/// `blocking-client` (against `std-threads`), http's `wrk-<server>`.
const CHECKS: &[(&str, &str, &str, &str)] = &[
    ("echo", "std-threads", "blocking-client", "blocking-client"),
    ("http", "std-threads", "wrk-std-threads", "wrk"),
    ("http", "tokio-mt", "wrk-tokio-mt", "wrk"),
];

/// Every table that ran a server and another client's check of it.
fn generator_checks(model: &Model) -> Vec<GeneratorCheck> {
    // The figure and its 95% interval (the rounds', else criterion's).
    let figure = |t: &Table, name: &str| {
        let row = t
            .rows
            .iter()
            .find(|r| r.runtime == name && r.status == Status::Ok)?;
        let value = row.throughput?.value;
        let (lower, upper) = match &row.round_stats.ci {
            Some(ci) => (ci.lower, ci.upper.unwrap_or(f64::INFINITY)),
            None => row.throughput.map(|i| (i.lower, i.upper))?,
        };
        Some((value, lower, upper))
    };
    let mut out = Vec::new();
    for w in &model.workloads {
        for t in &w.tables {
            for (workload, server, row, client) in CHECKS {
                if w.name != *workload {
                    continue;
                }
                let (Some(g), Some(b)) = (figure(t, server), figure(t, row)) else {
                    continue;
                };
                let passed = g.0 >= b.0;
                out.push(GeneratorCheck {
                    table: t.id.clone(),
                    case: format!("{workload} {}", t.scope.case),
                    server: server.to_string(),
                    client: client.to_string(),
                    load_generator: g.0,
                    other_client: b.0,
                    passed,
                    tied: !passed && b.1 <= g.2,
                });
            }
        }
    }
    out
}

/// Ratios to the best figure and ranks of one case's rows, given as
/// (runtime, status, figure, tied with the best); also how many rows were ranked.
fn rank(rows: Vec<(&str, Status, Option<f64>, bool)>) -> (BTreeMap<&str, OverviewCell>, u32) {
    let figures: Vec<f64> = rows
        .iter()
        .filter(|r| r.1 == Status::Ok)
        .filter_map(|r| r.2)
        .collect();
    let best = figures.iter().copied().fold(0.0, f64::max);
    let cells = rows
        .into_iter()
        .map(|(runtime, status, figure, tied_with_best)| {
            let figure = figure.filter(|_| status == Status::Ok);
            let cell = OverviewCell {
                status,
                ratio: figure.filter(|f| *f > 0.0 && best > 0.0).map(|f| f / best),
                rank: figure.map(|f| 1 + figures.iter().filter(|o| **o > f).count() as u32),
                tied_with_best,
            };
            (runtime, cell)
        })
        .collect();
    (cells, figures.len() as u32)
}

/// The middle value, or the mean of the two middle ones.
fn median(sorted: &[u32]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(f64::from(sorted[n / 2])),
        _ => Some(f64::from(sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_share_ties_and_skip_rows_that_did_not_measure() {
        let (cells, ranked) = rank(vec![
            ("a", Status::Ok, Some(200.0), false),
            ("b", Status::Ok, Some(100.0), false),
            ("c", Status::Ok, Some(200.0), true),
            ("d", Status::Hung, None, false),
            ("e", Status::Ok, Some(0.0), false),
        ]);
        assert_eq!(ranked, 4);
        let at = |n: &str| (cells[n].ratio, cells[n].rank);
        assert_eq!(at("a"), (Some(1.0), Some(1)));
        assert_eq!(at("c"), (Some(1.0), Some(1)));
        assert_eq!(at("b"), (Some(0.5), Some(3)));
        assert_eq!(at("e"), (None, Some(4)), "no capacity ranks last");
        assert_eq!(at("d"), (None, None));
        assert_eq!(cells["d"].status, Status::Hung);
    }

    #[test]
    fn medians_of_ranks() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[2]), Some(2.0));
        assert_eq!(median(&[1, 2]), Some(1.5));
        assert_eq!(median(&[1, 1, 2, 3, 3]), Some(2.0));
    }
}
