//! The raw results layout that benches write and the renderer reads.
//!
//! One run is one folder, `target/rtbench/<run-id>/`:
//!
//! ```text
//! meta.json               RunMeta: schema version, environment, placement, runtimes (with skip reasons)
//! bench/<slug>.json       BenchResult: one per benchmark id (criterion estimate, histogram, config)
//! bench/<slug>.r<k>.json  the same id measured again in round k > 1 (a run may repeat its matrix)
//! ```
//!
//! Every file is written atomically (temp file + rename), so a killed run never
//! leaves half a file. `SCHEMA_VERSION` changes whenever a field changes meaning;
//! readers refuse newer versions with a message instead of guessing.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the raw results layout (meta.json and bench/*.json).
/// 2 added `BenchResult::open_loop` (the `latency` workload); version-1 files
/// read as before, with no open-loop part. Rounds (`BenchResult::round`,
/// `RunMeta::rounds`, `seed`, `orders`) came later as defaulted fields, so
/// files without them still read (as one round) and the version stayed.
/// 3: an open-loop step pools interleaved trials (`Step::trials`) instead of
/// repeating a missed step; interference, intervals and the machine's noise
/// are recorded (all defaulted, so version-2 files still read).
pub const SCHEMA_VERSION: u32 = 3;

mod files;
pub mod noise;
pub mod stats;
pub mod units;
mod workload;
pub use files::{
    FileError, LOADGEN_MIO, RunDir, bench_file_name, bench_file_name_in_round, crate_versions,
    latest_run, read_json, run_stamp, write_atomic, write_json_atomic,
};
pub use noise::{
    CpuProbe, Interference, MachineNoise, OtherTask, Parts, PercentileInterval, SlowCause, Trial,
    Verdict,
};
pub use workload::{Shape, Workload};

/// A closed set of names: a unit enum whose serialized names (JSON, schema,
/// `as_str`, `Display`) are the strings given, so files read exactly as
/// they did when these were strings, and a name outside the set is an error
/// where the file is read, not a surprise where it is used.
#[macro_export]
macro_rules! names {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$m])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
            ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema,
        )]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $text)] $variant,)*
        }

        impl $name {
            /// Every name, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The name as serialized.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| format!("{s:?} is not a {}", stringify!($name)))
            }
        }
    };
}

names! {
    /// What became of one benchmark id in one round.
    pub enum Status {
        /// It measured.
        Ok = "ok",
        /// The benchmark reported an error.
        Failed = "failed",
        /// Its process made no progress and the watchdog killed it.
        Hung = "hung",
        /// Its process died by a signal.
        Crashed = "crashed",
        /// Its configuration cannot start here, so nothing ran.
        Skipped = "skipped",
    }
}

names! {
    /// What kind of thing ran: a runtime family, or what stands in for one.
    pub enum Flavor {
        /// Tasks are `Send` and migrate between `workers` threads.
        WorkStealing = "work-stealing",
        /// One executor per core; tasks stay on the core that spawned them.
        ThreadPerCore = "thread-per-core",
        /// No runtime: a floor measured beside the runtimes (`std-threads`,
        /// `os-sleep`).
        Reference = "reference",
        /// No runtime: a check of the harness itself (`blocking-client`).
        Check = "check",
        /// An echo server rtbench did not start (`rtbench load`).
        External = "external",
        /// Not described (a hung or crashed record of an unknown configuration).
        Unset = "",
    }
}

names! {
    /// How fine a runtime's timers are, by design.
    pub enum TimerClass {
        /// Millisecond resolution: a hashed wheel with 1 ms ticks (tokio and
        /// runtimes built on its driver), or exact deadlines waited for with
        /// epoll_wait's millisecond timeout (nio).
        Wheel1ms = "1ms-wheel",
        /// Sub-millisecond deadlines (timerfd, io_uring timeouts, epoll_pwait2).
        Fine = "fine",
        /// The OS sleep itself (the no-runtime references).
        Os = "os",
        /// Said to be unknown (an external server).
        Unknown = "unknown",
        /// Not described.
        Unset = "",
    }
}

