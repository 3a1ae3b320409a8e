//! The runner of the open-loop benches (`latency`, `work`): for each case a
//! reference capacity (once per run), then per configuration the sweep at
//! fixed fractions of it and the capacity search, one results file each.
//! Not criterion: its steps are timed, not iterated. `-- <filter>`, `--list`
//! and `--test` work as with the criterion benches.

use crate::Settings;
use crate::plan::{self, BenchArgs, Mode, Plan};
use rtbench_format::{BenchResult, OpenLoop as OpenLoopResult, Reference, RunMode, Slo, Status};
use rtbench_runtimes::sys;
use rtbench_workloads::echo::EchoBench;
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

/// A case of an open-loop workload.
pub trait SweepCase: Copy {
    /// The id suffix, e.g. `64B-16c`.
    fn label(&self) -> String;
    /// The case's parameters, for its results.
    fn params(&self) -> BTreeMap<String, f64>;
}

impl SweepCase for rtbench_workloads::echo::EchoCase {
    fn label(&self) -> String {
        self.label()
    }
    fn params(&self) -> BTreeMap<String, f64> {
        [
            ("msg_bytes".to_string(), self.msg_bytes as f64),
            ("connections".to_string(), self.connections as f64),
        ]
        .into()
    }
}

/// What differs between the open-loop benches.
pub struct Spec<C> {
    /// `latency` or `work`: the first part of every id.
    pub workload: &'static str,
    /// The cases, given whether this is a full run.
    pub cases: fn(bool) -> Vec<C>,
    /// The sweep's offered rates, as fractions of the reference.
    pub fractions: &'static [f64],
    /// Warm-up and recorded time of one step, by run mode.
    pub step: fn(RunMode) -> (Duration, Duration),
}

/// Starts configuration `name`'s server for a case and connects the generator.
pub type Make<C> = Box<dyn Fn(&str, C) -> Result<EchoBench, String>>;
/// Adds what the workload records of a case to its result.
pub type Annotate<C> = Box<dyn Fn(&mut BenchResult, C)>;

/// How a configuration's server starts for a case, and what the workload
/// adds to its results; built once the settings are read.
pub struct Hooks<C> {
    pub make: Make<C>,
    pub annotate: Annotate<C>,
}

/// Configurations of a case by capacity, best first (`None`: none found).
type Ranked = Vec<(String, Option<f64>)>;

fn id<C: SweepCase>(spec: &Spec<C>, name: &str, case: C) -> String {
    format!("{}/{name}/{}", spec.workload, case.label())
}

/// The bench's `main`: reads the command line and settings, then measures
/// (or lists, or tests) every selected configuration × case; `hooks` runs
/// once the settings are read.
pub fn main<C: SweepCase>(spec: Spec<C>, hooks: impl FnOnce(&Settings) -> Hooks<C>) {
    // The command line as the criterion benches read it (a regex filter,
    // `--list`, `--test`, and test mode without cargo's `--bench`).
    let args = BenchArgs::parse(std::env::args().skip(1)).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let full = std::env::var("RTBENCH_FULL").is_ok_and(|v| !v.is_empty() && v != "0");
    let names: Vec<String> = rtbench_runtimes::entries()
        .iter()
        .map(|e| e.name.to_string())
        .chain(["std-threads".to_string()])
        .collect();
    if args.mode == Mode::List {
        // Before any setting is read: listing opens no run folder.
        for case in (spec.cases)(full) {
            for name in names.iter().filter(|n| args.selects(&id(&spec, n, case))) {
                println!("{}: benchmark", id(&spec, name, case));
            }
        }
        return;
    }
    let slo = sweep::slo_from_env().unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let settings = Settings::from_env(spec.workload);
    let hooks = hooks(&settings);
    let unavailable = &settings.unavailable;
    // The generator wakes on time (recorded in every result).
    sys::set_timer_slack(Duration::from_nanos(1));
    let (warmup, step_time) = (spec.step)(settings.run_mode);
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
    let runner = Runner {
        spec: &spec,
        hooks: &hooks,
        settings: &settings,
        base,
        slo,
    };
    let mut failed = Vec::new();
    let mut summary: Vec<(String, Ranked)> = Vec::new();
    for case in (spec.cases)(full) {
        let mut chosen: Vec<&String> = Vec::new();
        for name in names.iter().filter(|n| args.selects(&id(&spec, n, case))) {
            match plan::plan(&args, &id(&spec, name, case), name, unavailable) {
                Plan::Run => chosen.push(name),
                Plan::Skip(why) => settings.skip(runner.result(name, case), why),
                Plan::Filtered => {}
            }
        }
        if chosen.is_empty() {
            continue;
        }
        if settings.test_mode {
            for name in chosen {
                let id = id(&spec, name, case);
                // Said before it runs, so that a watchdog knows which one hung.
                eprintln!("Testing {id}");
                settings.faults.strike(&id);
                match runner.test_step(name, case) {
                    Ok(msg) => eprintln!("Success ({msg})"),
                    Err(e) => {
                        eprintln!("rtbench: {id} FAILED: {e}");
                        failed.push(id);
                    }
                }
            }
            continue;
        }
        let reference = match runner.reference(&names, case) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {}/{}: {e}", spec.workload, case.label());
                std::process::exit(1)
            }
        };
        eprintln!(
            "rtbench: {} {}: reference {:.0} round trips/s ({}); target {}",
            spec.workload,
            case.label(),
            reference.rate,
            reference.source,
            sweep::slo_label(&slo)
        );
        let mut ranked = Vec::new();
        for name in chosen {
            eprintln!("rtbench: measuring {}", id(&spec, name, case));
            settings.faults.strike(&id(&spec, name, case));
            let started = Instant::now();
            let result = runner.measure(name, case, &reference);
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
            ranked.push((name.clone(), cap));
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
    crate::exit_if_failed(&failed);
}

