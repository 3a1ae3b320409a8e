//! The columns of a results table, decided once so the HTML page and
//! summary.md show the same figures under the same headings.

use crate::fmt;
use crate::model::{
    Ci, IntervalSource, LOAD_WORKLOAD, LoadGroup, LoadPoint, LoadRow, Model, Percentiles,
    RoundStats, Row, Scope, Table, Verdict, WIDE, WORK_WORKLOAD, flavor_rank, work_mix,
};
use crate::overview::{Overview, OverviewCell, OverviewRuntime};
use crate::rank::SplitHalf;
use rtbench_format::{Capacity, Flavor, Status, WorkSetup};

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
        c.push(col(format!("Server CPU / {op}"), true, |r: &Row| {
            or_dash(r.server_cpu_ns_per_op, fmt::ns)
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

/// The caption of an open-loop group: where, the target, the shared rates;
/// for `work`, what the requests cost first, and how that was calibrated.
pub fn load_caption(g: &LoadGroup) -> String {
    let work = g.setup.as_ref().and_then(|s| s.work.as_ref());
    let mut parts = match work {
        Some(w) => work_parts(g, w),
        None => where_parts(&g.scope),
    };
    if let Some(s) = &g.setup {
        parts.push(format!("target: {}", s.slo_label));
        parts.push(format!(
            "reference rate (100%): {} {}/s ({})",
            fmt::si(s.reference_rate),
            fmt::plural(&g.scope.op),
            s.reference_source
        ));
        let seed = s.seed.map_or(String::new(), |x| format!(", seed {x}"));
        parts.push(format!(
            "{} arrivals{seed}, {} per step after {} warm-up, generator waits by {}",
            s.arrivals,
            fmt::ns_tick(s.step_secs * 1e9),
            fmt::ns_tick(s.warmup_secs * 1e9),
            s.generator_wait
        ));
        if let Some(i) = &s.interleaving {
            parts.push(format!(
                "interleaved trials: {}–{} per runtime and rate (more while the target's interval is wider than ±{}%), orders from seed {}",
                i.min_trials,
                i.max_trials,
                fmt::sig3(i.width * 100.0),
                i.seed
            ));
            parts.push(idle_servers(g));
        }
    }
    if let Some(w) = work {
        let cpus: Vec<String> = w.generator_cpus.iter().map(|c| c.to_string()).collect();
        let s = if cpus.len() == 1 { "" } else { "s" };
        parts.push(format!(
            "calibration: {} rounds/µs ({}), cost seed {}, generator on cpu{s} {}",
            fmt::sig3(w.rounds_per_us),
            w.calibration,
            w.seed,
            cpus.join(", ")
        ));
    }
    parts.join(" · ")
}

/// Whether the servers that sat idle during the others' trials cost
/// anything: the most any used, and the runtimes that spin while idle
/// (over 1% of a CPU), which would tax whoever ran beside them.
fn idle_servers(g: &LoadGroup) -> String {
    let shares: Vec<(&str, f64)> = g
        .rows
        .iter()
        .filter_map(|r| Some((r.runtime.as_str(), r.idle_cpu_share?)))
        .collect();
    let Some(&(worst, most)) = shares.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else {
        return "idle servers: not measured".into();
    };
    let spinning: Vec<&str> = shares.iter().filter(|s| s.1 > 0.01).map(|s| s.0).collect();
    let most = format!("{}%", fmt::sig3(most * 100.0));
    if spinning.is_empty() {
        format!(
            "idle servers cost nothing measurable: at most {most} of a CPU ({worst}) while the others' trials ran"
        )
    } else {
        format!(
            "spins while idle (over 1% of a CPU while the others' trials ran): {}; at most {most} ({worst})",
            spinning.join(", ")
        )
    }
}

/// What a `work` group's requests cost and where it ran, e.g. `skewed: 95%
/// 5 µs, 5% 500 µs (mean 29.8 µs)`, `64 B × 32 connections`, `2 cores,
/// shared placement`, `generator 1 thread`, then the full placement.
fn work_parts(g: &LoadGroup, w: &WorkSetup) -> Vec<String> {
    let us = |x: f64| fmt::ns_tick(x * 1e3);
    let classes: Vec<String> = w
        .classes
        .iter()
        .map(|c| {
            let share = format!("{:.1}", c.share * 100.0);
            let share = share.trim_end_matches('0').trim_end_matches('.');
            let cost = match (c.work_us > 0.0, c.block_us > 0.0) {
                (true, true) => format!("{} + {} blocked", us(c.work_us), us(c.block_us)),
                (false, true) => format!("{} blocked", us(c.block_us)),
                _ => us(c.work_us),
            };
            format!("{share}% {cost}")
        })
        .collect();
    let hot = match w.hot_connections.len() {
        0 => String::new(),
        n => {
            let list: Vec<String> = w.hot_connections.iter().map(|c| c.to_string()).collect();
            let s = if n == 1 { "" } else { "s" };
            format!(
                ", the costly ones on {n} hot connection{s} ({})",
                list.join(", ")
            )
        }
    };
    let s = &g.scope;
    let mut parts = vec![format!(
        "{}: {}{hot} (mean {})",
        w.mix,
        classes.join(", "),
        fmt::ns(w.mean_us * 1e3)
    )];
    if let (Some(&b), Some(&c)) = (s.params.get("msg_bytes"), s.params.get("connections")) {
        parts.push(format!("{} × {} connections", fmt::bytes(b), fmt::count(c)));
    }
    let short = s.placement.split(':').next().unwrap_or(&s.placement);
    parts.push(format!("{}, {short} placement", s.topology));
    if let Some(setup) = &g.setup {
        let n = setup.generator_threads;
        parts.push(format!(
            "generator {n} thread{}",
            if n == 1 { "" } else { "s" }
        ));
    }
    parts.push(format!("placement: {}", s.placement));
    parts
}

/// The columns of an open-loop table: capacity, then corrected latency with
/// service time beneath it at 50% and 90% of the reference, then generator
/// lag. A `work` table has its own ([`work_columns`]).
pub fn load_columns(g: &LoadGroup) -> Vec<Column<'_, LoadRow>> {
    if g.workload == WORK_WORKLOAD {
        return work_columns(g);
    }
    let mut c = vec![runtime_col(), flavor_col(), capacity_col(g)];
    c.extend(half_width_col(&g.rows, |r| &r.round_stats));
    c.push(col("Bracket", true, |r: &LoadRow| {
        or_dash(r.capacity.as_ref(), |c| match c.bracket_hi {
            Some(hi) => format!("{} – {}", fmt::si(c.bracket_lo), fmt::si(hi)),
            None => format!("≥ {} (all met)", fmt::si(c.bracket_lo)),
        })
    }));
    c.push(col("Probes", true, |r: &LoadRow| {
        or_dash(r.capacity.as_ref(), |c| c.probes.to_string())
    }));
    let picks: [(&str, Pick); 3] = [P50, P99, P999];
    let ats: [(&str, At); 2] = [("50%", |r| r.at_50.as_ref()), ("90%", |r| r.at_90.as_ref())];
    for (at, point) in ats {
        for (label, pick) in picks {
            c.push(point_col(format!("{label} at {at}"), point, pick));
        }
    }
    c.push(lag_col());
    c.extend(trial_cols(g));
    c
}

/// Run delay at the 80% step and the slow trials by cause, when the rows
/// recorded them (interleaved trials).
fn trial_cols(g: &LoadGroup) -> Vec<Column<'_, LoadRow>> {
    let mut c = Vec::new();
    let delay = |r: &LoadRow| r.at_80.as_ref().and_then(|p| p.run_delay);
    if g.rows.iter().any(|r| delay(r).is_some()) {
        c.push(col("Run delay at 80%", true, move |r: &LoadRow| {
            let d = delay(r);
            let per_s = |x: f64| format!("{}/s", fmt::ns(x));
            Cell {
                sub: d
                    .and_then(|d| d.generator_ns_per_s)
                    .map(|x| format!("gen {}", per_s(x))),
                ..or_dash(d.and_then(|d| d.server_ns_per_s), per_s)
            }
        }));
    }
    if g.rows.iter().any(|r| r.slow_trials.is_some()) {
        c.push(col(
            "Slow trials server / gen / machine",
            true,
            |r: &LoadRow| {
                or_dash(r.slow_trials, |t| {
                    format!("{} / {} / {}", t.server, t.generator, t.machine)
                })
            },
        ));
    }
    c
}

/// The columns of a `work` table: what decides between the flavors
/// (capacity, p99 at 50% and 80%), then whether the generator kept up (its
/// lag, and its CPU per round trip beside the server's).
fn work_columns(g: &LoadGroup) -> Vec<Column<'_, LoadRow>> {
    let op = &g.scope.op;
    let mut c = vec![runtime_col(), flavor_col(), capacity_col(g)];
    c.extend(half_width_col(&g.rows, |r| &r.round_stats));
    c.push(point_col("p99 at 50%".into(), |r| r.at_50.as_ref(), P99.1));
    c.push(point_col("p99 at 80%".into(), |r| r.at_80.as_ref(), P99.1));
    c.push(lag_col());
    c.push(col(
        format!("Server CPU / {op} at 80%"),
        true,
        |r: &LoadRow| {
            or_dash(
                r.at_80.as_ref().and_then(|p| p.server_cpu_ns_per_op),
                fmt::ns,
            )
        },
    ));
    c.push(col(
        format!("Generator CPU / {op} at 80%"),
        true,
        |r: &LoadRow| {
            let p = r.at_80.as_ref();
            let server = p.and_then(|p| p.server_cpu_ns_per_op);
            Cell {
                sub: p
                    .and_then(|p| p.generator_cpu_ns_per_op)
                    .zip(server.filter(|s| *s > 0.0))
                    .map(|(g, s)| format!("{}% of server", fmt::sig3(g / s * 100.0))),
                ..or_dash(p.and_then(|p| p.generator_cpu_ns_per_op), fmt::ns)
            }
        },
    ));
    c.extend(trial_cols(g));
    c
}