names! {
    /// How long a run measures.
    pub enum RunMode {
        /// `--quick` / `RTBENCH_QUICK`: short samples, one round.
        Quick = "quick",
        /// The default suite.
        Default = "default",
        /// `RTBENCH_FULL`: the full matrix, criterion's own sample times.
        Full = "full",
        /// `rtbench load` against an external server.
        Load = "load",
    }
}

/// `meta.json`: what a run was and where it ran.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct RunMeta {
    pub schema_version: u32,
    pub run_id: String,
    /// RFC 3339 UTC time the run started.
    pub started_at: String,
    pub mode: RunMode,
    /// `split` (the load generator's CPU is none of the server's) or
    /// `shared` (it is one of them).
    pub placement: String,
    pub env: Environment,
    /// `git rev-parse HEAD` of the benched tree, if known.
    pub git_commit: Option<String>,
    /// Versions of the crates that ran, from Cargo.lock (see [`crate_versions`]).
    pub crate_versions: BTreeMap<String, String>,
    /// Every configuration the run knew of, available or not.
    pub runtimes: Vec<RuntimeEntry>,
    /// How many times the whole matrix ran; 0 (older files) or 1 is one round.
    #[serde(default)]
    pub rounds: u32,
    /// Seed of the per-round runtime shuffle, so the order can be replayed.
    #[serde(default)]
    pub seed: Option<u64>,
    /// The runtime order of each round, as run (round 1 first).
    #[serde(default)]
    pub orders: Vec<Vec<String>>,
    /// Per-CPU probes and the other tasks that ran on the benchmark's CPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<MachineNoise>,
    /// Every benchmark id the run asked for (`rtbench run`'s filter, as the
    /// benches listed them): what the report calls missing when it has no
    /// result. Empty (older files, `rtbench load`, a bare `cargo bench`):
    /// not recorded, and missing is judged from the results alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub selected: Vec<String>,
}

/// The machine a result was measured on (`rtbench env`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
#[schemars(deny_unknown_fields)]
pub struct Environment {
    pub kernel: String,
    pub cpu_model: String,
    pub cores: usize,
    /// RLIMIT_MEMLOCK soft limit in bytes; `None` means unlimited.
    pub memlock_bytes: Option<u64>,
    /// `available`, or `unavailable: <reason>`.
    pub io_uring: String,
    pub rustc: String,
    /// Default timer slack of a fresh thread, in ns (Linux: 50,000).
    pub timer_slack_ns: Option<u64>,
}

/// One runtime configuration as a run saw it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct RuntimeEntry {
    pub name: String,
    /// `None` when the configuration is available; otherwise why it was skipped.
    pub unavailable: Option<String>,
    pub description: Option<Description>,
}

/// How a runtime configuration is set up: everything a reader needs to
/// reproduce it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct Description {
    pub name: String,
    pub flavor: Flavor,
    pub workers: usize,
    pub timer_class: TimerClass,
    /// I/O driver actually in use: `epoll`, `io_uring`, `blocking`.
    pub driver: String,
    /// Every knob that was set, as `name = value`.
    pub knobs: BTreeMap<String, String>,
    /// Free-form remarks (e.g. "discontinued upstream").
    pub notes: Vec<String>,
}

