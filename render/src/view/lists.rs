//! The overview, the lists (failures, skips, missing, problems), the
//! environment block and the one-line checks of a report.

use super::*;
use crate::fmt;
use crate::model::{
    IntervalSource, Model, Overview, OverviewCell, OverviewRuntime, RoundStats, WIDE,
};
use crate::rank::SplitHalf;
use rtbench_format::Status;

/// "runtime has no result for case", for each runtime missing from `workload`.
pub fn missing_here(model: &Model, workload: &str) -> Vec<String> {
    model
        .missing
        .iter()
        .filter(|m| m.workload == workload)
        .map(|m| match &m.rounds[..] {
            [] => format!("{} has no result for {}", m.runtime, m.case),
            rounds => format!(
                "{} has no result for {} in round {}",
                m.runtime,
                m.case,
                rounds
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
        .collect()
}

/// A list section of the report: its id in index.html and its heading
/// (summary.md links by heading, as GitHub does).
pub struct Anchor {
    pub id: &'static str,
    pub heading: &'static str,
}

pub const FAILURES: Anchor = Anchor {
    id: "failures",
    heading: "Failed, hung and crashed results",
};
pub const SKIPPED: Anchor = Anchor {
    id: "skipped",
    heading: "Skipped runtimes",
};
pub const MISSING: Anchor = Anchor {
    id: "missing",
    heading: "Missing results",
};
pub const PROBLEMS: Anchor = Anchor {
    id: "problems",
    heading: "Problems",
};

pub const FAILURES_INTRO: &str = "These results did not measure. A row whose other rounds did still shows their figures; a row with no such round shows its last round's error.";
pub const MISSING_INTRO: &str = "This run is partial: these results were asked for (or others have them) and have no bench file.";
pub const PROBLEMS_INTRO: &str = "These files could not be read; the report shows everything else.";

/// The overview matrix: runtime, median rank, then one column per case
/// (linked to its table), each cell the ratio to the case's best.
pub fn overview_columns(o: &Overview) -> Vec<Column<'_, OverviewRuntime>> {
    let mut c = vec![
        runtime_col(),
        col("Median rank", true, |r: &OverviewRuntime| Cell {
            sub: r.median_rank.map(|_| {
                let s = if r.ranked_cases == 1 { "" } else { "s" };
                format!("{} case{s}", r.ranked_cases)
            }),
            // A median of ranks is a whole or a half.
            ..or_dash(r.median_rank, |m| {
                format!("{m:.*}", usize::from(m.fract() != 0.0))
            })
        }),
    ];
    for (i, case) in o.cases.iter().enumerate() {
        c.push(Column {
            anchor: Some(case.id.clone()),
            ..col(case.label.clone(), true, move |r: &OverviewRuntime| {
                r.cells[i]
                    .as_ref()
                    .map_or_else(|| String::new().into(), overview_cell)
            })
        });
    }
    c
}

/// A cell of the overview: the ratio (bold where best), the status of a
/// row that did not measure, or `none` for a rank without a ratio (no
/// capacity at the target).
pub(crate) fn overview_cell(c: &OverviewCell) -> Cell {
    match (c.ratio, c.rank) {
        _ if c.status != Status::Ok => Cell {
            class: Some("unmeasured"),
            ..c.status.to_string().into()
        },
        (Some(ratio), Some(1)) => Cell {
            class: Some("best"),
            heat: Some(ratio),
            ..fmt::sig3(ratio).into()
        },
        (Some(ratio), _) if c.tied_with_best => Cell {
            class: Some("tied"),
            heat: Some(ratio),
            ..format!("≈ {}", fmt::sig3(ratio)).into()
        },
        (Some(ratio), _) => Cell {
            heat: Some(ratio),
            ..fmt::sig3(ratio).into()
        },
        (None, Some(_)) => Cell {
            heat: Some(0.0),
            ..NO_CAPACITY_SHORT.to_string().into()
        },
        (None, _) => "—".to_string().into(),
    }
}

/// The line above the overview of a run with rounds.
pub fn rounds_line(o: &Overview) -> Option<String> {
    (o.rounds > 1).then(|| {
        format!(
            "{} rounds; every figure is its row's median round, its 95% interval Student's t over the rounds.",
            o.rounds
        )
    })
}

/// The run's own reproducibility check, as the overview says it.
pub fn split_half_line(o: &Overview) -> String {
    let mut line = split_half_text(&o.split_half, "this run");
    let by: Vec<String> = o
        .split_half_by_workload
        .iter()
        .filter(|(_, s)| s.with_halves > 0)
        .map(|(w, s)| format!("{w} {} of {}", s.agree, s.with_halves))
        .collect();
    if o.split_half.with_halves > 0 && !by.is_empty() {
        line.push_str(&format!(" By workload: {}.", by.join(", ")));
    }
    line
}

/// "of the N orderings … agree on X%", or why there is nothing to check.
pub(crate) fn split_half_text(s: &SplitHalf, who: &str) -> String {
    let plural = |n: u32| if n == 1 { "ordering" } else { "orderings" };
    match (s.significant, s.with_halves, s.share) {
        (0, _, _) => format!(
            "Split-half check: {who} calls no ordering significant (every two rows of a case have overlapping 95% intervals), so there is nothing to check."
        ),
        (n, 0, _) | (n, _, None) => format!(
            "Split-half check unavailable: the {n} {} {who} calls significant have no halves to compare (rows of one round, or results without split trials).",
            plural(n)
        ),
        (n, m, Some(share)) => {
            let mut t = format!(
                "Split-half check: of the {m} {} {who} calls significant, its two halves agree on {}% ({} of {m}).",
                plural(m),
                fmt::sig3(share * 100.0),
                s.agree
            );
            if n > m {
                t.push_str(&format!(
                    " {} more have no halves (rows of one round, or results without split trials).",
                    n - m
                ));
            }
            t
        }
    }
}

/// The line under a table or group: how many of its rows have a wide
/// interval, and its split-half check. `None` when no row has an interval.
pub fn checks_line(wide: u32, stats: &[&RoundStats], s: &SplitHalf) -> Option<String> {
    let with = stats.iter().filter(|s| s.half_width.is_some()).count();
    if with == 0 && s.significant == 0 {
        return None;
    }
    let criterion = stats
        .iter()
        .all(|s| s.ci.is_none_or(|c| c.source == IntervalSource::Criterion));
    let from = if criterion {
        " (criterion's, within one process)"
    } else {
        ""
    };
    let orderings = |n: u32| if n == 1 { "ordering" } else { "orderings" };
    let halves = match (s.significant, s.with_halves) {
        (0, _) => "no ordering significant".to_string(),
        (n, 0) => format!("{n} significant {}, no halves to check them", orderings(n)),
        (n, m) => {
            let more = if n > m {
                format!(" ({} without halves)", n - m)
            } else {
                String::new()
            };
            format!(
                "its halves agree on {} of {m} significant {}{more}",
                s.agree,
                orderings(m)
            )
        }
    };
    Some(format!(
        "95% intervals{from}: {wide} of {with} {} wider than ±{:.0}% · {halves}.",
        if with == 1 { "row" } else { "rows" },
        WIDE * 100.0
    ))
}

/// An overview cell whose runtime met the target at no rate tried.
pub const NO_CAPACITY_SHORT: &str = "none";

/// Under the overview matrix: what its cells are.
pub const OVERVIEW_KEY: &str = "Each cell divides a runtime's figure by the best of that case: throughput for the closed-loop cases, capacity at the latency target for latency under load and uneven work (\"none\": not even the lowest rate met it). 1.00 is the best; the colours run on a fixed scale from green (1.00) through yellow (0.50) to red (0). A case's column heading leads to its table. ≈ marks a runtime whose 95% interval overlaps the best's: the two cannot be told apart. Median rank: the middle of the runtime's places in the cases it measured (1 = best, references included).";

/// The counts under the overview, each with the list it links to when it
/// has one to show.
pub fn overview_counts(model: &Model) -> Vec<(String, Option<&'static Anchor>)> {
    let c = &model.overview.counts;
    let linked = |n: usize, a: &'static Anchor| (n > 0).then_some(a);
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut out = vec![
        (format!("{} failed", c.failed), linked(c.failed, &FAILURES)),
        (format!("{} hung", c.hung), linked(c.hung, &FAILURES)),
        (
            format!("{} crashed", c.crashed),
            linked(c.crashed, &FAILURES),
        ),
        (
            plural(c.skipped, "skipped runtime", "skipped runtimes"),
            linked(c.skipped, &SKIPPED),
        ),
    ];
    if c.missing > 0 {
        out.push((format!("{} missing", c.missing), Some(&MISSING)));
    }
    if c.problems > 0 {
        out.push((
            plural(c.problems, "unreadable file", "unreadable files"),
            Some(&PROBLEMS),
        ));
    }
    let o = &model.overview;
    if o.rows_with_interval > 0 {
        out.push((
            format!(
                "{} of {} rows with a 95% interval wider than ±{:.0}%",
                o.wide_rows,
                o.rows_with_interval,
                WIDE * 100.0
            ),
            None,
        ));
    }
    out
}

/// A list section of the report, as every format shows it: its anchor and
/// heading, the paragraph under the heading, and its items.
pub struct List {
    pub anchor: &'static Anchor,
    pub intro: &'static str,
    pub items: Vec<ListItem>,
}

/// One item of a list: what it is about (a runtime, or a file shown as
/// code), what happened, and the table (or latency group) it concerns.
pub struct ListItem {
    pub lead: String,
    pub lead_is_file: bool,
    pub text: String,
    pub table: Option<String>,
}

/// The failures, skipped runtimes, missing results and unreadable files of
/// a run, each list only when it has items, in page order.
pub fn lists(model: &Model) -> Vec<List> {
    let item = |lead: &str, text: String| ListItem {
        lead: lead.to_string(),
        lead_is_file: false,
        text,
        table: None,
    };
    let round = |r: u32| {
        if model.run.rounds > 1 {
            format!(", round {r}")
        } else {
            String::new()
        }
    };
    let failures = model.failures.iter().map(|f| ListItem {
        table: Some(f.table.clone()),
        ..item(
            &f.runtime,
            format!(
                "{} {}{}: {}: {}",
                f.workload,
                f.case,
                round(f.round),
                f.status,
                f.error
            ),
        )
    });
    let skipped = model.runtimes.iter().filter_map(|r| {
        let reason = r.reason.as_deref()?;
        Some(item(&r.name, reason.to_string()))
    });
    let missing =
        (model.missing.iter()).map(|m| item(&m.runtime, format!("{} {}", m.workload, m.case)));
    let problems = model.problems.iter().map(|p| ListItem {
        lead_is_file: true,
        ..item(&p.file, p.message.clone())
    });
    [
        (&FAILURES, FAILURES_INTRO, failures.collect::<Vec<_>>()),
        (&SKIPPED, "", skipped.collect()),
        (&MISSING, MISSING_INTRO, missing.collect()),
        (&PROBLEMS, PROBLEMS_INTRO, problems.collect()),
    ]
    .into_iter()
    .filter(|(_, _, items)| !items.is_empty())
    .map(|(anchor, intro, items)| List {
        anchor,
        intro,
        items,
    })
    .collect()
}

/// The Environment block as (label, value) pairs.
pub fn environment(model: &Model) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = Vec::new();
    let run = &model.run;
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "unknown".into());
    v.push(("Run".into(), format!("{} ({})", opt(&run.run_id), run.path)));
    v.push(("Date".into(), opt(&run.started_at)));
    v.push(("Mode".into(), opt(&run.mode.map(|m| m.to_string()))));
    v.push(("Placement".into(), opt(&run.placement)));
    v.push(("Git commit".into(), opt(&run.git_commit)));
    v.push((
        "Rounds".into(),
        match run.seed {
            Some(seed) => format!(
                "{}, runtime order shuffled per round from seed {seed}",
                run.rounds
            ),
            None => run.rounds.to_string(),
        },
    ));
    if !run.orders.is_empty() {
        let orders: Vec<String> = run
            .orders
            .iter()
            .enumerate()
            .map(|(i, o)| format!("round {}: {}", i + 1, o.join(", ")))
            .collect();
        v.push(("Runtime order".into(), orders.join("; ")));
    }
    match &model.environment {
        Some(e) => {
            v.push(("Kernel".into(), e.kernel.clone()));
            v.push(("CPU model".into(), e.cpu_model.clone()));
            v.push(("Cores".into(), e.cores.to_string()));
            v.push((
                "Memlock limit".into(),
                e.memlock_bytes
                    .map_or("unlimited".into(), |b| fmt::bytes(b as f64)),
            ));
            v.push(("io_uring".into(), e.io_uring.clone()));
            v.push(("rustc".into(), e.rustc.clone()));
            v.push((
                "Default timer slack".into(),
                e.timer_slack_ns
                    .map_or("unknown".into(), |s| fmt::ns(s as f64)),
            ));
        }
        None => v.push((
            "Machine".into(),
            "unknown: meta.json was unreadable (see Problems)".into(),
        )),
    }
    if let Some(n) = &model.noise {
        if !n.probes.is_empty() {
            v.push(("CPU probes".into(), crate::noise::per_cpu_line(n)));
        }
        if !n.method.is_empty() {
            v.push(("Who else ran, sampled".into(), n.method.clone()));
        }
    }
    let versions = if model.crate_versions.is_empty() {
        "not recorded".to_string()
    } else {
        let list: Vec<String> = model
            .crate_versions
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        format!(
            "{} (from {})",
            list.join(", "),
            model.crate_versions_source.map_or("?", |s| s.as_str())
        )
    };
    v.push(("Crate versions".into(), versions));
    if let Some(b) = &model.baseline {
        v.push((
            "Baseline".into(),
            format!(
                "{} ({}, {}, commit {})",
                opt(&b.run_id),
                b.path,
                opt(&b.mode.map(|m| m.to_string())),
                opt(&b.git_commit)
            ),
        ));
    }
    v
}

