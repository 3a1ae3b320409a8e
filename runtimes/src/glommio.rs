//! `glommio`: glommio's `LocalExecutor` on the calling thread (io_uring); one per
//! core under [`crate::per_core`].

use crate::{
    Config, Description, Flavor, Listener, Runtime, TimerClass, Unavailable,
    base_description, sys,
};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use glommio::{LocalExecutor, LocalExecutorBuilder, Placement};
use std::cell::Cell;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{FromRawFd, IntoRawFd};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

/// rtbench's `io_memory` when [`Config::io_memory`] is `None`. glommio's own
/// default (10 MiB) does not fit under an 8 MiB `ulimit -l`, and glommio then
/// skips registering it with only a log line. 1 MiB in each of 3 rings, on 2
/// cores, fits. rtbench's workloads are network only: glommio sockets never
/// touch this memory (it backs DMA file I/O), so its size changes no result.
pub const DEFAULT_IO_MEMORY: usize = 1 << 20;

/// glommio registers `io_memory` in each of its three rings (main, latency,
/// poll: `sys/uring.rs`, `Reactor::new`), and the kernel charges every
/// registration to `RLIMIT_MEMLOCK`.
const RINGS: u64 = 3;

/// glommio refuses to start below this `ulimit -l` (`sys/uring.rs`, `MIN_MEMLOCK_LIMIT`).
const GLOMMIO_MIN_MEMLOCK: u64 = 512 * 1024;

/// glommio's default ring depth (`DEFAULT_RING_SUBMISSION_DEPTH`), set explicitly.
const RING_DEPTH: usize = 128;

/// glommio `LocalExecutorBuilder::new(Placement::Unbound)` with an explicit
/// `io_memory` and ring depth, spinning off (glommio's default).
///
/// `Unbound` because [`crate::per_core`] already pins the thread; a bound
/// placement would re-pin it (and is what glommio requires for
/// `spin_before_park`, which `Unbound` silently turns off).
#[derive(Debug)]
pub struct Glommio {
    ex: LocalExecutor,
    io_memory: usize,
    io_memory_from_config: bool,
    /// Whether `new` saw glommio's pool registered (false: could not tell).
    registered: bool,
    /// Set while `run` is on the stack: still set afterwards means it panicked.
    poisoned: Cell<bool>,
}

impl Glommio {
    /// The bytes glommio will lock for `io_memory`, rounded as glommio rounds it.
    fn locked_bytes(io_memory: usize) -> u64 {
        let rounded = (io_memory as u64).saturating_add(4095) & !4095;
        rounded.max(64 * 1024).saturating_mul(RINGS)
    }
}