/// `bench/<slug>.json`: one benchmark id.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct BenchResult {
    pub schema_version: u32,
    /// criterion id, e.g. `echo/tokio-mt/64B-16c`.
    pub id: String,
    /// `echo`, `fan_out` or `timers`.
    pub workload: String,
    /// The case within the workload, e.g. `64B-16c`, `spawn-1000`, `sleep-50us`.
    pub case: String,
    /// Configuration name (`tokio-mt`) or reference name (`std-threads`, `os-sleep`).
    pub runtime: String,
    /// `1 core` or `N cores`: the server's CPUs, whatever the flavor (a column
    /// of its own), so that every row on the same CPUs shares a table.
    pub topology: String,
    pub placement: String,
    pub description: Description,
    /// The sweep parameters of this case, e.g. `msg_bytes = 64`, `connections = 16`.
    pub params: BTreeMap<String, f64>,
    /// What one criterion iteration is (`round trip`, `task`, `timer`), and how
    /// many of them one iteration counts for throughput.
    pub op: String,
    pub ops_per_iter: f64,
    /// `error` says what happened for all but [`Status::Ok`] (for
    /// [`Status::Skipped`], why the configuration cannot start here).
    pub status: Status,
    pub error: Option<String>,
    /// Time per iteration from the samples criterion measured in this run
    /// (see [`Estimate`]); `None` when it measured none (`--profile-time`).
    pub estimate: Option<Estimate>,
    /// Latency (or lateness, for timers) distribution in nanoseconds, of the
    /// measured samples only (no warm-up).
    pub latency: Option<Latency>,
    /// Ops of the measured samples (no warm-up), each checked; for `latency`,
    /// of every step.
    pub ops_checked: u64,
    /// Server CPU time (user + system, server threads only) per op of the
    /// measured samples, in ns.
    pub server_cpu_ns_per_op: Option<f64>,
    /// Further figures by name, e.g. `bytes_per_task`, `timer_slack_ns`.
    pub extra: BTreeMap<String, f64>,
    /// The open-loop sweep and capacity search (workloads `latency` and `work`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_loop: Option<OpenLoop>,
    /// The request costs of the `work` workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work: Option<WorkSetup>,
    /// The round (1-based) that measured this; files without it are round 1.
    #[serde(default = "first_round")]
    pub round: u32,
    /// CPUs the server had (`RTBENCH_SERVER_CORES` for echo and latency, 2
    /// for work, 1 elsewhere; 0 when not known, as for `rtbench load`'s
    /// external server); files without it ran on 1.
    #[serde(default = "one")]
    pub server_cores: u32,
    /// Threads of the load generator (0: the workload has none); files
    /// without it ran one.
    #[serde(default = "one")]
    pub generator_threads: u32,
    /// Run delay and involuntary switches of the server's and the
    /// generator's threads over the measured samples (closed loop) or all
    /// trials (open loop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interference: Option<Interference>,
}

fn one() -> u32 {
    1
}

/// How the `work` workload's requests cost what they cost.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct WorkSetup {
    /// `uniform`, `skewed`, `hot-connections` or `blocking`.
    pub mix: String,
    /// The request classes, cheapest first; shares sum to 1.
    pub classes: Vec<WorkClass>,
    /// The mean cost of a request in µs, blocking counted.
    pub mean_us: f64,
    /// Seed of the cost draws and of which connections are hot.
    pub seed: u64,
    /// `hot-connections`: the connections that carry the expensive requests.
    pub hot_connections: Vec<usize>,
    /// Digest rounds per µs, measured once per run (see `calibration`).
    pub rounds_per_us: f64,
    /// How `rounds_per_us` was measured, and when.
    pub calibration: String,
    /// CPUs of the load generator's threads.
    pub generator_cpus: Vec<usize>,
}

/// One kind of request in a `work` mix.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct WorkClass {
    pub name: String,
    /// Share of requests, 0..1.
    pub share: f64,
    /// Hash work, in µs at the calibration.
    pub work_us: f64,
    /// Digest rounds sent for that work.
    pub rounds: u32,
    /// Time the handler blocks its thread, in µs.
    pub block_us: f64,
}

fn first_round() -> u32 {
    1
}

/// A latency target: the `quantile` of corrected latency must be at most `max_ns`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct Slo {
    /// In 0..1, e.g. 0.99 for p99.
    pub quantile: f64,
    pub max_ns: u64,
}

/// A target as a reader writes it, `p99 ≤ 1 ms`: one wording for the report
/// and the console.
pub fn slo_label(slo: &Slo) -> String {
    let p = format!("{:.3}", slo.quantile * 100.0);
    let p = p.trim_end_matches('0').trim_end_matches('.');
    format!("p{p} ≤ {}", units::ns_tick(slo.max_ns as f64))
}

