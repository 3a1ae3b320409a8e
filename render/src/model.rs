//! The one in-memory model every reporter reads. It is also, serialized, the
//! body of `results.json`, so its field names are a versioned contract
//! (`REPORT_SCHEMA_VERSION`, `results.schema.json`).

use crate::load::LoadedRun;
use crate::overview::Overview;
use crate::rank::{Ranked, SplitHalf};
use rtbench_format::{
    BenchResult, Capacity, Description, Environment, Estimate, FileError, Flavor, Interference,
    Interleaving, MachineNoise, OpenLoop, PercentileInterval, RunMode, Shape, Slo, SlowCause,
    Status, Step, TimerClass, WorkSetup, stats,
};
use schemars::JsonSchema;
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Fixed qualitative palette; runtimes take colours in sorted name order, so
/// a runtime keeps its colour in every chart of a report.
pub const PALETTE: &[&str] = &[
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#0b1f65", "#e6ab02", "#00524a", "#7a0177", "#a6cee3", "#b15928",
];

/// Every figure of an rtbench report. Times are ns, throughput is operations
/// per second; intervals are criterion's 95% confidence intervals.
/// `latency_under_load` holds the open-loop latency workload and
/// `uneven_work` the open-loop `work` workload: rates are round trips per
/// second offered or achieved on a fixed schedule. When the run
/// repeated its matrix in rounds, every row shows its median round (`round`),
/// with how many rounds measured it (`rounds`) and their spread. Every row
/// carries the 95% interval its ranking uses (`ci`): rows whose intervals
/// overlap the best's are `tied_with_best`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields, title = "rtbench report results.json")]
pub struct Model {
    /// [`crate::REPORT_SCHEMA_VERSION`].
    #[schemars(extend("const" = crate::REPORT_SCHEMA_VERSION))]
    pub schema_version: u32,
    pub generator: String,
    pub run: RunInfo,
    /// `None` when meta.json was unreadable (it is then listed in `problems`).
    pub environment: Option<Environment>,
    /// The machine's interference as the run probed it (`meta.json`); `None`
    /// when it recorded none.
    pub noise: Option<MachineNoise>,
    pub crate_versions: BTreeMap<String, String>,
    /// `None` when neither had versions.
    pub crate_versions_source: Option<VersionsSource>,
    pub baseline: Option<RunInfo>,
    /// Every runtime seen, in palette order.
    pub runtimes: Vec<RuntimeInfo>,
    /// Closed-loop workloads; the open-loop `latency` and `work` are not
    /// among them (see `latency_under_load` and `uneven_work`).
    pub workloads: Vec<Workload>,
    /// The open-loop `latency` workload, one group per case, topology and
    /// placement; empty when the run did not measure it.
    pub latency_under_load: Vec<LoadGroup>,
    /// The open-loop `work` workload (requests of uneven cost), one group per
    /// mix, topology and placement, mixes in [`WORK_MIXES`] order; empty when
    /// the run did not measure it.
    pub uneven_work: Vec<LoadGroup>,
    /// Every result (one round of one id) that failed, hung or crashed, in
    /// page order; a row whose other rounds measured still shows their figures.
    pub failures: Vec<Failure>,
    /// Results the run asked for (meta.json `selected`) and has no bench
    /// file of; in a run that recorded no selection, runtimes without a bench
    /// file for a case that others have.
    pub missing: Vec<Missing>,
    /// Unreadable files that were left out.
    pub problems: Vec<Problem>,
    /// Warnings about the comparison itself (e.g. baseline on another machine).
    pub notes: Vec<String>,
    /// Every runtime across every case at a glance, and what went wrong.
    pub overview: Overview,
}

rtbench_format::names! {
    /// Where a report's crate versions came from.
    pub enum VersionsSource {
        /// Recorded by the run.
        MetaJson = "meta.json",
        /// Read from the workspace's Cargo.lock (the run recorded none).
        CargoLock = "Cargo.lock",
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RunInfo {
    pub path: String,
    pub run_id: Option<String>,
    pub started_at: Option<String>,
    pub mode: Option<RunMode>,
    pub placement: Option<String>,
    pub git_commit: Option<String>,
    /// How many times the run repeated its matrix (1 for a single round).
    #[schemars(range(min = 1))]
    pub rounds: u32,
    /// Seed of the per-round runtime shuffle, when the run recorded one.
    pub seed: Option<u64>,
    /// The runtime order of each round, as run.
    pub orders: Vec<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RuntimeInfo {
    pub name: String,
    /// Its colour in every chart, `#rrggbb`.
    #[schemars(regex(pattern = r"^#[0-9a-f]{6}$"))]
    pub colour: String,
    pub status: RuntimeStatus,
    pub reason: Option<String>,
    pub description: Option<Description>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Workload {
    pub name: String,
    pub tables: Vec<Table>,
}

/// One case in one topology and placement: rows here are comparable.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Table {
    /// Unique slug, also the stem of this table's chart files.
    pub id: String,
    pub workload: String,
    #[serde(flatten)]
    pub scope: Scope,
    /// `round-trip` or `lateness`, if any row recorded latency.
    pub latency_kind: Option<String>,
    /// The reference (no-runtime) row the `ratio_to_reference` column divides by.
    pub reference: Option<String>,
    pub best: Option<String>,
    pub rows: Vec<Row>,
    pub charts: Vec<ChartRef>,
    /// Rows whose 95% interval is wider than ±5% ([`WIDE`]).
    pub wide_rows: u32,
    /// Whether the orderings this table calls significant reproduce in
    /// its two halves.
    pub split_half: SplitHalf,
}

rtbench_format::names! {
    /// Whether a runtime could run here, as the report lists it.
    pub enum RuntimeStatus {
        /// meta.json lists it and it could start.
        Available = "available",
        /// meta.json lists it and it could not start (see `reason`).
        Skipped = "skipped",
        /// A no-runtime reference or check row, not a runtime configuration.
        NoRuntime = "no runtime",
        /// In bench files but not in meta.json.
        Unlisted = "unlisted",
    }
}

/// What makes rows comparable: one case in one topology and placement.
/// Shared by closed-loop tables and open-loop groups (flattened in JSON).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Scope {
    pub case: String,
    pub title: String,
    pub topology: String,
    pub placement: String,
    /// What one operation is (`round trip`, `task`, `timer`).
    pub op: String,
    pub params: BTreeMap<String, f64>,
}

/// A chart of a closed-loop table (`K` = [`ChartKind`]) or of an open-loop
/// group (`K` = [`LoadChartKind`]).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields, rename = "ChartRef_{K}")]
pub struct ChartRef<K = ChartKind> {
    pub kind: K,
    pub file: String,
    pub title: String,
}

rtbench_format::names! {
    /// The charts of a closed-loop table.
    pub enum ChartKind {
        Throughput = "throughput",
        /// The latency (or lateness) percentile spectrum.
        Spectrum = "spectrum",
        TimePerOp = "time_per_op",
        BytesPerTask = "bytes_per_task",
    }
}

rtbench_format::names! {
    /// The charts of an open-loop (latency under load) group.
    pub enum LoadChartKind {
        LatencyP99 = "latency_p99",
        LatencyP50 = "latency_p50",
        Capacity = "capacity",
    }
}

/// A value with criterion's 95% confidence interval.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct Interval {
    pub value: f64,
    pub lower: f64,
    pub upper: f64,
}

/// Above this relative half-width a row's 95% interval counts as wide:
/// differences smaller than it are noise (fairness rule 8).
pub const WIDE: f64 = 0.05;

/// How sure a row's figure is. Its figures are one round's, the median one,
/// rather than an average, so that every figure of a row comes from one
/// measurement; its interval comes from where the noise lives.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct RoundStats {
    /// The round whose figures the row shows: the median of the rounds that
    /// measured (the lower one of an even count), else the last round run.
    pub round: u32,
    /// Rounds that measured this row; failed, hung and crashed ones do not.
    pub rounds: u32,
    /// (max − min) / median of the row's figure over those rounds: throughput,
    /// or capacity for latency under load. `None` for fewer than two rounds
    /// or a median of 0 (no capacity at the target).
    pub spread: Option<f64>,
    /// The 95% interval of the row's ranking figure (throughput, or capacity).
    pub ci: Option<Ci>,
    /// Half the interval's width over its centre (the rounds' mean, else the
    /// figure): 0.04 is ±4%. `None` without an interval or with an unbounded one.
    pub half_width: Option<f64>,
    /// The figure from each half of the data, for the split-half check: the
    /// mean of odd and of even rounds, or for open-loop capacity that of odd
    /// and even trials (a half that met the target nowhere counts 0). `None`
    /// when a half is empty.
    pub halves: Option<[f64; 2]>,
}

