//! rtbench's workloads, written once against the runtime trait: TCP echo,
//! fan-out, timers. No runtime crate is a dependency here, and nothing here
//! knows criterion: each workload is a routine `run(iters) -> elapsed` that
//! honours `iters` exactly and counts the work it did, so the benches are
//! thin and the tests can check the routines directly. The benches drive
//! them through `rtbench-harness` (criterion, settings, the run folder).

use hdrhistogram::Histogram;
use rtbench_runtimes::{Config, Runtime, WorkStealing};
use std::future::Future;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::time::Duration;

pub mod echo;
pub mod fan_out;
pub mod hdr;
pub mod interference;
pub mod loadgen;
pub mod placement;
pub mod server_process;
pub mod std_server;
pub mod sweep;
mod sync;
pub mod timers;
pub mod trials;
pub mod work;

pub use placement::{Placement, topology};
pub use std_server::Service;

/// Work a routine did, cumulative: the proof that it measured what it claims.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Work {
    /// Operations completed and checked (round trips, fan-outs, sleeps).
    pub ops: u64,
    /// Bytes echoed and compared (echo).
    pub bytes: u64,
    /// Tasks spawned and joined (fan-out).
    pub tasks: u64,
    /// Connections that carried traffic (echo).
    pub connections: u64,
}

/// The task API a workload body uses: `spawn_local` on every runtime, or
/// the `Send` `spawn` of a work-stealing one. Task bodies are always `Send`,
/// so one workload body serves both.
///
/// `SendTasks` is the same with `Send` futures; a body written against
/// `Tasks` is `Send` whenever its parameter is `SendTasks`.
#[trait_variant::make(SendTasks: Send)]
pub trait Tasks: 'static {
    /// Spawns `fut`; the task runs whether or not the handle is awaited.
    fn spawn<F>(fut: F) -> impl Future<Output = F::Output> + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// The runtime's timer.
    fn sleep(dur: Duration) -> impl Future<Output = ()> + 'static;

    /// Spawns a task that sleeps `dur` and returns how late it woke, in ns
    /// (an error if early). A method of its own because a generic body that
    /// awaits [`Tasks::sleep`] is not provably `Send`.
    fn spawn_sleep(dur: Duration) -> impl Future<Output = Result<u64, String>> + 'static;
}

/// Spawns with [`Runtime::spawn_local`] on the current thread's executor.
#[derive(Debug)]
pub struct Local<R>(PhantomData<fn() -> R>);

impl<R: Runtime> Tasks for Local<R> {
    fn spawn<F>(fut: F) -> impl Future<Output = F::Output> + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        R::spawn_local(fut)
    }

    fn sleep(dur: Duration) -> impl Future<Output = ()> + 'static {
        R::sleep(dur)
    }

    fn spawn_sleep(dur: Duration) -> impl Future<Output = Result<u64, String>> + 'static {
        R::spawn_local(timers::late_by(dur, move || R::sleep(dur)))
    }
}

/// Spawns with [`WorkStealing::spawn`] onto the worker pool.
#[derive(Debug)]
pub struct Stealing<R>(PhantomData<fn() -> R>);

impl<R: WorkStealing> SendTasks for Stealing<R> {
    fn spawn<F>(fut: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        R::spawn(fut)
    }

    fn sleep(dur: Duration) -> impl Future<Output = ()> + Send + 'static {
        R::sleep_send(dur)
    }

    fn spawn_sleep(dur: Duration) -> impl Future<Output = Result<u64, String>> + Send + 'static {
        R::spawn(timers::late_by(dur, move || R::sleep_send(dur)))
    }
}

/// What one call of a routine measured.
#[derive(Debug)]
pub struct Sample {
    pub elapsed: Duration,
    pub work: Work,
    /// Lateness (timers) recorded during the call, in ns.
    pub hist: Option<hdrhistogram::Histogram<u64>>,
    /// Live heap bytes per parked task (fan-out `parked`), if measured.
    pub bytes_per_task: Option<f64>,
    /// Timer slack of the thread the body ran on, in ns.
    pub timer_slack_ns: Option<u64>,
}

