//! Timers: how late `sleep` completes (a distribution), the cost of arming
//! and cancelling, and firing many at once; with the OS's own sleep as floor.

use crate::{Sample, Tasks, Work};
use hdrhistogram::Histogram;
use rtbench_loadgen::hdr;
use rtbench_runtimes::sys;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};

/// One timer case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerCase {
    /// One `sleep(dur)` at a time.
    Sleep { dur: Duration },
    /// `timers` sleeps at once (a task each), deadlines spread evenly over `[dur, 2 dur)`.
    SleepMany { dur: Duration, timers: u64 },
    /// A timer polled once (armed), then dropped: the server timeout that never fires.
    ArmCancel,
    /// `timers` sleeps at once (a task each), deadlines spread evenly over `(0, spread]`;
    /// one iteration lasts until the last has fired.
    FireMany { timers: u64, spread: Duration },
}

/// Sleep lengths of the lateness cases.
pub const DURATIONS: [Duration; 3] = [
    Duration::from_micros(50),
    Duration::from_millis(1),
    Duration::from_millis(10),
];

impl crate::Case for TimerCase {
    fn per_iter(&self) -> Work {
        Work::ops(self.timers())
    }

    fn label(&self) -> String {
        TimerCase::label(self)
    }

    /// `iters` rounds of timers, timed inside the runtime.
    async fn body<T: Tasks>(self, iters: u64) -> Result<Sample, String> {
        let case = self;
        let mut hist = hdr::histogram();
        let start = Instant::now();
        for _ in 0..iters {
            match case {
                TimerCase::Sleep { dur } => {
                    hdr::record(&mut hist, late_by(dur, || T::sleep(dur)).await?)
                }
                TimerCase::SleepMany { dur, timers } => {
                    many::<T>(timers, dur, dur, &mut hist).await?
                }
                TimerCase::FireMany { timers, spread } => {
                    many::<T>(timers, spread / timers as u32, spread, &mut hist).await?
                }
                TimerCase::ArmCancel => {
                    let mut timer = pin!(T::sleep(Duration::from_secs(3600)));
                    let armed =
                        poll_fn(|cx| Poll::Ready(timer.as_mut().poll(cx).is_pending())).await;
                    if !armed {
                        return Err("a 1 h timer was ready at once".into());
                    }
                }
            }
        }
        let elapsed = start.elapsed();
        Ok(Sample {
            elapsed,
            work: Work {
                ops: iters * case.timers(),
                ..Work::default()
            },
            hist: case.has_lateness().then_some(hist),
            bytes_per_task: None,
            timer_slack_ns: sys::timer_slack().map(|d| d.as_nanos() as u64),
        })
    }

    crate::send_body!();
}

impl TimerCase {
    pub fn matrix() -> Vec<TimerCase> {
        let mut v: Vec<TimerCase> = DURATIONS
            .iter()
            .map(|&dur| TimerCase::Sleep { dur })
            .collect();
        v.extend(DURATIONS.iter().map(|&dur| TimerCase::SleepMany {
            dur,
            timers: 10_000,
        }));
        v.push(TimerCase::ArmCancel);
        v.push(TimerCase::FireMany {
            timers: 100_000,
            spread: Duration::from_millis(100),
        });
        v
    }

    pub fn label(&self) -> String {
        match *self {
            TimerCase::Sleep { dur } => format!("sleep-{}", fmt_dur(dur)),
            TimerCase::SleepMany { dur, timers } => format!("many-{timers}x{}", fmt_dur(dur)),
            TimerCase::ArmCancel => "arm-cancel".into(),
            TimerCase::FireMany { timers, spread } => {
                format!("fire-{timers}-over-{}", fmt_dur(spread))
            }
        }
    }

    /// Timers one iteration arms.
    pub fn timers(&self) -> u64 {
        match *self {
            TimerCase::Sleep { .. } | TimerCase::ArmCancel => 1,
            TimerCase::SleepMany { timers, .. } | TimerCase::FireMany { timers, .. } => timers,
        }
    }

    /// Whether this case records lateness.
    pub fn has_lateness(&self) -> bool {
        !matches!(self, TimerCase::ArmCancel)
    }
}

