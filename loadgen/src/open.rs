//! Open loop: round trips on a schedule of intended send times, corrected
//! for coordinated omission by measuring latency from the intended time.
//!
//! Each connection carries `rate / connections` with its own schedule (even
//! spacing, phases staggered so the union is evenly spaced too; or a Poisson
//! process, whose union over connections is Poisson at the full rate). A
//! connection whose previous round trip is still out sends the next one as
//! soon as it is free: that wait shows in `latency`, never in `service`, and
//! counts as `queued` when the server held the reply, as `lag` when the
//! generator did. One correction method only: HdrHistogram's after-the-fact
//! `record_correct` is never used on top of it.
//!
//! The kernel's receive stamp of every reply (`SO_TIMESTAMPNS`, converted to
//! `CLOCK_MONOTONIC` with an offset measured at the start of each run) splits
//! a round trip in three: the generator's send lag (actual − intended send),
//! the server's part (stamp − actual send: the server and the network) and
//! the generator's read delay (read − stamp).

use rustix::time::{
    ClockId, Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags, Timespec, timerfd_create,
    timerfd_settime,
};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::Duration;

use hdrhistogram::Histogram;
use mio::unix::SourceFd;
use mio::{Interest, Token};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand_distr::{Distribution, Exp};

use super::{LoadGen, LoadGenerator};
use crate::hdr;

/// The timerfd's token: above any connection index.
pub(crate) const TIMER: Token = Token(usize::MAX);

/// Monotonic time in ns (`CLOCK_MONOTONIC`, the clock of `Instant` and of the
/// timerfd, so deadlines need no conversion).
pub(crate) fn now_ns() -> u64 {
    clock_ns(ClockId::Monotonic)
}

fn clock_ns(clock: ClockId) -> u64 {
    let ts = rustix::time::clock_gettime(clock);
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// `CLOCK_REALTIME` − `CLOCK_MONOTONIC` in ns, to bring the kernel's receive
/// stamps onto [`now_ns`]: both clocks read back to back, and of five tries
/// the one whose monotonic reads bracket the realtime read most tightly.
/// Taken at the start of each run: an NTP slew during one run (a few ppm)
/// moves the stamps by microseconds at most.
pub(crate) fn realtime_offset() -> i64 {
    (0..5)
        .map(|_| {
            let a = now_ns();
            let real = clock_ns(ClockId::Realtime);
            let b = now_ns();
            (b - a, real as i64 - (a + (b - a) / 2) as i64)
        })
        .min_by_key(|&(bracket, _)| bracket)
        .map_or(0, |(_, offset)| offset)
}

/// How intended send times are spaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrivals {
    /// Every connection sends every `connections / rate` seconds, phases staggered.
    Even,
    /// Exponential gaps (a Poisson process per connection) from this seed.
    Poisson { seed: u64 },
}

impl Arrivals {
    /// `even` or `poisson`, as results record it.
    pub fn name(&self) -> &'static str {
        match self {
            Arrivals::Even => "even",
            Arrivals::Poisson { .. } => "poisson",
        }
    }

    pub fn seed(&self) -> Option<u64> {
        match self {
            Arrivals::Even => None,
            Arrivals::Poisson { seed } => Some(*seed),
        }
    }
}

/// How the generator waits for its next intended send time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Sleep in epoll on a timerfd armed at the deadline: for a generator that
    /// shares its CPU with the server, which must never spin against it.
    Sleep,
    /// Sleep on the timerfd until this long before the deadline, then poll
    /// without blocking until it: for a generator with a CPU of its own, where a
    /// wake-up from sleep costs ~50 us on this VM (docs: machine facts).
    SleepThenSpin(Duration),
}

impl Wait {
    /// How results describe it, e.g. `timerfd + spin 60 us`.
    pub fn describe(&self) -> String {
        match self {
            Wait::Sleep => "timerfd".into(),
            Wait::SleepThenSpin(d) => format!("timerfd + spin {} us", d.as_micros()),
        }
    }
}

/// One connection's intended send times, in ns from the start of the run.
#[derive(Debug, Clone)]
pub struct Schedule {
    next: f64,
    rate: f64,
    /// This connection's mean gap between sends (ns).
    gap_ns: f64,
    gaps: Gaps,
}

