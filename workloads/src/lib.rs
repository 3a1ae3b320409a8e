//! rtbench's workloads, written once against the runtime trait: TCP echo,
//! fan-out, timers. No runtime crate is a dependency here, and nothing here
//! knows criterion: each workload is a routine `run(iters) -> elapsed` that
//! honours `iters` exactly and counts the work it did, so the benches are
//! thin and the tests can check the routines directly. The benches drive
//! them through `rtbench-harness` (criterion, settings, the run folder).

use hdrhistogram::Histogram;
use rtbench_format::Description;
use rtbench_loadgen::hdr;
use rtbench_runtimes::{Config, Runtime, WorkStealing};
use std::collections::BTreeMap;
use std::future::Future;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::time::Duration;

/// [`Observed::description`] and [`Observed::topology`] of a routine that
/// keeps both in fields of those names.
macro_rules! described {
    () => {
        fn description(&self) -> rtbench_format::Description {
            self.description.clone()
        }
        fn topology(&self) -> String {
            self.topology.clone()
        }
    };
}

pub mod echo;
pub mod fan_out;
pub mod file;
pub mod http;
pub mod interference;
pub mod placement;
pub mod sched;
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

impl Work {
    /// `n` operations and nothing else.
    pub const fn ops(n: u64) -> Work {
        Work {
            ops: n,
            bytes: 0,
            tasks: 0,
            connections: 0,
        }
    }
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

    /// The runtime's yield ([`Runtime::yield_now`]; `Send` on every flavor).
    fn yield_now() -> impl Future<Output = ()> + Send + 'static;

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

    fn yield_now() -> impl Future<Output = ()> + Send + 'static {
        R::yield_now()
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

    fn yield_now() -> impl Future<Output = ()> + Send + 'static {
        R::yield_now()
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

/// A workload that runs inside one runtime as one spawned task per call:
/// fan-out and timers. `T` is the task API its body gets ([`Local`] or
/// [`Stealing`]), so each flavor has its own [`Routine::run`].
pub struct InRuntime<R: Runtime, C, T> {
    rt: R,
    pub case: C,
    pub description: rtbench_format::Description,
    pub topology: String,
    /// Work done by all calls so far.
    pub work: Work,
    /// Lateness of all calls so far, or since the last reset (timers), in ns.
    pub hist: hdrhistogram::Histogram<u64>,
    pub bytes_per_task: Option<f64>,
    pub timer_slack_ns: Option<u64>,
    tasks: PhantomData<fn() -> T>,
}

/// A case of an in-runtime workload: what one iteration must do, and the
/// body that does `iters` of them. A new in-runtime workload is a `Case`
/// (its module) and a bench file; every adapter runs it through
/// [`in_runtimes`].
pub trait Case: Copy + std::fmt::Debug + 'static {
    /// The work one iteration must do.
    fn per_iter(&self) -> Work;
    fn label(&self) -> String;
    /// `iters` iterations on `T`'s tasks, timed inside the runtime: the
    /// workload's timed loop, written once for every flavor.
    fn body<T: Tasks>(self, iters: u64) -> impl Future<Output = Result<Sample, String>> + 'static;
    /// [`Case::body`] for a work-stealing pool: the same future, which the
    /// compiler sees is `Send` only where `T` is concrete (see [`send_body!`]).
    fn send_body<T: SendTasks>(
        self,
        iters: u64,
    ) -> impl Future<Output = Result<Sample, String>> + Send + 'static;
}

/// The [`Case::send_body`] of a `Case` impl: its own `body`, on `Send` tasks.
#[macro_export]
macro_rules! send_body {
    () => {
        fn send_body<T: $crate::SendTasks>(
            self,
            iters: u64,
        ) -> impl ::std::future::Future<Output = Result<$crate::Sample, String>> + Send + 'static {
            self.body::<T>(iters)
        }
    };
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