/// A 95% confidence interval of a row's figure.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct Ci {
    pub lower: f64,
    /// `None`: unbounded (every rate tried met the target).
    pub upper: Option<f64>,
    pub source: IntervalSource,
}

impl Ci {
    /// `(lower, upper)` with an unbounded upper as infinity.
    pub fn bounds(&self) -> (f64, f64) {
        (self.lower, self.upper.unwrap_or(f64::INFINITY))
    }
}

rtbench_format::names! {
    /// Where a row's interval comes from.
    pub enum IntervalSource {
        /// Student's t over the rounds' figures (two rounds or more): the
        /// between-round variance, where the noise lives.
        Rounds = "rounds",
        /// criterion's bootstrap interval within the one round measured: the
        /// noise within one process only, so narrower than the truth.
        Criterion = "criterion",
        /// The capacity's interval from the pooled trials' order-statistic
        /// intervals of the target percentile.
        Trials = "trials",
    }
}

/// One runtime in a closed-loop table: its median round's figures.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Row {
    pub id: String,
    pub runtime: String,
    pub colour: String,
    /// Of the round shown.
    pub status: Status,
    pub error: Option<String>,
    #[serde(flatten)]
    pub round_stats: RoundStats,
    pub flavor: Flavor,
    pub is_reference: bool,
    pub workers: usize,
    pub timer_class: TimerClass,
    pub driver: String,
    pub ops_per_iter: f64,
    pub ops_checked: u64,
    pub estimate: Option<Estimate>,
    /// Operations per second from criterion's mean of the median round, with
    /// criterion's 95% interval of that round; the report shows `ci`.
    pub throughput: Option<Interval>,
    /// Nanoseconds per operation (mean / ops_per_iter).
    pub time_per_op_ns: Option<Interval>,
    pub ratio_to_best: Option<f64>,
    pub ratio_to_reference: Option<f64>,
    pub latency: Option<LatencyFigures>,
    pub server_cpu_ns_per_op: Option<f64>,
    pub bytes_per_task: Option<f64>,
    pub timer_slack_ns: Option<f64>,
    pub extra: BTreeMap<String, f64>,
    pub knobs: BTreeMap<String, String>,
    pub change: Option<Change>,
    /// Run delay and involuntary switches over the measured samples.
    pub interference: Option<Interference>,
    /// Its 95% interval overlaps the best row's (the best itself: false).
    pub tied_with_best: bool,
    /// 1 = the best and the rows tied with it, 2 = the best of the rest
    /// and the rows tied with that one, …; `None` without a figure.
    pub rank_group: Option<u32>,
}

/// A row's latency: the raw results' summary, without the histogram blob
/// (`hdr_base64` is `None`, so results.json leaves it out).
pub type LatencyFigures = rtbench_format::Latency;
/// Throughput change against the baseline row with the same id.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Change {
    pub baseline_throughput: Interval,
    pub percent: f64,
    pub verdict: Verdict,
}

rtbench_format::names! {
    /// A throughput change against the baseline.
    pub enum Verdict {
        /// Faster, and the two 95% intervals do not overlap.
        Faster = "faster",
        /// Slower, and the two 95% intervals do not overlap.
        Slower = "slower",
        /// The intervals overlap: noise until shown otherwise.
        Unchanged = "unchanged",
    }
}

/// The workload whose results are open-loop sweeps, reported apart from the
/// closed-loop tables because its figures are per offered rate, not one number.
pub const LOAD_WORKLOAD: &str = rtbench_format::Workload::Latency.as_str();

/// The open-loop workload of requests of uneven cost; its results have the
/// shape of `latency`'s, and their own section.
pub const WORK_WORKLOAD: &str = rtbench_format::Workload::Work.as_str();

/// The `work` mixes in report order: even costs first, then ever less even.
pub const WORK_MIXES: &[&str] = &["uniform", "skewed", "hot-connections", "blocking"];

/// Whether a workload's results are open-loop sweeps (a [`LoadGroup`] each).
pub fn is_open_loop(workload: &str) -> bool {
    workload
        .parse::<rtbench_format::Workload>()
        .is_ok_and(|w| w.shape() == Shape::OpenLoop)
}

/// The mix of a `work` case, `{mix}-64B-32c`.
pub fn work_mix(case: &str) -> &str {
    case.rsplitn(3, '-').last().unwrap_or(case)
}

/// Open-loop latency of one case in one topology and placement: rows here
/// ran the same absolute offered rates, so they are comparable. Used by both
/// open-loop workloads (`latency`, `work`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LoadGroup {
    /// Unique slug, also the stem of this group's chart files.
    pub id: String,
    /// `latency` or `work`.
    pub workload: String,
    #[serde(flatten)]
    pub scope: Scope,
    /// How the sweep ran, from the first row that measured; `None` when every row failed.
    pub setup: Option<LoadSetup>,
    /// Capacity first, best first; rows without capacity, then failed rows,
    /// last. `work` groups them by flavor first (see [`FLAVOR_ORDER`]).
    pub rows: Vec<LoadRow>,
    pub charts: Vec<ChartRef<LoadChartKind>>,
    /// What the table says, in one sentence made from its figures: for
    /// `work`, the best work-stealing capacity against the best
    /// thread-per-core one ([`crate::reading`]). `None` for `latency`.
    pub reading: Option<String>,
    /// Rows whose capacity interval is wider than ±5% ([`WIDE`]).
    pub wide_rows: u32,
    pub split_half: SplitHalf,
}

/// The order of flavor groups in a `work` table: the two runtime designs
/// being compared, then the no-runtime floor.
pub const FLAVOR_ORDER: &[Flavor] = &[
    Flavor::WorkStealing,
    Flavor::ThreadPerCore,
    Flavor::Reference,
];

/// A flavor's place in [`FLAVOR_ORDER`] (others after it).
pub fn flavor_rank(f: Flavor) -> usize {
    FLAVOR_ORDER
        .iter()
        .position(|x| *x == f)
        .unwrap_or(FLAVOR_ORDER.len())
}

/// The sweep's settings, shared by every row of a group.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LoadSetup {
    pub slo: Slo,
    /// The target as a reader writes it: `p99 ≤ 1 ms`.
    pub slo_label: String,
    /// Round trips/s of the 100% step, the same for every runtime.
    pub reference_rate: f64,
    pub reference_source: String,
    pub arrivals: String,
    pub seed: Option<u64>,
    pub step_secs: f64,
    pub warmup_secs: f64,
    pub generator_wait: String,
    /// CPUs the server had (0: not known).
    pub server_cores: u32,
    /// Threads of the load generator.
    pub generator_threads: u32,
    /// What the requests cost (`work` only).
    pub work: Option<WorkSetup>,
    /// How the runtimes' trials were interleaved (`None`: older files).
    pub interleaving: Option<Interleaving>,
}