#[derive(Debug, Clone)]
enum Gaps {
    /// Send `k` of connection `i` is at `(i + k * connections) / rate`,
    /// computed afresh each time so rounding errors never add up.
    Even {
        i: u64,
        k: u64,
        connections: u64,
    },
    Poisson(SmallRng, Exp<f64>),
}

impl Schedule {
    /// Connection `i` of `connections` sharing `rate` round trips/s.
    pub fn new(arrivals: Arrivals, rate: f64, connections: usize, i: usize) -> Schedule {
        let (next, gaps) = match arrivals {
            Arrivals::Even => {
                let gaps = Gaps::Even {
                    i: i as u64,
                    k: 0,
                    connections: connections as u64,
                };
                (1e9 * i as f64 / rate, gaps)
            }
            Arrivals::Poisson { seed } => {
                let mut rng = SmallRng::seed_from_u64(
                    seed ^ (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15),
                );
                let mean_gap = 1e9 * connections as f64 / rate;
                let exp = Exp::new(1.0 / mean_gap).expect("a positive, finite rate");
                (exp.sample(&mut rng), Gaps::Poisson(rng, exp))
            }
        };
        let gap_ns = 1e9 * connections as f64 / rate;
        Schedule {
            next,
            rate,
            gap_ns,
            gaps,
        }
    }

    /// The next intended send time (ns from the start); advances the schedule.
    pub fn next_ns(&mut self) -> u64 {
        let t = self.next;
        self.next = match &mut self.gaps {
            Gaps::Even { i, k, connections } => {
                *k += 1;
                (*i + *k * *connections) as f64 * 1e9 / self.rate
            }
            Gaps::Poisson(rng, exp) => t + exp.sample(rng),
        };
        t.round() as u64
    }

    /// How many of this schedule's sends, from `t` (the last one drawn) on,
    /// fall in `[lo, hi)`. Walked send by send while `budget` lasts (each
    /// step spends one), the rest estimated from the mean gap (within one
    /// send for even arrivals, the expectation for Poisson): counting what a
    /// rate far beyond the generator left unsent must not take as long as
    /// sending it would have.
    pub fn count_in(&mut self, mut t: u64, lo: u64, hi: u64, budget: &mut u64) -> u64 {
        let mut n = 0u64;
        while t < hi {
            if *budget == 0 {
                let from = t.max(lo);
                // `as` saturates: a rate past any clock counts u64::MAX.
                return n.saturating_add(((hi - from) as f64 / self.gap_ns).round() as u64);
            }
            *budget -= 1;
            n += u64::from(t >= lo);
            t = self.next_ns();
        }
        n
    }
}

/// Most schedule steps one run walks to count its unsent sends (a few ms);
/// past it they are estimated ([`Schedule::count_in`]).
pub(crate) const COUNT_BUDGET: u64 = 1 << 22;

/// What one open-loop run offers: the rate, the recorded window and how
/// sends are scheduled. (The results' `rtbench_format::OpenLoop` is another
/// thing: a whole sweep, as recorded.)
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpenLoopConfig {
    /// Offered round trips/s over all connections.
    pub rate: f64,
    /// Scheduled first and not recorded.
    pub warmup: Duration,
    /// The recorded window: round trips intended in it are recorded.
    pub duration: Duration,
    pub arrivals: Arrivals,
    pub wait: Wait,
    /// Most time past the window's end to go on sending what it scheduled; a
    /// server that far behind leaves the rest `unsent`.
    pub drain: Duration,
    /// A run with round trips out and no progress for this long fails.
    /// [`LoadGen::run_open`] also stops this long after the drain ends
    /// (its grace), whatever the progress (see [`LoadGen::run_open_within`]).
    pub stall: Duration,
}

/// The distributions of an open-loop run, in ns: latency and service time,
/// and the three parts of a round trip (send lag, server, read delay).
#[derive(Debug, Clone)]
pub struct OpenHists {
    /// Completion − intended send (corrected for coordinated omission).
    pub latency: Histogram<u64>,
    /// Completion − actual send.
    pub service: Histogram<u64>,
    /// Actual − intended send, for every send not counted in
    /// [`OpenOutcome::queued`]: how late the generator itself was. That
    /// includes a send whose connection was still busy at the intended time
    /// only through the generator's fault: its reply had reached the kernel
    /// (receive stamp) but was not read yet, or its previous round trip went
    /// out late. A send whose connection's reply the server still held at the
    /// intended time is queued instead; that wait is the server's, and shows
    /// in `latency`.
    pub lag: Histogram<u64>,
    /// Kernel receive stamp of the reply − actual send: the server and the
    /// network (loopback). Stamped replies only.
    pub server: Histogram<u64>,
    /// Completion (the generator's read) − kernel receive stamp: how late the
    /// generator read a reply that had arrived. Stamped replies only.
    pub read_delay: Histogram<u64>,
    /// Recorded round trips whose reply carried a kernel receive stamp (the
    /// count of `server` and `read_delay`; 0: stamps unavailable).
    pub stamped: u64,
}

