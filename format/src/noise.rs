//! What the machine did while a figure was measured, and how sure a figure
//! is: interference per measured unit and per CPU, interleaved trials, and
//! the 95% intervals the report shows (fairness rule 8, `shared/ARCHITECTURE.md`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

crate::names! {
    /// Whose fault a slow open-loop step (corrected p99 far above service
    /// p99) was, from the three parts of its round trips and the run delays.
    pub enum SlowCause {
        /// The server (and the kernel's network path) held the replies.
        Server = "server",
        /// The generator sent late or read late, though it was not kept off
        /// its CPU: its own fault. The step is invalid and run again.
        Generator = "generator",
        /// The generator's or the server's threads were runnable but kept off
        /// their CPU by other tasks (run delay); when the generator's part of
        /// the tail is the larger, the step is run again as for `generator`.
        Machine = "machine",
    }
}

crate::names! {
    /// What the pooled trials of a step say of the latency target.
    pub enum Verdict {
        /// The target percentile's 95% upper bound is within the target.
        Meets = "meets",
        /// Its 95% lower bound is above the target.
        Misses = "misses",
        /// The interval holds the target: the pooled estimate decides.
        Straddles = "straddles",
        /// Round trips left unsent or came back late: a miss whatever the latency.
        Behind = "behind",
    }
}

/// Time the threads of one side were runnable but not running, and how often
/// they were switched out against their will, over one measured unit (a
/// criterion sample set, an open-loop trial): `/proc/<pid>/task/*/schedstat`
/// and `.../status`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
#[schemars(deny_unknown_fields)]
pub struct Interference {
    /// Run delay of the server's threads, ns (`None`: no server process, or unreadable).
    pub server_run_delay_ns: Option<u64>,
    /// Involuntary context switches of the server's threads.
    pub server_nivcsw: Option<u64>,
    /// Run delay of the load generator's (or in-process bench's) threads, ns.
    pub generator_run_delay_ns: Option<u64>,
    pub generator_nivcsw: Option<u64>,
}

/// Field-wise sum (`None` stays `None` only when both are).
impl std::ops::Add for Interference {
    type Output = Interference;
    fn add(self, o: Interference) -> Interference {
        let s = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
        };
        Interference {
            server_run_delay_ns: s(self.server_run_delay_ns, o.server_run_delay_ns),
            server_nivcsw: s(self.server_nivcsw, o.server_nivcsw),
            generator_run_delay_ns: s(self.generator_run_delay_ns, o.generator_run_delay_ns),
            generator_nivcsw: s(self.generator_nivcsw, o.generator_nivcsw),
        }
    }
}

/// A percentile with its 95% confidence interval from order statistics
/// (Lancet): ranks ⌊np − 1.96√(np(1−p))⌋ and ⌈np + 1.96√(np(1−p))⌉ + 1 of
/// the pooled round trips.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct PercentileInterval {
    /// In 0..1.
    pub quantile: f64,
    pub value_ns: u64,
    pub lower_ns: u64,
    /// `None` when the upper rank is past the last sample (too few samples).
    pub upper_ns: Option<u64>,
    /// Samples pooled.
    pub count: u64,
}

/// One trial of one runtime at one offered rate: a step of its own in the
/// interleaved order; a step's figures pool its valid trials.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct Trial {
    /// 1-based trial number at this rate.
    pub trial: u32,
    /// 0-based place of this runtime in the trial's shuffled order.
    pub position: u32,
    pub round_trips: u64,
    pub achieved_rate: f64,
    pub behind: bool,
    /// Corrected latency at the target percentile, this trial alone.
    pub target_ns: u64,
    pub p50_ns: u64,
    pub service_p99_ns: u64,
    pub lag_p99_ns: u64,
    /// Server-and-network part p99 (kernel receive stamp − actual send), when stamped.
    #[serde(default)]
    pub server_p99_ns: Option<u64>,
    /// Generator read delay p99 (read − kernel receive stamp), when stamped.
    #[serde(default)]
    pub read_delay_p99_ns: Option<u64>,
    pub queued: u64,
    pub interference: Interference,
    /// Set when corrected p99 far exceeded service p99.
    pub cause: Option<SlowCause>,
    /// The generator's fault: left out of the pooled figures and run again.
    pub invalid: bool,
}

/// The three parts of a round trip (`SO_TIMESTAMPNS` on every reply).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
#[schemars(deny_unknown_fields)]
pub struct Parts {
    /// Generator send lag p99: actual − intended send, ns.
    pub send_lag_p99_ns: u64,
    /// Server and network p99: kernel receive stamp − actual send, ns.
    pub server_p99_ns: u64,
    /// Generator read delay p99: read − kernel receive stamp, ns.
    pub read_delay_p99_ns: u64,
    /// Replies that carried a kernel stamp (0: stamps unavailable).
    pub stamped: u64,
}

/// One CPU's probe: a pinned spin loop with every CPU of the benchmark busy,
/// recording when it was kept off its CPU.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct CpuProbe {
    /// `start`, or `after round K`.
    pub when: String,
    pub cpu: usize,
    /// Seconds from the run's start to the probe's start.
    pub at_secs: f64,
    pub duration_secs: f64,
    /// Time lost in gaps over the probe's threshold, ns.
    pub lost_ns: u64,
    /// Gaps over 1 ms.
    pub gaps_over_1ms: u32,
    /// Every gap over the threshold: (ms from the probe's start, length in µs).
    pub gaps: Vec<(f64, f64)>,
}

/// A task outside the benchmark that ran on the benchmark's CPUs during the
/// run (sampled from `/proc` between benchmark processes).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct OtherTask {
    /// The task's name (`comm`), with its process's when they differ.
    pub name: String,
    pub pid: u32,
    /// CPU time it used while the run sampled it, ns.
    pub cpu_ns: u64,
}

/// The run's own record of the machine's interference (`meta.json`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
#[schemars(deny_unknown_fields)]
pub struct MachineNoise {
    pub probes: Vec<CpuProbe>,
    /// Most CPU time first.
    pub others: Vec<OtherTask>,
    /// How `others` was sampled.
    pub method: String,
}
