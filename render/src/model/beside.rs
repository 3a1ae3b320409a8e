//! The line under a microbenchmark's table that reads it beside the
//! workloads users care about (`Workload::read_beside`): where its best
//! runtimes place there, from the overview's ranks.

use super::types::*;
use rtbench_format::Workload as Kind;
use std::collections::BTreeMap;

/// How many of a table's best runtimes the line follows.
const FOLLOWED: usize = 3;

/// Sets the `reading` of every table whose workload is read beside others.
pub fn annotate(model: &mut Model) {
    let places = places(&model.overview);
    for w in &mut model.workloads {
        let Ok(kind) = w.name.parse::<Kind>() else {
            continue;
        };
        let beside = kind.read_beside();
        if beside.is_empty() {
            continue;
        }
        for t in &mut w.tables {
            t.reading = Some(line(t, beside, &places));
        }
    }
}

/// Per workload: each runtime's median rank over its cases, and how many
/// rows a case of it ranks at most.
type Places = BTreeMap<String, (BTreeMap<String, f64>, u32)>;

fn places(overview: &Overview) -> Places {
    let mut ranks: BTreeMap<&str, BTreeMap<&str, Vec<u32>>> = BTreeMap::new();
    let mut most: BTreeMap<&str, u32> = BTreeMap::new();
    for (i, case) in overview.cases.iter().enumerate() {
        let m = most.entry(&case.workload).or_default();
        *m = (*m).max(case.ranked);
        for r in &overview.runtimes {
            if let Some(rank) = r.cells.get(i).and_then(|c| c.as_ref()?.rank) {
                ranks
                    .entry(&case.workload)
                    .or_default()
                    .entry(&r.runtime)
                    .or_default()
                    .push(rank);
            }
        }
    }
    ranks
        .into_iter()
        .map(|(w, by)| {
            let medians = by
                .into_iter()
                .map(|(rt, mut v)| {
                    v.sort_unstable();
                    let mid = v.len() / 2;
                    let m = if v.len() % 2 == 1 {
                        f64::from(v[mid])
                    } else {
                        f64::from(v[mid - 1] + v[mid]) / 2.0
                    };
                    (rt.to_string(), m)
                })
                .collect();
            (w.to_string(), (medians, most.get(w).copied().unwrap_or(0)))
        })
        .collect()
}

fn line(t: &Table, beside: &[Kind], places: &Places) -> String {
    // Rows come best first: the measured ones lead.
    let best: Vec<&str> = t
        .rows
        .iter()
        .filter(|r| r.throughput.is_some())
        .map(|r| r.runtime.as_str())
        .take(FOLLOWED)
        .collect();
    let names = |w: &[Kind]| {
        w.iter()
            .map(|k| k.title())
            .collect::<Vec<_>>()
            .join(" and ")
    };
    if best.is_empty() {
        return format!("Read beside {}: nothing measured here.", names(beside));
    }
    let mut parts = Vec::new();
    for kind in beside {
        let Some((medians, of)) = places.get(kind.as_str()) else {
            parts.push(format!("{} did not run", kind.title()));
            continue;
        };
        let ranks: Vec<String> = best
            .iter()
            .map(|rt| medians.get(*rt).map_or("—".into(), |m| format!("{m}")))
            .collect();
        parts.push(format!(
            "{} (of {of}) in {}",
            ranks.join(", "),
            kind.title()
        ));
    }
    format!(
        "Read beside {}: the best here ({}) have median ranks {} (1 = best; the overview's ranks). A microbenchmark's win is not a service's.",
        names(beside),
        best.join(", "),
        parts.join(" and ")
    )
}
