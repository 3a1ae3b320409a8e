//! The runner of the open-loop benches (`latency`, `work`): for each case a
//! reference capacity (once per run), then every selected configuration's
//! server started once and all of them driven in interleaved trials (at each
//! rate, one trial of each in a shuffled order, repeated; see
//! `rtbench_workloads::trials`): the sweep at fixed fractions of the
//! reference and each one's capacity search, one results file each.
//! Not criterion: its steps are timed, not iterated. `-- <filter>`, `--list`
//! and `--test` work as with the criterion benches.

use crate::Settings;
use crate::plan::{self, BenchArgs, Mode};
use rtbench_format::{
    BenchResult, Interleaving, OpenLoop as OpenLoopResult, Reference, RunMode, Slo, Status, Step,
    Workload,
};
use rtbench_loadgen::{Arrivals, OpenHists, OpenLoopConfig, OpenOutcome, Wait};
use rtbench_runtimes::sys;
use rtbench_workloads::echo::{CpuPerOp, ServedBench};
use rtbench_workloads::interference::Meter;
use rtbench_workloads::sweep::{self, Served};
use rtbench_workloads::trials::{self, Plan, TrialRun, Trials};
use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
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

/// One trial: an open-loop run of a started server at `cfg.rate` (the
/// generator's timed loop), its outcome and CPU time per round trip.
pub type Trial<B> =
    fn(&mut B, &OpenLoopConfig, &mut OpenHists) -> std::io::Result<(OpenOutcome, CpuPerOp)>;

/// What differs between the open-loop benches.
pub struct Sweep<C, B = ServedBench> {
    /// `latency` or `work`: the first part of every id.
    pub workload: Workload,
    /// The cases, given whether this is a full run.
    pub cases: fn(bool) -> Vec<C>,
    /// The sweep's offered rates, as fractions of the reference.
    pub fractions: &'static [f64],
    /// Warm-up and recorded time of one step, by run mode.
    pub step: fn(RunMode) -> (Duration, Duration),
    /// Time a case may spend on trials beyond the minimum, by run mode.
    pub budget: fn(RunMode) -> Duration,
    /// What a trial runs ([`ServedBench::run_open`] in the benches).
    pub trial: Trial<B>,
    /// The server cores of a case (`None`: the settings' for every case);
    /// a case on more cores than the settings' runs with the generator
    /// sharing them ([`Settings::with_server_cores`]).
    pub cores: Option<fn(&C) -> usize>,
    /// Why a configuration cannot run this workload at all (hyper on
    /// tokio-uring), if so: it is skipped with that reason, as one that
    /// cannot start here is.
    pub cannot: Option<fn(&str) -> Option<String>>,
}

/// The steps (warm-up, recorded time) of an open-loop bench whose servers
/// stay warm from one step to the next (`work`, `http_latency`): the
/// latency bench's, with a shorter warm-up by default.
pub fn warm_server_steps(mode: RunMode) -> (Duration, Duration) {
    match mode {
        RunMode::Quick => (Duration::from_millis(10), Duration::from_millis(50)),
        RunMode::Full => (Duration::from_millis(500), Duration::from_secs(5)),
        RunMode::Default | RunMode::Load => (Duration::from_millis(30), Duration::from_millis(200)),
    }
}

/// Trials of every runtime at every rate, by run mode: two at least, for
/// the split-half check.
fn min_trials(mode: RunMode) -> u32 {
    match mode {
        RunMode::Quick => 2,
        RunMode::Full => 5,
        RunMode::Default | RunMode::Load => 3,
    }
}

/// Relative half-width of the target percentile's 95% interval at which a
/// rate needs no further trial.
pub const WIDTH: f64 = 0.10;

/// Starts configuration `name`'s server for a case and connects the
/// generator, under the case's settings (its own placement where
/// [`Sweep::cores`] gives it more cores).
pub type Start<C, B> = Box<dyn Fn(&Settings, &str, C) -> Result<B, String>>;
/// Adds what the workload records of a case to its result.
pub type Annotate<C> = Box<dyn Fn(&mut BenchResult, C)>;

