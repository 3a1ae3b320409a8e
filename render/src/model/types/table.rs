//! A closed-loop table and its rows, and what open-loop groups share with
//! them: the scope that makes rows comparable, intervals, round statistics,
//! chart references.

use crate::rank::SplitHalf;
use rtbench_format::{Estimate, Flavor, Interference, Status, TimerClass};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

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
    /// A line under the table that reads it beside other workloads
    /// (`Workload::read_beside`): its best runtimes' places there.
    pub reading: Option<String>,
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
