//! Latency under load: each runtime's echo server driven open loop by the one
//! load generator at fixed offered rates (the same absolute rates for every
//! runtime of a case), latency measured from the intended send time, and the
//! capacity at a latency target (`RTBENCH_SLO`, default p99 ≤ 1 ms). Not a
//! throughput benchmark (see `echo`) and not run by criterion: its steps are
//! timed, not iterated, so it has its own small runner. `-- <filter>`,
//! `--list` and `--test` work as with the criterion benches.

use rtbench_format::{BenchResult, OpenLoop as OpenLoopResult, Reference, RunMode, Slo, Status};
use rtbench_harness::ServeCommand;
use rtbench_harness::Settings;
use rtbench_harness::plan::{self, BenchArgs, Mode, Plan};
use rtbench_runtimes::sys;
use rtbench_workloads::echo::{EchoBench, EchoCase};
use rtbench_workloads::loadgen::{Arrivals, OpenLoop, Wait};
use rtbench_workloads::sweep;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The generator's spin window before each deadline in split placement: a
/// timerfd wake-up is 41–60 us late here (docs: machine facts), so sleep until
/// this much before and poll without blocking for the rest.
const SPIN: Duration = Duration::from_micros(60);
/// `--test`: one short step at this rate per benchmark.
const TEST_RATE: f64 = 1000.0;

/// Configurations of a case by capacity, best first (`None`: none found).
type Ranked = Vec<(String, Option<f64>)>;

/// One configuration: its name and how to start its echo server for a case.
struct Target {
    name: String,
    make: Box<dyn Fn(EchoCase) -> Result<EchoBench, String>>,
}

/// Every configuration, then `std-threads`, each served by `rtbench serve`.
fn targets(settings: &Settings) -> Vec<Target> {
    settings
        .echo_servers()
        .into_iter()
        .map(|name| {
            let settings = settings.clone();
            Target {
                make: Box::new({
                    let name = name.clone();
                    // Every server is `rtbench serve`, built beside the benches.
                    let serve = ServeCommand::new(env!("CARGO_BIN_EXE_rtbench"));
                    move |case| settings.served_echo(&serve, &name, case)
                }),
                name,
            }
        })
        .collect()
}

fn id(name: &str, case: EchoCase) -> String {
    format!("latency/{name}/{}", case.label())
}

