//! A run in the interleaved-trials format (raw results schema 3): every
//! figure has a 95% interval, some overlap and some do not, the halves of
//! one latency pair disagree, and meta.json records the machine's noise.
//!
//! - echo 64B-16c, 3 rounds: tokio-mt ~100 k and smol ~99 k overlap (tied),
//!   std-threads ~50 k apart from both; halves agree on both pairs apart.
//! - latency 64B-16c: tokio-mt 80 k [78, 82], smol 60 k [58, 62], glommio
//!   none [0, 10 k]; halves: tokio-mt 80 k / 60 k, smol 62 k / 70 k (they
//!   disagree), glommio 0 / 5 k: 2 of 3 pairs agree.
//! - work uniform: tokio-mt 80 k [76, 84] and monoio 70 k [66, 77] overlap
//!   (14% apart, yet tied), std-threads 40 k [38, 42]; halves agree.

use super::rounds::{Outcome, closed};
use rtbench_format::*;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub const ROUNDS: [(&str, [f64; 3]); 3] = [
    ("tokio-mt", [100e3, 102e3, 98e3]),
    ("smol", [97e3, 103e3, 99e3]),
    ("std-threads", [50e3, 50.5e3, 49.8e3]),
];

/// (runtime, rate, interval, halves) of the latency group.
type Cap = (
    &'static str,
    Option<f64>,
    (f64, Option<f64>),
    [Option<f64>; 2],
);

pub const LATENCY: [Cap; 3] = [
    (
        "tokio-mt",
        Some(80e3),
        (78e3, Some(82e3)),
        [Some(80e3), Some(60e3)],
    ),
    (
        "smol",
        Some(60e3),
        (58e3, Some(62e3)),
        [Some(62e3), Some(70e3)],
    ),
    ("glommio", None, (0.0, Some(10e3)), [None, Some(5e3)]),
];

pub const WORK: [Cap; 3] = [
    (
        "tokio-mt",
        Some(80e3),
        (76e3, Some(84e3)),
        [Some(80e3), Some(78e3)],
    ),
    (
        "monoio",
        Some(70e3),
        (66e3, Some(77e3)),
        [Some(72e3), Some(68e3)],
    ),
    (
        "std-threads",
        Some(40e3),
        (38e3, Some(42e3)),
        [Some(41e3), Some(39e3)],
    ),
];

/// The pooled p99 of the 50% step with its interval.
pub const TARGET: PercentileInterval = PercentileInterval {
    quantile: 0.99,
    value_ns: 400_000,
    lower_ns: 380_000,
    upper_ns: Some(425_000),
    count: 20_000,
};

/// A CPU probe whose totals (time lost, gaps over 1 ms) are those of its
/// `gaps` (ms from its start, length in µs), as the harness records them.
pub fn probe(when: &str, cpu: usize, at_secs: f64, secs: f64, gaps: Vec<(f64, f64)>) -> CpuProbe {
    CpuProbe {
        when: when.into(),
        cpu,
        at_secs,
        duration_secs: secs,
        lost_ns: gaps.iter().map(|g| (g.1 * 1e3) as u64).sum(),
        gaps_over_1ms: gaps.iter().filter(|g| g.1 > 1000.0).count() as u32,
        gaps,
    }
}

/// The run's noise: three probes (cpu 0 twice) and six other tasks.
pub fn noise() -> MachineNoise {
    let probe = |when: &str, cpu: usize, at_secs: f64, gaps| probe(when, cpu, at_secs, 3.0, gaps);
    let other = |name: &str, pid: u32, cpu_ms: f64| OtherTask {
        name: name.into(),
        pid,
        cpu_ns: (cpu_ms * 1e6) as u64,
    };
    MachineNoise {
        probes: vec![
            probe("after round 1", 0, 95.0, vec![(10.0, 8000.0)]),
            probe(
                "start",
                0,
                0.0,
                vec![(120.0, 4200.0), (900.5, 350.0), (2400.0, 1800.0)],
            ),
            probe("start", 1, 0.0, vec![(1500.0, 60.0)]),
        ],
        others: vec![
            other("journald", 300, 0.5),
            other("kdamond.0", 47, 27.0),
            other("systemd", 1, 16.0),
            other("kworker/0:1", 12, 9.0),
            other("sshd", 800, 3.0),
            other("cron", 700, 1.0),
        ],
        method: "sampled from /proc/<pid>/task/*/schedstat between benchmark processes".into(),
    }
}

