//! Every workload on every adapter, on small parameters, with its correctness
//! check; routines that honour `iters`; sweep parameters that change the work.

use rtbench_loadgen::http::Route;
use rtbench_runtimes::{Config, Flavor, Runtime};
use rtbench_workloads::echo::{BlockingClientBench, EchoCase, ServedBench};
use rtbench_workloads::fan_out::FanOutCase;
use rtbench_workloads::http::HttpCase;
use rtbench_workloads::sched::SchedCase;
use rtbench_workloads::sched::cores::{CrossCase, across_runtimes, cannot_run};
use rtbench_workloads::timers::{OsSleep, TimerCase};
use rtbench_workloads::{
    Case, Observed, Placement, Routine, Servers, VisitServers, Work, in_runtimes, run_checked,
};
use std::sync::Mutex;
use std::time::Duration;

/// One worker everywhere: async-std's pool is process-wide and fixed at first use.
fn conf() -> Config {
    Config::with_workers(1)
}

/// Tests that pin threads and time things run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

type Outcome = Result<(), String>;

fn small_echo(echo: &dyn Fn(EchoCase) -> Result<ServedBench, String>) -> Outcome {
    let case = EchoCase {
        msg_bytes: 64,
        connections: 4,
    };
    let mut bench = echo(case)?;
    run_checked(&mut bench, 1)?;
    run_checked(&mut bench, 199)?;
    let w = bench.work();
    expect(w.ops == 200 && w.bytes == 200 * 64, || {
        format!("echo work {w:?}")
    })?;
    expect(bench.hist.len() == 200, || {
        format!("{} round trips recorded", bench.hist.len())
    })?;
    expect(
        bench.server_cpu_ns_per_op().is_some_and(|c| c > 0.0),
        || "no server CPU time measured".into(),
    )
}

/// Case `case` on adapter `name`, as the benches build it.
fn in_runtime<C: Case>(name: &str, case: C) -> Result<Box<dyn Observed>, String> {
    let (_, make) = in_runtimes::<C>()
        .into_iter()
        .find(|(n, _)| *n == name)
        .ok_or(format!("{name} is not in the list"))?;
    make(case, &conf())
}

fn small_in_runtime(name: &str) -> Outcome {
    let fan_cases = [
        FanOutCase::Flat { tasks: 100 },
        FanOutCase::Tree {
            branching: 3,
            depth: 3,
        },
        FanOutCase::Parked { tasks: 100 },
    ];
    for case in fan_cases {
        let mut b = in_runtime(name, case)?;
        run_checked(&mut b, 1).map_err(|e| format!("{}: {e}", case.label()))?;
        run_checked(&mut b, 3).map_err(|e| format!("{}: {e}", case.label()))?;
        expect(b.work().tasks == 4 * case.tasks(), || {
            format!("{case:?}: {:?}", b.work())
        })?;
    }
    let timer_cases = [
        TimerCase::Sleep {
            dur: Duration::from_millis(1),
        },
        TimerCase::SleepMany {
            dur: Duration::from_millis(1),
            timers: 100,
        },
        TimerCase::ArmCancel,
        TimerCase::FireMany {
            timers: 1000,
            spread: Duration::from_millis(10),
        },
    ];
    for case in timer_cases {
        let mut b = in_runtime(name, case)?;
        run_checked(&mut b, 2).map_err(|e| format!("{}: {e}", case.label()))?;
        let recorded = if case.has_lateness() {
            2 * case.timers()
        } else {
            0
        };
        let samples = b.hist_mut().map_or(0, |h| h.len());
        expect(samples == recorded, || {
            format!(
                "{}: {samples} lateness samples, expected {recorded}",
                case.label(),
            )
        })?;
        expect(b.extra().contains_key("timer_slack_ns"), || {
            "timer slack not recorded".into()
        })?;
    }
    // Every sched case, a tenth of its default size or less.
    let sched_cases = SchedCase::matrix().into_iter().map(|case| match case {
        SchedCase::PingPong { .. } => SchedCase::PingPong { round_trips: 50 },
        SchedCase::YieldMany { .. } => SchedCase::YieldMany {
            tasks: 10,
            yields: 10,
        },
        SchedCase::ChainedSpawn { .. } => SchedCase::ChainedSpawn { depth: 50 },
        SchedCase::Ring { .. } => SchedCase::Ring { tasks: 7, laps: 3 },
        SchedCase::Mutex { held, .. } => SchedCase::Mutex {
            tasks: 10,
            rounds: 3,
            held,
        },
    });
    for case in sched_cases {
        let mut b = in_runtime(name, case)?;
        run_checked(&mut b, 2).map_err(|e| format!("{}: {e}", case.label()))?;
    }
    Ok(())
}