impl Runtime for Glommio {
    const NAME: &'static str = "glommio";
    const CRATES: &'static [&'static str] = &["glommio"];
    const FLAVOR: Flavor = Flavor::ThreadPerCore;
    const TIMER: TimerClass = TimerClass::Fine;
    type Conn = GlommioConn;
    type Listener = GlommioListener;
    type File = GlommioFile;

    // glommio's examples/hyper_server.rs wraps its futures-io stream in
    // hyper's traits by hand; smol-hyper's wrapper is that same shim, kept.
    const HTTP: Result<&'static str, &'static str> =
        Ok("smol-hyper FuturesIo (the wrapper of glommio's hyper_server.rs example)");
    type HttpIo = smol_hyper::rt::FuturesIo<glommio::net::TcpStream>;

    fn http_io(conn: GlommioConn) -> io::Result<Self::HttpIo> {
        Ok(smol_hyper::rt::FuturesIo::new(conn.0))
    }

    const FILE_API: &'static str = "glommio DmaFile (O_DIRECT) or BufferedFile, on io_uring: \
        each block read is copied out of glommio's buffer, each written into one";

    async fn open_file(
        path: std::path::PathBuf,
        options: crate::file::FileOptions,
    ) -> io::Result<GlommioFile> {
        let mut o = glommio::io::OpenOptions::new();
        o.read(true).write(options.write).create(options.write);
        let opened = if options.direct {
            o.dma_open(path).await.map(GlommioFile::Dma)
        } else {
            o.buffered_open(path).await.map(GlommioFile::Buffered)
        };
        opened.map_err(glommio_io)
    }

    fn new(config: &Config) -> Result<Self, Unavailable> {
        sys::io_uring_available().map_err(|why| Unavailable(format!("glommio: {why}")))?;
        let io_memory = config.io_memory.unwrap_or(DEFAULT_IO_MEMORY);
        let locked = Self::locked_bytes(io_memory).max(GLOMMIO_MIN_MEMLOCK);
        sys::check_memlock(locked, "glommio (io_memory in each of its 3 rings)")
            .map_err(Unavailable)?;
        // With `ulimit -l` unlimited the check passes; glommio would then try
        // to allocate `io_memory` at once and panic (or abort) if it cannot.
        let ram = physical_memory().unwrap_or(u64::MAX);
        if locked > ram / 2 {
            return Err(Unavailable(format!(
                "glommio: {} KiB of locked memory is more than half of RAM ({} KiB)",
                locked / 1024,
                ram / 1024
            )));
        }
        let ex = catch_unwind(|| {
            LocalExecutorBuilder::new(Placement::Unbound)
                .io_memory(io_memory)
                .ring_depth(RING_DEPTH)
                .make()
        })
        .map_err(|p| {
            Unavailable(format!(
                "glommio panicked while starting: {}",
                panic_text(&p)
            ))
        })?
        .map_err(|e| Unavailable(format!("glommio: {e}")))?;
        // glommio skips registering `io_memory` when the kernel refuses (a
        // per-user limit shared with other processes and executors) and only
        // logs it. Nothing public says whether it did, except the debug form
        // of a buffer from its pool, which names its registered-buffer id.
        // The short sleep parks once: glommio's first park in a process
        // registers for membarrier(2) (about 15 ms here, sys/membarrier.rs),
        // which would otherwise land in the first measured sleep.
        let buf = catch_unwind(AssertUnwindSafe(|| {
            ex.run(async {
                let buf = format!("{:?}", glommio::allocate_dma_buffer(4096));
                glommio::timer::sleep(Duration::from_micros(50)).await;
                buf
            })
        }))
        .map_err(|p| {
            Unavailable(format!(
                "glommio panicked while starting: {}",
                panic_text(&p)
            ))
        })?;
        let registered = if buf.contains("uring_buffer_id: Some(") {
            Some(true)
        } else if buf.contains("uring_buffer_id: None") || buf.contains("Sys(") {
            Some(false)
        } else {
            None // a glommio whose debug form changed: recorded as unverified
        };
        if registered == Some(false) {
            return Err(Unavailable(format!(
                "glommio could not register its io_memory ({} KiB in each of 3 rings): \
                 the kernel refused the locked memory (RLIMIT_MEMLOCK is per user, \
                 shared with other processes); raise `ulimit -l` or lower io_memory",
                io_memory / 1024
            )));
        }
        Ok(Glommio {
            ex,
            io_memory,
            io_memory_from_config: config.io_memory.is_some(),
            registered: registered.is_some(),
            poisoned: Cell::new(false),
        })
    }

    fn describe(&self) -> Description {
        let mut d = base_description::<Self>(1, "io_uring");
        let source = if self.io_memory_from_config {
            "from Config"
        } else {
            "rtbench default"
        };
        d.knobs.insert(
            "io_memory".into(),
            format!("{} KiB ({source})", self.io_memory / 1024),
        );
        d.notes.push(
            "glommio registers io_memory in each of its 3 rings (3x locked); \
             its own 10 MiB default exceeds an 8 MiB `ulimit -l`"
                .into(),
        );
        d.knobs.insert(
            "placement".into(),
            "Placement::Unbound (rtbench pins the thread)".into(),
        );
        d.knobs.insert(
            "registered_buffers".into(),
            if self.registered {
                "yes (checked)"
            } else {
                "unverified"
            }
            .into(),
        );
        d.knobs.insert("ring_depth".into(), RING_DEPTH.to_string());
        d.knobs
            .insert("spin_before_park".into(), "off (glommio default)".into());
        d
    }

    /// `LocalExecutor::run` may be called again on the same executor: tasks
    /// left over from one call resume in the next. Not after a panic, though:
    /// a task that panics unwinds out of `run` and takes its task queue with
    /// it (`run_one_task_queue` never pushes it back), so a later `run` would
    /// hang; this panics instead.
    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        assert!(
            !self.poisoned.get(),
            "glommio: a task panicked in an earlier block_on, and glommio cannot run this executor again"
        );
        self.poisoned.set(true);
        let out = self.ex.run(fut);
        self.poisoned.set(false);
        out
    }

    fn spawn_local<F>(fut: F) -> impl Future<Output = F::Output> + 'static
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        // A glommio `Task` cancels its task when dropped; a detached handle does not.
        let handle = glommio::spawn_local(fut).detach();
        async move {
            // `None` only when the task was cancelled; a task's panic unwinds
            // out of `LocalExecutor::run` itself.
            handle
                .await
                .expect("glommio task was cancelled before it finished")
        }
    }

    fn sleep(dur: Duration) -> impl Future<Output = ()> + 'static {
        // Created now, so the deadline counts from the call, not the first poll.
        let timer = glommio::timer::Timer::new(dur);
        async move {
            timer.await;
        }
    }

    fn listener(std: std::net::TcpListener) -> io::Result<GlommioListener> {
        // glommio has no `from_std`; it adopts a bound, listening fd as is
        // (keeping SO_REUSEPORT and the port).
        let fd = std.into_raw_fd();
        Ok(GlommioListener(unsafe {
            glommio::net::TcpListener::from_raw_fd(fd)
        }))
    }

    async fn connect(addr: SocketAddr) -> io::Result<GlommioConn> {
        GlommioConn::new(glommio::net::TcpStream::connect(addr).await?)
    }
}