/// A workload that runs inside one runtime as a spawned task per call:
/// fan-out and timers. `body` is picked per flavor by the constructors.
pub struct InRuntime<R: Runtime, C> {
    rt: R,
    pub case: C,
    body: fn(&R, C, u64) -> Result<Sample, String>,
    pub description: rtbench_format::Description,
    pub topology: String,
    /// Work done by all calls so far.
    pub work: Work,
    /// Lateness of all calls so far, or since the last reset (timers), in ns.
    pub hist: hdrhistogram::Histogram<u64>,
    pub bytes_per_task: Option<f64>,
    pub timer_slack_ns: Option<u64>,
}

/// A case of an in-runtime workload.
pub trait Case: Copy + std::fmt::Debug + 'static {
    /// The work one iteration must do.
    fn per_iter(&self) -> Work;
    fn label(&self) -> String;
}

/// A benchmark routine: `run(iters)` does exactly `iters` iterations.
pub trait Routine {
    /// Runs `iters` iterations and returns the time they took.
    fn run(&mut self, iters: u64) -> Result<Duration, String>;
    /// Work done by all calls so far.
    fn work(&self) -> Work;
    /// The work one iteration must do.
    fn per_iter(&self) -> Work;
}

/// A routine whose calls the harness can take apart (`rtbench_harness::plan::call`):
/// what one call recorded.
pub trait Observed: Routine {
    /// The distribution the routine records into; the harness
    /// (`rtbench_harness::plan::call`) resets it before each call to keep
    /// that call's part alone.
    fn hist_mut(&mut self) -> Option<&mut Histogram<u64>> {
        None
    }
    /// Server CPU time used so far, for routines that measure it.
    fn server_cpu(&self) -> Option<Duration> {
        None
    }
    /// The server's process, when it runs in one of its own: the harness
    /// meters its threads' run delay apart from the generator's
    /// ([`interference::Meter`]).
    fn server_pid(&self) -> Option<u32> {
        None
    }
}

/// Runs `routine` for `iters` iterations and proves it did exactly that
/// much work: a routine that ignores `iters` (or a sweep parameter that
/// changes nothing) fails here instead of printing a wrong number.
pub fn run_checked(routine: &mut impl Routine, iters: u64) -> Result<Duration, String> {
    let before = routine.work();
    let elapsed = routine.run(iters)?;
    let after = routine.work();
    let want = routine.per_iter();
    let did = |f: fn(&Work) -> u64| f(&after) - f(&before);
    let checks = [
        ("ops", did(|w| w.ops), want.ops),
        ("bytes", did(|w| w.bytes), want.bytes),
        ("tasks", did(|w| w.tasks), want.tasks),
    ];
    for (what, done, per) in checks {
        if done != per * iters {
            return Err(format!(
                "{iters} iterations did {done} {what}, expected {} ({per} per iteration)",
                per * iters
            ));
        }
    }
    Ok(elapsed)
}

impl<R: Runtime, C: Case> Routine for InRuntime<R, C> {
    fn run(&mut self, iters: u64) -> Result<Duration, String> {
        InRuntime::run(self, iters)
    }

    fn work(&self) -> Work {
        self.work
    }

    fn per_iter(&self) -> Work {
        self.case.per_iter()
    }
}

impl<R: Runtime, C: Copy> InRuntime<R, C> {
    /// Builds `R` on the calling thread (which should be pinned where the
    /// runtime is meant to run: its topology is the CPUs that thread may use).
    pub fn new(
        config: &rtbench_runtimes::Config,
        case: C,
        body: fn(&R, C, u64) -> Result<Sample, String>,
    ) -> Result<Self, String> {
        let rt = R::new(config).map_err(|e| e.0)?;
        let description = rt.describe();
        let topology = placement::topology(rtbench_runtimes::sys::allowed_cpus().len());
        Ok(InRuntime {
            rt,
            case,
            body,
            description,
            topology,
            work: Work::default(),
            hist: hdr::histogram(),
            bytes_per_task: None,
            timer_slack_ns: None,
        })
    }

    /// Runs `iters` iterations; returns the time they took, measured inside the runtime.
    pub fn run(&mut self, iters: u64) -> Result<Duration, String> {
        let sample = (self.body)(&self.rt, self.case, iters)?;
        self.work.ops += sample.work.ops;
        self.work.tasks += sample.work.tasks;
        if let Some(h) = sample.hist {
            self.hist.add(&h).map_err(|e| e.to_string())?;
        }
        self.bytes_per_task = sample.bytes_per_task.or(self.bytes_per_task);
        self.timer_slack_ns = sample.timer_slack_ns.or(self.timer_slack_ns);
        Ok(sample.elapsed)
    }
}