/// A percentile of a step: its quantile (to match the step's target
/// interval) and how to read it from the step's percentiles.
#[derive(Clone, Copy)]
struct Pick(f64, fn(&Percentiles) -> u64);
const P50: (&str, Pick) = ("p50", Pick(0.5, |p| p.p50_ns));
const P99: (&str, Pick) = ("p99", Pick(0.99, |p| p.p99_ns));
const P999: (&str, Pick) = ("p99.9", Pick(0.999, |p| p.p999_ns));
type At = fn(&LoadRow) -> Option<&LoadPoint>;

fn flavor_col<'a>() -> Column<'a, LoadRow> {
    col("Flavor", false, |r: &LoadRow| r.flavor.to_string().into())
}

/// Capacity at the group's target; "—" with why when there is none.
fn capacity_col(g: &LoadGroup) -> Column<'_, LoadRow> {
    let target = g
        .setup
        .as_ref()
        .map_or("the target", |s| s.slo_label.as_str());
    col(
        format!("Capacity at {target} ({}/s)", fmt::plural(&g.scope.op)),
        true,
        |r: &LoadRow| match &r.capacity {
            None => "—".to_string().into(),
            Some(c) => match c.rate {
                Some(x) => {
                    let ci = r.round_stats.ci.as_ref().map(|c| ci_text(c, fmt::si));
                    let tied = r.tied_with_best.then_some(TIED_MARK);
                    let sub: Vec<&str> = ci.as_deref().into_iter().chain(tied).collect();
                    Cell {
                        sub: (!sub.is_empty()).then(|| sub.join(", ")),
                        ..fmt::si(x).into()
                    }
                }
                None => Cell {
                    text: "—".into(),
                    sub: Some(NO_CAPACITY.into()),
                    class: None,
                    heat: None,
                },
            },
        },
    )
}