/// One runtime in an open-loop group: its median round's sweep and capacity.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LoadRow {
    pub id: String,
    pub runtime: String,
    pub colour: String,
    pub flavor: Flavor,
    pub is_reference: bool,
    /// Of the round shown.
    pub status: Status,
    pub error: Option<String>,
    #[serde(flatten)]
    pub round_stats: RoundStats,
    /// `None` for failed rows; `rate` is `None` when even the lowest step missed.
    pub capacity: Option<Capacity>,
    /// The 50%, 80% and 90% sweep steps, corrected beside service time, so
    /// the queueing a closed-loop client would not see stands out.
    pub at_50: Option<LoadPoint>,
    pub at_80: Option<LoadPoint>,
    pub at_90: Option<LoadPoint>,
    /// Generator lag p99 at the highest offered step that measured it, and
    /// the worst over all steps: a large lag means the generator, not the
    /// server, ran late.
    pub lag_p99_at_highest_ns: Option<u64>,
    pub max_lag_p99_ns: Option<u64>,
    pub any_behind: bool,
    /// Every step, sweep and probes, by offered rate.
    pub steps: Vec<LoadStep>,
    /// Its capacity interval overlaps the best row's (the best itself: false).
    pub tied_with_best: bool,
    /// As [`Row::rank_group`], by capacity.
    pub rank_group: Option<u32>,
    /// Trials of every step whose slow tail was classified, by cause;
    /// `None` when no step recorded trials.
    pub slow_trials: Option<SlowTrials>,
    /// Its server's CPU share while the other servers' trials ran: near 0,
    /// or it spins while idle (and taxes whoever runs beside it).
    pub idle_cpu_share: Option<f64>,
}

/// The percentiles the latency tables show.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct Percentiles {
    pub p50_ns: u64,
    pub p99_ns: u64,
    pub p999_ns: u64,
}

impl From<&rtbench_format::Latency> for Percentiles {
    fn from(l: &rtbench_format::Latency) -> Self {
        Percentiles {
            p50_ns: l.p50_ns,
            p99_ns: l.p99_ns,
            p999_ns: l.p999_ns,
        }
    }
}

/// The raw results' step verdict as the schema names it: `StepVerdict`,
/// apart from the baseline's [`Verdict`] (schemars would call it `Verdict2`).
struct StepVerdict;

impl JsonSchema for StepVerdict {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StepVerdict".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        rtbench_format::Verdict::json_schema(generator)
    }
}

/// One sweep step picked for the table.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LoadPoint {
    pub fraction: f64,
    pub offered_rate: f64,
    pub behind: bool,
    /// These are the figures of the step's repeat, which decided it: its first
    /// attempt kept up but missed the target.
    pub repeated: bool,
    /// From the intended send time (corrected for coordinated omission).
    pub corrected: Percentiles,
    /// From the actual send time.
    pub service: Percentiles,
    /// Server CPU per round trip at this step, in ns.
    pub server_cpu_ns_per_op: Option<f64>,
    /// The load generator's CPU per round trip at this step, in ns: small
    /// against the server's, or the generator set the figures.
    pub generator_cpu_ns_per_op: Option<f64>,
    /// The target percentile of the pooled trials with its 95% interval.
    pub target: Option<PercentileInterval>,
    #[schemars(with = "Option<StepVerdict>")]
    pub verdict: Option<rtbench_format::Verdict>,
    /// Trials pooled (0: a step of an older file, one run).
    pub trials: u32,
    /// Run delay of the server's and generator's threads at this step.
    pub run_delay: Option<RunDelay>,
}

/// Time a side's threads were runnable but kept off their CPU, per second
/// of the step's pooled trials, in ns: the machine's share of the tail.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct RunDelay {
    pub server_ns_per_s: Option<f64>,
    pub generator_ns_per_s: Option<f64>,
}

/// Trials by the cause of their slow tail (corrected p99 far above service).
#[derive(Debug, Clone, Copy, Default, Serialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct SlowTrials {
    pub server: u32,
    /// The generator's fault: left out and run again.
    pub generator: u32,
    /// Kept off the CPU by other tasks.
    pub machine: u32,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LoadStep {
    /// `sweep`, `probe` (the search), or `repeat` (a latency miss run again).
    pub kind: String,
    pub fraction: f64,
    pub offered_rate: f64,
    pub achieved_rate: f64,
    pub corrected: Percentiles,
    pub service_p99_ns: u64,
    /// `None` when no send of the step found its connection free: all of
    /// them waited for the server, so the generator's own lateness is unseen.
    pub lag_p99_ns: Option<u64>,
    /// Sends that waited for their connection's previous round trip.
    pub queued: u64,
    pub behind: bool,
    pub meets_slo: bool,
    pub target: Option<PercentileInterval>,
    #[schemars(with = "Option<StepVerdict>")]
    pub verdict: Option<rtbench_format::Verdict>,
    /// Trials pooled (0: older files), and trials run again.
    pub trials: u32,
    pub reruns: u32,
}

#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct Missing {
    pub runtime: String,
    pub workload: String,
    pub case: String,
    /// The rounds it has no result of, when others have one (empty: none
    /// has a result).
    pub rounds: Vec<u32>,
}

/// One round of one benchmark id that did not measure.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Failure {
    pub id: String,
    pub runtime: String,
    pub workload: String,
    pub case: String,
    pub round: u32,
    /// Failed, hung or crashed.
    pub status: Status,
    pub error: String,
    /// Id of the table (or latency group) holding the id's row; its anchor
    /// in index.html is `t-<table>`.
    pub table: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Problem {
    pub file: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

impl From<&FileError> for Problem {
    fn from(e: &FileError) -> Self {
        Problem {
            file: e.path.display().to_string(),
            message: e.message.replace(['\n', '\r'], " "),
        }
    }
}

impl Model {
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.workloads.iter().flat_map(|w| &w.tables)
    }

    pub fn charts(&self) -> impl Iterator<Item = (&Table, &ChartRef)> {
        self.tables()
            .flat_map(|t| t.charts.iter().map(move |c| (t, c)))
    }

    /// The charts of every open-loop group, latency then uneven work.
    pub fn load_charts(&self) -> impl Iterator<Item = (&LoadGroup, &ChartRef<LoadChartKind>)> {
        self.latency_under_load
            .iter()
            .chain(&self.uneven_work)
            .flat_map(|g| g.charts.iter().map(move |c| (g, c)))
    }

    pub fn colour(&self, runtime: &str) -> &str {
        self.runtimes
            .iter()
            .find(|r| r.name == runtime)
            .map_or(PALETTE[0], |r| &r.colour)
    }

    /// The results sections in page order: latency under load right after
    /// echo (the same server, measured open loop), then uneven work (echo's
    /// server again, with costly requests), each only when the run measured it.
    pub fn sections(&self) -> Vec<Section<'_>> {
        let mut out: Vec<Section> = self.workloads.iter().map(Section::Workload).collect();
        let mut at = self
            .workloads
            .iter()
            .take_while(|w| w.name == "echo")
            .count();
        if !self.latency_under_load.is_empty() {
            out.insert(at, Section::LatencyUnderLoad(&self.latency_under_load));
            at += 1;
        }
        if !self.uneven_work.is_empty() {
            out.insert(at, Section::UnevenWork(&self.uneven_work));
        }
        out
    }
}

