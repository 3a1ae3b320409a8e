//! Interleaved trials (Abedi & Brecht's randomized multiple interleaved
//! trials): every server of a case is started once, and at each offered rate
//! every runtime runs one trial in a shuffled order, repeated. A runtime's
//! figures at a rate pool its trials' histograms (HdrHistograms add), and the
//! target percentile carries a 95% order-statistic interval (Lancet).
//!
//! Why: on this machine a 0.2 s step's p99 depends on whether a 1–8 ms stall
//! of CPU 0 lands in it, so one step per runtime, or the best of three
//! repeats, is a lottery; pooled trials interleaved in time let every
//! runtime draw the machine's stalls alike.

use crate::echo::CpuPerOp;
use crate::sweep::{self, EXTEND, MAX_BISECT, RESOLUTION};
use hdrhistogram::Histogram;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rtbench_format::stats::rank_interval;
use rtbench_format::{
    Capacity, Half, Interference, PercentileInterval, Slo, SlowCause, Step, Trial, Verdict,
};
use rtbench_loadgen::hdr;
use rtbench_loadgen::{OpenHists, OpenLoopConfig, OpenOutcome};
use std::time::{Duration, Instant};

/// A trial whose tail the generator caused is run again at most this many
/// times; the last attempt is pooled whatever its cause (and stays marked),
/// so that a generator at its own limit cannot loop forever. Once: in a
/// quick run, rates above what one generator thread sends on time (~160k/s
/// here) were re-run twice each for nothing, a fifth of the open-loop time.
pub const MAX_RERUNS: u32 = 1;
/// Run delay above this, in one trial, counts as the machine's interference.
const MACHINE_DELAY_NS: u64 = 1_000_000;

/// How many trials, and when to stop adding them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// Trials of every runtime at every rate (2 or more for the split-half check).
    pub min_trials: u32,
    /// Most trials at one rate while the target interval is still wider than `width`.
    pub max_trials: u32,
    /// Relative half-width of the target percentile's interval that is enough.
    pub width: f64,
    /// Seed of every trial order.
    pub seed: u64,
    /// After this long in the case, no trial beyond `min_trials` is added.
    pub budget: Duration,
}

/// One trial as run: what the generator measured, and what the machine did.
#[derive(Debug)]
pub struct TrialRun {
    pub outcome: OpenOutcome,
    pub hists: OpenHists,
    pub cpu: CpuPerOp,
    pub interference: Interference,
}

/// What the interleaved search asks of the benches.
pub trait Trials {
    /// Runs one trial of runtime `i` at `rate`; `position` is its place in
    /// this trial's shuffled order. An error drops runtime `i` from the case.
    fn trial(&mut self, i: usize, rate: f64, position: u32) -> Result<TrialRun, String>;
    /// Runtime `i` finished a step (all its trials at one rate).
    fn stepped(&mut self, _i: usize, _step: &Step) {}
}

/// The r-th smallest recorded value (1-based): the lowest value of its
/// bucket when `upper` is false, the highest when true, so that the
/// interval never loses the histogram's resolution in its own favour.
pub fn value_at_rank(h: &Histogram<u64>, rank: u64, upper: bool) -> u64 {
    let mut seen = 0;
    for v in h.iter_recorded() {
        seen += v.count_at_value();
        if seen >= rank {
            let x = v.value_iterated_to();
            return if upper {
                h.highest_equivalent(x)
            } else {
                h.lowest_equivalent(x)
            };
        }
    }
    h.max()
}

/// The `q` quantile of `h` with its 95% order-statistic interval.
pub fn percentile_interval(h: &Histogram<u64>, q: f64) -> PercentileInterval {
    let n = h.len();
    let (lo, hi) = rank_interval(n, q);
    PercentileInterval {
        quantile: q,
        value_ns: h.value_at_quantile(q),
        lower_ns: if n == 0 {
            0
        } else {
            value_at_rank(h, lo, false)
        },
        upper_ns: hi.map(|r| value_at_rank(h, r, true)),
        count: n,
    }
}

/// Resamples of [`trial_bootstrap`]: enough for the 2.5% and 97.5% points
/// of a few trials' pooled percentile, cheap enough to recompute after
/// every trial.
const RESAMPLES: usize = 400;