/// A corrected percentile at one sweep step, marked when the server fell
/// behind or the step was repeated, with the service time beneath; the
/// target percentile of pooled trials shows its 95% interval there too.
fn point_col<'a>(header: String, point: At, pick: Pick) -> Column<'a, LoadRow> {
    let Pick(quantile, pick) = pick;
    col(header, true, move |r: &LoadRow| match point(r) {
        None => "—".to_string().into(),
        Some(p) => {
            let target = p.target.filter(|t| (t.quantile - quantile).abs() < 1e-9);
            let value = target.map_or(pick(&p.corrected), |t| t.value_ns);
            let svc = format!("svc {}", fmt::ns(pick(&p.service) as f64));
            let ns = |x: u64| fmt::ns(x as f64);
            let sub = match target {
                Some(t) => match t.upper_ns {
                    Some(hi) => format!("{} – {} · {svc}", ns(t.lower_ns), ns(hi)),
                    None => format!("≥ {} · {svc}", ns(t.lower_ns)),
                },
                None => svc,
            };
            Cell {
                text: format!(
                    "{}{}{}",
                    ns(value),
                    if p.behind { BEHIND_MARK } else { "" },
                    if p.repeated { REPEAT_MARK } else { "" }
                ),
                sub: Some(sub),
                class: None,
                heat: None,
            }
        }
    })
}

