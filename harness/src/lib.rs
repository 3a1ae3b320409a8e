//! What the bench files share: settings from the environment and the
//! command line, the run folder under `target/rtbench/`, and the bridge from
//! a checked routine to criterion's `iter_custom` that records results
//! beside criterion's own. The decisions it makes (command line, skips, the
//! measured calls and their figures) are plain functions in [`plan`].

/// `eprintln!` that cannot panic: a standard error that fails (a pipe whose
/// reader has gone, `2>&1 | head`; a log on a full disk) costs the line,
/// not the process and the results it has yet to write.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod open_loop;
pub mod plan;
pub mod vars;

use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput, measurement::WallTime};
use plan::{BenchArgs, Faults, Measured, Mode, Plan};
use rtbench_format::{
    BenchResult, Description, Estimate, Flavor, RunDir, RunMeta, RunMode, RuntimeEntry, Status,
    Workload,
};
use rtbench_loadgen::hdr;
use rtbench_runtimes::{Config, env};
use rtbench_workloads::echo::{EchoCase, ServedBench, std_threads_description};
use rtbench_workloads::http::HttpCase;
pub use rtbench_workloads::server_process::ServeCommand;
use rtbench_workloads::work::WorkCase;
use rtbench_workloads::{Observed, Placement};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How this run is configured, from the environment and the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The workload of this bench process.
    pub workload: Workload,
    /// Quick, default or full.
    pub run_mode: RunMode,
    /// The command line as criterion reads it (mode, filter, sample size).
    pub args: BenchArgs,
    /// criterion's test mode (`--test`, or no `--bench`): run each benchmark
    /// once, record nothing.
    pub test_mode: bool,
    pub placement: Placement,
    /// Cores the echo server gets (`RTBENCH_SERVER_CORES`, default 1; for
    /// `work`, default every core the placement allows); fan-out and timers
    /// always run on one.
    pub server_cores: usize,
    /// Threads of the load generator (`work`: `RTBENCH_GENERATOR_THREADS`,
    /// default the CPUs left after the server's, at least 1); 1 for echo
    /// and latency (criterion's thread), 0 for fan-out and timers.
    pub generator_threads: usize,
    /// Configuration every runtime is built with (its worker count is the
    /// server cores: async-std's pool can be sized once per process).
    pub config: Config,
    pub run: Option<RunDir>,
    /// Configurations that cannot start here, with the reason: probed once
    /// per process (not under `--list`), recorded in meta.json, and skipped
    /// before criterion sees them.
    pub unavailable: BTreeMap<String, String>,
    /// Descriptions of the configurations that start here, from the probe.
    pub descriptions: BTreeMap<String, Description>,
    /// criterion's sample size: the calls whose figures are recorded.
    pub sample_size: usize,
    /// `RTBENCH_ROUND` (1-based), recorded with every result.
    pub round: u32,
    /// `RTBENCH_TEST_FAULT`, for the watchdog's tests only.
    pub faults: Faults,
}

/// Exits with a one-line error (a bad setting is not worth a backtrace).
fn fail<T>(e: String) -> T {
    errln!("error: {e}");
    std::process::exit(2)
}

impl Settings {
    /// [`Settings::parse`] then [`Settings::open`], for a bench's `main`:
    /// a bad setting exits with one line and status 2, a results folder
    /// that cannot be opened with status 1.
    pub fn from_env(workload: Workload) -> Settings {
        keep_panic_locations();
        let mut settings = Settings::parse(workload, std::env::args().skip(1)).unwrap_or_else(fail);
        if let Err(e) = settings.open() {
            errln!("error: cannot open the results folder: {e}");
            std::process::exit(1)
        }
        settings
    }

