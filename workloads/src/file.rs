//! File I/O: random 4 KiB reads at a queue depth (1 or 32), `O_DIRECT`
//! (the device) or from the page cache (the runtime's own overhead), and
//! sequential 128 KiB writes with `fdatasync` after every 1 MiB, each
//! runtime through its own file API ([`Runtime::File`]). Every block of
//! the test file is a function of its index, and every read is checked.
//! The queue depth is one task with `depth` reads in flight (joined
//! futures) on every runtime. The floors (std threads, a raw io_uring loop,
//! fio) are in [`floors`].

pub mod floors;

use crate::{Observed, Routine, Work, figures};
use hdrhistogram::Histogram;
use rtbench_format::Description;
use rtbench_loadgen::hdr;
use rtbench_runtimes::file::{AlignedBuf, File, FileOptions};
use rtbench_runtimes::{Config, Runtime, sys};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A block: the unit of reads and of the content check.
pub const BLOCK: usize = 4096;
/// One write: 32 blocks.
pub const WRITE: usize = 128 * 1024;
/// Writes between two `fdatasync`s (1 MiB).
pub const WRITES_PER_SYNC: u64 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileCase {
    /// Random 4 KiB reads, `depth` in flight; `direct`: `O_DIRECT`, else
    /// from the page cache (the whole file read once before).
    RandRead { depth: usize, direct: bool },
    /// Sequential 128 KiB writes to a file of its own, `fdatasync` after
    /// every 1 MiB, wrapping around within the test file's size.
    SeqWrite,
}

impl FileCase {
    pub fn matrix() -> Vec<FileCase> {
        let mut v = Vec::new();
        for direct in [true, false] {
            for depth in [1, 32] {
                v.push(FileCase::RandRead { depth, direct });
            }
        }
        v.push(FileCase::SeqWrite);
        v
    }

    pub fn label(&self) -> String {
        match *self {
            FileCase::RandRead { depth, direct } => format!(
                "randread-4k-{}-qd{depth}",
                if direct { "direct" } else { "cached" }
            ),
            FileCase::SeqWrite => "write-128k-fdatasync-1m".into(),
        }
    }

    pub fn op(&self) -> &'static str {
        match self {
            FileCase::RandRead { .. } => "read",
            FileCase::SeqWrite => "write",
        }
    }

    pub fn depth(&self) -> usize {
        match *self {
            FileCase::RandRead { depth, .. } => depth,
            FileCase::SeqWrite => 1,
        }
    }

    pub fn bytes_per_op(&self) -> usize {
        match self {
            FileCase::RandRead { .. } => BLOCK,
            FileCase::SeqWrite => WRITE,
        }
    }

    pub fn options(&self) -> FileOptions {
        match *self {
            FileCase::RandRead { direct, .. } => FileOptions {
                direct,
                write: false,
            },
            FileCase::SeqWrite => FileOptions {
                direct: false,
                write: true,
            },
        }
    }

    /// Operations of one iteration: a read per read in flight (so that every
    /// call fills its queue), or one write.
    pub fn ops_per_iter(&self) -> u64 {
        self.depth() as u64
    }

    fn per_iter(&self) -> Work {
        Work {
            ops: self.ops_per_iter(),
            bytes: self.ops_per_iter() * self.bytes_per_op() as u64,
            ..Work::default()
        }
    }
}

/// SplitMix64: the content of a block, and the order of the reads.
pub fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Fills `buf` (one block) with block `index`'s content: its index, a hash
/// of it, and the hash repeated.
pub fn fill_block(index: u64, buf: &mut [u8]) {
    let h = mix(index).to_le_bytes();
    for (i, b) in buf.iter_mut().enumerate() {
        *b = h[i % 8] ^ (i / 8) as u8;
    }
    buf[..8].copy_from_slice(&index.to_le_bytes());
}

/// Whether `buf` (one block) holds block `index`: its head and its tail.
pub fn check_block(index: u64, buf: &[u8]) -> bool {
    if buf.len() != BLOCK || buf[..8] != index.to_le_bytes() {
        return false;
    }
    let h = mix(index).to_le_bytes();
    (8..16)
        .chain(BLOCK - 8..BLOCK)
        .all(|i| buf[i] == h[i % 8] ^ (i / 8) as u8)
}