/// Physical memory in bytes, if known.
fn physical_memory() -> Option<u64> {
    let (pages, size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    (pages > 0 && size > 0).then(|| pages as u64 * size as u64)
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic".into())
}

/// A glommio TCP stream with `TCP_NODELAY` set.
#[derive(Debug)]
pub struct GlommioConn(glommio::net::TcpStream);

impl GlommioConn {
    fn new(stream: glommio::net::TcpStream) -> io::Result<Self> {
        stream.set_nodelay(true)?;
        Ok(GlommioConn(stream))
    }
}

impl crate::Conn for GlommioConn {
    borrowed_buffer_io!();
}

/// A glommio TCP listener.
#[derive(Debug)]
pub struct GlommioListener(glommio::net::TcpListener);

impl Listener for GlommioListener {
    type Conn = GlommioConn;

    async fn accept(&self) -> io::Result<GlommioConn> {
        GlommioConn::new(self.0.accept().await?)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.0.local_addr()?)
    }
}

/// A glommio file: `DmaFile` for `O_DIRECT`, `BufferedFile` for the page cache.
#[derive(Debug)]
pub enum GlommioFile {
    Dma(glommio::io::DmaFile),
    Buffered(glommio::io::BufferedFile),
}

fn glommio_io<T: std::fmt::Debug>(e: glommio::GlommioError<T>) -> io::Error {
    io::Error::other(e.to_string())
}

impl crate::file::File for GlommioFile {
    async fn read_at(
        &self,
        mut buf: crate::file::AlignedBuf,
        offset: u64,
    ) -> crate::file::FileResult<usize> {
        let read = match self {
            GlommioFile::Dma(f) => f.read_at_aligned(offset, buf.len()).await,
            GlommioFile::Buffered(f) => f.read_at(offset, buf.len()).await,
        };
        match read {
            Ok(data) => {
                let n = data.len().min(buf.len());
                buf[..n].copy_from_slice(&data[..n]);
                (Ok(n), buf)
            }
            Err(e) => (Err(glommio_io(e)), buf),
        }
    }

    async fn write_at(
        &self,
        buf: crate::file::AlignedBuf,
        offset: u64,
    ) -> crate::file::FileResult<usize> {
        let written = match self {
            GlommioFile::Dma(f) => {
                let mut dma = f.alloc_dma_buffer(buf.len());
                dma.as_bytes_mut().copy_from_slice(&buf);
                f.write_at(dma, offset).await
            }
            GlommioFile::Buffered(f) => f.write_at(buf.to_vec(), offset).await,
        };
        (written.map_err(glommio_io), buf)
    }

    async fn sync_data(&self) -> io::Result<()> {
        match self {
            GlommioFile::Dma(f) => f.fdatasync().await,
            GlommioFile::Buffered(f) => f.fdatasync().await,
        }
        .map_err(glommio_io)
    }
}