/// A report section, in page order.
pub enum Section<'a> {
    Workload(&'a Workload),
    LatencyUnderLoad(&'a [LoadGroup]),
    UnevenWork(&'a [LoadGroup]),
}

fn run_info(run: &LoadedRun) -> RunInfo {
    let m = run.meta.as_ref();
    let last_round = run.benches.iter().map(|b| b.round).max().unwrap_or(1);
    RunInfo {
        path: run.dir.display().to_string(),
        run_id: m.map(|m| m.run_id.clone()),
        started_at: m.map(|m| m.started_at.clone()),
        mode: m.map(|m| m.mode),
        placement: m.map(|m| m.placement.clone()),
        git_commit: m.and_then(|m| m.git_commit.clone()),
        rounds: m.map_or(0, |m| m.rounds).max(last_round).max(1),
        seed: m.and_then(|m| m.seed),
        orders: m.map(|m| m.orders.clone()).unwrap_or_default(),
    }
}

/// Builds the model from a loaded run, an optional baseline, and an optional
/// Cargo.lock (read only when meta.json records no crate versions).
pub fn build(
    run: &LoadedRun,
    baseline: Option<&LoadedRun>,
    cargo_lock: Option<&crate::CargoLock>,
) -> Model {
    let mut problems: Vec<Problem> = run.problems.iter().map(Problem::from).collect();
    if let Some(b) = baseline {
        problems.extend(b.problems.iter().map(|e| Problem {
            message: format!("(baseline) {}", e.message),
            ..Problem::from(e)
        }));
    }
    let meta = run.meta.as_ref();

    // Crate versions: meta.json first, Cargo.lock as a fallback.
    let mut crate_versions = meta.map(|m| m.crate_versions.clone()).unwrap_or_default();
    let mut crate_versions_source =
        (!crate_versions.is_empty()).then_some(VersionsSource::MetaJson);
    if let Some(lock) = cargo_lock.filter(|_| crate_versions.is_empty()) {
        match rtbench_format::crate_versions(&lock.path, &lock.crates) {
            Ok(v) if !v.is_empty() => {
                crate_versions = v;
                crate_versions_source = Some(VersionsSource::CargoLock);
            }
            Ok(_) => {}
            Err(e) => problems.push(Problem::from(&e)),
        }
    }

    // Runtimes, in the stable (sorted) order that fixes their colours.
    let mut names: BTreeSet<&str> = run.benches.iter().map(|b| b.runtime.as_str()).collect();
    names.extend(
        meta.iter()
            .flat_map(|m| m.runtimes.iter().map(|r| r.name.as_str())),
    );
    let runtimes: Vec<RuntimeInfo> = names
        .iter()
        .enumerate()
        .map(|(i, &name)| {
            let entry = meta.and_then(|m| m.runtimes.iter().find(|r| r.name == name));
            let description = entry.and_then(|e| e.description.clone()).or_else(|| {
                run.benches
                    .iter()
                    .find(|b| b.runtime == name)
                    .map(|b| b.description.clone())
            });
            let (status, reason) = match entry {
                Some(e) if e.unavailable.is_some() => {
                    (RuntimeStatus::Skipped, e.unavailable.clone())
                }
                Some(_) => (RuntimeStatus::Available, None),
                // Not a runtime configuration: a no-runtime reference or check.
                None if description
                    .as_ref()
                    .is_some_and(|d| matches!(d.flavor, Flavor::Reference | Flavor::Check)) =>
                {
                    (RuntimeStatus::NoRuntime, None)
                }
                None => (RuntimeStatus::Unlisted, None),
            };
            RuntimeInfo {
                name: name.to_string(),
                colour: PALETTE[i % PALETTE.len()].to_string(),
                status,
                reason,
                description,
            }
        })
        .collect();
    let colour = |name: &str| {
        runtimes
            .iter()
            .find(|r| r.name == name)
            .map_or(PALETTE[0].to_string(), |r| r.colour.clone())
    };

    let base_benches: Vec<&BenchResult> = baseline.iter().flat_map(|b| &b.benches).collect();
    let base_rows: BTreeMap<&str, Interval> = merge_rounds(&base_benches)
        .into_iter()
        .filter_map(|m| Some((m.bench.id.as_str(), throughput(m.bench)?)))
        .collect();

    // Group results, every round, by (workload, case, topology, placement).
    let mut groups: BTreeMap<GroupKey, Vec<&BenchResult>> = BTreeMap::new();
    for (b, key) in run.benches.iter().zip(group_keys(&run.benches)) {
        groups.entry(key).or_default().push(b);
    }
    let mut keys: Vec<_> = groups.keys().cloned().collect();
    keys.sort_by(|a, b| {
        workload_rank(&a.0)
            .cmp(&workload_rank(&b.0))
            .then_with(|| a.0.cmp(&b.0))
            .then_with(|| case_rank(&a.0, &a.1).cmp(&case_rank(&b.0, &b.1)))
            .then_with(|| natural_cmp(&a.1, &b.1))
            .then_with(|| a.2.cmp(&b.2))
            .then_with(|| a.3.cmp(&b.3))
    });

    let mut workloads: Vec<Workload> = Vec::new();
    let mut latency_under_load = Vec::new();
    let mut uneven_work = Vec::new();
    let mut failures = Vec::new();
    let mut notes = non_positive_estimates(&run.benches);
    let mut used_ids = BTreeSet::new();
    for key in keys {
        let all_rounds = &groups[&key];
        let (workload, case, topology, placement) = key;
        let mut id = slug(&format!("{workload}-{case}-{topology}-{placement}"));
        while !used_ids.insert(id.clone()) {
            id.push('x');
        }
        failures.extend(failures_of(all_rounds, &id));
        let merged = merge_rounds(all_rounds);
        let benches: Vec<&BenchResult> = merged.iter().map(|m| m.bench).collect();
        // A hung or crashed record has no sweep parameters: describe the
        // case from a result that ran.
        let first = benches
            .iter()
            .find(|b| !b.op.is_empty())
            .unwrap_or(&benches[0]);
        let scope = Scope {
            title: case_title(&workload, &case, &first.params),
            op: first.op.clone(),
            params: first.params.clone(),
            case,
            topology,
            placement,
        };
        if is_open_loop(&workload) {
            let group = load_group(&workload, id, scope, &merged, &colour);
            notes.extend(group_note(&group, &benches));
            match workload.as_str() {
                WORK_WORKLOAD => uneven_work.push(group),
                _ => latency_under_load.push(group),
            }
            continue;
        }
        let mut rows: Vec<Row> = merged
            .iter()
            .map(|m| {
                let b = m.bench;
                row(m, colour(&b.runtime), base_rows.get(b.id.as_str()))
            })
            .collect();
        let best = rows
            .iter()
            .filter_map(|r| Some((r.throughput?.value, r.runtime.clone())))
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let reference = rows
            .iter()
            .filter(|r| r.is_reference)
            .filter_map(|r| Some((r.throughput?.value, r.runtime.clone())))
            .max_by(|a, b| a.0.total_cmp(&b.0));
        for r in &mut rows {
            if let Some(t) = r.throughput {
                r.ratio_to_best = best.as_ref().map(|b| t.value / b.0);
                r.ratio_to_reference = reference.as_ref().map(|b| t.value / b.0);
            }
        }
        // Fastest first; rows without figures (failed) last.
        rows.sort_by(|a, b| match (a.throughput, b.throughput) {
            (Some(x), Some(y)) => y.value.total_cmp(&x.value),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => a.runtime.cmp(&b.runtime),
        });
        let ranked: Vec<Option<Ranked>> = rows
            .iter()
            .map(|r| ranked(r.throughput.map(|t| t.value), &r.round_stats))
            .collect();
        for (r, p) in rows.iter_mut().zip(crate::rank::places(&ranked)) {
            (r.tied_with_best, r.rank_group) = (p.tied_with_best, p.group);
        }
        let latency_kind = rows
            .iter()
            .find_map(|r| r.latency.as_ref().map(|l| l.kind.clone()));
        let charts = chart_refs(&id, &scope.title, &workload, &scope.op, &rows);
        let table = Table {
            id,
            scope,
            latency_kind,
            reference: reference.map(|r| r.1),
            best: best.map(|b| b.1),
            wide_rows: wide(rows.iter().map(|r| &r.round_stats)),
            split_half: crate::rank::split_half(&ranked),
            rows,
            charts,
            workload: workload.clone(),
        };
        match workloads.last_mut() {
            Some(w) if w.name == workload => w.tables.push(table),
            _ => workloads.push(Workload {
                name: workload,
                tables: vec![table],
            }),
        }
    }

    if let (Some(m), Some(b)) = (meta, baseline.and_then(|b| b.meta.as_ref())) {
        for (what, now, then) in [
            (
                "CPU model",
                m.env.cpu_model.as_str(),
                b.env.cpu_model.as_str(),
            ),
            ("placement", &m.placement, &b.placement),
            ("mode", m.mode.as_str(), b.mode.as_str()),
        ] {
            if now != then {
                notes.push(format!(
                    "The baseline ran with a different {what} ({then}, now {now}): changes may not be the code's."
                ));
            }
        }
    }

    let mut model = Model {
        schema_version: crate::REPORT_SCHEMA_VERSION,
        generator: format!("rtbench-render {}", env!("CARGO_PKG_VERSION")),
        run: run_info(run),
        environment: meta.map(|m| m.env.clone()),
        noise: meta.and_then(|m| m.noise.clone()),
        crate_versions,
        crate_versions_source,
        baseline: baseline.map(run_info),
        missing: missing(run, &runtimes),
        runtimes,
        workloads,
        latency_under_load,
        uneven_work,
        failures,
        problems,
        notes,
        overview: Overview::default(),
    };
    model.overview = crate::overview::build(&model);
    model
}

/// (workload, case, topology, placement): what makes rows comparable.
type GroupKey = (String, String, String, String);

/// Each result's group. The runner writes a hung or crashed result without
/// the topology and placement the bench would have described, so such a
/// result takes them from another round of its id, else from a result of
/// its case and flavor, else of its case: its row then sits in its table
/// instead of a table of its own.
fn group_keys(benches: &[BenchResult]) -> Vec<GroupKey> {
    let described = |f: &dyn Fn(&BenchResult) -> bool| {
        benches
            .iter()
            .find(|o| !o.topology.is_empty() && f(o))
            .map(|o| (o.topology.clone(), o.placement.clone()))
    };
    benches
        .iter()
        .map(|b| {
            let (topology, placement) = if b.topology.is_empty() {
                let same_case = |o: &BenchResult| o.workload == b.workload && o.case == b.case;
                described(&|o| o.id == b.id)
                    .or_else(|| {
                        described(&|o| same_case(o) && o.description.flavor == b.description.flavor)
                    })
                    .or_else(|| described(&same_case))
                    .unwrap_or_else(|| (b.topology.clone(), b.placement.clone()))
            } else {
                (b.topology.clone(), b.placement.clone())
            };
            (b.workload.clone(), b.case.clone(), topology, placement)
        })
        .collect()
}

/// The results of a group that failed, hung or crashed, by runtime and
/// round (a `skipped` one never ran: its reason is in its row).
fn failures_of(benches: &[&BenchResult], table: &str) -> Vec<Failure> {
    let mut out: Vec<Failure> = benches
        .iter()
        .filter(|b| !matches!(b.status, Status::Ok | Status::Skipped))
        .map(|b| Failure {
            id: b.id.clone(),
            runtime: b.runtime.clone(),
            workload: b.workload.clone(),
            case: b.case.clone(),
            round: b.round,
            status: b.status,
            error: row_error(b).unwrap_or_default(),
            table: table.to_string(),
        })
        .collect();
    out.sort_by(|a, b| (&a.runtime, a.round).cmp(&(&b.runtime, b.round)));
    out
}

/// One benchmark id over its rounds: the result that stands for it.
struct Merged<'a> {
    bench: &'a BenchResult,
    stats: RoundStats,
}

/// The figure rounds are compared by: throughput, or for the open-loop
/// workloads the capacity (0 when even the lowest rate missed the target).
/// `None` for a round that did not measure.
fn round_figure(b: &BenchResult) -> Option<f64> {
    if is_open_loop(&b.workload) {
        measured(b).map(|o| o.capacity.rate.unwrap_or(0.0))
    } else {
        throughput(b).map(|t| t.value)
    }
}

/// Merges the rounds of each id (in first-seen order) into its median round
/// (fairness rule 8); without one that measured, its last ok round, else its
/// last round, which then shows its status.
fn merge_rounds<'a>(benches: &[&'a BenchResult]) -> Vec<Merged<'a>> {
    let mut ids: Vec<&str> = Vec::new();
    let mut by_id: BTreeMap<&str, Vec<&'a BenchResult>> = BTreeMap::new();
    for &b in benches {
        let rounds = by_id.entry(b.id.as_str()).or_default();
        if rounds.is_empty() {
            ids.push(b.id.as_str());
        }
        rounds.push(b);
    }
    ids.iter()
        .map(|id| {
            let mut all = by_id.remove(id).unwrap_or_default();
            all.sort_by_key(|b| b.round);
            let mut figures: Vec<(f64, &BenchResult)> = all
                .iter()
                .filter_map(|b| Some((round_figure(b)?, *b)))
                .collect();
            figures.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.round.cmp(&y.1.round)));
            let Some(&(median, bench)) = figures.get(figures.len().saturating_sub(1) / 2) else {
                let bench = all.iter().rev().find(|b| b.status == Status::Ok);
                let bench = bench.or(all.last()).expect("an id has a result");
                let stats = RoundStats {
                    round: bench.round,
                    rounds: 0,
                    spread: None,
                    ci: None,
                    half_width: None,
                    halves: None,
                };
                return Merged { bench, stats };
            };
            let (min, max) = (figures[0].0, figures[figures.len() - 1].0);
            let several = figures.len() > 1;
            let spread = (several && median > 0.0).then(|| (max - min) / median);
            let values: Vec<f64> = figures.iter().map(|f| f.0).collect();
            let (ci, centre) = interval(bench, &values);
            let half_width = ci.and_then(|c| {
                let upper = c.upper?;
                (centre > 0.0).then(|| (upper - c.lower) / 2.0 / centre)
            });
            let stats = RoundStats {
                round: bench.round,
                rounds: figures.len() as u32,
                spread,
                ci,
                half_width,
                halves: halves(bench, &figures),
            };
            Merged { bench, stats }
        })
        .collect()
}

