//! What a group's results files say: the console's word for it, the
//! asked-for results that did not measure, a crash or hang recorded for the
//! process, and the summary read back from the rendered report.

use anyhow::Context;
use rtbench_format::{BenchResult, Description, RunDir, RunMeta, Status};
use rtbench_harness::errln;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::process::Group;

/// One asked-for result of one round that did not measure or skip.
pub(super) struct Bad {
    pub(super) id: String,
    pub(super) round: u32,
    /// `failed: <error>`, `hung`, `missing (…)`, …
    pub(super) what: String,
}

impl Bad {
    /// `2 failed, 1 hung`: how many of each kind.
    pub(super) fn counts(bad: &[Bad]) -> String {
        let mut by: BTreeMap<&str, usize> = BTreeMap::new();
        for b in bad {
            let kind = b.what.split([' ', ':', ';']).next().unwrap_or("?");
            *by.entry(kind).or_default() += 1;
        }
        by.iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What the results files of one group's round say, id by id.
#[derive(Debug, Default)]
pub(super) struct Tally {
    ok: usize,
    /// Skipped ids' reasons.
    skipped: Vec<String>,
    /// (id, status, error) of each result that failed, hung or crashed.
    broken: Vec<(String, Status, String)>,
    /// (id, why) of each id without a readable results file.
    missing: Vec<(String, String)>,
    /// Results that failed by their runtime's design (`failure_by_design`:
    /// its task limit, or a wake from another thread it panics on): a
    /// finding the report shows, expected.
    limited: usize,
}

impl Tally {
    /// Reads the group's results of `round`; `lost` are the ids whose results
    /// the process said it could not write, with the error.
    pub(super) fn read(
        run: &RunDir,
        g: &Group,
        round: u32,
        lost: &BTreeMap<String, String>,
    ) -> Tally {
        let mut t = Tally::default();
        for id in &g.ids {
            let path = run
                .bench_dir()
                .join(rtbench_format::bench_file_name_in_round(id, round));
            if !path.exists() {
                let why = lost.get(id).map_or_else(
                    || "no results file".to_string(),
                    |e| format!("lost: cannot write results: {e}"),
                );
                t.missing.push((id.clone(), why));
                continue;
            }
            match rtbench_format::read_json::<BenchResult>(&path) {
                Ok(r) => match r.status {
                    Status::Ok => t.ok += 1,
                    Status::Skipped => t.skipped.push(r.error.unwrap_or_default()),
                    Status::Failed
                        if rtbench_harness::failure_by_design(&r.runtime, &r.params).is_some() =>
                    {
                        t.limited += 1
                    }
                    status => t
                        .broken
                        .push((id.clone(), status, r.error.unwrap_or_default())),
                },
                Err(e) => t.missing.push((id.clone(), format!("unreadable: {e}"))),
            }
        }
        t
    }

    /// The console's word for the group: `ok`, `skipped (reason)`, or the
    /// counts, e.g. `2 failed, 3 ok`.
    pub(super) fn line(&self) -> String {
        let total =
            self.ok + self.skipped.len() + self.broken.len() + self.missing.len() + self.limited;
        let reason = self
            .skipped
            .first()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        if total > 0 && self.ok == total {
            return "ok".into();
        }
        if total > 0 && self.skipped.len() == total {
            return format!("skipped{reason}");
        }
        let mut parts = Vec::new();
        if self.limited > 0 {
            parts.push(format!("{} failed by the runtime's design", self.limited));
        }
        for status in [Status::Failed, Status::Hung, Status::Crashed] {
            let n = self.broken.iter().filter(|b| b.1 == status).count();
            if n > 0 {
                parts.push(format!("{n} {status}"));
            }
        }
        let lost = self
            .missing
            .iter()
            .filter(|m| m.1.starts_with("lost"))
            .count();
        if lost > 0 {
            parts.push(format!("{lost} lost (results not written)"));
        }
        if self.missing.len() > lost {
            parts.push(format!("{} missing", self.missing.len() - lost));
        }
        if self.ok > 0 {
            parts.push(format!("{} ok", self.ok));
        }
        if !self.skipped.is_empty() {
            parts.push(format!("{} skipped{reason}", self.skipped.len()));
        }
        if parts.is_empty() {
            return "no benchmarks".into();
        }
        parts.join(", ")
    }

    /// The ids that did not measure or skip.
    pub(super) fn bad(&self, round: u32) -> Vec<Bad> {
        let broken = self.broken.iter().map(|(id, status, error)| Bad {
            id: id.clone(),
            round,
            what: if error.is_empty() {
                status.to_string()
            } else {
                format!("{status}: {error}")
            },
        });
        let missing = self.missing.iter().map(|(id, why)| Bad {
            id: id.clone(),
            round,
            what: if why.starts_with("lost") {
                why.clone()
            } else {
                format!("missing ({why})")
            },
        });
        broken.chain(missing).collect()
    }
}

/// Ids of `g` whose results file for `round` exists.
pub(super) fn files_of(run: &RunDir, g: &Group, round: u32) -> BTreeSet<String> {
    g.ids
        .iter()
        .filter(|id| {
            run.bench_dir()
                .join(rtbench_format::bench_file_name_in_round(id, round))
                .exists()
        })
        .cloned()
        .collect()
}

/// Writes a hung or crashed result for `id` (or, when no benchmark had
/// started, for the group's first id without a results file).
pub(super) fn record(
    run: &RunDir,
    g: &Group,
    round: u32,
    id: Option<&str>,
    status: Status,
    why: &str,
) -> anyhow::Result<()> {
    let written = files_of(run, g, round);
    let Some(id) = id
        .map(str::to_string)
        .or_else(|| g.ids.iter().find(|i| !written.contains(*i)).cloned())
    else {
        return Ok(());
    };
    let mut parts = id.splitn(3, '/');
    let (workload, runtime, case) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let meta: Option<RunMeta> = run.read_meta().ok();
    let description = meta
        .as_ref()
        .and_then(|m| m.runtimes.iter().find(|r| r.name == runtime))
        .and_then(|r| r.description.clone())
        .unwrap_or_else(|| Description::named(runtime));
    let result = BenchResult {
        placement: meta.map(|m| m.placement).unwrap_or_default(),
        description,
        ops_per_iter: 1.0,
        status,
        error: Some(format!("{why} (while running {id})")),
        ..BenchResult::blank(workload, runtime, case, round)
    };
    run.write_bench(&result)
        .with_context(|| format!("cannot record {id} as {status}"))
}

/// Per table of the rendered report, the runtimes ranked with their figure.
pub(super) fn summary(report: &Path) -> anyhow::Result<()> {
    let path = report.join("results.json");
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&path).with_context(|| path.display().to_string())?,
    )?;
    errln!("\nSummary (best first):");
    let empty = Vec::new();
    for t in json["workloads"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .flat_map(|w| w["tables"].as_array().unwrap_or(&empty))
    {
        errln!(
            "  {:<36} {}",
            t["title"].as_str().unwrap_or("?"),
            best(
                &t["rows"],
                |r| r["throughput"]["value"].as_f64(),
                // Every row failed, hung or crashed (listed below).
                "none measured"
            )
        );
    }
    let load_groups = ["latency_under_load", "uneven_work"]
        .iter()
        .flat_map(|k| json[k].as_array().unwrap_or(&empty));
    for g in load_groups {
        errln!(
            "  {:<36} {}",
            format!("{} (capacity)", g["title"].as_str().unwrap_or("?")),
            best(
                &g["rows"],
                |r| r["capacity"]["rate"].as_f64(),
                "none met the latency target"
            )
        );
    }
    Ok(())
}

/// The six best rows by `figure`, best first, as `name 1.23M/s`: ranked
/// here, since a report table may group its rows (uneven work by flavor).
pub(super) fn best(
    rows: &serde_json::Value,
    figure: impl Fn(&serde_json::Value) -> Option<f64>,
    none: &str,
) -> String {
    let mut ranked: Vec<(&str, f64)> = rows
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| Some((r["runtime"].as_str()?, figure(r)?)))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    if ranked.is_empty() {
        return none.into();
    }
    ranked
        .iter()
        .take(6)
        .map(|(n, v)| format!("{n} {}", si(*v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `1234567.0` -> `1.23M/s`.
pub(super) fn si(v: f64) -> String {
    format!("{}/s", rtbench_render::fmt::si(v))
}

#[cfg(test)]
mod tests {
    use super::{Status, Tally};

    /// The console's word for a group is its results': `ok` only when every
    /// id measured, `skipped (reason)` when none could, else the counts.
    #[test]
    fn a_group_line_says_what_its_results_say() {
        let ok = Tally {
            ok: 3,
            ..Tally::default()
        };
        assert_eq!(ok.line(), "ok");
        assert!(ok.bad(1).is_empty());
        let skipped = Tally {
            skipped: vec!["glommio: no io_uring".into(); 2],
            ..Tally::default()
        };
        assert_eq!(skipped.line(), "skipped (glommio: no io_uring)");
        assert!(skipped.bad(1).is_empty());
        let mixed = Tally {
            ok: 1,
            broken: vec![("a/b/c".into(), Status::Failed, "server died".into())],
            missing: vec![
                (
                    "a/b/d".into(),
                    "lost: cannot write results: disk full".into(),
                ),
                ("a/b/e".into(), "no results file".into()),
            ],
            ..Tally::default()
        };
        assert_eq!(
            mixed.line(),
            "1 failed, 1 lost (results not written), 1 missing, 1 ok"
        );
        let bad = mixed.bad(2);
        assert_eq!(bad.len(), 3);
        assert_eq!(bad[0].what, "failed: server died");
        assert_eq!(super::Bad::counts(&bad), "1 failed, 1 lost, 1 missing");
        // A failure the runtime's own task limit explains is shown, not bad.
        let limited = Tally {
            ok: 7,
            limited: 1,
            ..Tally::default()
        };
        assert_eq!(limited.line(), "1 failed by the runtime's design, 7 ok");
        assert!(limited.bad(1).is_empty());
    }

    /// The summary ranks by the figure, not by the report's row order (the
    /// uneven-work tables group by flavor), and skips rows without one.
    #[test]
    fn the_summary_ranks_best_first() {
        let rows = serde_json::json!([
            {"runtime": "tokio-mt", "capacity": {"rate": 13_800.0}},
            {"runtime": "async-std", "capacity": {"rate": null}},
            {"runtime": "compio", "capacity": {"rate": 15_000.0}},
        ]);
        assert_eq!(
            super::best(&rows, |r| r["capacity"]["rate"].as_f64(), "none"),
            "compio 15.0 k/s, tokio-mt 13.8 k/s"
        );
        let unmet = serde_json::json!([{"runtime": "async-std", "capacity": {"rate": null}}]);
        assert_eq!(
            super::best(&unmet, |r| r["capacity"]["rate"].as_f64(), "none"),
            "none"
        );
    }
}
