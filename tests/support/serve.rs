//! `rtbench serve` as a child process, shared by tests/serve.rs and
//! tests/two_hosts.rs: every wait is bounded, and a child still running when
//! the test ends (or fails) is killed.

#![allow(dead_code)] // each test file uses part of it

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_rtbench");

/// A running `rtbench serve` and the lines it has printed so far.
pub struct Serve {
    child: Child,
    lines: mpsc::Receiver<String>,
    pub addr: String,
}

/// How to ask it to stop.
#[derive(Debug, Clone, Copy)]
pub enum Stop {
    CloseStdin,
    Sigterm,
}

impl Serve {
    /// Runs `prefix… rtbench serve args…` and waits (10 s at most) for the
    /// address line.
    pub fn start(prefix: &[&str], args: &[&str]) -> Serve {
        let mut cmd = match prefix.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(BIN);
                c
            }
            None => Command::new(BIN),
        };
        let mut child = cmd
            .arg("serve")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn rtbench serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let mut serve = Serve {
            child,
            lines,
            addr: String::new(),
        };
        serve.addr = serve
            .lines
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("`serve {}` printed no address in 10 s", args.join(" ")));
        serve
    }

    /// Stops it, waits (15 s at most) for its exit, and returns its status
    /// and the lines printed after the address.
    pub fn stop(mut self, how: Stop) -> (ExitStatus, Vec<String>) {
        match how {
            Stop::CloseStdin => drop(self.child.stdin.take()),
            Stop::Sigterm => {
                // SAFETY: kill(2) on our own child's pid.
                let r = unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
                assert_eq!(r, 0, "kill -TERM {}", self.child.id());
            }
        }
        let status = wait_for(&mut self.child, Duration::from_secs(15))
            .expect("rtbench serve did not exit within 15 s of being stopped");
        let mut rest = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            rest.push(line);
        }
        (status, rest)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits for `child` until `limit`; `None` (after killing it) if it was still running.
pub fn wait_for(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    wait_watching(child, limit, |_| {})
}

/// [`wait_for`], calling `watch` with the child's pid every 10 ms meanwhile.
pub fn wait_watching(
    child: &mut Child,
    limit: Duration,
    mut watch: impl FnMut(u32),
) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        watch(child.id());
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs a command to completion within `limit` (killed and reported otherwise).
pub fn run_bounded(cmd: &mut Command, limit: Duration) -> Output {
    run_watching(cmd, limit, |_| {})
}

/// [`run_bounded`], calling `watch` with the child's pid every 10 ms.
pub fn run_watching(cmd: &mut Command, limit: Duration, watch: impl FnMut(u32)) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    // Read both pipes on threads so a full pipe cannot stall the child.
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let read = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let (o, e) = (read(Box::new(out)), read(Box::new(err)));
    let status = wait_watching(&mut child, limit, watch)
        .unwrap_or_else(|| panic!("{cmd:?} did not finish within {limit:?}"));
    Output {
        status,
        stdout: o.join().unwrap(),
        stderr: e.join().unwrap(),
    }
}

/// The JSON CPU line `serve` prints last: `cpu_ns`, checked to be user + sys.
pub fn cpu_ns(lines: &[String]) -> u64 {
    let last = lines.last().expect("serve printed no CPU line");
    let v: serde_json::Value =
        serde_json::from_str(last).unwrap_or_else(|e| panic!("{last:?}: {e}"));
    let get = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("{k} in {last}"));
    assert_eq!(get("cpu_ns"), get("user_ns") + get("sys_ns"), "{last}");
    get("cpu_ns")
}
