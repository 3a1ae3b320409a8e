//! What the bench files share: settings from the environment and the
//! command line, the run folder under `target/rtbench/`, and the bridge from
//! a checked routine to criterion's `iter_custom` that records results
//! beside criterion's own. The decisions themselves are in
//! `rtbench_workloads::harness`, where the tests reach them.

#![allow(dead_code)] // each bench file uses its own part

use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput, measurement::WallTime};
use rtbench_results::{BenchResult, Description, RunDir, RunMeta, RuntimeEntry};
use rtbench_runtimes::Runtime;
use rtbench_runtimes::{Config, env};
use rtbench_workloads::echo::{EchoBench, EchoCase};
use rtbench_workloads::fan_out::FanOutCase;
use rtbench_workloads::harness::{self, BenchArgs, Faults, Measured, Mode, Observed, Plan};
use rtbench_workloads::timers::TimerCase;
use rtbench_workloads::{InRuntime, Placement, Visit, Workloads, latency};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How this run is configured, from the environment and the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `quick`, `default` or `full`.
    pub mode: &'static str,
    /// The command line as criterion reads it (mode, filter, sample size).
    pub args: BenchArgs,
    /// criterion's test mode (`--test`, or no `--bench`): run each benchmark
    /// once, record nothing.
    pub test_mode: bool,
    pub placement: Placement,
    /// Cores the echo server gets (`RTBENCH_SERVER_CORES`, default 1); fan-out
    /// and timers always run on one.
    pub server_cores: usize,
    /// Configuration every runtime is built with (its worker count is the
    /// server cores: async-std's pool can be sized once per process).
    pub config: Config,
    pub run: Option<RunDir>,
    /// Configurations that cannot start here, with the reason: probed once
    /// per process (not under `--list`), recorded in meta.json, and skipped
    /// before criterion sees them.
    pub unavailable: BTreeMap<String, String>,
    /// criterion's sample size: the calls whose figures are recorded.
    pub sample_size: usize,
    /// `RTBENCH_ROUND` (1-based), recorded with every result.
    pub round: u32,
    /// `RTBENCH_TEST_FAULT`, for the watchdog's tests only.
    pub faults: Faults,
}

/// Exits with a one-line error (a bad setting is not worth a backtrace).
fn fail<T>(e: String) -> T {
    eprintln!("error: {e}");
    std::process::exit(2)
}

impl Settings {
    /// Reads `RTBENCH_QUICK`, `RTBENCH_FULL`, `RTBENCH_PLACEMENT`,
    /// `RTBENCH_SERVER_CORES`, `RTBENCH_ROUND`, `RTBENCH_TEST_FAULT` and the
    /// criterion flags; pins this thread to the server CPUs (runtimes built
    /// from here inherit them); probes every runtime and opens the run folder
    /// unless the command line only lists or tests. Exits with a one-line
    /// error on a bad setting.
    pub fn from_env(workload: &str) -> Settings {
        let args = BenchArgs::parse(std::env::args().skip(1)).unwrap_or_else(fail);
        let flag = |name: &str| {
            std::env::var(name)
                .map(|v| !v.is_empty() && v != "0")
                .unwrap_or(false)
        };
        let mode = if flag("RTBENCH_QUICK") || args.quick {
            "quick"
        } else if flag("RTBENCH_FULL") {
            "full"
        } else {
            "default"
        };
        let server_cores = match std::env::var("RTBENCH_SERVER_CORES") {
            _ if !matches!(workload, "echo" | "latency") => 1,
            Err(_) => 1,
            Ok(v) => match v.parse::<usize>() {
                Ok(n) if n >= 1 => n,
                _ => fail(format!("RTBENCH_SERVER_CORES={v:?} is not a core count")),
            },
        };
        let placement = Placement::from_env(server_cores).unwrap_or_else(fail);
        rtbench_runtimes::sys::pin_to_cpus(placement.server_cpus());
        let round =
            harness::round(std::env::var("RTBENCH_ROUND").ok().as_deref()).unwrap_or_else(fail);
        let faults = Faults::from_env().unwrap_or_else(fail);
        let sample_size = args.sample_size.unwrap_or(match mode {
            "quick" => 10,
            // The default run repeats the matrix in 3 rounds (`rtbench run`),
            // which show the spread: shorter samples keep it near 20 minutes.
            "default" => 15,
            _ => 100, // criterion's default
        });
        let config = Config::with_workers(server_cores);
        // Every configuration once, on a thread pinned like this one.
        let probes: Vec<(String, Result<Description, String>)> = if args.mode == Mode::List {
            Vec::new()
        } else {
            rtbench_runtimes::entries()
                .into_iter()
                .map(|e| (e.name.to_string(), (e.probe)(&config).map_err(|u| u.0)))
                .collect()
        };
        let mut settings = Settings {
            mode,
            test_mode: args.mode == Mode::Test,
            args,
            placement,
            server_cores,
            config,
            run: None,
            unavailable: probes
                .iter()
                .filter_map(|(name, p)| p.as_ref().err().map(|e| (name.clone(), e.clone())))
                .collect(),
            sample_size,
            round,
            faults,
        };
        if settings.args.opens_run_folder() {
            match open_run(&settings, workload, probes) {
                Ok(run) => settings.run = Some(run),
                Err(e) => {
                    eprintln!("error: cannot open the results folder: {e}");
                    std::process::exit(1)
                }
            }
        }
        settings
    }

