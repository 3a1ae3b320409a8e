//! TCP echo: the runtime under test is the server (an accept loop and one
//! task per connection); the one fixed [`LoadGen`] drives it over loopback.

use crate::latency;
use crate::loadgen::{LoadGen, MultiGen, OpenHists, OpenLoop, OpenOutcome, Stats};
use crate::reference::{Service, StdEchoServer, accept_backoff};
use crate::served::{ServeCommand, ServerProcess};
use crate::work::{Mix, work_conn};
use crate::{Placement, Work};
use hdrhistogram::Histogram;
use rtbench_format::{Description, Flavor, TimerClass};
use rtbench_runtimes::{Config, Conn, Listener, Runtime, Unavailable, WorkStealing, sys};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The server's per-connection buffer: one read takes a whole message of
/// every size in the matrix.
const CONN_BUF: usize = 64 * 1024;
/// Real-time priority of generator threads on a CPU shared with the server.
const GENERATOR_FIFO: i32 = 10;
/// A run with no progress for this long fails instead of hanging.
const STALL: Duration = Duration::from_secs(10);

/// One echo case: message size and concurrent connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EchoCase {
    pub msg_bytes: usize,
    pub connections: usize,
}

impl EchoCase {
    /// The default matrix: {64 B, 4 KiB} x {1, 16, 256}; `full` widens it to
    /// {64 B, 1 KiB, 16 KiB} x {1, 16, 256, 1024}.
    pub fn matrix(full: bool) -> Vec<EchoCase> {
        let (sizes, conns): (&[usize], &[usize]) = if full {
            (&[64, 1024, 16 * 1024], &[1, 16, 256, 1024])
        } else {
            (&[64, 4096], &[1, 16, 256])
        };
        EchoCase::cross(sizes, conns)
    }

    /// Every size with every connection count, sizes outermost.
    pub fn cross(sizes: &[usize], conns: &[usize]) -> Vec<EchoCase> {
        sizes
            .iter()
            .flat_map(|&msg_bytes| {
                conns.iter().map(move |&connections| EchoCase {
                    msg_bytes,
                    connections,
                })
            })
            .collect()
    }

    /// The id suffix, e.g. `64B-16c`, `4KiB-256c`.
    pub fn label(&self) -> String {
        let size = if self.msg_bytes >= 1024 && self.msg_bytes % 1024 == 0 {
            format!("{}KiB", self.msg_bytes / 1024)
        } else {
            format!("{}B", self.msg_bytes)
        };
        format!("{size}-{}c", self.connections)
    }
}