/// An open-loop latency sweep of one runtime and case (wrk2 / mutilate style):
/// steps at fixed offered rates, then a bisection for the capacity at the target.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct OpenLoop {
    pub slo: Slo,
    /// `even` (fixed spacing) or `poisson`.
    pub arrivals: String,
    /// Seed of the Poisson arrivals (`None` for even spacing).
    pub seed: Option<u64>,
    /// The case's reference capacity in round trips/s: the sweep's 100% step,
    /// the same absolute rate for every runtime of this run and case.
    pub reference_rate: f64,
    /// Where `reference_rate` came from, e.g. `closed-loop calibration, best of 11 (tokio-ct)`.
    pub reference_source: String,
    /// Recorded time of one step, in seconds (after its discarded warm-up).
    pub step_secs: f64,
    pub warmup_secs: f64,
    /// How the generator waits for its schedule, e.g. `timerfd + spin (50 us)`.
    pub generator_wait: String,
    /// Every step in the order run: the sweep first, then the search's probes.
    pub steps: Vec<Step>,
    pub capacity: Capacity,
    /// How the trials were interleaved (`None`: one step per rate, older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interleaving: Option<Interleaving>,
}

/// How an open-loop case interleaved its runtimes: every server started once,
/// then at each rate one trial of every runtime in a shuffled order, repeated.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct Interleaving {
    /// Trials every runtime gets at every rate.
    pub min_trials: u32,
    /// Trials a rate may grow to while its target interval is wider than `width`.
    pub max_trials: u32,
    /// Relative half-width of the target percentile's interval that ends the trials.
    pub width: f64,
    /// Seed of the trial orders: order k of rate r is reproducible from it.
    pub seed: u64,
    /// The runtimes interleaved with this one.
    pub runtimes: Vec<String>,
    /// This server's CPU time per second of the other servers' trials, while
    /// it sat idle: near 0, or it spins while idle.
    pub idle_cpu_share: Option<f64>,
}

/// The target percentile of one half of a step's trials (odd or even), for
/// the split-half reproducibility check.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct Half {
    pub target_ns: u64,
    pub meets: bool,
}

/// One offered rate, held for `duration_secs`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
#[schemars(deny_unknown_fields)]
pub struct Step {
    /// `sweep` (a fixed fraction of the reference) or `probe` (the search);
    /// older files also have `repeat` (a missed step run once more).
    pub kind: String,
    /// Offered rate as a fraction of `reference_rate`.
    pub fraction: f64,
    /// Round trips/s on the schedule.
    pub offered_rate: f64,
    /// Round trips completed / (last completion − window start).
    pub achieved_rate: f64,
    /// Round trips scheduled in the recorded window, completed and checked.
    pub round_trips: u64,
    /// Round trips scheduled in the window but never sent before the drain
    /// limit: the server fell that far behind. Percentiles are then lower bounds.
    pub unsent: u64,
    /// Recorded round trips whose connection was still busy with the previous
    /// one at their intended time: they went out late because of the server
    /// (their wait is in `latency`, not in `lag`).
    #[serde(default)]
    pub queued: u64,
    pub duration_secs: f64,
    /// Round trips left unsent, or achieved below offered × d / (d + slack),
    /// slack = max(10 ms, 1% of the step d): the window's round trips came
    /// back more than that late.
    pub behind: bool,
    /// Corrected latency within the target and not behind.
    pub meets_slo: bool,
    /// Completion − intended send time (corrected for coordinated omission).
    pub latency: Latency,
    /// Completion − actual send time (what a closed-loop client would see).
    pub service: Latency,
    /// Actual − intended send time of the sends whose connection was free:
    /// the generator's own lateness.
    pub lag: Latency,
    /// Server CPU (user + system) per round trip, in ns.
    pub server_cpu_ns_per_op: Option<f64>,
    /// The load generator's CPU (its threads, user + system) per round trip,
    /// in ns: small against the server's, or the generator is the bottleneck.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator_cpu_ns_per_op: Option<f64>,
    /// The trials pooled here (their figures above are the pooled ones), in
    /// the order run; invalid ones are kept but not pooled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trials: Vec<Trial>,
    /// The target percentile of pooled corrected latency, with its 95% interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<PercentileInterval>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// The odd and the even trials pooled apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halves: Option<[Half; 2]>,
    /// The three parts of a round trip, pooled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<Parts>,
    /// Summed over the pooled trials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interference: Option<Interference>,
    /// Trials run again because the generator caused their tail.
    #[serde(default)]
    pub reruns: u32,
}

