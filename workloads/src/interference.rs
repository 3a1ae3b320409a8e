//! Who kept our threads off their CPUs: per-thread run delay and involuntary
//! switches of the server and the load generator ([`Meter`]), a spinning
//! probe per benchmark CPU ([`cpu_probe`]), and the other tasks that ran on
//! those CPUs ([`Others`]).
//!
//! Everything is read from `/proc` with `std::fs` and parsed by hand: the
//! few fields needed (`schedstat`'s first two numbers, one line of `status`,
//! fields 2, 4 and 39 of `stat`) do not justify a `/proc` crate.

use rtbench_format::{CpuProbe, Interference, OtherTask};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// A gap between two clock reads of a probe longer than this is time the
/// CPU was taken from it (a read takes tens of ns; interrupts a few µs).
pub const GAP: Duration = Duration::from_micros(50);

/// Run delay and involuntary switches of one thread so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counters {
    run_delay_ns: u64,
    nivcsw: u64,
}

/// Per-thread counters of one process: `/proc/<pid>/task/*/schedstat` (2nd
/// field: run delay ns) and `.../status` (`nonvoluntary_ctxt_switches`).
#[derive(Debug, Clone)]
pub struct Meter {
    server: Option<u32>,
    generator: u32,
}

/// Counters per thread of each side at [`Meter::start`] (`None`: unreadable).
#[derive(Debug, Clone)]
pub struct Snapshot {
    server: Option<BTreeMap<u32, Counters>>,
    generator: Option<BTreeMap<u32, Counters>>,
}

impl Meter {
    /// `server`: the server's pid (None: no server process, e.g. in-process
    /// benches; then server fields stay None). The generator side is this
    /// process (all its threads).
    pub fn new(server: Option<u32>) -> Meter {
        Meter {
            server,
            generator: std::process::id(),
        }
    }

    pub fn start(&self) -> Snapshot {
        Snapshot {
            server: self.server.and_then(threads_of),
            generator: threads_of(self.generator),
        }
    }

    /// Delta since `s`, per tid (threads that appeared count from 0, threads
    /// gone are dropped), summed per side. Unreadable → that side's fields None.
    pub fn finish(&self, s: &Snapshot) -> Interference {
        let server = s
            .server
            .as_ref()
            .zip(self.server.and_then(threads_of))
            .map(|(before, after)| delta(before, &after));
        let generator = s
            .generator
            .as_ref()
            .zip(threads_of(self.generator))
            .map(|(before, after)| delta(before, &after));
        Interference {
            server_run_delay_ns: server.map(|c| c.run_delay_ns),
            server_nivcsw: server.map(|c| c.nivcsw),
            generator_run_delay_ns: generator.map(|c| c.run_delay_ns),
            generator_nivcsw: generator.map(|c| c.nivcsw),
        }
    }
}

/// Counters of every thread of `pid`; `None` if its task list is unreadable.
/// A thread that ends while being read is left out.
fn threads_of(pid: u32) -> Option<BTreeMap<u32, Counters>> {
    let tasks = fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut out = BTreeMap::new();
    for tid in tasks
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
    {
        let dir = format!("/proc/{pid}/task/{tid}");
        let run_delay_ns = fs::read_to_string(format!("{dir}/schedstat"))
            .ok()
            .and_then(|s| parse_schedstat(&s))
            .map(|(_, delay)| delay);
        let nivcsw = fs::read_to_string(format!("{dir}/status"))
            .ok()
            .and_then(|s| parse_nivcsw(&s));
        if let (Some(run_delay_ns), Some(nivcsw)) = (run_delay_ns, nivcsw) {
            out.insert(
                tid,
                Counters {
                    run_delay_ns,
                    nivcsw,
                },
            );
        }
    }
    Some(out)
}

/// Sum over the threads of `after` of what each did since `before`.
fn delta(before: &BTreeMap<u32, Counters>, after: &BTreeMap<u32, Counters>) -> Counters {
    let mut sum = Counters::default();
    for (tid, a) in after {
        let b = before.get(tid).copied().unwrap_or_default();
        sum.run_delay_ns += a.run_delay_ns.saturating_sub(b.run_delay_ns);
        sum.nivcsw += a.nivcsw.saturating_sub(b.nivcsw);
    }
    sum
}

/// `schedstat`: (time on CPU ns, run delay ns, timeslices).
fn parse_schedstat(s: &str) -> Option<(u64, u64)> {
    let mut f = s.split_ascii_whitespace().map(str::parse::<u64>);
    Some((f.next()?.ok()?, f.next()?.ok()?))
}

/// The `nonvoluntary_ctxt_switches:` line of `status`.
fn parse_nivcsw(s: &str) -> Option<u64> {
    s.lines()
        .find_map(|l| l.strip_prefix("nonvoluntary_ctxt_switches:"))?
        .trim()
        .parse()
        .ok()
}

