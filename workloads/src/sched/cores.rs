//! The scheduler cases that cross cores: a ping-pong between two cores, and
//! tasks handed to a runtime from a thread outside it. Their runtimes live
//! on threads of their own across calls (a host), fed one request per call;
//! the figures are time per operation and the CPU time of every thread of
//! the process per operation (both sides work, and a wake that crosses
//! cores costs the waker too).

use super::ping_pong;
use crate::{Local, Observed, Routine, Stealing, Tasks, Work};
use rtbench_format::Description;
use rtbench_runtimes::{Config, Runtime, WorkStealing, sys};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a call may wait for its answer: a wake lost between threads
/// fails the call instead of hanging the bench.
const LIMIT: Duration = Duration::from_secs(20);

/// A case on two CPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrossCase {
    /// Two tasks pass a number back and forth `round_trips` times: on a
    /// work-stealing pool of 2 workers (wherever its scheduler puts them),
    /// or between two thread-per-core executors, one per core, each task on
    /// its own (the way each flavor's users cross cores). One-slot
    /// async-channels; an operation is one hop.
    PingPong { round_trips: u64 },
    /// A thread on the other CPU hands `tasks` tasks to a 1-core runtime
    /// through its own cross-thread entry point ([`Runtime::remote`]) and
    /// waits until all ran; `busy`: a task of the runtime yields in a loop
    /// meanwhile. An operation is one spawn.
    RemoteSpawn { tasks: u64, busy: bool },
}

impl CrossCase {
    pub fn matrix() -> Vec<CrossCase> {
        vec![
            CrossCase::PingPong { round_trips: 1_000 },
            CrossCase::RemoteSpawn {
                tasks: 1_000,
                busy: false,
            },
            CrossCase::RemoteSpawn {
                tasks: 1_000,
                busy: true,
            },
        ]
    }

    pub fn label(&self) -> String {
        match *self {
            CrossCase::PingPong { round_trips } => format!("ping-pong-across-{round_trips}"),
            CrossCase::RemoteSpawn { tasks, busy } => {
                format!(
                    "remote-spawn-{}-{tasks}",
                    if busy { "busy" } else { "idle" }
                )
            }
        }
    }

    /// The CPUs it runs on, as its results name them.
    pub fn topology(&self) -> String {
        match self {
            CrossCase::PingPong { .. } => crate::topology(2),
            CrossCase::RemoteSpawn { .. } => format!("{} + spawner", crate::topology(1)),
        }
    }

    pub fn op(&self) -> &'static str {
        match self {
            CrossCase::PingPong { .. } => "hop",
            CrossCase::RemoteSpawn { .. } => "spawn",
        }
    }

    pub fn ops(&self) -> u64 {
        match *self {
            CrossCase::PingPong { round_trips } => 2 * round_trips,
            CrossCase::RemoteSpawn { tasks, .. } => tasks,
        }
    }

    pub fn tasks(&self) -> u64 {
        match *self {
            CrossCase::PingPong { .. } => 1,
            CrossCase::RemoteSpawn { tasks, .. } => tasks,
        }
    }

    fn per_iter(&self) -> Work {
        Work {
            ops: self.ops(),
            tasks: self.tasks(),
            ..Work::default()
        }
    }
}

/// One call's answer from the host: its time and checked work.
type Answer = Result<(Duration, Work), String>;

/// A [`CrossCase`] on one adapter, its runtime on host threads that live
/// as long as the routine.
pub struct CrossCore {
    case: CrossCase,
    description: Description,
    topology: String,
    work: Work,
    /// CPU time of the whole process during the calls so far.
    cpu: Duration,
    requests: async_channel::Sender<u64>,
    answers: mpsc::Receiver<Answer>,
}

impl std::fmt::Debug for CrossCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrossCore")
            .field("case", &self.case)
            .field("work", &self.work)
            .finish()
    }
}

impl Routine for CrossCore {
    fn run(&mut self, iters: u64) -> Result<Duration, String> {
        let cpu = sys::process_cpu_time();
        self.requests
            .send_blocking(iters)
            .map_err(|_| "the runtime's threads have ended".to_string())?;
        let answer = self.answers.recv_timeout(LIMIT).map_err(|e| match e {
            mpsc::RecvTimeoutError::Timeout => {
                format!("no answer within {LIMIT:?}: a wake from another thread was lost")
            }
            mpsc::RecvTimeoutError::Disconnected => {
                "the runtime's threads ended (a panic: see the log)".to_string()
            }
        })?;
        self.cpu += sys::process_cpu_time().saturating_sub(cpu);
        let (elapsed, work) = answer?;
        self.work.ops += work.ops;
        self.work.tasks += work.tasks;
        Ok(elapsed)
    }