/// Generator lag p99 at the highest step, the worst beneath when higher.
fn lag_col<'a>() -> Column<'a, LoadRow> {
    col("Lag p99", true, |r: &LoadRow| {
        match (r.lag_p99_at_highest_ns, r.max_lag_p99_ns) {
            (Some(at), Some(max)) => Cell {
                text: fmt::ns(at as f64),
                sub: (max > at).then(|| format!("max {}", fmt::ns(max as f64))),
                class: None,
                heat: None,
            },
            _ => "—".to_string().into(),
        }
    })
}

/// One runtime across the mixes of the uneven-work section.
pub struct WorkSummaryRow {
    pub runtime: String,
    pub colour: String,
    pub flavor: Flavor,
    pub is_reference: bool,
    /// One per group, in section order; `None` where it has no row.
    pub cells: Vec<Option<WorkSummaryCell>>,
}

pub struct WorkSummaryCell {
    pub status: Status,
    /// Capacity at the target; `None` when it met the target at no rate.
    pub rate: Option<f64>,
}

/// The runtimes of the uneven-work groups, grouped by flavor as the tables
/// are, by name within a flavor, each with its capacity under every mix.
pub fn work_summary(groups: &[LoadGroup]) -> Vec<WorkSummaryRow> {
    let mut out: Vec<WorkSummaryRow> = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        for r in &g.rows {
            let at = match out.iter().position(|o| o.runtime == r.runtime) {
                Some(at) => at,
                None => {
                    out.push(WorkSummaryRow {
                        runtime: r.runtime.clone(),
                        colour: r.colour.clone(),
                        flavor: r.flavor,
                        is_reference: r.is_reference,
                        cells: (0..groups.len()).map(|_| None).collect(),
                    });
                    out.len() - 1
                }
            };
            let rate = match &r.capacity {
                Some(Capacity { rate: Some(x), .. }) => Some(*x),
                _ => None,
            };
            out[at].cells[i] = Some(WorkSummaryCell {
                status: r.status,
                rate,
            });
        }
    }
    out.sort_by(|a, b| {
        (flavor_rank(a.flavor), &a.runtime).cmp(&(flavor_rank(b.flavor), &b.runtime))
    });
    out
}

