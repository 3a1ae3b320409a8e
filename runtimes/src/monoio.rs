//! `monoio`: monoio's runtime with its io_uring driver pinned explicitly and its
//! timer enabled, on the calling thread; one per core under [`crate::per_core`].
//!
//! Written once over the driver ([`MonoioRuntime<D>`]): `monoio-epoll`
//! (`monoio_epoll.rs`) is the same adapter with monoio's epoll driver.

use crate::{
    BufResult, Config, Conn, Description, Flavor, Listener, Runtime, TimerClass, Unavailable,
    base_description, sys,
};
use monoio::buf::{IoBuf, IoBufMut};
use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::time::TimeDriver;
use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::panic::catch_unwind;
use std::time::Duration;

/// io_uring submission-queue entries (and, for the epoll driver, mio's event
/// capacity): monoio's default (`DEFAULT_ENTRIES` in `driver/uring/mod.rs`
/// and `driver/legacy/mod.rs`), set explicitly so the recorded value is the
/// one in use.
pub(crate) const ENTRIES: u32 = 1024;

/// The monoio cargo features rtbench builds with: monoio's defaults without
/// the API-only ones (`macros`, `utils`, `bytes`).
const FEATURES: &str = "iouring, legacy, async-cancel (monoio defaults minus macros/utils/bytes; \
                        no `sync`, as by default)";

/// Which monoio driver a configuration pins. monoio's own default
/// (`FusionDriver`) picks io_uring when `detect_uring()` says so and silently
/// falls back to epoll otherwise; rtbench names the driver instead.
pub trait MonoioDriver: 'static {
    /// The configuration name.
    const NAME: &'static str;
    /// The driver as recorded (`io_uring`, `epoll`).
    const DRIVER: &'static str;
    /// The builder call, as recorded.
    const BUILDER: &'static str;
    /// How its files do I/O, as recorded (`Runtime::FILE_API`).
    const FILE_API: &'static str;
    type Driver: monoio::Driver + 'static;
    /// Why this driver cannot run here, if it cannot.
    fn check() -> Result<(), String>;
    /// `RuntimeBuilder::<Driver>::new().with_entries(ENTRIES).enable_timer().build()`
    /// (`enable_timer` needs a sealed bound, so each driver builds its own).
    fn build() -> io::Result<monoio::Runtime<TimeDriver<Self::Driver>>>;
}

/// monoio's io_uring driver.
#[derive(Debug)]
pub enum IoUring {}

impl MonoioDriver for IoUring {
    const NAME: &'static str = "monoio";
    const DRIVER: &'static str = "io_uring";
    const BUILDER: &'static str =
        "RuntimeBuilder::<IoUringDriver>::new().with_entries(1024).enable_timer()";
    const FILE_API: &'static str = "monoio::fs::File on io_uring: read_at, write_at, sync_data";
    type Driver = monoio::IoUringDriver;

    fn check() -> Result<(), String> {
        sys::io_uring_available()?;
        // monoio's probe for the opcodes it uses (`utils/uring_detect.rs`,
        // what `FusionDriver` decides by). It also answers "no" when
        // MONOIO_FORCE_LEGACY_DRIVER is set, which does not affect a pinned
        // driver: then the probe is skipped.
        let forced = std::env::var("MONOIO_FORCE_LEGACY_DRIVER")
            .is_ok_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes"));
        if !forced && !monoio::utils::detect_uring() {
            return Err("this kernel's io_uring lacks an opcode monoio uses \
                        (accept, connect, send, recv, timeout, async-cancel, ...)"
                .into());
        }
        Ok(())
    }

    fn build() -> io::Result<monoio::Runtime<TimeDriver<Self::Driver>>> {
        monoio::RuntimeBuilder::<monoio::IoUringDriver>::new()
            .with_entries(ENTRIES)
            .enable_timer()
            .build()
    }
}

/// The `monoio` configuration: io_uring driver, timer on.
pub type Monoio = MonoioRuntime<IoUring>;

