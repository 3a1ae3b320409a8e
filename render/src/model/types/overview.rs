//! The overview at the top of the report: every runtime across every case on
//! one screen, as ratios to each case's best, and what went wrong, so a
//! reader knows where to look before reading any table.

use crate::rank::SplitHalf;
use rtbench_format::Status;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Overview {
    /// How many times the run repeated its matrix (1 for a single round).
    pub rounds: u32,
    /// One column per closed-loop table and open-loop group, in page order.
    pub cases: Vec<OverviewCase>,
    /// One line per runtime with a row in any case, best median rank first;
    /// runtimes ranked nowhere last.
    pub runtimes: Vec<OverviewRuntime>,
    pub counts: Counts,
    /// Rows whose 95% interval is wider than ±5% (`RoundStats::half_width`).
    pub wide_rows: usize,
    /// Rows with a bounded 95% interval, which `wide_rows` is a part of.
    pub rows_with_interval: usize,
    /// Whether the orderings this run calls significant (rows of one case
    /// whose intervals do not overlap) reproduce in its two halves.
    pub split_half: SplitHalf,
    /// The same, per workload (`echo`, `latency`, `work`, …).
    pub split_half_by_workload: BTreeMap<String, SplitHalf>,
    /// The load generator's own check per case that ran one: it must drive
    /// `std-threads` at least as fast as a plain blocking client does (echo),
    /// and `std-threads` and `tokio-mt` as fast as wrk does (http).
    pub generator_checks: Vec<GeneratorCheck>,
}

/// One case of the load generator's check (fairness rule 1): another
/// client drove the same server, and the generator must be at least as fast.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct GeneratorCheck {
    /// The table's id (anchor `t-<id>`).
    pub table: String,
    /// Workload and case, e.g. `echo 64B-1c`, `http plaintext-256c`.
    pub case: String,
    /// The server both drove (`std-threads`, `tokio-mt`).
    pub server: String,
    /// The other client: `blocking-client` (echo) or `wrk` (http).
    pub client: String,
    /// Operations/s the load generator drove the server at.
    pub load_generator: f64,
    /// Operations/s the other client drove it at.
    pub other_client: f64,
    /// The load generator was at least as fast: the case measures the server.
    pub passed: bool,
    /// Not passed, but the two figures' 95% intervals overlap: they cannot
    /// be told apart, and the check is a tie, not a failure.
    pub tied: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OverviewCase {
    /// The table's (or latency group's) id; its anchor in index.html is `t-<id>`.
    pub id: String,
    /// Workload and case, e.g. `echo 64B-16c`; the topology is added when a
    /// case has tables in several.
    pub label: String,
    pub workload: String,
    pub case: String,
    /// What the ratios divide: `throughput` (what closed-loop tables rank
    /// by) or `capacity` (latency under load, uneven work).
    pub figure: String,
    /// How many rows have a rank here.
    pub ranked: u32,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OverviewRuntime {
    pub runtime: String,
    pub colour: String,
    pub is_reference: bool,
    /// The median of its ranks over the cases that ranked it.
    pub median_rank: Option<f64>,
    pub ranked_cases: u32,
    /// One per case, in `cases` order; `None` where it has no row.
    pub cells: Vec<Option<OverviewCell>>,
}

#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct OverviewCell {
    /// The row's status.
    pub status: Status,
    /// Its figure over the case's best (1 = best); `None` when it has no
    /// figure, or no capacity at the target.
    pub ratio: Option<f64>,
    /// Its place in the case, 1 = best, ties sharing one. A row with no
    /// capacity at the target ranks after those with one; a row that did not
    /// measure has no rank.
    pub rank: Option<u32>,
    /// Its 95% interval overlaps the case's best: it cannot be told apart.
    pub tied_with_best: bool,
}

/// What did not run, and where the report lists it.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Counts {
    /// Results (one round of one id each) by status.
    pub failed: usize,
    pub hung: usize,
    pub crashed: usize,
    /// Runtimes that could not start here.
    pub skipped: usize,
    /// Runtimes without a result for a case others have.
    pub missing: usize,
    /// Files that could not be read.
    pub problems: usize,
}
