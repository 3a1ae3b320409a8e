//! The runner on made-up servers, as hyperfine tests its scheduler with a
//! mock executor: references, capacities, a crash and a `--test` failure,
//! all returned, none exiting the process.

use super::*;
use rtbench_workloads::echo::EchoCase;
use std::io;

/// A server that keeps any rate up to `capacity` round trips/s within
/// 100 µs, misses the target (5 ms) above it, and whose process dies by
/// SIGKILL after `crash_after` trials.
struct Fake {
    capacity: f64,
    trials: u32,
    crash_after: Option<u32>,
    exited: Option<std::process::ExitStatus>,
}

impl Served for Fake {
    fn run(&mut self, iters: u64) -> Result<Duration, String> {
        Ok(Duration::from_secs_f64(iters as f64 / self.capacity))
    }
    fn connections(&self) -> usize {
        16
    }
    fn server_exited(&mut self) -> Option<std::process::ExitStatus> {
        self.exited
    }
    fn server_cpu_now(&self) -> Option<Duration> {
        None
    }
    fn server_pid(&self) -> Option<u32> {
        None
    }
    fn description(&self) -> rtbench_format::Description {
        rtbench_format::Description::named("fake")
    }
    fn topology(&self) -> String {
        "1 core".into()
    }
    fn generator_threads(&self) -> usize {
        1
    }
    fn generator_priority(&self) -> Option<String> {
        None
    }
}

/// A trial on a [`Fake`]: every intended round trip done, at its latency.
fn trial(
    f: &mut Fake,
    cfg: &OpenLoopConfig,
    hists: &mut OpenHists,
) -> io::Result<(OpenOutcome, CpuPerOp)> {
    f.trials += 1;
    if f.crash_after.is_some_and(|n| f.trials > n) {
        f.exited = Some(std::process::ExitStatus::from_raw(9));
        return Err(io::Error::other("connection reset by peer"));
    }
    let n = (cfg.rate * cfg.duration.as_secs_f64()).round() as u64;
    let latency_ns = if cfg.rate <= f.capacity {
        100_000
    } else {
        5_000_000
    };
    for _ in 0..n {
        rtbench_loadgen::hdr::record(&mut hists.latency, latency_ns);
        rtbench_loadgen::hdr::record(&mut hists.service, latency_ns);
        rtbench_loadgen::hdr::record(&mut hists.lag, 1_000);
    }
    let outcome = OpenOutcome {
        round_trips: n,
        unsent: 0,
        queued: 0,
        completed: n,
        outstanding: 0,
        elapsed: cfg.duration,
    };
    Ok((outcome, CpuPerOp::default()))
}

fn spec() -> Sweep<EchoCase, Fake> {
    Sweep {
        workload: Workload::Latency,
        cases: |_| {
            vec![EchoCase {
                msg_bytes: 64,
                connections: 16,
            }]
        },
        fractions: sweep::FRACTIONS,
        step: |_| (Duration::ZERO, Duration::from_millis(20)),
        budget: |_| Duration::ZERO,
        trial,
        cores: None,
        cannot: None,
    }
}

/// `fast` keeps 100k/s, `slow` 40k/s, `crashy` 100k/s until its 3rd
/// trial; `broken` cannot start.
fn hooks() -> Hooks<EchoCase, Fake> {
    Hooks {
        make: Box::new(|_, name, _| {
            let (capacity, crash_after) = match name {
                "fast" => (100_000.0, None),
                "slow" => (40_000.0, None),
                "crashy" => (100_000.0, Some(2)),
                _ => return Err(format!("{name} cannot start")),
            };
            Ok(Fake {
                capacity,
                trials: 0,
                crash_after,
                exited: None,
            })
        }),
        annotate: Box::new(|_, _| {}),
    }
}

fn settings(args: &[&str]) -> Settings {
    Settings::parse(Workload::Latency, args.iter().map(|a| a.to_string())).unwrap()
}

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

const SLO: Slo = Slo {
    quantile: 0.99,
    max_ns: 1_000_000,
};

#[test]
fn capacities_are_found_and_a_crash_is_recorded_while_the_others_go_on() {
    let settings = settings(&["--bench", "--quick"]);
    let all = names(&["fast", "slow", "crashy", "broken"]);
    let done = measure(&spec(), &hooks(), &settings, SLO, &all).unwrap();
    let by_name = |n: &str| {
        done.results
            .iter()
            .find(|r| r.runtime == n)
            .unwrap_or_else(|| panic!("no result for {n}"))
    };
    let capacity = |n: &str| by_name(n).open_loop.as_ref().unwrap().capacity.rate;
    // The reference is the best calibration: 100k/s; the sweep's steps
    // are fractions of it.
    let fast = capacity("fast").unwrap();
    assert!((100_000.0..110_000.0).contains(&fast), "fast {fast}");
    let slow = capacity("slow").unwrap();
    assert!((25_000.0..=40_000.0).contains(&slow), "slow {slow}");
    let crashy = by_name("crashy");
    assert_eq!(crashy.status, Status::Crashed);
    assert!(
        crashy.error.as_deref().unwrap().contains("signal 9"),
        "{:?}",
        crashy.error
    );
    assert_eq!(capacity("crashy"), None);
    assert_eq!(by_name("broken").status, Status::Failed);
    assert!(done.failed.is_empty());
}

#[test]
fn a_case_without_a_reference_is_an_error_not_an_exit() {
    let settings = settings(&["--bench", "--quick"]);
    let err = measure(&spec(), &hooks(), &settings, SLO, &names(&["broken"])).unwrap_err();
    assert!(
        err.contains("no configuration could be calibrated"),
        "{err}"
    );
}

#[test]
fn a_test_step_that_fails_is_named_and_the_others_are_tested() {
    let settings = settings(&["--test"]);
    let all = names(&["fast", "broken"]);
    let done = measure(&spec(), &hooks(), &settings, SLO, &all).unwrap();
    assert_eq!(done.failed, ["latency/broken/64B-16c"]);
    assert!(done.results.is_empty());
}