/// `50us`, `1ms`, `100ms`.
pub fn fmt_dur(d: Duration) -> String {
    if d.as_micros() < 1000 {
        format!("{}us", d.as_micros())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// Arms the timer `sleep` makes, waits for it, and returns how late it
/// completed past `dur`, in ns; an early completion is an error.
pub(crate) async fn late_by<F: Future<Output = ()>>(
    dur: Duration,
    sleep: impl FnOnce() -> F,
) -> Result<u64, String> {
    let armed = Instant::now();
    sleep().await;
    let took = armed.elapsed();
    if took < dur {
        return Err(format!("sleep({dur:?}) completed early, after {took:?}"));
    }
    Ok((took - dur).as_nanos() as u64)
}

/// Sleeps many at once, one task per timer (as servers arm them), deadlines
/// `base + i * spread / n`; records every timer's lateness. One task per
/// timer rather than one combinator over all: `FuturesUnordered` re-polls
/// every sleep refused by tokio's coop budget, which made tokio look 20x
/// slower than its timers are.
async fn many<T: Tasks>(
    n: u64,
    base: Duration,
    spread: Duration,
    hist: &mut Histogram<u64>,
) -> Result<(), String> {
    let handles: Vec<_> = (0..n)
        .map(|i| T::spawn_sleep(base + spread.mul_f64(i as f64 / n as f64)))
        .collect();
    for h in handles {
        hdr::record(hist, h.await?);
    }
    Ok(())
}

/// The OS floor: `std::thread::sleep` on a thread pinned to `cpu`, with the
/// thread's default timer slack or with `slack` set (`PR_SET_TIMERSLACK`).
#[derive(Debug)]
pub struct OsSleep {
    pub dur: Duration,
    pub slack: Option<Duration>,
    pub cpu: usize,
    pub hist: Histogram<u64>,
    pub work: Work,
    /// The slack the sleeping thread actually had, in ns.
    pub timer_slack_ns: Option<u64>,
    /// The reference as data, like a runtime's `describe()`.
    pub description: rtbench_format::Description,
    /// Its sleeping thread is pinned to one CPU: `1 core`.
    pub topology: String,
}

impl OsSleep {
    pub fn new(dur: Duration, slack: Option<Duration>, cpu: usize) -> OsSleep {
        let name = match slack {
            None => "os-sleep".into(),
            Some(s) => format!("os-sleep-slack{}ns", s.as_nanos()),
        };
        let knobs = slack.map(|s| {
            let slack = format!("{} ns", s.as_nanos());
            [("PR_SET_TIMERSLACK".to_string(), slack)].into()
        });
        OsSleep {
            dur,
            slack,
            cpu,
            hist: hdr::histogram(),
            work: Work::default(),
            timer_slack_ns: None,
            description: rtbench_format::Description {
                name,
                flavor: rtbench_format::Flavor::Reference,
                workers: 1,
                timer_class: rtbench_format::TimerClass::Os,
                driver: "std::thread::sleep".into(),
                knobs: knobs.unwrap_or_default(),
                notes: vec!["no runtime: the OS sleep floor".into()],
            },
            topology: crate::topology(1),
        }
    }

    /// The reference's name: `os-sleep` or `os-sleep-slack1ns`.
    pub fn name(&self) -> String {
        self.description.name.clone()
    }

    /// Sleeps `iters` times on a fresh pinned thread; returns the total time.
    pub fn run(&mut self, iters: u64) -> Result<Duration, String> {
        let (dur, slack, cpu) = (self.dur, self.slack, self.cpu);
        let (elapsed, hist, slack_ns) = std::thread::spawn(move || {
            sys::pin_to_cpu(cpu);
            if let Some(s) = slack {
                sys::set_timer_slack(s);
            }
            let mut hist = hdr::histogram();
            let start = Instant::now();
            for _ in 0..iters {
                let armed = Instant::now();
                std::thread::sleep(dur);
                hdr::record(&mut hist, (armed.elapsed() - dur).as_nanos() as u64);
            }
            (start.elapsed(), hist, sys::timer_slack())
        })
        .join()
        .map_err(|_| "os sleep thread panicked".to_string())?;
        self.hist.add(&hist).map_err(|e| e.to_string())?;
        self.work.ops += iters;
        self.timer_slack_ns = slack_ns.map(|d| d.as_nanos() as u64);
        Ok(elapsed)
    }
}

impl crate::Observed for OsSleep {
    described!();
    fn extra(&self) -> std::collections::BTreeMap<String, f64> {
        crate::figures([("timer_slack_ns", self.timer_slack_ns.map(|v| v as f64))])
    }
    fn hist_mut(&mut self) -> Option<&mut Histogram<u64>> {
        Some(&mut self.hist)
    }
}

impl crate::Routine for OsSleep {
    fn run(&mut self, iters: u64) -> Result<Duration, String> {
        OsSleep::run(self, iters)
    }

    fn work(&self) -> Work {
        self.work
    }

    fn per_iter(&self) -> Work {
        Work::ops(1)
    }
}