    fn work(&self) -> Work {
        self.work
    }

    fn per_iter(&self) -> Work {
        self.case.per_iter()
    }
}

impl Observed for CrossCore {
    described!();
    /// The process's CPU time: both sides (and the waiting bench thread,
    /// which sleeps).
    fn server_cpu(&self) -> Option<Duration> {
        Some(self.cpu)
    }
}

impl Drop for CrossCore {
    /// Closing the requests ends the host threads; they are not joined (one
    /// stuck on a lost wake must not hang the bench).
    fn drop(&mut self) {
        self.requests.close();
    }
}

/// What a host thread sends first: the runtime's description, or why it
/// could not start.
type Started = Result<Description, String>;

impl CrossCore {
    /// Builds `case` on `R`'s flavor `T` ([`Local`] or [`Stealing`]) on CPUs
    /// `cpus` (two: the runtime's, and the other side's).
    fn start<R: Runtime>(
        case: CrossCase,
        config: &Config,
        cpus: [usize; 2],
        host: impl FnOnce(Host) + Send + 'static,
    ) -> Result<CrossCore, String> {
        if !R::WAKE_FROM_ANOTHER_THREAD {
            return Err("not run".into());
        }
        let (requests, requested) = async_channel::unbounded();
        let (answer, answers) = mpsc::channel();
        let (started, start) = mpsc::channel();
        let config = config.clone();
        std::thread::Builder::new()
            .name(format!("{}-host", R::NAME))
            .spawn(move || {
                host(Host {
                    config,
                    cpus,
                    requested,
                    answer,
                    started,
                })
            })
            .map_err(|e| format!("cannot start a host thread: {e}"))?;
        let description = start
            .recv_timeout(LIMIT)
            .map_err(|_| format!("{} did not start within {LIMIT:?}", R::NAME))??;
        Ok(CrossCore {
            case,
            description,
            topology: case.topology(),
            work: Work::default(),
            cpu: Duration::ZERO,
            requests,
            answers,
        })
    }

    /// On a thread-per-core runtime: a ping-pong between two executors, or
    /// remote spawns into one.
    pub fn local<R: Runtime>(
        case: CrossCase,
        config: &Config,
        cpus: [usize; 2],
    ) -> Result<CrossCore, String> {
        Self::start::<R>(case, config, cpus, move |host| match case {
            CrossCase::PingPong { round_trips } => host.executors::<R>(round_trips),
            CrossCase::RemoteSpawn { tasks, busy } => {
                host.remote::<R, Local<R>>(Config::with_workers(1), tasks, busy)
            }
        })
    }

    /// On a work-stealing runtime: a ping-pong on a pool of 2 workers, or
    /// remote spawns into a pool of 1.
    pub fn stealing<R: WorkStealing>(
        case: CrossCase,
        config: &Config,
        cpus: [usize; 2],
    ) -> Result<CrossCore, String> {
        Self::start::<R>(case, config, cpus, move |host| match case {
            CrossCase::PingPong { round_trips } => host.pool::<R>(round_trips),
            CrossCase::RemoteSpawn { tasks, busy } => {
                host.remote::<R, Stealing<R>>(Config::with_workers(1), tasks, busy)
            }
        })
    }
}

/// The host thread's end of a [`CrossCore`].
struct Host {
    config: Config,
    cpus: [usize; 2],
    requested: async_channel::Receiver<u64>,
    answer: mpsc::Sender<Answer>,
    started: mpsc::Sender<Started>,
}

/// The message of a caught panic.
fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    let text = p
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned());
    format!(
        "panicked: {}",
        text.unwrap_or_else(|| "(no message)".into())
    )
}

