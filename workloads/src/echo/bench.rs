//! The echo bench: a server (in this process or `rtbench serve`) driven by
//! the one load generator, closed loop for criterion and open loop for the
//! sweeps, with the CPU time each side spent.

use super::EchoCase;
use super::server::{CpuMark, EchoServer, Server, describe, std_threads_description};
use crate::http::HttpCase;
use crate::server_process::ServeCommand;
use crate::std_server::Service;
use crate::work::WorkCase;
use crate::{Placement, Routine, Work};
use hdrhistogram::Histogram;
use rtbench_format::Description;
use rtbench_loadgen::hdr;
use rtbench_loadgen::{
    ClosedLoopConfig, LoadGen, LoadGenerator, MultiGen, OpenHists, OpenLoopConfig, OpenOutcome,
    Part,
};
use rtbench_runtimes::{Config, Runtime, sys};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::mpsc;
use std::time::Duration;

/// Real-time priority of generator threads on a CPU shared with the server.
pub(crate) const GENERATOR_FIFO: i32 = 10;
/// A run with no progress for this long fails instead of hanging.
pub(crate) const STALL: Duration = Duration::from_secs(10);

/// Loopback, any free port: where the benches' servers listen.
pub(crate) const LOOPBACK: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// One echo benchmark: a started server and a connected load generator.
///
/// The calling thread becomes the load generator: it is pinned to
/// `placement.loadgen_cpu()` and must be the one that calls [`ServedBench::run`].
/// The topology is the placement's (`1 core`, `N cores`) whatever the flavor.
#[derive(Debug)]
pub struct ServedBench {
    pub case: EchoCase,
    pub description: Description,
    pub topology: String,
    /// Round-trip times of every round trip since it was built (or last
    /// reset), in ns.
    pub hist: Histogram<u64>,
    /// The calling thread, or threads of their own (the `work` workload).
    loadgen: Box<dyn LoadGenerator>,
    /// Round trips per criterion iteration: 1, or several per connection
    /// (`http`, [`HttpCase::requests_per_iter`]), so that even a sample of
    /// one iteration keeps every connection busy, as wrk's run does.
    pub round_trips_per_iter: u64,
    server_cpu: Duration,
    /// The generator threads' scheduling, when not the default.
    pub generator_priority: Option<String>,
    /// Kept for its `Drop`, and dropped last: the load generator's
    /// connections close first.
    _server: EchoServer,
}

impl ServedBench {
    /// Runtime `R`'s echo server, started by `start` (its flavor's) on the
    /// server CPUs of this process.
    pub fn in_process<R: Runtime>(
        case: EchoCase,
        placement: &Placement,
        config: &Config,
        start: crate::StartServer,
    ) -> Result<ServedBench, String> {
        let description = describe::<R>(config, placement.server_cpus())?;
        let server = start(LOOPBACK, placement.server_cpus(), config, Service::Echo)?;
        Self::connect(case, placement, description, server)
    }

    /// The no-runtime floor: blocking thread-per-connection `std-threads`,
    /// its threads on the server CPUs.
    pub fn std_threads(case: EchoCase, placement: &Placement) -> Result<ServedBench, String> {
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
    ) -> Result<ServedBench, String> {
        let server = EchoServer::process(cmd, name, placement.server_cpus())?;
        Self::connect(case, placement, description, server)
    }

    fn connect(
        case: EchoCase,
        placement: &Placement,
        description: Description,
        server: EchoServer,
    ) -> Result<ServedBench, String> {
        sys::pin_to_cpu(placement.loadgen_cpu());
        let loadgen = LoadGen::connect(server.addr(), case.connections, case.msg_bytes)
            .map_err(|e| format!("load generator: {e}"))?;
        Ok(Self::with(
            case,
            placement,
            description,
            server,
            Box::new(loadgen),
        ))
    }