/// The block the `k`-th read of a call with `seed` reads.
pub fn pick(seed: u64, k: u64, blocks: u64) -> u64 {
    mix(seed ^ mix(k)) % blocks
}

/// The test file, created once (reused while its size and content check).
#[derive(Debug, Clone)]
pub struct TestFile {
    pub path: PathBuf,
    pub blocks: u64,
}

impl TestFile {
    /// `bytes` of blocks at `dir/rtbench-file-<bytes>.bin`, written (not
    /// sparse) and synced unless a file of that size whose first, middle and
    /// last blocks check is there. The writes' file is beside it.
    pub fn prepare(dir: &Path, bytes: u64) -> std::io::Result<TestFile> {
        let blocks = (bytes / BLOCK as u64).max(1);
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("rtbench-file-{}.bin", blocks * BLOCK as u64));
        let t = TestFile { path, blocks };
        if t.checks() {
            return Ok(t);
        }
        let tmp = t.path.with_extension("partial");
        let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
        let mut block = vec![0u8; BLOCK];
        for i in 0..blocks {
            fill_block(i, &mut block);
            f.write_all(&block)?;
        }
        let f = f.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &t.path)?;
        Ok(t)
    }

    fn checks(&self) -> bool {
        let Ok(f) = std::fs::File::open(&self.path) else {
            return false;
        };
        if f.metadata().map(|m| m.len()).ok() != Some(self.blocks * BLOCK as u64) {
            return false;
        }
        let mut buf = vec![0u8; BLOCK];
        [0, self.blocks / 2, self.blocks - 1]
            .iter()
            .all(|&i| f.read_exact_at(&mut buf, i * BLOCK as u64).is_ok() && check_block(i, &buf))
    }

    /// Reads the whole file once, so that cached reads find it in the page
    /// cache.
    pub fn warm(&self) -> std::io::Result<()> {
        let f = std::fs::File::open(&self.path)?;
        let mut buf = vec![0u8; 1 << 20];
        let mut at = 0;
        while at < self.blocks * BLOCK as u64 {
            let n = f.read_at(&mut buf, at)?;
            if n == 0 {
                break;
            }
            at += n as u64;
        }
        Ok(())
    }

    /// The file `case` opens, made ready: for reads from the page cache,
    /// read whole into it first (fio's direct cases drop its pages).
    pub fn ready_for(&self, case: FileCase) -> Result<PathBuf, String> {
        match case {
            FileCase::SeqWrite => Ok(self.write_path()),
            FileCase::RandRead { direct, .. } => {
                if !direct {
                    self.warm()
                        .map_err(|e| format!("cannot read the test file: {e}"))?;
                }
                Ok(self.path.clone())
            }
        }
    }

    /// The file the writes go to, beside the test file.
    pub fn write_path(&self) -> PathBuf {
        self.path.with_extension("writes")
    }

    /// Writes in the write file's cycle (as large as the test file).
    pub fn write_slots(&self) -> u64 {
        (self.blocks * BLOCK as u64 / WRITE as u64).max(WRITES_PER_SYNC)
    }
}

/// What one call of a file routine did.
#[derive(Debug, Default)]
pub struct Done {
    pub ops: u64,
    pub bytes: u64,
}

/// The reads of one call: `n` reads, `depth` in flight, each checked, each
/// latency recorded.
async fn reads<F: File>(
    file: &F,
    depth: usize,
    blocks: u64,
    seed: u64,
    n: u64,
    hist: &RefCell<Histogram<u64>>,
) -> Result<Done, String> {
    let lanes = depth.min(n as usize).max(1) as u64;
    let lane = |l: u64| async move {
        let mut buf = AlignedBuf::new(BLOCK);
        let mut done = 0u64;
        let mut k = l;
        while k < n {
            let block = pick(seed, k, blocks);
            let start = Instant::now();
            let (r, back) = file.read_at(buf, block * BLOCK as u64).await;
            let took = start.elapsed();
            buf = back;
            match r {
                Ok(got) if got == BLOCK => {}
                Ok(got) => return Err(format!("read {got} of {BLOCK} bytes of block {block}")),
                Err(e) => return Err(format!("read of block {block}: {e}")),
            }
            if !check_block(block, &buf) {
                return Err(format!("block {block} read back other content"));
            }
            let _ = hist.borrow_mut().record(took.as_nanos() as u64);
            done += 1;
            k += lanes;
        }
        Ok(done)
    };
    let results = join_all((0..lanes).map(lane)).await;
    let mut done = Done::default();
    for r in results {
        let ops = r?;
        done.ops += ops;
        done.bytes += ops * BLOCK as u64;
    }
    Ok(done)
}

