//! The trials' tests: intervals, verdicts, the search and the capacity on made-up trials.

use super::*;
use rand_distr::{Distribution, Exp};
use rtbench_loadgen::{Arrivals, Wait};

const SLO: Slo = Slo {
    quantile: 0.99,
    max_ns: 1_000_000,
};

fn base() -> OpenLoopConfig {
    OpenLoopConfig {
        rate: 1.0,
        warmup: Duration::ZERO,
        duration: Duration::from_millis(100),
        arrivals: Arrivals::Even,
        wait: Wait::Sleep,
        drain: Duration::from_millis(50),
        stall: Duration::from_secs(1),
    }
}

/// The Lancet interval is a 95% interval: over 200 seeded draws of
/// 10,000 exponential samples (mean 100 µs), the p99 interval covers the
/// true p99 (100 µs · ln 100) in at least 180 draws, and misses it in at
/// least 2 (an interval too wide to mean anything would never miss).
#[test]
fn the_order_statistic_interval_covers_the_true_percentile() {
    let truth = 100_000.0 * 100f64.ln();
    let exp = Exp::new(1.0 / 100_000.0).unwrap();
    let mut covered = 0;
    for seed in 0..200u64 {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut h = hdr::histogram();
        for _ in 0..10_000 {
            hdr::record(&mut h, exp.sample(&mut rng) as u64);
        }
        let p = percentile_interval(&h, 0.99);
        assert!(p.lower_ns as f64 <= p.value_ns as f64 * 1.001);
        assert!(p.upper_ns.unwrap() >= p.value_ns);
        if (p.lower_ns as f64) <= truth && truth <= p.upper_ns.unwrap() as f64 {
            covered += 1;
        }
    }
    assert!((180..=198).contains(&covered), "covered {covered} of 200");
}

/// A trial of `n` round trips: corrected latency `lat` (service `svc`),
/// generator lag `lag`, server part `srv`, each for all round trips.
fn run(n: u64, lat: u64, svc: u64, lag: u64, srv: u64) -> TrialRun {
    let mut hists = OpenHists::default();
    for _ in 0..n {
        hdr::record(&mut hists.latency, lat);
        hdr::record(&mut hists.service, svc);
        hdr::record(&mut hists.lag, lag);
        hdr::record(&mut hists.server, srv);
        hdr::record(&mut hists.read_delay, 1_000);
    }
    TrialRun {
        outcome: OpenOutcome {
            round_trips: n,
            unsent: 0,
            queued: 0,
            completed: n,
            outstanding: 0,
            elapsed: Duration::from_millis(100),
        },
        hists,
        cpu: CpuPerOp::default(),
        interference: Interference::default(),
    }
}

/// A sweep step's pool at 1000/s, half the reference.
fn pool_at_1000() -> Pool {
    Pool::new(
        "sweep",
        0.5,
        OpenLoopConfig {
            rate: 1000.0,
            ..base()
        },
    )
}

#[test]
fn a_pool_counts_every_trial_and_halves_split_odd_from_even() {
    let mut pool = pool_at_1000();
    for (k, lat) in [100_000, 200_000, 100_000, 200_000].into_iter().enumerate() {
        assert!(pool.add(run(100, lat, lat, 1_000, lat), k as u32, &SLO, false));
    }
    let step = pool.step(&SLO);
    assert_eq!(
        step.latency.count, 400,
        "the pooled count is the trials' sum"
    );
    assert_eq!(step.round_trips, 400);
    // 400 samples cannot bound p99 from above (rank 401): not a sure meet.
    assert_eq!(step.verdict, Some(Verdict::Straddles));
    for k in 4..40 {
        assert!(pool.add(run(100, 100_000, 1, 1_000, 1), k, &SLO, false));
    }
    let step = pool.step(&SLO);
    assert_eq!(step.trials.len(), 40);
    let halves = step.halves.unwrap();
    assert!(halves[0].target_ns < 110_000 && halves[1].target_ns > 190_000);
    assert!(halves[0].meets && halves[1].meets);
    assert_eq!(step.verdict, Some(Verdict::Meets));
}