/// The 95% percentile-bootstrap interval of the `q` quantile of pooled
/// trials, resampling whole trials with replacement (seeded by the data, so
/// a step's interval is reproducible); `None` for fewer than two trials.
pub fn trial_bootstrap(trials: &[Vec<(u64, u64)>], q: f64) -> Option<(u64, u64)> {
    let k = trials.len();
    if k < 2 {
        return None;
    }
    let total: u64 = trials.iter().flatten().map(|v| v.1).sum();
    let mut rng = SmallRng::seed_from_u64(total ^ (k as u64) << 48);
    let mut picks = vec![0u64; k];
    let mut merged: Vec<(u64, u64)> = Vec::new();
    let mut estimates: Vec<u64> = (0..RESAMPLES)
        .map(|_| {
            picks.iter_mut().for_each(|m| *m = 0);
            for _ in 0..k {
                picks[rng.random_range(0..k)] += 1;
            }
            merged.clear();
            for (t, &m) in trials.iter().zip(&picks) {
                merged.extend(t.iter().filter(|_| m > 0).map(|&(v, c)| (v, c * m)));
            }
            merged.sort_unstable_by_key(|v| v.0);
            let n: u64 = merged.iter().map(|v| v.1).sum();
            let rank = ((q * n as f64).ceil() as u64).max(1);
            let mut seen = 0;
            merged
                .iter()
                .find(|v| {
                    seen += v.1;
                    seen >= rank
                })
                .map_or(0, |v| v.0)
        })
        .collect();
    estimates.sort_unstable();
    let at = |f: f64| estimates[((f * RESAMPLES as f64) as usize).min(RESAMPLES - 1)];
    Some((at(0.025), at(0.975)))
}

/// The interval's relative half-width around its value (infinite without
/// an upper bound).
pub fn half_width(p: &PercentileInterval) -> f64 {
    match p.upper_ns {
        Some(u) if p.value_ns > 0 => (u - p.lower_ns) as f64 / 2.0 / p.value_ns as f64,
        _ => f64::INFINITY,
    }
}

/// Whose fault a trial's tail was: `None` unless it is slow, that is its
/// corrected p99 misses the target or far exceeds its service p99 (more than
/// twice it and 200 µs above it). The generator's part is its send lag or
/// read delay, the server's the time from the send to the kernel's receive
/// stamp (service time when unstamped); run delay over 1 ms on the side
/// whose part is larger makes it the machine's.
pub fn classify(run: &TrialRun, slo: &Slo) -> Option<SlowCause> {
    let p99 = |h: &Histogram<u64>| h.value_at_quantile(0.99);
    let h = &run.hists;
    let (corrected, service) = (p99(&h.latency), p99(&h.service));
    let far = corrected > 2 * service && corrected - service > 200_000;
    if !far && h.latency.value_at_quantile(slo.quantile) <= slo.max_ns {
        return None;
    }
    let generator = p99(&h.lag).max(p99(&h.read_delay));
    let server = if h.server.is_empty() {
        service
    } else {
        p99(&h.server)
    };
    let i = run.interference;
    let (side_delay, generator_side) = if generator > server {
        (i.generator_run_delay_ns, true)
    } else {
        (i.server_run_delay_ns, false)
    };
    Some(if side_delay.unwrap_or(0) > MACHINE_DELAY_NS {
        SlowCause::Machine
    } else if generator_side {
        SlowCause::Generator
    } else {
        SlowCause::Server
    })
}

/// Whether a classified trial is the generator's doing (and is run again).
fn generator_caused(run: &TrialRun, cause: Option<SlowCause>) -> bool {
    let p99 = |h: &Histogram<u64>| h.value_at_quantile(0.99);
    let h = &run.hists;
    let server = if h.server.is_empty() {
        p99(&h.service)
    } else {
        p99(&h.server)
    };
    match cause {
        Some(SlowCause::Generator) => true,
        Some(SlowCause::Machine) => p99(&h.lag).max(p99(&h.read_delay)) > server,
        _ => false,
    }
}

fn add_hists(to: &mut OpenHists, from: &OpenHists) {
    for (a, b) in [
        (&mut to.latency, &from.latency),
        (&mut to.service, &from.service),
        (&mut to.lag, &from.lag),
        (&mut to.server, &from.server),
        (&mut to.read_delay, &from.read_delay),
    ] {
        a.add(b).expect("histograms of the same bounds add");
    }
}