/// Echoes until end of stream or error.
pub async fn echo_conn<C: Conn>(mut conn: C) {
    let mut buf = vec![0u8; CONN_BUF];
    loop {
        let (r, b) = conn.read(buf).await;
        let n = match r {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let (r, b) = conn.write_all(b, n).await;
        if r.is_err() {
            return;
        }
        buf = b;
    }
}

/// Accepts until `stop` is set, handing each connection to `serve`.
async fn accept_loop<R: Runtime, L: Listener>(
    listener: L,
    stop: Arc<AtomicBool>,
    serve: impl Fn(L::Conn),
) {
    loop {
        let accepted = listener.accept().await;
        if stop.load(Ordering::Acquire) {
            return;
        }
        match accepted {
            Ok(conn) => serve(conn),
            // Out of descriptors: said once, then a pause on the runtime's
            // own timer (the connections already served go on meanwhile)
            // instead of a spin on an accept that fails at once.
            Err(e) => match accept_backoff(&e) {
                Some(pause) => R::sleep(pause).await,
                // A connection reset before accept and the like: keep serving.
                None => std::thread::yield_now(),
            },
        }
    }
}

/// An echo server built on a runtime: its threads, its address, its stop flag.
#[derive(Debug)]
struct RuntimeServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RuntimeServer {
    /// Binds one `SO_REUSEPORT` listener per core on one port of `addr` now,
    /// so the port accepts (into the backlog) before any runtime has started.
    fn bind(
        addr: SocketAddr,
        cores: usize,
    ) -> io::Result<(SocketAddr, Vec<std::net::TcpListener>)> {
        let first = sys::reuseport_listener(addr)?;
        let addr = first.local_addr()?;
        let mut all = vec![first];
        for _ in 1..cores {
            all.push(sys::reuseport_listener(addr)?);
        }
        Ok((addr, all))
    }

    /// Thread-per-core: one executor pinned to each of `cpus`, each with its
    /// own listener, one `spawn_local` task per connection.
    fn local<R: Runtime>(
        addr: SocketAddr,
        config: &Config,
        cpus: &[usize],
        service: Service,
    ) -> Result<RuntimeServer, String> {
        let cores = cpus.len();
        let (addr, listeners) = Self::bind(addr, cores).map_err(|e| bind_error(addr, e))?;
        let listeners = Arc::new(listeners);
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = mpsc::channel();
        let thread = {
            let (config, stop, ready) = (config.clone(), stop.clone(), ready_tx.clone());
            let cpus = cpus.to_vec();
            std::thread::spawn(move || {
                let started = R::per_core(&config, &cpus, move |core| {
                    let listener = listeners[core].try_clone();
                    let (stop, ready) = (stop.clone(), ready.clone());
                    async move {
                        let listener = match listener.and_then(R::listener) {
                            Ok(l) => l,
                            Err(e) => return ready.send(Err(e.to_string())).unwrap_or(()),
                        };
                        let _ = ready.send(Ok(()));
                        accept_loop::<R, _>(listener, stop, |conn| match service {
                            Service::Echo => drop(R::spawn_local(echo_conn(conn))),
                            Service::Work => drop(R::spawn_local(work_conn(conn))),
                        })
                        .await
                    }
                });
                if let Err(Unavailable(why)) = started {
                    let _ = ready_tx.send(Err(why));
                }
            })
        };
        Self::wait_ready(addr, stop, thread, ready_rx, cores)
    }

    /// Work-stealing: one runtime with `workers` threads on `cpus`, accepting
    /// in `block_on` (as tokio's own examples do), one `Send` task per
    /// connection.
    fn stealing<R: WorkStealing>(
        addr: SocketAddr,
        config: &Config,
        cpus: &[usize],
        service: Service,
    ) -> Result<RuntimeServer, String> {
        let (addr, mut listeners) = Self::bind(addr, 1).map_err(|e| bind_error(addr, e))?;
        let listener = listeners.remove(0);
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = mpsc::channel();
        let thread = {
            let (config, stop, cpus) = (config.clone(), stop.clone(), cpus.to_vec());
            std::thread::spawn(move || {
                sys::pin_to_cpus(&cpus);
                let rt = match R::new(&config) {
                    Ok(rt) => rt,
                    Err(why) => return ready_tx.send(Err(why.0)).unwrap_or(()),
                };
                rt.block_on(async move {
                    let listener = match R::listener(listener) {
                        Ok(l) => l,
                        Err(e) => return ready_tx.send(Err(e.to_string())).unwrap_or(()),
                    };
                    let _ = ready_tx.send(Ok(()));
                    accept_loop::<R, _>(listener, stop, |conn| {
                        let conn = R::send_conn(conn);
                        match service {
                            Service::Echo => drop(R::spawn(echo_conn(conn))),
                            Service::Work => drop(R::spawn(work_conn(conn))),
                        }
                    })
                    .await
                })
            })
        };
        Self::wait_ready(addr, stop, thread, ready_rx, 1)
    }

    fn wait_ready(
        addr: SocketAddr,
        stop: Arc<AtomicBool>,
        thread: JoinHandle<()>,
        ready: mpsc::Receiver<Result<(), String>>,
        cores: usize,
    ) -> Result<RuntimeServer, String> {
        let server = RuntimeServer {
            addr,
            stop,
            thread: Some(thread),
        };
        for _ in 0..cores {
            match ready.recv_timeout(Duration::from_secs(10)) {
                Ok(Ok(())) => {}
                Ok(Err(why)) => return Err(why),
                Err(_) => return Err("server did not start within 10 s".into()),
            }
        }
        Ok(server)
    }
}

impl Drop for RuntimeServer {
    /// Sets the stop flag, then connects until every accept loop has seen it.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        let Some(thread) = self.thread.take() else {
            return;
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !thread.is_finished() && Instant::now() < deadline {
            let _ = std::net::TcpStream::connect_timeout(&self.addr, Duration::from_millis(100));
            std::thread::sleep(Duration::from_millis(1));
        }
        if thread.is_finished() {
            let _ = thread.join();
        }
    }
}

