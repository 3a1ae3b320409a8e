//! An open-loop group (latency under load, uneven work) and its rows: a
//! sweep of offered rates per runtime, and the capacity at the target.

use super::table::*;
use crate::rank::SplitHalf;
use rtbench_format::{
    Capacity, Flavor, Interleaving, PercentileInterval, Shape, Slo, Status, WorkSetup,
};
use schemars::JsonSchema;
use serde::Serialize;

/// The workload whose results are open-loop sweeps, reported apart from the
/// closed-loop tables because its figures are per offered rate, not one number.
pub const LOAD_WORKLOAD: &str = rtbench_format::Workload::Latency.as_str();

/// The open-loop workload of requests of uneven cost; its results have the
/// shape of `latency`'s, and their own section.
pub const WORK_WORKLOAD: &str = rtbench_format::Workload::Work.as_str();

/// The open-loop HTTP workload: `latency`'s shape, and its own section
/// right after the closed-loop HTTP tables.
pub const HTTP_LOAD_WORKLOAD: &str = rtbench_format::Workload::HttpLatency.as_str();

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
    /// What carried its HTTP (the `http_latency` workload): the adapter
    /// crate hyper ran through (knob `http` of its description).
    pub adapter: Option<String>,
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