impl Default for OpenHists {
    fn default() -> Self {
        OpenHists {
            latency: hdr::histogram(),
            service: hdr::histogram(),
            lag: hdr::histogram(),
            server: hdr::histogram(),
            read_delay: hdr::histogram(),
            stamped: 0,
        }
    }
}

impl OpenHists {
    /// The p99 of each part of the round trips, and how many were stamped.
    pub fn parts(&self) -> rtbench_format::Parts {
        let p99 = |h: &Histogram<u64>| h.value_at_quantile(0.99);
        rtbench_format::Parts {
            send_lag_p99_ns: p99(&self.lag),
            server_p99_ns: p99(&self.server),
            read_delay_p99_ns: p99(&self.read_delay),
            stamped: self.stamped,
        }
    }
}

/// What an open-loop run did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpenOutcome {
    /// Round trips intended in the window, completed and compared.
    pub round_trips: u64,
    /// Round trips intended in the window but not sent by the drain limit.
    pub unsent: u64,
    /// Recorded round trips whose connection's reply the server still held
    /// at their intended time (so they went out late through no fault of the
    /// generator's): the reply had not reached the kernel (receive stamp) by
    /// then, counting the previous round trip as sent when it was due (or
    /// when the server freed its connection), so that a connection kept busy
    /// by the generator's own late send or late read is not blamed on the
    /// server. A reply without a stamp counts the connection busy until it
    /// was read. These sends are not in [`OpenHists::lag`].
    pub queued: u64,
    /// All round trips completed, warm-up included (for CPU per round trip).
    pub completed: u64,
    /// Round trips sent but not back when the run reached its deadline
    /// (the drain's end plus a grace): a server that answers too slowly
    /// for the run to end in time. 0 when the run ended by itself; after
    /// that the connections are in an unknown state and the generator
    /// refuses further runs.
    pub outstanding: u64,
    /// From the window's start to its last recorded completion (at least the window).
    pub elapsed: Duration,
}

impl OpenOutcome {
    /// Recorded round trips per second of `elapsed`.
    pub fn achieved_rate(&self) -> f64 {
        self.round_trips as f64 / self.elapsed.as_secs_f64()
    }
}

/// A `CLOCK_MONOTONIC` timerfd registered in the generator's poll.
#[derive(Debug)]
pub(crate) struct TimerFd {
    pub(crate) fd: OwnedFd,
    /// The absolute deadline armed now, to skip re-arming the same one.
    armed: u64,
}

impl TimerFd {
    pub(crate) fn new(poll: &mio::Poll) -> io::Result<TimerFd> {
        let fd = timerfd_create(
            TimerfdClockId::Monotonic,
            TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
        )?;
        poll.registry()
            .register(&mut SourceFd(&fd.as_raw_fd()), TIMER, Interest::READABLE)?;
        Ok(TimerFd { fd, armed: 0 })
    }

    /// Arms the timer at the absolute monotonic time `at_ns`.
    pub(crate) fn arm(&mut self, at_ns: u64) -> io::Result<()> {
        if at_ns == self.armed {
            return Ok(());
        }
        let spec = Itimerspec {
            it_interval: Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: Timespec {
                tv_sec: (at_ns / 1_000_000_000) as i64,
                tv_nsec: (at_ns % 1_000_000_000) as i64,
            },
        };
        timerfd_settime(&self.fd, TimerfdTimerFlags::ABSTIME, &spec)?;
        self.armed = at_ns;
        Ok(())
    }

    /// Consumes an expiry so that the next one raises a new edge.
    pub(crate) fn drain(&mut self) {
        let mut ticks = [0u8; 8];
        // EAGAIN (nothing expired) is fine.
        let _ = rustix::io::read(&self.fd, &mut ticks);
        self.armed = 0;
    }
}

