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

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use hdrhistogram::Histogram;
use mio::unix::SourceFd;
use mio::{Interest, Token};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand_distr::{Distribution, Exp};

use super::{LoadGen, stalled};
use crate::hdr;

/// The timerfd's token: above any connection index.
const TIMER: Token = Token(usize::MAX);

/// Monotonic time in ns (`CLOCK_MONOTONIC`, the clock of `Instant` and of the
/// timerfd, so deadlines need no conversion).
pub(crate) fn now_ns() -> u64 {
    clock_ns(libc::CLOCK_MONOTONIC)
}

fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid out pointer; both clocks used here always exist on Linux.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// `CLOCK_REALTIME` − `CLOCK_MONOTONIC` in ns, to bring the kernel's receive
/// stamps onto [`now_ns`]: both clocks read back to back, and of five tries
/// the one whose monotonic reads bracket the realtime read most tightly.
/// Taken at the start of each run: an NTP slew during one run (a few ppm)
/// moves the stamps by microseconds at most.
fn realtime_offset() -> i64 {
    (0..5)
        .map(|_| {
            let a = now_ns();
            let real = clock_ns(libc::CLOCK_REALTIME);
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
const COUNT_BUDGET: u64 = 1 << 22;

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
struct TimerFd {
    fd: OwnedFd,
    /// The absolute deadline armed now, to skip re-arming the same one.
    armed: u64,
}

impl TimerFd {
    fn new(poll: &mio::Poll) -> io::Result<TimerFd> {
        // SAFETY: plain syscall; the result is checked before use.
        let raw = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        poll.registry()
            .register(&mut SourceFd(&fd.as_raw_fd()), TIMER, Interest::READABLE)?;
        Ok(TimerFd { fd, armed: 0 })
    }

    /// Arms the timer at the absolute monotonic time `at_ns`.
    fn arm(&mut self, at_ns: u64) -> io::Result<()> {
        if at_ns == self.armed {
            return Ok(());
        }
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: (at_ns / 1_000_000_000) as libc::time_t,
                tv_nsec: (at_ns % 1_000_000_000) as libc::c_long,
            },
        };
        // SAFETY: valid descriptor and pointers.
        let r = unsafe {
            libc::timerfd_settime(
                self.fd.as_raw_fd(),
                libc::TFD_TIMER_ABSTIME,
                &spec,
                std::ptr::null_mut(),
            )
        };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        self.armed = at_ns;
        Ok(())
    }

    /// Consumes an expiry so that the next one raises a new edge.
    fn drain(&mut self) {
        let mut ticks = [0u8; 8];
        // SAFETY: reads at most 8 bytes into a local buffer; EAGAIN is fine.
        unsafe { libc::read(self.fd.as_raw_fd(), ticks.as_mut_ptr().cast(), 8) };
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
        self.run_open_within(cfg, hists, cfg.stall)
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
        self.usable()?;
        if !(cfg.rate.is_finite() && cfg.rate > 0.0) || cfg.duration.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "an open-loop run needs a positive rate and duration, not {} round trips/s for {:?}",
                    cfg.rate, cfg.duration
                ),
            ));
        }
        let open = |g: &mut LoadGen| g.run_open_inner(cfg, hists, grace);
        self.metered("an open-loop run", |o: &OpenOutcome| o.outstanding, open)
    }

    fn run_open_inner(
        &mut self,
        cfg: &OpenLoopConfig,
        hists: &mut OpenHists,
        grace: Duration,
    ) -> io::Result<OpenOutcome> {
        let mut timer = TimerFd::new(&self.poll)?;
        let result = self.schedule_loop(cfg, hists, &mut timer, grace);
        let _ = self
            .poll
            .registry()
            .deregister(&mut SourceFd(&timer.fd.as_raw_fd()));
        result
    }

    fn schedule_loop(
        &mut self,
        cfg: &OpenLoopConfig,
        hists: &mut OpenHists,
        timer: &mut TimerFd,
        grace: Duration,
    ) -> io::Result<OpenOutcome> {
        let c = self.conns.len();
        let t0 = now_ns();
        let ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let win_start = ns(cfg.warmup);
        let win_end = win_start.saturating_add(ns(cfg.duration));
        let hard_end = win_end.saturating_add(ns(cfg.drain));
        // The run's hard deadline (ns from t0): nothing waits past it.
        let deadline = hard_end.saturating_add(ns(grace));
        let spin = match cfg.wait {
            Wait::Sleep => 0,
            Wait::SleepThenSpin(d) => d.as_nanos() as u64,
        };
        // Idle connections by their next intended time (ns from t0).
        let mut due: BinaryHeap<Reverse<(u64, usize)>> = BinaryHeap::with_capacity(c);
        for (i, conn) in self.conns.iter_mut().enumerate() {
            // The global connection's schedule: a part sends what the whole would.
            let (total, global) = (self.part.total, self.part.first + i);
            let mut s = Schedule::new(cfg.arrivals, cfg.rate, total, global);
            let t = s.next_ns();
            conn.schedule = Some(s);
            conn.busy = false;
            conn.waited = false;
            conn.free_ns = 0;
            if t < win_end {
                due.push(Reverse((t, i)));
            }
        }
        let recorded = |t: u64| (win_start..win_end).contains(&t);
        let (mut out, mut busy) = (
            OpenOutcome {
                round_trips: 0,
                unsent: 0,
                queued: 0,
                completed: 0,
                outstanding: 0,
                elapsed: cfg.duration,
            },
            0usize,
        );
        let mut last_done = t0 + win_end;
        let mut moved_at = (self.moved(), now_ns());
        let offset = realtime_offset();
        let stall_every = self.stall_every.as_deref().copied();
        let mut next_stall = stall_every.map(|(period, _)| t0 + period.as_nanos() as u64);
        loop {
            if let (Some(at), Some((period, length))) = (next_stall, stall_every)
                && now_ns() >= at
            {
                // Tests only: the generator descheduled for `length`.
                std::thread::sleep(length);
                next_stall = Some(at + period.as_nanos() as u64);
            }
            let mut now = now_ns() - t0;
            // Send everything due (late sends count as lag, never skipped).
            while now < hard_end
                && let Some(&Reverse((t, i))) = due.peek()
                && t <= now
            {
                due.pop();
                let conn = &mut self.conns[i];
                conn.intended_ns = t;
                match (recorded(t), conn.waited) {
                    (false, _) => {}
                    (true, true) => out.queued += 1,
                    (true, false) => hdr::record(&mut hists.lag, now - t),
                }
                busy += 1;
                let cur = super::pick(&mut self.picker, self.part.first + i);
                conn.start(i, cur, &mut self.stats, t0 + now)?;
                now = now_ns() - t0;
            }
            if busy == 0 && (due.is_empty() || now >= hard_end) {
                break;
            }
            if now >= deadline {
                // Bounded by construction: what is still out stays out.
                out.outstanding = busy as u64;
                break;
            }
            // Wait: for the next deadline if one is set and sends go on,
            // else (round trips out) for progress, bounded by `stall`.
            let stall_left = cfg
                .stall
                .saturating_sub(Duration::from_nanos(now_ns() - moved_at.1));
            let next_send = due.peek().map(|r| r.0.0).filter(|_| now < hard_end);
            let until_deadline = Duration::from_nanos(deadline - now);
            let timeout = match next_send {
                Some(t) if t.saturating_sub(now) <= spin => Some(Duration::ZERO),
                Some(t) => {
                    timer.arm(t0 + t - spin)?;
                    // Nothing out: only the timer can wake us, and that is no stall.
                    (busy > 0).then_some(stall_left.min(until_deadline))
                }
                None => Some(stall_left.min(until_deadline)),
            };
            match self.poll.poll(&mut self.events, timeout) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            for event in self.events.iter() {
                if event.token() == TIMER {
                    timer.drain();
                    continue;
                }
                let i = event.token().0;
                let conn = &mut self.conns[i];
                if let Some(done) =
                    conn.on_event(i, event, &mut self.scratch, &mut self.stats, true)?
                {
                    busy -= 1;
                    out.completed += 1;
                    // The kernel's receive time of the reply, on our clock.
                    let rx = (conn.rx_real != 0)
                        .then(|| (conn.rx_real as i64).saturating_sub(offset).max(0) as u64);
                    let intended = t0 + conn.intended_ns;
                    if recorded(conn.intended_ns) {
                        hdr::record(&mut hists.latency, done - intended);
                        hdr::record(&mut hists.service, done - conn.sent_ns);
                        if let Some(rx) = rx {
                            hdr::record(&mut hists.server, rx.saturating_sub(conn.sent_ns));
                            hdr::record(&mut hists.read_delay, done.saturating_sub(rx));
                            hists.stamped += 1;
                        }
                        out.round_trips += 1;
                        last_done = last_done.max(done);
                    }
                    // When the server would have freed the connection had
                    // this round trip gone out when due (or when the server
                    // freed the previous one) and been read on arrival;
                    // without a stamp, when it was read (busy till then).
                    conn.free_ns = match rx {
                        Some(rx) => intended.max(conn.free_ns) + rx.saturating_sub(conn.sent_ns),
                        None => done,
                    };
                    let s = conn.schedule.as_mut().expect("set above");
                    let t = s.next_ns();
                    conn.waited = t0 + t < conn.free_ns;
                    if t < win_end {
                        due.push(Reverse((t, i)));
                    }
                }
            }
            let moved = self.moved();
            if moved != moved_at.0 {
                moved_at = (moved, now_ns());
            } else if busy > 0 && now_ns() - moved_at.1 >= cfg.stall.as_nanos() as u64 {
                return Err(stalled(busy as u64, busy as u64, cfg.stall));
            }
        }
        // What the window scheduled but the drain limit (or the deadline)
        // cut off: the rest of each waiting connection's schedule, and of
        // each connection still out at the deadline after its round trip.
        let mut budget = COUNT_BUDGET;
        for Reverse((t, i)) in due.drain() {
            let s = self.conns[i].schedule.as_mut().expect("set above");
            let n = s.count_in(t, win_start, win_end, &mut budget);
            out.unsent = out.unsent.saturating_add(n);
        }
        for conn in self.conns.iter_mut().filter(|c| c.busy) {
            let s = conn.schedule.as_mut().expect("set above");
            let t = s.next_ns();
            let n = s.count_in(t, win_start, win_end, &mut budget);
            out.unsent = out.unsent.saturating_add(n);
        }
        for conn in &mut self.conns {
            conn.schedule = None;
        }
        out.elapsed = Duration::from_nanos(last_done - (t0 + win_start)).max(cfg.duration);
        Ok(out)
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