/// The sched cases across cores, shrunk: each runs and checks its work, or
/// fails by its runtime's design (a wake from another thread panics it), or
/// cannot run here for the reason [`cannot_run`] gives.
fn small_cross_core(name: &str, placement: &Placement) -> Outcome {
    let cpus = [placement.server_cpus()[0], placement.loadgen_cpu()];
    let (_, make) = across_runtimes()
        .into_iter()
        .find(|(n, _)| *n == name)
        .ok_or("not in the list")?;
    let entry = rtbench_runtimes::entries()
        .into_iter()
        .find(|e| e.name == name)
        .ok_or("not in the list")?;
    let cases = CrossCase::matrix().into_iter().map(|case| match case {
        CrossCase::PingPong { .. } => CrossCase::PingPong { round_trips: 20 },
        CrossCase::RemoteSpawn { busy, .. } => CrossCase::RemoteSpawn { tasks: 20, busy },
    });
    for case in cases {
        if let Some(why) = cannot_run(name, case, cpus) {
            eprintln!("{name} {}: cannot run here: {why}", case.label());
            continue;
        }
        let built = make(case, &conf(), cpus);
        if !entry.wake_from_another_thread {
            expect(built.is_err(), || format!("{}: ran", case.label()))?;
            continue;
        }
        let mut b = built.map_err(|e| format!("{}: {e}", case.label()))?;
        run_checked(&mut b, 1).map_err(|e| format!("{}: {e}", case.label()))?;
        run_checked(&mut b, 2).map_err(|e| format!("{}: {e}", case.label()))?;
        expect(b.server_cpu().is_some_and(|c| c > Duration::ZERO), || {
            format!("{}: no CPU time", case.label())
        })?;
    }
    Ok(())
}

/// Both routes, closed loop, every response checked by the generator; a
/// runtime hyper cannot run on must refuse with its reason, `skip`.
fn small_http(
    http: &dyn Fn(HttpCase) -> Result<ServedBench, String>,
    skip: Result<&str, &str>,
) -> Outcome {
    for route in Route::ALL {
        let case = HttpCase {
            route,
            connections: 4,
            cores: 1,
        };
        let mut bench = match (http(case), skip) {
            (Ok(b), Ok(_)) => b,
            (Err(e), Err(why)) if e.contains(why) => return Ok(()),
            (Ok(_), Err(why)) => return Err(format!("served HTTP, yet says it cannot: {why}")),
            (Err(e), _) => return Err(format!("http {}: {e}", case.label())),
        };
        run_checked(&mut bench, 1)?;
        run_checked(&mut bench, 99)?;
        let w = bench.work();
        let body = route.body().len() as u64;
        // An iteration is 8 requests on each of the 4 connections.
        expect(w.ops == 3200 && w.bytes == 3200 * body, || {
            format!("http {} work {w:?}", case.label())
        })?;
    }
    Ok(())
}

fn expect(cond: bool, what: impl FnOnce() -> String) -> Outcome {
    if cond { Ok(()) } else { Err(what()) }
}

