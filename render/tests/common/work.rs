//! A run with open-loop `work` results (requests of uneven cost), beside
//! the latency and closed-loop results of [`super::latency`]: the four mixes,
//! two work-stealing runtimes, three thread-per-core ones and the
//! `std-threads` reference, on 2 cores, with glommio failing one mix.

use super::latency::{Server, open_loop_over, round_trips};
use rtbench_format::*;
use std::path::PathBuf;

/// The default sweep of the work bench.
pub const SWEEP: [f64; 5] = [0.25, 0.5, 0.8, 1.0, 1.2];
pub const MIXES: [&str; 4] = ["uniform", "skewed", "hot-connections", "blocking"];
pub const GLOMMIO_ERROR: &str = "digest mismatch on connection 3";
pub const SERVER_CPU_NS: f64 = 31_000.0;
pub const GENERATOR_CPU_NS: f64 = 900.0;

pub fn case(mix: &str) -> String {
    format!("{mix}-64B-32c")
}

pub fn flavor(runtime: &str) -> Flavor {
    match runtime {
        "tokio-mt" | "smol-mt" => Flavor::WorkStealing,
        "std-threads" => Flavor::Reference,
        _ => Flavor::ThreadPerCore,
    }
}

/// What each runtime does under each mix; `None` is a failed run. A server
/// with `base_ns` 50 µs meets p99 ≤ 1 ms up to 80% of its knee.
/// - uniform: tokio-mt 80 k, monoio ~78 k: about the same;
/// - skewed and hot-connections: thread-per-core saturates early (tokio-mt
///   80 k against monoio ~47 k and ~43 k);
/// - blocking: no thread-per-core runtime meets the target; glommio failed.
pub fn servers(mix: &str) -> Vec<(&'static str, Option<Server>)> {
    let s = |knee, base_ns| Some(Server { knee, base_ns });
    let (tpc, tpc_base) = match mix {
        "uniform" => (1.0, 52_000.0),
        "skewed" => (0.6, 50_000.0),
        "hot-connections" => (0.55, 50_000.0),
        _ => (1.0, 2_000_000.0),
    };
    let ws = if mix == "blocking" { 0.5 } else { 1.0 };
    vec![
        ("tokio-ct", s(tpc * 0.9, tpc_base)),
        ("std-threads", s(0.7, 60_000.0)),
        ("monoio", s(tpc, tpc_base)),
        ("smol-mt", s(ws * 0.9, 50_000.0)),
        (
            "glommio",
            if mix == "blocking" {
                None
            } else {
                s(tpc * 0.8, tpc_base)
            },
        ),
        ("tokio-mt", s(ws, 50_000.0)),
    ]
}

pub fn setup(mix: &str) -> WorkSetup {
    let class = |name: &str, share, work_us, block_us| WorkClass {
        name: name.into(),
        share,
        work_us,
        rounds: (work_us * 40.0) as u32,
        block_us,
    };
    let classes = match mix {
        "uniform" => vec![class("even", 1.0, 29.75, 0.0)],
        "blocking" => vec![
            class("cheap", 0.95, 5.0, 0.0),
            class("blocking", 0.05, 0.0, 500.0),
        ],
        _ => vec![
            class("cheap", 0.95, 5.0, 0.0),
            class("costly", 0.05, 500.0, 0.0),
        ],
    };
    WorkSetup {
        mix: mix.into(),
        classes,
        mean_us: 29.75,
        seed: 42,
        hot_connections: if mix == "hot-connections" {
            vec![5, 21]
        } else {
            vec![]
        },
        rounds_per_us: 40.0,
        calibration: "fastest of 10 batches of 2 ms on cpu 1, 48-byte payload".into(),
        generator_cpus: vec![1],
    }
}

pub fn bench(mix: &str, runtime: &str, server: Option<Server>) -> BenchResult {
    let mut open_loop = server.map(|s| open_loop_over(s, &SWEEP));
    for s in open_loop.iter_mut().flat_map(|o| &mut o.steps) {
        s.server_cpu_ns_per_op = Some(SERVER_CPU_NS);
        s.generator_cpu_ns_per_op = Some(GENERATOR_CPU_NS);
    }
    if let Some(o) = &mut open_loop {
        o.reference_source = format!("closed-loop calibration, best of 6 ({mix})");
    }
    let mut result = BenchResult {
        topology: "2 cores".into(),
        placement: "shared: server cpus 0-1, load generator cpu 1".into(),
        description: Description {
            flavor: flavor(runtime),
            workers: 2,
            timer_class: TimerClass::Fine,
            driver: "epoll".into(),
            ..Description::named(runtime)
        },
        open_loop,
        work: Some(setup(mix)),
        server_cores: 2,
        ..round_trips("work", &case(mix), runtime, 32.0, server, GLOMMIO_ERROR)
    };
    result.params.insert("mean_cost_us".into(), 29.75);
    result
}

/// Writes the latency run and adds the work results to it (the runtimes
/// meta.json does not list stay unlisted, so no other case misses them).
pub fn write_run() -> PathBuf {
    let dir = super::latency::write_run();
    let run = RunDir { path: dir.clone() };
    for mix in MIXES {
        for (runtime, server) in servers(mix) {
            run.write_bench(&bench(mix, runtime, server)).unwrap();
        }
    }
    dir
}

/// Writes the run and renders it; both folders go when the pair is dropped.
pub fn render() -> (super::Out, super::Cleanup) {
    super::render_owned(write_run())
}
