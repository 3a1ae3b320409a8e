//! The load generator on K threads, for machines where one thread cannot
//! saturate the server: each thread pinned to its own CPU, with its own
//! connections ([`Part`]) and event loop. Closed-loop round trips are split
//! by connection; an open-loop schedule is the one a single thread would
//! follow, each thread sending its own connections' share of it. Histograms
//! and counters are merged.

use crate::hdr;
use crate::{
    ClosedLoopConfig, ClosedOutcome, LoadGen, LoadGenerator, OpenHists, OpenLoopConfig,
    OpenOutcome, Part, Stats,
};
use hdrhistogram::Histogram;
use rtbench_runtimes::sys;
use std::io;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

enum Cmd {
    Closed(ClosedLoopConfig),
    Open(OpenLoopConfig, Duration),
    StallEvery(Duration, Duration),
}

enum Reply {
    Closed(io::Result<(ClosedOutcome, Histogram<u64>)>),
    Open(io::Result<(OpenOutcome, Box<OpenHists>)>),
}

struct Worker {
    part: Part,
    cmds: Sender<Cmd>,
    replies: Receiver<Reply>,
    stats: Receiver<Stats>,
    /// Its counters after its last run.
    last: Stats,
    thread: Option<JoinHandle<()>>,
}

/// A load generator split over threads, one per CPU of `cpus`.
pub struct MultiGen {
    workers: Vec<Worker>,
    stats: Stats,
}

impl std::fmt::Debug for MultiGen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultiGen")
            .field("threads", &self.workers.len())
            .field("stats", &self.stats)
            .finish()
    }
}

impl MultiGen {
    /// Starts one thread per CPU of `cpus` (at most one per connection),
    /// each pinned to its CPU and connecting its part with `connect`.
    pub fn start(
        connections: usize,
        cpus: &[usize],
        connect: impl Fn(Part) -> io::Result<LoadGen> + Send + Sync + Clone + 'static,
    ) -> io::Result<MultiGen> {
        if cpus.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the load generator needs at least one CPU",
            ));
        }
        let mut workers = Vec::new();
        for (k, part) in Part::split(connections, cpus.len()).into_iter().enumerate() {
            let (cmd_tx, cmd_rx) = channel::<Cmd>();
            let (reply_tx, reply_rx) = channel::<Reply>();
            let (stats_tx, stats_rx) = channel::<Stats>();
            let (ready_tx, ready_rx) = channel::<io::Result<()>>();
            let (cpu, connect) = (cpus[k], connect.clone());
            let thread = std::thread::Builder::new()
                .name(format!("loadgen-{k}"))
                .spawn(move || {
                    sys::pin_to_cpu(cpu);
                    let mut lg = match connect(part) {
                        Ok(g) => {
                            let _ = ready_tx.send(Ok(()));
                            g
                        }
                        Err(e) => return drop(ready_tx.send(Err(e))),
                    };
                    for cmd in cmd_rx {
                        let reply = match cmd {
                            Cmd::Closed(cfg) => {
                                let mut h = hdr::histogram();
                                let out = lg.closed_loop(&cfg, &mut h);
                                Reply::Closed(out.map(|o| (o, h)))
                            }
                            Cmd::Open(cfg, grace) => {
                                let mut h = OpenHists::default();
                                let out = lg.open_loop(&cfg, &mut h, grace);
                                Reply::Open(out.map(|o| (o, Box::new(h))))
                            }
                            Cmd::StallEvery(period, length) => {
                                // Tests only; no reply.
                                lg.stall_every(period, length);
                                continue;
                            }
                        };
                        let _ = stats_tx.send(lg.stats());
                        if reply_tx.send(reply).is_err() {
                            return;
                        }
                    }
                })?;
            let worker = Worker {
                part,
                cmds: cmd_tx,
                replies: reply_rx,
                stats: stats_rx,
                last: Stats::default(),
                thread: Some(thread),
            };
            match ready_rx.recv() {
                Ok(Ok(())) => workers.push(worker),
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(io::Error::other("load generator thread died")),
            }
        }
        Ok(MultiGen {
            workers,
            stats: Stats::default(),
        })
    }
}

impl LoadGenerator for MultiGen {
    /// Threads running.
    fn threads(&self) -> usize {
        self.workers.len()
    }

    /// Connections over all threads.
    fn connections(&self) -> usize {
        self.workers.iter().map(|w| w.part.count).sum()
    }

    /// Counters of all threads since start.
    fn stats(&self) -> Stats {
        self.stats
    }

    /// For tests only; never set by a real run: every thread stalls as
    /// [`LoadGen::stall_every`] says in every later open-loop run.
    fn stall_every(&mut self, period: Duration, length: Duration) {
        assert!(!period.is_zero(), "a stall period must be positive");
        for w in &self.workers {
            // A dead thread shows as an error at the next run.
            let _ = self.send(w, Cmd::StallEvery(period, length));
        }
    }