    /// Reads the command line `args` (criterion's flags) and
    /// `RTBENCH_QUICK`, `RTBENCH_FULL`, `RTBENCH_PLACEMENT`,
    /// `RTBENCH_SERVER_CORES`, `RTBENCH_ROUND` and `RTBENCH_TEST_FAULT`.
    /// Does nothing else: [`Settings::open`] acts on them.
    pub fn parse(
        workload: Workload,
        args: impl IntoIterator<Item = String>,
    ) -> Result<Settings, String> {
        let args = BenchArgs::parse(args)?;
        let flag = |name: &str| {
            std::env::var(name)
                .map(|v| !v.is_empty() && v != "0")
                .unwrap_or(false)
        };
        let run_mode = if flag("RTBENCH_QUICK") || args.quick {
            RunMode::Quick
        } else if flag("RTBENCH_FULL") {
            RunMode::Full
        } else {
            RunMode::Default
        };
        let (server_cores, generator_threads, placement) = vars::placement(workload)?;
        let round = plan::round(std::env::var("RTBENCH_ROUND").ok().as_deref())?;
        let faults = Faults::from_env()?;
        let sample_size = args.sample_size.unwrap_or(match run_mode {
            RunMode::Quick => 10,
            // The default run repeats the matrix in 6 rounds (`rtbench run`),
            // whose spread is each row's interval: shorter samples keep it
            // within 20 minutes.
            RunMode::Default if workload == Workload::Echo => 15,
            RunMode::Default => 10,               // see `Settings::criterion`
            RunMode::Full | RunMode::Load => 100, // criterion's default
        });
        Ok(Settings {
            workload,
            run_mode,
            test_mode: args.mode == Mode::Test,
            args,
            placement,
            server_cores,
            generator_threads,
            config: Config::with_workers(server_cores),
            run: None,
            unavailable: BTreeMap::new(),
            descriptions: BTreeMap::new(),
            sample_size,
            round,
            faults,
        })
    }

    /// Acts on the settings: pins this thread to the server CPUs (runtimes
    /// built from here inherit them), probes every configuration on it and
    /// opens the run folder, unless the command line only lists (which does
    /// neither) or tests (which opens no folder).
    pub fn open(&mut self) -> std::io::Result<()> {
        if self.args.mode == Mode::List {
            return Ok(());
        }
        rtbench_runtimes::sys::pin_to_cpus(self.placement.server_cpus());
        let probes: Vec<(String, Result<Description, String>)> = rtbench_runtimes::entries()
            .into_iter()
            .map(|e| (e.name.to_string(), (e.probe)(&self.config).map_err(|u| u.0)))
            .collect();
        for (name, probed) in &probes {
            match probed {
                Ok(d) => drop(self.descriptions.insert(name.clone(), d.clone())),
                Err(e) => drop(self.unavailable.insert(name.clone(), e.clone())),
            }
        }
        if self.args.opens_run_folder() {
            self.run = Some(open_run(self, probes)?);
        }
        Ok(())
    }

    /// criterion configured for this mode. `--quick` and other flags on the
    /// command line still apply on top.
    pub fn criterion(&self) -> Criterion {
        // The sample size is the settings' (the command line's if given):
        // the bridge keeps exactly that many calls.
        let c = Criterion::default()
            .with_output_color(true)
            .sample_size(self.sample_size);
        let c = match self.run_mode {
            // criterion's own HTML plots cost seconds per benchmark; the quick
            // run's report is rtbench's.
            // The quick run checks that everything works and gives a first
            // look: 0.05 s of warm-up and 0.1 s of measurement keep a fresh
            // clone within 7 minutes of its report, the build included.
            RunMode::Quick => c
                .without_plots()
                .warm_up_time(Duration::from_millis(50))
                .measurement_time(Duration::from_millis(100))
                .nresamples(1_000),
            // Plots cost seconds per benchmark: only the full run makes them.
            // A 0.1 s warm-up is enough to size the iterations (the slowest
            // is 10 ms). 0.25 s of measurement, over 6 rounds: on this machine
            // the noise is between rounds (a 0.2 s echo trial moves 7–10% in
            // one server process, as much as rounds do), so 6 short rounds
            // give a 95% interval about 2.4× narrower than 3 of 0.5 s
            // (t₅/√6 against t₂/√3) for about 40% more time.
            // HTTP: longer samples (0.2 s) keep its 256-connection ones
            // near steady state, where wrk measures.
            RunMode::Default if self.workload == Workload::Http => c
                .without_plots()
                .warm_up_time(Duration::from_millis(50))
                .measurement_time(Duration::from_millis(200))
                .nresamples(10_000),
            RunMode::Default if self.workload == Workload::Echo => c
                .without_plots()
                .warm_up_time(Duration::from_millis(100))
                .measurement_time(Duration::from_millis(250))
                .nresamples(10_000),
            // The in-runtime workloads (fan-out, timers, sched) vary between
            // processes, not within one (two quick runs order their runtimes
            // alike 97–99% of the time): 0.1 s of 10 samples per round is
            // enough, and keeps the default suite within 25 minutes.
            RunMode::Default => c
                .without_plots()
                .warm_up_time(Duration::from_millis(50))
                .measurement_time(Duration::from_millis(100))
                .nresamples(10_000),
            RunMode::Full | RunMode::Load => c,
        };
        c.configure_from_args()
    }