/// The writes of one call: `n` sequential 128 KiB writes from slot `next`
/// on, `fdatasync` after every 8th slot; the last one written is read back
/// and checked.
async fn writes<F: File>(
    file: &F,
    slots: u64,
    next: &mut u64,
    n: u64,
    hist: &RefCell<Histogram<u64>>,
) -> Result<Done, String> {
    let mut buf = AlignedBuf::new(WRITE);
    let mut done = Done::default();
    for _ in 0..n {
        let slot = *next % slots;
        let first = slot * (WRITE / BLOCK) as u64;
        for (i, block) in buf.chunks_mut(BLOCK).enumerate() {
            fill_block(first + i as u64, block);
        }
        let start = Instant::now();
        let (r, back) = file.write_at(buf, slot * WRITE as u64).await;
        buf = back;
        match r {
            Ok(w) if w == WRITE => {}
            Ok(w) => return Err(format!("wrote {w} of {WRITE} bytes at slot {slot}")),
            Err(e) => return Err(format!("write of slot {slot}: {e}")),
        }
        if (slot + 1) % WRITES_PER_SYNC == 0 {
            file.sync_data()
                .await
                .map_err(|e| format!("fdatasync: {e}"))?;
        }
        let _ = hist.borrow_mut().record(start.elapsed().as_nanos() as u64);
        *next += 1;
        done.ops += 1;
        done.bytes += WRITE as u64;
    }
    if n > 0 {
        // Read back the last block written, through the same file.
        let last = ((*next - 1) % slots + 1) * (WRITE / BLOCK) as u64 - 1;
        let (r, back) = file
            .read_at(AlignedBuf::new(BLOCK), last * BLOCK as u64)
            .await;
        if !matches!(r, Ok(BLOCK)) || !check_block(last, &back) {
            return Err(format!("block {last} did not read back as written ({r:?})"));
        }
    }
    Ok(done)
}

/// All of `futs`, polled together in one task (no spawn: a queue depth is
/// one task with that many operations in flight). Written here because it
/// is a few lines on `futures-lite`'s `poll_fn`.
pub async fn join_all<F: Future>(futs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut futs: Vec<_> = futs.map(|f| Some(Box::pin(f))).collect();
    let mut out: Vec<Option<F::Output>> = futs.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, o) in futs.iter_mut().zip(out.iter_mut()) {
            if let Some(fut) = f {
                match fut.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        *o = Some(v);
                        *f = None;
                    }
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter()
        .map(|o| o.expect("every future ended"))
        .collect()
}

/// Threads of this process now (`/proc/self/task`: the kernel's io_uring
/// workers of its rings included).
pub fn threads_now() -> Option<f64> {
    std::fs::read_dir("/proc/self/task")
        .ok()
        .map(|d| d.count() as f64)
}

/// The thread count once the threads of earlier cases have ended (it has
/// not changed for 20 ms; at most 0.5 s), the baseline of
/// [`ThreadsAdded`].
fn settled_threads() -> Option<f64> {
    let mut last = threads_now()?;
    let mut still = 0;
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(5));
        let now = threads_now()?;
        still = if now == last { still + 1 } else { 0 };
        last = now;
        if still >= 4 {
            break;
        }
    }
    Some(last)
}

/// The most threads a routine's runtime (its pools, its rings' workers)
/// added to the process at the end of any call, over the count before it
/// was built.
#[derive(Debug, Clone, Copy)]
pub struct ThreadsAdded {
    before: Option<f64>,
    most: Option<f64>,
}

impl ThreadsAdded {
    /// Call before building the runtime.
    pub fn start() -> ThreadsAdded {
        ThreadsAdded {
            before: settled_threads(),
            most: None,
        }
    }