fn bind_error(addr: SocketAddr, e: io::Error) -> String {
    format!("cannot listen on {addr}: {e}")
}

/// A running echo server of any flavor, on a given address and CPUs; it
/// stops (and joins its accept threads) when dropped. The benches start it
/// on loopback, `rtbench serve` on any address, from the same code.
#[derive(Debug)]
pub struct EchoServer(Server);

#[derive(Debug)]
enum Server {
    Runtime(RuntimeServer),
    Std(StdEchoServer),
    Process(ServerProcess),
}

impl EchoServer {
    /// Thread-per-core: one executor (with its own `SO_REUSEPORT` listener)
    /// pinned to each of `cpus`.
    pub fn local<R: Runtime>(
        addr: SocketAddr,
        cpus: &[usize],
        config: &Config,
        service: Service,
    ) -> Result<EchoServer, String> {
        RuntimeServer::local::<R>(addr, config, cpus, service)
            .map(|s| EchoServer(Server::Runtime(s)))
    }

    /// Work-stealing: one runtime with `config.workers` workers on `cpus`.
    pub fn stealing<R: WorkStealing>(
        addr: SocketAddr,
        cpus: &[usize],
        config: &Config,
        service: Service,
    ) -> Result<EchoServer, String> {
        RuntimeServer::stealing::<R>(addr, config, cpus, service)
            .map(|s| EchoServer(Server::Runtime(s)))
    }

    /// The no-runtime floor, `std-threads`, its threads on `cpus`.
    pub fn std_threads(addr: SocketAddr, cpus: &[usize]) -> Result<EchoServer, String> {
        Self::std_serving(addr, cpus, Service::Echo)
    }

    /// `std-threads` serving `service`.
    pub fn std_serving(
        addr: SocketAddr,
        cpus: &[usize],
        service: Service,
    ) -> Result<EchoServer, String> {
        StdEchoServer::serving(addr, cpus, service)
            .map(|s| EchoServer(Server::Std(s)))
            .map_err(|e| bind_error(addr, e))
    }

    /// Configuration `name` (or `std-threads`) as `rtbench serve`, a process
    /// of its own on `cpus`.
    pub fn process(cmd: &ServeCommand, name: &str, cpus: &[usize]) -> Result<EchoServer, String> {
        cmd.start(name, cpus)
            .map(|p| EchoServer(Server::Process(p)))
    }

    /// The address it listens on (the port chosen when `:0` was asked for).
    pub fn addr(&self) -> SocketAddr {
        match &self.0 {
            Server::Runtime(s) => s.addr,
            Server::Std(s) => s.addr(),
            Server::Process(p) => p.addr(),
        }
    }

    /// How a server process ended, if it has (in-process servers: `None`).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        match &mut self.0 {
            Server::Process(p) => p.exited(),
            _ => None,
        }
    }

    /// Marks the server's CPU time now, for [`EchoServer::cpu_since`] on the
    /// same thread.
    fn cpu_mark(&self) -> CpuMark {
        match &self.0 {
            Server::Process(p) => CpuMark::Own(p.cpu_time().unwrap_or_default()),
            _ => CpuMark::Shared {
                process: sys::process_cpu_time(),
                thread: sys::thread_cpu_time(),
            },
        }
    }

    /// The server's CPU time since `mark`: its own process's, or, in this
    /// process, the process's minus this (load generator) thread's.
    fn cpu_since(&self, mark: CpuMark) -> Duration {
        match (mark, &self.0) {
            (CpuMark::Own(then), Server::Process(p)) => {
                p.cpu_time().unwrap_or(then).saturating_sub(then)
            }
            (CpuMark::Shared { process, thread }, _) => {
                (sys::process_cpu_time() - process).saturating_sub(sys::thread_cpu_time() - thread)
            }
            (CpuMark::Own(_), _) => Duration::ZERO,
        }
    }
}

