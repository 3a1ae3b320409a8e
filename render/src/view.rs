//! The columns of a results table, decided once so the HTML page and
//! summary.md show the same figures under the same headings.

use crate::fmt;
use crate::model::{
    Ci, IntervalSource, LoadRow, OverviewRuntime, RoundStats, Row, Scope, Table, Verdict, WIDE,
};
use rtbench_format::Status;

mod lists;
mod open_loop;

pub use lists::*;
pub use open_loop::*;

/// One formatted cell; `class` marks what stands out (baseline verdicts,
/// wide intervals, the best of a case and its ties) for CSS and bold in Markdown, `sub` is a
/// secondary figure (the 95% interval) that HTML prints small below the
/// value, `heat` a ratio to the best that HTML colours on a fixed scale.
pub struct Cell {
    pub text: String,
    pub sub: Option<String>,
    pub class: Option<&'static str>,
    pub heat: Option<f64>,
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell {
            text,
            sub: None,
            class: None,
            heat: None,
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

pub struct Column<'a, R = Row> {
    pub header: String,
    /// The id of the table this column stands for, which HTML links to.
    pub anchor: Option<String>,
    pub numeric: bool,
    pub cell: Box<dyn Fn(&R) -> Cell + 'a>,
}

fn col<'a, R>(
    header: impl Into<String>,
    numeric: bool,
    f: impl Fn(&R) -> Cell + 'a,
) -> Column<'a, R> {
    Column {
        header: header.into(),
        anchor: None,
        numeric,
        cell: Box::new(f),
    }
}

/// What the table writers need of a row beyond its columns, so closed-loop
/// tables, open-loop tables and the overview share one writer per format.
pub trait TableRow {
    fn runtime(&self) -> &str;
    fn colour(&self) -> &str;
    fn is_reference(&self) -> bool;
    /// A line of the overview is always ok.
    fn status(&self) -> Status {
        Status::Ok
    }
    fn error(&self) -> Option<&str> {
        None
    }
    /// The error of a row that did not measure, which then shows in place
    /// of its figures.
    fn failure(&self) -> Option<&str> {
        (self.status() != Status::Ok).then(|| self.error().unwrap_or(""))
    }
}

/// Implements [`TableRow`] from a row's fields; `status` names rows that
/// carry a status and an error.
macro_rules! table_row {
    ($t:ty $(, $status:ident)?) => {
        impl TableRow for $t {
            fn runtime(&self) -> &str {
                &self.runtime
            }
            fn colour(&self) -> &str {
                &self.colour
            }
            fn is_reference(&self) -> bool {
                self.is_reference
            }
            $(
                fn $status(&self) -> Status {
                    self.status
                }
                fn error(&self) -> Option<&str> {
                    self.error.as_deref()
                }
            )?
        }
    };
}
table_row!(Row, status);
table_row!(LoadRow, status);
table_row!(OverviewRuntime);
table_row!(WorkSummaryRow);

/// The first column of every table: the runtime, references marked.
fn runtime_col<'a, R: TableRow>() -> Column<'a, R> {
    col("Runtime", false, |r: &R| {
        let mark = if r.is_reference() { " (ref)" } else { "" };
        format!("{}{mark}", r.runtime()).into()
    })
}

fn or_dash<T>(v: Option<T>, f: impl Fn(T) -> String) -> Cell {
    v.map_or_else(|| "—".to_string(), f).into()
}

/// The relative half-width of each row's 95% interval, when any row has
/// more than one round (a single-round table shows its interval under the
/// figure only). Wider than ±5% is marked; a row measured by fewer rounds
/// than the table's most says so beneath, and where its interval is then
/// criterion's (one round).
fn half_width_col<'a, R: 'a>(rows: &[R], stats: fn(&R) -> &RoundStats) -> Option<Column<'a, R>> {
    let most = rows.iter().map(|r| stats(r).rounds).max().unwrap_or(0);
    (most > 1).then(|| {
        col(HALF_WIDTH_HEADER, true, move |r: &R| {
            let s = stats(r);
            let mut cell = or_dash(s.half_width, |x| format!("± {}%", fmt::sig3(x * 100.0)));
            if s.half_width.is_some_and(|h| h > WIDE) {
                cell.class = Some("wide");
            }
            if s.rounds < most {
                let criterion = s.ci.is_some_and(|c| c.source == IntervalSource::Criterion);
                let from = if criterion { " (criterion's)" } else { "" };
                cell.sub = Some(format!("{} of {most} rounds{from}", s.rounds));
            }
            cell
        })
    })
}

/// The knob that names what carried a row's HTTP (the `http` workloads):
/// the adapter crate hyper ran through, or the client that drove it.
pub const ADAPTER_KNOB: &str = "http";

/// The heading of the half-width column.
pub const HALF_WIDTH_HEADER: &str = "± (95%)";

