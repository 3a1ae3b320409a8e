//! `rtbench run`: the whole suite, a process per (bench, runtime) group, K
//! rounds in a shuffled runtime order, under a watchdog, with a progress bar,
//! a log per process, a summary, and the report rendered into the run folder.
//!
//! A process per group keeps what one runtime leaves behind (async-std's
//! process-wide pool, allocator state, idle threads) from taxing the next,
//! and lets a hang or a crash cost one group instead of the suite.

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rtbench_format::{
    BenchResult, CpuProbe, Description, MachineNoise, RunDir, RunMeta, RunMode, Status, Workload,
};
use rtbench_harness::errln;
use rtbench_workloads::interference::{Others, cpu_probe};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// How long a benchmark process may print nothing (`--watchdog`).
const WATCHDOG: Duration = Duration::from_secs(120);

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The CI-sized run (`RTBENCH_QUICK=1`): one round by default.
    #[arg(long, conflicts_with = "full")]
    quick: bool,
    /// The widest matrix (`RTBENCH_FULL=1`).
    #[arg(long)]
    full: bool,
    /// Repeat the whole matrix this many times, 1 to 1000 (default: 1 quick,
    /// 6 otherwise; the interleaved benches run once, their trials being
    /// their repetitions).
    #[arg(long, value_parser = |s: &str| crate::input::count(1, 1000)(s).map(|n| n as u32))]
    rounds: Option<u32>,
    /// Seed of the runtime order shuffle, or `RTBENCH_SEED` (default: from
    /// the clock; recorded).
    #[arg(long, value_parser = crate::input::seed)]
    seed: Option<u64>,
    /// Kill a benchmark process that prints nothing for this long (recorded
    /// as hung): seconds or e.g. 120s, 5m; above 0, up to 1 day. Or
    /// `RTBENCH_WATCHDOG`; default 120s.
    #[arg(long, value_parser = crate::input::positive_duration)]
    watchdog: Option<Duration>,
    /// Root of the run folders, or `RTBENCH_RESULTS_DIR`; default
    /// target/rtbench.
    #[arg(long)]
    results: Option<PathBuf>,
    /// Also render the report here (the committed one is `reports/`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also render into `reports/`: `--out reports`.
    #[arg(long, conflicts_with = "out")]
    publish: bool,
    /// Only these bench targets, comma-separated (echo, fan_out, timers, latency, work).
    #[arg(long, value_delimiter = ',', value_parser = workload)]
    bench: Vec<Workload>,
    /// Only benchmark ids containing this, e.g. `echo/tokio` or `/64B-16c`.
    filter: Option<String>,
}

/// One process: a bench target's benchmarks of one runtime (of every
/// runtime, `all`, for an interleaved bench).
#[derive(Debug, Clone)]
struct Group {
    bench: Workload,
    exe: PathBuf,
    runtime: String,
    ids: Vec<String>,
    /// What the process is given as its filter.
    filter: String,
}

impl Group {
    fn interleaved(&self) -> bool {
        self.bench.interleaved()
    }
}