/// The highest offered rate meeting the target, found by bisection.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct Capacity {
    /// Round trips/s; `None` when even the lowest rate tried missed the target.
    pub rate: Option<f64>,
    /// Highest rate that met the target (0 when none did).
    pub bracket_lo: f64,
    /// Lowest rate above it that missed (`None` when every rate tried met it).
    pub bracket_hi: Option<f64>,
    /// Steps run to find it, sweep included.
    pub probes: u32,
    /// 95% interval: the highest rate whose target interval lies within the
    /// target (0 when none), and the lowest whose lies above it or that fell
    /// behind (`None` when none did).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<(f64, Option<f64>)>,
    /// The capacity each half of the trials (odd, even) gives on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halves: Option<[Option<f64>; 2]>,
}

impl Description {
    /// All that is known of a configuration that has not described itself.
    pub fn named(name: &str) -> Description {
        Description {
            name: name.into(),
            flavor: Flavor::Unset,
            workers: 0,
            timer_class: TimerClass::Unset,
            driver: String::new(),
            knobs: BTreeMap::new(),
            notes: Vec::new(),
        }
    }
}

impl BenchResult {
    /// The result of `workload/runtime/case` in `round` before anything is
    /// known of it: status `ok`, no figures. Writers fill in what they have.
    pub fn blank(workload: &str, runtime: &str, case: &str, round: u32) -> BenchResult {
        BenchResult {
            schema_version: SCHEMA_VERSION,
            id: format!("{workload}/{runtime}/{case}"),
            workload: workload.into(),
            case: case.into(),
            runtime: runtime.into(),
            topology: String::new(),
            placement: String::new(),
            description: Description::named(runtime),
            params: BTreeMap::new(),
            op: String::new(),
            ops_per_iter: 0.0,
            status: Status::Ok,
            error: None,
            estimate: None,
            latency: None,
            ops_checked: 0,
            server_cpu_ns_per_op: None,
            extra: BTreeMap::new(),
            open_loop: None,
            work: None,
            round,
            server_cores: 1,
            generator_threads: 1,
            interference: None,
        }
    }
}

/// Time per iteration, in ns, computed as criterion does from the samples
/// its `iter_custom` routine measured (each sample's elapsed / iters): mean
/// with a 95% bootstrap interval, median, and the number of samples.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct Estimate {
    pub mean_ns: f64,
    pub mean_lower_ns: f64,
    pub mean_upper_ns: f64,
    pub median_ns: f64,
    pub samples: u64,
}

/// A latency distribution summarized from an HdrHistogram.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
#[schemars(deny_unknown_fields)]
pub struct Latency {
    /// `round-trip` or `lateness`.
    pub kind: String,
    pub count: u64,
    pub min_ns: u64,
    pub mean_ns: f64,
    pub stdev_ns: f64,
    pub p50_ns: u64,
    pub p90_ns: u64,
    pub p99_ns: u64,
    pub p999_ns: u64,
    pub max_ns: u64,
    /// The percentile spectrum, HdrHistogram style: (percentile in 0..=100, value in ns).
    pub spectrum: Vec<(f64, u64)>,
    /// The whole histogram, V2 + DEFLATE serialized, base64 (readable by any HdrHistogram).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hdr_base64: Option<String>,
}

/// `references.json`: each latency case's reference capacity, measured once
/// per run so that every process of the run offers the same absolute rates.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
#[schemars(deny_unknown_fields)]
pub struct References {
    pub schema_version: u32,
    /// By case label, e.g. `64B-16c` (`work`: `work/skewed/64B-32c`).
    pub cases: BTreeMap<String, Reference>,
    /// The `work` workload's digest rounds per µs, measured once per run so
    /// that every runtime gets the same requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_calibration: Option<WorkCalibration>,
}

/// Digest rounds per µs of the `work` workload.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct WorkCalibration {
    pub rounds_per_us: f64,
    /// e.g. `fastest of 10 batches of 2 ms on cpu 1, 48-byte payload`.
    pub method: String,
}

/// One case's reference capacity: the best closed-loop throughput of a short
/// calibration over every configuration that could run.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct Reference {
    /// Round trips/s.
    pub rate: f64,
    /// e.g. `closed-loop calibration, best of 11 (tokio-ct)`.
    pub source: String,
    /// Each configuration's calibration throughput, round trips/s.
    pub closed_loop: BTreeMap<String, f64>,
}

#[cfg(test)]
mod tests;
