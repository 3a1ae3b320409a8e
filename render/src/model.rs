//! The one in-memory model every reporter reads. It is also, serialized, the
//! body of `results.json`, so its field names are a versioned contract
//! (`REPORT_SCHEMA_VERSION`, `results.schema.json`).

use crate::overview::Overview;
use crate::rank::SplitHalf;
use crate::read::LoadedRun;
use rtbench_format::{
    Capacity, Description, Environment, Estimate, FileError, Flavor, Interference, Interleaving,
    MachineNoise, PercentileInterval, RunMode, Shape, Slo, Status, TimerClass, WorkSetup,
};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

mod build;
mod names;
mod open_loop;
#[cfg(test)]
mod tests;

pub use build::build;
pub(crate) use build::*;
pub(crate) use names::*;
pub use names::{case_title, natural_cmp, slug};
pub use open_loop::slo_label;
pub(crate) use open_loop::*;

/// Version of `results.json`; bumped whenever a field changes meaning, so old
/// reports stay readable (iai-callgrind style, with `results.schema.json`).
/// 2 added `latency_under_load` (the open-loop `latency` workload); 3 added
/// rounds (`round`, `rounds`, `spread`, `noisy` on every row; `rounds`,
/// `seed`, `orders` of a run), `failures` and `overview`; 4 added
/// `uneven_work` (the open-loop `work` workload) with `workload` and
/// `reading` on open-loop groups, `at_80` and CPU per step on their rows,
/// and the server cores, generator threads and request costs of their setup;
/// 5 gave every row its 95% interval (`ci`, `half_width`, `halves`; `noisy`
/// is gone), ties (`tied_with_best`, `rank_group`), the split-half check
/// (`split_half` per table and in the overview), interference (`noise`,
/// `interference`, `run_delay`, `slow_trials`) and pooled trials' target
/// intervals on open-loop steps; 6 gave `missing` entries their `rounds`.
pub const REPORT_SCHEMA_VERSION: u32 = 6;

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
    #[schemars(extend("const" = REPORT_SCHEMA_VERSION))]
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
