//! Twelve runtimes in one table: written through the results crate's own
//! writers (so the contract round-trips), then every name must reach the
//! charts and every runtime keep one colour across them.

mod common;
use rtbench_format::*;
use rtbench_render::{Options, render};
use std::collections::BTreeMap;

pub const NAMES: [&str; 12] = [
    "tokio-mt",
    "tokio-ct",
    "smol",
    "smol-local",
    "async-std",
    "glommio",
    "tokio-uring",
    "monoio",
    "compio",
    "std-threads",
    "glommio-spin",
    "monoio-epoll",
];

fn desc(name: &str) -> Description {
    Description {
        name: name.into(),
        flavor: if name == "std-threads" {
            Flavor::Reference
        } else {
            Flavor::WorkStealing
        },
        workers: 2,
        timer_class: TimerClass::Fine,
        driver: "epoll".into(),
        knobs: BTreeMap::new(),
        notes: vec![],
    }
}

/// Writes a run with twelve echo rows into a fresh folder and returns it.
pub fn write_run() -> std::path::PathBuf {
    let dir = common::out_dir("many-run");
    let run = RunDir { path: dir.clone() };
    run.write_meta(&RunMeta {
        schema_version: SCHEMA_VERSION,
        run_id: "20250102T000000Z-many".into(),
        started_at: "2025-01-02T00:00:00Z".into(),
        mode: RunMode::Default,
        placement: "split".into(),
        env: Environment::default(),
        git_commit: None,
        crate_versions: BTreeMap::new(),
        runtimes: NAMES
            .iter()
            .map(|n| RuntimeEntry {
                name: n.to_string(),
                unavailable: None,
                description: Some(desc(n)),
            })
            .collect(),
        rounds: 0,
        seed: None,
        orders: Vec::new(),
        noise: None,
        selected: Vec::new(),
    })
    .unwrap();
    for (i, name) in NAMES.iter().enumerate() {
        let p50 = 40_000 + 9_000 * i as u64;
        let spectrum: Vec<(f64, u64)> = [0.0, 50.0, 90.0, 99.0, 99.9, 99.99, 99.999, 100.0]
            .iter()
            .enumerate()
            .map(|(k, p)| {
                (
                    *p,
                    p50 / 2 + p50 * (k as u64).pow(2) * (1 + i as u64 % 3) / 4,
                )
            })
            .collect();
        let mean = 1_000_000.0 + 90_000.0 * i as f64;
        run.write_bench(&BenchResult {
            schema_version: SCHEMA_VERSION,
            id: format!("echo/{name}/64B-16c"),
            workload: "echo".into(),
            case: "64B-16c".into(),
            runtime: name.to_string(),
            topology: "N workers work-stealing".into(),
            placement: "split".into(),
            description: desc(name),
            params: [("msg_bytes".into(), 64.0), ("connections".into(), 16.0)].into(),
            op: "round trip".into(),
            ops_per_iter: 100.0,
            status: Status::Ok,
            error: None,
            estimate: Some(Estimate {
                mean_ns: mean,
                mean_lower_ns: mean * 0.98,
                mean_upper_ns: mean * 1.02,
                median_ns: mean,
                samples: 100,
            }),
            latency: Some(Latency {
                kind: "round-trip".into(),
                count: 1000,
                min_ns: spectrum[0].1,
                mean_ns: p50 as f64,
                stdev_ns: 1.0,
                p50_ns: spectrum[1].1,
                p90_ns: spectrum[2].1,
                p99_ns: spectrum[3].1,
                p999_ns: spectrum[4].1,
                max_ns: spectrum[7].1,
                spectrum,
                hdr_base64: None,
            }),
            ops_checked: 1000,
            server_cpu_ns_per_op: Some(8_000.0),
            extra: BTreeMap::new(),
            open_loop: None,
            work: None,
            round: 1,
            server_cores: 1,
            generator_threads: 1,
            interference: None,
        })
        .unwrap();
    }
    dir
}

#[test]
fn twelve_runtimes_reach_every_chart_with_one_colour_each() {
    let results = write_run();
    let _cleanup = common::Cleanup(results.clone());
    let out = common::out_dir("many-out");
    let _cleanup_out = common::Cleanup(out.clone());
    let r = render(&Options {
        results,
        out: out.clone(),
        baseline: None,
        cargo_lock: None,
    })
    .unwrap();
    assert!(r.problems.is_empty());
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let colours: BTreeMap<String, String> = json["runtimes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().into(),
                r["colour"].as_str().unwrap().to_uppercase(),
            )
        })
        .collect();
    assert_eq!(colours.len(), 12);
    let distinct: std::collections::BTreeSet<_> = colours.values().collect();
    assert_eq!(distinct.len(), 12, "twelve runtimes, twelve colours");
    let svgs: Vec<_> = r
        .files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "svg"))
        .collect();
    assert_eq!(svgs.len(), 2, "throughput and spectrum");
    for f in svgs {
        let svg = std::fs::read_to_string(f).unwrap().to_uppercase();
        for (name, colour) in &colours {
            assert!(
                svg.contains(&name.to_uppercase()),
                "{name} in {}",
                f.display()
            );
            assert!(
                svg.contains(colour.as_str()),
                "{name}'s colour {colour} in {}",
                f.display()
            );
        }
    }
}
