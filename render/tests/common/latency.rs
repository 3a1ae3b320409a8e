//! A run with open-loop `latency` results, written through the results
//! crate's own types and writers: three runtimes and the `std-threads`
//! reference in two cases, beside the closed-loop results of `a-complete`.

use rtbench_format::*;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub const REFERENCE_RATE: f64 = 100_000.0;
pub const SLO: Slo = Slo {
    quantile: 0.99,
    max_ns: 1_000_000,
};
pub const SWEEP: [f64; 9] = [0.1, 0.25, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0, 1.1];
pub const GLOMMIO_ERROR: &str = "echo mismatch on connection 17: <got 63 bytes> & expected 64";

/// A made-up server: it saturates at `knee` × the reference rate; below that
/// its corrected p50 is `base_ns / (1 − load)`, p99 four times that.
#[derive(Clone, Copy)]
pub struct Server {
    pub knee: f64,
    pub base_ns: f64,
}

/// The cases and what each runtime does in them; `None` is a failed run.
pub fn servers(case: &str) -> Vec<(&'static str, Option<Server>)> {
    let s = |knee, base_ns| Some(Server { knee, base_ns });
    match case {
        // tokio-mt: capacity 80 k; std-threads 75 k; smol 60.6 k; glommio misses everywhere.
        "64B-16c" => vec![
            ("tokio-mt", s(1.0, 50_000.0)),
            ("smol", s(0.8, 60_000.0)),
            ("glommio", s(1.0, 2_000_000.0)),
            ("std-threads", s(0.9, 40_000.0)),
        ],
        // smol meets the target at every rate tried; glommio failed.
        _ => vec![
            ("tokio-mt", s(0.9, 80_000.0)),
            ("smol", s(2.0, 30_000.0)),
            ("glommio", None),
            ("std-threads", s(1.0, 60_000.0)),
        ],
    }
}

fn latency(p50: f64, tail: f64) -> Latency {
    let v = |k: f64| (p50 * k) as u64;
    Latency {
        kind: "round-trip".into(),
        count: 10_000,
        min_ns: v(0.5),
        mean_ns: p50 * 1.2,
        stdev_ns: p50 * 0.5,
        p50_ns: v(1.0),
        p90_ns: v(tail / 2.0),
        p99_ns: v(tail),
        p999_ns: v(tail * 2.0),
        max_ns: v(tail * 3.0),
        spectrum: vec![(50.0, v(1.0)), (99.0, v(tail)), (100.0, v(tail * 3.0))],
        hdr_base64: None,
    }
}

/// One step at `fraction` of the reference rate.
pub fn step(kind: &str, fraction: f64, s: Server) -> Step {
    let offered = fraction * REFERENCE_RATE;
    let load = fraction / s.knee;
    let behind = load >= 1.0;
    let p50 = if behind {
        s.base_ns * 200.0 * load
    } else {
        s.base_ns / (1.0 - load)
    };
    let corrected = latency(p50, 4.0);
    let meets_slo = !behind && corrected.p99_ns <= SLO.max_ns;
    Step {
        kind: kind.into(),
        fraction,
        offered_rate: offered,
        achieved_rate: if behind {
            s.knee * REFERENCE_RATE * 0.97
        } else {
            offered
        },
        round_trips: offered as u64,
        unsent: if behind { 100 } else { 0 },
        queued: if behind { offered as u64 / 2 } else { 0 },
        duration_secs: 1.0,
        behind,
        meets_slo,
        latency: corrected,
        // Service time hides the queueing: it grows far less with load.
        service: latency(p50 / (1.0 + 3.0 * load), 4.0),
        // At 110% every send waited for its connection: no own-lateness sample.
        lag: Latency {
            count: if fraction >= 1.1 { 0 } else { 1000 },
            ..latency(1_000.0 + 500.0 * load, 2.0)
        },
        server_cpu_ns_per_op: Some(5_000.0),
        generator_cpu_ns_per_op: None,
        // What the trials fill in.
        ..Step::default()
    }
}

/// The sweep, then a bisection to 2% between the highest step that met the
/// target and the lowest above it that missed.
pub fn open_loop(s: Server) -> OpenLoop {
    open_loop_over(s, &SWEEP)
}