/// A routine whose calls the harness can take apart (`rtbench_harness::bench`):
/// what one call recorded, and what the routine is, for its results.
pub trait Observed: Routine {
    /// What ran: the runtime's own description.
    fn description(&self) -> Description;
    /// The CPUs it ran on, as the results name them.
    fn topology(&self) -> String;
    /// Figures beyond the measured calls' (`bytes_per_task`, `timer_slack_ns`).
    fn extra(&self) -> BTreeMap<String, f64> {
        BTreeMap::new()
    }
    /// The distribution the routine records into; the harness
    /// (`rtbench_harness::bench`) resets it before each call to keep
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

/// A boxed routine is one (the harness keeps every adapter's in-runtime
/// routine as `Box<dyn Observed>`, see [`in_runtimes`]).
impl<T: Routine + ?Sized> Routine for Box<T> {
    fn run(&mut self, iters: u64) -> Result<Duration, String> {
        (**self).run(iters)
    }
    fn work(&self) -> Work {
        (**self).work()
    }
    fn per_iter(&self) -> Work {
        (**self).per_iter()
    }
}

impl<T: Observed + ?Sized> Observed for Box<T> {
    fn description(&self) -> Description {
        (**self).description()
    }
    fn topology(&self) -> String {
        (**self).topology()
    }
    fn extra(&self) -> BTreeMap<String, f64> {
        (**self).extra()
    }
    fn hist_mut(&mut self) -> Option<&mut Histogram<u64>> {
        (**self).hist_mut()
    }
    fn server_cpu(&self) -> Option<Duration> {
        (**self).server_cpu()
    }
    fn server_pid(&self) -> Option<u32> {
        (**self).server_pid()
    }
}

/// Runs `routine` for `iters` iterations and proves it did exactly that
/// much work: a routine that ignores `iters` (or a sweep parameter that
/// changes nothing) fails here instead of printing a wrong number.
pub fn run_checked(routine: &mut impl Routine, iters: u64) -> Result<Duration, String> {
    let before = routine.work();
    let elapsed = routine.run(iters)?;
    check_work(&*routine, before, iters)?;
    Ok(elapsed)
}

/// Whether `routine` did exactly `iters` iterations of work since it had
/// done `before` (see [`run_checked`]).
pub fn check_work(
    routine: &(impl Routine + ?Sized),
    before: Work,
    iters: u64,
) -> Result<(), String> {
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
    Ok(())
}

impl<R: Runtime, C: Case> Routine for InRuntime<R, C, Local<R>> {
    /// The case's body as one task spawned on this thread's executor.
    fn run(&mut self, iters: u64) -> Result<Duration, String> {
        let case = self.case;
        let sample = self
            .rt
            .block_on(async move { R::spawn_local(case.body::<Local<R>>(iters)).await })?;
        self.add(sample)
    }

    fn work(&self) -> Work {
        self.work
    }

    fn per_iter(&self) -> Work {
        self.case.per_iter()
    }
}

impl<R: WorkStealing, C: Case> Routine for InRuntime<R, C, Stealing<R>> {
    /// The case's body as one `Send` task on the worker pool.
    fn run(&mut self, iters: u64) -> Result<Duration, String> {
        let case = self.case;
        let sample = self
            .rt
            .block_on(async move { R::spawn(case.send_body::<Stealing<R>>(iters)).await })?;
        self.add(sample)
    }

    fn work(&self) -> Work {
        self.work
    }

    fn per_iter(&self) -> Work {
        self.case.per_iter()
    }
}

impl<R: Runtime, C: Case, T> InRuntime<R, C, T> {
    /// Builds `R` on the calling thread (which should be pinned where the
    /// runtime is meant to run: its topology is the CPUs that thread may use).
    pub fn new(config: &rtbench_runtimes::Config, case: C) -> Result<Self, String> {
        let rt = R::new(config).map_err(|e| e.0)?;
        let description = rt.describe();
        let topology = placement::topology(rtbench_runtimes::sys::allowed_cpus().len());
        Ok(InRuntime {
            rt,
            case,
            description,
            topology,
            work: Work::default(),
            hist: hdr::histogram(),
            bytes_per_task: None,
            timer_slack_ns: None,
            tasks: PhantomData,
        })
    }

    /// Adds one call's sample to the totals; returns its time.
    fn add(&mut self, sample: Sample) -> Result<Duration, String> {
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

impl<R: Runtime, C: Case, T> Observed for InRuntime<R, C, T>
where
    Self: Routine,
{
    fn hist_mut(&mut self) -> Option<&mut hdrhistogram::Histogram<u64>> {
        Some(&mut self.hist)
    }
    described!();
    fn extra(&self) -> BTreeMap<String, f64> {
        figures([
            ("bytes_per_task", self.bytes_per_task),
            ("timer_slack_ns", self.timer_slack_ns.map(|v| v as f64)),
        ])
    }
}

impl<R: Runtime, C: std::fmt::Debug, T> std::fmt::Debug for InRuntime<R, C, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InRuntime")
            .field("runtime", &R::NAME)
            .field("case", &self.case)
            .field("work", &self.work)
            .finish()
    }
}

/// The figures of `named` that were measured, for a result's `extra`.
pub fn figures<const N: usize>(named: [(&str, Option<f64>); N]) -> BTreeMap<String, f64> {
    named
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_string(), v?)))
        .collect()
}

