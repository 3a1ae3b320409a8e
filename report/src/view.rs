//! The columns of a results table, decided once so the HTML page and
//! summary.md show the same figures under the same headings.

use crate::fmt;
use crate::model::{Row, Table};

/// One formatted cell; `class` marks baseline verdicts for CSS, `sub` is a
/// secondary figure (the 95% interval) that HTML prints small below the value.
pub struct Cell {
    pub text: String,
    pub sub: Option<String>,
    pub class: Option<&'static str>,
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell {
            text,
            sub: None,
            class: None,
        }
    }
}

impl Cell {
    /// Value and secondary figure on one line, for plain-text formats.
    pub fn joined(&self) -> String {
        match &self.sub {
            Some(sub) => format!("{} ({sub})", self.text),
            None => self.text.clone(),
        }
    }
}

pub struct Column<'a> {
    pub header: String,
    pub numeric: bool,
    pub cell: Box<dyn Fn(&Row) -> Cell + 'a>,
}

fn col<'a>(header: impl Into<String>, numeric: bool, f: impl Fn(&Row) -> Cell + 'a) -> Column<'a> {
    Column {
        header: header.into(),
        numeric,
        cell: Box::new(f),
    }
}

fn or_dash<T>(v: Option<T>, f: impl Fn(T) -> String) -> Cell {
    v.map_or_else(|| "—".to_string(), f).into()
}

/// The columns of `table`: fixed identity columns, then only the figures that
/// some row of this table actually has.
pub fn columns(table: &Table, with_baseline: bool) -> Vec<Column<'_>> {
    let rows = &table.rows;
    let op = &table.op;
    let mut c = vec![
        col("Runtime", false, |r: &Row| {
            let mark = if r.is_reference { " (ref)" } else { "" };
            format!("{}{mark}", r.runtime).into()
        }),
        col("Flavor", false, |r: &Row| r.flavor.clone().into()),
        col("Workers", true, |r: &Row| r.workers.to_string().into()),
        col("Timer class", false, |r: &Row| r.timer_class.clone().into()),
        col("Driver", false, |r: &Row| r.driver.clone().into()),
    ];
    if table.workload == "timers" || rows.iter().any(|r| r.timer_slack_ns.is_some()) {
        c.push(col("Timer slack", true, |r: &Row| {
            or_dash(r.timer_slack_ns, fmt::ns)
        }));
    }
    if table.workload != "echo" {
        c.push(col(format!("Time / {op}"), true, |r: &Row| {
            or_dash(r.time_per_op_ns, |t| fmt::ns(t.value))
        }));
    }
    c.push(col(
        format!("{}/s (95% CI)", capitalize(&fmt::plural(op))),
        true,
        |r: &Row| match r.throughput {
            None => "—".to_string().into(),
            Some(t) => Cell {
                text: fmt::si(t.value),
                sub: Some(format!("{} – {}", fmt::si(t.lower), fmt::si(t.upper))),
                class: None,
            },
        },
    ));
    c.push(col("vs best", true, |r: &Row| {
        or_dash(r.ratio_to_best, fmt::ratio)
    }));
    c.push(col("vs floor", true, |r: &Row| {
        or_dash(r.ratio_to_reference, fmt::ratio)
    }));
    if let Some(kind) = &table.latency_kind {
        let name = match kind.as_str() {
            "round-trip" => "RTT".to_string(),
            "lateness" => "Lateness".to_string(),
            k => k.to_string(),
        };
        type Pick = fn(&crate::model::LatencyFigures) -> u64;
        let picks: [(&str, Pick); 5] = [
            ("p50", |l| l.p50_ns),
            ("p90", |l| l.p90_ns),
            ("p99", |l| l.p99_ns),
            ("p99.9", |l| l.p999_ns),
            ("max", |l| l.max_ns),
        ];
        for (label, pick) in picks {
            c.push(col(format!("{name} {label}"), true, move |r: &Row| {
                or_dash(r.latency.as_ref(), |l| fmt::ns(pick(l) as f64))
            }));
        }
    }
    if rows.iter().any(|r| r.server_cpu_ns_per_op.is_some()) {
        c.push(col(format!("Server CPU / {op}"), true, |r: &Row| {
            or_dash(r.server_cpu_ns_per_op, fmt::ns)
        }));
    }
    if rows.iter().any(|r| r.bytes_per_task.is_some()) {
        c.push(col("Bytes / task", true, |r: &Row| {
            or_dash(r.bytes_per_task, fmt::bytes)
        }));
    }
    if with_baseline {
        c.push(col("Δ vs baseline", true, |r: &Row| match &r.change {
            None => "—".to_string().into(),
            Some(ch) => {
                let (mark, class) = match ch.verdict.as_str() {
                    "faster" => ("▲", "faster"),
                    "slower" => ("▼", "slower"),
                    _ => ("~", "same"),
                };
                Cell {
                    text: format!("{mark} {}", fmt::percent(ch.percent)),
                    sub: None,
                    class: Some(class),
                }
            }
        }));
    }
    c
}

