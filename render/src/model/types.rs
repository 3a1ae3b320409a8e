//! The model's types: every figure of a report, and nothing that computes
//! them (the builders beside this module fill them; the reporters read them).

use rtbench_format::{Description, Environment, FileError, MachineNoise, RunMode, Status};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

mod open_loop;
mod overview;
mod table;

pub use open_loop::*;
pub use overview::*;
pub use table::*;

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
/// intervals on open-loop steps; 6 gave `missing` entries their `rounds`;
/// 7 gave the load generator's checks `tied` (a faster blocking client within
/// both 95% intervals); 8 gave closed-loop tables a `reading` (a
/// microbenchmark's best runtimes' places in the workloads it is read beside).
pub const REPORT_SCHEMA_VERSION: u32 = 9;

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
    /// The open-loop `http_latency` workload, one group per case, topology
    /// and placement; empty when the run did not measure it.
    pub http_under_load: Vec<LoadGroup>,
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
            .chain(&self.http_under_load)
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
        if !self.http_under_load.is_empty() {
            // Right after the closed-loop HTTP tables, else where they would be.
            let at = out
                .iter()
                .position(|s| matches!(s, Section::Workload(w) if w.name == "http"))
                .map_or(out.len(), |i| i + 1);
            out.insert(at, Section::HttpUnderLoad(&self.http_under_load));
        }
        out
    }
}

/// A report section, in page order.
pub enum Section<'a> {
    Workload(&'a Workload),
    LatencyUnderLoad(&'a [LoadGroup]),
    UnevenWork(&'a [LoadGroup]),
    HttpUnderLoad(&'a [LoadGroup]),
}