/// [`open_loop`] over another list of sweep fractions.
pub fn open_loop_over(s: Server, sweep: &[f64]) -> OpenLoop {
    let mut steps: Vec<Step> = sweep.iter().map(|&f| step("sweep", f, s)).collect();
    let met = |f: f64, steps: &[Step]| {
        steps
            .iter()
            .find(|x| (x.fraction - f).abs() < 1e-9)
            .is_some_and(|x| x.meets_slo)
    };
    let mut lo = sweep
        .iter()
        .copied()
        .filter(|&f| met(f, &steps))
        .fold(0.0, f64::max);
    let mut hi = sweep.iter().copied().find(|&f| f > lo && !met(f, &steps));
    while let Some(h) = hi.filter(|h| lo > 0.0 && (h - lo) / lo > 0.02) {
        let mid = (lo + h) / 2.0;
        let probe = step("probe", mid, s);
        if probe.meets_slo {
            lo = mid;
        } else {
            hi = Some(mid);
        }
        steps.push(probe);
    }
    OpenLoop {
        slo: SLO,
        arrivals: "even".into(),
        seed: None,
        reference_rate: REFERENCE_RATE,
        reference_source: "closed-loop calibration, best of 11 (tokio-mt)".into(),
        step_secs: 1.0,
        warmup_secs: 0.25,
        generator_wait: "timerfd + spin (50 us)".into(),
        capacity: Capacity {
            rate: (lo > 0.0).then_some(lo * REFERENCE_RATE),
            bracket_lo: lo * REFERENCE_RATE,
            bracket_hi: hi.map(|h| h * REFERENCE_RATE),
            probes: steps.len() as u32,
            interval: None,
            halves: None,
        },
        steps,
        interleaving: None,
    }
}

pub fn desc(name: &str) -> Description {
    let (flavor, driver) = match name {
        "std-threads" => (Flavor::Reference, "blocking"),
        "glommio" => (Flavor::ThreadPerCore, "io_uring"),
        _ => (Flavor::WorkStealing, "epoll"),
    };
    Description {
        name: name.into(),
        flavor,
        workers: 1,
        timer_class: TimerClass::Fine,
        driver: driver.into(),
        knobs: BTreeMap::new(),
        notes: vec![],
    }
}

/// What `latency` and `work` results share: 64-byte round trips over
/// `connections`, measured when the runtime had a `server`, else failed
/// with `error`.
pub fn round_trips(
    workload: &str,
    case: &str,
    runtime: &str,
    connections: f64,
    server: Option<Server>,
    error: &str,
) -> BenchResult {
    BenchResult {
        params: [
            ("msg_bytes".into(), 64.0),
            ("connections".into(), connections),
        ]
        .into(),
        op: "round trip".into(),
        ops_per_iter: 1.0,
        status: if server.is_some() {
            Status::Ok
        } else {
            Status::Failed
        },
        error: server.is_none().then(|| error.into()),
        ..BenchResult::blank(workload, runtime, case, 1)
    }
}

pub fn bench(case: &str, runtime: &str, server: Option<Server>) -> BenchResult {
    let connections = case.trim_start_matches("64B-").trim_end_matches('c');
    let connections = connections.parse().unwrap();
    BenchResult {
        topology: "1 core".into(),
        placement: "split: server cpu 0, load generator cpu 1".into(),
        description: desc(runtime),
        open_loop: server.map(open_loop).map(|mut o| {
            if (runtime, case) == ("std-threads", "64B-16c") {
                stalled_once(&mut o, 0.5);
            }
            o
        }),
        ..round_trips("latency", case, runtime, connections, server, GLOMMIO_ERROR)
    }
}

/// The sweep step at `fraction` missed the target once (a stall of the
/// machine) and met it on its repeat, as `sweep::search` runs it.
fn stalled_once(o: &mut OpenLoop, fraction: f64) {
    let i = o
        .steps
        .iter()
        .position(|s| s.kind == "sweep" && s.fraction == fraction)
        .unwrap();
    let mut first = o.steps[i].clone();
    first.meets_slo = false;
    first.latency.p99_ns = 3 * SLO.max_ns;
    o.steps[i].kind = "repeat".into();
    o.steps.insert(i, first);
    o.capacity.probes += 1;
}

/// Writes the run into a fresh folder: `a-complete`'s closed-loop bench
/// files, a meta.json that also lists glommio, and the latency results.
pub fn write_run() -> PathBuf {
    let dir = super::out_dir("latency-run");
    let run = RunDir { path: dir.clone() };
    let mut meta: RunMeta = read_json(&super::fixture("a-complete/meta.json")).unwrap();
    meta.schema_version = SCHEMA_VERSION;
    meta.run_id = "20260101T000000Z-latency".into();
    meta.runtimes.push(RuntimeEntry {
        name: "glommio".into(),
        unavailable: None,
        description: Some(desc("glommio")),
    });
    run.write_meta(&meta).unwrap();
    std::fs::create_dir_all(run.bench_dir()).unwrap();
    for e in std::fs::read_dir(super::fixture("a-complete/bench")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, run.bench_dir().join(p.file_name().unwrap())).unwrap();
    }
    for case in ["64B-16c", "64B-256c"] {
        for (runtime, server) in servers(case) {
            run.write_bench(&bench(case, runtime, server)).unwrap();
        }
    }
    dir
}

/// Writes the run and renders it; both folders go when the pair is dropped.
pub fn render() -> (super::Out, super::Cleanup) {
    super::render_owned(write_run())
}