/// The trials of one runtime at one rate.
#[derive(Debug)]
pub struct Pool {
    kind: &'static str,
    fraction: f64,
    cfg: OpenLoopConfig,
    hists: OpenHists,
    halves: [Histogram<u64>; 2],
    /// Per half: (trials, trials behind).
    half_behind: [(u32, u32); 2],
    round_trips: u64,
    unsent: u64,
    queued: u64,
    completed: u64,
    elapsed: Duration,
    behind: u32,
    valid: u32,
    server_cpu_ns: Option<f64>,
    generator_cpu_ns: Option<f64>,
    interference: Interference,
    trials: Vec<Trial>,
    reruns: u32,
    /// Each valid trial's corrected latency, as (value, count) in value
    /// order: what the trial bootstrap resamples.
    per_trial: Vec<Vec<(u64, u64)>>,
}

impl Pool {
    pub fn new(kind: &'static str, fraction: f64, cfg: OpenLoopConfig) -> Pool {
        Pool {
            kind,
            fraction,
            cfg,
            hists: OpenHists::default(),
            halves: [hdr::histogram(), hdr::histogram()],
            half_behind: [(0, 0); 2],
            round_trips: 0,
            unsent: 0,
            queued: 0,
            completed: 0,
            elapsed: Duration::ZERO,
            behind: 0,
            valid: 0,
            server_cpu_ns: None,
            generator_cpu_ns: None,
            interference: Interference::default(),
            trials: Vec::new(),
            reruns: 0,
            per_trial: Vec::new(),
        }
    }

    /// Whether the last trial added was the generator's doing (pooled only
    /// because it was the last try).
    pub fn last_was_generators(&self) -> bool {
        self.trials.last().is_some_and(|t| match t.cause {
            Some(SlowCause::Generator) => true,
            Some(SlowCause::Machine) => {
                t.lag_p99_ns.max(t.read_delay_p99_ns.unwrap_or(0))
                    > t.server_p99_ns.unwrap_or(t.service_p99_ns)
            }
            _ => false,
        })
    }

    /// Valid trials so far.
    pub fn trials(&self) -> u32 {
        self.valid
    }

    /// Adds one trial; returns whether it was pooled (`false`: the
    /// generator caused its tail, run it again unless `last_try`).
    pub fn add(&mut self, run: TrialRun, position: u32, slo: &Slo, last_try: bool) -> bool {
        let cause = classify(&run, slo);
        let invalid = generator_caused(&run, cause) && !last_try;
        let step = sweep::step(
            self.kind,
            self.fraction,
            &self.cfg,
            &run.outcome,
            &run.hists,
            run.cpu,
            slo,
        );
        let p99 = |h: &Histogram<u64>| (!h.is_empty()).then(|| h.value_at_quantile(0.99));
        self.trials.push(Trial {
            trial: self.valid + 1,
            position,
            round_trips: run.outcome.round_trips,
            achieved_rate: step.achieved_rate,
            behind: step.behind,
            target_ns: run.hists.latency.value_at_quantile(slo.quantile),
            p50_ns: step.latency.p50_ns,
            service_p99_ns: step.service.p99_ns,
            lag_p99_ns: step.lag.p99_ns,
            server_p99_ns: p99(&run.hists.server),
            read_delay_p99_ns: p99(&run.hists.read_delay),
            queued: run.outcome.queued,
            interference: run.interference,
            cause,
            invalid,
        });
        if invalid {
            self.reruns += 1;
            return false;
        }
        let half = (self.valid % 2) as usize;
        self.halves[half]
            .add(&run.hists.latency)
            .expect("same bounds");
        self.half_behind[half].0 += 1;
        self.half_behind[half].1 += u32::from(step.behind);
        add_hists(&mut self.hists, &run.hists);
        self.per_trial.push(
            run.hists
                .latency
                .iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect(),
        );
        let o = run.outcome;
        self.round_trips += o.round_trips;
        self.unsent += o.unsent;
        self.queued += o.queued;
        self.completed += o.completed;
        self.elapsed += o.elapsed;
        self.behind += u32::from(step.behind);
        self.valid += 1;
        let add = |sum: &mut Option<f64>, per_op: Option<f64>| {
            if let Some(x) = per_op {
                *sum = Some(sum.unwrap_or(0.0) + x * o.completed as f64);
            }
        };
        add(&mut self.server_cpu_ns, run.cpu.server_ns);
        add(&mut self.generator_cpu_ns, run.cpu.generator_ns);
        self.interference = self.interference + run.interference;
        true
    }