/// `n` trials of a step, with these causes (the generator's invalid).
fn trials(causes: &[Option<SlowCause>], s: &Step) -> Vec<Trial> {
    causes
        .iter()
        .enumerate()
        .map(|(i, &cause)| Trial {
            trial: i as u32 + 1,
            position: i as u32,
            round_trips: s.round_trips / causes.len() as u64,
            achieved_rate: s.achieved_rate,
            behind: s.behind,
            target_ns: s.latency.p99_ns,
            p50_ns: s.latency.p50_ns,
            service_p99_ns: s.service.p99_ns,
            lag_p99_ns: s.lag.p99_ns,
            server_p99_ns: None,
            read_delay_p99_ns: None,
            queued: 0,
            interference: Interference::default(),
            cause,
            invalid: cause == Some(SlowCause::Generator),
        })
        .collect()
}

/// Gives an open-loop result the new fields: its capacity's interval and
/// halves, the 50% step's pooled p99 interval, trials at 50% and 80% (one
/// slow trial of each cause) and run delay at 80% (2 valid trials of 1 s).
fn interleaved(b: &mut BenchResult, (_, rate, interval, halves): Cap, runtimes: &[&str]) {
    let o = b.open_loop.as_mut().unwrap();
    o.capacity.rate = rate;
    o.capacity.bracket_lo = rate.unwrap_or(0.0);
    o.capacity.interval = Some(interval);
    o.capacity.halves = Some(halves);
    o.interleaving = Some(Interleaving {
        min_trials: 2,
        max_trials: 6,
        width: 0.1,
        seed: 7,
        runtimes: runtimes.iter().map(|r| r.to_string()).collect(),
        idle_cpu_share: Some(0.001),
    });
    for s in &mut o.steps {
        let at = |f: f64| s.kind == "sweep" && (s.fraction - f).abs() < 1e-9;
        if at(0.5) {
            s.target = Some(PercentileInterval {
                value_ns: s.latency.p99_ns,
                ..TARGET
            });
            s.verdict = Some(Verdict::Meets);
            s.trials = trials(&[Some(SlowCause::Machine), None], s);
        } else if at(0.8) {
            s.round_trips = 2 * s.offered_rate as u64;
            s.unsent = 0;
            s.trials = trials(
                &[Some(SlowCause::Server), Some(SlowCause::Generator), None],
                s,
            );
            s.reruns = 1;
            s.interference = Some(Interference {
                server_run_delay_ns: Some(2_000_000),
                server_nivcsw: Some(40),
                generator_run_delay_ns: Some(500_000),
                generator_nivcsw: Some(12),
            });
        }
    }
}

/// Writes the run into a fresh folder and returns it.
pub fn write_run() -> PathBuf {
    let dir = super::out_dir("intervals-run");
    let run = RunDir { path: dir.clone() };
    let names = ["tokio-mt", "smol", "std-threads", "glommio", "monoio"];
    run.write_meta(&RunMeta {
        schema_version: SCHEMA_VERSION,
        run_id: "20260103T000000Z-intervals".into(),
        started_at: "2026-01-03T00:00:00Z".into(),
        mode: RunMode::Default,
        placement: "split".into(),
        env: Environment::default(),
        git_commit: None,
        crate_versions: BTreeMap::new(),
        runtimes: names
            .iter()
            .map(|&name| RuntimeEntry {
                name: name.into(),
                unavailable: None,
                description: None,
            })
            .collect(),
        rounds: 3,
        seed: Some(1),
        orders: Vec::new(),
        noise: Some(noise()),
        selected: Vec::new(),
    })
    .unwrap();
    for (runtime, rounds) in ROUNDS {
        for (i, throughput) in rounds.into_iter().enumerate() {
            let mut b = closed(
                "echo",
                "64B-16c",
                runtime,
                i as u32 + 1,
                Outcome::Ok(throughput),
            );
            b.interference = Some(Interference {
                server_run_delay_ns: Some(1_200_000),
                server_nivcsw: Some(30),
                generator_run_delay_ns: Some(300_000),
                generator_nivcsw: Some(5),
            });
            run.write_bench(&b).unwrap();
        }
    }
    let server = super::latency::Server {
        knee: 1.0,
        base_ns: 50_000.0,
    };
    let runtimes: Vec<&str> = LATENCY.iter().map(|c| c.0).collect();
    for cap in LATENCY {
        let mut b = super::latency::bench("64B-16c", cap.0, Some(server));
        interleaved(&mut b, cap, &runtimes);
        run.write_bench(&b).unwrap();
    }
    let runtimes: Vec<&str> = WORK.iter().map(|c| c.0).collect();
    for cap in WORK {
        let mut b = super::work::bench("uniform", cap.0, Some(server));
        interleaved(&mut b, cap, &runtimes);
        run.write_bench(&b).unwrap();
    }
    dir
}

/// Writes the run and renders it; both folders go when the pair is dropped.
pub fn render() -> (super::Out, super::Cleanup) {
    super::render_owned(write_run())
}