/// A row's 95% interval and the centre its half-width divides by: the
/// capacity's own interval from pooled trials; else Student's t over two
/// rounds or more (the noise lives between rounds); else criterion's
/// interval of the one round.
fn interval(b: &BenchResult, values: &[f64]) -> (Option<Ci>, f64) {
    let figure = round_figure(b).unwrap_or(0.0);
    if let Some((lower, upper)) = measured(b).and_then(|o| o.capacity.interval) {
        let source = IntervalSource::Trials;
        return (
            Some(Ci {
                lower,
                upper,
                source,
            }),
            figure,
        );
    }
    if let Some((mean, lower, upper)) = stats::mean_interval(values) {
        let ci = Ci {
            lower: lower.max(0.0),
            upper: Some(upper),
            source: IntervalSource::Rounds,
        };
        return (Some(ci), mean);
    }
    let ci = throughput(b)
        .filter(|_| !is_open_loop(&b.workload))
        .map(|t| Ci {
            lower: t.lower,
            upper: Some(t.upper),
            source: IntervalSource::Criterion,
        });
    (ci, figure)
}

/// The figure from each half: open-loop capacity from odd and even trials
/// when recorded (none met counts 0), else the mean of odd and even rounds.
fn halves(b: &BenchResult, figures: &[(f64, &BenchResult)]) -> Option<[f64; 2]> {
    if let Some(o) = measured(b)
        && let Some([odd, even]) = o.capacity.halves
    {
        if !o.steps.iter().all(|s| s.halves.is_some()) {
            return Some([odd.unwrap_or(0.0), even.unwrap_or(0.0)]);
        }
        // Derived again from the steps' halves, by the one rule of
        // `stats::half_capacity`, rather than read from the file: runs
        // recorded before the rule changed render by it too.
        let half = |h: usize| {
            let steps: Vec<(f64, bool, bool)> = o
                .steps
                .iter()
                .map(|s| {
                    (
                        s.offered_rate,
                        s.halves.is_some_and(|x| x[h].meets),
                        s.behind,
                    )
                })
                .collect();
            stats::half_capacity(&steps).unwrap_or(0.0)
        };
        return Some([half(0), half(1)]);
    }
    let mean = |odd: bool| {
        let v: Vec<f64> = figures
            .iter()
            .filter(|f| (f.1.round % 2 == 1) == odd)
            .map(|f| f.0)
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    Some([mean(true)?, mean(false)?])
}

/// A row's ranking figure with its interval and halves.
fn ranked(value: Option<f64>, stats: &RoundStats) -> Option<Ranked> {
    value.map(|value| Ranked {
        value,
        interval: stats.ci.map(|c| c.bounds()),
        halves: stats.halves,
    })
}

/// How many of these rows have an interval wider than ±[`WIDE`].
fn wide<'a>(stats: impl Iterator<Item = &'a RoundStats>) -> u32 {
    stats
        .filter(|s| s.half_width.is_some_and(|h| h > WIDE))
        .count() as u32
}

