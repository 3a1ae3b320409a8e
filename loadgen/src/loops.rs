//! The generator's two timed loops on one thread: [`LoadGenerator`] for
//! [`LoadGen`]. Every bench reaches one of these from its routine or its
//! trial in one call; [`LoadGen::run`] and the other inherent runs are
//! shorthands for them.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use mio::unix::SourceFd;

use crate::open::{COUNT_BUDGET, Schedule, TIMER, TimerFd, now_ns, realtime_offset};
use crate::{
    ClosedLoopConfig, ClosedOutcome, LoadGen, LoadGenerator, OpenHists, OpenLoopConfig,
    OpenOutcome, Stats, Wait, hdr, stalled,
};

impl LoadGenerator for LoadGen {
    /// Closed loop: connection `i` gets `round_trips / c` round trips, plus
    /// one if `i < round_trips % c`; each writes its message, reads all of it
    /// back, compares, records the round trip's ns into `hist`, repeats.
    /// Fails on a mismatch, a peer that closes or resets, or no progress for
    /// `stall_timeout`; at `deadline` it stops with what is still out
    /// ([`ClosedOutcome::outstanding`]). Either way the generator then
    /// refuses further runs.
    fn closed_loop(
        &mut self,
        cfg: &ClosedLoopConfig,
        hist: &mut Histogram<u64>,
    ) -> io::Result<ClosedOutcome> {
        let ClosedLoopConfig {
            round_trips,
            stall: stall_timeout,
            deadline,
        } = *cfg;
        self.usable()?;
        self.metered(
            "a run",
            |o: &ClosedOutcome| o.outstanding,
            |g| {
                let start = now_ns();
                if round_trips == 0 {
                    return Ok(ClosedOutcome::default());
                }
                let c = g.conns.len() as u64;
                let (each, extra) = (round_trips / c, round_trips % c);
                let mut left = round_trips;
                let mut last = start;
                let mut moved_at_check = g.moved();
                for (i, conn) in g.conns.iter_mut().enumerate() {
                    conn.queued = each + u64::from((i as u64) < extra);
                    conn.start_queued(i, g.part.first + i, &mut g.picker, &mut g.stats)?;
                }
                // When the last poll that moved no bytes began to look idle; `None`
                // while bytes keep moving. Saves a clock read per wake-up.
                let mut idle_since: Option<Instant> = None;
                while left > 0 {
                    let mut timeout = match idle_since {
                        None => stall_timeout,
                        Some(t) => match stall_timeout.checked_sub(t.elapsed()) {
                            Some(d) if !d.is_zero() => d,
                            _ => return Err(stalled(left, round_trips, stall_timeout)),
                        },
                    };
                    let mut capped = false;
                    if let Some(deadline) = deadline {
                        match deadline.checked_duration_since(Instant::now()) {
                            Some(d) if !d.is_zero() => {
                                capped = d < timeout;
                                timeout = timeout.min(d);
                            }
                            _ => {
                                // Bounded by construction: what is still out stays out.
                                let outstanding = g.conns.iter().filter(|c| c.busy).count() as u64;
                                return Ok(ClosedOutcome {
                                    elapsed: Duration::from_nanos(now_ns() - start),
                                    round_trips: round_trips - left,
                                    outstanding,
                                });
                            }
                        }
                    }
                    match g.poll.poll(&mut g.events, Some(timeout)) {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                    if g.events.is_empty() {
                        if capped {
                            continue; // the deadline, not a stall: returned above
                        }
                        // The whole remaining timeout passed without a single event.
                        return Err(stalled(left, round_trips, stall_timeout));
                    }
                    for event in g.events.iter() {
                        let i = event.token().0;
                        let conn = &mut g.conns[i];
                        if let Some(done) =
                            conn.on_event(i, event, &mut g.scratch, &mut g.stats, false)?
                        {
                            hdr::record(hist, done - conn.sent_ns);
                            left -= 1;
                            last = done;
                            conn.start_queued(i, g.part.first + i, &mut g.picker, &mut g.stats)?;
                        }
                    }
                    let moved = g.moved();
                    if moved != moved_at_check {
                        moved_at_check = moved;
                        idle_since = None;
                    } else if idle_since.is_none() {
                        idle_since = Some(Instant::now());
                    }
                }
                Ok(ClosedOutcome {
                    elapsed: Duration::from_nanos(last - start),
                    round_trips,
                    outstanding: 0,
                })
            },
        )
    }

    /// Open loop: every connection follows its schedule from now on; round
    /// trips intended in `[warmup, warmup + duration)` are recorded into
    /// `hists`. Sends stop at the window's end (plus `drain` for a backlog),
    /// then the round trips in flight are awaited for at most `grace` more:
    /// it returns by then whatever the server does. Fails like
    /// [`LoadGenerator::closed_loop`].
    fn open_loop(
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
        self.metered(
            "an open-loop run",
            |o: &OpenOutcome| o.outstanding,
            |g| {
                let mut timer = TimerFd::new(&g.poll)?;
                let mut schedule = || -> io::Result<OpenOutcome> {
                    let timer = &mut timer;
                    let c = g.conns.len();
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
                    for (i, conn) in g.conns.iter_mut().enumerate() {
                        // The global connection's schedule: a part sends what the whole would.
                        let (total, global) = (g.part.total, g.part.first + i);
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
                    let mut moved_at = (g.moved(), now_ns());
                    let offset = realtime_offset();
                    let stall_every = g.stall_every.as_deref().copied();
                    let mut next_stall =
                        stall_every.map(|(period, _)| t0 + period.as_nanos() as u64);
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
                            let conn = &mut g.conns[i];
                            conn.intended_ns = t;
                            match (recorded(t), conn.waited) {
                                (false, _) => {}
                                (true, true) => out.queued += 1,
                                (true, false) => hdr::record(&mut hists.lag, now - t),
                            }
                            busy += 1;
                            let cur = super::pick(&mut g.picker, g.part.first + i);
                            conn.start(i, cur, &mut g.stats, t0 + now)?;
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
                        match g.poll.poll(&mut g.events, timeout) {
                            Ok(()) => {}
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                            Err(e) => return Err(e),
                        }
                        for event in g.events.iter() {
                            if event.token() == TIMER {
                                timer.drain();
                                continue;
                            }
                            let i = event.token().0;
                            let conn = &mut g.conns[i];
                            if let Some(done) =
                                conn.on_event(i, event, &mut g.scratch, &mut g.stats, true)?
                            {
                                busy -= 1;
                                out.completed += 1;
                                // The kernel's receive time of the reply, on our clock.
                                let rx = (conn.rx_real != 0).then(|| {
                                    (conn.rx_real as i64).saturating_sub(offset).max(0) as u64
                                });
                                let intended = t0 + conn.intended_ns;
                                if recorded(conn.intended_ns) {
                                    hdr::record(&mut hists.latency, done - intended);
                                    hdr::record(&mut hists.service, done - conn.sent_ns);
                                    if let Some(rx) = rx {
                                        hdr::record(
                                            &mut hists.server,
                                            rx.saturating_sub(conn.sent_ns),
                                        );
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
                                    Some(rx) => {
                                        intended.max(conn.free_ns) + rx.saturating_sub(conn.sent_ns)
                                    }
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
                        let moved = g.moved();
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
                        let s = g.conns[i].schedule.as_mut().expect("set above");
                        let n = s.count_in(t, win_start, win_end, &mut budget);
                        out.unsent = out.unsent.saturating_add(n);
                    }
                    for conn in g.conns.iter_mut().filter(|c| c.busy) {
                        let s = conn.schedule.as_mut().expect("set above");
                        let t = s.next_ns();
                        let n = s.count_in(t, win_start, win_end, &mut budget);
                        out.unsent = out.unsent.saturating_add(n);
                    }
                    for conn in &mut g.conns {
                        conn.schedule = None;
                    }
                    out.elapsed =
                        Duration::from_nanos(last_done - (t0 + win_start)).max(cfg.duration);
                    Ok(out)
                };
                let result = schedule();
                let _ = g
                    .poll
                    .registry()
                    .deregister(&mut SourceFd(&timer.fd.as_raw_fd()));
                result
            },
        )
    }

    fn stats(&self) -> Stats {
        self.stats
    }

    fn connections(&self) -> usize {
        self.conns.len()
    }

    fn threads(&self) -> usize {
        1
    }

    fn stall_every(&mut self, period: Duration, length: Duration) {
        LoadGen::stall_every(self, period, length)
    }
}