/// A server's CPU clock at the start of a run (see [`EchoServer::cpu_mark`]).
#[derive(Debug, Clone, Copy)]
enum CpuMark {
    Own(Duration),
    Shared { process: Duration, thread: Duration },
}

/// Loopback, any free port: where the benches' servers listen.
const LOOPBACK: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// One echo benchmark: a started server and a connected load generator.
///
/// The calling thread becomes the load generator: it is pinned to
/// `placement.loadgen_cpu()` and must be the one that calls [`EchoBench::run`].
/// The topology is the placement's (`1 core`, `N cores`) whatever the flavor.
#[derive(Debug)]
pub struct EchoBench {
    pub case: EchoCase,
    pub description: Description,
    pub topology: String,
    /// Round-trip times of every round trip since it was built (or last
    /// reset), in ns.
    pub hist: Histogram<u64>,
    loadgen: Generator,
    server_cpu: Duration,
    /// The generator threads' scheduling, when not the default.
    pub generator_priority: Option<String>,
    /// Kept for its `Drop`, and dropped last: the load generator's
    /// connections close first.
    _server: EchoServer,
}

impl EchoBench {
    /// Runtime `R`'s echo server, started by `start` (its flavor's) on the
    /// server CPUs of this process.
    pub fn in_process<R: Runtime>(
        case: EchoCase,
        placement: &Placement,
        config: &Config,
        start: crate::StartServer,
    ) -> Result<EchoBench, String> {
        let description = describe::<R>(config, placement.server_cpus())?;
        let server = start(LOOPBACK, placement.server_cpus(), config, Service::Echo)?;
        Self::connect(case, placement, description, server)
    }

    /// The no-runtime floor: blocking thread-per-connection `std-threads`,
    /// its threads on the server CPUs.
    pub fn std_threads(case: EchoCase, placement: &Placement) -> Result<EchoBench, String> {
        let server = EchoServer::std_threads(LOOPBACK, placement.server_cpus())?;
        Self::connect(case, placement, std_threads_description(case), server)
    }

    /// Configuration `name` (or `std-threads`) served by `rtbench serve` on
    /// the placement's server CPUs, as the benches run it; `description` is
    /// the configuration's own (see [`std_threads_description`]).
    pub fn served(
        cmd: &ServeCommand,
        name: &str,
        description: Description,
        case: EchoCase,
        placement: &Placement,
    ) -> Result<EchoBench, String> {
        let server = EchoServer::process(cmd, name, placement.server_cpus())?;
        Self::connect(case, placement, description, server)
    }

    fn connect(
        case: EchoCase,
        placement: &Placement,
        description: Description,
        server: EchoServer,
    ) -> Result<EchoBench, String> {
        sys::pin_to_cpu(placement.loadgen_cpu());
        let loadgen = LoadGen::connect(server.addr(), case.connections, case.msg_bytes)
            .map_err(|e| format!("load generator: {e}"))?;
        Ok(Self::with(
            case,
            placement,
            description,
            server,
            Generator::One(loadgen),
        ))
    }

    fn with(
        case: EchoCase,
        placement: &Placement,
        description: Description,
        server: EchoServer,
        loadgen: Generator,
    ) -> EchoBench {
        EchoBench {
            case,
            description,
            topology: placement.topology(),
            hist: latency::histogram(),
            loadgen,
            server_cpu: Duration::ZERO,
            generator_priority: None,
            _server: server,
        }
    }

