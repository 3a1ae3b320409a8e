//! `rtbench serve RUNTIME`: one configuration's echo server (the benches'
//! own, from the one adapter list) as a process of its own, so that `rtbench
//! load` can drive it from another process or another host.

use crate::input::Usage;
use anyhow::bail;
use clap::Args;
use rtbench_runtimes::{Config, Runtime, sys};
use rtbench_workloads::echo::EchoServer;
use rtbench_workloads::{Servers, Service, StartServer, VisitServers};
use std::io::Read;
use std::net::SocketAddr;
use std::sync::mpsc;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// A configuration from `rtbench list`, or `std-threads`.
    runtime: String,
    /// Executors (thread-per-core) or workers (work-stealing); default 1, or
    /// as many as --cpus names.
    #[arg(long, value_parser = crate::input::count(1, 4096))]
    cores: Option<usize>,
    /// The CPUs to pin to, e.g. `0-1` or `0,2`; default: the first --cores allowed CPUs.
    #[arg(long)]
    cpus: Option<String>,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: String,
    /// Allow listening outside loopback (for load from a second host).
    #[arg(long)]
    allow_remote: bool,
    /// What each connection gets: `echo`, `work` (requests that carry
    /// their CPU cost, answered with a digest), or `http` (HTTP/1.1 through
    /// hyper: `GET /plaintext`, `GET /json`).
    #[arg(long, value_enum, default_value_t = ServiceArg::Echo)]
    service: ServiceArg,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum ServiceArg {
    Echo,
    Work,
    Http,
}

impl From<ServiceArg> for Service {
    fn from(s: ServiceArg) -> Service {
        match s {
            ServiceArg::Echo => Service::Echo,
            ServiceArg::Work => Service::Work,
            ServiceArg::Http => Service::Http,
        }
    }
}

/// CPU time of this process, printed as its last line.
#[derive(Debug, serde::Serialize)]
struct CpuTime {
    user_ns: u64,
    sys_ns: u64,
    cpu_ns: u64,
}