    /// The target percentile over the pooled trials, with the wider of two
    /// 95% intervals: Lancet's order statistics of the pooled round trips,
    /// and a bootstrap that resamples whole trials (Kalibera & Jones'
    /// resampling at the level where the variance is). Why both: round trips
    /// of one trial are not independent here (one 1–8 ms stall of the
    /// machine delays hundreds in a row), so the order-statistic interval
    /// alone was as narrow as ±3% around p99s that the next trial moved by
    /// 10×; the trials are the independent draws.
    pub fn target(&self, slo: &Slo) -> PercentileInterval {
        let mut p = percentile_interval(&self.hists.latency, slo.quantile);
        if let Some((lo, hi)) = trial_bootstrap(&self.per_trial, slo.quantile) {
            p.lower_ns = p.lower_ns.min(lo);
            p.upper_ns = p.upper_ns.map(|u| u.max(hi));
        }
        p
    }

    /// The step these trials make: pooled figures, the target's interval
    /// and what it says, the halves, every trial.
    pub fn step(&self, slo: &Slo) -> Step {
        let outcome = OpenOutcome {
            round_trips: self.round_trips,
            unsent: self.unsent,
            queued: self.queued,
            completed: self.completed,
            // A trial stopped with round trips out was behind (`self.behind`).
            outstanding: 0,
            elapsed: self.elapsed.max(Duration::from_nanos(1)),
        };
        let per_op = |sum: Option<f64>| {
            sum.filter(|_| self.completed > 0)
                .map(|s| s / self.completed as f64)
        };
        let cpu = CpuPerOp {
            server_ns: per_op(self.server_cpu_ns),
            generator_ns: per_op(self.generator_cpu_ns),
        };
        // Pooled over n trials: the window is n trials long.
        let cfg = OpenLoopConfig {
            duration: self.cfg.duration * self.valid.max(1),
            ..self.cfg
        };
        let mut step = sweep::step(
            self.kind,
            self.fraction,
            &cfg,
            &outcome,
            &self.hists,
            cpu,
            slo,
        );
        step.duration_secs = self.cfg.duration.as_secs_f64();
        // Behind when most trials were: one stall at one trial's end must
        // not make a step that kept up read as one that did not.
        step.behind = 2 * self.behind > self.valid;
        let target = self.target(slo);
        step.meets_slo = !step.behind && self.round_trips > 0 && target.value_ns <= slo.max_ns;
        step.verdict = Some(if step.behind {
            Verdict::Behind
        } else if target.upper_ns.is_some_and(|u| u <= slo.max_ns) {
            Verdict::Meets
        } else if target.lower_ns > slo.max_ns {
            Verdict::Misses
        } else {
            Verdict::Straddles
        });
        step.target = Some(target);
        step.halves = (self.half_behind[1].0 > 0).then(|| {
            [0, 1].map(|h| {
                let (n, behind) = self.half_behind[h];
                let target_ns = self.halves[h].value_at_quantile(slo.quantile);
                Half {
                    target_ns,
                    meets: 2 * behind <= n && target_ns <= slo.max_ns,
                }
            })
        });
        step.parts = Some(self.hists.parts());
        step.interference = Some(self.interference);
        step.trials = self.trials.clone();
        step.reruns = self.reruns;
        step
    }
}

/// One runtime's search so far.
#[derive(Debug, Default)]
pub struct Searched {
    /// Every step in the order run.
    pub steps: Vec<Step>,
    /// `None` when the search did not end (see `error`).
    pub capacity: Option<Capacity>,
    /// Why the runtime left the case early.
    pub error: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    searched: Searched,
    /// Highest rate that met the target (pooled estimate), and lowest above it that missed.
    lo: f64,
    hi: Option<f64>,
    /// Fell behind in the sweep: higher sweep rates are skipped.
    stopped: bool,
}

impl State {
    fn live(&self) -> bool {
        self.searched.error.is_none()
    }
}