impl<R: Runtime, C: Case> Observed for InRuntime<R, C> {
    fn hist_mut(&mut self) -> Option<&mut hdrhistogram::Histogram<u64>> {
        Some(&mut self.hist)
    }
}

impl<R: Runtime, C: std::fmt::Debug> std::fmt::Debug for InRuntime<R, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InRuntime")
            .field("runtime", &R::NAME)
            .field("case", &self.case)
            .field("work", &self.work)
            .finish()
    }
}

/// Builds a workload of case `C` on runtime `R`.
pub type Make<R, C> = fn(C, &Config) -> Result<InRuntime<R, C>, String>;

/// Starts an echo server on an address and CPUs (`rtbench serve`).
pub type StartServer =
    fn(SocketAddr, &[usize], &Config, Service) -> Result<echo::EchoServer, String>;

/// Constructors of every workload for one runtime, picked by flavor: the
/// thread-per-core ones spawn locally, the work-stealing ones spawn `Send`
/// tasks on their workers. Benches and tests get them for every adapter
/// through [`visit`].
pub struct Workloads<R: Runtime> {
    /// The echo workload's server (`rtbench serve`, and [`Workloads::echo`]).
    pub server: StartServer,
    pub fan_out: Make<R, fan_out::FanOutCase>,
    pub timers: Make<R, timers::TimerCase>,
}

/// The [`Make`] of an in-runtime workload whose body (`$workload::body`,
/// written once against [`Tasks`]) runs as one task spawned with `R::$spawn`
/// on `$tasks<R>`: the one place where fan-out's and timers' bodies meet a
/// flavor.
macro_rules! in_task {
    ($workload:ident, $spawn:ident, $tasks:ident) => {
        |case, config| {
            InRuntime::new(config, case, |rt, case, iters| {
                rt.block_on(
                    async move { R::$spawn($workload::body::<$tasks<R>>(case, iters)).await },
                )
            })
        }
    };
}

impl<R: Runtime> Workloads<R> {
    /// An echo bench with this runtime's server in this process (the
    /// workloads' tests; the benches serve from a process of their own).
    pub fn echo(
        &self,
        case: echo::EchoCase,
        placement: &Placement,
        config: &Config,
    ) -> Result<echo::EchoBench, String> {
        echo::EchoBench::in_process::<R>(case, placement, config, self.server)
    }
}

impl<R: Runtime> Workloads<R> {
    /// Tasks spawned with `spawn_local` (thread-per-core, or any runtime on
    /// its own thread).
    pub fn local() -> Self {
        Workloads {
            server: echo::EchoServer::local::<R>,
            fan_out: in_task!(fan_out, spawn_local, Local),
            timers: in_task!(timers, spawn_local, Local),
        }
    }
}

impl<R: WorkStealing> Workloads<R> {
    /// `Send` tasks on a work-stealing runtime's workers.
    pub fn stealing() -> Self {
        Workloads {
            server: echo::EchoServer::stealing::<R>,
            fan_out: in_task!(fan_out, spawn, Stealing),
            timers: in_task!(timers, spawn, Stealing),
        }
    }
}

/// Code written once for every runtime's workloads: [`visit`] calls
/// [`Visit::runtime`] once per adapter.
pub trait Visit {
    fn runtime<R: Runtime>(&mut self, workloads: Workloads<R>);
}

/// Calls `v` once per adapter compiled in, in the order of the list
/// ([`rtbench_runtimes::visit`]), with the [`Workloads`] of its flavor.
pub fn visit(v: &mut impl Visit) {
    struct ByFlavor<'a, V>(&'a mut V);
    impl<V: Visit> rtbench_runtimes::Visit for ByFlavor<'_, V> {
        fn thread_per_core<R: Runtime>(&mut self) {
            self.0.runtime(Workloads::<R>::local())
        }
        fn work_stealing<R: WorkStealing>(&mut self) {
            self.0.runtime(Workloads::<R>::stealing())
        }
    }
    rtbench_runtimes::visit(&mut ByFlavor(v));
}