/// An interval as a table shows it: `78.0 k – 84.0 k`, or `≥ 78.0 k` unbounded.
pub fn ci_text(c: &Ci, f: impl Fn(f64) -> String) -> String {
    match c.upper {
        Some(hi) => format!("{} – {}", f(c.lower), f(hi)),
        None => format!("≥ {}", f(c.lower)),
    }
}

/// Marks a row whose interval overlaps the best row's.
pub const TIED_MARK: &str = "≈ best";

/// The columns of `table`: fixed identity columns, then only the figures that
/// some row of this table actually has.
pub fn columns(table: &Table, with_baseline: bool) -> Vec<Column<'_>> {
    let rows = &table.rows;
    let op = &table.scope.op;
    let mut c = vec![
        runtime_col(),
        col("Flavor", false, |r: &Row| r.flavor.to_string().into()),
        col("Workers", true, |r: &Row| r.workers.to_string().into()),
        col("Timer class", false, |r: &Row| {
            r.timer_class.to_string().into()
        }),
        col("Driver", false, |r: &Row| r.driver.clone().into()),
    ];
    if rows.iter().any(|r| r.knobs.contains_key(ADAPTER_KNOB)) {
        c.push(col("Adapter", false, |r: &Row| {
            or_dash(r.knobs.get(ADAPTER_KNOB), String::clone)
        }));
    }
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
                sub: Some(match &r.round_stats.ci {
                    Some(ci) => ci_text(ci, fmt::si),
                    None => format!("{} – {}", fmt::si(t.lower), fmt::si(t.upper)),
                }),
                class: None,
                heat: None,
            },
        },
    ));
    c.extend(half_width_col(rows, |r| &r.round_stats));
    c.push(col("vs best", true, |r: &Row| Cell {
        sub: r.tied_with_best.then(|| TIED_MARK.to_string()),
        ..or_dash(r.ratio_to_best, fmt::ratio)
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
        // The sched cases measure the whole process: both sides work.
        let whose = if matches!(table.workload.as_str(), "sched" | "file") {
            "CPU (process)"
        } else {
            "Server CPU"
        };
        c.push(col(format!("{whose} / {op}"), true, |r: &Row| {
            or_dash(r.server_cpu_ns_per_op, fmt::ns)
        }));
    }
    if rows.iter().any(|r| r.extra.contains_key("threads")) {
        c.push(col("Threads added", true, |r: &Row| {
            or_dash(r.extra.get("threads").copied(), |t| format!("{t:.0}"))
        }));
    }
    if rows.iter().any(|r| r.bytes_per_task.is_some()) {
        c.push(col("Bytes / task", true, |r: &Row| {
            or_dash(r.bytes_per_task, fmt::bytes)
        }));
    }
    let delay = |r: &Row| {
        let i = r.interference?;
        i.server_run_delay_ns.or(i.generator_run_delay_ns)?;
        Some(i)
    };
    if rows.iter().any(|r| delay(r).is_some()) {
        c.push(col("Run delay server / gen", true, move |r: &Row| {
            or_dash(delay(r), |i| {
                let ns = |x: Option<u64>| x.map_or("—".into(), |x| fmt::ns(x as f64));
                format!(
                    "{} / {}",
                    ns(i.server_run_delay_ns),
                    ns(i.generator_run_delay_ns)
                )
            })
        }));
    }
    if with_baseline {
        c.push(col("Δ vs baseline", true, |r: &Row| match &r.change {
            None => "—".to_string().into(),
            Some(ch) => {
                let (mark, class) = match ch.verdict {
                    Verdict::Faster => ("▲", "faster"),
                    Verdict::Slower => ("▼", "slower"),
                    Verdict::Unchanged => ("~", "same"),
                };
                Cell {
                    text: format!("{mark} {}", fmt::percent(ch.percent)),
                    sub: None,
                    class: Some(class),
                    heat: None,
                }
            }
        }));
    }
    c
}

/// One line under a table's heading: where it ran and what it compares to.
pub fn caption(table: &Table) -> String {
    let mut parts = where_parts(&table.scope);
    parts.push(match &table.reference {
        Some(r) => format!("floor: {r}"),
        None => "no reference floor in this table".into(),
    });
    parts.join(" · ")
}

/// Topology, placement, case and sweep parameters: what makes rows comparable.
fn where_parts(s: &Scope) -> Vec<String> {
    let params: Vec<String> = s
        .params
        .iter()
        .map(|(k, v)| format!("{k} = {}", fmt::count(*v)))
        .collect();
    let mut parts = vec![
        format!("topology: {}", s.topology),
        format!("placement: {}", s.placement),
        format!("case: {}", s.case),
    ];
    if !params.is_empty() {
        parts.push(params.join(", "));
    }
    parts
}
