//! Nothing lost, nothing silently wrong: every run gets a folder of its own,
//! a result that cannot be written fails the run and is named, a filtered run
//! reports only what it asked for, the console and the exit status say what
//! the results say, and a report is replaced whole or not at all.
//!
//! The faults are real: a full filesystem, a 1 ms watchdog, a server
//! killed while it serves.

#[path = "support/serve.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use support::{BIN, Serve, Stop, run_bounded, run_watching};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `rtbench run --quick ARGS --results RESULTS` from the workspace, whatever
/// its exit status (10 minutes at most).
fn run_quick(results: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    run_quick_watching(results, args, env, |_| {})
}

/// [`run_quick`], calling `watch` with the run's pid every 10 ms.
fn run_quick_watching(
    results: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    watch: impl FnMut(u32),
) -> Output {
    run_watching(
        Command::new(BIN)
            .args(["run", "--quick"])
            .args(args)
            .arg("--results")
            .arg(results)
            .envs(env.iter().copied())
            .current_dir(env!("CARGO_MANIFEST_DIR")),
        Duration::from_secs(600),
        watch,
    )
}

/// The processes below `root` (children, theirs, …) running `rtbench serve`.
fn servers_below(root: u32) -> Vec<i32> {
    let mut parent = std::collections::HashMap::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // After the command's `)`: state, then the parent's pid.
        let Some(ppid) = stat
            .rfind(')')
            .and_then(|i| stat[i + 2..].split(' ').nth(1))
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        parent.insert(pid, ppid);
    }
    let below = |mut pid: i32| {
        while let Some(&up) = parent.get(&pid) {
            if up == root as i32 {
                return true;
            }
            pid = up;
        }
        false
    };
    parent
        .keys()
        .copied()
        .filter(|&pid| below(pid))
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.split(|b| *b == 0).nth(1) == Some(b"serve"))
        })
        .collect()
}

/// The run folders (those with a meta.json) under `root`.
fn runs(root: &Path) -> Vec<PathBuf> {
    let mut runs: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("meta.json").is_file())
        .collect();
    runs.sort();
    runs
}

fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The ids a report's `results.json` lists as missing.
fn missing(results: &serde_json::Value) -> Vec<String> {
    results["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{}/{}/{}",
                m["workload"].as_str().unwrap(),
                m["runtime"].as_str().unwrap(),
                m["case"].as_str().unwrap()
            )
        })
        .collect()
}

/// Two loads started together, in the same second, keep both runs' results:
/// two folders, each with its own meta.json and result (one folder named by
/// the second held both before, the second result overwriting the first).
#[test]
fn two_loads_in_the_same_second_keep_both_runs() {
    let server = Serve::start(&[], &["std-threads"]);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("runs");
    let load = || {
        Command::new(BIN)
            .args(["load", "--addr", &server.addr, "--connections", "2"])
            .args(["--duration", "200ms", "--warmup", "50ms", "--results"])
            .arg(&root)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn rtbench load")
    };
    let (a, b) = (load(), load());
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let runs = runs(&root);
    assert_eq!(runs.len(), 2, "{runs:?}");
    for run in &runs {
        let benches: Vec<_> = std::fs::read_dir(run.join("bench")).unwrap().collect();
        assert_eq!(benches.len(), 1, "{}", run.display());
        let meta = json(&run.join("meta.json"));
        assert_eq!(
            meta["run_id"].as_str().unwrap(),
            run.file_name().unwrap().to_str().unwrap()
        );
    }
    let (status, _) = server.stop(Stop::CloseStdin);
    assert!(status.success());
}