impl Host {
    /// Two executors, one per CPU ([`Runtime::per_core`]), the ping task on
    /// the first and the pong task on the second.
    fn executors<R: Runtime>(self, round_trips: u64) {
        let Host {
            config,
            cpus,
            requested,
            answer,
            started,
        } = self;
        let mut description = match (rtbench_runtimes::entry::<R>().probe)(&config) {
            Ok(d) => d,
            Err(e) => return drop(started.send(Err(e.0))),
        };
        description.workers = 2;
        description.knobs.insert(
            "cores".into(),
            "2 executors, one per core (Runtime::per_core)".into(),
        );
        let (to_pong, pong_rx) = async_channel::bounded::<u64>(1);
        let (to_ping, ping_rx) = async_channel::bounded::<u64>(1);
        let up = started.clone();
        let on_core = move |i: usize| {
            let (requested, answer) = (requested.clone(), answer.clone());
            let (to_pong, pong_rx) = (to_pong.clone(), pong_rx.clone());
            let (to_ping, ping_rx) = (to_ping.clone(), ping_rx.clone());
            let (up, description) = (up.clone(), description.clone());
            async move {
                let side = async move {
                    if i == 0 {
                        let _ = up.send(Ok(description));
                        ping(requested, answer, round_trips, to_pong, ping_rx).await
                    } else {
                        // Drop this side's copies: the pong ends when ping's close.
                        drop((requested, answer, to_pong, ping_rx, up));
                        while let Ok(v) = pong_rx.recv().await {
                            if to_ping.send(v + 1).await.is_err() {
                                break;
                            }
                        }
                    }
                };
                R::spawn_local(side).await
            }
        };
        if let Err(e) = R::per_core(&config, &cpus, on_core) {
            // Read only if the ping side never said it was up.
            let _ = started.send(Err(e.0));
        }
    }

    /// A pool of 2 workers on both CPUs, the ping-pong spawned on it.
    fn pool<R: WorkStealing>(self, round_trips: u64) {
        sys::pin_to_cpus(&self.cpus);
        let rt = match R::new(&Config::with_workers(2)) {
            Ok(rt) => rt,
            Err(e) => return drop(self.started.send(Err(e.0))),
        };
        let _ = self.started.send(Ok(rt.describe()));
        rt.block_on(async {
            while let Ok(iters) = self.requested.recv().await {
                let start = Instant::now();
                let done = R::spawn(async move {
                    let mut hops = 0;
                    for _ in 0..iters {
                        hops += ping_pong::<Stealing<R>>(round_trips).await?.0;
                    }
                    Ok::<u64, String>(hops)
                })
                .await;
                let work = |hops| Work {
                    ops: hops,
                    tasks: iters,
                    ..Work::default()
                };
                let _ = self
                    .answer
                    .send(done.map(|hops| (start.elapsed(), work(hops))));
            }
        });
    }

    /// A 1-core runtime on the first CPU; a spawner thread on the second
    /// hands it `tasks` tasks per iteration through [`Runtime::remote`].
    fn remote<R: Runtime, T: Tasks>(self, config: Config, tasks: u64, busy: bool) {
        let Host {
            cpus,
            requested,
            answer,
            started,
            ..
        } = self;
        sys::pin_to_cpu(cpus[0]);
        let rt = match R::new(&config) {
            Ok(rt) => rt,
            Err(e) => return drop(started.send(Err(e.0))),
        };
        let mut description = rt.describe();
        if busy {
            description
                .knobs
                .insert("busy".into(), "a task yields in a loop meanwhile".into());
        }
        let _ = started.send(Ok(description));
        rt.block_on(async move {
            let remote = R::remote();
            let stop = Arc::new(AtomicBool::new(false));
            let spinner = busy.then(|| {
                let stop = stop.clone();
                T::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        T::yield_now().await;
                    }
                })
            });
            let (ended, end) = async_channel::bounded::<()>(1);
            let spawner = std::thread::Builder::new()
                .name(format!("{}-spawner", R::NAME))
                .spawn(move || {
                    sys::pin_to_cpu(cpus[1]);
                    while let Ok(iters) = requested.recv_blocking() {
                        let handed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            hand_over(&remote, iters * tasks)
                        }))
                        .unwrap_or_else(|p| Err(panic_text(p.as_ref())));
                        let work = |n| Work {
                            ops: n,
                            tasks: n,
                            ..Work::default()
                        };
                        let _ = answer.send(handed.map(|(t, n)| (t, work(n))));
                    }
                    drop(remote);
                    let _ = ended.send_blocking(());
                });
            if spawner.is_ok() {
                // The runtime runs the handed-over tasks until the requests end.
                let _ = end.recv().await;
            }
            stop.store(true, Ordering::Relaxed);
            if let Some(spinner) = spinner {
                spinner.await;
            }
        });
    }
}