/// The "who else ran" table: the tasks outside the benchmark that used its
/// CPUs most, as (name, pid, CPU time). Empty without a record.
pub fn others(model: &Model) -> Vec<[String; 3]> {
    model.noise.as_ref().map_or(Vec::new(), |n| {
        crate::noise::top_others(n)
            .into_iter()
            .map(|t| [t.name.clone(), t.pid.to_string(), fmt::ns(t.cpu_ns as f64)])
            .collect()
    })
}

/// The headings of [`others`].
pub const OTHERS_HEADER: [&str; 3] = ["Who else ran", "PID", "CPU time"];

/// "How to read this", one paragraph per item, plain text.
pub const HOW_TO_READ: &[&str] = &[
    "Each table is one case of one workload in one topology and placement; rows in it are comparable, rows in different tables are not. Rows are sorted fastest first.",
    "Throughput is operations per second from criterion's mean time per iteration (ops per iteration × 10⁹ / mean ns). The range under it (in brackets in summary.md) is its 95% interval: with two rounds or more, Student's t over the rounds' throughputs, since on this machine figures vary far more between processes and rounds than within one; with a single round, criterion's own interval, which sees only the noise within one process and so is narrower than the truth.",
    "\"vs best\" divides by the fastest row of the table. \"vs floor\" divides by the no-runtime reference measured in the same run (a blocking std thread per connection for echo, the OS sleep for timers); \"—\" means the table has no reference.",
    "Latency percentiles come from an HdrHistogram of every operation: round-trip time for echo, lateness (how long after its deadline a timer fired) for timers. The percentile charts put p on a log scale of 1/(1−p), so each step right is ten times rarer.",
    "Timer class matters: 1ms-wheel runtimes round sleeps up to the next millisecond tick, fine ones use sub-millisecond timers, os is the OS sleep itself. Timer slack is the Linux slack the sleeping thread had; it adds directly to lateness.",
    "Run delay (where recorded): the time the server's threads, and the load generator's (gen; for fan_out and timers the bench's own), were runnable but kept off their CPU by other tasks while the figure was measured. The Environment block shows the machine's side of it: a probe per CPU and the other tasks that ran.",
    "Server CPU per operation is user + system time of the server divided by the operations (the CPU clock of the server's own process, `rtbench serve`); above the time per operation means more than one core was busy.",
    "When the run repeated its matrix in rounds, every row shows its median round: the round whose throughput (capacity, for latency under load) is the median of the rounds that measured it, the lower of the two middle ones for an even count. \"± (95%)\" is half the width of the row's 95% interval over its mean; wider than ±5% is marked, and each table and the overview count such rows. A failed, hung or crashed round does not count; it is listed under Failed, hung and crashed results.",
    "Ties: a row whose 95% interval overlaps the best row's cannot be told apart from it and is marked ≈ best (≈ in the overview); the sentences under the uneven-work tables call such a pair tied rather than name a winner.",
    "Split-half check: a pair of rows whose intervals do not overlap is an ordering the run calls significant. Each such pair is ordered again from each half of the data alone (odd against even rounds; for open-loop capacity, odd against even trials), and the two halves should agree. The share of pairs where they do is the run's own test of its reproducibility, under each table and in the overview.",
    "The overview at the top divides each runtime's figure by the best of each case and ranks it there; the median rank sums a runtime up across cases, the tables say why.",
    "With a baseline, Δ is the change in throughput against the row with the same id; ▲ (faster) and ▼ (slower) mark only changes whose two 95% intervals do not overlap, \"~\" marks overlapping ones, which are noise until shown otherwise.",
];