    /// The `work` workload: configuration `name` served by `cmd` (its
    /// service `work`) on the placement's server CPUs, driven by a load
    /// generator of one thread per CPU of `placement.loadgen_cpus()`, each
    /// with its share of the connections. `rounds_per_us` turns the mix's
    /// costs into digest rounds.
    pub fn served_work(
        cmd: &ServeCommand,
        name: &str,
        description: Description,
        case: WorkCase,
        placement: &Placement,
        rounds_per_us: f64,
    ) -> Result<EchoBench, String> {
        let server = EchoServer::process(cmd, name, placement.server_cpus())?;
        let (addr, WorkCase { mix, seed, .. }) = (server.addr(), case);
        let msg_bytes = case.echo.msg_bytes;
        // On a CPU shared with the server, a generator thread would wait out
        // a busy server thread's time slice (3 ms under EEVDF) before each
        // send; real-time priority lets it preempt, the same for every runtime.
        let shared = placement.name() == "shared";
        let (tx, rx) = mpsc::channel();
        let gen_ = MultiGen::start(
            case.echo.connections,
            placement.loadgen_cpus(),
            move |part| {
                if shared {
                    let _ = tx.send(sys::set_fifo(GENERATOR_FIFO).map_err(|e| e.to_string()));
                }
                LoadGen::connect_work_part(addr, part, msg_bytes, mix, seed, rounds_per_us)
            },
        )
        .map_err(|e| format!("load generator: {e}"))?;
        let mut bench = Self::with(
            case.echo,
            placement,
            description,
            server,
            Generator::Threads(gen_),
        );
        if shared {
            bench.generator_priority = Some(match rx.try_iter().find_map(Result::err) {
                None => format!("SCHED_FIFO {GENERATOR_FIFO} (its CPU is shared with the server)"),
                Some(e) => format!(
                    "SCHED_OTHER (SCHED_FIFO refused: {e}), on a CPU shared with the server"
                ),
            });
        }
        Ok(bench)
    }

    /// Threads of the load generator.
    pub fn generator_threads(&self) -> usize {
        match &self.loadgen {
            Generator::One(_) => 1,
            Generator::Threads(g) => g.threads(),
        }
    }

    /// For tests only; never set by a real run: the load generator stalls
    /// for `length` every `period` of every later open-loop run
    /// ([`LoadGen::stall_every`], [`MultiGen::stall_every`]).
    pub fn stall_generator(&mut self, period: Duration, length: Duration) {
        match &mut self.loadgen {
            Generator::One(g) => g.stall_every(period, length),
            Generator::Threads(g) => g.stall_every(period, length),
        }
    }

    /// Runs exactly `iters` round trips (spread over the connections) and
    /// returns their wall time. Server CPU time is the server process's own
    /// (in-process servers: the process's minus this load generator
    /// thread's), over the same interval.
    pub fn run(&mut self, iters: u64) -> io::Result<Duration> {
        let mark = self._server.cpu_mark();
        let elapsed = self.loadgen.run(iters, &mut self.hist, STALL)?;
        self.server_cpu += self._server.cpu_since(mark);
        Ok(elapsed)
    }

    /// One open-loop run (see [`LoadGen::run_open`]); also returns the
    /// server's CPU time (as in [`EchoBench::run`]) and the load generator's
    /// per completed round trip, in ns.
    pub fn run_open(
        &mut self,
        cfg: &OpenLoop,
        hists: &mut OpenHists,
    ) -> io::Result<(OpenOutcome, CpuPerOp)> {
        let mark = self._server.cpu_mark();
        let gen_cpu = self.loadgen.stats().cpu;
        let out = self.loadgen.run_open(cfg, hists)?;
        let cpu = self._server.cpu_since(mark);
        let gen_cpu = self.loadgen.stats().cpu.saturating_sub(gen_cpu);
        let per_op =
            |d: Duration| (out.completed > 0).then(|| d.as_nanos() as f64 / out.completed as f64);
        let cpu = CpuPerOp {
            server_ns: per_op(cpu),
            generator_ns: per_op(gen_cpu),
        };
        Ok((out, cpu))
    }

    /// Work done so far: round trips, bytes compared, connections used.
    pub fn work(&self) -> Work {
        let stats = self.loadgen.stats();
        Work {
            ops: stats.round_trips,
            bytes: stats.bytes_verified,
            tasks: 0,
            connections: self.loadgen.connections() as u64,
        }
    }

    /// How the server process ended, if it has.
    pub fn server_exited(&mut self) -> Option<std::process::ExitStatus> {
        self._server.exited()
    }

    /// The server's CPU time (user + system) right now, for idle checks
    /// outside any run; `None` for in-process servers.
    pub fn server_cpu_now(&self) -> Option<Duration> {
        match self._server.cpu_mark() {
            CpuMark::Own(d) => Some(d),
            CpuMark::Shared { .. } => None,
        }
    }