/// How a configuration's server starts for a case, and what the workload
/// adds to its results; built once the settings are read.
pub struct Hooks<C, B = ServedBench> {
    pub make: Start<C, B>,
    pub annotate: Annotate<C>,
}

/// Configurations of a case by capacity, best first (`None`: none found).
type Ranked = Vec<(String, Option<f64>)>;

fn id<C: SweepCase, B>(spec: &Sweep<C, B>, name: &str, case: C) -> String {
    format!("{}/{name}/{}", spec.workload, case.label())
}

/// The bench's `main`: reads the command line and settings, then measures
/// (or lists, or tests) every selected configuration × case ([`measure`]);
/// `hooks` runs once the settings are read. Exits non-zero on a bad
/// setting (2), or when a case cannot be measured or a test failed (1).
pub fn main<C: SweepCase>(spec: Sweep<C>, hooks: impl FnOnce(&Settings) -> Hooks<C>) {
    // The command line as the criterion benches read it (a regex filter,
    // `--list`, `--test`, and test mode without cargo's `--bench`).
    let args = BenchArgs::parse(std::env::args().skip(1)).unwrap_or_else(|e| {
        errln!("error: {e}");
        std::process::exit(2)
    });
    let full = std::env::var("RTBENCH_FULL").is_ok_and(|v| !v.is_empty() && v != "0");
    let names = crate::echo_servers();
    if args.mode == Mode::List {
        // Before any setting is read: listing opens no run folder.
        for case in (spec.cases)(full) {
            for name in names.iter().filter(|n| args.selects(&id(&spec, n, case))) {
                println!("{}: benchmark", id(&spec, name, case));
            }
        }
        return;
    }
    let slo = crate::vars::slo().unwrap_or_else(|e| {
        errln!("error: {e}");
        std::process::exit(2)
    });
    let settings = Settings::from_env(spec.workload);
    let hooks = hooks(&settings);
    // The generator wakes on time (recorded in every result).
    sys::set_timer_slack(Duration::from_nanos(1));
    // Every server of a case is up at once, each with its generator's
    // connections (11 × 256 here): the soft limit of open files may be 1024.
    let _ = sys::raise_nofile_limit(u64::MAX);
    match measure(&spec, &hooks, &settings, slo, &names) {
        Ok(done) => crate::exit_if_failed(&done.failed),
        Err(e) => {
            errln!("error: {e}");
            std::process::exit(1)
        }
    }
}

/// What [`measure`] did: every result it wrote, and the ids that failed
/// their `--test`.
#[derive(Debug, Default)]
pub struct Done {
    pub results: Vec<BenchResult>,
    pub failed: Vec<String>,
}

