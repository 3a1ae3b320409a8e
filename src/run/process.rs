//! The run's processes: building the benches, listing each one's ids into
//! groups, and running a group's process under the watchdog with its log.

use anyhow::{Context, bail};
use indicatif::ProgressBar;
use rtbench_format::Workload;
use rtbench_harness::errln;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One process: a bench target's benchmarks of one runtime (of every
/// runtime, `all`, for an interleaved bench).
#[derive(Debug, Clone)]
pub(super) struct Group {
    pub(super) bench: Workload,
    pub(super) exe: PathBuf,
    pub(super) runtime: String,
    pub(super) ids: Vec<String>,
    /// What the process is given as its filter.
    pub(super) filter: String,
}

impl Group {
    pub(super) fn interleaved(&self) -> bool {
        self.bench.interleaved()
    }
}

/// The variables `rtbench run` sets for its bench processes, removed from
/// what they inherit first: the run's mode is `--quick`/`--full` alone (an
/// `RTBENCH_FULL` left in the shell would widen a quick run's matrix), and
/// a run id, round or results root of another run is not this one's.
pub(super) trait RunEnv {
    fn env_clear_run(&mut self) -> &mut Self;
}

impl RunEnv for Command {
    fn env_clear_run(&mut self) -> &mut Self {
        for var in [
            "RTBENCH_QUICK",
            "RTBENCH_FULL",
            "RTBENCH_RUN_ID",
            "RTBENCH_ROUND",
            "RTBENCH_RESULTS_DIR",
            "RTBENCH_SEED",
        ] {
            self.env_remove(var);
        }
        self
    }
}

/// What a group's process did.
pub(super) enum Outcome {
    Exited(ExitStatus),
    Hung { id: Option<String> },
}

/// Builds the bench targets (release, as `cargo bench` does) and returns each
/// one's executable.
pub(super) fn build_benches() -> anyhow::Result<BTreeMap<String, PathBuf>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    errln!("rtbench: building the benches (cargo bench --no-run)");
    let out = Command::new(cargo)
        .args([
            "bench",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(Stdio::inherit())
        .output()
        .context("cannot start cargo")?;
    if !out.status.success() {
        bail!("cargo bench --no-run failed");
    }
    let mut exes = BTreeMap::new();
    for line in out.stdout.split(|&b| b == b'\n') {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(line) else {
            continue;
        };
        let is_bench = v["target"]["kind"]
            .as_array()
            .is_some_and(|k| k.iter().any(|k| k == "bench"));
        if let (true, Some(name), Some(exe)) = (
            is_bench,
            v["target"]["name"].as_str(),
            v["executable"].as_str(),
        ) {
            exes.insert(name.to_string(), PathBuf::from(exe));
        }
    }
    Ok(exes)
}

/// The bench's benchmark ids (its own `--list`), grouped by runtime.
pub(super) fn list_groups(
    bench: Workload,
    exe: &Path,
    mode_env: &[(&str, &str)],
    filter: Option<&str>,
) -> anyhow::Result<Vec<Group>> {
    let out = Command::new(exe)
        .args(["--bench", "--list"])
        .env_clear_run()
        .envs(mode_env.iter().copied())
        .stderr(Stdio::null())
        .output()
        .with_context(|| format!("cannot list {}", exe.display()))?;
    let mut by_runtime: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some(id) = line.strip_suffix(": benchmark") else {
            continue;
        };
        if filter.is_some_and(|f| !id.contains(f)) {
            continue;
        }
        if let Some(runtime) = id.split('/').nth(1) {
            by_runtime
                .entry(runtime.to_string())
                .or_default()
                .push(id.to_string());
        }
    }
    let group = |runtime: String, ids: Vec<String>, filter: String| Group {
        bench,
        exe: exe.to_path_buf(),
        runtime,
        ids,
        filter,
    };
    if bench.interleaved() {
        let ids: Vec<String> = by_runtime.into_values().flatten().collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // The bench applies the user's filter to its own ids, as listed here.
        let filter = filter.map_or(format!("{bench}/"), regex::escape);
        return Ok(vec![group("all".into(), ids, filter)]);
    }
    Ok(by_runtime
        .into_iter()
        .map(|(runtime, ids)| {
            let filter = match filter {
                // Exactly the ids the user's filter selected, not every case
                // of the runtime: the run measures and reports what it asked.
                Some(_) => {
                    let ids: Vec<String> = ids.iter().map(|id| regex::escape(id)).collect();
                    format!("^(?:{})$", ids.join("|"))
                }
                None => format!("{bench}/{runtime}/"),
            };
            group(runtime, ids, filter)
        })
        .collect())
}