/// One trial with a stall among clean ones: the pooled round trips alone
/// would put p99 at the stall, sure of it (±0%); resampling the trials
/// says that the next draw may well have no stall.
#[test]
fn a_stall_in_one_trial_widens_the_interval_to_the_trials_spread() {
    let mut pool = pool_at_1000();
    for k in 0..3 {
        let mut r = run(10_000, 100_000, 90_000, 1_000, 80_000);
        if k == 1 {
            for _ in 0..500 {
                hdr::record(&mut r.hists.latency, 5_000_000);
            }
        }
        assert!(pool.add(r, k, &SLO, true));
    }
    let lancet = percentile_interval(&pool.hists.latency, 0.99);
    assert!(lancet.lower_ns >= 4_900_000, "{lancet:?}");
    let step = pool.step(&SLO);
    let t = step.target.unwrap();
    assert!(
        t.lower_ns <= 110_000 && t.upper_ns.unwrap() >= 4_900_000,
        "{t:?}"
    );
    assert_eq!(step.verdict, Some(Verdict::Straddles));
    // Alike trials: the bootstrap adds nothing to the order statistics.
    let alike: Vec<Vec<(u64, u64)>> = vec![vec![(100, 10), (200, 10)]; 3];
    assert_eq!(trial_bootstrap(&alike, 0.5), Some((100, 100)));
    assert_eq!(trial_bootstrap(&alike[..1], 0.5), None);
}

#[test]
fn a_generator_tail_is_run_again_and_a_server_tail_is_kept() {
    // Corrected 5 ms against service 100 µs: the generator's lag explains it.
    let generator = run(100, 5_000_000, 100_000, 4_900_000, 90_000);
    assert_eq!(classify(&generator, &SLO), Some(SlowCause::Generator));
    let mut pool = pool_at_1000();
    assert!(!pool.add(generator, 0, &SLO, false), "invalid: run again");
    assert_eq!(pool.trials(), 0);
    let server = run(100, 5_000_000, 100_000, 1_000, 4_000_000);
    assert_eq!(classify(&server, &SLO), Some(SlowCause::Server));
    assert!(pool.add(server, 0, &SLO, false), "the server's tail counts");
    let mut machine = run(100, 5_000_000, 100_000, 1_000, 4_000_000);
    machine.interference.server_run_delay_ns = Some(5_000_000);
    assert_eq!(classify(&machine, &SLO), Some(SlowCause::Machine));
    assert!(
        pool.add(machine, 0, &SLO, false),
        "the server's CPU was taken: kept"
    );
    let step = pool.step(&SLO);
    assert_eq!((step.reruns, step.trials.len()), (1, 3));
    assert!(step.trials[0].invalid && !step.trials[1].invalid);
    assert_eq!(
        classify(&run(100, 100_000, 90_000, 1_000, 80_000), &SLO),
        None
    );
}

/// Fake runtimes with a capacity each: p99 100 µs below it, 5 ms above;
/// behind past 1.2× it. Records every (runtime, rate, position).
struct Fake {
    caps: Vec<f64>,
    seen: Vec<(usize, f64, u32)>,
    stall_generator_once: bool,
}

impl Trials for Fake {
    fn trial(&mut self, i: usize, rate: f64, position: u32) -> Result<TrialRun, String> {
        self.seen.push((i, rate, position));
        if self.stall_generator_once {
            self.stall_generator_once = false;
            return Ok(run(500, 5_000_000, 100_000, 4_900_000, 90_000));
        }
        let cap = self.caps[i];
        let mut r = if rate <= cap {
            run(500, 100_000, 90_000, 1_000, 80_000)
        } else {
            run(500, 5_000_000, 4_000_000, 1_000, 4_000_000)
        };
        if rate > 1.2 * cap {
            r.outcome.unsent = 10;
        }
        // As many round trips as the rate asked for.
        r.outcome.elapsed = Duration::from_secs_f64(500.0 / rate);
        Ok(r)
    }
}

impl Fake {
    fn new(caps: &[f64]) -> Fake {
        Fake {
            caps: caps.to_vec(),
            seen: Vec::new(),
            stall_generator_once: false,
        }
    }
}

/// The sweep and every search of `n` runtimes, offered fractions of 100k/s.
fn search(n: usize, seed: u64, trials: &mut impl Trials) -> Vec<Searched> {
    search_all(
        n,
        100_000.0,
        sweep::FRACTIONS,
        &base(),
        &SLO,
        &plan(seed),
        trials,
    )
}

fn plan(seed: u64) -> Plan {
    Plan {
        min_trials: 2,
        max_trials: 2,
        width: 0.1,
        seed,
        budget: Duration::ZERO,
    }
}