/// `load --results` checks its output path before it measures: a path that
/// cannot hold a folder fails at once, not after the whole load.
#[test]
fn load_checks_its_results_folder_before_measuring() {
    let server = rtbench_workloads::std_server::StdEchoServer::start(&[0]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let started = Instant::now();
    let out = run_bounded(
        Command::new(BIN)
            .args(["load", "--addr", &server.addr().to_string()])
            .args(["--duration", "5s", "--warmup", "50ms", "--results"])
            .arg(&file),
        Duration::from_secs(60),
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("--results"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "failed only after {:?}: {stderr}",
        started.elapsed()
    );
}

/// A tmpfs mounted for one test, unmounted when dropped (also on failure).
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `size` at `at`; `Err` says why it could not.
    fn mount(at: &Path, size: &str) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(at).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!("mount failed: {}", text(&out.stderr).trim()));
        }
        Ok(Tmpfs(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            // Busy (a child still running): detach it now, freed when idle.
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

/// Results on a filesystem too small for them: the benchmark's result is
/// lost, so the run fails (non-zero), says which, and the report rendered
/// elsewhere lists it as missing. Before, the console said "ok" and the run
/// exited 0 with the result nowhere.
#[test]
fn results_on_a_full_filesystem_fail_the_run_and_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = match Tmpfs::mount(&dir.path().join("tiny"), "16k") {
        Ok(t) => t,
        Err(why) => {
            eprintln!("skipped: no tmpfs to fill ({why})");
            return;
        }
    };
    let id = "timers/os-sleep/sleep-50us";
    let report = dir.path().join("report");
    let report_arg = report.display().to_string();
    let out = run_quick(
        &tiny.0,
        &["--bench", "timers", "--out", &report_arg, id],
        &[],
    );
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    // The report, when it could be rendered, lists the lost id as missing;
    // the error names it either way.
    if report.join("results.json").is_file() {
        let results = json(&report.join("results.json"));
        assert_eq!(missing(&results), [id], "{stderr}");
    }
    let last = stderr.trim_end().lines().last().unwrap_or_default();
    assert!(last.starts_with("error: "), "{stderr}");
    assert!(stderr.contains(&format!("  {id} (round 1): ")), "{stderr}");
    drop(tiny);
}

/// A run filtered to one benchmark succeeds, says `ok`, and its report calls
/// nothing missing: before, every other runtime was "missing" from the case.
#[test]
fn a_filtered_run_reports_nothing_missing() {
    let dir = tempfile::tempdir().unwrap();
    let id = "timers/os-sleep/sleep-50us";
    // A shell's leftovers are not the run's: `RTBENCH_FULL` does not widen
    // a quick run, nor does another run's round reach its processes.
    let leftovers = [("RTBENCH_FULL", "1"), ("RTBENCH_ROUND", "abc")];
    let out = run_quick(dir.path(), &["--bench", "timers", id], &leftovers);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let [run] = &runs(dir.path())[..] else {
        panic!("not one run folder: {stderr}")
    };
    let meta = json(&run.join("meta.json"));
    assert_eq!(meta["selected"], serde_json::json!([id]));
    assert_eq!(meta["mode"], "quick");
    let results = json(&run.join("report/results.json"));
    assert!(missing(&results).is_empty(), "{}", results["missing"]);
    let line = stderr
        .lines()
        .find(|l| l.contains("round 1/1") && l.contains("os-sleep"))
        .unwrap_or_else(|| panic!("no console line for the group: {stderr}"));
    assert!(line.contains(" ok ("), "{line}");
}

/// A group whose server is killed while it serves (every `rtbench serve`
/// below the run, as soon as it appears) says `failed` on the console, and
/// the run exits non-zero after rendering a report that lists the failure.
/// Before, the console said "ok" (its process exited 0) and so did the run.
#[test]
fn the_console_says_failed_for_a_killed_server() {
    let dir = tempfile::tempdir().unwrap();
    let id = "echo/tokio-ct/64B-1c";
    let mut killed = 0;
    let out = run_quick_watching(dir.path(), &["--bench", "echo", id], &[], |run| {
        for pid in servers_below(run) {
            // SAFETY: kill(2) of a process below our own child.
            if unsafe { libc::kill(pid, libc::SIGKILL) } == 0 {
                killed += 1;
            }
        }
    });
    let stderr = text(&out.stderr);
    assert!(killed > 0, "no server to kill: {stderr}");
    assert!(!out.status.success(), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.contains("round 1/1") && l.contains("tokio-ct"))
        .unwrap_or_else(|| panic!("no console line for the group: {stderr}"));
    assert!(line.contains("1 failed"), "{line}");
    assert!(!line.contains(" ok"), "{line}");
    let [run] = &runs(dir.path())[..] else {
        panic!("not one run folder: {stderr}")
    };
    let results = json(&run.join("report/results.json"));
    let failures = results["failures"].as_array().unwrap();
    assert!(failures.iter().any(|f| f["id"] == id), "{failures:?}");
}

/// A watchdog too short for anything: every group is killed as hung, and a
/// run in which nothing measured exits non-zero (it exited 0 before).
#[test]
fn a_run_where_everything_hangs_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_quick(
        dir.path(),
        &["--bench", "timers", "--watchdog", "1ms", "timers/os-sleep/"],
        &[],
    );
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("HUNG"), "{stderr}");
    let groups: Vec<&str> = stderr.lines().filter(|l| l.contains("round 1/1")).collect();
    assert!(!groups.is_empty(), "{stderr}");
    assert!(groups.iter().all(|l| !l.contains(" ok (")), "{groups:?}");
}