/// The variables `rtbench run` sets for its bench processes, removed from
/// what they inherit first: the run's mode is `--quick`/`--full` alone (an
/// `RTBENCH_FULL` left in the shell would widen a quick run's matrix), and
/// a run id, round or results root of another run is not this one's.
trait RunEnv {
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

/// A `--bench` name: one of the workloads.
fn workload(s: &str) -> Result<Workload, String> {
    s.parse().map_err(|_| {
        let names: Vec<&str> = Workload::ALL.iter().map(|w| w.as_str()).collect();
        format!("expected one of {}", names.join(", "))
    })
}

/// What a group's process did.
enum Outcome {
    Exited(ExitStatus),
    Hung { id: Option<String> },
}

pub fn run(a: RunArgs) -> anyhow::Result<()> {
    // Every variable the bench processes will read, parsed as they parse
    // it, before anything is built: a bad one is this process's error.
    rtbench_harness::vars::check().map_err(crate::input::Usage)?;
    // The flags' variables, read here (not by clap) so that a bad one is
    // reported by its own name, not as the flag's.
    let watchdog = match a.watchdog {
        Some(w) => w,
        None => crate::input::var("RTBENCH_WATCHDOG", crate::input::positive_duration)?
            .unwrap_or(WATCHDOG),
    };
    let seed = match a.seed {
        Some(s) => Some(s),
        None => crate::input::var("RTBENCH_SEED", crate::input::seed)?,
    };
    let results = match &a.results {
        Some(r) => r.clone(),
        None => crate::input::var("RTBENCH_RESULTS_DIR", |s| Ok(PathBuf::from(s)))?
            .unwrap_or_else(|| PathBuf::from("target/rtbench")),
    };
    let root = std::env::current_dir()?.join(results);
    let mode_env: Vec<(&str, &str)> = if a.quick {
        vec![("RTBENCH_QUICK", "1")]
    } else if a.full {
        vec![("RTBENCH_FULL", "1")]
    } else {
        vec![]
    };
    let rounds = a.rounds.unwrap_or(if a.quick { 1 } else { 6 });
    if rounds == 0 {
        bail!("--rounds must be at least 1");
    }
    let seed = seed.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    // Where the report goes, tried before anything is built or measured.
    let mut outs = Vec::new();
    if a.publish {
        outs.push(PathBuf::from("reports"));
    }
    outs.extend(a.out.clone());
    for out in &outs {
        rtbench_render::check_out(out)
            .map_err(|e| crate::input::Usage(format!("--out {}: {e}", out.display())))?;
    }
    let exes = build_benches()?;
    let wanted: Vec<Workload> = Workload::run_order()
        .into_iter()
        .filter(|b| a.bench.is_empty() || a.bench.contains(b))
        .collect();
    let mut groups = Vec::new();
    for bench in wanted {
        let exe = exes
            .get(bench.as_str())
            .with_context(|| format!("cargo built no `{bench}` bench"))?;
        groups.extend(list_groups(bench, exe, &mode_env, a.filter.as_deref())?);
    }
    if groups.is_empty() {
        bail!("no benchmark matches the filter");
    }
    // A folder of its own, created exclusively (never another run's).
    let run = RunDir::create_new(&root, &std::process::id().to_string())
        .with_context(|| format!("cannot create a run folder in {}", root.display()))?;
    let run_id = run.id();
    // What the run asks for: the report calls what is absent of it missing.
    let selected: Vec<String> = groups.iter().flat_map(|g| g.ids.clone()).collect();
    // Every round's runtime order, from the seed.
    let runtimes: Vec<String> = groups
        .iter()
        .filter(|g| !g.interleaved())
        .map(|g| g.runtime.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let orders: Vec<Vec<String>> = (1..=rounds)
        .map(|round| {
            let mut order = runtimes.clone();
            order.shuffle(&mut SmallRng::seed_from_u64(
                seed.wrapping_add(u64::from(round)),
            ));
            order
        })
        .collect();
    // meta.json before the first process: an interrupted run keeps its
    // seed, orders and selection, and a disk that cannot take it stops the
    // run here, saying why.
    let placement = rtbench_harness::vars::placement(groups[0].bench.as_str())
        .map_err(crate::input::Usage)?
        .2;
    let mode = match mode_env.first() {
        Some(("RTBENCH_QUICK", _)) => RunMode::Quick,
        Some(_) => RunMode::Full,
        None => RunMode::Default,
    };
    let meta = RunMeta {
        rounds,
        seed: Some(seed),
        orders: orders.clone(),
        selected: selected.clone(),
        ..rtbench_harness::new_meta(&run_id, mode, placement.name())
    };
    run.write_meta(&meta)
        .with_context(|| format!("cannot write {}", run.meta_path().display()))?;
    let logs = run.path.join("logs");
    std::fs::create_dir_all(&logs).with_context(|| logs.display().to_string())?;
    let per_round: usize = groups.iter().map(|g| g.ids.len()).sum();
    let once: usize = groups
        .iter()
        .filter(|g| g.interleaved())
        .map(|g| g.ids.len())
        .sum();
    let total = (per_round - once) as u64 * u64::from(rounds) + once as u64;
    errln!(
        "rtbench: run {run_id}: {} benchmarks in {} processes × {rounds} round(s), seed {seed}; logs in {}",
        per_round,
        groups.len(),
        logs.display()
    );
    // The machine's noise on every CPU the benchmarks may use: a probe at the
    // start and after each round, and who else ran there meanwhile.
    let run_start = Instant::now();
    let cpus = rtbench_runtimes::sys::allowed_cpus();
    let probe_time = Duration::from_secs_f64(if a.quick { 0.3 } else { 1.0 });
    let mut others = Others::new(&cpus, &[]);
    others.sample();
    let mut probes = cpu_probe(&cpus, probe_time, "start", run_start);
    errln!("rtbench: {}", probe_line(&probes));
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:32}] {pos}/{len} benchmarks, ETA {eta}  {msg}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    let say = |line: String| {
        if bar.is_hidden() {
            errln!("{line}");
        } else {
            bar.println(line);
        }
    };
    let mut done_before = 0u64;
    // Every asked-for result of every round that did not measure or skip.
    let mut bad: Vec<Bad> = Vec::new();
    for (round, order) in (1..=rounds).zip(&orders) {
        let rank: BTreeMap<&str, usize> = order
            .iter()
            .enumerate()
            .map(|(i, r)| (r.as_str(), i))
            .collect();
        let mut round_groups: Vec<Group> = groups
            .iter()
            .filter(|g| round == 1 || !g.interleaved())
            .cloned()
            .collect();
        round_groups.sort_by_key(|g| {
            (
                Workload::run_order().iter().position(|b| *b == g.bench),
                rank.get(g.runtime.as_str()).copied().unwrap_or(0),
            )
        });
        for g in &round_groups {
            let started = Instant::now();
            let env = [
                ("RTBENCH_RUN_ID", run_id.clone()),
                ("RTBENCH_RESULTS_DIR", root.display().to_string()),
                ("RTBENCH_ROUND", round.to_string()),
                (
                    "RTBENCH_SEED",
                    seed.wrapping_add(u64::from(round)).to_string(),
                ),
            ];
            let log = logs.join(format!("r{round}-{}-{}.log", g.bench, g.runtime));
            others.sample();
            let (outcome, lost, said) =
                run_group(g, &mode_env, &env, &log, watchdog, &bar, done_before)?;
            others.sample();
            let written = files_of(&run, g, round);
            let process = match &outcome {
                Outcome::Exited(s) if s.success() => None,
                Outcome::Exited(s) => Some(match s.signal() {
                    Some(sig) => {
                        let id = last_started(&log).filter(|id| !written.contains(id));
                        let why = signal_text(sig);
                        if let Err(e) = record(&run, g, round, id.as_deref(), Status::Crashed, &why)
                        {
                            say(format!("rtbench: {e:#}"));
                        }
                        format!("CRASHED ({why})")
                    }
                    None => match &said {
                        Some(e) => format!("exit {}: {e}", s.code().unwrap_or(-1)),
                        None => format!("exit {}", s.code().unwrap_or(-1)),
                    },
                }),
                Outcome::Hung { id } => {
                    let why = format!(
                        "no output for {}; killed by the watchdog",
                        humantime::format_duration(watchdog)
                    );
                    if let Err(e) = record(&run, g, round, id.as_deref(), Status::Hung, &why) {
                        say(format!("rtbench: {e:#}"));
                    }
                    Some(format!("HUNG ({why})"))
                }
            };
            // The console says what the results say.
            let tally = Tally::read(&run, g, round, &lost);
            let mut what = tally.line();
            if let Some(p) = &process {
                what = format!("{what}; {p}");
            }
            bad.extend(tally.bad(round));
            if tally.bad(round).is_empty() && process.is_some() {
                // Every result is there, yet the process failed: say so.
                bad.push(Bad {
                    id: format!("{}/{}", g.bench, g.runtime),
                    round,
                    what: process.clone().unwrap_or_default(),
                });
            }
            done_before += g.ids.len() as u64;
            bar.set_position(done_before);
            say(format!(
                "round {round}/{rounds} {:<8} {:<16} {what} ({:.1} s)",
                g.bench,
                g.runtime,
                started.elapsed().as_secs_f64()
            ));
        }
        let after = cpu_probe(
            &cpus,
            probe_time,
            &format!("after round {round}"),
            run_start,
        );
        others.sample();
        say(format!("after round {round}: {}", probe_line(&after)));
        probes.extend(after);
    }
    bar.finish_and_clear();
    // What went wrong with the run itself (beside its results): reported
    // after the report is rendered, and the run then exits non-zero.
    let mut errors: Vec<String> = Vec::new();
    match run.read_meta() {
        Ok(meta) => {
            let meta = RunMeta {
                rounds,
                seed: Some(seed),
                orders,
                noise: Some(MachineNoise {
                    probes,
                    others: others.top(10),
                    method: noise_method(&cpus, probe_time),
                }),
                selected: selected.clone(),
                ..meta
            };
            if let Err(e) = run.write_meta(&meta) {
                errors.push(format!("cannot write {}: {e}", run.meta_path().display()));
            }
        }
        Err(e) => errors.push(format!("the run has no readable meta.json ({e})")),
    }
    outs.insert(0, run.path.join("report"));
    let mut rendered = Vec::new();
    for out in &outs {
        match crate::report(run.path.clone(), out.clone(), None, false, Some(&selected)) {
            Ok(()) => rendered.push(out),
            Err(e) => errors.push(format!(
                "cannot render the report into {}: {e:#}",
                out.display()
            )),
        }
    }
    if let Some(out) = rendered.first() {
        if let Err(e) = summary(out) {
            errors.push(format!("{e:#}"));
        }
        errln!("report: {}", out.join("index.html").display());
    }
    if !bad.is_empty() {
        errln!(
            "\nrtbench: {} of the results asked for did not measure:",
            bad.len()
        );
        for b in &bad {
            errln!("  {} (round {}): {}", b.id, b.round, b.what);
        }
        errors.push(format!(
            "{} of {total} asked-for results did not measure ({})",
            bad.len(),
            Bad::counts(&bad)
        ));
    }
    if !errors.is_empty() {
        bail!("{}", errors.join("; "));
    }
    Ok(())
}