    /// Call at the end of each call.
    pub fn seen(&mut self) {
        if let (Some(before), Some(now)) = (self.before, threads_now()) {
            let added = (now - before).max(0.0);
            self.most = Some(self.most.map_or(added, |m| m.max(added)));
        }
    }

    /// Threads that came and went within a call (a floor's scoped threads).
    pub fn at_least(&mut self, n: usize) {
        self.most = Some(self.most.map_or(n as f64, |m| m.max(n as f64)));
    }

    pub fn most(&self) -> Option<f64> {
        self.most
    }
}

/// A [`FileCase`] on runtime `R`, on the calling thread: each call runs its
/// operations as the root future of one `block_on`.
pub struct FileBench<R: Runtime> {
    rt: R,
    file: R::File,
    case: FileCase,
    test: TestFile,
    description: Description,
    topology: String,
    work: Work,
    hist: RefCell<Histogram<u64>>,
    cpu: Duration,
    threads: ThreadsAdded,
    calls: u64,
    next_write: u64,
}

impl<R: Runtime> std::fmt::Debug for FileBench<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileBench")
            .field("runtime", &R::NAME)
            .field("case", &self.case)
            .field("work", &self.work)
            .finish()
    }
}

impl<R: Runtime> FileBench<R> {
    /// Builds `R` here and opens the test file (or the writes' file) for `case`.
    pub fn new(config: &Config, case: FileCase, test: &TestFile) -> Result<Self, String> {
        let threads = ThreadsAdded::start();
        let rt = R::new(config).map_err(|e| e.0)?;
        let path = test.ready_for(case)?;
        let file = rt
            .block_on(R::open_file(path.clone(), case.options()))
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let mut description = rt.describe();
        description.knobs.insert(
            "queue depth".into(),
            format!("{}: one task, joined futures", case.depth()),
        );
        Ok(FileBench {
            rt,
            file,
            case,
            test: test.clone(),
            description,
            topology: crate::topology(sys::allowed_cpus().len()),
            work: Work::default(),
            hist: RefCell::new(hdr::histogram()),
            cpu: Duration::ZERO,
            threads,
            calls: 0,
            next_write: 0,
        })
    }
}

impl<R: Runtime> Routine for FileBench<R> {
    fn run(&mut self, iters: u64) -> Result<Duration, String> {
        self.calls += 1;
        let seed = mix(self.calls);
        let (file, hist, test) = (&self.file, &self.hist, &self.test);
        let next = &mut self.next_write;
        let cpu = sys::process_cpu_time();
        let start = Instant::now();
        let case = self.case;
        let done = self.rt.block_on(async {
            match case {
                FileCase::RandRead { depth, .. } => {
                    let n = iters * case.ops_per_iter();
                    reads(file, depth, test.blocks, seed, n, hist).await
                }
                FileCase::SeqWrite => writes(file, test.write_slots(), next, iters, hist).await,
            }
        });
        let elapsed = start.elapsed();
        self.cpu += sys::process_cpu_time().saturating_sub(cpu);
        self.threads.seen();
        let done = done?;
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

impl<R: Runtime> Observed for FileBench<R> {
    described!();
    fn hist_mut(&mut self) -> Option<&mut Histogram<u64>> {
        Some(self.hist.get_mut())
    }
    /// The whole process's CPU time (the runtime's pools included).
    fn server_cpu(&self) -> Option<Duration> {
        Some(self.cpu)
    }
    fn extra(&self) -> BTreeMap<String, f64> {
        figures([("threads", self.threads.most())])
    }
}

/// Builds a [`FileCase`] on one adapter, boxed for the harness.
pub type BuildFile = fn(FileCase, &Config, &TestFile) -> Result<Box<dyn Observed>, String>;

/// Every adapter compiled in, in the list's order, with its [`FileBench`]
/// constructor.
pub fn file_runtimes() -> Vec<(&'static str, BuildFile)> {
    struct Each(Vec<(&'static str, BuildFile)>);
    impl rtbench_runtimes::Visit for Each {
        fn runtime<R: Runtime>(&mut self) {
            self.0.push((R::NAME, |case, config, test| {
                Ok(Box::new(FileBench::<R>::new(config, case, test)?))
            }));
        }
    }
    let mut each = Each(Vec::new());
    rtbench_runtimes::visit(&mut each);
    each.0
}
