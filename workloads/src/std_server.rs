//! The no-runtime floor, `std-threads` (fairness rule 5): a blocking
//! thread-per-connection echo server on `std::net`, measured in the same run
//! so the runtimes' numbers can be read against what the machine does bare.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rtbench_runtimes::sys;

/// Per-connection buffer: one read, then `write_all` of what was read.
const BUF: usize = 64 * 1024;

/// A blocking thread-per-connection echo server (std only): the floor the
/// runtimes are read against.
#[derive(Debug)]
pub struct StdEchoServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    /// A dup of the listening socket, kept to wake the blocked `accept` on drop.
    waker: TcpListener,
    threads: Arc<Mutex<Threads>>,
    accept: Option<JoinHandle<()>>,
}

/// CPU accounting of the server's threads. Live threads are read through their
/// per-thread CPU clocks (`pthread_getcpuclockid`), which costs nothing while
/// echoing and includes a slice still running; a thread that ends adds its
/// final `CLOCK_THREAD_CPUTIME_ID` to `exited_ns` and leaves `live`, under the
/// same lock, so no time is counted twice or lost.
#[derive(Debug, Default)]
struct Threads {
    live: Vec<(u64, libc::clockid_t)>,
    exited_ns: u64,
    next_id: u64,
}

/// Registers the calling thread for CPU accounting until dropped.
struct Registration {
    threads: Arc<Mutex<Threads>>,
    id: u64,
}

impl Registration {
    fn new(threads: &Arc<Mutex<Threads>>) -> Registration {
        let mut clock: libc::clockid_t = 0;
        // SAFETY: pthread_self() is the calling, live thread.
        let ok = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut clock) } == 0;
        let mut t = threads.lock().unwrap_or_else(|e| e.into_inner());
        let id = t.next_id;
        t.next_id += 1;
        if ok {
            t.live.push((id, clock));
        }
        Registration {
            threads: threads.clone(),
            id,
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut t = self.threads.lock().unwrap_or_else(|e| e.into_inner());
        t.exited_ns += sys::thread_cpu_time().as_nanos() as u64;
        t.live.retain(|&(id, _)| id != self.id);
    }
}

/// What each connection thread of a [`StdEchoServer`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Echo every byte back.
    Echo,
    /// Answer `work` requests with their digest.
    Work,
    /// Answer HTTP/1.1 requests (`crate::http`).
    Http,
}

impl StdEchoServer {
    /// Binds 127.0.0.1:0 and starts the accept thread pinned to `cpus`; every
    /// connection thread it spawns inherits that mask, so the whole server
    /// stays on the server's CPUs, as a runtime's would.
    pub fn start(cpus: &[usize]) -> io::Result<StdEchoServer> {
        Self::start_on((Ipv4Addr::LOCALHOST, 0).into(), cpus)
    }

    /// [`StdEchoServer::start`] on `addr` (`rtbench serve` listens anywhere).
    pub fn start_on(addr: SocketAddr, cpus: &[usize]) -> io::Result<StdEchoServer> {
        Self::serving(addr, cpus, Service::Echo)
    }