/// Ops per second with its interval; `None` for failed or unestimated rows.
fn throughput(b: &BenchResult) -> Option<Interval> {
    let e = b.estimate?;
    if b.status != Status::Ok || e.mean_ns <= 0.0 || b.ops_per_iter <= 0.0 {
        return None;
    }
    let k = b.ops_per_iter * 1e9;
    let per = |ns: f64| if ns > 0.0 { k / ns } else { k / e.mean_ns };
    Some(Interval {
        value: k / e.mean_ns,
        lower: per(e.mean_upper_ns),
        upper: per(e.mean_lower_ns),
    })
}

fn row(m: &Merged, colour: String, base: Option<&Interval>) -> Row {
    let b = m.bench;
    let ok = b.status == Status::Ok;
    let throughput = throughput(b);
    let time_per_op_ns = throughput.and(b.estimate).map(|e| Interval {
        value: e.mean_ns / b.ops_per_iter,
        lower: e.mean_lower_ns / b.ops_per_iter,
        upper: e.mean_upper_ns / b.ops_per_iter,
    });
    let change = throughput.zip(base).map(|(now, then)| Change {
        baseline_throughput: *then,
        percent: (now.value / then.value - 1.0) * 100.0,
        verdict: if now.lower > then.upper {
            Verdict::Faster
        } else if now.upper < then.lower {
            Verdict::Slower
        } else {
            Verdict::Unchanged
        },
    });
    let d = &b.description;
    Row {
        id: b.id.clone(),
        runtime: b.runtime.clone(),
        colour,
        status: b.status,
        error: row_error(b),
        round_stats: m.stats,
        is_reference: d.flavor == Flavor::Reference,
        flavor: d.flavor,
        workers: d.workers,
        timer_class: d.timer_class,
        driver: d.driver.clone(),
        ops_per_iter: b.ops_per_iter,
        ops_checked: b.ops_checked,
        estimate: b.estimate.filter(|_| ok),
        throughput,
        time_per_op_ns,
        ratio_to_best: None,
        ratio_to_reference: None,
        latency: b.latency.as_ref().filter(|_| ok).map(|l| LatencyFigures {
            hdr_base64: None,
            ..l.clone()
        }),
        server_cpu_ns_per_op: b.server_cpu_ns_per_op.filter(|_| ok),
        bytes_per_task: b.extra.get("bytes_per_task").copied(),
        timer_slack_ns: b.extra.get("timer_slack_ns").copied(),
        extra: b.extra.clone(),
        knobs: d.knobs.clone(),
        change,
        interference: b.interference.filter(|_| ok),
        tied_with_best: false,
        rank_group: None,
    }
}

/// One group of an open-loop workload: rows sorted by capacity (for `work`
/// within flavor groups, with its reading), steps by offered rate, the 50%,
/// 80% and 90% sweep steps picked out for the table.
fn load_group(
    workload: &str,
    id: String,
    scope: Scope,
    merged: &[Merged],
    colour: &dyn Fn(&str) -> String,
) -> LoadGroup {
    let setup = merged
        .iter()
        .find_map(|m| Some((m.bench, measured(m.bench)?)))
        .map(|(b, o)| LoadSetup {
            slo: o.slo,
            slo_label: slo_label(&o.slo),
            reference_rate: o.reference_rate,
            reference_source: o.reference_source.clone(),
            arrivals: o.arrivals.clone(),
            seed: o.seed,
            step_secs: o.step_secs,
            warmup_secs: o.warmup_secs,
            generator_wait: o.generator_wait.clone(),
            server_cores: b.server_cores,
            generator_threads: b.generator_threads,
            work: b.work.clone(),
            interleaving: o.interleaving.clone(),
        });
    let mut rows: Vec<LoadRow> = merged
        .iter()
        .map(|&Merged { bench: b, stats }| {
            let mut steps: Vec<LoadStep> = measured(b)
                .iter()
                .flat_map(|o| &o.steps)
                .map(|s| LoadStep {
                    kind: s.kind.clone(),
                    fraction: s.fraction,
                    offered_rate: s.offered_rate,
                    achieved_rate: s.achieved_rate,
                    corrected: (&s.latency).into(),
                    service_p99_ns: s.service.p99_ns,
                    lag_p99_ns: (s.lag.count > 0).then_some(s.lag.p99_ns),
                    queued: s.queued,
                    behind: s.behind,
                    meets_slo: s.meets_slo,
                    target: s.target,
                    verdict: s.verdict,
                    trials: pooled(s),
                    reruns: s.reruns,
                })
                .collect();
            steps.sort_by(|a, b| a.offered_rate.total_cmp(&b.offered_rate));
            // The attempt that decided the sweep step: its last repeat, if any.
            let at = |fraction: f64| {
                let s = measured(b)?.steps.iter().rev().find(|s| {
                    matches!(s.kind.as_str(), "sweep" | "repeat")
                        && (s.fraction - fraction).abs() < 1e-6
                })?;
                Some(LoadPoint {
                    fraction: s.fraction,
                    offered_rate: s.offered_rate,
                    behind: s.behind,
                    repeated: s.kind == "repeat",
                    corrected: (&s.latency).into(),
                    service: (&s.service).into(),
                    server_cpu_ns_per_op: s.server_cpu_ns_per_op,
                    generator_cpu_ns_per_op: s.generator_cpu_ns_per_op,
                    target: s.target,
                    verdict: s.verdict,
                    trials: pooled(s),
                    run_delay: run_delay(s),
                })
            };
            let d = &b.description;
            LoadRow {
                id: b.id.clone(),
                runtime: b.runtime.clone(),
                colour: colour(&b.runtime),
                flavor: d.flavor,
                is_reference: d.flavor == Flavor::Reference,
                status: b.status,
                error: row_error(b),
                round_stats: stats,
                capacity: measured(b).map(|o| o.capacity.clone()),
                at_50: at(0.5),
                at_80: at(0.8),
                at_90: at(0.9),
                lag_p99_at_highest_ns: steps.iter().rev().find_map(|s| s.lag_p99_ns),
                max_lag_p99_ns: steps.iter().filter_map(|s| s.lag_p99_ns).max(),
                any_behind: steps.iter().any(|s| s.behind),
                steps,
                tied_with_best: false,
                rank_group: None,
                slow_trials: slow_trials(measured(b).map_or(&[][..], |o| &o.steps)),
                idle_cpu_share: measured(b)
                    .and_then(|o| o.interleaving.as_ref())
                    .and_then(|i| i.idle_cpu_share),
            }
        })
        .collect();
    // Best capacity first; measured rows without one next; failed rows last.
    let rank = |r: &LoadRow| match &r.capacity {
        Some(Capacity { rate: Some(x), .. }) => (0, -x),
        Some(_) => (1, 0.0),
        None => (2, 0.0),
    };
    rows.sort_by(|a, b| {
        let (x, y) = (rank(a), rank(b));
        x.0.cmp(&y.0)
            .then(x.1.total_cmp(&y.1))
            .then_with(|| a.runtime.cmp(&b.runtime))
    });
    let work = workload == WORK_WORKLOAD;
    if work {
        // The question is work-stealing against thread-per-core: each its block.
        rows.sort_by_key(|r| flavor_rank(r.flavor));
    }
    let ranked: Vec<Option<Ranked>> = rows
        .iter()
        .map(|r| {
            let capacity = r.capacity.as_ref().map(|c| c.rate.unwrap_or(0.0));
            ranked(capacity.filter(|_| r.status == Status::Ok), &r.round_stats)
        })
        .collect();
    for (r, p) in rows.iter_mut().zip(crate::rank::places(&ranked)) {
        (r.tied_with_best, r.rank_group) = (p.tied_with_best, p.group);
    }
    let reading = setup
        .as_ref()
        .filter(|_| work)
        .and_then(|s| crate::reading::group_reading(&rows, &s.slo_label, work_mix(&scope.case)));
    let title = &scope.title;
    let by_rate = |p: &str| format!("corrected {p} latency by offered rate");
    let charts = setup.as_ref().map_or(Vec::new(), |s| {
        vec![
            chart_ref(&id, title, LoadChartKind::LatencyP99, &by_rate("p99")),
            chart_ref(&id, title, LoadChartKind::LatencyP50, &by_rate("p50")),
            chart_ref(
                &id,
                title,
                LoadChartKind::Capacity,
                &format!("capacity at {}", s.slo_label),
            ),
        ]
    });
    LoadGroup {
        id,
        workload: workload.to_string(),
        scope,
        setup,
        wide_rows: wide(rows.iter().map(|r| &r.round_stats)),
        split_half: crate::rank::split_half(&ranked),
        rows,
        charts,
        reading,
    }
}