/// Runtime, flavor, then one column per mix (linked to its table): the
/// capacity in thousands of round trips per second.
pub fn work_summary_columns(groups: &[LoadGroup]) -> Vec<Column<'_, WorkSummaryRow>> {
    let mut c = vec![
        runtime_col(),
        col("Flavor", false, |r: &WorkSummaryRow| {
            r.flavor.to_string().into()
        }),
    ];
    let mixes: Vec<&str> = groups.iter().map(|g| work_mix(&g.scope.case)).collect();
    for (i, g) in groups.iter().enumerate() {
        let mix = mixes[i];
        let header = if mixes.iter().filter(|m| **m == mix).count() > 1 {
            format!("{mix} ({})", g.scope.topology)
        } else {
            mix.to_string()
        };
        c.push(Column {
            anchor: Some(g.id.clone()),
            ..col(header, true, move |r: &WorkSummaryRow| match &r.cells[i] {
                None => "—".to_string().into(),
                Some(c) if c.status != Status::Ok => Cell {
                    class: Some("unmeasured"),
                    ..c.status.to_string().into()
                },
                Some(c) => or_dash(c.rate, |x| fmt::sig3(x / 1e3)),
            })
        });
    }
    c
}

/// The line above the uneven-work summary: what its cells are.
pub fn work_summary_caption(groups: &[LoadGroup]) -> String {
    let target = groups
        .iter()
        .find_map(|g| g.setup.as_ref())
        .map_or("the target", |s| s.slo_label.as_str());
    let op = groups.first().map_or("round trip", |g| g.scope.op.as_str());
    format!(
        "Capacity at {target} under each mix, in thousands of {} per second (— : none met the target, or no row); a mix's heading leads to its table.",
        fmt::plural(op)
    )
}

/// The text of an open-loop section, so both are written by one function
/// per format.
pub struct LoadSection {
    pub anchor: &'static str,
    pub heading: &'static str,
    pub workload: &'static str,
    pub method: &'static str,
    pub key: &'static str,
}

pub const LATENCY_SECTION: LoadSection = LoadSection {
    anchor: "latency-under-load",
    heading: "Latency under load",
    workload: LOAD_WORKLOAD,
    method: LOAD_METHOD,
    key: LOAD_TABLE_KEY,
};

pub const WORK_SECTION: LoadSection = LoadSection {
    anchor: "uneven-work",
    heading: "Uneven work",
    workload: WORK_WORKLOAD,
    method: WORK_METHOD,
    key: WORK_TABLE_KEY,
};

/// The one paragraph on what the uneven-work section measures.
pub const WORK_METHOD: &str = "Latency under load again, open loop and on the same schedule, but the requests cost uneven amounts of work: the server hashes each request's payload for the rounds its header asks (rounds per µs calibrated once per run, so every runtime gets the same requests) and may block its thread for a time, then answers with the digest, which the load generator checks. The mixes go from even to uneven: uniform (every request costs the same), skewed (a few requests cost far more than the rest), hot-connections (the costly requests all come on a few connections) and blocking (some handlers block their thread). The server has several cores (each table's heading names them): a work-stealing runtime can move waiting tasks to an idle core, a thread-per-core one cannot, and std-threads (a thread per connection) is the reference. Every runtime of a mix gets the same absolute offered rates; capacity is the highest one that met the target.";

/// Under each uneven-work table: how to read it.
pub const WORK_TABLE_KEY: &str = "Rows are grouped by flavor (work-stealing, thread-per-core, then the reference), by capacity within each. Latency cells: corrected p99 (from the intended send) with the service time (svc, from the actual send) beneath it, at 50% and 80% of the reference rate; †, ‡ and — as under Latency under load. CPU cells: the server's and the load generator's CPU per round trip at the 80% step; the generator's should be small against the server's, or the generator set the figures. Capacity intervals, p99 intervals, run delay and slow trials as under Latency under load. The sentence under each table compares the best work-stealing capacity with the best thread-per-core one: when both have 95% intervals and they overlap, the two are tied (they cannot be told apart at 95%); without intervals, a difference within 10% (the bisection's resolution) or within the rounds' spread reads as about the same.";

/// What a capacity cell and bar say when even the lowest step missed the target.
pub const NO_CAPACITY: &str = "none below lowest step";

/// Marks a figure measured at a step where the server fell behind.
pub const BEHIND_MARK: &str = " †";
/// Marks a figure taken from a step's repeat (see `LoadPoint::repeated`).
pub const REPEAT_MARK: &str = " ‡";

