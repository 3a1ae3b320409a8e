//! What the model says of its cases: titles, order, slugs, what is
//! missing and which estimates cannot be shown.

use super::types::*;
use crate::read::LoadedRun;
use rtbench_format::{BenchResult, Flavor, Status};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// One line per measured result whose estimate is not a positive time per
/// iteration: its throughput cannot be computed and its row shows none, so
/// the report says why instead of dropping it silently.
pub(crate) fn non_positive_estimates(benches: &[BenchResult]) -> Vec<String> {
    benches
        .iter()
        .filter(|b| b.status == Status::Ok)
        .filter_map(|b| {
            let e = b.estimate?;
            let bad = |v: f64| !(v.is_finite() && v > 0.0);
            let what = if bad(e.mean_ns) {
                format!("a mean of {} ns per iteration", e.mean_ns)
            } else if bad(b.ops_per_iter) {
                format!("{} operations per iteration", b.ops_per_iter)
            } else {
                return None;
            };
            let round = if b.round > 1 {
                format!(" (round {})", b.round)
            } else {
                String::new()
            };
            Some(format!(
                "{}{round} records {what}, not a positive figure: its throughput is left out.",
                b.id
            ))
        })
        .collect()
}

/// What the run asked for and did not produce. When the run recorded its
/// selection (`RunMeta::selected`), every selected id without a result, and
/// every round of an id without one while its workload has results of that
/// round (the interleaved workloads run in round 1 only). Otherwise, a runtime is missing from a (workload, case) that
/// others have when it is an available non-reference runtime. References
/// (the OS and std floors) run only in the cases they are a floor for, so
/// their absence elsewhere is not a gap.
pub(crate) fn missing(run: &LoadedRun, runtimes: &[RuntimeInfo]) -> Vec<Missing> {
    if !run.selected.is_empty() {
        // Round 0 is a result of a lone `cargo bench`: the run's round 1.
        let round = |b: &BenchResult| b.round.max(1);
        let mut have: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
        let mut ran: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
        for b in &run.benches {
            have.entry(&b.id).or_default().insert(round(b));
            ran.entry(&b.workload).or_default().insert(round(b));
        }
        let mut out: Vec<Missing> = run
            .selected
            .iter()
            .filter_map(|id| {
                let mut parts = id.splitn(3, '/');
                let (workload, runtime, case) = (parts.next()?, parts.next()?, parts.next()?);
                let rounds: Vec<u32> = match have.get(id.as_str()) {
                    None => Vec::new(),
                    Some(got) => {
                        let gaps: Vec<u32> = ran
                            .get(workload)
                            .map_or(Vec::new(), |r| r.difference(got).copied().collect());
                        if gaps.is_empty() {
                            return None;
                        }
                        gaps
                    }
                };
                Some(Missing {
                    runtime: runtime.to_string(),
                    workload: workload.to_string(),
                    case: case.to_string(),
                    rounds,
                })
            })
            .collect();
        sort_missing(&mut out);
        return out;
    }
    let mut present: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for b in &run.benches {
        present
            .entry((&b.workload, &b.case))
            .or_default()
            .insert(&b.runtime);
    }
    let everywhere: BTreeSet<&str> = runtimes
        .iter()
        .filter(|r| r.status == RuntimeStatus::Available)
        .filter(|r| {
            r.description
                .as_ref()
                .is_none_or(|d| d.flavor != Flavor::Reference)
        })
        .map(|r| r.name.as_str())
        .collect();
    let mut out = Vec::new();
    for ((workload, case), have) in &present {
        for rt in everywhere.difference(have) {
            out.push(Missing {
                runtime: rt.to_string(),
                workload: workload.to_string(),
                case: case.to_string(),
                rounds: Vec::new(),
            });
        }
    }
    sort_missing(&mut out);
    out
}

