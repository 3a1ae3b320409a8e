//! The open-loop generator measures what it claims: coordinated omission is
//! corrected, the offered rate is honoured, and the capacity search finds a
//! capacity that was set by hand. Loopback only; every run is bounded in time.

use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

mod common;

use common::{hooked_server, open};
use rtbench_format::Slo;
use rtbench_loadgen::{LoadGen, OpenHists, OpenLoopConfig};
use rtbench_workloads::std_server::StdEchoServer;
use rtbench_workloads::sweep;
use rtbench_workloads::trials::{self, Plan, TrialRun, Trials};

/// One at a time: on 2 cores a parallel test would skew the timings.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The classic proof. A server that stalls for 50 ms once every 500 ms is
/// driven at 1,000 round trips/s over one connection for 2 s, far below its
/// capacity (~10k/s). Four stalls fall in the window; the 50 round trips meant
/// to be sent during each stall are late by 0 to 50 ms, evenly spread, so 10%
/// of all round trips are late by up to 50 ms and the corrected p99 (the top
/// 1%, i.e. the top tenth of the late ones) is about 45 ms. Only the one round
/// trip in flight when a stall starts sees it in its service time: 4 of 2,000
/// (0.2%), so service-time p99 stays at the unstalled round trip (~0.1 ms).
/// Measuring latency from the actual send would make the two equal.
#[test]
fn coordinated_omission_is_corrected() {
    let _g = serial();
    let born = Instant::now();
    let (period, stall) = (Duration::from_millis(500), Duration::from_millis(50));
    let addr = hooked_server(64, move || {
        let phase = born.elapsed().as_nanos() % period.as_nanos();
        let stall_from = (period - stall).as_nanos();
        if phase >= stall_from {
            thread::sleep(Duration::from_nanos((period.as_nanos() - phase) as u64));
        }
    });
    let mut lg = LoadGen::connect(addr, 1, 64).unwrap();
    let mut h = OpenHists::default();
    let out = lg
        .run_open(&open(1000.0, Duration::from_secs(2)), &mut h)
        .unwrap();
    assert_eq!(out.round_trips, 2000);
    assert_eq!(out.unsent, 0);
    let ms = |ns: u64| ns as f64 / 1e6;
    let corrected = ms(h.latency.value_at_quantile(0.99));
    let service = ms(h.service.value_at_quantile(0.99));
    assert!(
        corrected >= 25.0,
        "corrected p99 {corrected} ms hides the stalls"
    );
    assert!(
        service < 5.0,
        "service-time p99 {service} ms: the stalls leaked in"
    );
    assert!(
        ms(h.service.max()) >= 25.0,
        "the stall reached service time once"
    );
    assert_eq!(h.latency.len(), 2000);
    assert_eq!(h.service.len(), 2000);
    // Each send is either on time for its connection (lag) or waited for it.
    assert_eq!(h.lag.len() + out.queued, 2000);
    assert!(out.queued >= 4 * 40, "the backlog after each stall waited");
}

/// Against the std-threads server far below its capacity, the schedule is
/// kept: every round trip intended in the window is done, at the offered rate,
/// and halving the rate halves the work.
#[test]
fn the_offered_rate_is_honoured() {
    let _g = serial();
    let server = StdEchoServer::start(&[0]).unwrap();
    let mut lg = LoadGen::connect(server.addr(), 16, 64).unwrap();
    for rate in [4000.0, 2000.0] {
        let before = lg.stats();
        let mut h = OpenHists::default();
        let cfg = open(rate, Duration::from_secs(1));
        let out = lg.run_open(&cfg, &mut h).unwrap();
        // Even spacing over exactly 1 s: exactly `rate` intended sends.
        let want = rate as u64;
        assert!(out.round_trips.abs_diff(want) * 100 <= want, "{out:?}");
        assert_eq!(out.unsent, 0);
        let achieved = out.achieved_rate();
        assert!(
            (achieved / rate - 1.0).abs() <= 0.01,
            "achieved {achieved} of {rate}"
        );
        // Every byte of every round trip, warm-up included, was compared.
        let did = lg.stats().round_trips - before.round_trips;
        assert_eq!(did, out.completed);
        assert_eq!(lg.stats().bytes_verified - before.bytes_verified, did * 64);
        assert_eq!(h.latency.len(), out.round_trips);
    }
}

/// A server whose capacity is set by hand: one request at a time on a virtual
/// timeline, 1 ms each, so exactly 1,000 round trips/s whatever the wake-up
/// delays (they shift replies, not the timeline). The search, with a target
/// of p99 ≤ 10 ms (wide against a loaded machine's wake-ups of up to a few
/// ms), must find it from below or at most the behind slack above it (a
/// step's round trips may come back 10 ms late: 3.3% of a 0.3 s step, a
/// backlog that a 1 ms target would catch and this wide one does not), and
/// within the search's resolution and 5% more under it (at 96% of a 1 ms
/// server, a loaded machine's queueing can miss a step).
#[test]
fn capacity_search_finds_a_capacity_set_by_hand() {
    let _g = serial();
    let service = Duration::from_millis(1);
    let busy_until = Arc::new(Mutex::new(Instant::now()));
    let addr = hooked_server(64, move || {
        let done = {
            let mut b = busy_until.lock().unwrap();
            *b = (*b).max(Instant::now()) + service;
            *b
        };
        thread::sleep(done.saturating_duration_since(Instant::now()));
    });
    let mut lg = LoadGen::connect(addr, 8, 64).unwrap();
    let slo = Slo {
        quantile: 0.99,
        max_ns: 10_000_000,
    };
    let base = OpenLoopConfig {
        warmup: Duration::from_millis(50),
        ..open(1.0, Duration::from_millis(300))
    };
    struct One<'a>(&'a mut LoadGen, OpenLoopConfig);
    impl Trials for One<'_> {
        fn trial(&mut self, _: usize, rate: f64, _: u32) -> Result<TrialRun, String> {
            let cfg = OpenLoopConfig { rate, ..self.1 };
            let mut hists = OpenHists::default();
            let outcome = self
                .0
                .run_open(&cfg, &mut hists)
                .map_err(|e| e.to_string())?;
            Ok(TrialRun {
                outcome,
                hists,
                cpu: Default::default(),
                interference: Default::default(),
            })
        }
    }
    let plan = Plan {
        min_trials: 1,
        max_trials: 1,
        width: 1.0,
        seed: 1,
        budget: Duration::ZERO,
    };
    let mut one = One(&mut lg, base);
    let found = trials::search_all(1, 1200.0, sweep::FRACTIONS, &base, &slo, &plan, &mut one)
        .pop()
        .unwrap();
    let (steps, cap) = (found.steps, found.capacity.expect("the search ended"));
    let got = cap.rate.expect("a capacity");
    assert!(
        (1000.0 * (1.0 - sweep::RESOLUTION - 0.05)..=1000.0 * (1.0 + 0.010 / 0.3) + 10.0)
            .contains(&got),
        "found {got}: {cap:?}\n{steps:#?}"
    );
    let hi = cap.bracket_hi.unwrap();
    assert!(cap.bracket_lo <= got && got < hi && hi - got <= sweep::RESOLUTION * got);
    assert!(steps.iter().any(|s| s.behind), "the 110% step fell behind");
}

/// A refused connection is an error naming the address, not a panic or a hang.
#[test]
fn a_refused_connection_is_an_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let e = LoadGen::connect(port, 1, 64).unwrap_err();
    assert!(e.to_string().contains(&port.to_string()), "{e}");
    let _ = TcpStream::connect(port).unwrap_err();
}