/// `stat`: (comm, ppid, last CPU). The comm is field 2 in parentheses and
/// may hold spaces and parentheses itself, so the rest is split after the
/// last `)`.
fn parse_stat(s: &str) -> Option<(String, u32, usize)> {
    let (open, close) = (s.find('(')?, s.rfind(')')?);
    let comm = s.get(open + 1..close)?.to_string();
    let rest: Vec<&str> = s[close + 1..].split_ascii_whitespace().collect();
    // rest[0] is field 3 (state): field n is rest[n - 3].
    let ppid = rest.get(1)?.parse().ok()?;
    let cpu = rest.get(36)?.parse().ok()?;
    Some((comm, ppid, cpu))
}

/// CLOCK_MONOTONIC in ns (vDSO: no system call).
fn monotonic_ns() -> u64 {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// One pinned spinning thread per CPU in `cpus` for `duration`, all at once
/// (so every benchmark CPU is busy and no probe migrates onto a free one),
/// each reading CLOCK_MONOTONIC in a tight loop; a gap between consecutive
/// reads over [`GAP`] is time the CPU was taken from it. `when` is stored as
/// is; `at_secs` = seconds from `run_start` to the probe's start.
pub fn cpu_probe(
    cpus: &[usize],
    duration: Duration,
    when: &str,
    run_start: Instant,
) -> Vec<CpuProbe> {
    let barrier = Arc::new(Barrier::new(cpus.len()));
    let threads: Vec<_> = cpus
        .iter()
        .map(|&cpu| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                rtbench_runtimes::sys::pin_to_cpu(cpu);
                barrier.wait();
                let at = run_start.elapsed();
                let gap = GAP.as_nanos() as u64;
                let start = monotonic_ns();
                let end = start + duration.as_nanos() as u64;
                let (mut last, mut lost, mut over_1ms, mut gaps) = (start, 0u64, 0u32, Vec::new());
                while last < end {
                    let now = monotonic_ns();
                    let d = now - last;
                    if d > gap {
                        lost += d;
                        over_1ms += u32::from(d > 1_000_000);
                        gaps.push(((last - start) as f64 / 1e6, d as f64 / 1e3));
                    }
                    last = now;
                }
                CpuProbe {
                    when: String::new(),
                    cpu,
                    at_secs: at.as_secs_f64(),
                    duration_secs: (last - start) as f64 / 1e9,
                    lost_ns: lost,
                    gaps_over_1ms: over_1ms,
                    gaps,
                }
            })
        })
        .collect();
    threads
        .into_iter()
        .filter_map(|t| t.join().ok())
        .map(|p| CpuProbe {
            when: when.to_string(),
            ..p
        })
        .collect()
}

/// One task's CPU time used on the benchmark's CPUs while sampled.
#[derive(Debug, Clone)]
struct Task {
    name: String,
    /// `sum_exec_runtime` at the last sample.
    last_ns: u64,
    /// Counted so far.
    cpu_ns: u64,
}

/// Who else ran: samples every task in /proc (`/proc/*/task/*`: comm from
/// `stat` field 2, last CPU from `stat` field 39, sum_exec_runtime = 1st
/// field of `schedstat`), excluding this process, its parent chain (up to
/// but not including pid 1), the pids in `exclude`, and the descendants of
/// this process and of `exclude` at each sample. A task is first seen as a
/// baseline; tasks that start and end between two samples are missed.
#[derive(Debug)]
pub struct Others {
    cpus: BTreeSet<usize>,
    /// Whose descendants are excluded too.
    roots: BTreeSet<u32>,
    /// The parent chain: excluded, not their descendants (that would be everything).
    ancestors: BTreeSet<u32>,
    /// Accumulated per (pid, tid); kept after the task ends.
    tasks: HashMap<(u32, u32), Task>,
    /// Tasks seen at the last sample.
    live: BTreeSet<(u32, u32)>,
}

impl Others {
    pub fn new(cpus: &[usize], exclude: &[u32]) -> Others {
        let me = std::process::id();
        let mut ancestors = BTreeSet::new();
        let mut pid = me;
        while let Some((_, ppid, _)) = read_stat(&format!("/proc/{pid}/stat")) {
            if ppid <= 1 || !ancestors.insert(ppid) {
                break;
            }
            pid = ppid;
        }
        Others {
            cpus: cpus.iter().copied().collect(),
            roots: exclude.iter().copied().chain([me]).collect(),
            ancestors,
            tasks: HashMap::new(),
            live: BTreeSet::new(),
        }
    }