#[test]
fn every_workload_checks_its_work_on_every_adapter() {
    let _guard = serial();
    let placement = Placement::here(1, false).unwrap();
    struct Every<'a> {
        placement: &'a Placement,
        failed: Vec<String>,
        ran: usize,
    }
    impl VisitServers for Every<'_> {
        fn runtime<R: Runtime>(&mut self, w: Servers<R>) {
            let placement = self.placement;
            let echo = |case| w.echo(case, placement, &conf());
            let http = |case| w.http(case, placement, &conf());
            let small = small_echo(&echo)
                .and_then(|_| small_http(&http, R::HTTP))
                .and_then(|_| small_in_runtime(R::NAME))
                .and_then(|_| small_cross_core(R::NAME, placement));
            if let Err(e) = small {
                self.failed.push(format!("{}: {e}", R::NAME));
            }
            self.ran += 1;
        }
    }
    let mut every = Every {
        placement: &placement,
        failed: Vec::new(),
        ran: 0,
    };
    rtbench_workloads::visit_servers(&mut every);
    let Every {
        mut failed, ran, ..
    } = every;
    if let Err(e) = small_echo(&|case| ServedBench::std_threads(case, &placement)) {
        failed.push(format!("std-threads: {e}"));
    }
    let std_http = |case| ServedBench::std_threads_http(case, &placement);
    if let Err(e) = small_http(&std_http, Ok("std-threads")) {
        failed.push(format!("std-threads http: {e}"));
    }
    let blocking = BlockingClientBench::new(
        EchoCase {
            msg_bytes: 64,
            connections: 1,
        },
        &placement,
    )
    .and_then(|mut b| {
        run_checked(&mut b, 1)?;
        run_checked(&mut b, 99)?;
        expect(b.hist.len() == 100, || format!("{} recorded", b.hist.len()))
    });
    if let Err(e) = blocking {
        failed.push(format!("blocking-client: {e}"));
    }
    assert!(ran > 0, "no adapter compiled in");
    assert!(failed.is_empty(), "failed:\n{}", failed.join("\n"));
}

/// A routine that ignores `iters` — the bug this harness must catch.
struct IgnoresIters(Work);

impl Routine for IgnoresIters {
    fn run(&mut self, _iters: u64) -> Result<Duration, String> {
        self.0.ops += 1;
        Ok(Duration::from_micros(1))
    }
    fn work(&self) -> Work {
        self.0
    }
    fn per_iter(&self) -> Work {
        Work {
            ops: 1,
            ..Work::default()
        }
    }
}

#[test]
fn a_routine_that_ignores_iters_is_caught() {
    let mut bad = IgnoresIters(Work::default());
    assert!(run_checked(&mut bad, 1).is_ok());
    let err = run_checked(&mut bad, 10).unwrap_err();
    assert!(err.contains("10 iterations did 1 ops"), "{err}");
}

#[test]
fn os_sleep_floor_honours_iters_and_never_wakes_early() {
    let mut os = OsSleep::new(Duration::from_micros(200), Some(Duration::from_nanos(1)), 0);
    run_checked(&mut os, 5).unwrap();
    assert_eq!(os.hist.len(), 5);
    assert_eq!(os.timer_slack_ns, Some(1));
    assert_eq!(os.name(), "os-sleep-slack1ns");
}

