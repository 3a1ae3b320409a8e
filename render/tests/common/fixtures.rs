//! The hand-made run folders the report tests read, built from the results
//! crate's own types and written by its own writers (so they cannot drift
//! from the format): once per test process, under cargo's tmp folder.
//!
//! - `a-complete`: echo (two cases), fan_out and timers, every row measured;
//! - `b-partial`: a missing result and a failed one;
//! - `c-skipped`: two runtimes that could not start, no crate versions;
//! - `d-corrupt-bench`: one bench file cut short;
//! - `e-all-bad`: nothing readable;
//! - `f-baseline`: a baseline of `a-complete` (tokio-mt clearly slower then,
//!   smol-mt about the same);
//! - `lock/Cargo.lock`: a trimmed lock for the crate-version fallback.

use rtbench_format::{
    BenchResult, Description, Environment, Estimate, Flavor, Latency, RunDir, RunMeta, RunMode,
    RuntimeEntry, Status, TimerClass,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Every fixture's topology: the runtimes ran on the server's 2 CPUs.
pub const TOPOLOGY: &str = "2 cores";

/// The folder holding every fixture, written on first use.
pub fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("report-fixtures-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        write_all(&root);
        root
    })
}

fn desc(
    name: &str,
    flavor: Flavor,
    workers: usize,
    timer: TimerClass,
    driver: &str,
) -> Description {
    Description {
        flavor,
        workers,
        timer_class: timer,
        driver: driver.into(),
        ..Description::named(name)
    }
}

/// How every runtime of the fixtures describes itself.
fn description(runtime: &str) -> Description {
    let knob = |k: &str, v: &str| [(k.to_string(), v.to_string())].into();
    match runtime {
        "tokio-mt" => Description {
            knobs: knob("worker_threads", "2"),
            ..desc(
                runtime,
                Flavor::WorkStealing,
                2,
                TimerClass::Wheel1ms,
                "epoll",
            )
        },
        "smol-mt" => Description {
            knobs: knob("threads", "2"),
            ..desc(runtime, Flavor::WorkStealing, 2, TimerClass::Fine, "epoll")
        },
        "std-threads" => Description {
            notes: vec!["no runtime: one blocking thread per connection".into()],
            ..desc(runtime, Flavor::Reference, 16, TimerClass::Os, "blocking")
        },
        "os-sleep" => desc(runtime, Flavor::Reference, 1, TimerClass::Os, "blocking"),
        "os-sleep-slack1ns" => Description {
            knobs: knob("timer_slack_ns", "1"),
            ..desc(runtime, Flavor::Reference, 1, TimerClass::Os, "blocking")
        },
        "glommio" => desc(
            runtime,
            Flavor::ThreadPerCore,
            2,
            TimerClass::Fine,
            "io_uring",
        ),
        "tokio-uring" => desc(
            runtime,
            Flavor::ThreadPerCore,
            2,
            TimerClass::Wheel1ms,
            "io_uring",
        ),
        _ => panic!("no fixture runtime {runtime}"),
    }
}

/// A distribution with this median; `tail` stretches what lies above it.
fn latency(kind: &str, p50: f64, tail: f64) -> Latency {
    const PERCENTILES: [f64; 9] = [0.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 99.99, 100.0];
    const SHAPE: [f64; 9] = [0.6, 1.0, 1.2, 1.5, 1.8, 3.0, 6.0, 10.0, 14.0];
    let v = SHAPE.map(|s| (p50 * if s <= 1.0 { s } else { 1.0 + (s - 1.0) * tail }) as u64);
    Latency {
        kind: kind.into(),
        count: 100_000,
        min_ns: v[0],
        mean_ns: p50 * 1.3,
        stdev_ns: p50 * 0.8,
        p50_ns: v[1],
        p90_ns: v[3],
        p99_ns: v[5],
        p999_ns: v[6],
        max_ns: v[8],
        spectrum: PERCENTILES.into_iter().zip(v).collect(),
        hdr_base64: None,
    }
}