fn main() {
    // The command line as the criterion benches read it (a regex filter,
    // `--list`, `--test`, and test mode without cargo's `--bench`).
    let args = BenchArgs::parse(std::env::args().skip(1)).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let full = std::env::var("RTBENCH_FULL").is_ok_and(|v| !v.is_empty() && v != "0");
    if args.mode == Mode::List {
        // Before any setting is read: listing opens no run folder.
        let names: Vec<String> = rtbench_runtimes::entries()
            .iter()
            .map(|e| e.name.to_string())
            .chain(["std-threads".to_string()])
            .collect();
        for case in sweep::cases(full) {
            for name in names.iter().filter(|n| args.selects(&id(n, case))) {
                println!("{}: benchmark", id(name, case));
            }
        }
        return;
    }
    let slo = sweep::slo_from_env().unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let settings = Settings::from_env("latency");
    let unavailable = &settings.unavailable;
    // The generator is this thread: wake on time (recorded in every result).
    sys::set_timer_slack(Duration::from_nanos(1));
    let (warmup, step_time) = match settings.run_mode {
        RunMode::Quick => (Duration::from_millis(30), Duration::from_millis(200)),
        RunMode::Full => (Duration::from_millis(500), Duration::from_secs(5)),
        // Default runs 3 rounds (`rtbench run`): 0.25 s steps keep them
        // within 20 minutes, and the rounds show the spread.
        RunMode::Default | RunMode::Load => (Duration::from_millis(50), Duration::from_millis(250)),
    };
    let wait = if settings.placement.name() == "split" {
        Wait::SleepThenSpin(SPIN)
    } else {
        Wait::Sleep
    };
    let base = OpenLoop {
        rate: TEST_RATE,
        warmup,
        duration: step_time,
        arrivals: Arrivals::Even,
        wait,
        // Enough for a 110% step on a server that keeps up at 100%; a server
        // further behind leaves the rest unsent (recorded) instead of running on.
        drain: step_time / 2,
        stall: Duration::from_secs(10),
    };
    let targets = targets(&settings);
    let mut failed = Vec::new();
    let mut summary: Vec<(String, Ranked)> = Vec::new();
    for case in sweep::cases(full) {
        let mut chosen: Vec<&Target> = Vec::new();
        for t in targets.iter().filter(|t| args.selects(&id(&t.name, case))) {
            match plan::plan(&args, &id(&t.name, case), &t.name, unavailable) {
                Plan::Run => chosen.push(t),
                Plan::Skip(why) => settings.skip(result(&settings, &t.name, case), why),
                Plan::Filtered => {}
            }
        }
        if chosen.is_empty() {
            continue;
        }
        if settings.test_mode {
            for t in &chosen {
                let id = id(&t.name, case);
                // Said before it runs, so that a watchdog knows which one hung.
                eprintln!("Testing {id}");
                settings.faults.strike(&id);
                match test_step(t, case, &base, &slo) {
                    Ok(msg) => eprintln!("Success ({msg})"),
                    Err(e) => {
                        eprintln!("rtbench: {id} FAILED: {e}");
                        failed.push(id);
                    }
                }
            }
            continue;
        }
        let reference = match reference(&settings, &targets, unavailable, case) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: latency/{}: {e}", case.label());
                std::process::exit(1)
            }
        };
        eprintln!(
            "rtbench: latency {}: reference {:.0} round trips/s ({}); target {}",
            case.label(),
            reference.rate,
            reference.source,
            sweep::slo_label(&slo)
        );
        let mut ranked = Vec::new();
        for t in &chosen {
            eprintln!("rtbench: measuring {}", id(&t.name, case));
            settings.faults.strike(&id(&t.name, case));
            let started = Instant::now();
            let result = measure(t, case, &base, &slo, &reference, &settings);
            let cap = result.open_loop.as_ref().and_then(|o| o.capacity.rate);
            match (&result.error, &result.open_loop) {
                (Some(e), _) => eprintln!("rtbench: {} failed: {e}", result.id),
                (None, Some(o)) => eprintln!(
                    "rtbench: {}: capacity {} at {} ({} steps, {:.1} s)",
                    result.id,
                    cap.map_or("none (even the lowest rate missed)".into(), |c| {
                        format!("{c:.0} round trips/s")
                    }),
                    sweep::slo_label(&slo),
                    o.steps.len(),
                    started.elapsed().as_secs_f64()
                ),
                (None, None) => {}
            }
            ranked.push((t.name.clone(), cap));
            settings.write(&result);
        }
        ranked.sort_by(|a, b| b.1.unwrap_or(0.0).total_cmp(&a.1.unwrap_or(0.0)));
        summary.push((case.label(), ranked));
    }
    if !summary.is_empty() {
        eprintln!("\nCapacity at {} (round trips/s):", sweep::slo_label(&slo));
        for (case, ranked) in &summary {
            let line: Vec<String> = ranked
                .iter()
                .map(|(n, c)| {
                    format!(
                        "{n} {}",
                        c.map_or("—".into(), |c| format!("{:.0}k", c / 1e3))
                    )
                })
                .collect();
            eprintln!("  {case}: {}", line.join(", "));
        }
    }
    rtbench_harness::exit_if_failed(&failed);
}

/// `--test`: one short step at a low rate; it must do exactly the work scheduled.
fn test_step(t: &Target, case: EchoCase, base: &OpenLoop, slo: &Slo) -> Result<String, String> {
    let mut bench = (t.make)(case)?;
    let cfg = OpenLoop {
        warmup: Duration::from_millis(20),
        duration: Duration::from_millis(100),
        drain: Duration::from_secs(1),
        ..*base
    };
    let step = sweep::run_step(&mut bench, &cfg, TEST_RATE, "sweep", TEST_RATE, slo)?;
    let want = (TEST_RATE * cfg.duration.as_secs_f64()) as u64;
    if step.unsent > 0 || step.round_trips.abs_diff(want) > want / 100 + 1 {
        return Err(format!(
            "{} round trips done, {} unsent, expected {want}",
            step.round_trips, step.unsent
        ));
    }
    Ok(format!(
        "{} round trips, p99 {} us",
        step.round_trips,
        step.latency.p99_ns / 1000
    ))
}

