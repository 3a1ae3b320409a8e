//! The file workload's floors, no runtime: `std-threads` (a thread per
//! read in flight, `pread`), `io-uring` (a raw loop on the `io-uring` crate
//! at the same queue depth) and fio, the device's ceiling measured by a
//! tool no one here wrote.

use super::{BLOCK, Done, FileCase, TestFile, WRITE, WRITES_PER_SYNC, check_block, fill_block};
use super::{ThreadsAdded, mix, pick};
use crate::{Observed, Routine, Work, figures};
use hdrhistogram::Histogram;
use rtbench_format::{Description, Flavor, Latency, TimerClass};
use rtbench_loadgen::hdr;
use rtbench_runtimes::file::AlignedBuf;
use rtbench_runtimes::sys;
use std::collections::BTreeMap;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A floor measured as the runtimes are (criterion's iterations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Floor {
    /// `depth` threads, each with one `pread` (or `pwrite`) at a time.
    StdThreads,
    /// One thread keeping `depth` reads in flight on its own io_uring.
    IoUring,
}

impl Floor {
    pub const ALL: [Floor; 2] = [Floor::StdThreads, Floor::IoUring];

    pub fn name(self) -> &'static str {
        match self {
            Floor::StdThreads => "std-threads",
            Floor::IoUring => "io-uring",
        }
    }
}

/// A [`Floor`] running a [`FileCase`].
pub struct FloorBench {
    floor: Floor,
    case: FileCase,
    test: TestFile,
    file: Arc<std::fs::File>,
    ring: Option<io_uring::IoUring>,
    description: Description,
    topology: String,
    work: Work,
    hist: Histogram<u64>,
    cpu: Duration,
    threads: ThreadsAdded,
    calls: u64,
    next_write: u64,
}

impl std::fmt::Debug for FloorBench {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FloorBench")
            .field("floor", &self.floor)
            .field("case", &self.case)
            .finish()
    }
}

impl FloorBench {
    pub fn new(floor: Floor, case: FileCase, test: &TestFile) -> Result<FloorBench, String> {
        let threads = ThreadsAdded::start();
        let path = test.ready_for(case)?;
        let file = case
            .options()
            .std()
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let ring = match floor {
            Floor::IoUring => {
                sys::io_uring_available()?;
                let entries = (2 * case.depth()).next_power_of_two() as u32;
                Some(io_uring::IoUring::new(entries).map_err(|e| format!("io_uring: {e}"))?)
            }
            Floor::StdThreads => None,
        };
        let (driver, note) = match floor {
            Floor::StdThreads => (
                "pread/pwrite, fdatasync",
                "no runtime: a thread per operation in flight",
            ),
            Floor::IoUring => (
                "io_uring",
                "no runtime: one thread, the io-uring crate, the queue depth in flight",
            ),
        };
        let description = Description {
            name: floor.name().into(),
            flavor: Flavor::Reference,
            workers: case.depth(),
            timer_class: TimerClass::Os,
            driver: driver.into(),
            knobs: [("queue depth".to_string(), case.depth().to_string())].into(),
            notes: vec![note.into()],
        };
        Ok(FloorBench {
            floor,
            case,
            test: test.clone(),
            file: Arc::new(file),
            ring,
            description,
            topology: crate::topology(sys::allowed_cpus().len()),
            work: Work::default(),
            hist: hdr::histogram(),
            cpu: Duration::ZERO,
            threads,
            calls: 0,
            next_write: 0,
        })
    }