    /// Server CPU time (user + system) so far.
    pub fn server_cpu_time(&self) -> Duration {
        self.server_cpu
    }

    /// Server CPU time (user + system) per round trip so far, in ns.
    pub fn server_cpu_ns_per_op(&self) -> Option<f64> {
        let ops = self.loadgen.stats().round_trips;
        (ops > 0).then(|| self.server_cpu.as_nanos() as f64 / ops as f64)
    }

    /// The server's pid when it is a process of its own (`served`), for
    /// metering its threads apart from the generator's; `None` in-process.
    pub fn server_pid(&self) -> Option<u32> {
        match &self._server.0 {
            Server::Process(p) => Some(p.pid()),
            _ => None,
        }
    }
}

/// CPU time per completed round trip of one run, in ns.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CpuPerOp {
    pub server_ns: Option<f64>,
    pub generator_ns: Option<f64>,
}

/// One `work` case: its echo shape (request size, connections), the cost
/// mix and the seed of its draws.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorkCase {
    pub echo: EchoCase,
    pub mix: Mix,
    pub seed: u64,
}

impl WorkCase {
    /// The id suffix, e.g. `skewed-64B-32c`.
    pub fn label(&self) -> String {
        format!("{}-{}", self.mix.name(), self.echo.label())
    }
}

/// The load generator of an [`EchoBench`]: the calling thread, or threads
/// of their own (the `work` workload).
#[derive(Debug)]
enum Generator {
    One(LoadGen),
    Threads(MultiGen),
}

impl Generator {
    fn run(&mut self, n: u64, hist: &mut Histogram<u64>, stall: Duration) -> io::Result<Duration> {
        match self {
            Generator::One(g) => g.run(n, hist, stall),
            Generator::Threads(g) => g.run(n, hist, stall),
        }
    }

    fn run_open(&mut self, cfg: &OpenLoop, hists: &mut OpenHists) -> io::Result<OpenOutcome> {
        match self {
            Generator::One(g) => g.run_open(cfg, hists),
            Generator::Threads(g) => g.run_open(cfg, hists),
        }
    }

    fn stats(&self) -> Stats {
        match self {
            Generator::One(g) => g.stats(),
            Generator::Threads(g) => g.stats(),
        }
    }

    fn connections(&self) -> usize {
        match self {
            Generator::One(g) => g.connections(),
            Generator::Threads(g) => g.connections(),
        }
    }
}

/// `std-threads`, the no-runtime floor, serving `case`: one thread per connection.
pub fn std_threads_description(case: EchoCase) -> Description {
    Description {
        name: "std-threads".into(),
        flavor: Flavor::Reference,
        workers: case.connections,
        timer_class: TimerClass::Os,
        driver: "blocking".into(),
        knobs: [(
            "threads".to_string(),
            "one per connection, 64 KiB buffer".to_string(),
        )]
        .into(),
        notes: vec!["no runtime: the machine's floor".into()],
    }
}

/// Builds `R` once, on a thread pinned to `cpus` like the server's (a
/// process-wide pool such as async-std's keeps the mask of the thread that
/// starts it), to describe it and to fail early with its reason.
pub fn describe<R: Runtime>(config: &Config, cpus: &[usize]) -> Result<Description, String> {
    let config = config.clone();
    let cpus = cpus.to_vec();
    std::thread::spawn(move || {
        sys::pin_to_cpus(&cpus);
        R::new(&config).map(|rt| rt.describe())
    })
    .join()
    .map_err(|_| format!("{} panicked while starting", R::NAME))?
    .map_err(|e| e.0)
}

impl crate::Observed for EchoBench {
    fn hist_mut(&mut self) -> Option<&mut Histogram<u64>> {
        Some(&mut self.hist)
    }
    fn server_cpu(&self) -> Option<Duration> {
        Some(self.server_cpu)
    }
    fn server_pid(&self) -> Option<u32> {
        EchoBench::server_pid(self)
    }
}