/// Every server `serve` can start, by configuration name: the adapter list
/// through the workloads' constructors, then the `std-threads` floor.
fn servers() -> Vec<(&'static str, StartServer)> {
    struct Add(Vec<(&'static str, StartServer)>);
    impl VisitServers for Add {
        fn runtime<R: Runtime>(&mut self, w: Servers<R>) {
            self.0.push((R::NAME, w.server))
        }
    }
    let mut add = Add(Vec::new());
    rtbench_workloads::visit_servers(&mut add);
    let mut out = add.0;
    out.push(("std-threads", |addr, cpus, _, service| {
        EchoServer::std_serving(addr, cpus, service)
    }));
    out
}

pub fn run(a: ServeArgs) -> anyhow::Result<()> {
    let all = servers();
    let Some(&(_, start)) = all.iter().find(|(name, _)| *name == a.runtime) else {
        let names: Vec<&str> = all.iter().map(|(n, _)| *n).collect();
        bail!(Usage(format!(
            "unknown runtime {:?}; one of: {}",
            a.runtime,
            names.join(", ")
        )));
    };
    let addr = crate::input::resolve(&a.addr)?;
    if !addr.ip().is_loopback() && !a.allow_remote {
        bail!(Usage(format!(
            "--addr {addr} is not a loopback address; pass --allow-remote to serve other hosts"
        )));
    }
    refuse_taken(addr)?;
    let cpus = pick_cpus(a.cores, a.cpus.as_deref(), &sys::allowed_cpus()).map_err(Usage)?;
    // Every thread started from here on (a process-wide pool such as
    // async-std's included) inherits the server's CPUs.
    sys::pin_to_cpus(&cpus);
    // Before any thread exists, so that every thread inherits the mask and
    // only the waiter below takes these signals.
    let signals = block_stop_signals();
    let config = Config::with_workers(cpus.len());
    let server = start(addr, &cpus, &config, a.service.into())
        .map_err(|why| anyhow::anyhow!("{}: {why}", a.runtime))?;
    // A reader that has gone (`| head -1`) has what it needed, the
    // address: the server goes on until told to stop, and ends with 0.
    match crate::out::print(&format!("{}\n", server.addr())) {
        Err(e) if !crate::out::is_closed(&e) => return Err(e),
        _ => {}
    }
    wait_for_stop(signals);
    drop(server);
    let cpu = own_cpu_time();
    crate::out::print(&format!("{}\n", serde_json::to_string(&cpu)?))
}

/// Refuses `addr` when another process already listens there (see
/// [`sys::bind_probe`]): with `SO_REUSEPORT` the kernel would otherwise let
/// this server bind too and split the connections between the two. Port 0
/// is always free: the kernel picks an unused one.
fn refuse_taken(addr: SocketAddr) -> anyhow::Result<()> {
    if addr.port() == 0 {
        return Ok(());
    }
    match sys::bind_probe(addr) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => bail!(
            "cannot listen on {addr}: address in use (another process listens there; \
             rtbench serve shares a port only among its own listeners)"
        ),
        Err(e) => bail!("cannot listen on {addr}: {e}"),
    }
}

/// The CPUs to serve on: `--cpus` (every one allowed to this process, no
/// repeats, as many as `--cores` when both are given), else the first
/// `--cores` allowed ones. Checked here because pinning takes a CPU number
/// modulo the CPUs online and would silently land elsewhere.
fn pick_cpus(
    cores: Option<usize>,
    list: Option<&str>,
    allowed: &[usize],
) -> Result<Vec<usize>, String> {
    if cores == Some(0) {
        return Err("--cores must be at least 1".into());
    }
    let Some(list) = list else {
        let n = cores.unwrap_or(1);
        if n > allowed.len() {
            return Err(format!(
                "--cores {n} asked for, but this process may use {} CPU(s)",
                allowed.len()
            ));
        }
        return Ok(allowed[..n].to_vec());
    };
    let bad = || format!("--cpus {list:?} is not a CPU list such as 0-1 or 0,2");
    let mut cpus = Vec::new();
    for part in list.split(',') {
        let (lo, hi) = part.split_once('-').unwrap_or((part, part));
        let lo: usize = lo.trim().parse().map_err(|_| bad())?;
        let hi: usize = hi.trim().parse().map_err(|_| bad())?;
        if lo > hi || hi - lo >= 4096 {
            return Err(bad());
        }
        for cpu in lo..=hi {
            if !allowed.contains(&cpu) {
                return Err(format!(
                    "--cpus {list:?}: CPU {cpu} is not allowed to this process"
                ));
            }
            if cpus.contains(&cpu) {
                return Err(format!("--cpus {list:?} names CPU {cpu} twice"));
            }
            cpus.push(cpu);
        }
    }
    if let Some(n) = cores
        && n != cpus.len()
    {
        return Err(format!(
            "--cpus {list:?} names {} CPU(s) but --cores is {n}",
            cpus.len()
        ));
    }
    Ok(cpus)
}

/// SIGTERM and SIGINT, blocked in the calling thread (and so in every thread
/// it starts afterwards) so that [`wait_for_stop`] can take them with `sigwait`.
fn block_stop_signals() -> libc::sigset_t {
    // SAFETY: a zeroed sigset_t is initialised by sigemptyset before use.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    }
}

/// Returns at SIGTERM, SIGINT or end of stdin, whichever comes first. The
/// waiting threads are left blocked: the process is about to exit.
fn wait_for_stop(signals: libc::sigset_t) {
    let (tx, rx) = mpsc::channel::<()>();
    let on_signal = tx.clone();
    std::thread::spawn(move || {
        let mut sig = 0;
        // SAFETY: `signals` is blocked in every thread, so sigwait takes them.
        unsafe { libc::sigwait(&signals, &mut sig) };
        let _ = on_signal.send(());
    });
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        let mut stdin = std::io::stdin().lock();
        while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
        let _ = tx.send(());
    });
    let _ = rx.recv();
}

/// User and system CPU time of the whole process (its ended threads included).
fn own_cpu_time() -> CpuTime {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let ns = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1_000;
    let (user_ns, sys_ns) = (ns(usage.ru_utime), ns(usage.ru_stime));
    CpuTime {
        user_ns,
        sys_ns,
        cpu_ns: user_ns + sys_ns,
    }
}

#[cfg(test)]
mod tests {
    use super::pick_cpus;

    #[test]
    fn cpu_lists() {
        let allowed = [0, 1, 2, 3];
        assert_eq!(pick_cpus(None, None, &allowed).unwrap(), [0]);
        assert_eq!(pick_cpus(Some(2), None, &allowed).unwrap(), [0, 1]);
        assert_eq!(pick_cpus(None, Some("0-1"), &allowed).unwrap(), [0, 1]);
        assert_eq!(pick_cpus(None, Some("0,2-3"), &allowed).unwrap(), [0, 2, 3]);
        assert_eq!(pick_cpus(Some(2), Some("1,3"), &allowed).unwrap(), [1, 3]);
        for (cores, list) in [
            (None, "x"),
            (None, "2-1"),
            (None, "0,0"),
            (None, "7"),
            (None, ""),
            (Some(1), "0-1"),
            (Some(0), "0"),
        ] {
            assert!(pick_cpus(cores, Some(list), &allowed).is_err(), "{list}");
        }
        assert!(pick_cpus(Some(5), None, &allowed).is_err());
    }
}