impl LoadGen {
    /// Runs one open-loop run: every connection follows its schedule from now
    /// on; round trips intended in `[warmup, warmup + duration)` are recorded
    /// into `hists`. Sends stop at the window's end (plus `drain` for a
    /// backlog), then the round trips in flight are awaited, for at most
    /// `cfg.stall` more ([`LoadGen::run_open_within`] with that grace).
    ///
    /// Fails, like [`LoadGen::run`], on a bad echo, a closed connection, or
    /// round trips out with no progress for `stall`; the generator then
    /// refuses further runs.
    pub fn run_open(
        &mut self,
        cfg: &OpenLoopConfig,
        hists: &mut OpenHists,
    ) -> io::Result<OpenOutcome> {
        self.open_loop(cfg, hists, cfg.stall)
    }

    /// [`LoadGen::run_open`] bounded by construction: it returns by
    /// `warmup + duration + drain + grace` after its start, whatever the
    /// server does (a server that trickles its replies shows progress, so
    /// the stall check alone never ends the run). Round trips still out
    /// then are [`OpenOutcome::outstanding`], and the generator refuses
    /// further runs (their replies may still come).
    pub fn run_open_within(
        &mut self,
        cfg: &OpenLoopConfig,
        hists: &mut OpenHists,
        grace: Duration,
    ) -> io::Result<OpenOutcome> {
        self.open_loop(cfg, hists, grace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_schedule_has_the_exact_gap_and_staggered_phases() {
        let (rate, c) = (1000.0, 4);
        let mut all: Vec<u64> = (0..c)
            .flat_map(|i| {
                let mut s = Schedule::new(Arrivals::Even, rate, c, i);
                (0..250).map(move |_| s.next_ns())
            })
            .collect();
        all.sort_unstable();
        // The union over connections is one send every 1/rate = 1 ms.
        for (k, t) in all.iter().enumerate() {
            assert_eq!(*t, k as u64 * 1_000_000, "send {k}");
        }
    }

    /// Counting what was left unsent walks the schedule while its budget
    /// lasts and estimates the rest: the same count within a send, and a
    /// rate of 1e30 (once it spun a CPU here) counted at once.
    #[test]
    fn unsent_sends_are_counted_within_a_budget() {
        let (lo, hi) = (200_000_000, 1_200_000_000);
        for arrivals in [Arrivals::Even, Arrivals::Poisson { seed: 3 }] {
            let count = |budget: u64| {
                let mut s = Schedule::new(arrivals, 100_000.0, 4, 1);
                let t = s.next_ns();
                s.count_in(t, lo, hi, &mut { budget })
            };
            let exact = count(u64::MAX);
            // 25,000/s on this connection for 1 s.
            assert!(exact.abs_diff(25_000) < 1_000, "{arrivals:?}: {exact}");
            let estimated = count(1_000);
            let slack = if arrivals == Arrivals::Even { 1 } else { 1_000 };
            assert!(exact.abs_diff(estimated) <= slack, "{exact} vs {estimated}");
        }
        let mut s = Schedule::new(Arrivals::Even, 1e30, 16, 0);
        let t = s.next_ns();
        let n = s.count_in(t, lo, hi, &mut 1_000);
        assert!(n >= 1e18 as u64, "{n}");
    }

    #[test]
    fn poisson_schedule_has_the_right_mean_gap_and_is_seeded() {
        let (rate, c, n) = (10_000.0, 2, 20_000);
        let gaps = |seed| {
            let mut s = Schedule::new(Arrivals::Poisson { seed }, rate, c, 0);
            let mut prev = s.next_ns();
            (0..n)
                .map(|_| {
                    let t = s.next_ns();
                    let g = t - prev;
                    prev = t;
                    g as f64
                })
                .collect::<Vec<_>>()
        };
        let g = gaps(7);
        let mean = g.iter().sum::<f64>() / n as f64;
        // Mean gap c/rate = 200 us; the sample mean of 20,000 exponential gaps
        // has a relative standard error of 1/sqrt(20,000) = 0.7%: 3% is > 4 sigma.
        assert!((mean / 200_000.0 - 1.0).abs() < 0.03, "mean gap {mean} ns");
        // Exponential, not even: the standard deviation equals the mean.
        let var = g.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!((var.sqrt() / mean - 1.0).abs() < 0.05);
        assert_eq!(g, gaps(7), "same seed, same arrivals");
        assert_ne!(g, gaps(8));
    }
}