/// `rtbench report --out D` replaces D's report whole: a render that cannot
/// finish there leaves D as it was, one that can leaves only the new report
/// (stale charts gone) beside D's own files. Here D's `results.json` is a
/// folder, on which the old in-place render failed after writing the new
/// charts and page beside the old ones.
#[test]
fn report_out_is_replaced_whole() {
    let server = rtbench_workloads::std_server::StdEchoServer::start(&[0]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("runs");
    for connections in ["1", "2"] {
        let out = run_bounded(
            Command::new(BIN)
                .args(["load", "--addr", &server.addr().to_string()])
                .args(["--connections", connections])
                .args(["--duration", "200ms", "--warmup", "50ms", "--results"])
                .arg(&root),
            Duration::from_secs(60),
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let [first, second] = &runs(&root)[..] else {
        panic!("not two runs")
    };
    let d = dir.path().join("report");
    let render = |run: &Path| {
        run_bounded(
            Command::new(BIN)
                .arg("report")
                .arg("--results")
                .arg(run)
                .arg("--out")
                .arg(&d),
            Duration::from_secs(60),
        )
    };
    let out = render(first);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(d.join("README.md"), "mine").unwrap();
    std::fs::write(d.join("stale-chart.svg"), "<svg/>").unwrap();
    std::fs::remove_file(d.join("results.json")).unwrap();
    std::fs::create_dir(d.join("results.json")).unwrap();
    let listing = |d: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = listing(&d);
    let page_before = std::fs::read_to_string(d.join("index.html")).unwrap();
    let out = render(second);
    if out.status.success() {
        let results = json(&d.join("results.json"));
        let id = second.file_name().unwrap().to_str().unwrap();
        assert_eq!(results["run"]["run_id"], id);
        assert!(!d.join("stale-chart.svg").exists());
        assert_eq!(
            std::fs::read_to_string(d.join("README.md")).unwrap(),
            "mine"
        );
        assert!(d.join("index.html").is_file());
    } else {
        assert_eq!(listing(&d), before, "{}", text(&out.stderr));
        assert_eq!(
            std::fs::read_to_string(d.join("index.html")).unwrap(),
            page_before
        );
    }
    // Nothing of the swap is left beside it.
    let leftovers: Vec<String> = listing(dir.path())
        .into_iter()
        .filter(|n| n.starts_with(".report."))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A run interrupted (SIGINT) after its first result keeps its seed, its
/// orders and what it asked for in meta.json, written before the first
/// process; the report renders what was measured and lists the rest as
/// missing. Before, meta.json was completed only at the end: seed null,
/// orders empty, nothing missing.
#[test]
fn an_interrupted_run_keeps_its_seed_and_selection() {
    let dir = tempfile::tempdir().unwrap();
    let mut interrupted = false;
    let out = run_quick_watching(
        dir.path(),
        &["--bench", "timers", "--seed", "7", "timers/"],
        &[],
        |pid| {
            let written = runs(dir.path())
                .iter()
                .any(|r| std::fs::read_dir(r.join("bench")).is_ok_and(|mut d| d.next().is_some()));
            if written && !interrupted {
                // SAFETY: kill(2) of our own child.
                unsafe { libc::kill(pid as i32, libc::SIGINT) };
                interrupted = true;
            }
        },
    );
    assert!(interrupted, "no result written: {}", text(&out.stderr));
    assert!(!out.status.success());
    let [run] = &runs(dir.path())[..] else {
        panic!("not one run folder")
    };
    let meta = json(&run.join("meta.json"));
    assert_eq!(meta["seed"], 7, "{meta}");
    assert_eq!(meta["orders"].as_array().map(Vec::len), Some(1), "{meta}");
    let selected = meta["selected"].as_array().unwrap().len();
    let report = run_bounded(
        Command::new(BIN)
            .args(["report", "--results"])
            .arg(run)
            .current_dir(env!("CARGO_MANIFEST_DIR")),
        Duration::from_secs(60),
    );
    assert!(report.status.success(), "{}", text(&report.stderr));
    let results = json(&run.join("report/results.json"));
    let missing = missing(&results).len();
    assert!(missing > 0 && missing < selected, "{missing} of {selected}");
}