    /// A thread per read in flight, spawned for the call (their start is
    /// timed too: that is what this floor costs); each keeps its latencies
    /// in a plain vector, recorded after.
    fn threads_reads(&mut self, seed: u64, n: u64) -> Result<(Done, Duration), String> {
        let lanes = self.case.depth().min(n as usize).max(1) as u64;
        self.threads.at_least(lanes as usize);
        let (file, blocks) = (&self.file, self.test.blocks);
        let start = Instant::now();
        let results: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..lanes)
                .map(|l| {
                    s.spawn(move || {
                        let mut took = Vec::with_capacity((n / lanes + 1) as usize);
                        let mut buf = AlignedBuf::new(BLOCK);
                        let mut k = l;
                        while k < n {
                            let block = pick(seed, k, blocks);
                            let at = Instant::now();
                            let r = file.read_at(&mut buf, block * BLOCK as u64);
                            took.push(at.elapsed().as_nanos() as u64);
                            match r {
                                Ok(BLOCK) if check_block(block, &buf) => {}
                                other => return Err(format!("block {block}: {other:?}")),
                            }
                            k += lanes;
                        }
                        Ok(took)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join()).collect()
        });
        let elapsed = start.elapsed();
        let mut done = Done::default();
        for r in results {
            let took = r.map_err(|_| "a reading thread panicked".to_string())??;
            for t in &took {
                let _ = self.hist.record(*t);
            }
            done.ops += took.len() as u64;
            done.bytes += took.len() as u64 * BLOCK as u64;
        }
        Ok((done, elapsed))
    }

    fn ring_reads(&mut self, seed: u64, n: u64) -> Result<(Done, Duration), String> {
        use io_uring::{opcode, types};
        let lanes = self.case.depth().min(n as usize).max(1);
        let ring = self.ring.as_mut().expect("an io-uring floor has a ring");
        let fd = types::Fd(self.file.as_raw_fd());
        let blocks = self.test.blocks;
        let mut bufs: Vec<AlignedBuf> = (0..lanes).map(|_| AlignedBuf::new(BLOCK)).collect();
        // Per lane: the read in flight (its k, block, start).
        let mut flight: Vec<(u64, u64, Instant)> = vec![(0, 0, Instant::now()); lanes];
        let start = Instant::now();
        let mut next = 0u64;
        let mut done = Done::default();
        let submit = |ring: &mut io_uring::IoUring,
                      lane: usize,
                      k: u64,
                      buf: &mut AlignedBuf,
                      flight: &mut Vec<(u64, u64, Instant)>| {
            let block = pick(seed, k, blocks);
            let sqe = opcode::Read::new(fd, buf.as_mut_ptr(), BLOCK as u32)
                .offset(block * BLOCK as u64)
                .build()
                .user_data(lane as u64);
            flight[lane] = (k, block, Instant::now());
            // SAFETY: the buffer outlives the read (it is reaped below before
            // the buffers are dropped) and is not touched meanwhile.
            unsafe { ring.submission().push(&sqe) }.map_err(|_| "the ring is full".to_string())
        };
        for (lane, buf) in bufs.iter_mut().enumerate() {
            if next < n {
                submit(ring, lane, next, buf, &mut flight)?;
                next += 1;
            }
        }
        let mut in_flight = next;
        while in_flight > 0 {
            ring.submit_and_wait(1)
                .map_err(|e| format!("io_uring_enter: {e}"))?;
            let reaped: Vec<(u64, i32)> = ring
                .completion()
                .map(|c| (c.user_data(), c.result()))
                .collect();
            for (lane, res) in reaped {
                in_flight -= 1;
                let lane = lane as usize;
                let (_, block, at) = flight[lane];
                let took = at.elapsed();
                if res != BLOCK as i32 || !check_block(block, &bufs[lane]) {
                    return Err(format!("block {block}: read returned {res}"));
                }
                let _ = self.hist.record(took.as_nanos() as u64);
                done.ops += 1;
                done.bytes += BLOCK as u64;
                if next < n {
                    submit(ring, lane, next, &mut bufs[lane], &mut flight)?;
                    next += 1;
                    in_flight += 1;
                }
            }
        }
        Ok((done, start.elapsed()))
    }

