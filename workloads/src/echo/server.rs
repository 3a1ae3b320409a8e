//! The echo server on a runtime under test: an accept loop and one task
//! per connection, on every core of its placement (or std threads, the
//! floor), and the description of what ran.

use super::EchoCase;
use crate::http::serve_hyper;
use crate::server_process::{ServeCommand, ServerProcess};
use crate::std_server::{Service, StdEchoServer, accept_backoff};
use crate::work::work_conn;
use rtbench_format::{Description, Flavor, TimerClass};
use rtbench_runtimes::{Config, Conn, Listener, Runtime, Unavailable, WorkStealing, sys};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The server's per-connection buffer: one read takes a whole message of
/// every size in the matrix.
pub(crate) const CONN_BUF: usize = 64 * 1024;
/// An echo server built on a runtime: its threads, its address, its stop flag.
#[derive(Debug)]
pub(crate) struct RuntimeServer {
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
        can_serve::<R>(service)?;
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
                            Service::Http => {
                                if let Ok(io) = R::http_io(conn) {
                                    drop(R::spawn_local(serve_hyper(io)))
                                }
                            }
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
        can_serve::<R>(service)?;
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
                    accept_loop::<R, _>(listener, stop, |conn| match service {
                        Service::Echo => drop(R::spawn(echo_conn(R::send_conn(conn)))),
                        Service::Work => drop(R::spawn(work_conn(R::send_conn(conn)))),
                        Service::Http => {
                            if let Ok(io) = R::http_io(conn) {
                                drop(R::spawn(serve_hyper(R::send_http_io(io))))
                            }
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

/// Why `R` cannot serve `service`: HTTP where hyper has no adapter for it.
fn can_serve<R: Runtime>(service: Service) -> Result<(), String> {
    match (service, R::HTTP) {
        (Service::Http, Err(why)) => Err(format!("{} cannot host hyper: {why}", R::NAME)),
        _ => Ok(()),
    }
}

pub(crate) fn bind_error(addr: SocketAddr, e: io::Error) -> String {
    format!("cannot listen on {addr}: {e}")
}

/// A running echo server of any flavor, on a given address and CPUs; it
/// stops (and joins its accept threads) when dropped. The benches start it
/// on loopback, `rtbench serve` on any address, from the same code.
#[derive(Debug)]
pub struct EchoServer(pub(crate) Server);

#[derive(Debug)]
pub(crate) enum Server {
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
    pub(crate) fn cpu_mark(&self) -> CpuMark {
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
    pub(crate) fn cpu_since(&self, mark: CpuMark) -> Duration {
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

/// A server's CPU clock at the start of a run (see [`EchoServer::cpu_mark`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum CpuMark {
    Own(Duration),
    Shared { process: Duration, thread: Duration },
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
pub(crate) async fn accept_loop<R: Runtime, L: Listener>(
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