/// Valid trials a step pooled (0 for a step of an older file).
fn pooled(s: &Step) -> u32 {
    s.trials.iter().filter(|t| !t.invalid).count() as u32
}

/// A step's run delay per second of its recorded windows: the pooled round
/// trips scheduled (sent or not) over the offered rate.
fn run_delay(s: &Step) -> Option<RunDelay> {
    let i = s.interference?;
    let secs = (s.round_trips + s.unsent) as f64 / s.offered_rate;
    if !secs.is_finite() || secs <= 0.0 {
        return None;
    }
    let per = |ns: Option<u64>| ns.map(|x| x as f64 / secs);
    Some(RunDelay {
        server_ns_per_s: per(i.server_run_delay_ns),
        generator_ns_per_s: per(i.generator_run_delay_ns),
    })
}

/// Every trial of every step with a slow tail, by cause; `None` when no
/// step recorded trials.
fn slow_trials(steps: &[Step]) -> Option<SlowTrials> {
    let mut out = SlowTrials::default();
    let mut any = false;
    for t in steps.iter().flat_map(|s| &s.trials) {
        any = true;
        match t.cause {
            Some(SlowCause::Server) => out.server += 1,
            Some(SlowCause::Generator) => out.generator += 1,
            Some(SlowCause::Machine) => out.machine += 1,
            None => {}
        }
    }
    any.then_some(out)
}

/// The open-loop part of a result that succeeded.
fn measured(b: &BenchResult) -> Option<&OpenLoop> {
    b.open_loop.as_ref().filter(|_| b.status == Status::Ok)
}

/// A warning when rows of one group ran against different targets or
/// reference rates: then their capacities do not compare.
fn group_note(group: &LoadGroup, benches: &[&BenchResult]) -> Option<String> {
    let setups: Vec<(Slo, f64)> = benches
        .iter()
        .filter_map(|b| b.open_loop.as_ref())
        .map(|o| (o.slo, o.reference_rate))
        .collect();
    setups.windows(2).any(|w| w[0] != w[1]).then(|| {
        format!(
            "{} ({}, {}): runtimes ran against different latency targets or reference rates; compare their rows with care.",
            group.scope.title, group.scope.topology, group.scope.placement
        )
    })
}

/// `p99 ≤ 1 ms` for quantile 0.99 and 1,000,000 ns.
pub fn slo_label(slo: &Slo) -> String {
    let p = format!("{:.3}", slo.quantile * 100.0);
    let p = p.trim_end_matches('0').trim_end_matches('.');
    format!("p{p} ≤ {}", crate::fmt::ns_tick(slo.max_ns as f64))
}

fn row_error(b: &BenchResult) -> Option<String> {
    b.error
        .clone()
        .or_else(|| (b.status != Status::Ok).then(|| "no error recorded".into()))
}

/// A chart of table (or group) `id`, its file named after both.
fn chart_ref<K: Copy + std::fmt::Display>(
    id: &str,
    title: &str,
    kind: K,
    what: &str,
) -> ChartRef<K> {
    ChartRef {
        kind,
        file: format!("{id}-{kind}.svg"),
        title: format!("{title}: {what}"),
    }
}

/// Which charts a table gets; the chart module draws exactly these.
fn chart_refs(id: &str, title: &str, workload: &str, op: &str, rows: &[Row]) -> Vec<ChartRef> {
    let mut out = Vec::new();
    let mut add = |kind: ChartKind, what: String| out.push(chart_ref(id, title, kind, &what));
    if rows.iter().any(|r| r.throughput.is_some()) {
        add(ChartKind::Throughput, "throughput".into());
    }
    if let Some(l) = rows.iter().find_map(|r| {
        r.latency
            .as_ref()
            .filter(|l| l.spectrum.iter().any(|s| s.0 < 100.0))
    }) {
        let what = if l.kind == "lateness" {
            "timer lateness by percentile".to_string()
        } else {
            format!("{} latency by percentile", l.kind)
        };
        add(ChartKind::Spectrum, what);
    }
    if workload == "fan_out" && rows.iter().any(|r| r.time_per_op_ns.is_some()) {
        add(ChartKind::TimePerOp, format!("time per {op}"));
    }
    if rows.iter().any(|r| r.bytes_per_task.is_some()) {
        add(ChartKind::BytesPerTask, "bytes per task".into());
    }
    out
}

/// One line per measured result whose estimate is not a positive time per
/// iteration: its throughput cannot be computed and its row shows none, so
/// the report says why instead of dropping it silently.
fn non_positive_estimates(benches: &[BenchResult]) -> Vec<String> {
    benches
        .iter()
        .filter(|b| b.status == Status::Ok)
        .filter_map(|b| {
            let e = b.estimate?;
            let bad = |v: f64| !(v.is_finite() && v > 0.0);
            let what = if bad(e.mean_ns) {
                format!("a mean of {} ns per iteration", e.mean_ns)
            } else if bad(b.ops_per_iter) {
                format!("{} operations per iteration", b.ops_per_iter)
            } else {
                return None;
            };
            let round = if b.round > 1 {
                format!(" (round {})", b.round)
            } else {
                String::new()
            };
            Some(format!(
                "{}{round} records {what}, not a positive figure: its throughput is left out.",
                b.id
            ))
        })
        .collect()
}

/// What the run asked for and did not produce. When the run recorded its
/// selection (`RunMeta::selected`), every selected id without a result, and
/// every round of an id without one while its workload has results of that
/// round (the interleaved workloads run in round 1 only). Otherwise, a runtime is missing from a (workload, case) that
/// others have when it is an available non-reference runtime. References
/// (the OS and std floors) run only in the cases they are a floor for, so
/// their absence elsewhere is not a gap.
fn missing(run: &LoadedRun, runtimes: &[RuntimeInfo]) -> Vec<Missing> {
    if !run.selected.is_empty() {
        // Round 0 is a result of a lone `cargo bench`: the run's round 1.
        let round = |b: &BenchResult| b.round.max(1);
        let mut have: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
        let mut ran: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
        for b in &run.benches {
            have.entry(&b.id).or_default().insert(round(b));
            ran.entry(&b.workload).or_default().insert(round(b));
        }
        let mut out: Vec<Missing> = run
            .selected
            .iter()
            .filter_map(|id| {
                let mut parts = id.splitn(3, '/');
                let (workload, runtime, case) = (parts.next()?, parts.next()?, parts.next()?);
                let rounds: Vec<u32> = match have.get(id.as_str()) {
                    None => Vec::new(),
                    Some(got) => {
                        let gaps: Vec<u32> = ran
                            .get(workload)
                            .map_or(Vec::new(), |r| r.difference(got).copied().collect());
                        if gaps.is_empty() {
                            return None;
                        }
                        gaps
                    }
                };
                Some(Missing {
                    runtime: runtime.to_string(),
                    workload: workload.to_string(),
                    case: case.to_string(),
                    rounds,
                })
            })
            .collect();
        sort_missing(&mut out);
        return out;
    }
    let mut present: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for b in &run.benches {
        present
            .entry((&b.workload, &b.case))
            .or_default()
            .insert(&b.runtime);
    }
    let everywhere: BTreeSet<&str> = runtimes
        .iter()
        .filter(|r| r.status == RuntimeStatus::Available)
        .filter(|r| {
            r.description
                .as_ref()
                .is_none_or(|d| d.flavor != Flavor::Reference)
        })
        .map(|r| r.name.as_str())
        .collect();
    let mut out = Vec::new();
    for ((workload, case), have) in &present {
        for rt in everywhere.difference(have) {
            out.push(Missing {
                runtime: rt.to_string(),
                workload: workload.to_string(),
                case: case.to_string(),
                rounds: Vec::new(),
            });
        }
    }
    sort_missing(&mut out);
    out
}