/// One measured result: `mean` ns per iteration, its interval ± `spread`.
fn bench(workload: &str, case: &str, runtime: &str, op: &str, ops: f64, mean: f64) -> BenchResult {
    BenchResult {
        topology: TOPOLOGY.into(),
        placement: "split".into(),
        description: description(runtime),
        op: op.into(),
        ops_per_iter: ops,
        estimate: Some(Estimate {
            mean_ns: mean,
            mean_lower_ns: mean * 0.99,
            mean_upper_ns: mean * 1.01,
            median_ns: mean,
            samples: 20,
        }),
        ops_checked: 123_456,
        ..BenchResult::blank(workload, runtime, case, 1)
    }
}

fn spread(mut b: BenchResult, spread: f64) -> BenchResult {
    let e = b.estimate.as_mut().unwrap();
    (e.mean_lower_ns, e.mean_upper_ns) = (e.mean_ns * (1.0 - spread), e.mean_ns * (1.0 + spread));
    b
}

fn echo(runtime: &str, case: &str, mean: f64) -> BenchResult {
    let (p50, tail) = match runtime {
        "tokio-mt" => (150_000.0, 1.0),
        "smol-mt" => (180_000.0, 1.6),
        _ => (300_000.0, 0.5),
    };
    let msg_bytes = if case == "64B-16c" { 64.0 } else { 1024.0 };
    BenchResult {
        params: [
            ("msg_bytes".into(), msg_bytes),
            ("connections".into(), 16.0),
        ]
        .into(),
        latency: Some(latency("round-trip", p50, tail)),
        server_cpu_ns_per_op: Some(9000.0),
        ..bench("echo", case, runtime, "round trip", 100.0, mean)
    }
}

fn fan(runtime: &str, mean: f64, bytes_per_task: f64) -> BenchResult {
    BenchResult {
        params: [("tasks".into(), 1000.0)].into(),
        extra: [("bytes_per_task".into(), bytes_per_task)].into(),
        ..bench("fan_out", "spawn-1000", runtime, "task", 1000.0, mean)
    }
}

fn sleep(runtime: &str, mean: f64, late_p50: f64, slack: f64) -> BenchResult {
    BenchResult {
        params: [("sleep_ns".into(), 50_000.0)].into(),
        latency: Some(latency("lateness", late_p50, 1.0)),
        extra: [("timer_slack_ns".into(), slack)].into(),
        ..bench("timers", "sleep-50us", runtime, "timer", 1.0, mean)
    }
}

fn failed(b: BenchResult, error: &str) -> BenchResult {
    BenchResult {
        status: Status::Failed,
        error: Some(error.into()),
        estimate: None,
        ops_checked: 0,
        ..b
    }
}

fn meta(run_id: &str, runtimes: &[&str], unavailable: &[(&str, &str)]) -> RunMeta {
    let versions = [
        ("tokio", "1.54.1"),
        ("smol", "2.0.2"),
        ("criterion", "0.8.2"),
    ];
    RunMeta {
        schema_version: rtbench_format::SCHEMA_VERSION,
        run_id: run_id.into(),
        started_at: "2025-01-01T00:00:00Z".into(),
        mode: RunMode::Quick,
        placement: "split".into(),
        env: Environment {
            kernel: "Linux 6.1.0-test".into(),
            cpu_model: "Test CPU @ 2.0GHz".into(),
            cores: 2,
            memlock_bytes: Some(8 << 20),
            io_uring: "available".into(),
            rustc: "rustc 1.95.0 (test)".into(),
            timer_slack_ns: Some(50_000),
        },
        git_commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        crate_versions: versions.map(|(k, v)| (k.to_string(), v.to_string())).into(),
        runtimes: runtimes
            .iter()
            .map(|&name| {
                let why = unavailable.iter().find(|u| u.0 == name).map(|u| u.1);
                RuntimeEntry {
                    name: name.into(),
                    unavailable: why.map(Into::into),
                    description: why.is_none().then(|| description(name)),
                }
            })
            .collect(),
        rounds: 1,
        seed: None,
        orders: Vec::new(),
        noise: None,
        selected: Vec::new(),
    }
}

fn write(root: &Path, name: &str, meta: Option<RunMeta>, benches: &[BenchResult]) -> RunDir {
    let run = RunDir {
        path: root.join(name),
    };
    std::fs::create_dir_all(run.bench_dir()).unwrap();
    if let Some(m) = meta {
        run.write_meta(&m).unwrap();
    }
    for b in benches {
        run.write_bench(b).unwrap();
    }
    run
}