    fn writes(&mut self, n: u64) -> Result<(Done, Duration), String> {
        let slots = self.test.write_slots();
        let mut buf = AlignedBuf::new(WRITE);
        let start = Instant::now();
        let mut done = Done::default();
        for _ in 0..n {
            let slot = self.next_write % slots;
            let first = slot * (WRITE / BLOCK) as u64;
            for (i, block) in buf.chunks_mut(BLOCK).enumerate() {
                fill_block(first + i as u64, block);
            }
            let at = Instant::now();
            let sync = (slot + 1) % WRITES_PER_SYNC == 0;
            match self.floor {
                Floor::StdThreads => {
                    self.file
                        .write_all_at(&buf, slot * WRITE as u64)
                        .map_err(|e| format!("pwrite: {e}"))?;
                    if sync {
                        self.file
                            .sync_data()
                            .map_err(|e| format!("fdatasync: {e}"))?;
                    }
                }
                Floor::IoUring => self.ring_write(&buf, slot * WRITE as u64, sync)?,
            }
            let _ = self.hist.record(at.elapsed().as_nanos() as u64);
            self.next_write += 1;
            done.ops += 1;
            done.bytes += WRITE as u64;
        }
        let elapsed = start.elapsed();
        if n > 0 {
            let last = ((self.next_write - 1) % slots + 1) * (WRITE / BLOCK) as u64 - 1;
            let mut back = vec![0u8; BLOCK];
            self.file
                .read_exact_at(&mut back, last * BLOCK as u64)
                .map_err(|e| format!("read back: {e}"))?;
            if !check_block(last, &back) {
                return Err(format!("block {last} did not read back as written"));
            }
        }
        Ok((done, elapsed))
    }

    fn ring_write(&mut self, buf: &AlignedBuf, offset: u64, sync: bool) -> Result<(), String> {
        use io_uring::{opcode, types};
        let ring = self.ring.as_mut().expect("an io-uring floor has a ring");
        let fd = types::Fd(self.file.as_raw_fd());
        let write = opcode::Write::new(fd, buf.as_ptr(), WRITE as u32)
            .offset(offset)
            .build();
        let mut ops = vec![write];
        if sync {
            ops.push(
                opcode::Fsync::new(fd)
                    .flags(types::FsyncFlags::DATASYNC)
                    .build(),
            );
        }
        for sqe in ops {
            // SAFETY: the buffer outlives the operation, which is waited for here.
            unsafe { ring.submission().push(&sqe) }.map_err(|_| "the ring is full".to_string())?;
            ring.submit_and_wait(1)
                .map_err(|e| format!("io_uring_enter: {e}"))?;
            let res = ring.completion().next().map_or(-1, |c| c.result());
            if res < 0 {
                return Err(format!("io_uring write or fdatasync: error {}", -res));
            }
        }
        Ok(())
    }
}

impl Routine for FloorBench {
    fn run(&mut self, iters: u64) -> Result<Duration, String> {
        self.calls += 1;
        let seed = mix(self.calls);
        let cpu = sys::process_cpu_time();
        let (done, elapsed) = match (self.case, self.floor) {
            (FileCase::SeqWrite, _) => self.writes(iters)?,
            (FileCase::RandRead { .. }, Floor::StdThreads) => {
                self.threads_reads(seed, iters * self.case.ops_per_iter())?
            }
            (FileCase::RandRead { .. }, Floor::IoUring) => {
                self.ring_reads(seed, iters * self.case.ops_per_iter())?
            }
        };
        self.cpu += sys::process_cpu_time().saturating_sub(cpu);
        self.threads.seen();
        self.work.ops += done.ops;
        self.work.bytes += done.bytes;
        Ok(elapsed)
    }

    fn work(&self) -> Work {
        self.work
    }

    fn per_iter(&self) -> Work {
        self.case.per_iter()
    }
}

impl Observed for FloorBench {
    described!();
    fn hist_mut(&mut self) -> Option<&mut Histogram<u64>> {
        Some(&mut self.hist)
    }
    fn server_cpu(&self) -> Option<Duration> {
        Some(self.cpu)
    }
    fn extra(&self) -> BTreeMap<String, f64> {
        figures([("threads", self.threads.most())])
    }
}