/// The case's reference capacity: from the run folder if another process of
/// this run measured it, else a short closed-loop calibration of every
/// configuration that can run (whatever the filter, so that the offered rates
/// do not depend on it), written back for the rest of the run.
fn reference(
    settings: &Settings,
    targets: &[Target],
    unavailable: &BTreeMap<String, String>,
    case: EchoCase,
) -> Result<Reference, String> {
    let mut refs = match &settings.run {
        Some(run) => run.read_references().map_err(|e| e.to_string())?,
        None => Default::default(),
    };
    if let Some(r) = refs.cases.get(&case.label()) {
        return Ok(r.clone());
    }
    let (warmup, measure) = if settings.run_mode == RunMode::Quick {
        (Duration::from_millis(30), Duration::from_millis(120))
    } else {
        (Duration::from_millis(100), Duration::from_millis(400))
    };
    let mut closed_loop = BTreeMap::new();
    for t in targets
        .iter()
        .filter(|t| !unavailable.contains_key(&t.name))
    {
        match (t.make)(case).and_then(|mut b| sweep::calibrate(&mut b, warmup, measure)) {
            Ok(rate) => {
                closed_loop.insert(t.name.clone(), rate);
            }
            Err(e) => eprintln!("rtbench: calibration of {} failed: {e}", t.name),
        }
    }
    let (best, rate) = closed_loop
        .iter()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(n, r)| (n.clone(), *r))
        .ok_or("no configuration could be calibrated")?;
    let r = Reference {
        rate,
        source: format!(
            "closed-loop calibration, best of {} ({best}, {:.0} ms each)",
            closed_loop.len(),
            measure.as_millis()
        ),
        closed_loop,
    };
    if let Some(run) = &settings.run {
        refs.schema_version = rtbench_format::SCHEMA_VERSION;
        refs.cases.insert(case.label(), r.clone());
        run.write_references(&refs).map_err(|e| e.to_string())?;
    }
    Ok(r)
}

/// An empty result of `name` on `case` (see [`Settings::result`]).
fn result(settings: &Settings, name: &str, case: EchoCase) -> BenchResult {
    let mut result = settings.result("latency", name, &case.label());
    result.params = [
        ("msg_bytes".to_string(), case.msg_bytes as f64),
        ("connections".to_string(), case.connections as f64),
    ]
    .into();
    result.op = "round trip".into();
    result.ops_per_iter = 1.0;
    result
}

/// The sweep and the capacity search of one configuration, as a results file.
fn measure(
    t: &Target,
    case: EchoCase,
    base: &OpenLoop,
    slo: &Slo,
    reference: &Reference,
    settings: &Settings,
) -> BenchResult {
    let mut result = result(settings, &t.name, case);
    let mut bench = match (t.make)(case) {
        Ok(b) => b,
        Err(e) => {
            result.status = Status::Failed;
            result.error = Some(e);
            return result;
        }
    };
    result.topology = bench.topology.clone();
    result.description = bench.description.clone();
    let searched = sweep::search(reference.rate, |kind, rate| {
        let s = sweep::run_step(&mut bench, base, rate, kind, reference.rate, slo)?;
        // A line per step: the log's record, and progress for the watchdog.
        eprintln!(
            "  {kind:<6} {:>5.1}% {rate:>9.0}/s achieved {:>9.0}/s  p99 {:>9.1} us  service p99 {:>8.1} us  lag p99 {:>6.1} us  {}",
            100.0 * rate / reference.rate,
            s.achieved_rate,
            s.latency.p99_ns as f64 / 1e3,
            s.service.p99_ns as f64 / 1e3,
            s.lag.p99_ns as f64 / 1e3,
            if s.meets_slo {
                "met"
            } else if s.behind {
                "BEHIND"
            } else {
                "missed"
            }
        );
        Ok(s)
    });
    match searched {
        Ok((steps, capacity)) => {
            result.ops_checked = steps.iter().map(|s| s.round_trips).sum();
            result.open_loop = Some(OpenLoopResult {
                slo: *slo,
                arrivals: base.arrivals.name().into(),
                seed: base.arrivals.seed(),
                reference_rate: reference.rate,
                reference_source: reference.source.clone(),
                step_secs: base.duration.as_secs_f64(),
                warmup_secs: base.warmup.as_secs_f64(),
                generator_wait: format!(
                    "{}, timer slack {}",
                    base.wait.describe(),
                    sys::timer_slack().map_or("unknown".into(), |d| format!("{} ns", d.as_nanos()))
                ),
                steps,
                capacity,
            });
        }
        Err(e) => {
            result.status = Status::Failed;
            result.error = Some(e);
        }
    }
    result
}
