//! `rtbench load`: the benches' one load generator as a command, for any echo
//! server (as wrk2 or oha are for HTTP): closed loop, or open loop at a fixed
//! rate with latency measured from the intended send time.

use crate::input::{self, Usage};
use crate::out;
use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use rtbench_format::{
    BenchResult, Capacity, Description, Estimate, Flavor, Latency, OpenLoop as OpenLoopResult,
    RunDir, RunMeta, RunMode, SCHEMA_VERSION, Slo, Status, Step, TimerClass,
};
use rtbench_harness::errln;
use rtbench_loadgen::hdr;
use rtbench_loadgen::{Arrivals, LoadGen, OpenHists, OpenLoopConfig, Wait};
use rtbench_workloads::sweep;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
pub struct LoadArgs {
    /// The echo server, e.g. 127.0.0.1:7000.
    #[arg(long)]
    addr: String,
    /// Concurrent connections (1 to 10000).
    #[arg(long, default_value_t = 16, value_parser = input::count(1, input::MAX_CONNECTIONS))]
    connections: usize,
    /// Bytes per message (1 to 1 MiB).
    #[arg(long, default_value_t = 64, value_parser = input::count(1, input::MAX_MSG_BYTES))]
    size: usize,
    /// Offered round trips/s over all connections (open loop, up to 1e7);
    /// omit for closed loop.
    #[arg(long, value_parser = input::rate)]
    rate: Option<f64>,
    /// How long to record: seconds (3, 2.5) or e.g. 5s, 500ms; up to 1 day.
    #[arg(long, default_value = "5s", value_parser = input::positive_duration)]
    duration: Duration,
    /// Unrecorded time before it (same forms; up to 1 day).
    #[arg(long, default_value = "500ms", value_parser = input::duration)]
    warmup: Duration,
    /// How intended send times are spaced (open loop).
    #[arg(long, value_enum, default_value_t = ArrivalsArg::Even, requires = "rate")]
    arrivals: ArrivalsArg,
    /// Seed of the Poisson arrivals (recorded with the results), 0 to 2^64-1.
    #[arg(long, default_value_t = 1, requires = "rate", value_parser = input::seed)]
    seed: u64,
    /// Spin before each send deadline (only with a CPU of our own).
    #[arg(long, requires = "rate")]
    spin: bool,
    /// The latency target recorded with an open-loop run, e.g. p99:1ms.
    #[arg(long, default_value = "p99:1ms", value_parser = sweep::parse_slo, requires = "rate")]
    slo: Slo,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Also write a raw-results run folder here, for `rtbench report`.
    #[arg(long)]
    results: Option<PathBuf>,
    /// Allow a target outside loopback (a second host of your own).
    #[arg(long)]
    allow_remote: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum ArrivalsArg {
    Even,
    Poisson,
}

/// What one `rtbench load` run measured.
#[derive(Debug, serde::Serialize)]
struct Report {
    addr: SocketAddr,
    connections: usize,
    msg_bytes: usize,
    /// `open` or `closed`.
    mode: &'static str,
    offered_rate: Option<f64>,
    arrivals: Option<&'static str>,
    seed: Option<u64>,
    achieved_rate: f64,
    round_trips: u64,
    unsent: u64,
    /// Open loop: sends that waited for their connection's previous round
    /// trip (not in `lag`, which is the generator's own lateness).
    queued: u64,
    /// Round trips sent but not back at the deadline (see `deadline_secs`).
    outstanding: u64,
    /// The load's hard bound from its first send: warm-up + duration +
    /// drain (open loop: sends of the window may go on that long after it;
    /// closed loop: as long, for the last batch) + a fixed grace.
    deadline_secs: f64,
    /// Whether the load ran into that bound and stopped there.
    stopped_at_deadline: bool,
    /// Open loop: corrected latency. Closed loop: the round trip.
    latency: Latency,
    service: Option<Latency>,
    lag: Option<Latency>,
    #[serde(skip)]
    step: Option<Step>,
}

/// The fixed part of a load's hard bound: past its drain, this long for
/// the round trips still out to come back.
const GRACE: Duration = Duration::from_secs(2);

/// What the flags ask for together, each being in range (clap checked that).
fn check(a: &LoadArgs) -> Result<(), Usage> {
    let payload = a.connections.saturating_mul(a.size).saturating_mul(2);
    if payload > input::MAX_PAYLOAD_BYTES {
        return Err(Usage(format!(
            "--connections {} × --size {} holds {} MiB of messages and their echoes; at most {} MiB",
            a.connections,
            a.size,
            payload >> 20,
            input::MAX_PAYLOAD_BYTES >> 20
        )));
    }
    if let Some(rate) = a.rate
        && rate * a.duration.as_secs_f64() < 1.0
    {
        return Err(Usage(format!(
            "--rate {} for --duration {} schedules no round trip in the window \
             (rate × duration < 1); raise either",
            input::rate_text(rate),
            humantime::format_duration(a.duration)
        )));
    }
    Ok(())
}

pub fn run(a: LoadArgs) -> anyhow::Result<()> {
    check(&a)?;
    let addr = input::resolve(&a.addr)?;
    if !addr.ip().is_loopback() && !a.allow_remote {
        bail!(Usage(format!(
            "--addr {addr} is not a loopback address; pass --allow-remote to load another host"
        )));
    }
    // The results folder is tried before anything is measured (made and
    // removed: an interrupted load leaves none behind), and made for good
    // after.
    if let Some(dir) = &a.results {
        RunDir::create_new(dir, "load")
            .and_then(|run| std::fs::remove_dir(&run.path))
            .with_context(|| format!("--results {}: cannot create a run folder", dir.display()))?;
    }
    let mut lg = LoadGen::connect_any(addr, a.connections, a.size)
        .with_context(|| format!("cannot load {addr}"))?;
    // Warm-up + duration + drain (the open loop's, as long as the window)
    // + grace, from the first send: nothing of the load runs past it.
    let bound = a.warmup + a.duration + a.duration + GRACE;
    let report = match a.rate {
        Some(rate) => open(&mut lg, &a, addr, rate, bound),
        None => closed(&mut lg, &a, addr, bound),
    }?;
    // A load that ran into its bound did not measure what it was asked to
    // (the round trips still out are missing from its latency), nor did one
    // that completed nothing: its results say `failed`, and so does the
    // exit status.
    let failed = if report.stopped_at_deadline {
        Some(format!(
            "stopped at its bound of {:.1} s (warm-up + duration + drain + {} s grace) with \
             {} round trip(s) outstanding: {addr} answers too slowly to finish",
            report.deadline_secs,
            GRACE.as_secs(),
            report.outstanding
        ))
    } else if report.round_trips == 0 {
        Some(format!("no round trip to {addr} completed in the window"))
    } else {
        None
    };
    // Printed before the results are written; a reader that has gone
    // (`| head`) does not keep them from being written.
    let printed = if a.json {
        out::print(&format!("{}\n", serde_json::to_string_pretty(&report)?))
    } else {
        out::print(&text(&report))
    };
    if let Some(dir) = &a.results {
        let run = RunDir::create_new(dir, "load")
            .with_context(|| format!("--results {}: cannot create a run folder", dir.display()))?;
        if let Err(e) = write_results(&run, &a, &report, failed.as_deref()) {
            // Half a run (meta.json without its result) is none.
            let _ = std::fs::remove_dir_all(&run.path);
            return Err(e);
        }
        errln!("results -> {}", run.path.display());
    }
    if let Some(why) = failed {
        bail!(why);
    }
    printed
}

fn open(
    lg: &mut LoadGen,
    a: &LoadArgs,
    addr: SocketAddr,
    rate: f64,
    bound: Duration,
) -> anyhow::Result<Report> {
    let arrivals = match a.arrivals {
        ArrivalsArg::Even => Arrivals::Even,
        ArrivalsArg::Poisson => Arrivals::Poisson { seed: a.seed },
    };
    let cfg = OpenLoopConfig {
        rate,
        warmup: a.warmup,
        duration: a.duration,
        arrivals,
        wait: if a.spin {
            Wait::SleepThenSpin(Duration::from_micros(60))
        } else {
            Wait::Sleep
        },
        drain: a.duration,
        stall: Duration::from_secs(10),
    };
    rtbench_runtimes::sys::set_timer_slack(Duration::from_nanos(1));
    let mut hists = OpenHists::default();
    let out = lg
        .run_open_within(&cfg, &mut hists, GRACE)
        .with_context(|| format!("load on {addr}"))?;
    let step = sweep::step("sweep", 1.0, &cfg, &out, &hists, Default::default(), &a.slo);
    Ok(Report {
        addr,
        connections: a.connections,
        msg_bytes: a.size,
        mode: "open",
        offered_rate: Some(rate),
        arrivals: Some(arrivals.name()),
        seed: arrivals.seed(),
        achieved_rate: step.achieved_rate,
        round_trips: step.round_trips,
        unsent: step.unsent,
        queued: step.queued,
        outstanding: out.outstanding,
        deadline_secs: bound.as_secs_f64(),
        stopped_at_deadline: out.outstanding > 0,
        latency: step.latency.clone(),
        service: Some(step.service.clone()),
        lag: Some(step.lag.clone()),
        step: Some(step),
    })
}

/// Closed loop for about `duration`: a first short batch sizes the next ones
/// (~50 ms each), since the generator's closed loop counts round trips.
/// Every batch ends by the load's `bound` from now, whatever the server does.
fn closed(
    lg: &mut LoadGen,
    a: &LoadArgs,
    addr: SocketAddr,
    bound: Duration,
) -> anyhow::Result<Report> {
    let stall = Duration::from_secs(10);
    let deadline = Instant::now() + bound;
    let ctx = || format!("load on {addr}");
    let mut scratch = hdr::histogram();
    let first = 4 * a.connections as u64;
    let o = lg
        .run_within(first, &mut scratch, stall, deadline)
        .with_context(ctx)?;
    let mut outstanding = o.outstanding;
    let per_sec = o.round_trips as f64 / o.elapsed.as_secs_f64().max(1e-6);
    let batch = ((per_sec * 0.05) as u64).max(a.connections as u64);
    let warm_until = Instant::now() + a.warmup;
    while outstanding == 0 && Instant::now() < warm_until {
        let o = lg
            .run_within(batch, &mut scratch, stall, deadline)
            .with_context(ctx)?;
        outstanding = o.outstanding;
    }
    let mut hist = hdr::histogram();
    let (mut done, mut elapsed) = (0u64, Duration::ZERO);
    while outstanding == 0 && elapsed < a.duration {
        let o = lg
            .run_within(batch, &mut hist, stall, deadline)
            .with_context(ctx)?;
        elapsed += o.elapsed;
        done += o.round_trips;
        outstanding = o.outstanding;
    }
    Ok(Report {
        addr,
        connections: a.connections,
        msg_bytes: a.size,
        mode: "closed",
        offered_rate: None,
        arrivals: None,
        seed: None,
        achieved_rate: if elapsed.is_zero() {
            0.0
        } else {
            done as f64 / elapsed.as_secs_f64()
        },
        round_trips: done,
        unsent: 0,
        queued: 0,
        outstanding,
        deadline_secs: bound.as_secs_f64(),
        stopped_at_deadline: outstanding > 0,
        latency: hdr::summarize(&hist, "round-trip"),
        service: None,
        lag: None,
        step: None,
    })
}

/// The text report: what was asked, what was done, the latency table.
fn text(r: &Report) -> String {
    use std::fmt::Write as _;
    let mut t = String::new();
    let _ = match r.offered_rate {
        Some(rate) => writeln!(
            t,
            "{}: {} connections, {} B, open loop at {} round trips/s ({})",
            r.addr,
            r.connections,
            r.msg_bytes,
            input::rate_text(rate),
            r.arrivals.unwrap_or("even")
        ),
        None => writeln!(
            t,
            "{}: {} connections, {} B, closed loop",
            r.addr, r.connections, r.msg_bytes
        ),
    };
    let _ = writeln!(
        t,
        "achieved {} round trips/s ({} round trips, {} unsent, {} queued behind a busy connection)",
        input::rate_text(r.achieved_rate),
        r.round_trips,
        r.unsent,
        r.queued
    );
    if r.stopped_at_deadline {
        let _ = writeln!(
            t,
            "stopped at its bound of {:.1} s with {} round trip(s) outstanding (sent, never fully echoed)",
            r.deadline_secs, r.outstanding
        );
    }
    let _ = writeln!(
        t,
        "{:<14} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "", "p50", "p90", "p99", "p99.9", "max"
    );
    // No round trip: no percentile (not 0.0 us).
    let us = |ns: u64| match r.round_trips {
        0 => "-".to_string(),
        _ => format!("{:.1} us", ns as f64 / 1e3),
    };
    let mut row = |name: &str, l: &Latency| {
        let _ = writeln!(
            t,
            "{name:<14} {:>10} {:>10} {:>10} {:>10} {:>10}",
            us(l.p50_ns),
            us(l.p90_ns),
            us(l.p99_ns),
            us(l.p999_ns),
            us(l.max_ns)
        );
    };
    if r.mode == "open" {
        row("latency", &r.latency);
    } else {
        row("round trip", &r.latency);
    }
    if let Some(s) = &r.service {
        row("service time", s);
    }
    if let Some(l) = &r.lag {
        row("generator lag", l);
    }
    t
}

/// A run folder of one benchmark, `load/<addr>/<case>`, that `rtbench
/// report` renders: an echo row (closed loop) or a latency row (open loop).
fn write_results(
    run: &RunDir,
    a: &LoadArgs,
    r: &Report,
    failed: Option<&str>,
) -> anyhow::Result<()> {
    let run_id = run.id();
    let external = format!("external {}", r.addr);
    let description = Description {
        name: external.clone(),
        flavor: Flavor::External,
        workers: 0,
        timer_class: TimerClass::Unknown,
        driver: "unknown".into(),
        knobs: BTreeMap::new(),
        notes: vec!["an echo server rtbench did not start (rtbench load)".into()],
    };
    run.write_meta(&RunMeta {
        // Nothing of this build ran the server: no runtime crates, no commit.
        git_commit: None,
        crate_versions: BTreeMap::new(),
        rounds: 0,
        ..rtbench_harness::new_meta(&run_id, RunMode::Load, "external")
    })
    .with_context(|| run.meta_path().display().to_string())?;
    let case = rtbench_workloads::echo::EchoCase {
        msg_bytes: r.msg_bytes,
        connections: r.connections,
    }
    .label();
    let workload = if r.mode == "open" { "latency" } else { "echo" };
    let mean_ns = 1e9 / r.achieved_rate;
    // Nothing measured is a failure, not a mean of 1e9/0.
    let error = failed.map(str::to_string);
    let result = BenchResult {
        schema_version: SCHEMA_VERSION,
        id: format!("{workload}/{external}/{case}"),
        workload: workload.into(),
        case,
        runtime: external,
        topology: "external".into(),
        placement: format!("load generator here, server at {}", r.addr),
        description,
        params: [
            ("msg_bytes".to_string(), r.msg_bytes as f64),
            ("connections".to_string(), r.connections as f64),
        ]
        .into(),
        op: "round trip".into(),
        ops_per_iter: 1.0,
        status: if error.is_some() {
            Status::Failed
        } else {
            Status::Ok
        },
        estimate: (r.mode == "closed" && error.is_none()).then_some(Estimate {
            mean_ns,
            mean_lower_ns: mean_ns,
            mean_upper_ns: mean_ns,
            median_ns: mean_ns,
            samples: 1,
        }),
        latency: (r.mode == "closed" && error.is_none()).then(|| r.latency.clone()),
        ops_checked: r.round_trips,
        server_cpu_ns_per_op: None,
        extra: BTreeMap::new(),
        error,
        open_loop: r.step.clone().map(|step| OpenLoopResult {
            slo: a.slo,
            arrivals: r.arrivals.unwrap_or("even").into(),
            seed: r.seed,
            reference_rate: step.offered_rate,
            reference_source: "the --rate of rtbench load".into(),
            step_secs: a.duration.as_secs_f64(),
            warmup_secs: a.warmup.as_secs_f64(),
            generator_wait: if a.spin {
                "timerfd + spin 60 us"
            } else {
                "timerfd"
            }
            .into(),
            capacity: Capacity {
                rate: step.meets_slo.then_some(step.offered_rate),
                bracket_lo: if step.meets_slo {
                    step.offered_rate
                } else {
                    0.0
                },
                bracket_hi: (!step.meets_slo).then_some(step.offered_rate),
                probes: 1,
                interval: None,
                halves: None,
            },
            steps: vec![step],
            interleaving: None,
        }),
        work: None,
        round: 1,
        // Not known: the server is someone else's.
        server_cores: 0,
        generator_threads: 1,
        interference: None,
    };
    run.write_bench(&result)
        .with_context(|| run.bench_dir().display().to_string())
}