/// What one fio job measured.
#[derive(Debug, Clone)]
pub struct FioRun {
    /// Operations completed, and per second.
    pub ios: u64,
    pub iops: f64,
    /// fio's latency, submission to completion.
    pub latency: Latency,
    /// fio's user + system CPU per operation, in ns.
    pub cpu_ns_per_op: f64,
    /// The command line, for the description.
    pub command: String,
}

/// Runs fio for `seconds` on `case` over the test file (`--ioengine=io_uring`,
/// the same block size, queue depth and direct flag; the cached case keeps
/// the page cache, `--invalidate=0`). `Err` when fio is missing or fails.
pub fn fio(case: FileCase, test: &TestFile, seconds: f64) -> Result<FioRun, String> {
    let (path, rw, bs, extra): (_, _, _, Vec<String>) = match case {
        FileCase::RandRead { direct, .. } => (
            test.path.clone(),
            "randread",
            BLOCK,
            vec![
                format!("--direct={}", u8::from(direct)),
                format!("--invalidate={}", u8::from(direct)),
            ],
        ),
        FileCase::SeqWrite => (
            test.write_path(),
            "write",
            WRITE,
            vec![format!("--fdatasync={WRITES_PER_SYNC}")],
        ),
    };
    let mut args = vec![
        "--name=rtbench".to_string(),
        format!("--filename={}", path.display()),
        format!("--size={}", test.blocks * BLOCK as u64),
        format!("--rw={rw}"),
        format!("--bs={bs}"),
        format!("--iodepth={}", case.depth()),
        "--ioengine=io_uring".into(),
        format!("--runtime={}ms", (seconds * 1000.0).max(50.0) as u64),
        "--time_based".into(),
        "--output-format=json".into(),
        // Percentiles of the whole latency (submission to completion), as
        // the runtimes' rows measure it, not only of the completion part.
        "--lat_percentiles=1".into(),
    ];
    args.extend(extra);
    if case == FileCase::SeqWrite {
        // fio lays a missing file out itself; the runtimes' writes file exists.
        args.push("--create_on_open=1".into());
    }
    let out = std::process::Command::new("fio")
        .args(&args)
        .output()
        .map_err(|e| format!("fio: {e} (install fio: apt-get install fio)"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("fio failed: {}", err.lines().next().unwrap_or("")));
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("fio's output is not JSON: {e}"))?;
    let job = &json["jobs"][0];
    let side = &job[if case == FileCase::SeqWrite {
        "write"
    } else {
        "read"
    }];
    let ios = side["total_ios"].as_u64().unwrap_or(0);
    let iops = side["iops"].as_f64().unwrap_or(0.0);
    if ios == 0 || iops <= 0.0 {
        return Err("fio completed no operation".into());
    }
    let clat = &side["lat_ns"];
    let pct = |p: &str| clat["percentile"][p].as_u64().unwrap_or(0);
    let latency = Latency {
        kind: "latency".into(),
        count: ios,
        min_ns: clat["min"].as_u64().unwrap_or(0),
        mean_ns: clat["mean"].as_f64().unwrap_or(0.0),
        stdev_ns: clat["stddev"].as_f64().unwrap_or(0.0),
        p50_ns: pct("50.000000"),
        p90_ns: pct("90.000000"),
        p99_ns: pct("99.000000"),
        p999_ns: pct("99.900000"),
        max_ns: clat["max"].as_u64().unwrap_or(0),
        spectrum: Vec::new(),
        hdr_base64: None,
    };
    let runtime_s = job["job_runtime"].as_f64().unwrap_or(0.0) / 1000.0;
    let cpu_pct = job["usr_cpu"].as_f64().unwrap_or(0.0) + job["sys_cpu"].as_f64().unwrap_or(0.0);
    Ok(FioRun {
        ios,
        iops,
        latency,
        cpu_ns_per_op: cpu_pct / 100.0 * runtime_s * 1e9 / ios as f64,
        command: format!("fio {}", args.join(" ")),
    })
}