/// Measures every configuration of `names` × case that `settings` selects:
/// for each case the reference, then all of them in interleaved trials
/// (or, under `--test`, one short step each); writes each result into the
/// run folder and returns them. A configuration that fails is recorded and
/// the others go on; a case whose reference cannot be had is an error.
pub fn measure<C: SweepCase, B: Served>(
    spec: &Sweep<C, B>,
    hooks: &Hooks<C, B>,
    settings: &Settings,
    slo: Slo,
    names: &[String],
) -> Result<Done, String> {
    let args = &settings.args;
    let seed = trial_seed();
    let mut done = Done::default();
    let mut summary: Vec<(String, Ranked)> = Vec::new();
    for case in (spec.cases)(settings.full()) {
        let mut here = match spec.cores.map(|cores| cores(&case)) {
            Some(cores) if cores != settings.server_cores => {
                std::borrow::Cow::Owned(settings.with_server_cores(cores)?)
            }
            _ => std::borrow::Cow::Borrowed(settings),
        };
        for name in names {
            if let Some(why) = spec.cannot.and_then(|cannot| cannot(name)) {
                here.to_mut().unavailable.entry(name.clone()).or_insert(why);
            }
        }
        let unavailable = &here.unavailable;
        let runner = Runner {
            spec,
            hooks,
            settings: &here,
            base: base_config(spec, &here),
            slo,
            seed,
        };
        let mut chosen: Vec<&String> = Vec::new();
        for name in names.iter().filter(|n| args.selects(&id(spec, n, case))) {
            match plan::plan(args, &id(spec, name, case), name, unavailable) {
                plan::Plan::Run => chosen.push(name),
                plan::Plan::Skip(why) => settings.skip(runner.result(name, case), why),
                plan::Plan::Filtered => {}
            }
        }
        if chosen.is_empty() {
            continue;
        }
        if settings.test_mode {
            for name in chosen {
                let id = id(spec, name, case);
                // Said before it runs, so that a watchdog knows which one hung.
                errln!("Testing {id}");
                settings.faults.strike(&id);
                match runner.test_step(name, case) {
                    Ok(msg) => errln!("Success ({msg})"),
                    Err(e) => {
                        errln!("rtbench: {id} FAILED: {e}");
                        done.failed.push(id);
                    }
                }
            }
            continue;
        }
        let reference = runner
            .reference(names, case)
            .map_err(|e| format!("{}/{}: {e}", spec.workload, case.label()))?;
        errln!(
            "rtbench: {} {}: reference {:.0} round trips/s ({}); target {}",
            spec.workload,
            case.label(),
            reference.rate,
            reference.source,
            sweep::slo_label(&slo)
        );
        let mut ranked = Vec::new();
        for name in &chosen {
            settings.faults.strike(&id(spec, name, case));
        }
        let started = Instant::now();
        for result in runner.measure_case(&chosen, case, &reference) {
            let cap = result.open_loop.as_ref().and_then(|o| o.capacity.rate);
            match (&result.error, &result.open_loop) {
                (Some(e), _) => errln!("rtbench: {}: {}: {e}", result.id, result.status),
                (None, Some(o)) => errln!(
                    "rtbench: {}: capacity {} at {} ({} steps; case {:.1} s)",
                    result.id,
                    match (cap, o.capacity.interval) {
                        (None, _) => "none (even the lowest rate missed)".into(),
                        (Some(c), Some((lo, hi))) => format!(
                            "{c:.0} round trips/s (95%: {lo:.0}–{})",
                            hi.map_or("∞".into(), |h| format!("{h:.0}"))
                        ),
                        (Some(c), None) => format!("{c:.0} round trips/s"),
                    },
                    sweep::slo_label(&slo),
                    o.steps.len(),
                    started.elapsed().as_secs_f64()
                ),
                (None, None) => {}
            }
            ranked.push((result.runtime.clone(), cap));
            settings.write(&result);
            done.results.push(result);
        }
        ranked.sort_by(|a, b| b.1.unwrap_or(0.0).total_cmp(&a.1.unwrap_or(0.0)));
        summary.push((case.label(), ranked));
    }
    if !summary.is_empty() {
        errln!("\nCapacity at {} (round trips/s):", sweep::slo_label(&slo));
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
            errln!("  {case}: {}", line.join(", "));
        }
    }
    Ok(done)
}

/// A step's configuration in `settings`' placement (the rate is the trial's).
fn base_config<C, B>(spec: &Sweep<C, B>, settings: &Settings) -> OpenLoopConfig {
    let (warmup, step_time) = (spec.step)(settings.run_mode);
    let wait = if settings.placement.name() == "split" {
        Wait::SleepThenSpin(SPIN)
    } else {
        Wait::Sleep
    };
    OpenLoopConfig {
        rate: TEST_RATE,
        warmup,
        duration: step_time,
        arrivals: Arrivals::Even,
        wait,
        // Enough for a 110% step on a server that keeps up at 100%; a server
        // further behind leaves the rest unsent (recorded) instead of running on.
        drain: step_time / 2,
        stall: Duration::from_secs(10),
    }
}

struct Runner<'a, C, B> {
    spec: &'a Sweep<C, B>,
    hooks: &'a Hooks<C, B>,
    settings: &'a Settings,
    base: OpenLoopConfig,
    slo: Slo,
    /// Seed of the trial orders (recorded with every result).
    seed: u64,
}