/// Changing a sweep parameter changes the work measured: message size moves
/// more bytes, connections use more connections, N runs more tasks or timers.
#[test]
fn sweep_parameters_change_the_work_done() {
    let _guard = serial();
    let placement = Placement::here(1, false).unwrap();
    let echo_work = |msg_bytes, connections| {
        let mut b = ServedBench::std_threads(
            EchoCase {
                msg_bytes,
                connections,
            },
            &placement,
        )
        .unwrap();
        run_checked(&mut b, 64).unwrap();
        b.work()
    };
    let small = echo_work(64, 1);
    let large = echo_work(4096, 1);
    let wide = echo_work(64, 16);
    assert_eq!(
        small.bytes * 64,
        large.bytes,
        "message size must scale bytes"
    );
    assert_eq!((small.connections, wide.connections), (1, 16));

    // On the first adapter of the list.
    let first = in_runtimes::<FanOutCase>()[0].0;
    let tasks = |n| {
        let mut b = in_runtime(first, FanOutCase::Flat { tasks: n }).unwrap();
        run_checked(&mut b, 2).unwrap();
        b.work().tasks
    };
    assert_eq!((tasks(10), tasks(1000)), (20, 2000));
    let timers = |n| {
        let case = TimerCase::SleepMany {
            dur: Duration::from_micros(100),
            timers: n,
        };
        let mut b = in_runtime(first, case).unwrap();
        run_checked(&mut b, 1).unwrap();
        b.hist_mut().map_or(0, |h| h.len())
    };
    assert_eq!((timers(10), timers(500)), (10, 500));
}

/// On N server cores every flavor, and the `std-threads` floor, is named
/// `N cores`: one table, flavor in its own column (fairness rule 3). Before,
/// thread-per-core said `2 cores thread-per-core`, work-stealing `2 workers
/// work-stealing on 2 cores` and std-threads `1 core`.
#[test]
fn every_flavor_on_two_cores_shares_one_topology() {
    let _guard = serial();
    let Ok(placement) = Placement::here(2, false) else {
        eprintln!("skipped: fewer than 2 CPUs allowed");
        return;
    };
    let case = EchoCase {
        msg_bytes: 64,
        connections: 4,
    };
    let mut topologies = Vec::new();
    let mut floor = ServedBench::std_threads(case, &placement).unwrap();
    run_checked(&mut floor, 16).unwrap();
    topologies.push(("std-threads", floor.topology.clone()));
    drop(floor);
    // The first adapter of each flavor.
    struct FirstOfEachFlavor<'a> {
        case: EchoCase,
        placement: &'a Placement,
        flavors: Vec<Flavor>,
        topologies: Vec<(&'static str, String)>,
    }
    impl VisitServers for FirstOfEachFlavor<'_> {
        fn runtime<R: Runtime>(&mut self, w: Servers<R>) {
            if self.flavors.contains(&R::FLAVOR) {
                return;
            }
            self.flavors.push(R::FLAVOR);
            match w.echo(self.case, self.placement, &Config::with_workers(2)) {
                Ok(mut b) => {
                    run_checked(&mut b, 16).unwrap();
                    self.topologies.push((R::NAME, b.topology.clone()));
                }
                Err(e) => eprintln!("{} unavailable: {e}", R::NAME),
            }
        }
    }
    let mut each = FirstOfEachFlavor {
        case,
        placement: &placement,
        flavors: Vec::new(),
        topologies,
    };
    rtbench_workloads::visit_servers(&mut each);
    let topologies = each.topologies;
    assert!(topologies.len() >= 2, "{topologies:?}");
    assert!(
        topologies.iter().all(|(_, t)| t == "2 cores"),
        "{topologies:?}"
    );
    assert_eq!(placement.topology(), rtbench_workloads::topology(2));
}

#[test]
fn matrices_have_distinct_labels_per_parameter() {
    for full in [false, true] {
        let m = EchoCase::matrix(full);
        let labels: std::collections::HashSet<_> = m.iter().map(|c| c.label()).collect();
        assert_eq!(labels.len(), m.len());
    }
    assert_eq!(EchoCase::matrix(false).len(), 6);
    assert_eq!(EchoCase::matrix(true).len(), 12);
    assert_eq!(
        FanOutCase::Tree {
            branching: 10,
            depth: 5
        }
        .tasks(),
        111_111
    );
    let t: std::collections::HashSet<_> = TimerCase::matrix().iter().map(|c| c.label()).collect();
    assert_eq!(t.len(), TimerCase::matrix().len());
}

