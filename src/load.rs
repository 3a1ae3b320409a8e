//! `rtbench load`: the benches' one load generator as a command, for any echo
//! server (as wrk2 or oha are for HTTP): closed loop, or open loop at a fixed
//! rate with latency measured from the intended send time.

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use rtbench_format::{
    BenchResult, Capacity, Description, Estimate, Flavor, Latency, OpenLoop as OpenLoopResult,
    RunDir, RunMeta, RunMode, SCHEMA_VERSION, Slo, Status, Step, TimerClass,
};
use rtbench_workloads::latency;
use rtbench_workloads::loadgen::{Arrivals, LoadGen, OpenHists, OpenLoop, Wait};
use rtbench_workloads::sweep;
use std::collections::BTreeMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

#[derive(Args, Debug)]
pub struct LoadArgs {
    /// The echo server, e.g. 127.0.0.1:7000.
    #[arg(long)]
    addr: String,
    /// Concurrent connections.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Bytes per message.
    #[arg(long, default_value_t = 64)]
    size: usize,
    /// Offered round trips/s over all connections (open loop); omit for closed loop.
    #[arg(long)]
    rate: Option<f64>,
    /// How long to record, e.g. 5s, 500ms.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Unrecorded time before it.
    #[arg(long, default_value = "500ms", value_parser = humantime::parse_duration)]
    warmup: Duration,
    /// How intended send times are spaced (open loop).
    #[arg(long, value_enum, default_value_t = ArrivalsArg::Even)]
    arrivals: ArrivalsArg,
    /// Seed of the Poisson arrivals (recorded with the results).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Spin before each send deadline (only with a CPU of our own).
    #[arg(long)]
    spin: bool,
    /// The latency target recorded with an open-loop run, e.g. p99:1ms.
    #[arg(long, default_value = "p99:1ms", value_parser = sweep::parse_slo)]
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
    /// Open loop: corrected latency. Closed loop: the round trip.
    latency: Latency,
    service: Option<Latency>,
    lag: Option<Latency>,
    #[serde(skip)]
    step: Option<Step>,
}

pub fn run(a: LoadArgs) -> anyhow::Result<()> {
    let addr = resolve(&a.addr)?;
    if !addr.ip().is_loopback() && !a.allow_remote {
        bail!("--addr {addr} is not a loopback address; pass --allow-remote to load another host");
    }
    if a.connections == 0 || a.size == 0 {
        bail!("--connections and --size must be at least 1");
    }
    if let Some(r) = a.rate
        && !(r.is_finite() && r > 0.0)
    {
        bail!("--rate {r} is not a positive number of round trips/s");
    }
    if a.duration.is_zero() {
        bail!("--duration must be longer than zero");
    }
    let mut lg = LoadGen::connect_any(addr, a.connections, a.size)
        .with_context(|| format!("cannot load {addr}"))?;
    let report = match a.rate {
        Some(rate) => open(&mut lg, &a, addr, rate)?,
        None => closed(&mut lg, &a, addr)?,
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
    }
    if let Some(dir) = &a.results {
        let path = write_results(dir, &a, &report)?;
        eprintln!("results -> {}", path.display());
    }
    Ok(())
}

fn resolve(addr: &str) -> anyhow::Result<SocketAddr> {
    addr.to_socket_addrs()
        .ok()
        .and_then(|mut it| it.next())
        .with_context(|| format!("--addr {addr:?} is not a host:port address"))
}

fn open(lg: &mut LoadGen, a: &LoadArgs, addr: SocketAddr, rate: f64) -> anyhow::Result<Report> {
    let arrivals = match a.arrivals {
        ArrivalsArg::Even => Arrivals::Even,
        ArrivalsArg::Poisson => Arrivals::Poisson { seed: a.seed },
    };
    let cfg = OpenLoop {
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
        .run_open(&cfg, &mut hists)
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
        latency: step.latency.clone(),
        service: Some(step.service.clone()),
        lag: Some(step.lag.clone()),
        step: Some(step),
    })
}