    /// Takes a sample and adds to each task the CPU time used since its
    /// previous sample, if its last CPU is one of `cpus`.
    pub fn sample(&mut self) {
        let pids: Vec<u32> = match fs::read_dir("/proc") {
            Ok(d) => d
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect(),
            Err(_) => return,
        };
        // Process names and parents first, for the exclusion of descendants.
        let procs: BTreeMap<u32, (String, u32)> = pids
            .iter()
            .filter_map(|&p| {
                read_stat(&format!("/proc/{p}/stat")).map(|(comm, ppid, _)| (p, (comm, ppid)))
            })
            .collect();
        let excluded = |mut p: u32| {
            if self.ancestors.contains(&p) {
                return true;
            }
            // Walk up (bounded, against a cycle from pid reuse mid-sample).
            for _ in 0..64 {
                if self.roots.contains(&p) {
                    return true;
                }
                match procs.get(&p) {
                    Some(&(_, ppid)) if ppid > 1 => p = ppid,
                    _ => return false,
                }
            }
            false
        };
        let mut live = BTreeSet::new();
        for (&pid, (pcomm, _)) in procs.iter().filter(|&(&p, _)| !excluded(p)) {
            let Ok(tids) = fs::read_dir(format!("/proc/{pid}/task")) else {
                continue;
            };
            for tid in tids
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            {
                let dir = format!("/proc/{pid}/task/{tid}");
                let Some((comm, _, cpu)) = read_stat(&format!("{dir}/stat")) else {
                    continue;
                };
                let Some((exec_ns, _)) = fs::read_to_string(format!("{dir}/schedstat"))
                    .ok()
                    .and_then(|s| parse_schedstat(&s))
                else {
                    continue;
                };
                let name = if comm == *pcomm {
                    comm
                } else {
                    format!("{comm} ({pcomm})")
                };
                live.insert((pid, tid));
                let counts = self.cpus.contains(&cpu);
                let task = self.tasks.entry((pid, tid)).or_insert(Task {
                    name: String::new(),
                    last_ns: exec_ns,
                    cpu_ns: 0,
                });
                // A (pid, tid) not live at the last sample is a new task (or
                // a reused id): its first sight is only a baseline.
                if !self.live.contains(&(pid, tid)) {
                    task.last_ns = exec_ns;
                }
                if counts {
                    task.cpu_ns += exec_ns.saturating_sub(task.last_ns);
                }
                task.last_ns = exec_ns;
                task.name = name;
            }
        }
        self.live = live;
    }

    /// Totals by task name (`comm`, with the process's comm in parentheses
    /// when it differs, e.g. `kworker/0:1`, `tokio-rt (foo)`) and process,
    /// most CPU first, top `n`; tasks that used nothing are left out.
    pub fn top(&self, n: usize) -> Vec<OtherTask> {
        let mut by_name: BTreeMap<(&str, u32), u64> = BTreeMap::new();
        for (&(pid, _), t) in &self.tasks {
            *by_name.entry((&t.name, pid)).or_default() += t.cpu_ns;
        }
        let mut out: Vec<OtherTask> = by_name
            .into_iter()
            .filter(|&(_, ns)| ns > 0)
            .map(|((name, pid), cpu_ns)| OtherTask {
                name: name.to_string(),
                pid,
                cpu_ns,
            })
            .collect();
        out.sort_by(|a, b| b.cpu_ns.cmp(&a.cpu_ns).then_with(|| a.name.cmp(&b.name)));
        out.truncate(n);
        out
    }
}

fn read_stat(path: &str) -> Option<(String, u32, usize)> {
    parse_stat(&fs::read_to_string(path).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedstat_gives_exec_and_delay() {
        assert_eq!(
            parse_schedstat("216138981 20867116 380\n"),
            Some((216138981, 20867116))
        );
        assert_eq!(parse_schedstat("12\n"), None);
        assert_eq!(parse_schedstat(""), None);
    }

    #[test]
    fn status_gives_nonvoluntary_switches() {
        let s = "Name:\tcat\nvoluntary_ctxt_switches:\t7\nnonvoluntary_ctxt_switches:\t12\n";
        assert_eq!(parse_nivcsw(s), Some(12));
        assert_eq!(parse_nivcsw("voluntary_ctxt_switches:\t7\n"), None);
    }

    #[test]
    fn stat_gives_comm_ppid_and_cpu_even_with_odd_names() {
        let tail = "R 21472 21472 20589 0 -1 4194304 98 0 0 0 0 0 0 0 20 0 1 0 39334 \
                    3133440 361 18446744073709551615 1 2 3 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        assert_eq!(
            parse_stat(&format!("21475 (cat) {tail}")),
            Some(("cat".into(), 21472, 1))
        );
        assert_eq!(
            parse_stat(&format!("7 (a) b (c) {tail}")),
            Some(("a) b (c".into(), 21472, 1))
        );
        assert_eq!(parse_stat("7 (short) R 1"), None);
    }

    #[test]
    fn delta_counts_new_threads_from_zero_and_drops_gone_ones() {
        let c = |run_delay_ns, nivcsw| Counters {
            run_delay_ns,
            nivcsw,
        };
        let before = BTreeMap::from([(1, c(100, 1)), (2, c(50, 5))]);
        let after = BTreeMap::from([(1, c(150, 3)), (3, c(20, 2))]);
        assert_eq!(delta(&before, &after), c(70, 4));
    }

    #[test]
    fn this_process_is_readable() {
        let m = Meter::new(Some(std::process::id()));
        let s = m.start();
        let i = m.finish(&s);
        assert!(i.server_run_delay_ns.is_some() && i.generator_nivcsw.is_some());
        let none = Meter::new(None);
        assert_eq!(none.finish(&none.start()).server_run_delay_ns, None);
    }
}