    /// criterion configured for this mode. `--quick` and other flags on the
    /// command line still apply on top.
    pub fn criterion(&self) -> Criterion {
        // The sample size is the settings' (the command line's if given):
        // the bridge keeps exactly that many calls.
        let c = Criterion::default()
            .with_output_color(true)
            .sample_size(self.sample_size);
        let c = match self.mode {
            // criterion's own HTML plots cost seconds per benchmark; the quick
            // run's report is rtbench's.
            "quick" => c
                .without_plots()
                .warm_up_time(Duration::from_millis(100))
                .measurement_time(Duration::from_millis(300))
                .nresamples(1_000),
            "default" => c
                .warm_up_time(Duration::from_millis(200))
                .measurement_time(Duration::from_millis(600))
                .nresamples(10_000),
            _ => c,
        };
        c.configure_from_args()
    }

    pub fn full(&self) -> bool {
        self.mode == "full"
    }

    /// A result for `workload/runtime/case` with this run's placement, round
    /// and the topology of its server CPUs, `ok` and empty: the routine (or
    /// the reason it did not run) fills the rest.
    pub fn result(&self, workload: &str, runtime: &str, case: &str) -> BenchResult {
        let flavor = rtbench_runtimes::entries()
            .into_iter()
            .find(|e| e.name == runtime)
            .map_or("", |e| e.flavor.as_str());
        BenchResult {
            topology: self.placement.topology(),
            placement: self.placement.describe(),
            description: Description {
                flavor: flavor.into(),
                workers: self.config.workers,
                ..Description::named(runtime)
            },
            ..BenchResult::blank(workload, runtime, case, self.round)
        }
    }

    /// Writes `result` into the run folder, if this process has one.
    pub fn write(&self, result: &BenchResult) {
        if let Some(run) = &self.run
            && let Err(e) = run.write_bench(result)
        {
            eprintln!("rtbench: cannot write results of {}: {e}", result.id);
        }
    }

