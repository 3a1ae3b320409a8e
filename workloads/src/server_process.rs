//! An echo server in a process of its own (`rtbench serve`), as the echo
//! and latency benches run it: the server's CPU time is then its own
//! process's, and nothing of the runtime under test (glommio's membarriers,
//! async-std's global pool, allocator state) shares a process with the load
//! generator.

use crate::Service;
use rtbench_runtimes::sys;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a server may take to print its address.
const START: Duration = Duration::from_secs(20);
/// How long a server may take to exit once told to.
const STOP: Duration = Duration::from_secs(10);

/// The `rtbench` executable that serves (benches pass
/// `env!("CARGO_BIN_EXE_rtbench")`).
#[derive(Debug, Clone)]
pub struct ServeCommand {
    exe: PathBuf,
    service: Service,
}

impl ServeCommand {
    /// Echo servers.
    pub fn new(exe: impl Into<PathBuf>) -> ServeCommand {
        ServeCommand {
            exe: exe.into(),
            service: Service::Echo,
        }
    }

    /// The same command for servers of `service`.
    pub fn service(self, service: Service) -> ServeCommand {
        ServeCommand { service, ..self }
    }

    /// Starts `rtbench serve NAME --cpus CPUS` on loopback and waits for its
    /// address. The child may use only `cpus`, and is killed if the thread
    /// that started it dies. A server that cannot start returns its own
    /// one-line reason.
    pub fn start(&self, name: &str, cpus: &[usize]) -> Result<ServerProcess, String> {
        let list: Vec<String> = cpus.iter().map(|c| c.to_string()).collect();
        let mut cmd = Command::new(&self.exe);
        let service = match self.service {
            Service::Echo => "echo",
            Service::Work => "work",
            Service::Http => "http",
        };
        cmd.args([
            "serve",
            name,
            "--cpus",
            &list.join(","),
            "--service",
            service,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        // SAFETY: a zeroed cpu_set_t is empty; CPU_SET only sets bits in it.
        let set = unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            for &cpu in cpus {
                libc::CPU_SET(cpu, &mut set);
            }
            set
        };
        // SAFETY: only async-signal-safe system calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                // Inherited by every thread of the server, before any exists.
                if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
                    return Err(io::Error::last_os_error());
                }
                // A bench killed by the watchdog takes its server with it.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.exe.display()))?;
        let stdout = child.stdout.take().expect("piped");
        let mut stderr = child.stderr.take().expect("piped");
        let errors = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let (tx, lines) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let stdin = child.stdin.take();
        let mut server = ServerProcess {
            child,
            stdin,
            lines,
            addr: None,
            reader: Some(reader),
        };
        match server.lines.recv_timeout(START) {
            Ok(line) => match line.trim().parse() {
                Ok(addr) => {
                    server.addr = Some(addr);
                    Ok(server)
                }
                Err(_) => Err(format!(
                    "{name}: `rtbench serve` printed {line:?}, not an address"
                )),
            },
            Err(mpsc::RecvTimeoutError::Timeout) => {
                Err(format!("{name}: server did not start within {START:?}"))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                drop(server);
                Err(reason(name, errors))
            }
        }
    }
}

/// The last line a server that could not start wrote, without `error: `.
fn reason(name: &str, errors: JoinHandle<String>) -> String {
    let text = errors.join().unwrap_or_default();
    let last = text.lines().rev().find(|l| !l.trim().is_empty());
    match last {
        Some(line) => line.trim().trim_start_matches("error: ").to_string(),
        None => format!("{name}: `rtbench serve` exited without an address"),
    }
}

/// A running `rtbench serve`; dropping it ends its stdin, which stops it.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    addr: Option<SocketAddr>,
    /// Reads stdout into `lines` until the server exits.
    reader: Option<JoinHandle<()>>,
}

/// The CPU time a server reports on its last line.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
pub struct ReportedCpu {
    pub user_ns: u64,
    pub sys_ns: u64,
    pub cpu_ns: u64,
}

impl ServerProcess {
    pub fn addr(&self) -> SocketAddr {
        self.addr.expect("started")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How the server ended, if it has: a finding to record per runtime
    /// (`crashed` by a signal), not a reason to stop the others.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The server's CPU time (user + system, every thread) so far.
    pub fn cpu_time(&self) -> io::Result<Duration> {
        sys::process_cpu_time_of(self.pid())
    }

    /// Stops the server (end of stdin) and returns the CPU time it reported
    /// as its last line; `None` if it died or said nothing.
    pub fn stop(mut self) -> Option<ReportedCpu> {
        self.shut_down();
        let last = self.lines.try_iter().last()?;
        serde_json::from_str(&last).ok()
    }

    /// Ends stdin and waits for the exit, killing a server that does not.
    fn shut_down(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.flush();
        }
        let deadline = Instant::now() + STOP;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // The reader ends at the child's end of output: every line is in.
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if self.stdin.is_some() {
            self.shut_down();
        }
    }
}