fn write_all(root: &Path) {
    let all = [
        "tokio-mt",
        "smol-mt",
        "std-threads",
        "os-sleep",
        "os-sleep-slack1ns",
    ];
    let complete = [
        echo("tokio-mt", "64B-16c", 1e6),
        spread(echo("smol-mt", "64B-16c", 1.25e6), 0.016),
        echo("std-threads", "64B-16c", 2e6),
        echo("tokio-mt", "1024B-16c", 1.25e6),
        echo("smol-mt", "1024B-16c", 1e6),
        echo("std-threads", "1024B-16c", 2.5e6),
        fan("tokio-mt", 400e3, 256.0),
        fan("smol-mt", 300e3, 192.0),
        sleep("tokio-mt", 1.06e6, 1e6, 50e3),
        sleep("smol-mt", 125e3, 75e3, 50e3),
        sleep("os-sleep", 125e3, 74e3, 50e3),
        sleep("os-sleep-slack1ns", 75e3, 25e3, 1.0),
    ];
    let id = |name: &str| format!("20250101T000000Z-{name}");
    write(
        root,
        "a-complete",
        Some(meta(&id("complete"), &all, &[])),
        &complete,
    );

    let partial = [
        echo("tokio-mt", "64B-16c", 1e6),
        echo("smol-mt", "64B-16c", 1.25e6),
        echo("std-threads", "64B-16c", 2e6),
        echo("tokio-mt", "1024B-16c", 1.25e6),
        echo("std-threads", "1024B-16c", 2.5e6),
        fan("tokio-mt", 400e3, 256.0),
        failed(
            fan("smol-mt", 300e3, 192.0),
            "task results did not add up: expected 499500, got 499499",
        ),
    ];
    let runtimes = ["tokio-mt", "smol-mt", "std-threads"];
    write(
        root,
        "b-partial",
        Some(meta(&id("partial"), &runtimes, &[])),
        &partial,
    );

    let unavailable = [
        (
            "glommio",
            "locked-memory limit 64 KiB is below glommio's 512 KiB minimum (ulimit -l)",
        ),
        (
            "tokio-uring",
            "io_uring disabled: <kernel.io_uring_disabled = 2> & no fallback",
        ),
    ];
    let runtimes = ["tokio-mt", "std-threads", "glommio", "tokio-uring"];
    let skipped = RunMeta {
        crate_versions: BTreeMap::new(),
        ..meta(&id("skipped"), &runtimes, &unavailable)
    };
    let echoes = [
        echo("tokio-mt", "64B-16c", 1e6),
        echo("std-threads", "64B-16c", 2e6),
    ];
    write(root, "c-skipped", Some(skipped), &echoes);

    let runtimes = ["tokio-mt", "std-threads"];
    let corrupt = write(
        root,
        "d-corrupt-bench",
        Some(meta(&id("corrupt"), &runtimes, &[])),
        &echoes,
    );
    let cut = r#"{"schema_version": 1, "id": "echo/smol-mt/64B-1"#;
    std::fs::write(corrupt.bench_dir().join("echo__smol-mt__64B-16c.json"), cut).unwrap();

    let bad = write(root, "e-all-bad", None, &[]);
    std::fs::write(bad.meta_path(), r#"{"schema_version": 1, "run_id": "#).unwrap();
    std::fs::write(bad.bench_dir().join("echo__tokio-mt__64B-16c.json"), "").unwrap();

    let baseline = [
        echo("tokio-mt", "64B-16c", 1.2e6),
        spread(echo("smol-mt", "64B-16c", 1.26e6), 0.016),
    ];
    let base_meta = meta("20241201T000000Z-baseline", &all, &[]);
    write(root, "f-baseline", Some(base_meta), &baseline);

    std::fs::create_dir_all(root.join("lock")).unwrap();
    std::fs::write(root.join("lock/Cargo.lock"), LOCK).unwrap();
}

/// A trimmed Cargo.lock: two versions of one crate, one crate not recorded.
const LOCK: &str = r#"version = 4

[[package]]
name = "hdrhistogram"
version = "7.5.4"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "hdrhistogram"
version = "7.6.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "serde"
version = "1.0.229"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "tokio"
version = "1.54.1"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;