/// The ping side of [`Host::executors`]: per request, `iters` ping-pongs
/// of `round_trips`, answered with their time.
async fn ping(
    requested: async_channel::Receiver<u64>,
    answer: mpsc::Sender<Answer>,
    round_trips: u64,
    to_pong: async_channel::Sender<u64>,
    from_pong: async_channel::Receiver<u64>,
) {
    while let Ok(iters) = requested.recv().await {
        let start = Instant::now();
        let mut hops = 0;
        let mut failed = None;
        'calls: for _ in 0..iters {
            for i in 0..round_trips {
                let back = match to_pong.send(i).await {
                    Ok(()) => from_pong.recv().await.ok(),
                    Err(_) => None,
                };
                match back {
                    Some(b) if b == i + 1 => hops += 2,
                    other => {
                        failed = Some(format!("ping-pong across cores: sent {i}, got {other:?}"));
                        break 'calls;
                    }
                }
            }
        }
        let work = Work {
            ops: hops,
            tasks: iters,
            ..Work::default()
        };
        let _ = answer.send(match failed {
            Some(e) => Err(e),
            None => Ok((start.elapsed(), work)),
        });
    }
    to_pong.close();
}

/// Hands `n` tasks over and waits until all ran: their time and count.
fn hand_over(remote: &rtbench_runtimes::Remote, n: u64) -> Result<(Duration, u64), String> {
    let ran = Arc::new(AtomicU64::new(0));
    let (done, all_ran) = mpsc::sync_channel::<()>(1);
    let start = Instant::now();
    for _ in 0..n {
        let (ran, done) = (ran.clone(), done.clone());
        let taken = remote.spawn(Box::pin(async move {
            if ran.fetch_add(1, Ordering::AcqRel) + 1 == n {
                let _ = done.try_send(());
            }
        }));
        if !taken {
            return Err("the runtime refused a task handed over".into());
        }
    }
    if n > 0 {
        all_ran.recv_timeout(LIMIT).map_err(|_| {
            format!(
                "{} of {n} tasks handed over ran within {LIMIT:?}",
                ran.load(Ordering::Acquire)
            )
        })?;
    }
    Ok((start.elapsed(), ran.load(Ordering::Acquire)))
}

/// Why `case` cannot run on configuration `runtime` on `cpus` here, before
/// trying: one CPU only, or a pool of 2 workers that cannot be had (async-std's
/// is one per process, sized by its first use).
pub fn cannot_run(runtime: &str, case: CrossCase, cpus: [usize; 2]) -> Option<String> {
    if cpus[0] == cpus[1] {
        return Some("needs two CPUs".to_string());
    }
    let entry = rtbench_runtimes::entries()
        .into_iter()
        .find(|e| e.name == runtime)?;
    let pool = matches!(case, CrossCase::PingPong { .. });
    pool.then(|| (entry.probe)(&Config::with_workers(2)).err())?
        .map(|u| u.0)
}

/// Builds a [`CrossCase`] on one adapter on two CPUs, boxed for the harness.
pub type BuildCross = fn(CrossCase, &Config, [usize; 2]) -> Result<Box<dyn Observed>, String>;

/// Every adapter compiled in, in the list's order, with its [`CrossCase`]
/// constructor for its flavor.
pub fn across_runtimes() -> Vec<(&'static str, BuildCross)> {
    struct Each(Vec<(&'static str, BuildCross)>);
    impl rtbench_runtimes::Visit for Each {
        fn thread_per_core<R: Runtime>(&mut self) {
            self.0.push((R::NAME, |case, config, cpus| {
                Ok(Box::new(CrossCore::local::<R>(case, config, cpus)?))
            }));
        }
        fn work_stealing<R: WorkStealing>(&mut self) {
            self.0.push((R::NAME, |case, config, cpus| {
                Ok(Box::new(CrossCore::stealing::<R>(case, config, cpus)?))
            }));
        }
    }
    let mut each = Each(Vec::new());
    rtbench_runtimes::visit(&mut each);
    each.0
}