fn sort_missing(out: &mut [Missing]) {
    out.sort_by(|a, b| {
        (workload_rank(&a.workload), &a.workload, &a.runtime)
            .cmp(&(workload_rank(&b.workload), &b.workload, &b.runtime))
            .then_with(|| natural_cmp(&a.case, &b.case))
    });
}

/// Report order ([`rtbench_format::Workload`]'s); a name it does not know,
/// after them.
fn workload_rank(w: &str) -> usize {
    use rtbench_format::Workload as W;
    w.parse::<W>().map_or(W::ALL.len(), W::rank)
}

/// `work` cases in [`WORK_MIXES`] order; any other case by name alone.
fn case_rank(workload: &str, case: &str) -> usize {
    match workload {
        WORK_WORKLOAD => {
            let mix = work_mix(case);
            WORK_MIXES
                .iter()
                .position(|m| *m == mix)
                .unwrap_or(WORK_MIXES.len())
        }
        _ => 0,
    }
}

/// A reader's title for a case, from its sweep parameters when they are known.
pub fn case_title(workload: &str, case: &str, params: &BTreeMap<String, f64>) -> String {
    use crate::fmt::{bytes, count};
    match (workload, params.get("msg_bytes"), params.get("connections")) {
        ("echo" | LOAD_WORKLOAD, Some(&b), Some(&c)) => {
            let s = if c == 1.0 { "" } else { "s" };
            format!("{workload} {} × {} connection{s}", bytes(b), count(c))
        }
        (WORK_WORKLOAD, Some(&b), Some(&c)) => {
            let s = if c == 1.0 { "" } else { "s" };
            let mix = work_mix(case);
            format!(
                "{workload} {mix}, {} × {} connection{s}",
                bytes(b),
                count(c)
            )
        }
        _ => match (workload, params.get("tasks")) {
            ("fan_out", Some(&t)) => format!("fan_out {} tasks ({case})", count(t)),
            _ => format!("{workload} {case}"),
        },
    }
}

/// Lower-case, `[a-z0-9-]` only: safe as a file name and an HTML id.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// Compares strings with digit runs as numbers, so `64B` sorts before `1024B`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (x, y) = (chunks(a), chunks(b));
    for (p, q) in x.iter().zip(&y) {
        let o = match (p, q) {
            ((true, p), (true, q)) => {
                let (p, q) = (p.trim_start_matches('0'), q.trim_start_matches('0'));
                p.len().cmp(&q.len()).then_with(|| p.cmp(q))
            }
            ((_, p), (_, q)) => p.cmp(q),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    x.len().cmp(&y.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_reads_numbers() {
        let mut v = vec!["1024B-16c", "64B-1c", "64B-16c", "64B-2c", ""];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["", "64B-1c", "64B-2c", "64B-16c", "1024B-16c"]);
    }

    #[test]
    fn slugs_are_file_and_id_safe() {
        assert_eq!(
            slug("echo-64B-16c-N workers work-stealing-split"),
            "echo-64b-16c-n-workers-work-stealing-split"
        );
        assert_eq!(slug("<a>&\"x\""), "a-x");
    }

    #[test]
    fn slo_labels_read_like_a_target() {
        let l = |quantile, max_ns| slo_label(&Slo { quantile, max_ns });
        assert_eq!(l(0.99, 1_000_000), "p99 ≤ 1 ms");
        assert_eq!(l(0.999, 250_000), "p99.9 ≤ 250 µs");
        assert_eq!(l(0.5, 2_500_000), "p50 ≤ 2.5 ms");
    }

    #[test]
    fn titles_spell_the_sweep() {
        let p: BTreeMap<String, f64> =
            [("msg_bytes".into(), 64.0), ("connections".into(), 16.0)].into();
        assert_eq!(
            case_title("echo", "64B-16c", &p),
            "echo 64 B × 16 connections"
        );
        assert_eq!(
            case_title("timers", "sleep-50us", &BTreeMap::new()),
            "timers sleep-50us"
        );
        let p: BTreeMap<String, f64> =
            [("msg_bytes".into(), 64.0), ("connections".into(), 32.0)].into();
        assert_eq!(
            case_title("work", "hot-connections-64B-32c", &p),
            "work hot-connections, 64 B × 32 connections"
        );
        assert_eq!(work_mix("hot-connections-64B-32c"), "hot-connections");
        assert_eq!(work_mix("uniform-64B-32c"), "uniform");
    }

    /// A measured result whose estimate is zero or below has no throughput:
    /// the report says so instead of dropping it silently.
    #[test]
    fn non_positive_estimates_are_named() {
        let with = |runtime: &str, mean_ns: f64| BenchResult {
            ops_per_iter: 1.0,
            estimate: Some(Estimate {
                mean_ns,
                mean_lower_ns: mean_ns,
                mean_upper_ns: mean_ns,
                median_ns: mean_ns,
                samples: 10,
            }),
            ..BenchResult::blank("fan_out", runtime, "spawn-1000", 1)
        };
        let failed = BenchResult {
            status: Status::Failed,
            ..with("smol-mt", 0.0)
        };
        let benches = [
            with("tokio-ct", 120.0),
            with("tokio-mt", 0.0),
            with("compio", -5.0),
            failed,
        ];
        let notes = non_positive_estimates(&benches);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].starts_with("fan_out/tokio-mt/spawn-1000 records a mean of 0 ns"));
        assert!(notes[1].contains("compio") && notes[1].contains("left out"));
        assert!(throughput(&benches[1]).is_none() && throughput(&benches[0]).is_some());
    }

    /// With the run's selection recorded, missing is what it asked for and
    /// has no result of, whatever other runtimes exist.
    #[test]
    fn missing_is_what_was_selected_and_absent() {
        let run = LoadedRun {
            dir: std::path::PathBuf::from("run"),
            meta: None,
            benches: vec![BenchResult::blank("fan_out", "tokio-ct", "spawn-1000", 1)],
            problems: Vec::new(),
            selected: ["spawn-1000", "tree-10x5"]
                .map(|c| format!("fan_out/tokio-ct/{c}"))
                .to_vec(),
        };
        let other = RuntimeInfo {
            name: "tokio-mt".into(),
            colour: PALETTE[0].into(),
            status: RuntimeStatus::Available,
            reason: None,
            description: None,
        };
        let m = missing(&run, std::slice::from_ref(&other));
        let ids: Vec<String> = m
            .iter()
            .map(|m| format!("{}/{}/{}", m.workload, m.runtime, m.case))
            .collect();
        assert_eq!(ids, ["fan_out/tokio-ct/tree-10x5"]);
        assert!(m[0].rounds.is_empty());
        // Per round: an id without round 2 while its workload has one.
        let mut rounds = LoadedRun {
            benches: vec![
                BenchResult::blank("fan_out", "tokio-ct", "spawn-1000", 1),
                BenchResult::blank("fan_out", "tokio-ct", "spawn-1000", 2),
                BenchResult::blank("fan_out", "tokio-ct", "tree-10x5", 1),
                BenchResult::blank("latency", "tokio-ct", "64B-16c", 1),
            ],
            selected: run.selected.clone(),
            dir: run.dir.clone(),
            meta: None,
            problems: Vec::new(),
        };
        rounds.selected.push("latency/tokio-ct/64B-16c".into());
        let m = missing(&rounds, &[]);
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(
            (m[0].case.as_str(), &m[0].rounds[..]),
            ("tree-10x5", &[2][..])
        );
        // Without a selection, the old rule: an available runtime absent from a case.
        let unrecorded = LoadedRun {
            selected: Vec::new(),
            ..run
        };
        assert_eq!(missing(&unrecorded, &[other]).len(), 1);
    }
}
