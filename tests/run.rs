//! `rtbench run` as a user runs it: the suite goes on past a benchmark that
//! hangs or crashes, records both, and the report shows them. The faults are
//! the benches' test-only `RTBENCH_TEST_FAULT` switch, not runtime bugs.

use std::path::PathBuf;
use std::process::Command;

/// `rtbench run --quick ARGS` into a fresh results folder, which must
/// succeed (`ok`) or fail (a run with a hung or crashed benchmark exits
/// non-zero): the folder (kept while the guard lives), the run's folder in
/// it, and what it said.
fn run_quick(
    args: &[&str],
    env: &[(&str, &str)],
    ok: bool,
) -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rtbench"))
        .args(["run", "--quick"])
        .args(args)
        .arg("--results")
        .arg(dir.path())
        .envs(env.iter().copied())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run rtbench");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.success(), ok, "{stderr}");
    let run = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.join("meta.json").is_file())
        .expect("a run folder");
    (dir, run, stderr)
}

#[test]
fn the_watchdog_records_hung_and_crashed_and_the_run_goes_on() {
    let (_dir, run, stderr) = run_quick(
        &["--bench", "timers", "--watchdog", "3s", "timers/os-sleep"],
        &[(
            "RTBENCH_TEST_FAULT",
            "hang:timers/os-sleep/sleep-1ms,abort:timers/os-sleep-slack1ns/sleep-1ms",
        )],
        false,
    );
    let result = |id: &str| -> serde_json::Value {
        let file = run.join("bench").join(rtbench_format::bench_file_name(id));
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap()
    };
    let hung = result("timers/os-sleep/sleep-1ms");
    assert_eq!(hung["status"], "hung", "{hung}");
    assert!(hung["error"].as_str().unwrap().contains("watchdog"));
    let crashed = result("timers/os-sleep-slack1ns/sleep-1ms");
    assert_eq!(crashed["status"], "crashed", "{crashed}");
    assert!(crashed["error"].as_str().unwrap().contains("SIGABRT"));
    // The run went on: the benchmarks before the faults in each process, and
    // the other processes, have their results.
    assert_eq!(result("timers/os-sleep/sleep-50us")["status"], "ok");
    assert_eq!(
        result("timers/os-sleep-slack1ns/sleep-50us")["status"],
        "ok"
    );
    let html = std::fs::read_to_string(run.join("report/index.html")).unwrap();
    assert!(html.contains("hung") && html.contains("crashed"));
    assert!(
        stderr.contains("HUNG") && stderr.contains("CRASHED"),
        "{stderr}"
    );
}

/// The work bench as the suite runs it: its result records the server cores,
/// the generator's threads and CPUs, the mix and the run's one calibration,
/// every step the generator's CPU, its sweep runs 25, 50, 80 and 100% (up to
/// a step that fell behind), and the report has its section.
#[test]
fn a_work_result_carries_its_topology_generator_and_costs() {
    let (_dir, run, _) = run_quick(&["--bench", "work", "work/std-threads/skewed"], &[], true);
    let file = run.join("bench").join(rtbench_format::bench_file_name(
        "work/std-threads/skewed-64B-32c",
    ));
    let r: rtbench_format::BenchResult =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(r.status, rtbench_format::Status::Ok, "{:?}", r.error);
    let cpus = rtbench_runtimes::sys::allowed_cpus().len();
    let (server, generator) = rtbench_workloads::Placement::widest(cpus);
    assert_eq!(r.server_cores as usize, server);
    assert_eq!(r.generator_threads as usize, generator);
    assert_eq!(r.topology, rtbench_workloads::topology(server));
    let work = r.work.as_ref().expect("the work setup");
    assert_eq!(work.mix, "skewed");
    assert_eq!(work.generator_cpus.len(), generator);
    assert!((work.mean_us - 34.0).abs() < 1e-9);
    let refs = rtbench_format::RunDir { path: run.clone() }
        .read_references()
        .unwrap();
    let cal = refs.work_calibration.expect("the run's calibration");
    assert_eq!(cal.rounds_per_us, work.rounds_per_us);
    let o = r.open_loop.as_ref().expect("the sweep");
    assert!(o.steps.iter().all(|s| s.generator_cpu_ns_per_op.is_some()));
    // The sweep's rates in order, up to its first step that fell behind.
    let sweep: Vec<&rtbench_format::Step> = o.steps.iter().filter(|s| s.kind == "sweep").collect();
    let fractions: Vec<f64> = sweep.iter().map(|s| s.fraction).collect();
    assert!(!fractions.is_empty());
    assert_eq!(fractions, [0.25, 0.5, 0.8, 1.0][..fractions.len()]);
    assert!(
        fractions.len() == 4 || sweep.last().unwrap().behind,
        "{fractions:?}"
    );
    let md = std::fs::read_to_string(run.join("report/summary.md")).unwrap();
    assert!(md.contains("## Uneven work"), "{md}");
}
