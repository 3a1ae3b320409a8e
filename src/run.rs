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
use rtbench_format::{CpuProbe, MachineNoise, RunDir, RunMeta, RunMode, Status, Workload};
use rtbench_harness::errln;
use rtbench_workloads::interference::{Others, cpu_probe};
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

mod process;
mod tally;

use process::{Group, Outcome, build_benches, last_started, list_groups, run_group, signal_text};
use tally::{Bad, Tally, files_of, record, summary};

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
    /// Only these bench targets, comma-separated (echo, http, fan_out, timers, sched, file, latency, work, http_latency).
    #[arg(long, value_delimiter = ',', value_parser = workload)]
    bench: Vec<Workload>,
    /// Only benchmark ids containing this, e.g. `echo/tokio` or `/64B-16c`.
    filter: Option<String>,
}

/// A `--bench` name: one of the workloads.
fn workload(s: &str) -> Result<Workload, String> {
    s.parse().map_err(|_| {
        let names: Vec<&str> = Workload::ALL.iter().map(|w| w.as_str()).collect();
        format!("expected one of {}", names.join(", "))
    })
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
    let placement = rtbench_harness::vars::placement(groups[0].bench)
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
            // Rounds, seed, orders and selection were written at the start
            // (and kept by every bench process); the noise is known now.
            let meta = RunMeta {
                noise: Some(MachineNoise {
                    probes,
                    others: others.top(10),
                    method: noise_method(&cpus, probe_time),
                }),
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