    /// Exactly `round_trips` closed-loop round trips, split over the threads
    /// by their connections as one generator splits them; returns the
    /// longest thread's wall time and records every round trip in `hist`.
    fn closed_loop(
        &mut self,
        cfg: &ClosedLoopConfig,
        hist: &mut Histogram<u64>,
    ) -> io::Result<ClosedOutcome> {
        let round_trips = cfg.round_trips;
        let total = self.workers[0].part.total as u64;
        let (each, extra) = (round_trips / total, round_trips % total);
        for w in &self.workers {
            // Connection i gets `each`, plus one if i < extra (as LoadGen::run).
            let (lo, hi) = (w.part.first as u64, (w.part.first + w.part.count) as u64);
            let mine = each * w.part.count as u64 + extra.clamp(lo, hi) - lo;
            self.send(
                w,
                Cmd::Closed(ClosedLoopConfig {
                    round_trips: mine,
                    ..*cfg
                }),
            )?;
        }
        let mut sum = ClosedOutcome::default();
        let mut first_err = None;
        for w in &self.workers {
            match self.receive(w)? {
                Reply::Closed(Ok((o, h))) => {
                    sum.elapsed = sum.elapsed.max(o.elapsed);
                    sum.round_trips += o.round_trips;
                    sum.outstanding += o.outstanding;
                    hist.add(&h).map_err(io::Error::other)?;
                }
                Reply::Closed(Err(e)) => {
                    first_err.get_or_insert(e);
                }
                Reply::Open(_) => unreachable!("a closed-loop command"),
            }
        }
        self.collect_stats();
        first_err.map_or(Ok(sum), Err)
    }

    /// One open-loop run of `cfg` (its rate is the total), each thread
    /// sending its connections' share of the one schedule; outcomes summed
    /// (elapsed: the longest), histograms merged into `hists`.
    fn open_loop(
        &mut self,
        cfg: &OpenLoopConfig,
        hists: &mut OpenHists,
        grace: Duration,
    ) -> io::Result<OpenOutcome> {
        for w in &self.workers {
            self.send(w, Cmd::Open(*cfg, grace))?;
        }
        let mut sum = OpenOutcome {
            round_trips: 0,
            unsent: 0,
            queued: 0,
            completed: 0,
            outstanding: 0,
            elapsed: Duration::ZERO,
        };
        let mut first_err = None;
        for w in &self.workers {
            match self.receive(w)? {
                Reply::Open(Ok((o, h))) => {
                    sum.round_trips += o.round_trips;
                    sum.unsent += o.unsent;
                    sum.queued += o.queued;
                    sum.completed += o.completed;
                    sum.outstanding += o.outstanding;
                    sum.elapsed = sum.elapsed.max(o.elapsed);
                    hists.stamped += h.stamped;
                    for (into, from) in [
                        (&mut hists.latency, &h.latency),
                        (&mut hists.service, &h.service),
                        (&mut hists.lag, &h.lag),
                        (&mut hists.server, &h.server),
                        (&mut hists.read_delay, &h.read_delay),
                    ] {
                        into.add(from).map_err(io::Error::other)?;
                    }
                }
                Reply::Open(Err(e)) => {
                    first_err.get_or_insert(e);
                }
                Reply::Closed(_) => unreachable!("an open-loop command"),
            }
        }
        self.collect_stats();
        first_err.map_or(Ok(sum), Err)
    }
}

impl MultiGen {
    fn send(&self, w: &Worker, cmd: Cmd) -> io::Result<()> {
        w.cmds
            .send(cmd)
            .map_err(|_| io::Error::other("load generator thread died"))
    }

    fn receive(&self, w: &Worker) -> io::Result<Reply> {
        w.replies
            .recv()
            .map_err(|_| io::Error::other("load generator thread died"))
    }

    /// Sums the threads' latest counters (each sent one after its run).
    fn collect_stats(&mut self) {
        let mut sum = Stats::default();
        for w in &mut self.workers {
            if let Some(s) = w.stats.try_iter().last() {
                w.last = s;
            }
            sum.round_trips += w.last.round_trips;
            sum.bytes_sent += w.last.bytes_sent;
            sum.bytes_verified += w.last.bytes_verified;
            sum.cpu += w.last.cpu;
        }
        self.stats = sum;
    }
}

impl Drop for MultiGen {
    /// Closes the command channels and joins the threads (their connections close).
    fn drop(&mut self) {
        for w in &mut self.workers {
            let (tx, _) = channel();
            drop(std::mem::replace(&mut w.cmds, tx));
            if let Some(t) = w.thread.take() {
                let _ = t.join();
            }
        }
    }
}