/// One line under a table's heading: where it ran and what it compares to.
pub fn caption(table: &Table) -> String {
    let params: Vec<String> = table
        .params
        .iter()
        .map(|(k, v)| format!("{k} = {}", fmt::count(*v)))
        .collect();
    let mut parts = vec![
        format!("topology: {}", table.topology),
        format!("placement: {}", table.placement),
        format!("case: {}", table.case),
    ];
    if !params.is_empty() {
        parts.push(params.join(", "));
    }
    parts.push(match &table.reference {
        Some(r) => format!("floor: {r}"),
        None => "no reference floor in this table".into(),
    });
    parts.join(" · ")
}

/// The Environment block as (label, value) pairs.
pub fn environment(model: &crate::Model) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = Vec::new();
    let run = &model.run;
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "unknown".into());
    v.push(("Run".into(), format!("{} ({})", opt(&run.run_id), run.path)));
    v.push(("Date".into(), opt(&run.started_at)));
    v.push(("Mode".into(), opt(&run.mode)));
    v.push(("Placement".into(), opt(&run.placement)));
    v.push(("Git commit".into(), opt(&run.git_commit)));
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
            model.crate_versions_source.as_deref().unwrap_or("?")
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
                opt(&b.mode),
                opt(&b.git_commit)
            ),
        ));
    }
    v
}

/// "How to read this", one paragraph per item, plain text.
pub const HOW_TO_READ: &[&str] = &[
    "Each table is one case of one workload in one topology and placement; rows in it are comparable, rows in different tables are not. Rows are sorted fastest first.",
    "Throughput is operations per second from criterion's mean time per iteration (ops per iteration × 10⁹ / mean ns); the range under it (in brackets in summary.md) is criterion's 95% confidence interval.",
    "\"vs best\" divides by the fastest row of the table. \"vs floor\" divides by the no-runtime reference measured in the same run (a blocking std thread per connection for echo, the OS sleep for timers); \"—\" means the table has no reference.",
    "Latency percentiles come from an HdrHistogram of every operation: round-trip time for echo, lateness (how long after its deadline a timer fired) for timers. The percentile charts put p on a log scale of 1/(1−p), so each step right is ten times rarer.",
    "Timer class matters: 1ms-wheel runtimes round sleeps up to the next millisecond tick, fine ones use sub-millisecond timers, os is the OS sleep itself. Timer slack is the Linux slack the sleeping thread had; it adds directly to lateness.",
    "Server CPU per operation is user + system time of the server threads divided by the operations; above the time per operation means more than one core was busy.",
    "With a baseline, Δ is the change in throughput against the row with the same id; ▲ (faster) and ▼ (slower) mark only changes whose two 95% intervals do not overlap, \"~\" marks overlapping ones, which are noise until shown otherwise.",
];

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}
