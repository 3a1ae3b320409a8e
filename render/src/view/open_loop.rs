//! The open-loop sections' tables (latency under load, uneven work): their
//! captions, columns, the work summary, and the texts around them.

use super::*;
use crate::fmt;
use crate::model::{
    HTTP_LOAD_WORKLOAD, LOAD_WORKLOAD, LoadGroup, LoadPoint, LoadRow, Percentiles, WORK_WORKLOAD,
    flavor_rank, work_mix,
};
use rtbench_format::{Capacity, Flavor, Status, WorkSetup};

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
pub(crate) fn idle_servers(g: &LoadGroup) -> String {
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
pub(crate) fn work_parts(g: &LoadGroup, w: &WorkSetup) -> Vec<String> {
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
    let mut c = vec![runtime_col(), flavor_col()];
    c.extend(adapter_col(g));
    c.push(capacity_col(g));
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
pub(crate) fn trial_cols(g: &LoadGroup) -> Vec<Column<'_, LoadRow>> {
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
pub(crate) fn work_columns(g: &LoadGroup) -> Vec<Column<'_, LoadRow>> {
    let op = &g.scope.op;
    let mut c = vec![runtime_col(), flavor_col()];
    c.extend(adapter_col(g));
    c.push(capacity_col(g));
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
pub(crate) struct Pick(f64, fn(&Percentiles) -> u64);
pub(crate) const P50: (&str, Pick) = ("p50", Pick(0.5, |p| p.p50_ns));
pub(crate) const P99: (&str, Pick) = ("p99", Pick(0.99, |p| p.p99_ns));
pub(crate) const P999: (&str, Pick) = ("p99.9", Pick(0.999, |p| p.p999_ns));
type At = fn(&LoadRow) -> Option<&LoadPoint>;

/// What carried each row's HTTP, when any row says.
pub(crate) fn adapter_col<'a>(g: &LoadGroup) -> Option<Column<'a, LoadRow>> {
    g.rows.iter().any(|r| r.adapter.is_some()).then(|| {
        col("Adapter", false, |r: &LoadRow| {
            or_dash(r.adapter.as_ref(), String::clone)
        })
    })
}

pub(crate) fn flavor_col<'a>() -> Column<'a, LoadRow> {
    col("Flavor", false, |r: &LoadRow| r.flavor.to_string().into())
}

/// Capacity at the group's target; "—" with why when there is none.
pub(crate) fn capacity_col(g: &LoadGroup) -> Column<'_, LoadRow> {
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
pub(crate) fn point_col<'a>(header: String, point: At, pick: Pick) -> Column<'a, LoadRow> {
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
pub(crate) fn lag_col<'a>() -> Column<'a, LoadRow> {
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

pub const HTTP_SECTION: LoadSection = LoadSection {
    anchor: "http-under-load",
    heading: "HTTP/1.1 (hyper): latency under load",
    workload: HTTP_LOAD_WORKLOAD,
    method: HTTP_METHOD,
    key: LOAD_TABLE_KEY,
};

/// The one paragraph on what the HTTP latency section measures.
pub const HTTP_METHOD: &str = "The HTTP/1.1 servers of the section above, on the same cases, driven open loop as under Latency under load: one GET per round trip on keep-alive connections, on each connection's schedule of intended send times (no pipelining: a connection still busy at its next intended time sends when free, and that wait counts in latency), every response checked. Every server of a case gets the same absolute offered rates: 25%, 50%, 80% and 100% of the case's reference (the best closed-loop rate in this run's calibration), then bisection. Latency is from the intended send time; service time from the actual send; capacity is the highest offered rate whose pooled p99 met the target and that kept up; the Adapter column names the crate hyper ran through.";

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