pub(crate) fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

/// The overview's line on the load generator's check: each failed case named
/// (its figures may be the generator's limit, not the server's), or how many
/// passed. `None` when no case ran the check. The bool is "all passed".
pub fn generator_check_line(o: &Overview) -> Option<(String, bool)> {
    let checks = &o.generator_checks;
    if checks.is_empty() {
        return None;
    }
    let faster = |c: &&crate::model::GeneratorCheck| {
        let who = match c.client.as_str() {
            "blocking-client" => "a blocking client".to_string(),
            other => other.to_string(),
        };
        format!(
            "{}: {who} drove {} at {}/s, the load generator at {}/s",
            c.case,
            c.server,
            fmt::si(c.other_client),
            fmt::si(c.load_generator)
        )
    };
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| !c.passed && !c.tied)
        .map(|c| faster(&c))
        .collect();
    let tied: Vec<String> = checks
        .iter()
        .filter(|c| c.tied)
        .map(|c| faster(&c))
        .collect();
    Some(if failed.is_empty() {
        let ties = if tied.is_empty() {
            String::new()
        } else {
            format!(
                " In {} of them the other client's figure was higher but within both 95% intervals, a tie ({}).",
                tied.len(),
                tied.join("; ")
            )
        };
        (
            format!(
                "Load generator check passed in {} case(s): it drove each server at least as fast as the other client (a blocking client in echo, wrk in http), or as fast as can be told.{ties}",
                checks.len()
            ),
            true,
        )
    } else {
        (
            format!(
                "Load generator check FAILED in {} of {} case(s) ({}): there the load generator, not the server, may set the figures.",
                failed.len(),
                checks.len(),
                failed.join("; ")
            ),
            false,
        )
    })
}