/// Closed loop for about `duration`: a first short batch sizes the next ones
/// (~50 ms each), since the generator's closed loop counts round trips.
fn closed(lg: &mut LoadGen, a: &LoadArgs, addr: SocketAddr) -> anyhow::Result<Report> {
    let stall = Duration::from_secs(10);
    let ctx = || format!("load on {addr}");
    let mut scratch = latency::histogram();
    let first = 4 * a.connections as u64;
    let t = lg.run(first, &mut scratch, stall).with_context(ctx)?;
    let mut batch = ((first as f64 / t.as_secs_f64().max(1e-6)) * 0.05) as u64;
    batch = batch.max(a.connections as u64);
    let warm_until = Instant::now() + a.warmup;
    while Instant::now() < warm_until {
        lg.run(batch, &mut scratch, stall).with_context(ctx)?;
    }
    let mut hist = latency::histogram();
    let (mut done, mut elapsed) = (0u64, Duration::ZERO);
    while elapsed < a.duration {
        elapsed += lg.run(batch, &mut hist, stall).with_context(ctx)?;
        done += batch;
    }
    Ok(Report {
        addr,
        connections: a.connections,
        msg_bytes: a.size,
        mode: "closed",
        offered_rate: None,
        arrivals: None,
        seed: None,
        achieved_rate: done as f64 / elapsed.as_secs_f64(),
        round_trips: done,
        unsent: 0,
        queued: 0,
        latency: latency::summarize(&hist, "round-trip"),
        service: None,
        lag: None,
        step: None,
    })
}

fn print_text(r: &Report) {
    match r.offered_rate {
        Some(rate) => println!(
            "{}: {} connections, {} B, open loop at {rate:.0} round trips/s ({})",
            r.addr,
            r.connections,
            r.msg_bytes,
            r.arrivals.unwrap_or("even")
        ),
        None => println!(
            "{}: {} connections, {} B, closed loop",
            r.addr, r.connections, r.msg_bytes
        ),
    }
    println!(
        "achieved {:.0} round trips/s ({} round trips, {} unsent, {} queued behind a busy connection)",
        r.achieved_rate, r.round_trips, r.unsent, r.queued
    );
    println!(
        "{:<14} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "", "p50", "p90", "p99", "p99.9", "max"
    );
    let us = |ns: u64| format!("{:.1} us", ns as f64 / 1e3);
    let row = |name: &str, l: &Latency| {
        println!(
            "{name:<14} {:>10} {:>10} {:>10} {:>10} {:>10}",
            us(l.p50_ns),
            us(l.p90_ns),
            us(l.p99_ns),
            us(l.p999_ns),
            us(l.max_ns)
        )
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
}

/// A run folder of one benchmark, `load/<addr>/<case>`, that `rtbench
/// report` renders: an echo row (closed loop) or a latency row (open loop).
fn write_results(dir: &std::path::Path, a: &LoadArgs, r: &Report) -> anyhow::Result<PathBuf> {
    let now = SystemTime::now();
    let stamp = humantime::format_rfc3339_seconds(now).to_string();
    let run_id = format!(
        "{}-load",
        stamp.replace([':', '-'], "").trim_end_matches('Z')
    );
    let run = RunDir {
        path: dir.join(&run_id),
    };
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
        schema_version: SCHEMA_VERSION,
        run_id,
        started_at: stamp,
        mode: RunMode::Load,
        placement: "external".into(),
        env: rtbench_runtimes::env::probe(),
        git_commit: None,
        crate_versions: BTreeMap::new(),
        runtimes: Vec::new(),
        rounds: 0,
        seed: None,
        orders: Vec::new(),
        noise: None,
    })
    .with_context(|| run.meta_path().display().to_string())?;
    let case = rtbench_workloads::echo::EchoCase {
        msg_bytes: r.msg_bytes,
        connections: r.connections,
    }
    .label();
    let workload = if r.mode == "open" { "latency" } else { "echo" };
    let mean_ns = 1e9 / r.achieved_rate;
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
        status: Status::Ok,
        error: None,
        estimate: (r.mode == "closed").then_some(Estimate {
            mean_ns,
            mean_lower_ns: mean_ns,
            mean_upper_ns: mean_ns,
            median_ns: mean_ns,
            samples: 1,
        }),
        latency: (r.mode == "closed").then(|| r.latency.clone()),
        ops_checked: r.round_trips,
        server_cpu_ns_per_op: None,
        extra: BTreeMap::new(),
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
        .with_context(|| run.bench_dir().display().to_string())?;
    Ok(run.path)
}