/// A workload written outside the crate, as the next ones will be: a
/// `Case` with its body, nothing else, runs on every adapter of the list
/// through `in_runtimes` (a chain of spawned tasks, each awaited in turn).
#[derive(Debug, Clone, Copy)]
struct Chain(u64);

impl Case for Chain {
    fn per_iter(&self) -> Work {
        Work {
            ops: 1,
            tasks: self.0,
            ..Work::default()
        }
    }

    fn label(&self) -> String {
        format!("chain-{}", self.0)
    }

    async fn body<T: rtbench_workloads::Tasks>(
        self,
        iters: u64,
    ) -> Result<rtbench_workloads::Sample, String> {
        let start = std::time::Instant::now();
        let mut sum = 0;
        for _ in 0..iters {
            for i in 0..self.0 {
                sum += T::spawn(async move { i }).await;
            }
        }
        let want = iters * self.0 * (self.0 - 1) / 2;
        if sum != want {
            return Err(format!("chain: sum {sum}, expected {want}"));
        }
        Ok(rtbench_workloads::Sample {
            elapsed: start.elapsed(),
            work: Work {
                ops: iters,
                tasks: iters * self.0,
                ..Work::default()
            },
            hist: None,
            bytes_per_task: None,
            timer_slack_ns: None,
        })
    }

    rtbench_workloads::send_body!();
}

#[test]
fn a_case_written_outside_the_crate_runs_on_every_adapter() {
    let _guard = serial();
    let mut ran = Vec::new();
    for (name, make) in in_runtimes::<Chain>() {
        // Building fails only where the runtime cannot start here.
        let Ok(mut b) = make(Chain(50), &conf()) else {
            continue;
        };
        run_checked(&mut b, 3).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(b.work().tasks, 150, "{name}");
        ran.push(name);
    }
    assert!(ran.len() >= 2, "{ran:?}");
}

/// Every file case, a small file and a depth of 4 for 32, on every adapter
/// and floor: each reads back what its offsets hold and records a latency
/// per operation.
#[test]
fn file_cases_check_their_work_on_every_adapter_and_floor() {
    use rtbench_workloads::file::floors::{Floor, FloorBench};
    use rtbench_workloads::file::{FileCase, TestFile, file_runtimes};
    let _guard = serial();
    let dir = tempfile::tempdir_in(std::env::current_dir().unwrap().join("..").join("target"))
        .or_else(|_| tempfile::tempdir())
        .unwrap();
    let test = TestFile::prepare(dir.path(), 4 << 20).unwrap();
    let cases = FileCase::matrix().into_iter().map(|case| match case {
        FileCase::RandRead { direct, .. } => FileCase::RandRead {
            depth: case.depth().min(4),
            direct,
        },
        other => other,
    });
    let mut failed = Vec::new();
    let mut ran = 0;
    for case in cases {
        type Built = Result<Box<dyn Observed>, String>;
        let mut all: Vec<(String, Built)> = file_runtimes()
            .into_iter()
            .map(|(name, make)| (name.to_string(), make(case, &conf(), &test)))
            .collect();
        for floor in Floor::ALL {
            let b = FloorBench::new(floor, case, &test).map(|b| Box::new(b) as Box<dyn Observed>);
            all.push((floor.name().to_string(), b));
        }
        for (name, built) in all {
            let outcome = built.and_then(|mut b| {
                run_checked(&mut b, 1)?;
                run_checked(&mut b, 9)?;
                let seen = b.hist_mut().map_or(0, |h| h.len());
                let want = 10 * case.ops_per_iter();
                expect(seen == want, || {
                    format!("{seen} latencies recorded, expected {want}")
                })?;
                expect(b.server_cpu().is_some(), || "no CPU time".into())
            });
            match outcome {
                Ok(()) => ran += 1,
                Err(e) => failed.push(format!("{name} {}: {e}", case.label())),
            }
        }
    }
    assert!(failed.is_empty(), "failed:\n{}", failed.join("\n"));
    assert!(ran >= 10, "{ran} ran");
}