#[test]
fn interleaved_search_finds_each_capacity_with_an_interval_and_halves() {
    let mut fake = Fake {
        stall_generator_once: true,
        ..Fake::new(&[50_000.0, 75_000.0, 200_000.0, 1_000.0])
    };
    let found = search(4, 7, &mut fake);
    // Even the lowest step missed: no capacity, and the interval says so.
    let none = found[3].capacity.as_ref().unwrap();
    assert_eq!(
        (none.rate, none.interval),
        (None, Some((0.0, Some(10_000.0))))
    );
    assert_eq!(
        found[3].steps.len(),
        1,
        "a step that fell behind ends the sweep"
    );
    // Above the sweep, the search extends: 200k is found from 110k up.
    for (s, cap) in found.iter().zip([50_000.0, 75_000.0, 200_000.0]) {
        let c = s.capacity.as_ref().unwrap();
        let got = c.rate.unwrap();
        assert!(
            got <= cap && got >= cap * (1.0 - RESOLUTION),
            "{cap}: {c:?}"
        );
        let (lo, hi) = c.interval.unwrap();
        assert!(lo <= cap && hi.is_none_or(|h| h > cap), "{cap}: {c:?}");
        assert_eq!(c.halves.unwrap(), [c.rate, c.rate], "halves agree here");
        assert!(
            s.steps
                .iter()
                .all(|st| st.trials.iter().filter(|t| !t.invalid).count() == 2)
        );
    }
    // The one generator stall was run again and counted.
    let reruns: u32 = found.iter().flat_map(|s| &s.steps).map(|s| s.reruns).sum();
    assert_eq!(reruns, 1);
}

/// One stall in one trial at the 25% step makes its pooled p99 miss, but
/// only by chance (the interval straddles the target), and every step up
/// to 70% surely meets: the capacity is not capped at 10%.
#[test]
fn a_chance_miss_below_sure_meets_does_not_cap_the_capacity() {
    struct Stalls(Fake, u32);
    impl Trials for Stalls {
        fn trial(&mut self, i: usize, rate: f64, p: u32) -> Result<TrialRun, String> {
            let mut r = self.0.trial(i, rate, p)?;
            if rate == 25_000.0 {
                self.1 += 1;
                if self.1 == 1 {
                    for _ in 0..30 {
                        hdr::record(&mut r.hists.latency, 5_000_000);
                    }
                }
            }
            Ok(r)
        }
    }
    let mut s = Stalls(Fake::new(&[75_000.0]), 0);
    let found = search(1, 5, &mut s);
    let at_25 = found[0]
        .steps
        .iter()
        .find(|st| st.offered_rate == 25_000.0)
        .unwrap();
    assert!(!at_25.meets_slo, "the pooled p99 missed");
    assert_eq!(at_25.verdict, Some(Verdict::Straddles));
    let c = found[0].capacity.as_ref().unwrap();
    assert!(c.rate.unwrap() >= 70_000.0, "{c:?}");
    let (lo, hi) = c.interval.unwrap();
    assert!(
        lo <= c.rate.unwrap() && hi.is_none_or(|h| c.rate.unwrap() < h),
        "{c:?}"
    );
}

#[test]
fn trial_orders_are_shuffled_recorded_and_reproducible() {
    let go = |seed| {
        let mut fake = Fake::new(&[1e9; 4]);
        search_all(4, 1000.0, &[0.5], &base(), &SLO, &plan(seed), &mut fake);
        fake.seen
    };
    let a = go(1);
    assert_eq!(a, go(1), "the same seed replays the same orders");
    assert_ne!(a, go(2));
    // Each trial is every runtime once, at positions 0..4.
    for chunk in a.chunks(4) {
        let mut who: Vec<usize> = chunk.iter().map(|s| s.0).collect();
        who.sort_unstable();
        assert_eq!(who, [0, 1, 2, 3]);
        assert!(chunk.iter().enumerate().all(|(k, s)| s.2 == k as u32));
    }
}

#[test]
fn a_failing_runtime_leaves_and_the_others_go_on() {
    struct Dies(Fake);
    impl Trials for Dies {
        fn trial(&mut self, i: usize, rate: f64, p: u32) -> Result<TrialRun, String> {
            if i == 0 && rate > 40_000.0 {
                return Err("the server was killed by signal 11".into());
            }
            self.0.trial(i, rate, p)
        }
    }
    let mut d = Dies(Fake::new(&[80_000.0, 80_000.0]));
    let found = search(2, 3, &mut d);
    assert!(found[0].error.is_some() && found[0].capacity.is_none());
    assert!(
        !found[0].steps.is_empty(),
        "its steps before the crash stay"
    );
    assert!(found[1].capacity.as_ref().unwrap().rate.unwrap() >= 72_000.0);
}