/// Runs the trials of one batch (each runtime `i` of `set` at its own
/// rate), interleaved: `plan.min_trials` trials of every runtime, each trial
/// in a fresh shuffled order, then more for the runtimes whose target
/// interval is still wider than `plan.width`, while the budget lasts.
#[allow(clippy::too_many_arguments)]
fn batch(
    set: &[(usize, f64, f64)],
    kind: &'static str,
    base: &OpenLoopConfig,
    slo: &Slo,
    plan: &Plan,
    salt: u64,
    started: Instant,
    trials: &mut impl Trials,
    states: &mut [State],
    limit: &mut Option<f64>,
) -> Vec<(usize, Pool)> {
    let mut pools: Vec<(usize, f64, Pool)> = set
        .iter()
        .map(|&(i, rate, fraction)| {
            let cfg = OpenLoopConfig { rate, ..*base };
            (i, rate, Pool::new(kind, fraction, cfg))
        })
        .collect();
    let mut round = 0u64;
    loop {
        let wanted: Vec<usize> = (0..pools.len())
            .filter(|&k| {
                let (i, _, pool) = &pools[k];
                let n = pool.trials();
                states[*i].live()
                    && (n < plan.min_trials
                        || (n < plan.max_trials
                            && started.elapsed() < plan.budget
                            && half_width(&pool.target(slo)) > plan.width))
            })
            .collect();
        if wanted.is_empty() {
            break;
        }
        round += 1;
        let mut order = wanted;
        order.shuffle(&mut SmallRng::seed_from_u64(
            plan.seed ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ round,
        ));
        for (position, k) in order.into_iter().enumerate() {
            let (i, rate, pool) = &mut pools[k];
            for attempt in 0..=MAX_RERUNS {
                // At or above a rate where a trial and its re-run were both
                // the generator's, the generator is at its own limit: a
                // re-run would only cost time (its lag is in the step).
                let last = attempt == MAX_RERUNS || limit.is_some_and(|l| *rate >= l);
                match trials.trial(*i, *rate, position as u32) {
                    Ok(run) => {
                        if pool.add(run, position as u32, slo, last) {
                            if attempt > 0 && pool.last_was_generators() {
                                *limit = Some(limit.map_or(*rate, |l| l.min(*rate)));
                            }
                            break;
                        }
                    }
                    Err(e) => {
                        states[*i].searched.error = Some(e);
                        break;
                    }
                }
            }
        }
    }
    pools
        .into_iter()
        .filter(|(i, _, pool)| states[*i].live() || pool.trials() > 0)
        .map(|(i, _, pool)| (i, pool))
        .collect()
}

/// The sweep and the capacity search of `n` runtimes at once, interleaved:
/// the sweep at `fractions` of `reference` (the same absolute rates for
/// all), then each runtime's bracket extended or bisected to [`RESOLUTION`]
/// in lock-step batches. The point capacity follows the pooled estimates;
/// its interval, the pooled intervals (see [`capacity`]).
pub fn search_all(
    n: usize,
    reference: f64,
    fractions: &[f64],
    base: &OpenLoopConfig,
    slo: &Slo,
    plan: &Plan,
    trials: &mut impl Trials,
) -> Vec<Searched> {
    let mut states: Vec<State> = (0..n).map(|_| State::default()).collect();
    let started = Instant::now();
    let mut salt = 0u64;
    // The lowest rate found past the generator's own limit (see `batch`).
    let mut limit = None;
    // One interleaved batch at `set`'s rates (the sweep's or the probes'),
    // its trials pooled and judged.
    let mut round = |set: &[(usize, f64, f64)], kind: &'static str, states: &mut [State]| {
        salt += 1;
        let pools = batch(
            set, kind, base, slo, plan, salt, started, trials, states, &mut limit,
        );
        record(states, pools, slo, trials)
    };
    // The sweep.
    let mut verdicts: Vec<Vec<(f64, bool)>> = vec![Vec::new(); n];
    for f in fractions {
        let set: Vec<(usize, f64, f64)> = (0..n)
            .filter(|&i| states[i].live() && !states[i].stopped)
            .map(|i| (i, f * reference, *f))
            .collect();
        if set.is_empty() {
            break;
        }
        for (i, rate, ok, behind) in round(&set, "sweep", &mut states) {
            verdicts[i].push((rate, ok));
            states[i].stopped |= behind;
        }
    }
    // The bracket: below the lowest rate that surely missed (its interval
    // above the target, or behind); a miss that only straddles the target
    // bounds it only above the highest rate that met. Why: one stall can
    // make a low rate's pooled p99 miss by chance, and a search that stopped
    // there reported 47k/s for a runtime whose steps surely met at 111k/s.
    for (i, v) in verdicts.iter().enumerate() {
        let steps = &states[i].searched.steps;
        let sure = steps
            .iter()
            .filter(|s| matches!(s.verdict, Some(Verdict::Misses | Verdict::Behind)))
            .map(|s| s.offered_rate)
            .reduce(f64::min);
        let met = v
            .iter()
            .filter(|&&(rate, ok)| ok && sure.is_none_or(|h| rate < h))
            .map(|v| v.0)
            .fold(0.0, f64::max);
        let hi = sure.or_else(|| v.iter().find(|&&(rate, ok)| !ok && rate > met).map(|v| v.0));
        states[i].hi = hi;
        states[i].lo = met;
    }
    // Then probes: above the sweep for runtimes that met the target
    // everywhere, then bisection to the resolution; each round of probes
    // one interleaved batch, each runtime at its own next rate.
    let extend = |s: &State| (s.hi.is_none() && s.lo > 0.0).then_some(s.lo * EXTEND.1);
    let bisect = |s: &State| {
        let h = s.hi?;
        (s.lo > 0.0 && h - s.lo > RESOLUTION * s.lo).then(|| (s.lo + h) / 2.0)
    };
    let phases: [(u32, &NextRate); 2] = [(EXTEND.0 as u32, &extend), (MAX_BISECT, &bisect)];
    for (rounds, next) in phases {
        for _ in 0..rounds {
            let set: Vec<(usize, f64, f64)> = (0..n)
                .filter(|&i| states[i].live())
                .filter_map(|i| next(&states[i]).map(|rate| (i, rate, rate / reference)))
                .collect();
            if set.is_empty() {
                break;
            }
            for (i, rate, ok, _) in round(&set, "probe", &mut states) {
                if ok {
                    states[i].lo = rate;
                } else {
                    states[i].hi = Some(rate);
                }
            }
        }
    }
    states
        .into_iter()
        .map(|mut s| {
            if s.live() {
                s.searched.capacity = Some(capacity(&s.searched.steps, s.lo, s.hi));
            }
            s.searched
        })
        .collect()
}