/// Runs one group's process, its output appended to `log`; kills it (its
/// whole process group) after `watchdog` without a line of output. Returns
/// what it did and the ids whose results it said it could not write, with
/// the error (read from its output as it runs: the log may be on the same
/// full disk).
pub(super) fn run_group(
    g: &Group,
    mode_env: &[(&str, &str)],
    env: &[(&str, String); 4],
    log: &Path,
    watchdog: Duration,
    bar: &ProgressBar,
    done_before: u64,
) -> anyhow::Result<(Outcome, BTreeMap<String, String>, Option<String>)> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| log.display().to_string())?;
    let mut child = Command::new(&g.exe)
        .args(["--bench", &g.filter])
        .env_clear_run()
        .envs(mode_env.iter().copied())
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .with_context(|| format!("cannot start {}", g.exe.display()))?;
    // Last output time, the benchmark now running, benchmarks finished.
    let state = Arc::new(Mutex::new((Instant::now(), None::<String>, 0u64)));
    let lost = Arc::new(Mutex::new(BTreeMap::<String, String>::new()));
    // The process's own last word on why it failed (`error: …`).
    let said = Arc::new(Mutex::new(None::<String>));
    let log = Arc::new(Mutex::new(file));
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|pipe| {
        let (state, log, lost, said) = (state.clone(), log.clone(), lost.clone(), said.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let _ = writeln!(log.lock().unwrap_or_else(|e| e.into_inner()), "{line}");
                if let Some(e) = line.strip_prefix("error: ") {
                    *said.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.to_string());
                }
                if let Some((id, e)) = line
                    .strip_prefix("rtbench: cannot write results of ")
                    .and_then(|rest| rest.split_once(": "))
                {
                    let mut lost = lost.lock().unwrap_or_else(|e| e.into_inner());
                    lost.insert(id.to_string(), e.to_string());
                }
                let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                s.0 = Instant::now();
                if let Some(id) = started(&line) {
                    s.1 = Some(id);
                }
                if finished(&line) {
                    s.2 += 1;
                }
            }
        })
    })
    .collect();
    let outcome = loop {
        if let Some(status) = child.try_wait()? {
            break Outcome::Exited(status);
        }
        let (quiet, id, done) = {
            let s = state.lock().unwrap_or_else(|e| e.into_inner());
            (s.0.elapsed(), s.1.clone(), s.2)
        };
        bar.set_position(done_before + done.min(g.ids.len() as u64));
        bar.set_message(
            id.clone()
                .unwrap_or_else(|| format!("{} {}", g.bench, g.runtime)),
        );
        if quiet >= watchdog {
            // SAFETY: plain syscall; the child leads its own process group.
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            let _ = child.wait();
            break Outcome::Hung { id };
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    for r in readers {
        let _ = r.join();
    }
    let lost = std::mem::take(&mut *lost.lock().unwrap_or_else(|e| e.into_inner()));
    let said = said.lock().unwrap_or_else(|e| e.into_inner()).take();
    Ok((outcome, lost, said))
}

/// The id a line says is starting: criterion's `Benchmarking <id>`, the
/// latency bench's `Testing <id>` / `Measuring <id>`.
pub(super) fn started(line: &str) -> Option<String> {
    let rest = line
        .strip_prefix("Benchmarking ")
        .or_else(|| line.strip_prefix("Testing "))
        .or_else(|| line.strip_prefix("rtbench: measuring "))?;
    let id = rest.split(':').next()?.trim();
    (id.split('/').count() == 3).then(|| id.to_string())
}

/// Whether a line says a benchmark finished (criterion's analysis, or the
/// open-loop benches' result line).
pub(super) fn finished(line: &str) -> bool {
    (line.starts_with("Benchmarking ") && line.ends_with(": Analyzing"))
        || (line.starts_with("rtbench: ")
            && line
                .split(' ')
                .nth(1)
                .is_some_and(|id| id.split('/').count() == 3)
            && line.contains(": capacity "))
        || line.contains(" skipped: ")
}

/// The last benchmark the log says started.
pub(super) fn last_started(log: &Path) -> Option<String> {
    let text = std::fs::read_to_string(log).ok()?;
    text.lines().rev().find_map(started)
}

pub(super) fn signal_text(sig: i32) -> String {
    let name = match sig {
        libc::SIGABRT => "SIGABRT",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGKILL => "SIGKILL",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGTERM => "SIGTERM",
        _ => "signal",
    };
    format!("killed by signal {sig} ({name})")
}