    pub fn full(&self) -> bool {
        self.run_mode == RunMode::Full
    }

    /// Configuration `name`'s echo server for `case` as `rtbench serve`, a
    /// process of its own on the server CPUs, driven from this thread.
    pub fn served_echo(
        &self,
        serve: &ServeCommand,
        name: &str,
        case: EchoCase,
    ) -> Result<ServedBench, String> {
        let description = self.description(name, case)?;
        ServedBench::served(serve, name, description, case, &self.placement)
    }

    /// Configuration `name`'s `work` server for `case` as `rtbench serve
    /// --service work`, driven by the placement's generator threads.
    pub fn served_work(
        &self,
        serve: &ServeCommand,
        name: &str,
        case: WorkCase,
        rounds_per_us: f64,
    ) -> Result<ServedBench, String> {
        let description = self.description(name, case.echo)?;
        ServedBench::served_work(
            serve,
            name,
            description,
            case,
            &self.placement,
            rounds_per_us,
        )
    }

    /// These settings with the server on `cores` cores, the generator
    /// sharing them (the `http` workload's case on 2 cores): its placement,
    /// config and descriptions (probed again with that many workers). The
    /// CPUs are the run's own (its server's and generator's).
    pub fn with_server_cores(&self, cores: usize) -> Result<Settings, String> {
        if cores == self.server_cores {
            return Ok(self.clone());
        }
        let mut cpus: Vec<usize> = self.placement.server_cpus().to_vec();
        cpus.extend(self.placement.loadgen_cpus());
        cpus.sort_unstable();
        cpus.dedup();
        let mut s = self.clone();
        s.placement = Placement::new(&cpus, cores, true)?;
        s.server_cores = cores;
        s.config = Config::with_workers(cores);
        if self.args.mode != Mode::List {
            for e in rtbench_runtimes::entries() {
                if let (Some(d), Ok(probed)) =
                    (s.descriptions.get_mut(e.name), (e.probe)(&s.config))
                {
                    *d = probed;
                    d.workers = cores;
                }
            }
        }
        Ok(s)
    }

    /// Configuration `name`'s HTTP server for `case` as `rtbench serve
    /// --service http` on this placement's server CPUs, its description
    /// naming the adapter crate hyper runs through (knob `http`).
    pub fn served_http(
        &self,
        serve: &ServeCommand,
        name: &str,
        case: HttpCase,
    ) -> Result<ServedBench, String> {
        let description = match name {
            "std-threads" => rtbench_workloads::http::std_threads_description(case.connections),
            _ => {
                let mut d = (self.descriptions.get(name).cloned())
                    .ok_or_else(|| format!("{name} did not start here"))?;
                if let Some(Ok(adapter)) = http_adapter(name) {
                    d.knobs
                        .insert("http".into(), format!("hyper 1 through {adapter}"));
                }
                d
            }
        };
        ServedBench::served_http(serve, name, description, case, &self.placement)
    }

    /// What `name` is, from the probe (`std-threads`: its own).
    fn description(&self, name: &str, case: EchoCase) -> Result<Description, String> {
        match name {
            "std-threads" => Ok(std_threads_description(case)),
            _ => self
                .descriptions
                .get(name)
                .cloned()
                .ok_or_else(|| format!("{name} did not start here")),
        }
    }

    /// A result for `workload/runtime/case` with this run's placement, round
    /// and the topology of its server CPUs, `ok` and empty: the routine (or
    /// the reason it did not run) fills the rest.
    pub fn result(&self, workload: &str, runtime: &str, case: &str) -> BenchResult {
        let flavor = rtbench_runtimes::entries()
            .into_iter()
            .find(|e| e.name == runtime)
            .map_or(Flavor::Unset, |e| e.flavor);
        BenchResult {
            topology: self.placement.topology(),
            placement: self.placement.describe(),
            description: Description {
                flavor,
                workers: self.config.workers,
                ..Description::named(runtime)
            },
            server_cores: self.server_cores as u32,
            generator_threads: self.generator_threads as u32,
            ..BenchResult::blank(workload, runtime, case, self.round)
        }
    }

