//! `rtbench run` as a user runs it: the suite goes on past a benchmark that
//! hangs or crashes, records both, and the report shows them. The faults are
//! the benches' test-only `RTBENCH_TEST_FAULT` switch, not runtime bugs.

use std::process::Command;

#[test]
fn the_watchdog_records_hung_and_crashed_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rtbench"))
        .args(["run", "--quick", "--bench", "timers", "--watchdog", "3s"])
        .arg("--results")
        .arg(dir.path())
        .arg("timers/os-sleep")
        .env(
            "RTBENCH_TEST_FAULT",
            "hang:timers/os-sleep/sleep-1ms,abort:timers/os-sleep-slack1ns/sleep-1ms",
        )
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run rtbench");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let run = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.join("meta.json").is_file())
        .expect("a run folder");
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