    /// A thread per connection on `addr`, each serving `service`.
    pub fn serving(
        addr: SocketAddr,
        cpus: &[usize],
        service: Service,
    ) -> io::Result<StdEchoServer> {
        let listener = sys::reuseport_listener(addr)?;
        listener.set_nonblocking(false)?;
        let addr = listener.local_addr()?;
        let waker = listener.try_clone()?;
        let stop = Arc::new(AtomicBool::new(false));
        let threads = Arc::new(Mutex::new(Threads::default()));
        let accept = {
            let (stop, threads, cpus) = (stop.clone(), threads.clone(), cpus.to_vec());
            std::thread::Builder::new()
                .name("std-echo-accept".into())
                .spawn(move || {
                    sys::pin_to_cpus(&cpus);
                    let _reg = Registration::new(&threads);
                    accept_loop(listener, &stop, &threads, service);
                })?
        };
        Ok(StdEchoServer {
            addr,
            stop,
            waker,
            threads,
            accept: Some(accept),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// CPU time used so far by the server's threads only (accept thread and
    /// connection threads, ended ones included), not by the rest of the process.
    pub fn cpu_time(&self) -> Duration {
        let t = self.threads.lock().unwrap_or_else(|e| e.into_inner());
        let mut ns = t.exited_ns;
        for &(_, clock) in &t.live {
            let mut ts = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // The thread is registered, hence alive, while we hold the lock.
            if unsafe { libc::clock_gettime(clock, &mut ts) } == 0 {
                ns += ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64;
            }
        }
        Duration::from_nanos(ns)
    }
}

/// How long an accept loop waits after `accept` failed with `e` for lack
/// of resources (EMFILE, ENFILE, ENOBUFS, ENOMEM: the connection stays in
/// the backlog, so trying again at once fails again at once, a spin), and
/// says so on stderr, once per process; `None` for any other error.
pub(crate) fn accept_backoff(e: &io::Error) -> Option<Duration> {
    static SAID: AtomicBool = AtomicBool::new(false);
    let code = e.raw_os_error()?;
    if ![libc::EMFILE, libc::ENFILE, libc::ENOBUFS, libc::ENOMEM].contains(&code) {
        return None;
    }
    if !SAID.swap(true, Ordering::Relaxed) {
        eprintln!(
            "rtbench: accept failed: {e}; retrying every {} ms (raise `ulimit -n`?)",
            ACCEPT_BACKOFF.as_millis()
        );
    }
    Some(ACCEPT_BACKOFF)
}

/// The pause of [`accept_backoff`].
const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);

fn accept_loop(
    listener: TcpListener,
    stop: &AtomicBool,
    threads: &Arc<Mutex<Threads>>,
    service: Service,
) {
    loop {
        let accepted = listener.accept();
        if stop.load(Ordering::Acquire) {
            return;
        }
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                // Out of descriptors: said once, and 10 ms between tries
                // (the pending connection stays in the backlog, so a retry
                // at once fails at once). ECONNABORTED and the like: briefly.
                let pause = accept_backoff(&e).unwrap_or(Duration::from_millis(1));
                std::thread::sleep(pause);
                continue;
            }
        };
        let threads = threads.clone();
        let spawned = std::thread::Builder::new()
            .name("std-echo-conn".into())
            .spawn(move || {
                let _reg = Registration::new(&threads);
                match service {
                    Service::Echo => echo(stream),
                    Service::Work => work(stream),
                    Service::Http => crate::http::serve_std(stream),
                }
            });
        // A failed spawn drops the stream: the client sees the close.
        drop(spawned);
    }
}

/// Serves `work` requests until EOF or an error (see [`crate::work`]).
fn work(stream: TcpStream) {
    serve_work(stream, None);
}

/// One request as the server saw it: what it asked for, and the CPU and
/// wall time its handling took on the serving thread.
#[derive(Debug, Clone, Copy)]
pub struct Served {
    pub cost: rtbench_loadgen::work_request::Cost,
    pub cpu: Duration,
    pub wall: Duration,
}

/// Serves `work` requests on `stream`, blocking, until EOF or an error;
/// `observe` (tests) sees each request's [`Served`], timed only when asked.
pub fn serve_work(mut stream: TcpStream, mut observe: Option<&mut dyn FnMut(Served)>) {
    if stream.set_nonblocking(false).is_err() || stream.set_nodelay(true).is_err() {
        return;
    }
    let mut buf = vec![0u8; rtbench_loadgen::work_request::MAX_LEN];
    loop {
        if stream.read_exact(&mut buf[..4]).is_err() {
            return;
        }
        let len = u32::from_le_bytes(buf[..4].try_into().expect("4 bytes")) as usize;
        if !(rtbench_loadgen::work_request::HEADER..=rtbench_loadgen::work_request::MAX_LEN)
            .contains(&len)
            || stream.read_exact(&mut buf[4..len]).is_err()
        {
            return;
        }
        let start = observe
            .is_some()
            .then(|| (sys::thread_cpu_time(), std::time::Instant::now()));
        let Ok(cost) = rtbench_loadgen::work_request::serve(&mut buf[..len]) else {
            return;
        };
        if let (Some(f), Some((cpu, wall))) = (observe.as_mut(), start) {
            f(Served {
                cost,
                cpu: sys::thread_cpu_time() - cpu,
                wall: wall.elapsed(),
            });
        }
        if stream.write_all(&buf[..len]).is_err() {
            return;
        }
    }
}

/// Echoes until EOF or an error; the connection ends with the thread.
fn echo(mut stream: TcpStream) {
    if stream.set_nonblocking(false).is_err() || stream.set_nodelay(true).is_err() {
        return;
    }
    let mut buf = vec![0u8; BUF];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return,
        };
        if stream.write_all(&buf[..n]).is_err() {
            return;
        }
    }
}

impl Drop for StdEchoServer {
    /// Stops accepting and joins the accept thread; connection threads end
    /// when their clients close.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // On Linux shutting a listener down wakes a blocked accept() with
        // EINVAL; connecting to it covers the other unixes.
        #[cfg(unix)]
        unsafe {
            use std::os::fd::AsRawFd;
            libc::shutdown(self.waker.as_raw_fd(), libc::SHUT_RDWR);
        }
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}