    /// The blank result of `spec`: its case, parameters, operation and
    /// topology.
    pub fn spec_result(&self, spec: &Spec) -> BenchResult {
        let mut result = self.result(spec.workload.as_str(), &spec.runtime, &spec.case);
        result.params = spec.params.clone();
        result.op = spec.op.into();
        result.ops_per_iter = spec.ops_per_iter as f64;
        if let Some(topology) = &spec.topology {
            result.topology = topology.clone();
        }
        result
    }

    /// Writes `result` into the run folder, if this process has one. A
    /// result that cannot be written is lost: one line says so (`rtbench run`
    /// reads it), and the process exits non-zero at its end
    /// ([`exit_if_failed`]).
    pub fn write(&self, result: &BenchResult) {
        if let Some(run) = &self.run
            && let Err(e) = run.write_bench(result)
        {
            errln!("rtbench: cannot write results of {}: {e}", result.id);
            LOST.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(result.id.clone());
        }
    }

    /// A configuration that cannot start here: one line saying why, and a
    /// `skipped` result with the reason (nothing written under `--test`).
    pub fn skip(&self, mut result: BenchResult, why: &str) {
        errln!("rtbench: {} skipped: {why}", result.id);
        result.status = Status::Skipped;
        result.error = Some(why.to_string());
        self.write(&result);
    }
}

/// Why a case of `params` fails on `runtime` by the runtime's design: more
/// tasks ("tasks" or "timers", each a task) than its
/// [`Runtime::MAX_LIVE_TASKS`](rtbench_runtimes::Runtime::MAX_LIVE_TASKS), or a
/// case that wakes it from another thread ("cross_thread") when its
/// [`Runtime::WAKE_FROM_ANOTHER_THREAD`](rtbench_runtimes::Runtime::WAKE_FROM_ANOTHER_THREAD)
/// says it panics on that.
pub fn failure_by_design(runtime: &str, params: &BTreeMap<String, f64>) -> Option<String> {
    let entry = rtbench_runtimes::entries()
        .into_iter()
        .find(|e| e.name == runtime)?;
    if params.get("cross_thread").is_some_and(|&v| v > 0.0) && !entry.wake_from_another_thread {
        return Some(format!(
            "{runtime} panics when a task of it is woken from another thread"
        ));
    }
    let limit = entry.max_live_tasks?;
    let tasks = ["tasks", "timers"]
        .iter()
        .filter_map(|k| params.get(*k))
        .fold(0.0f64, |a, &b| a.max(b));
    (tasks > limit as f64)
        .then(|| format!("{tasks:.0} tasks is past {runtime}'s limit of {limit} live tasks"))
}

/// "panicked while running: <its message>": a runtime's panic (kimojio's
/// past 65,535 live tasks, say) is a finding, shown with what it said.
fn panicked(when: &str, payload: &(dyn std::any::Any + Send)) -> String {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned());
    let at = PANIC_AT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .map_or(String::new(), |at| format!(" (at {at})"));
    match message {
        Some(m) => format!("panicked while {when}: {m}{at}"),
        None => format!("panicked while {when}{at}"),
    }
}

/// Where the last panic happened (a crate's file and line), kept by the hook
/// [`keep_panic_locations`] installs: a payload alone ("called
/// `Option::unwrap()` on a `None` value") does not say whose code failed.
static PANIC_AT: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Installs a panic hook that records where each panic happened, then does
/// what the hook before it did (print it to the log).
fn keep_panic_locations() {
    let before = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(l) = info.location() {
            // The path below the registry's `src/<index>/`, where there is one.
            let file = l.file();
            let file = file
                .find("/registry/src/")
                .and_then(|i| file[i..].splitn(5, '/').nth(4))
                .unwrap_or(file);
            *PANIC_AT.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(format!("{file}:{}", l.line()));
        }
        before(info);
    }));
}

/// What an echo server runs on: every configuration, then `std-threads`
/// (the floor), in the list's order.
pub fn echo_servers() -> Vec<String> {
    rtbench_runtimes::entries()
        .into_iter()
        .map(|e| e.name.to_string())
        .chain(["std-threads".to_string()])
        .collect()
}