/// How meta.json's `noise` was measured.
fn noise_method(cpus: &[usize], probe_time: Duration) -> String {
    format!(
        "every task in /proc/*/task/* sampled before and after each benchmark process and \
         each CPU probe: CPU time (schedstat's sum_exec_runtime) since its previous sample, \
         counted when its last CPU (stat field 39) is one of {cpus:?}; this process, its \
         parent chain and its descendants left out; tasks that started and ended between \
         two samples are missed. Probes: one pinned thread per CPU spinning on \
         CLOCK_MONOTONIC for {} s, all at once; gaps over {} µs are lost time",
        probe_time.as_secs_f64(),
        rtbench_workloads::interference::GAP.as_micros()
    )
}

/// One asked-for result of one round that did not measure or skip.
struct Bad {
    id: String,
    round: u32,
    /// `failed: <error>`, `hung`, `missing (…)`, …
    what: String,
}

impl Bad {
    /// `2 failed, 1 hung`: how many of each kind.
    fn counts(bad: &[Bad]) -> String {
        let mut by: BTreeMap<&str, usize> = BTreeMap::new();
        for b in bad {
            let kind = b.what.split([' ', ':', ';']).next().unwrap_or("?");
            *by.entry(kind).or_default() += 1;
        }
        by.iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What the results files of one group's round say, id by id.
#[derive(Debug, Default)]
struct Tally {
    ok: usize,
    /// Skipped ids' reasons.
    skipped: Vec<String>,
    /// (id, status, error) of each result that failed, hung or crashed.
    broken: Vec<(String, Status, String)>,
    /// (id, why) of each id without a readable results file.
    missing: Vec<(String, String)>,
    /// Results that failed past their runtime's own task limit
    /// (`Runtime::MAX_LIVE_TASKS`): a finding the report shows, expected.
    limited: usize,
}

impl Tally {
    /// Reads the group's results of `round`; `lost` are the ids whose results
    /// the process said it could not write, with the error.
    fn read(run: &RunDir, g: &Group, round: u32, lost: &BTreeMap<String, String>) -> Tally {
        let mut t = Tally::default();
        for id in &g.ids {
            let path = run
                .bench_dir()
                .join(rtbench_format::bench_file_name_in_round(id, round));
            if !path.exists() {
                let why = lost.get(id).map_or_else(
                    || "no results file".to_string(),
                    |e| format!("lost: cannot write results: {e}"),
                );
                t.missing.push((id.clone(), why));
                continue;
            }
            match rtbench_format::read_json::<BenchResult>(&path) {
                Ok(r) => match r.status {
                    Status::Ok => t.ok += 1,
                    Status::Skipped => t.skipped.push(r.error.unwrap_or_default()),
                    Status::Failed
                        if rtbench_harness::past_task_limit(&r.runtime, &r.params).is_some() =>
                    {
                        t.limited += 1
                    }
                    status => t
                        .broken
                        .push((id.clone(), status, r.error.unwrap_or_default())),
                },
                Err(e) => t.missing.push((id.clone(), format!("unreadable: {e}"))),
            }
        }
        t
    }

    /// The console's word for the group: `ok`, `skipped (reason)`, or the
    /// counts, e.g. `2 failed, 3 ok`.
    fn line(&self) -> String {
        let total =
            self.ok + self.skipped.len() + self.broken.len() + self.missing.len() + self.limited;
        let reason = self
            .skipped
            .first()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        if total > 0 && self.ok == total {
            return "ok".into();
        }
        if total > 0 && self.skipped.len() == total {
            return format!("skipped{reason}");
        }
        let mut parts = Vec::new();
        if self.limited > 0 {
            parts.push(format!(
                "{} failed past the runtime's task limit",
                self.limited
            ));
        }
        for status in [Status::Failed, Status::Hung, Status::Crashed] {
            let n = self.broken.iter().filter(|b| b.1 == status).count();
            if n > 0 {
                parts.push(format!("{n} {status}"));
            }
        }
        let lost = self
            .missing
            .iter()
            .filter(|m| m.1.starts_with("lost"))
            .count();
        if lost > 0 {
            parts.push(format!("{lost} lost (results not written)"));
        }
        if self.missing.len() > lost {
            parts.push(format!("{} missing", self.missing.len() - lost));
        }
        if self.ok > 0 {
            parts.push(format!("{} ok", self.ok));
        }
        if !self.skipped.is_empty() {
            parts.push(format!("{} skipped{reason}", self.skipped.len()));
        }
        if parts.is_empty() {
            return "no benchmarks".into();
        }
        parts.join(", ")
    }

    /// The ids that did not measure or skip.
    fn bad(&self, round: u32) -> Vec<Bad> {
        let broken = self.broken.iter().map(|(id, status, error)| Bad {
            id: id.clone(),
            round,
            what: if error.is_empty() {
                status.to_string()
            } else {
                format!("{status}: {error}")
            },
        });
        let missing = self.missing.iter().map(|(id, why)| Bad {
            id: id.clone(),
            round,
            what: if why.starts_with("lost") {
                why.clone()
            } else {
                format!("missing ({why})")
            },
        });
        broken.chain(missing).collect()
    }
}

/// One probe's line: `cpu 0 lost 12.3 ms in 1.0 s (3 gaps over 1 ms); cpu 1 lost 0.4 ms`.
fn probe_line(probes: &[CpuProbe]) -> String {
    probes
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut s = format!("cpu {} lost {:.1} ms", p.cpu, p.lost_ns as f64 / 1e6);
            if i == 0 {
                s += &format!(" in {:.1} s", p.duration_secs);
            }
            if p.gaps_over_1ms > 0 {
                let n = p.gaps_over_1ms;
                s += &format!(" ({n} gap{} over 1 ms)", if n == 1 { "" } else { "s" });
            }
            s
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Builds the bench targets (release, as `cargo bench` does) and returns each
/// one's executable.
fn build_benches() -> anyhow::Result<BTreeMap<String, PathBuf>> {
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
fn list_groups(
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
fn run_group(
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
fn started(line: &str) -> Option<String> {
    let rest = line
        .strip_prefix("Benchmarking ")
        .or_else(|| line.strip_prefix("Testing "))
        .or_else(|| line.strip_prefix("rtbench: measuring "))?;
    let id = rest.split(':').next()?.trim();
    (id.split('/').count() == 3).then(|| id.to_string())
}

/// Whether a line says a benchmark finished (criterion's analysis, or the
/// open-loop benches' result line).
fn finished(line: &str) -> bool {
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
fn last_started(log: &Path) -> Option<String> {
    let text = std::fs::read_to_string(log).ok()?;
    text.lines().rev().find_map(started)
}

/// Ids of `g` whose results file for `round` exists.
fn files_of(run: &RunDir, g: &Group, round: u32) -> BTreeSet<String> {
    g.ids
        .iter()
        .filter(|id| {
            run.bench_dir()
                .join(rtbench_format::bench_file_name_in_round(id, round))
                .exists()
        })
        .cloned()
        .collect()
}

fn signal_text(sig: i32) -> String {
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

/// Writes a hung or crashed result for `id` (or, when no benchmark had
/// started, for the group's first id without a results file).
fn record(
    run: &RunDir,
    g: &Group,
    round: u32,
    id: Option<&str>,
    status: Status,
    why: &str,
) -> anyhow::Result<()> {
    let written = files_of(run, g, round);
    let Some(id) = id
        .map(str::to_string)
        .or_else(|| g.ids.iter().find(|i| !written.contains(*i)).cloned())
    else {
        return Ok(());
    };
    let mut parts = id.splitn(3, '/');
    let (workload, runtime, case) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let meta: Option<RunMeta> = run.read_meta().ok();
    let description = meta
        .as_ref()
        .and_then(|m| m.runtimes.iter().find(|r| r.name == runtime))
        .and_then(|r| r.description.clone())
        .unwrap_or_else(|| Description::named(runtime));
    let result = BenchResult {
        placement: meta.map(|m| m.placement).unwrap_or_default(),
        description,
        ops_per_iter: 1.0,
        status,
        error: Some(format!("{why} (while running {id})")),
        ..BenchResult::blank(workload, runtime, case, round)
    };
    run.write_bench(&result)
        .with_context(|| format!("cannot record {id} as {status}"))
}

/// Per table of the rendered report, the runtimes ranked with their figure.
fn summary(report: &Path) -> anyhow::Result<()> {
    let path = report.join("results.json");
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&path).with_context(|| path.display().to_string())?,
    )?;
    errln!("\nSummary (best first):");
    let empty = Vec::new();
    for t in json["workloads"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .flat_map(|w| w["tables"].as_array().unwrap_or(&empty))
    {
        errln!(
            "  {:<36} {}",
            t["title"].as_str().unwrap_or("?"),
            best(
                &t["rows"],
                |r| r["throughput"]["value"].as_f64(),
                // Every row failed, hung or crashed (listed below).
                "none measured"
            )
        );
    }
    let load_groups = ["latency_under_load", "uneven_work"]
        .iter()
        .flat_map(|k| json[k].as_array().unwrap_or(&empty));
    for g in load_groups {
        errln!(
            "  {:<36} {}",
            format!("{} (capacity)", g["title"].as_str().unwrap_or("?")),
            best(
                &g["rows"],
                |r| r["capacity"]["rate"].as_f64(),
                "none met the latency target"
            )
        );
    }
    Ok(())
}

/// The six best rows by `figure`, best first, as `name 1.23M/s`: ranked
/// here, since a report table may group its rows (uneven work by flavor).
fn best(
    rows: &serde_json::Value,
    figure: impl Fn(&serde_json::Value) -> Option<f64>,
    none: &str,
) -> String {
    let mut ranked: Vec<(&str, f64)> = rows
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| Some((r["runtime"].as_str()?, figure(r)?)))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    if ranked.is_empty() {
        return none.into();
    }
    ranked
        .iter()
        .take(6)
        .map(|(n, v)| format!("{n} {}", si(*v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `1234567.0` -> `1.23M/s`.
fn si(v: f64) -> String {
    format!("{}/s", rtbench_render::fmt::si(v))
}

#[cfg(test)]
mod tests {
    use super::{Status, Tally};

    /// The console's word for a group is its results': `ok` only when every
    /// id measured, `skipped (reason)` when none could, else the counts.
    #[test]
    fn a_group_line_says_what_its_results_say() {
        let ok = Tally {
            ok: 3,
            ..Tally::default()
        };
        assert_eq!(ok.line(), "ok");
        assert!(ok.bad(1).is_empty());
        let skipped = Tally {
            skipped: vec!["glommio: no io_uring".into(); 2],
            ..Tally::default()
        };
        assert_eq!(skipped.line(), "skipped (glommio: no io_uring)");
        assert!(skipped.bad(1).is_empty());
        let mixed = Tally {
            ok: 1,
            broken: vec![("a/b/c".into(), Status::Failed, "server died".into())],
            missing: vec![
                (
                    "a/b/d".into(),
                    "lost: cannot write results: disk full".into(),
                ),
                ("a/b/e".into(), "no results file".into()),
            ],
            ..Tally::default()
        };
        assert_eq!(
            mixed.line(),
            "1 failed, 1 lost (results not written), 1 missing, 1 ok"
        );
        let bad = mixed.bad(2);
        assert_eq!(bad.len(), 3);
        assert_eq!(bad[0].what, "failed: server died");
        assert_eq!(super::Bad::counts(&bad), "1 failed, 1 lost, 1 missing");
        // A failure the runtime's own task limit explains is shown, not bad.
        let limited = Tally {
            ok: 7,
            limited: 1,
            ..Tally::default()
        };
        assert_eq!(
            limited.line(),
            "1 failed past the runtime's task limit, 7 ok"
        );
        assert!(limited.bad(1).is_empty());
    }

    /// The summary ranks by the figure, not by the report's row order (the
    /// uneven-work tables group by flavor), and skips rows without one.
    #[test]
    fn the_summary_ranks_best_first() {
        let rows = serde_json::json!([
            {"runtime": "tokio-mt", "capacity": {"rate": 13_800.0}},
            {"runtime": "async-std", "capacity": {"rate": null}},
            {"runtime": "compio", "capacity": {"rate": 15_000.0}},
        ]);
        assert_eq!(
            super::best(&rows, |r| r["capacity"]["rate"].as_f64(), "none"),
            "compio 15.0 k/s, tokio-mt 13.8 k/s"
        );
        let unmet = serde_json::json!([{"runtime": "async-std", "capacity": {"rate": null}}]);
        assert_eq!(
            super::best(&unmet, |r| r["capacity"]["rate"].as_f64(), "none"),
            "none"
        );
    }
}