impl crate::Observed for BlockingClientBench {
    fn hist_mut(&mut self) -> Option<&mut Histogram<u64>> {
        Some(&mut self.hist)
    }
}

impl crate::Routine for EchoBench {
    fn run(&mut self, iters: u64) -> Result<Duration, String> {
        EchoBench::run(self, iters).map_err(|e| e.to_string())
    }

    fn work(&self) -> Work {
        EchoBench::work(self)
    }

    fn per_iter(&self) -> Work {
        Work {
            ops: 1,
            bytes: self.case.msg_bytes as u64,
            ..Work::default()
        }
    }
}

/// The load generator's own check: a plain blocking std client running the
/// same closed loop (write, read all back, compare, record) against
/// `std-threads` over one connection. If the load generator drives
/// `std-threads` slower than this, the load generator is the bottleneck.
#[derive(Debug)]
pub struct BlockingClientBench {
    pub case: EchoCase,
    pub description: Description,
    pub topology: String,
    pub hist: Histogram<u64>,
    stream: std::net::TcpStream,
    payload: Vec<u8>,
    back: Vec<u8>,
    work: Work,
    _server: EchoServer,
}

impl BlockingClientBench {
    /// Only for one connection: a blocking client serves one at a time.
    /// `std-threads` runs in this process.
    pub fn new(case: EchoCase, placement: &Placement) -> Result<BlockingClientBench, String> {
        let server = EchoServer::std_threads(LOOPBACK, placement.server_cpus())?;
        Self::with_server(case, placement, server)
    }

    /// As the benches run it: `std-threads` as `rtbench serve`, like the
    /// load generator's own `std-threads` row.
    pub fn served(
        cmd: &ServeCommand,
        case: EchoCase,
        placement: &Placement,
    ) -> Result<BlockingClientBench, String> {
        let server = EchoServer::process(cmd, "std-threads", placement.server_cpus())?;
        Self::with_server(case, placement, server)
    }

    fn with_server(
        case: EchoCase,
        placement: &Placement,
        server: EchoServer,
    ) -> Result<BlockingClientBench, String> {
        if case.connections != 1 {
            return Err("the blocking client drives exactly one connection".into());
        }
        sys::pin_to_cpu(placement.loadgen_cpu());
        let stream = std::net::TcpStream::connect(server.addr()).map_err(|e| e.to_string())?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(STALL))
            .map_err(|e| e.to_string())?;
        let description = Description {
            name: "blocking-client".into(),
            flavor: Flavor::Check,
            workers: 1,
            timer_class: TimerClass::Os,
            driver: "blocking".into(),
            knobs: [(
                "server".to_string(),
                "std-threads, driven by a blocking std client".to_string(),
            )]
            .into(),
            notes: vec![
                "not a runtime: the load generator must drive std-threads at least this fast"
                    .into(),
            ],
        };
        Ok(BlockingClientBench {
            case,
            description,
            topology: placement.topology(),
            hist: latency::histogram(),
            stream,
            payload: (0..case.msg_bytes).map(|i| (i * 7 + 1) as u8).collect(),
            back: vec![0; case.msg_bytes],
            work: Work {
                connections: 1,
                ..Work::default()
            },
            _server: server,
        })
    }
}

impl crate::Routine for BlockingClientBench {
    fn run(&mut self, iters: u64) -> Result<Duration, String> {
        use std::io::{Read, Write};
        let start = Instant::now();
        for _ in 0..iters {
            let sent = Instant::now();
            self.stream
                .write_all(&self.payload)
                .and_then(|()| self.stream.read_exact(&mut self.back))
                .map_err(|e| format!("blocking client: {e}"))?;
            if self.back != self.payload {
                return Err("blocking client: echo differs from what was sent".into());
            }
            latency::record(&mut self.hist, sent.elapsed().as_nanos() as u64);
            self.work.ops += 1;
            self.work.bytes += self.payload.len() as u64;
        }
        Ok(start.elapsed())
    }

    fn work(&self) -> Work {
        self.work
    }

    fn per_iter(&self) -> Work {
        Work {
            ops: 1,
            bytes: self.case.msg_bytes as u64,
            ..Work::default()
        }
    }
}