/// A monoio runtime with driver `D` and its timer, on the calling thread.
///
/// monoio's `block_on` takes `&mut self`; the runtime sits in a `RefCell`.
/// It may be called again: the task queue and the driver live in the
/// `Runtime`, so tasks spawned in one call resume in the next.
pub struct MonoioRuntime<D: MonoioDriver> {
    rt: RefCell<monoio::Runtime<TimeDriver<D::Driver>>>,
    _driver: PhantomData<D>,
}

impl<D: MonoioDriver> std::fmt::Debug for MonoioRuntime<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MonoioRuntime")
            .field("driver", &D::DRIVER)
            .finish_non_exhaustive()
    }
}

impl<D: MonoioDriver> Runtime for MonoioRuntime<D> {
    const NAME: &'static str = D::NAME;
    const CRATES: &'static [&'static str] = &["monoio"];
    const FLAVOR: Flavor = Flavor::ThreadPerCore;
    /// monoio's time driver is tokio's hashed wheel with 1 ms ticks, deadlines
    /// rounded up to the next ms (`time/driver/mod.rs`), on either driver.
    const TIMER: TimerClass = TimerClass::Wheel1ms;
    // Without its `sync` feature (not a default) monoio panics on a wake
    // from another thread: "waker can only be sent across threads when
    // `sync` feature enabled".
    const WAKE_FROM_ANOTHER_THREAD: bool = false;
    type Conn = MonoioConn;
    type Listener = MonoioListener;
    type File = MonoioFile;

    // Over its poll-io stream (readiness, then a non-blocking syscall),
    // as monoio's own hyper example does: its `TcpStreamCompat` would copy
    // every buffer to keep the rule that a buffer passed to poll_read or
    // poll_write stays unchanged until that call completes.
    const HTTP: Result<&'static str, &'static str> =
        Ok("monoio-compat MonoioIo over TcpStream::into_poll_io");
    type HttpIo = monoio_compat::hyper::MonoioIo<monoio::net::tcp::stream_poll::TcpStreamPoll>;

    fn http_io(conn: MonoioConn) -> io::Result<Self::HttpIo> {
        use monoio::io::IntoPollIo;
        Ok(monoio_compat::hyper::MonoioIo::new(conn.0.into_poll_io()?))
    }

    const FILE_API: &'static str = D::FILE_API;

    async fn open_file(
        path: std::path::PathBuf,
        options: crate::file::FileOptions,
    ) -> io::Result<MonoioFile> {
        use std::os::unix::fs::OpenOptionsExt;
        monoio::fs::OpenOptions::new()
            .read(true)
            .write(options.write)
            .create(options.write)
            .custom_flags(options.flags())
            .open(path)
            .await
            .map(MonoioFile)
    }

    fn new(_config: &Config) -> Result<Self, Unavailable> {
        D::check().map_err(|why| Unavailable(format!("{}: {why}", D::NAME)))?;
        let mut rt = catch_unwind(D::build)
            .map_err(|_| Unavailable(format!("{} panicked while starting", D::NAME)))?
            .map_err(|e| {
                let hint = if e.raw_os_error() == Some(libc::ENOMEM) {
                    " (locked memory for the ring: raise `ulimit -l`)"
                } else {
                    ""
                };
                Unavailable(format!("{}: {e}{hint}", D::NAME))
            })?;
        // Which driver really runs, as monoio itself reports it.
        let legacy = catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(async { monoio::utils::is_legacy() })
        }))
        .map_err(|_| Unavailable(format!("{} panicked while starting", D::NAME)))?;
        let running = if legacy { "epoll" } else { "io_uring" };
        if running != D::DRIVER {
            return Err(Unavailable(format!(
                "{}: monoio runs its {running} driver, not {}",
                D::NAME,
                D::DRIVER
            )));
        }
        Ok(MonoioRuntime {
            rt: RefCell::new(rt),
            _driver: PhantomData,
        })
    }

    fn describe(&self) -> Description {
        let mut d = base_description::<Self>(1, D::DRIVER);
        d.knobs.insert("builder".into(), D::BUILDER.into());
        d.knobs.insert(
            "driver".into(),
            format!(
                "{} (pinned, checked with monoio::utils::is_legacy)",
                D::DRIVER
            ),
        );
        d.knobs.insert("entries".into(), ENTRIES.to_string());
        d.knobs
            .insert("timer".into(), "enable_timer (1 ms wheel)".into());
        d.knobs.insert("features".into(), FEATURES.into());
        d.notes.push(
            "monoio's default FusionDriver silently falls back to epoll when io_uring \
             is unavailable; rtbench pins the driver and names it"
                .into(),
        );
        d
    }

    /// A task's panic unwinds out of `block_on` (monoio does not catch it).
    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.rt
            .try_borrow_mut()
            .expect("monoio: block_on called inside block_on")
            .block_on(fut)
    }

    fn spawn_local<F>(fut: F) -> impl Future<Output = F::Output> + 'static
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        // monoio's `JoinHandle` detaches when dropped (`task/join.rs`).
        monoio::spawn(fut)
    }

    fn sleep(dur: Duration) -> impl Future<Output = ()> + 'static {
        // Deadline taken now (`time/driver/sleep.rs`), not at the first poll.
        monoio::time::sleep(dur)
    }

    fn listener(std: std::net::TcpListener) -> io::Result<MonoioListener> {
        // Adopts the fd as is (SO_REUSEPORT and port kept); the epoll driver
        // registers it with mio, and it is already non-blocking.
        monoio::net::TcpListener::from_std(std).map(MonoioListener)
    }

    async fn connect(addr: SocketAddr) -> io::Result<MonoioConn> {
        MonoioConn::new(monoio::net::TcpStream::connect_addr(addr).await?)
    }
}