/// [`rtbench_runtimes::Runtime::HTTP`] of configuration `name` (`None`: no such adapter).
pub fn http_adapter(name: &str) -> Option<Result<&'static str, &'static str>> {
    rtbench_runtimes::entries()
        .into_iter()
        .find(|e| e.name == name)
        .map(|e| e.http)
}

/// Why configuration `name` has no HTTP rows: hyper cannot run on it.
pub fn cannot_host_hyper(name: &str) -> Option<String> {
    match http_adapter(name) {
        Some(Err(why)) => Some(format!("{name} cannot host hyper: {why}")),
        _ => None,
    }
}

/// The folder above `release/deps/<bench>`: the cargo target directory.
fn target_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// The run folder for this `cargo bench`: `RTBENCH_RUN_ID` if set, else the
/// folder the same cargo process (our parent) already opened, else a new one
/// named by UTC time. Its meta.json gains this workload's runtimes, with
/// this process's probes.
fn open_run(
    settings: &Settings,
    probes: Vec<(String, Result<Description, String>)>,
) -> std::io::Result<RunDir> {
    let root = std::env::var_os("RTBENCH_RESULTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("rtbench"));
    std::fs::create_dir_all(&root)?;
    let owner = format!("cargo-pid {}", std::os::unix::process::parent_id());
    let owned = || -> std::io::Result<Option<PathBuf>> {
        Ok(std::fs::read_dir(&root)?
            .filter_map(|e| e.ok())
            .find(|e| {
                std::fs::read_to_string(e.path().join(".owner")).is_ok_and(|o| o.trim() == owner)
            })
            .map(|e| e.path()))
    };
    let run = match std::env::var("RTBENCH_RUN_ID") {
        Ok(id) if !id.is_empty() => {
            let run = RunDir {
                path: root.join(&id),
            };
            std::fs::create_dir_all(&run.path)?;
            run
        }
        _ => match owned()? {
            Some(path) => RunDir { path },
            // A folder of our own, never one another process just made.
            None => RunDir::create_new(&root, &std::process::id().to_string())?,
        },
    };
    let id = run.id();
    std::fs::write(run.path.join(".owner"), &owner)?;
    let mut meta = run
        .read_meta()
        .unwrap_or_else(|_| new_meta(&id, settings.run_mode, settings.placement.name()));
    for (name, probed) in probes {
        if meta.runtimes.iter().any(|r| r.name == name) {
            continue;
        }
        meta.runtimes.push(RuntimeEntry {
            name,
            unavailable: probed.as_ref().err().cloned(),
            description: probed.ok(),
        });
    }
    run.write_meta(&meta)?;
    errln!(
        "rtbench: {} results -> {} ({} mode, placement {})",
        settings.workload,
        run.path.display(),
        settings.run_mode,
        settings.placement.describe()
    );
    Ok(run)
}

/// A run's meta.json before any result: the environment, the commit and
/// the crate versions, one round, no runtimes yet. Written by the first
/// bench process of a run, or by `rtbench run` before its first one.
pub fn new_meta(run_id: &str, mode: RunMode, placement: &str) -> RunMeta {
    RunMeta {
        schema_version: rtbench_format::SCHEMA_VERSION,
        run_id: run_id.to_string(),
        started_at: rfc3339(SystemTime::now()),
        mode,
        placement: placement.to_string(),
        env: env::probe(),
        git_commit: git_commit(),
        crate_versions: crate_versions(),
        runtimes: Vec::new(),
        rounds: 1,
        seed: None,
        orders: Vec::new(),
        noise: None,
        selected: Vec::new(),
    }
}

fn git_commit() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Versions of the crates that run (see `plan::versioned_crates`) from Cargo.lock.
fn crate_versions() -> BTreeMap<String, String> {
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    rtbench_format::crate_versions(&lock, &plan::versioned_crates()).unwrap_or_default()
}

/// `YYYY-MM-DDTHH:MM:SSZ`, UTC.
fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// What a benchmark is, for its results file.
pub struct Spec {
    pub workload: Workload,
    pub runtime: String,
    pub case: String,
    pub params: BTreeMap<String, f64>,
    pub op: &'static str,
    pub ops_per_iter: u64,
    /// `round-trip`, `lateness`, or `None` when there is no distribution.
    pub latency_kind: Option<&'static str>,
    /// The CPUs it runs on when not the placement's server CPUs (a case
    /// with threads of its own), as the routine will name them: a result
    /// that fails before the routine says so still lands in its table.
    pub topology: Option<String>,
}

/// What a tool outside rtbench measured for one row (fio): its own figures.
#[derive(Debug, Clone)]
pub struct External {
    /// Time per operation, from the tool's own rate.
    pub ns_per_op: f64,
    /// Operations the tool completed.
    pub ops: u64,
    pub latency: Option<rtbench_format::Latency>,
    pub cpu_ns_per_op: Option<f64>,
    pub description: Description,
    pub extra: BTreeMap<String, f64>,
}

/// A row measured by a tool of its own instead of criterion (fio): listed
/// with the others, measured once per process (per round) and recorded
/// with its one figure as the estimate (the rounds give it its interval).
/// `measure` returning `Err` skips the row with that reason.
pub fn external(
    settings: &Settings,
    spec: Spec,
    measure: impl FnOnce() -> Result<External, String>,
) {
    let mut result = settings.spec_result(&spec);
    let id = result.id.clone();
    if settings.args.mode == Mode::List {
        println!("{id}: benchmark");
        return;
    }
    if !settings.args.selects(&id) {
        return;
    }
    errln!("rtbench: measuring {id}: by its own tool");
    match measure() {
        Err(why) => settings.skip(result, &why),
        Ok(_) if settings.test_mode => {}
        Ok(x) => {
            result.description = x.description;
            // An estimate is per iteration, as criterion's are.
            let per_iter = x.ns_per_op * spec.ops_per_iter as f64;
            result.estimate = Some(Estimate {
                mean_ns: per_iter,
                mean_lower_ns: per_iter,
                mean_upper_ns: per_iter,
                median_ns: per_iter,
                samples: 1,
            });
            result.latency = x.latency;
            result.ops_checked = x.ops;
            result.server_cpu_ns_per_op = x.cpu_ns_per_op;
            result.extra = x.extra;
            settings.write(&result);
        }
    }
}

/// Benchmarks one routine under criterion's `iter_custom`, building it
/// lazily (a benchmark the filter skips costs nothing), checking every call
/// did exactly `iters` iterations of work, and writing its results file
/// from the calls criterion measured (its last `sample_size` calls: no group
/// may set a sample size of its own).
///
/// A configuration that cannot start here is skipped before criterion sees
/// it; a routine that cannot start or fails is recorded as failed with its
/// error. Either way the run goes on.
pub fn bench<T: Observed>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    settings: &Settings,
    spec: Spec,
    make: impl FnOnce() -> Result<T, String>,
) {
    bench_or_skip(group, settings, spec, || None, make)
}