/// Builds case `C` of an in-runtime workload on one adapter, boxed for the
/// harness.
pub type BuildCase<C> = fn(C, &Config) -> Result<Box<dyn Observed>, String>;

/// Every adapter compiled in, in the list's order, with the constructor of
/// case `C` on it: [`Local`] tasks on a thread-per-core runtime, `Send`
/// tasks on a work-stealing one's workers.
pub fn in_runtimes<C: Case>() -> Vec<(&'static str, BuildCase<C>)> {
    struct Each<C>(Vec<(&'static str, BuildCase<C>)>);
    impl<C: Case> rtbench_runtimes::Visit for Each<C> {
        fn thread_per_core<R: Runtime>(&mut self) {
            self.0.push((R::NAME, |case, config| {
                Ok(Box::new(InRuntime::<R, C, Local<R>>::new(config, case)?))
            }));
        }
        fn work_stealing<R: WorkStealing>(&mut self) {
            self.0.push((R::NAME, |case, config| {
                Ok(Box::new(InRuntime::<R, C, Stealing<R>>::new(config, case)?))
            }));
        }
    }
    let mut each = Each(Vec::new());
    rtbench_runtimes::visit(&mut each);
    each.0
}

/// Starts an echo server on an address and CPUs (`rtbench serve`).
pub type StartServer =
    fn(SocketAddr, &[usize], &Config, Service) -> Result<echo::EchoServer, String>;

/// One runtime's echo server, picked by flavor: the thread-per-core ones
/// spawn locally, the work-stealing ones spawn `Send` tasks on their
/// workers. `rtbench serve` and the tests get it for every adapter through
/// [`visit_servers`] (in-runtime workloads: [`in_runtimes`]).
pub struct Servers<R: Runtime> {
    /// The echo workload's server (`rtbench serve`, and [`Servers::echo`]).
    pub server: StartServer,
    runtime: PhantomData<fn() -> R>,
}

impl<R: Runtime> Servers<R> {
    /// An echo bench with this runtime's server in this process (the
    /// workloads' tests; the benches serve from a process of their own).
    pub fn echo(
        &self,
        case: echo::EchoCase,
        placement: &Placement,
        config: &Config,
    ) -> Result<echo::ServedBench, String> {
        echo::ServedBench::in_process::<R>(case, placement, config, self.server)
    }

    /// An `http` bench with this runtime's hyper server in this process (the tests).
    pub fn http(
        &self,
        case: http::HttpCase,
        placement: &Placement,
        config: &Config,
    ) -> Result<echo::ServedBench, String> {
        echo::ServedBench::in_process_http::<R>(case, placement, config, self.server)
    }
}

impl<R: Runtime> Servers<R> {
    /// Tasks spawned with `spawn_local` (thread-per-core, or any runtime on
    /// its own thread).
    pub fn local() -> Self {
        Servers {
            server: echo::EchoServer::local::<R>,
            runtime: PhantomData,
        }
    }
}

impl<R: WorkStealing> Servers<R> {
    /// `Send` tasks on a work-stealing runtime's workers.
    pub fn stealing() -> Self {
        Servers {
            server: echo::EchoServer::stealing::<R>,
            runtime: PhantomData,
        }
    }
}

/// Code written once for every adapter's echo server: [`visit_servers`]
/// calls [`VisitServers::runtime`] once per adapter.
pub trait VisitServers {
    fn runtime<R: Runtime>(&mut self, servers: Servers<R>);
}

/// Calls `v` once per adapter compiled in, in the order of the list
/// ([`rtbench_runtimes::visit`]), with the [`Servers`] of its flavor.
pub fn visit_servers(v: &mut impl VisitServers) {
    struct ByFlavor<'a, V>(&'a mut V);
    impl<V: VisitServers> rtbench_runtimes::Visit for ByFlavor<'_, V> {
        fn thread_per_core<R: Runtime>(&mut self) {
            self.0.runtime(Servers::<R>::local())
        }
        fn work_stealing<R: WorkStealing>(&mut self) {
            self.0.runtime(Servers::<R>::stealing())
        }
    }
    rtbench_runtimes::visit(&mut ByFlavor(v));
}