pub(crate) fn sort_missing(out: &mut [Missing]) {
    out.sort_by(|a, b| {
        (workload_rank(&a.workload), &a.workload, &a.runtime)
            .cmp(&(workload_rank(&b.workload), &b.workload, &b.runtime))
            .then_with(|| natural_cmp(&a.case, &b.case))
    });
}

/// Report order ([`rtbench_format::Workload`]'s); a name it does not know,
/// after them.
pub(crate) fn workload_rank(w: &str) -> usize {
    use rtbench_format::Workload as W;
    w.parse::<W>().map_or(W::ALL.len(), W::rank)
}

/// `work` cases in [`WORK_MIXES`] order; any other case by name alone.
pub(crate) fn case_rank(workload: &str, case: &str) -> usize {
    match workload {
        WORK_WORKLOAD => {
            let mix = work_mix(case);
            WORK_MIXES
                .iter()
                .position(|m| *m == mix)
                .unwrap_or(WORK_MIXES.len())
        }
        _ => 0,
    }
}

/// A reader's title for a case, from its sweep parameters when they are known.
pub fn case_title(workload: &str, case: &str, params: &BTreeMap<String, f64>) -> String {
    use crate::fmt::{bytes, count};
    match (workload, params.get("msg_bytes"), params.get("connections")) {
        ("echo" | LOAD_WORKLOAD, Some(&b), Some(&c)) => {
            let s = if c == 1.0 { "" } else { "s" };
            format!("{workload} {} × {} connection{s}", bytes(b), count(c))
        }
        (WORK_WORKLOAD, Some(&b), Some(&c)) => {
            let s = if c == 1.0 { "" } else { "s" };
            let mix = work_mix(case);
            format!(
                "{workload} {mix}, {} × {} connection{s}",
                bytes(b),
                count(c)
            )
        }
        ("http" | HTTP_LOAD_WORKLOAD, _, Some(&c)) => {
            let route = case.split('-').next().unwrap_or(case);
            let cores = match params.get("server_cores") {
                Some(&n) if n > 1.0 => format!(", {} cores", count(n)),
                _ => String::new(),
            };
            let name = if workload == "http" {
                "http"
            } else {
                "http latency"
            };
            format!("{name} GET /{route} × {} connections{cores}", count(c))
        }
        _ => match (workload, params.get("tasks")) {
            ("fan_out", Some(&t)) => format!("fan_out {} tasks ({case})", count(t)),
            _ => format!("{workload} {case}"),
        },
    }
}

/// A workload section's heading: its title in the workload list, else
/// its name (a results file from a workload this build does not list).
pub fn workload_title(name: &str) -> &str {
    match name.parse::<rtbench_format::Workload>() {
        Ok(w) => w.title(),
        Err(_) => name,
    }
}

/// What a workload section says it measures, from the workload list
/// (empty for a workload this build does not list).
pub fn workload_about(name: &str) -> &'static str {
    name.parse::<rtbench_format::Workload>()
        .map_or("", rtbench_format::Workload::about)
}

/// Lower-case, `[a-z0-9-]` only: safe as a file name and an HTML id.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// Compares strings with digit runs as numbers, so `64B` sorts before `1024B`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (x, y) = (chunks(a), chunks(b));
    for (p, q) in x.iter().zip(&y) {
        let o = match (p, q) {
            ((true, p), (true, q)) => {
                let (p, q) = (p.trim_start_matches('0'), q.trim_start_matches('0'));
                p.len().cmp(&q.len()).then_with(|| p.cmp(q))
            }
            ((_, p), (_, q)) => p.cmp(q),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    x.len().cmp(&y.len())
}

/// A chart of table (or group) `id`, its file named after both.
pub(crate) fn chart_ref<K: Copy + std::fmt::Display>(
    id: &str,
    title: &str,
    kind: K,
    what: &str,
) -> ChartRef<K> {
    ChartRef {
        kind,
        file: format!("{id}-{kind}.svg"),
        title: format!("{title}: {what}"),
    }
}