/// [`bench`], skipped with the reason `cannot` gives when the case cannot
/// run on this configuration here (a pool it needs cannot be had in this
/// process, say). `cannot` is asked only of a selected case, never under
/// `--list`.
pub fn bench_or_skip<T: Observed>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    settings: &Settings,
    spec: Spec,
    cannot: impl FnOnce() -> Option<String>,
    make: impl FnOnce() -> Result<T, String>,
) {
    let mut result = settings.spec_result(&spec);
    let id = result.id.clone();
    let mut unavailable = std::borrow::Cow::Borrowed(&settings.unavailable);
    if settings.args.mode != Mode::List
        && settings.args.selects(&id)
        && !unavailable.contains_key(&spec.runtime)
    {
        if let Some(why) = cannot() {
            unavailable.to_mut().insert(spec.runtime.clone(), why);
        }
    }
    match plan::plan(&settings.args, &id, &spec.runtime, &unavailable) {
        Plan::Filtered => return,
        Plan::Skip(why) => return settings.skip(result, why),
        Plan::Run => {}
    }
    let state: RefCell<Option<Result<T, String>>> = RefCell::new(None);
    let measured = RefCell::new(Measured::new(
        settings.args.measured_calls(settings.sample_size),
    ));
    let mut make = Some(make);
    let mut build = || {
        settings.faults.strike(&id);
        let make = make.take().expect("built once");
        if let Some(e) = settings.faults.failure(&id) {
            return Err(e);
        }
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(make))
            .unwrap_or_else(|p| Err(panicked("starting", p.as_ref())))
    };
    // A benchmark that will be measured is built before criterion's warm-up:
    // criterion sizes its samples from the warm-up's wall time, and a slow
    // start (a server process, a 1 GiB file read into the cache) counted
    // there made it take one iteration per sample.
    if matches!(settings.args.mode, Mode::Measure { .. }) && settings.args.selects(&id) {
        // Named first, so that a start that hangs is pinned on this one.
        errln!("rtbench: measuring {id}: starting");
        *state.borrow_mut() = Some(build());
    }
    let mut build = Some(build);
    group.throughput(Throughput::Elements(spec.ops_per_iter));
    group.bench_function(BenchmarkId::new(&spec.runtime, &spec.case), |b| {
        b.iter_custom(|iters| {
            let mut state = state.borrow_mut();
            let routine = state.get_or_insert_with(|| build.take().expect("built once")());
            let outcome = match routine {
                Ok(r) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let mut measured = measured.borrow_mut();
                    let start = measured.start(r);
                    // The routine's own timed loop.
                    let elapsed = r.run(iters)?;
                    measured.finish(r, start, iters, elapsed).map(|()| elapsed)
                }))
                .unwrap_or_else(|p| Err(panicked("running", p.as_ref()))),
                Err(e) => Err(e.clone()),
            };
            match outcome {
                Ok(elapsed) => elapsed,
                Err(e) => {
                    if routine.is_ok() {
                        errln!("rtbench: {id} failed: {e}");
                        *routine = Err(e);
                    }
                    // criterion needs a time; the results file says it failed.
                    Duration::from_nanos(iters)
                }
            }
        })
    });
    let Some(routine) = state.into_inner() else {
        return; // filtered out
    };
    // A case past the runtime's own task limit, or one it cannot take (a
    // wake from another thread), fails by the runtime's design: its error
    // says so, and `--test` expects it.
    let by_design = failure_by_design(&spec.runtime, &result.params);
    let routine = routine.map_err(|e| match &by_design {
        Some(why) => format!("{e}: {why}"),
        None => e,
    });
    if settings.test_mode {
        if let Err(e) = &routine {
            if by_design.is_some() {
                errln!("rtbench: {id} failed, by its runtime's design: {e}");
            } else {
                errln!("rtbench: {id} FAILED: {e}");
                FAILED.with(|f| f.borrow_mut().push(id));
            }
        }
        return;
    }
    let measured = measured.into_inner();
    match &routine {
        Ok(r) => {
            result.topology = r.topology();
            result.description = r.description();
            // Figures of the measured calls only: none under --profile-time.
            result.estimate = measured.estimate();
            result.latency = spec
                .latency_kind
                .zip(measured.hist())
                .map(|(kind, h)| hdr::summarize(&h, kind));
            result.ops_checked = measured.ops();
            result.server_cpu_ns_per_op = measured.server_cpu_ns_per_op();
            result.interference = measured.interference();
            result.extra = r.extra();
        }
        Err(e) => {
            result.status = Status::Failed;
            result.error = Some(e.clone());
            // Keep the runtime's own description where it could start.
            if let Some(entry) = rtbench_runtimes::entries()
                .into_iter()
                .find(|en| en.name == spec.runtime)
                && let Ok(d) = (entry.probe)(&settings.config)
            {
                result.description = d;
            }
        }
    }
    settings.write(&result);
}

thread_local! {
    static FAILED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Ids whose results this process could not write ([`Settings::write`]).
static LOST: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// In `--test` mode, a benchmark that failed fails the process (CI must see
/// it); in measuring mode failures are recorded and the run goes on, but a
/// result that could not be written fails the process.
pub fn finish(c: &mut Criterion) {
    c.final_summary();
    exit_if_failed(&FAILED.with(|f| f.borrow().clone()));
}

/// Names the benchmarks that failed under `--test`, and the results that
/// could not be written, and exits non-zero if there are any.
pub fn exit_if_failed(failed: &[String]) {
    let lost = LOST.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if !failed.is_empty() {
        errln!(
            "rtbench: {} benchmark(s) failed: {}",
            failed.len(),
            failed.join(", ")
        );
    }
    if !lost.is_empty() {
        errln!(
            "rtbench: {} result(s) could not be written and are lost: {}",
            lost.len(),
            lost.join(", ")
        );
    }
    if !failed.is_empty() || !lost.is_empty() {
        std::process::exit(1);
    }
}