/// The run's seed (`RTBENCH_SEED`, which `rtbench run` sets from its own),
/// else one from the clock; recorded, so the orders can be replayed.
fn trial_seed() -> u64 {
    std::env::var("RTBENCH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        })
}

impl<C: SweepCase, B: Served> Runner<'_, C, B> {
    /// `--test`: one short step at a low rate; it must do exactly the work scheduled.
    fn test_step(&self, name: &str, case: C) -> Result<String, String> {
        let mut bench = (self.hooks.make)(self.settings, name, case)?;
        let cfg = OpenLoopConfig {
            warmup: Duration::from_millis(20),
            duration: Duration::from_millis(100),
            drain: Duration::from_secs(1),
            ..self.base
        };
        let step = sweep::run_step(
            &mut bench,
            self.spec.trial,
            &cfg,
            TEST_RATE,
            "sweep",
            TEST_RATE,
            &self.slo,
        )?;
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
            Workload::Latency => case.label(),
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
            match (self.hooks.make)(self.settings, name, case)
                .and_then(|mut b| sweep::calibrate(&mut b, warmup, measure))
            {
                Ok(rate) => {
                    closed_loop.insert(name.clone(), rate);
                }
                Err(e) => errln!("rtbench: calibration of {name} failed: {e}"),
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
            .result(self.spec.workload.as_str(), name, &case.label());
        result.params = case.params();
        result.op = "round trip".into();
        result.ops_per_iter = 1.0;
        (self.hooks.annotate)(&mut result, case);
        result
    }

    /// Every chosen configuration of a case, interleaved: each server
    /// started once, then the sweep and every capacity search in shuffled
    /// trials (see [`trials::search_all`]); a results file each. A server
    /// that dies or stops answering is recorded (`crashed`, `hung`) and the
    /// others go on.
    fn measure_case(&self, chosen: &[&String], case: C, reference: &Reference) -> Vec<BenchResult> {
        let (base, slo, settings) = (&self.base, &self.slo, self.settings);
        let mut results: Vec<BenchResult> = chosen.iter().map(|n| self.result(n, case)).collect();
        let mut bank = Bank {
            base: *base,
            trial: self.spec.trial,
            benches: Vec::new(),
            meters: Vec::new(),
            ids: Vec::new(),
            idle: Vec::new(),
            status: Vec::new(),
        };
        let mut index = Vec::new();
        for (k, name) in chosen.iter().enumerate() {
            errln!("rtbench: starting {}", results[k].id);
            match (self.hooks.make)(self.settings, name, case) {
                Ok(bench) => {
                    let r = &mut results[k];
                    r.topology = bench.topology();
                    r.description = bench.description();
                    r.generator_threads = bench.generator_threads() as u32;
                    bank.ids.push(r.id.clone());
                    bank.meters.push(Meter::new(bench.server_pid()));
                    bank.benches.push(bench);
                    bank.idle.push((Duration::ZERO, Duration::ZERO));
                    bank.status.push(Status::Ok);
                    index.push(k);
                }
                Err(e) => {
                    results[k].status = Status::Failed;
                    results[k].error = Some(e);
                }
            }
        }
        let plan = Plan {
            min_trials: min_trials(settings.run_mode),
            max_trials: 2 * min_trials(settings.run_mode),
            width: WIDTH,
            seed: self.seed,
            budget: (self.spec.budget)(settings.run_mode),
        };
        let searched = trials::search_all(
            bank.benches.len(),
            reference.rate,
            self.spec.fractions,
            base,
            slo,
            &plan,
            &mut bank,
        );
        let names: Vec<String> = index.iter().map(|&k| results[k].runtime.clone()).collect();
        for (j, s) in searched.into_iter().enumerate() {
            let result = &mut results[index[j]];
            let bench = &bank.benches[j];
            result.ops_checked = s.steps.iter().map(|s| s.round_trips).sum();
            result.interference = s
                .steps
                .iter()
                .filter_map(|s| s.interference)
                .reduce(|a, b| a + b);
            if let Some(e) = s.error {
                result.status = bank.status[j];
                result.error = Some(e);
            }
            let (idle_cpu, idle_wall) = bank.idle[j];
            let capacity = s
                .capacity
                .unwrap_or_else(|| trials::capacity(&s.steps, 0.0, None));
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
                    sys::timer_slack().map_or("unknown".into(), |d| format!("{} ns", d.as_nanos())),
                    bench
                        .generator_priority()
                        .map_or(String::new(), |p| format!(", {p}"))
                ),
                steps: s.steps,
                capacity,
                interleaving: Some(Interleaving {
                    min_trials: plan.min_trials,
                    max_trials: plan.max_trials,
                    width: plan.width,
                    seed: plan.seed,
                    runtimes: names.clone(),
                    idle_cpu_share: (!idle_wall.is_zero())
                        .then(|| idle_cpu.as_secs_f64() / idle_wall.as_secs_f64()),
                }),
            });
            if result.status != Status::Ok {
                // The steps before the failure stay; no capacity is claimed.
                if let Some(o) = &mut result.open_loop {
                    o.capacity.rate = None;
                }
            }
        }
        results
    }
}