/// Under an open-loop table: how to read its cells.
pub const LOAD_TABLE_KEY: &str = "Latency cells: corrected latency (from the intended send), with the service time (svc, from the actual send) beneath it, at 50% and 90% of the reference rate. † the server fell behind at that step: it left round trips unsent, or the step's round trips came back more than 10 ms (or 1% of the step, if longer) after its window, i.e. it achieved below about 95% of a 0.2 s step's offered rate (then the figures are lower bounds). ‡ the step's first attempt kept up but missed the target; these are the figures of its last repeat, which decided it. — at a step: not run, because the server had already fallen behind at a lower rate (the sweep stops there). Bracket: the highest rate that met the target and the lowest above it that missed. Lag: the generator's own lateness (p99) at the highest step, with the worst step's beneath when that was higher. Where the trials were interleaved: the capacity's 95% interval beneath it, from the highest rate whose p99 interval lay within the target to the lowest whose interval lay above it or that fell behind (≥: no rate tried missed); the p99 cells are the pooled trials' p99 with its 95% order-statistic interval beneath; run delay is the time the server's threads (gen: the generator's) were runnable but kept off their CPU, per second of the 80% step's trials; slow trials counts the trials whose tail far exceeded their service time, by cause: the server, the generator (those are left out and run again) or the machine (other tasks kept a side off its CPU).";

/// The one paragraph on how latency under load was measured.
pub const LOAD_METHOD: &str = "Measured open loop, as wrk2 and mutilate do: the load generator sends round trips on a fixed schedule at each offered rate, whether or not earlier ones have come back, so a slow server cannot slow the load down. Every runtime gets the same absolute rates: fixed fractions (10% to 110%) of the case's reference capacity, measured in this run. Latency is measured from the intended send time, corrected for coordinated omission as wrk2 does; service time is measured from the actual send, which is what a closed-loop client sees, so the gap between the two is queueing that closed-loop numbers hide. Capacity is the highest offered rate at which the latency target held and the server kept up (every round trip of the step back within 10 ms, or 1% of the step, after its window), found by bisection to within 10%. The sweep stops at its first step that fell behind: higher rates would too. In older runs a step that kept up but missed the target is run up to twice more (dots beside the curve) before it counts as a miss, since one stall of the machine can put a single step over the target; runs that interleave trials instead start every runtime's server once per case and run each rate as several short trials per runtime, in a shuffled order, so drift and stalls hit every runtime alike, and pool them: a trial whose tail the generator caused is left out and run again, one whose tail is the server's is kept.";

/// Said in the echo section: its latency is not latency at a chosen load.
pub const CLOSED_LOOP_NOTE: &str = "The RTT columns here are closed-loop latency at full load: every connection always has one message in flight, so latency ≈ connections / throughput (Little's law), not what a client sees at a given request rate.";

/// Ends the echo note when the run has no open-loop results to point to.
pub const NO_LOAD_NOTE: &str =
    "Latency at fixed offered rates (the latency workload) was not measured in this run.";

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
fn overview_cell(c: &OverviewCell) -> Cell {
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
fn split_half_text(s: &SplitHalf, who: &str) -> String {
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
pub fn environment(model: &crate::Model) -> Vec<(String, String)> {
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

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

/// The overview's line on the load generator's check: each failed case named
/// (its figures may be the generator's limit, not the server's), or how many
/// passed. `None` when no echo case ran the check. The bool is "all passed".
pub fn generator_check_line(o: &crate::overview::Overview) -> Option<(String, bool)> {
    let checks = &o.generator_checks;
    if checks.is_empty() {
        return None;
    }
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| {
            format!(
                "echo {}: a blocking client drove std-threads at {}/s, the load generator at {}/s",
                c.case,
                fmt::si(c.blocking_client),
                fmt::si(c.load_generator)
            )
        })
        .collect();
    Some(if failed.is_empty() {
        (
            format!(
                "Load generator check passed in {} case(s): it drove std-threads at least as fast as a blocking client.",
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