    /// A configuration that cannot start here: one line saying why, and a
    /// `skipped` result with the reason (nothing written under `--test`).
    pub fn skip(&self, mut result: BenchResult, why: &str) {
        eprintln!("rtbench: {} skipped: {why}", result.id);
        result.status = "skipped".into();
        result.error = Some(why.to_string());
        self.write(&result);
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
    workload: &str,
    probes: Vec<(String, Result<Description, String>)>,
) -> std::io::Result<RunDir> {
    let root = std::env::var_os("RTBENCH_RESULTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("rtbench"));
    std::fs::create_dir_all(&root)?;
    let owner = format!("cargo-pid {}", std::os::unix::process::parent_id());
    let id = match std::env::var("RTBENCH_RUN_ID") {
        Ok(id) if !id.is_empty() => id,
        _ => std::fs::read_dir(&root)?
            .filter_map(|e| e.ok())
            .find(|e| {
                std::fs::read_to_string(e.path().join(".owner")).is_ok_and(|o| o.trim() == owner)
            })
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .unwrap_or_else(|| format!("{}-{}", utc_stamp(), std::process::id())),
    };
    let run = RunDir {
        path: root.join(&id),
    };
    std::fs::create_dir_all(&run.path)?;
    std::fs::write(run.path.join(".owner"), &owner)?;
    let mut meta = run.read_meta().unwrap_or_else(|_| RunMeta {
        schema_version: rtbench_results::SCHEMA_VERSION,
        run_id: id.clone(),
        started_at: rfc3339(SystemTime::now()),
        mode: settings.mode.to_string(),
        placement: settings.placement.name().to_string(),
        env: env::probe(),
        git_commit: git_commit(),
        crate_versions: crate_versions(),
        runtimes: Vec::new(),
        rounds: 1,
        seed: None,
        orders: Vec::new(),
    });
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
    eprintln!(
        "rtbench: {workload} results -> {} ({} mode, placement {})",
        run.path.display(),
        settings.mode,
        settings.placement.describe()
    );
    Ok(run)
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

/// Versions of the crates that run (see `harness::versioned_crates`) from Cargo.lock.
fn crate_versions() -> BTreeMap<String, String> {
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock");
    rtbench_results::crate_versions(&lock, &harness::versioned_crates()).unwrap_or_default()
}

fn utc_stamp() -> String {
    rfc3339(SystemTime::now())
        .replace([':', '-'], "")
        .trim_end_matches('Z')
        .to_string()
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (civil-from-days).
fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// What a benchmark is, for its results file.
pub struct Spec {
    pub workload: &'static str,
    pub runtime: String,
    pub case: String,
    pub params: BTreeMap<String, f64>,
    pub op: &'static str,
    pub ops_per_iter: u64,
    /// `round-trip`, `lateness`, or `None` when there is no distribution.
    pub latency_kind: Option<&'static str>,
}

/// What a finished routine reports beyond the figures of its measured calls.
pub trait Recorded: Observed {
    fn description(&self) -> Description;
    fn topology(&self) -> String;
    fn extra(&self) -> BTreeMap<String, f64> {
        BTreeMap::new()
    }
}

/// A case that knows its routine among an adapter's [`Workloads`].
pub trait OnAdapter: Copy {
    type Routine<R: Runtime>: Recorded;
    fn make<R: Runtime>(
        self,
        w: &Workloads<R>,
        settings: &Settings,
    ) -> Result<Self::Routine<R>, String>;
}

impl OnAdapter for EchoCase {
    type Routine<R: Runtime> = EchoBench;
    fn make<R: Runtime>(self, w: &Workloads<R>, settings: &Settings) -> Result<EchoBench, String> {
        (w.echo)(self, &settings.placement, &settings.config)
    }
}

impl OnAdapter for FanOutCase {
    type Routine<R: Runtime> = InRuntime<R, FanOutCase>;
    fn make<R: Runtime>(
        self,
        w: &Workloads<R>,
        settings: &Settings,
    ) -> Result<Self::Routine<R>, String> {
        (w.fan_out)(self, &settings.config)
    }
}

impl OnAdapter for TimerCase {
    type Routine<R: Runtime> = InRuntime<R, TimerCase>;
    fn make<R: Runtime>(
        self,
        w: &Workloads<R>,
        settings: &Settings,
    ) -> Result<Self::Routine<R>, String> {
        (w.timers)(self, &settings.config)
    }
}

/// [`bench`]es `case` on every adapter of the list, in its order.
pub fn on_every_adapter<C: OnAdapter>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    settings: &Settings,
    case: C,
    spec: fn(&str, C) -> Spec,
) {
    struct Each<'a, 'g, C> {
        group: &'a mut BenchmarkGroup<'g, WallTime>,
        settings: &'a Settings,
        case: C,
        spec: fn(&str, C) -> Spec,
    }
    impl<C: OnAdapter> Visit for Each<'_, '_, C> {
        fn runtime<R: Runtime>(&mut self, w: Workloads<R>) {
            let (case, settings) = (self.case, self.settings);
            bench(self.group, settings, (self.spec)(R::NAME, case), || {
                case.make(&w, settings)
            });
        }
    }
    rtbench_workloads::visit(&mut Each {
        group,
        settings,
        case,
        spec,
    });
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
pub fn bench<T: Recorded>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    settings: &Settings,
    spec: Spec,
    make: impl FnOnce() -> Result<T, String>,
) {
    let mut result = settings.result(spec.workload, &spec.runtime, &spec.case);
    result.params = spec.params;
    result.op = spec.op.into();
    result.ops_per_iter = spec.ops_per_iter as f64;
    let id = result.id.clone();
    match harness::plan(&settings.args, &id, &spec.runtime, &settings.unavailable) {
        Plan::Filtered => return,
        Plan::Skip(why) => return settings.skip(result, why),
        Plan::Run => {}
    }
    let state: RefCell<Option<Result<T, String>>> = RefCell::new(None);
    let measured = RefCell::new(Measured::new(
        settings.args.measured_calls(settings.sample_size),
    ));
    let mut make = Some(make);
    group.throughput(Throughput::Elements(spec.ops_per_iter));
    group.bench_function(BenchmarkId::new(&spec.runtime, &spec.case), |b| {
        b.iter_custom(|iters| {
            let mut state = state.borrow_mut();
            let routine = state.get_or_insert_with(|| {
                settings.faults.strike(&id);
                let make = make.take().expect("built once");
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(make))
                    .unwrap_or_else(|_| Err("panicked while starting".into()))
            });
            let outcome = match routine {
                Ok(r) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    harness::call(r, iters, &mut measured.borrow_mut())
                }))
                .unwrap_or_else(|_| Err("panicked while running".into())),
                Err(e) => Err(e.clone()),
            };
            match outcome {
                Ok(elapsed) => elapsed,
                Err(e) => {
                    if routine.is_ok() {
                        eprintln!("rtbench: {id} failed: {e}");
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
    if settings.test_mode {
        if let Err(e) = &routine {
            eprintln!("rtbench: {id} FAILED: {e}");
            FAILED.with(|f| f.borrow_mut().push(id));
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
                .map(|(kind, h)| latency::summarize(&h, kind));
            result.ops_checked = measured.ops();
            result.server_cpu_ns_per_op = measured.server_cpu_ns_per_op();
            result.extra = r.extra();
        }
        Err(e) => {
            result.status = "failed".into();
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

/// In `--test` mode, a benchmark that failed fails the process (CI must see
/// it); in measuring mode failures are recorded and the run goes on.
pub fn finish(c: &mut Criterion) {
    c.final_summary();
    exit_if_failed(&FAILED.with(|f| f.borrow().clone()));
}

/// Names the benchmarks that failed under `--test` and exits non-zero.
pub fn exit_if_failed(failed: &[String]) {
    if !failed.is_empty() {
        eprintln!(
            "rtbench: {} benchmark(s) failed: {}",
            failed.len(),
            failed.join(", ")
        );
        std::process::exit(1);
    }
}

impl Recorded for rtbench_workloads::echo::EchoBench {
    fn description(&self) -> Description {
        self.description.clone()
    }
    fn topology(&self) -> String {
        self.topology.clone()
    }
}

impl<R: rtbench_runtimes::Runtime, C: rtbench_workloads::Case> Recorded
    for rtbench_workloads::InRuntime<R, C>
{
    fn description(&self) -> Description {
        self.description.clone()
    }
    fn topology(&self) -> String {
        self.topology.clone()
    }
    fn extra(&self) -> BTreeMap<String, f64> {
        let mut extra = BTreeMap::new();
        if let Some(b) = self.bytes_per_task {
            extra.insert("bytes_per_task".into(), b);
        }
        if let Some(s) = self.timer_slack_ns {
            extra.insert("timer_slack_ns".into(), s as f64);
        }
        extra
    }
}

impl Recorded for rtbench_workloads::timers::OsSleep {
    fn description(&self) -> Description {
        Description {
            name: self.name(),
            flavor: "reference".into(),
            workers: 1,
            timer_class: "os".into(),
            driver: "std::thread::sleep".into(),
            knobs: self
                .slack
                .map(|s| {
                    [(
                        "PR_SET_TIMERSLACK".to_string(),
                        format!("{} ns", s.as_nanos()),
                    )]
                    .into()
                })
                .unwrap_or_default(),
            notes: vec!["no runtime: the OS sleep floor".into()],
        }
    }
    /// Its sleeping thread is pinned to one CPU.
    fn topology(&self) -> String {
        rtbench_workloads::topology(1)
    }
    fn extra(&self) -> BTreeMap<String, f64> {
        self.timer_slack_ns
            .map(|s| [("timer_slack_ns".to_string(), s as f64)].into())
            .unwrap_or_default()
    }
}

impl Recorded for rtbench_workloads::echo::BlockingClientBench {
    fn description(&self) -> Description {
        self.description.clone()
    }
    fn topology(&self) -> String {
        self.topology.clone()
    }
}