/// The started servers of a case, each with its generator, driven one trial
/// at a time.
struct Bank<B> {
    base: OpenLoopConfig,
    trial: Trial<B>,
    benches: Vec<B>,
    meters: Vec<Meter>,
    ids: Vec<String>,
    /// Per server: CPU time used and wall time spent while the others ran.
    idle: Vec<(Duration, Duration)>,
    /// Per server: how it left the case (`ok` while it is in).
    status: Vec<Status>,
}

impl<B: Served> Trials for Bank<B> {
    fn trial(&mut self, i: usize, rate: f64, position: u32) -> Result<TrialRun, String> {
        // A line per trial: the log's record, and progress for the watchdog.
        errln!(
            "rtbench: measuring {}: trial at {rate:.0}/s, #{position}",
            self.ids[i]
        );
        let others: Vec<(usize, Option<Duration>)> = (0..self.benches.len())
            .filter(|&j| j != i && self.status[j] == Status::Ok)
            .map(|j| (j, self.benches[j].server_cpu_now()))
            .collect();
        let started = Instant::now();
        let snap = self.meters[i].start();
        let cfg = OpenLoopConfig { rate, ..self.base };
        let mut hists = OpenHists::default();
        let ran = (self.trial)(&mut self.benches[i], &cfg, &mut hists);
        let interference = self.meters[i].finish(&snap);
        let wall = started.elapsed();
        for (j, before) in others {
            if let (Some(b), Some(a)) = (before, self.benches[j].server_cpu_now()) {
                self.idle[j].0 += a.saturating_sub(b);
                self.idle[j].1 += wall;
            }
        }
        match ran {
            Ok((outcome, cpu)) => Ok(TrialRun {
                outcome,
                hists,
                cpu,
                interference,
            }),
            Err(e) => {
                let (status, why) = match self.benches[i].server_exited() {
                    Some(s) if s.signal().is_some() => (
                        Status::Crashed,
                        format!(
                            "the server was killed by signal {}",
                            s.signal().unwrap_or(0)
                        ),
                    ),
                    Some(s) => (Status::Failed, format!("the server exited ({s})")),
                    None if e.to_string().contains("stalled") => {
                        (Status::Hung, format!("the server stopped answering: {e}"))
                    }
                    None => (Status::Failed, e.to_string()),
                };
                self.status[i] = status;
                Err(format!("{why}, at {rate:.0} round trips/s"))
            }
        }
    }

    fn stepped(&mut self, i: usize, s: &Step) {
        let t = s.target.as_ref();
        errln!(
            "  {} {:<6} {:>5.1}% {:>9.0}/s achieved {:>9.0}/s  p{} {:>9.1} us [{}–{}]  service p99 {:>8.1} us  lag p99 {:>6.1} us  {} trials{}  {}",
            self.ids[i],
            s.kind,
            100.0 * s.fraction,
            s.offered_rate,
            s.achieved_rate,
            t.map_or(99.0, |t| t.quantile * 100.0),
            t.map_or(0, |t| t.value_ns) as f64 / 1e3,
            t.map_or(0, |t| t.lower_ns) as f64 / 1e3,
            t.and_then(|t| t.upper_ns)
                .map_or("?".into(), |u| format!("{:.1}", u as f64 / 1e3)),
            s.service.p99_ns as f64 / 1e3,
            s.lag.p99_ns as f64 / 1e3,
            s.trials.iter().filter(|t| !t.invalid).count(),
            if s.reruns > 0 {
                format!(" ({} re-run)", s.reruns)
            } else {
                String::new()
            },
            s.verdict.map_or("?", |v| v.as_str()),
        );
    }
}

#[cfg(test)]
mod tests;