    fn with(
        case: EchoCase,
        placement: &Placement,
        description: Description,
        server: EchoServer,
        loadgen: Box<dyn LoadGenerator>,
    ) -> ServedBench {
        ServedBench {
            case,
            description,
            topology: placement.topology(),
            hist: hdr::histogram(),
            loadgen,
            round_trips_per_iter: 1,
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
    ) -> Result<ServedBench, String> {
        let server = EchoServer::process(cmd, name, placement.server_cpus())?;
        let (addr, WorkCase { mix, seed, .. }) = (server.addr(), case);
        let msg_bytes = case.echo.msg_bytes;
        Self::on_threads(case.echo, placement, description, server, move |part| {
            LoadGen::connect_work_part(addr, part, msg_bytes, mix, seed, rounds_per_us)
        })
    }

    /// The `http` workload: configuration `name` served by `cmd` (its
    /// service `http`) on the case's server CPUs (`placement`'s), every
    /// round trip a `GET` of the case's route, its response checked.
    pub fn served_http(
        cmd: &ServeCommand,
        name: &str,
        description: Description,
        case: HttpCase,
        placement: &Placement,
    ) -> Result<ServedBench, String> {
        let server = EchoServer::process(cmd, name, placement.server_cpus())?;
        Self::http(case, placement, description, server)
    }

    /// [`ServedBench::served_http`] against `std-threads` in this process (the tests).
    pub fn std_threads_http(case: HttpCase, placement: &Placement) -> Result<ServedBench, String> {
        let server = EchoServer::std_serving(LOOPBACK, placement.server_cpus(), Service::Http)?;
        let description = crate::http::std_threads_description(case.connections);
        Self::http(case, placement, description, server)
    }

    /// [`ServedBench::served_http`] with runtime `R`'s server in this process (the tests).
    pub fn in_process_http<R: Runtime>(
        case: HttpCase,
        placement: &Placement,
        config: &Config,
        start: crate::StartServer,
    ) -> Result<ServedBench, String> {
        let description = describe::<R>(config, placement.server_cpus())?;
        let server = start(LOOPBACK, placement.server_cpus(), config, Service::Http)?;
        Self::http(case, placement, description, server)
    }

    /// Drives `server` with `case`'s requests. A round trip's bytes are the
    /// body's (the head differs by server: its `date`, its header order).
    fn http(
        case: HttpCase,
        placement: &Placement,
        description: Description,
        server: EchoServer,
    ) -> Result<ServedBench, String> {
        let (addr, route) = (server.addr(), case.route);
        let echo = EchoCase {
            msg_bytes: route.body().len(),
            connections: case.connections,
        };
        let mut bench = Self::on_threads(echo, placement, description, server, move |part| {
            LoadGen::connect_http_part(addr, part, route)
        })?;
        bench.round_trips_per_iter = case.requests_per_iter();
        Ok(bench)
    }

    /// A load generator of one thread per CPU of `placement.loadgen_cpus()`,
    /// each with its share of the connections, made by `connect`.
    fn on_threads(
        echo: EchoCase,
        placement: &Placement,
        description: Description,
        server: EchoServer,
        connect: impl Fn(Part) -> io::Result<LoadGen> + Send + Sync + Clone + 'static,
    ) -> Result<ServedBench, String> {
        // On a CPU shared with the server, a generator thread would wait out
        // a busy server thread's time slice (3 ms under EEVDF) before each
        // send; real-time priority lets it preempt, the same for every runtime.
        let shared = placement.name() == "shared";
        let (tx, rx) = mpsc::channel();
        let gen_ = MultiGen::start(echo.connections, placement.loadgen_cpus(), move |part| {
            if shared {
                let _ = tx.send(sys::set_fifo(GENERATOR_FIFO).map_err(|e| e.to_string()));
            }
            connect(part)
        })
        .map_err(|e| format!("load generator: {e}"))?;
        let mut bench = Self::with(echo, placement, description, server, Box::new(gen_));
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
        self.loadgen.threads()
    }

    /// For tests only; never set by a real run: the load generator stalls
    /// for `length` every `period` of every later open-loop run
    /// ([`LoadGenerator::stall_every`]).
    pub fn stall_generator(&mut self, period: Duration, length: Duration) {
        self.loadgen.stall_every(period, length);
    }

    /// One open-loop run, the generator's timed loop ([`LoadGenerator::open_loop`]);
    /// also returns the server's CPU time (as in [`Routine::run`]) and the
    /// load generator's per completed round trip, in ns.
    pub fn run_open(
        &mut self,
        cfg: &OpenLoopConfig,
        hists: &mut OpenHists,
    ) -> io::Result<(OpenOutcome, CpuPerOp)> {
        let mark = self._server.cpu_mark();
        let gen_cpu = self.loadgen.stats().cpu;
        let out = self.loadgen.open_loop(cfg, hists, cfg.stall)?;
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

    /// Exactly `n` closed-loop round trips, spread over the connections, by
    /// the generator's timed loop ([`LoadGenerator::closed_loop`]); their
    /// wall time. Server CPU time is the server process's own (in-process
    /// servers: the process's minus this load generator thread's), over the
    /// same interval.
    pub fn round_trips(&mut self, n: u64) -> Result<Duration, String> {
        let mark = self._server.cpu_mark();
        let cfg = ClosedLoopConfig {
            round_trips: n,
            stall: STALL,
            deadline: None,
        };
        let out = self.loadgen.closed_loop(&cfg, &mut self.hist);
        self.server_cpu += self._server.cpu_since(mark);
        Ok(out.map_err(|e| e.to_string())?.elapsed)
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

impl crate::Observed for ServedBench {
    described!();
    fn hist_mut(&mut self) -> Option<&mut Histogram<u64>> {
        Some(&mut self.hist)
    }
    fn server_cpu(&self) -> Option<Duration> {
        Some(self.server_cpu)
    }
    fn server_pid(&self) -> Option<u32> {
        ServedBench::server_pid(self)
    }
}

impl Routine for ServedBench {
    /// Exactly `iters` × `round_trips_per_iter` round trips
    /// ([`ServedBench::round_trips`]).
    fn run(&mut self, iters: u64) -> Result<Duration, String> {
        self.round_trips(iters * self.round_trips_per_iter)
    }

    fn work(&self) -> Work {
        ServedBench::work(self)
    }

    fn per_iter(&self) -> Work {
        Work {
            ops: self.round_trips_per_iter,
            bytes: self.case.msg_bytes as u64 * self.round_trips_per_iter,
            ..Work::default()
        }
    }
}