/// A runtime's next probe rate in one phase of the search (`None`: done).
type NextRate = dyn Fn(&State) -> Option<f64>;

/// Makes each pool a step of its runtime; returns (runtime, rate, met, behind).
fn record(
    states: &mut [State],
    pools: Vec<(usize, Pool)>,
    slo: &Slo,
    trials: &mut impl Trials,
) -> Vec<(usize, f64, bool, bool)> {
    let mut out = Vec::new();
    for (i, pool) in pools {
        if pool.trials() == 0 {
            continue;
        }
        let step = pool.step(slo);
        trials.stepped(i, &step);
        out.push((i, step.offered_rate, step.meets_slo, step.behind));
        states[i].searched.steps.push(step);
    }
    out
}

/// The capacity each half of the trials (odd, even) gives on its own
/// ([`rtbench_format::stats::half_capacity`]); `None` unless every step had
/// two halves.
pub fn half_capacities(steps: &[Step]) -> Option<[Option<f64>; 2]> {
    (!steps.is_empty() && steps.iter().all(|s| s.halves.is_some())).then(|| {
        [0, 1].map(|h| {
            let half: Vec<(f64, bool, bool)> = steps
                .iter()
                .map(|s| {
                    let meets = s.halves.is_some_and(|x| x[h].meets);
                    (s.offered_rate, meets, s.behind)
                })
                .collect();
            rtbench_format::stats::half_capacity(&half)
        })
    })
}

/// The capacity of one runtime from its steps: the point from the search's
/// bracket (`lo`, `hi`, pooled estimates); the 95% interval from the highest
/// rate whose target interval lies within the target to the lowest whose
/// interval lies above it or that fell behind; and the capacity each half
/// of the trials gives on its own (the same rule on the half's estimates).
pub fn capacity(steps: &[Step], lo: f64, hi: Option<f64>) -> Capacity {
    let rate_where = |pred: &dyn Fn(&Step) -> bool| -> Vec<f64> {
        steps
            .iter()
            .filter(|s| pred(s))
            .map(|s| s.offered_rate)
            .collect()
    };
    let upper = rate_where(&|s| matches!(s.verdict, Some(Verdict::Misses | Verdict::Behind)))
        .into_iter()
        .reduce(f64::min);
    let lower = rate_where(&|s| {
        s.verdict == Some(Verdict::Meets) && upper.is_none_or(|u| s.offered_rate < u)
    })
    .into_iter()
    .fold(0.0, f64::max);
    let halves = half_capacities(steps);
    // A rate that surely met is met, whatever a noisier step below said.
    let lo = if upper.is_none_or(|u| lower < u) {
        lo.max(lower)
    } else {
        lo
    };
    Capacity {
        rate: (lo > 0.0).then_some(lo),
        bracket_lo: lo,
        bracket_hi: hi,
        probes: steps.len() as u32,
        interval: Some((lower, upper)),
        halves,
    }
}

#[cfg(test)]
mod tests;
