//! A run of three rounds, written through the results crate's own types and
//! writers: echo, latency under load and fan_out, with one wide-interval row per
//! section that measures throughput or capacity, a round that failed beside
//! rounds that measured, rows whose every round failed, hung or crashed
//! (written as the runner writes them: no topology, no parameters), and a
//! runtime skipped in meta.json.

use super::latency::{Server, desc};
use rtbench_format::*;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub const SKIP_REASON: &str = "io_uring disabled: kernel.io_uring_disabled = 2";
pub const FAILED: &str = "echo mismatch on connection 3";
pub const HUNG: &str = "no output for 2m; killed by the watchdog";
pub const SEGV: &str = "killed by signal 11 (SIGSEGV)";
pub const ABRT: &str = "killed by signal 6 (SIGABRT)";
pub const PLACEMENT: &str = "split: server cpu 0, load generator cpu 1";

/// What one round of one id did.
#[derive(Clone, Copy)]
pub enum Outcome {
    /// Measured at this throughput (ops/s), or capacity for latency rows.
    Ok(f64),
    /// Reported an error itself (`failed`).
    Failed,
    Hung,
    Crashed(&'static str),
}
use Outcome::*;

/// (workload, case, runtime, the outcome of rounds 1, 2 and 3).
pub fn plan() -> Vec<(&'static str, &'static str, &'static str, [Outcome; 3])> {
    vec![
        // Median rounds 3, 1 and 2; smol's rounds disagree by 15% (a wide interval).
        (
            "echo",
            "64B-16c",
            "tokio-mt",
            [Ok(102e3), Ok(98e3), Ok(100e3)],
        ),
        ("echo", "64B-16c", "smol", [Ok(80e3), Ok(72e3), Ok(84e3)]),
        (
            "echo",
            "64B-16c",
            "std-threads",
            [Ok(50.5e3), Ok(50e3), Ok(49.8e3)],
        ),
        // smol's failed round leaves two: the lower of them is the median.
        (
            "echo",
            "1024B-16c",
            "tokio-mt",
            [Ok(50e3), Ok(51e3), Ok(49.5e3)],
        ),
        ("echo", "1024B-16c", "smol", [Ok(60e3), Failed, Ok(62e3)]),
        // Capacities; smol's disagree by 13% (a wide interval); glommio crashed every round.
        (
            "latency",
            "64B-16c",
            "tokio-mt",
            [Ok(82e3), Ok(80e3), Ok(79e3)],
        ),
        ("latency", "64B-16c", "smol", [Ok(66e3), Ok(58e3), Ok(60e3)]),
        (
            "latency",
            "64B-16c",
            "glommio",
            [Crashed(SEGV), Crashed(SEGV), Crashed(ABRT)],
        ),
        (
            "fan_out",
            "spawn-1000",
            "tokio-mt",
            [Ok(2.5e6), Ok(2.55e6), Ok(2.45e6)],
        ),
        (
            "fan_out",
            "spawn-1000",
            "smol",
            [Ok(3.0e6), Hung, Ok(3.1e6)],
        ),
        (
            "fan_out",
            "spawn-100000",
            "tokio-mt",
            [Ok(1.0e6), Ok(1.02e6), Ok(0.99e6)],
        ),
        ("fan_out", "spawn-100000", "smol", [Failed, Hung, Hung]),
    ]
}

pub const ORDERS: [[&str; 4]; 3] = [
    ["smol", "glommio", "tokio-mt", "std-threads"],
    ["std-threads", "tokio-mt", "smol", "glommio"],
    ["tokio-mt", "smol", "std-threads", "glommio"],
];

/// A result of a closed-loop workload that measured `throughput`: an
/// estimate at ±1%, and a closed-loop latency that follows it (Little's law),
/// so each round's figures differ.
pub fn closed(
    workload: &str,
    case: &str,
    runtime: &str,
    round: u32,
    outcome: Outcome,
) -> BenchResult {
    let (params, op, ops_per_iter): (BTreeMap<String, f64>, &str, f64) = match workload {
        "echo" => {
            let bytes: f64 = case.split('B').next().unwrap().parse().unwrap();
            let params = [("msg_bytes".into(), bytes), ("connections".into(), 16.0)];
            (params.into(), "round trip", 100.0)
        }
        "http" => {
            let params = [("connections".into(), 16.0), ("body_bytes".into(), 13.0)];
            (params.into(), "request", 16.0)
        }
        _ => {
            let tasks: f64 = case.trim_start_matches("spawn-").parse().unwrap();
            ([("tasks".into(), tasks)].into(), "task", tasks)
        }
    };
    let mut b = BenchResult {
        topology: "1 core".into(),
        placement: PLACEMENT.into(),
        description: desc(runtime),
        params,
        op: op.into(),
        ops_per_iter,
        ..BenchResult::blank(workload, runtime, case, round)
    };
    match outcome {
        Ok(throughput) => {
            let mean_ns = ops_per_iter * 1e9 / throughput;
            b.estimate = Some(Estimate {
                mean_ns,
                mean_lower_ns: mean_ns * 0.99,
                mean_upper_ns: mean_ns * 1.01,
                median_ns: mean_ns,
                samples: 10,
            });
            b.ops_checked = 1000;
            if workload == "echo" {
                let p50 = (16e9 / throughput) as u64;
                b.latency = Some(Latency {
                    kind: "round-trip".into(),
                    count: 1000,
                    min_ns: p50 / 2,
                    mean_ns: p50 as f64,
                    stdev_ns: 1.0,
                    p50_ns: p50,
                    p90_ns: p50 * 2,
                    p99_ns: p50 * 3,
                    p999_ns: p50 * 4,
                    max_ns: p50 * 5,
                    spectrum: vec![(50.0, p50), (99.0, p50 * 3), (100.0, p50 * 5)],
                    hdr_base64: None,
                });
            }
        }
        Failed => {
            b.status = Status::Failed;
            b.error = Some(FAILED.into());
        }
        Hung | Crashed(_) => return unfinished(&b, outcome),
    }
    b
}

/// A hung or crashed result as the runner records it: the id and its
/// runtime's description, but no topology, parameters or figures, and
/// meta.json's placement.
fn unfinished(like: &BenchResult, outcome: Outcome) -> BenchResult {
    let (status, why) = match outcome {
        Hung => (Status::Hung, HUNG),
        Crashed(why) => (Status::Crashed, why),
        _ => unreachable!("only a hang or a crash is recorded by the runner"),
    };
    BenchResult {
        topology: String::new(),
        placement: "split".into(),
        params: BTreeMap::new(),
        op: String::new(),
        ops_per_iter: 1.0,
        status,
        error: Some(format!("{why} (while running {})", like.id)),
        estimate: None,
        latency: None,
        ops_checked: 0,
        open_loop: None,
        ..like.clone()
    }
}

/// One round of a latency result: its capacity, or what went wrong.
fn open(case: &str, runtime: &str, round: u32, outcome: Outcome) -> BenchResult {
    let server = Server {
        knee: 1.0,
        base_ns: 50_000.0,
    };
    let mut b = BenchResult {
        round,
        ..super::latency::bench(case, runtime, Some(server))
    };
    match outcome {
        Ok(capacity) => {
            let o = b.open_loop.as_mut().unwrap();
            o.capacity.rate = Some(capacity);
            o.capacity.bracket_lo = capacity;
        }
        Failed => {
            b.status = Status::Failed;
            b.error = Some(FAILED.into());
            b.open_loop = None;
        }
        Hung | Crashed(_) => return unfinished(&b, outcome),
    }
    b
}

/// Every result of the plan, every round.
pub fn results() -> Vec<BenchResult> {
    let mut out = Vec::new();
    for (workload, case, runtime, outcomes) in plan() {
        for (i, outcome) in outcomes.into_iter().enumerate() {
            let round = i as u32 + 1;
            out.push(match workload {
                "latency" => open(case, runtime, round, outcome),
                _ => closed(workload, case, runtime, round, outcome),
            });
        }
    }
    out
}

/// Writes the run into a fresh folder and returns it.
pub fn write_run() -> PathBuf {
    let dir = super::out_dir("rounds-run");
    let run = RunDir { path: dir.clone() };
    let entry = |name: &str, unavailable: Option<&str>| RuntimeEntry {
        name: name.into(),
        unavailable: unavailable.map(String::from),
        description: unavailable.is_none().then(|| desc(name)),
    };
    run.write_meta(&RunMeta {
        schema_version: SCHEMA_VERSION,
        run_id: "20260102T000000Z-rounds".into(),
        started_at: "2026-01-02T00:00:00Z".into(),
        mode: RunMode::Default,
        placement: "split".into(),
        env: Environment::default(),
        git_commit: None,
        crate_versions: BTreeMap::new(),
        runtimes: vec![
            entry("tokio-mt", None),
            entry("smol", None),
            entry("glommio", None),
            entry("tokio-uring", Some(SKIP_REASON)),
        ],
        rounds: 3,
        seed: Some(42),
        orders: ORDERS
            .iter()
            .map(|o| o.iter().map(|s| s.to_string()).collect())
            .collect(),
        noise: None,
        selected: Vec::new(),
    })
    .unwrap();
    for b in results() {
        run.write_bench(&b).unwrap();
    }
    dir
}

/// Writes the run and renders it; both folders go when the pair is dropped.
pub fn render() -> (super::Out, super::Cleanup) {
    super::render_owned(write_run())
}