struct Runner<'a, C> {
    spec: &'a Spec<C>,
    hooks: &'a Hooks<C>,
    settings: &'a Settings,
    base: OpenLoop,
    slo: Slo,
}

impl<C: SweepCase> Runner<'_, C> {
    /// `--test`: one short step at a low rate; it must do exactly the work scheduled.
    fn test_step(&self, name: &str, case: C) -> Result<String, String> {
        let mut bench = (self.hooks.make)(name, case)?;
        let cfg = OpenLoop {
            warmup: Duration::from_millis(20),
            duration: Duration::from_millis(100),
            drain: Duration::from_secs(1),
            ..self.base
        };
        let step = sweep::run_step(&mut bench, &cfg, TEST_RATE, "sweep", TEST_RATE, &self.slo)?;
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

    /// The case's reference capacity: from the run folder if another process
    /// of this run measured it, else a short closed-loop calibration of every
    /// configuration that can run (whatever the filter, so that the offered
    /// rates do not depend on it), written back for the rest of the run.
    fn reference(&self, names: &[String], case: C) -> Result<Reference, String> {
        let settings = self.settings;
        // `latency` keeps its plain case labels (older runs read the same).
        let key = match self.spec.workload {
            "latency" => case.label(),
            w => format!("{w}/{}", case.label()),
        };
        let refs = match &settings.run {
            Some(run) => run.read_references().map_err(|e| e.to_string())?,
            None => Default::default(),
        };
        if let Some(r) = refs.cases.get(&key) {
            return Ok(r.clone());
        }
        let (warmup, measure) = if settings.run_mode == RunMode::Quick {
            (Duration::from_millis(30), Duration::from_millis(120))
        } else {
            (Duration::from_millis(100), Duration::from_millis(400))
        };
        let mut closed_loop = BTreeMap::new();
        for name in names
            .iter()
            .filter(|n| !settings.unavailable.contains_key(*n))
        {
            match (self.hooks.make)(name, case)
                .and_then(|mut b| sweep::calibrate(&mut b, warmup, measure))
            {
                Ok(rate) => {
                    closed_loop.insert(name.clone(), rate);
                }
                Err(e) => eprintln!("rtbench: calibration of {name} failed: {e}"),
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
            // Read again: another process may have added its own meanwhile.
            let mut refs = run.read_references().map_err(|e| e.to_string())?;
            refs.schema_version = rtbench_format::SCHEMA_VERSION;
            refs.cases.insert(key, r.clone());
            run.write_references(&refs).map_err(|e| e.to_string())?;
        }
        Ok(r)
    }

    /// An empty result of `name` on `case` (see [`Settings::result`]).
    fn result(&self, name: &str, case: C) -> BenchResult {
        let mut result = self
            .settings
            .result(self.spec.workload, name, &case.label());
        result.params = case.params();
        result.op = "round trip".into();
        result.ops_per_iter = 1.0;
        (self.hooks.annotate)(&mut result, case);
        result
    }

    /// The sweep and the capacity search of one configuration, as a results file.
    fn measure(&self, name: &str, case: C, reference: &Reference) -> BenchResult {
        let (base, slo) = (&self.base, &self.slo);
        let mut result = self.result(name, case);
        let mut bench = match (self.hooks.make)(name, case) {
            Ok(b) => b,
            Err(e) => {
                result.status = Status::Failed;
                result.error = Some(e);
                return result;
            }
        };
        result.topology = bench.topology.clone();
        result.description = bench.description.clone();
        result.generator_threads = bench.generator_threads() as u32;
        let searched = sweep::search(reference.rate, self.spec.fractions, |kind, rate| {
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
                        "{}, timer slack {}{}",
                        base.wait.describe(),
                        sys::timer_slack()
                            .map_or("unknown".into(), |d| format!("{} ns", d.as_nanos())),
                        bench
                            .generator_priority
                            .as_ref()
                            .map_or(String::new(), |p| format!(", {p}"))
                    ),
                    steps,
                    capacity,
                    interleaving: None,
                });
            }
            Err(e) => {
                result.status = Status::Failed;
                result.error = Some(e);
            }
        }
        result
    }
}
