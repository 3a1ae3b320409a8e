//! Small OS helpers every adapter and workload shares: pinning, sockets,
//! timer slack, CPU clocks, resource limits.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

/// Pins the calling thread to `cpu` (modulo the CPUs online). Threads it
/// spawns afterwards inherit the mask. Best effort: returns whether it worked.
pub fn pin_to_cpu(cpu: usize) -> bool {
    pin_to_cpus(&[cpu])
}

/// Pins the calling thread to the set `cpus` (each modulo the CPUs online).
pub fn pin_to_cpus(cpus: &[usize]) -> bool {
    use rustix::thread::{CpuSet, sched_setaffinity};
    let mut set = CpuSet::new();
    for &cpu in cpus {
        set.set(cpu % online_cpus());
    }
    sched_setaffinity(None, &set).is_ok()
}

/// CPUs the calling thread may run on, in order.
pub fn allowed_cpus() -> Vec<usize> {
    use rustix::thread::{CpuSet, sched_getaffinity};
    match sched_getaffinity(None) {
        Ok(set) => (0..CpuSet::MAX_CPU).filter(|&c| set.is_set(c)).collect(),
        Err(_) => (0..online_cpus()).collect(),
    }
}

/// Number of CPUs online (not just those this thread may use: pinning must
/// not shrink it).
pub fn online_cpus() -> usize {
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    if n > 0 {
        n as usize
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// A listening socket bound to `addr` with `SO_REUSEPORT` (so one listener per
/// core can share a port) and `SO_REUSEADDR`, non-blocking, backlog 1024.
pub fn reuseport_listener(addr: SocketAddr) -> io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    #[cfg(unix)]
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

/// Binds a probe socket to `addr` *without* `SO_REUSEPORT`, then closes it:
/// `Err(AddrInUse)` when a socket already listens there. A listener of
/// [`reuseport_listener`] lets any other reuseport socket of the same user
/// bind the same address, and the kernel then splits the connections
/// between them; Linux grants that exemption only when both sockets set
/// `SO_REUSEPORT`, so this probe is refused by every listener on the port
/// (on the address or the wildcard), reuseport or not. It sets
/// `SO_REUSEADDR`, which excuses only sockets that are not listening (an
/// earlier server's connections in TIME_WAIT), so a port freed a moment
/// ago still passes. A listener that appears after the probe is not seen.
pub fn bind_probe(addr: SocketAddr) -> io::Result<()> {
    use socket2::{Domain, Socket, Type};
    let probe = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    probe.set_reuse_address(true)?;
    probe.bind(&addr.into())
}

/// The calling thread's timer slack (Linux `PR_GET_TIMERSLACK`), if known.
pub fn timer_slack() -> Option<Duration> {
    rustix::thread::current_timer_slack()
        .ok()
        .map(Duration::from_nanos)
}

/// Makes sure the soft `RLIMIT_NOFILE` is at least `wanted`, raising it up
/// to the hard limit if needed (a thousand connections, or every server's
/// connections held at once, exceed the usual 1024; `u64::MAX`: as far as
/// the hard limit allows). Returns the soft limit now in force, which may
/// still be below `wanted` when the hard limit is (`u64::MAX`: unlimited).
pub fn raise_nofile_limit(wanted: u64) -> io::Result<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let lim = getrlimit(Resource::Nofile);
    let now = lim.current.unwrap_or(u64::MAX);
    if now >= wanted {
        return Ok(now);
    }
    let raised = lim.maximum.map_or(wanted, |max| max.min(wanted));
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(raised),
            ..lim
        },
    )?;
    Ok(raised)
}

/// Sets the calling thread's timer slack; returns whether it worked.
pub fn set_timer_slack(slack: Duration) -> bool {
    let ns = std::num::NonZeroU64::new((slack.as_nanos() as u64).max(1));
    rustix::thread::set_current_timer_slack(ns).is_ok()
}

fn clock(id: rustix::time::ClockId) -> Duration {
    let ts = rustix::time::clock_gettime(id);
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// CPU time (user + system) of the whole process so far.
pub fn process_cpu_time() -> Duration {
    clock(rustix::time::ClockId::ProcessCPUTime)
}

/// CPU time (user + system) so far of another process of this user, all its
/// threads (ended ones included), read from its CPU-time clock: the
/// server's own figure when it runs as a process of its own.
pub fn process_cpu_time_of(pid: u32) -> io::Result<Duration> {
    // libc: rustix has no `clock_getcpuclockid`.
    let mut id: libc::clockid_t = 0;
    // SAFETY: clock_getcpuclockid writes a clock id into `id` or fails.
    let err = unsafe { libc::clock_getcpuclockid(pid as libc::pid_t, &mut id) };
    if err != 0 {
        return Err(io::Error::from_raw_os_error(err));
    }
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime fills `ts` or fails.
    if unsafe { libc::clock_gettime(id, &mut ts) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

/// CPU time (user + system) of the calling thread so far.
pub fn thread_cpu_time() -> Duration {
    clock(rustix::time::ClockId::ThreadCPUTime)
}

/// Puts the calling thread under `SCHED_FIFO` at `priority` (needs root or
/// `CAP_SYS_NICE`): a load generator sharing a CPU with a busy server then
/// sends on time instead of waiting out the server thread's time slice.
/// The kernel's real-time throttling still leaves others 5% of the CPU.
pub fn set_fifo(priority: i32) -> io::Result<()> {
    let param = libc::sched_param {
        sched_priority: priority,
    };
    // SAFETY: `param` is a valid sched_param; pid 0 is the calling thread.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The soft `RLIMIT_MEMLOCK` in bytes; `None` means unlimited.
pub fn memlock_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Memlock).current
}

/// Whether this process can set up an io_uring; `Err` says why not.
pub fn io_uring_available() -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        // io_uring_setup(2) with a zeroed params struct (120 bytes) and 2 entries.
        let mut params = [0u8; 120];
        let fd = unsafe { libc::syscall(libc::SYS_io_uring_setup, 2u32, params.as_mut_ptr()) };
        if fd >= 0 {
            unsafe { libc::close(fd as libc::c_int) };
            return Ok(());
        }
        let err = io::Error::last_os_error();
        Err(match err.raw_os_error() {
            Some(libc::ENOSYS) => "io_uring is not supported by this kernel (ENOSYS)".into(),
            Some(libc::EPERM) => {
                "io_uring is disabled (EPERM: kernel.io_uring_disabled or a seccomp filter)".into()
            }
            Some(libc::ENOMEM) => {
                "io_uring setup failed for lack of locked memory (ENOMEM): raise `ulimit -l`".into()
            }
            _ => format!("io_uring setup failed: {err}"),
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        Err("io_uring needs Linux".into())
    }
}

/// Checks that `bytes` of memory can be locked under `RLIMIT_MEMLOCK`.
pub fn check_memlock(bytes: u64, who: &str) -> Result<(), String> {
    match memlock_limit() {
        Some(limit) if limit < bytes => Err(format!(
            "{who} needs {} KiB of locked memory but `ulimit -l` allows {} KiB",
            bytes / 1024,
            limit / 1024
        )),
        _ => Ok(()),
    }
}