/// A monoio TCP stream with `TCP_NODELAY` set.
#[derive(Debug)]
pub struct MonoioConn(monoio::net::TcpStream);

impl MonoioConn {
    fn new(stream: monoio::net::TcpStream) -> io::Result<Self> {
        stream.set_nodelay(true)?;
        Ok(MonoioConn(stream))
    }
}

impl Conn for MonoioConn {
    async fn read(&mut self, buf: Vec<u8>) -> BufResult<usize> {
        // A `Vec` is read up to its capacity; a slice of `..len` keeps the
        // read to `buf.len()`. But monoio's `set_init` on a `Vec` sets its
        // length to what was read (`buf/io_buf.rs`, `set_len` even when
        // shorter), so the length is put back.
        let len = buf.len();
        let (r, slice) = self.0.read(buf.slice_mut(..len)).await;
        let mut buf = slice.into_inner();
        // SAFETY: `buf[..len]` was initialised when it came in; the kernel
        // wrote only inside it, and monoio only lowered the length.
        unsafe { buf.set_len(len) };
        (r, buf)
    }

    async fn write_all(&mut self, buf: Vec<u8>, len: usize) -> BufResult<()> {
        // `slice(..len)` asserts `len <= buf.len()`, as indexing would.
        let (r, slice) = self.0.write_all(buf.slice(..len)).await;
        (r.map(|_| ()), slice.into_inner())
    }
}

/// A monoio TCP listener.
#[derive(Debug)]
pub struct MonoioListener(monoio::net::TcpListener);

impl Listener for MonoioListener {
    type Conn = MonoioConn;

    async fn accept(&self) -> io::Result<MonoioConn> {
        MonoioConn::new(self.0.accept().await?.0)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// A monoio file (its driver's: io_uring, or a blocking pool under epoll).
#[derive(Debug)]
pub struct MonoioFile(monoio::fs::File);

impl crate::file::File for MonoioFile {
    async fn read_at(
        &self,
        buf: crate::file::AlignedBuf,
        offset: u64,
    ) -> crate::file::FileResult<usize> {
        self.0.read_at(buf, offset).await
    }

    async fn write_at(
        &self,
        buf: crate::file::AlignedBuf,
        offset: u64,
    ) -> crate::file::FileResult<usize> {
        self.0.write_at(buf, offset).await
    }

    async fn sync_data(&self) -> io::Result<()> {
        self.0.sync_data().await
    }
}
