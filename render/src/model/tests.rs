//! The model's unit tests.

use super::names::{case_title, missing, natural_cmp, non_positive_estimates, slug};
use super::rounds::throughput;
use super::types::*;
use crate::read::LoadedRun;
use rtbench_format::{BenchResult, Estimate, Status};
use std::collections::BTreeMap;

#[test]
fn natural_order_reads_numbers() {
    let mut v = vec!["1024B-16c", "64B-1c", "64B-16c", "64B-2c", ""];
    v.sort_by(|a, b| natural_cmp(a, b));
    assert_eq!(v, ["", "64B-1c", "64B-2c", "64B-16c", "1024B-16c"]);
}

#[test]
fn slugs_are_file_and_id_safe() {
    assert_eq!(
        slug("echo-64B-16c-N workers work-stealing-split"),
        "echo-64b-16c-n-workers-work-stealing-split"
    );
    assert_eq!(slug("<a>&\"x\""), "a-x");
}

#[test]
fn titles_spell_the_sweep() {
    let p: BTreeMap<String, f64> =
        [("msg_bytes".into(), 64.0), ("connections".into(), 16.0)].into();
    assert_eq!(
        case_title("echo", "64B-16c", &p),
        "echo 64 B × 16 connections"
    );
    assert_eq!(
        case_title("timers", "sleep-50us", &BTreeMap::new()),
        "timers sleep-50us"
    );
    let p: BTreeMap<String, f64> =
        [("msg_bytes".into(), 64.0), ("connections".into(), 32.0)].into();
    assert_eq!(
        case_title("work", "hot-connections-64B-32c", &p),
        "work hot-connections, 64 B × 32 connections"
    );
    assert_eq!(work_mix("hot-connections-64B-32c"), "hot-connections");
    assert_eq!(work_mix("uniform-64B-32c"), "uniform");
}

/// A measured result whose estimate is zero or below has no throughput:
/// the report says so instead of dropping it silently.
#[test]
fn non_positive_estimates_are_named() {
    let with = |runtime: &str, mean_ns: f64| BenchResult {
        ops_per_iter: 1.0,
        estimate: Some(Estimate {
            mean_ns,
            mean_lower_ns: mean_ns,
            mean_upper_ns: mean_ns,
            median_ns: mean_ns,
            samples: 10,
        }),
        ..BenchResult::blank("fan_out", runtime, "spawn-1000", 1)
    };
    let failed = BenchResult {
        status: Status::Failed,
        ..with("smol-mt", 0.0)
    };
    let benches = [
        with("tokio-ct", 120.0),
        with("tokio-mt", 0.0),
        with("compio", -5.0),
        failed,
    ];
    let notes = non_positive_estimates(&benches);
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[0].starts_with("fan_out/tokio-mt/spawn-1000 records a mean of 0 ns"));
    assert!(notes[1].contains("compio") && notes[1].contains("left out"));
    assert!(throughput(&benches[1]).is_none() && throughput(&benches[0]).is_some());
}

/// With the run's selection recorded, missing is what it asked for and
/// has no result of, whatever other runtimes exist.
#[test]
fn missing_is_what_was_selected_and_absent() {
    let run = LoadedRun {
        dir: std::path::PathBuf::from("run"),
        meta: None,
        benches: vec![BenchResult::blank("fan_out", "tokio-ct", "spawn-1000", 1)],
        problems: Vec::new(),
        selected: ["spawn-1000", "tree-10x5"]
            .map(|c| format!("fan_out/tokio-ct/{c}"))
            .to_vec(),
    };
    let other = RuntimeInfo {
        name: "tokio-mt".into(),
        colour: PALETTE[0].into(),
        status: RuntimeStatus::Available,
        reason: None,
        description: None,
    };
    let m = missing(&run, std::slice::from_ref(&other));
    let ids: Vec<String> = m
        .iter()
        .map(|m| format!("{}/{}/{}", m.workload, m.runtime, m.case))
        .collect();
    assert_eq!(ids, ["fan_out/tokio-ct/tree-10x5"]);
    assert!(m[0].rounds.is_empty());
    // Per round: an id without round 2 while its workload has one.
    let mut rounds = LoadedRun {
        benches: vec![
            BenchResult::blank("fan_out", "tokio-ct", "spawn-1000", 1),
            BenchResult::blank("fan_out", "tokio-ct", "spawn-1000", 2),
            BenchResult::blank("fan_out", "tokio-ct", "tree-10x5", 1),
            BenchResult::blank("latency", "tokio-ct", "64B-16c", 1),
        ],
        selected: run.selected.clone(),
        dir: run.dir.clone(),
        meta: None,
        problems: Vec::new(),
    };
    rounds.selected.push("latency/tokio-ct/64B-16c".into());
    let m = missing(&rounds, &[]);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(
        (m[0].case.as_str(), &m[0].rounds[..]),
        ("tree-10x5", &[2][..])
    );
    // Without a selection, the old rule: an available runtime absent from a case.
    let unrecorded = LoadedRun {
        selected: Vec::new(),
        ..run
    };
    assert_eq!(missing(&unrecorded, &[other]).len(), 1);
}
