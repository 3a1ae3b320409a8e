//! `compio`: compio's runtime with its io_uring driver on the calling thread;
//! one per core under [`crate::per_core`].

use crate::{
    BufResult, Config, Conn, Description, Flavor, Listener, Runtime, TimerClass, Unavailable,
    base_description, sys,
};
use compio::buf::{BufResult as CompioResult, IntoInner, IoBuf};
use compio::driver::op::OpCodeFlag;
use compio::driver::{DriverType, ProactorBuilder};
use compio::io::{AsyncRead, AsyncWriteExt};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

/// io_uring submission-queue entries: compio's default
/// (`ProactorBuilder::new`, compio-driver `lib.rs`), set explicitly so the
/// recorded value is the one in use.
const CAPACITY: u32 = 1024;

/// Scheduler ticks between polls of the driver: compio's default
/// (`RuntimeBuilder::new`, compio-runtime `lib.rs`), set explicitly.
const EVENT_INTERVAL: usize = 61;

/// `RuntimeBuilder::new().with_proactor(capacity 1024, driver_type IoUring,
/// detect_opcode_support(OpCodeFlag::basic())).event_interval(61)`, built with
/// compio's io_uring driver only (cargo features `runtime, io-uring, net,
/// time`: no `polling`, so no fallback driver is compiled in; the driver is
/// pinned and checked anyway).
#[derive(Debug)]
pub struct Compio {
    rt: compio::runtime::Runtime,
}

impl Runtime for Compio {
    const NAME: &'static str = "compio";
    const CRATES: &'static [&'static str] = &["compio", "compio-runtime", "compio-driver", "compio-executor"];
    const FLAVOR: Flavor = Flavor::ThreadPerCore;
    /// Timers are exact deadlines in a `BTreeMap` (compio-runtime
    /// `time/runtime.rs`), and the driver waits for the nearest one with an
    /// io_uring `EXT_ARG` timespec in ns (compio-driver `sys/driver/iour/mod.rs`,
    /// `submit_and_wait`): no tick.
    const TIMER: TimerClass = TimerClass::Fine;
    type Conn = CompioConn;
    type Listener = CompioListener;
    type File = CompioFile;

    const HTTP: Result<&'static str, &'static str> = Ok("cyper-core HyperStream");
    type HttpIo = cyper_core::HyperStream<compio::net::TcpStream>;

    fn http_io(conn: CompioConn) -> io::Result<Self::HttpIo> {
        Ok(cyper_core::HyperStream::new_plain(conn.0))
    }

    const FILE_API: &'static str = "compio::fs::File: read_at, write_at, sync_data";

    async fn open_file(
        path: std::path::PathBuf,
        options: crate::file::FileOptions,
    ) -> io::Result<CompioFile> {
        let mut o = compio::fs::OpenOptions::new();
        o.read(true)
            .write(options.write)
            .create(options.write)
            .custom_flags(options.flags());
        o.open(path).await.map(CompioFile)
    }

    fn new(_config: &Config) -> Result<Self, Unavailable> {
        sys::io_uring_available().map_err(|why| Unavailable(format!("compio: {why}")))?;
        let rt = catch_unwind(|| {
            let mut proactor = ProactorBuilder::new();
            proactor
                .capacity(CAPACITY)
                // Pins io_uring should the fallback ("fusion") driver ever be
                // compiled in (compio-driver `polling` feature); a no-op
                // without it (`sys/driver/fusion/mod.rs`).
                .driver_type(DriverType::IoUring)
                // Refuse at build time when the kernel lacks an opcode compio's
                // sockets use, rather than fail on first use.
                .detect_opcode_support(OpCodeFlag::basic());
            compio::runtime::RuntimeBuilder::new()
                .with_proactor(proactor)
                .event_interval(EVENT_INTERVAL)
                .build()
        })
        .map_err(|_| Unavailable("compio panicked while starting".into()))?
        .map_err(|e| {
            let hint = if e.raw_os_error() == Some(libc::ENOMEM) {
                " (locked memory for the ring: raise `ulimit -l`)"
            } else {
                ""
            };
            Unavailable(format!("compio: {e}{hint}"))
        })?;
        let driver = rt.driver_type();
        if !driver.is_iouring() {
            return Err(Unavailable(format!(
                "compio: runs its {driver:?} driver, not io_uring"
            )));
        }
        // compio panics on a driver error during a timed wait (`poll_with`);
        // one short timed wait here turns that into a reason (the wait uses
        // IORING_ENTER_EXT_ARG, Linux 5.11+).
        catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(compio::time::sleep(Duration::from_micros(50)))
        }))
        .map_err(|_| Unavailable("compio panicked in its first timed wait".into()))?;
        Ok(Compio { rt })
    }

    fn describe(&self) -> Description {
        let mut d = base_description::<Self>(1, "io_uring");
        d.knobs.insert(
            "builder".into(),
            "RuntimeBuilder::new().with_proactor(..).event_interval(61)".into(),
        );
        d.knobs.insert(
            "driver".into(),
            format!(
                "{:?} (io-uring feature only, checked with Runtime::driver_type)",
                self.rt.driver_type()
            ),
        );
        d.knobs.insert("capacity".into(), CAPACITY.to_string());
        d.knobs
            .insert("event_interval".into(), EVENT_INTERVAL.to_string());
        d.knobs
            .insert("driver_type".into(), "DriverType::IoUring".into());
        d.knobs
            .insert("detect_opcode_support".into(), "OpCodeFlag::basic()".into());
        d.knobs.insert(
            "io_uring setup".into(),
            "no sqpoll, single_issuer, coop_taskrun, defer_taskrun (compio defaults)".into(),
        );
        d.knobs.insert(
            "features".into(),
            "runtime, io-uring (compio defaults) + net, time".into(),
        );
        d
    }

    /// compio's `block_on(&self)` may be called again: the executor lives in
    /// the `Runtime`, so tasks spawned in one call resume in the next. A panic
    /// in the future drops every pending task (compio clears its executor).
    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.rt.block_on(fut)
    }

    fn spawn_local<F>(fut: F) -> impl Future<Output = F::Output> + 'static
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        // compio's `JoinHandle` cancels its task when dropped (compio-executor
        // `join_handle.rs`); `Detached` detaches it instead.
        Detached(Some(compio::runtime::spawn(fut)))
    }

    fn sleep(dur: Duration) -> impl Future<Output = ()> + 'static {
        // `compio::time::sleep` is an `async fn` that reads the clock at its
        // first poll; the deadline is taken now instead.
        compio::time::sleep_until(Instant::now() + dur)
    }

    fn listener(std: std::net::TcpListener) -> io::Result<CompioListener> {
        // Adopts the fd as is (SO_REUSEPORT and port kept).
        compio::net::TcpListener::from_std(std).map(CompioListener)
    }

    async fn connect(addr: SocketAddr) -> io::Result<CompioConn> {
        CompioConn::new(compio::net::TcpStream::connect(addr).await?)
    }
}

/// A compio task handle that detaches the task when dropped, and re-raises
/// its panic when awaited.
struct Detached<T>(Option<compio::runtime::JoinHandle<T>>);

impl<T> Future for Detached<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let handle = self
            .0
            .as_mut()
            .expect("task handle polled after completion");
        let out = ready!(Pin::new(handle).poll(cx));
        self.0 = None;
        Poll::Ready(match out {
            Ok(v) => v,
            Err(compio::runtime::JoinError::Panicked(p)) => std::panic::resume_unwind(p),
            Err(e) => panic!("compio task did not finish: {e}"),
        })
    }
}

impl<T> Drop for Detached<T> {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            handle.detach();
        }
    }
}

/// A compio TCP stream with `TCP_NODELAY` set.
#[derive(Debug)]
pub struct CompioConn(compio::net::TcpStream);

impl CompioConn {
    fn new(stream: compio::net::TcpStream) -> io::Result<Self> {
        stream.set_nodelay(true)?;
        Ok(CompioConn(stream))
    }
}

impl Conn for CompioConn {
    async fn read(&mut self, buf: Vec<u8>) -> BufResult<usize> {
        // A `Vec` is read up to its capacity; a slice of `..len` keeps the
        // read to `buf.len()`, and compio only ever raises the length
        // (`advance_to`), so it stays `len`.
        let len = buf.len();
        let CompioResult(r, slice) = self.0.read(buf.slice(..len)).await;
        (r, slice.into_inner())
    }

    async fn write_all(&mut self, buf: Vec<u8>, len: usize) -> BufResult<()> {
        // A slice past `buf.len()` would write short without error: panic as
        // indexing `buf[..len]` does in the other adapters.
        assert!(
            len <= buf.len(),
            "write_all: len {len} > buf.len() {}",
            buf.len()
        );
        let CompioResult(r, slice) = self.0.write_all(buf.slice(..len)).await;
        (r, slice.into_inner())
    }
}

/// A compio TCP listener.
#[derive(Debug)]
pub struct CompioListener(compio::net::TcpListener);

impl Listener for CompioListener {
    type Conn = CompioConn;

    async fn accept(&self) -> io::Result<CompioConn> {
        CompioConn::new(self.0.accept().await?.0)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// A compio file.
#[derive(Debug)]
pub struct CompioFile(compio::fs::File);

impl crate::file::File for CompioFile {
    async fn read_at(
        &self,
        buf: crate::file::AlignedBuf,
        offset: u64,
    ) -> crate::file::FileResult<usize> {
        use compio::io::AsyncReadAt;
        let CompioResult(r, buf) = self.0.read_at(buf, offset).await;
        (r, buf)
    }

    async fn write_at(
        &self,
        buf: crate::file::AlignedBuf,
        offset: u64,
    ) -> crate::file::FileResult<usize> {
        use compio::io::AsyncWriteAt;
        let CompioResult(r, buf) = (&self.0).write_at(buf, offset).await;
        (r, buf)
    }

    async fn sync_data(&self) -> io::Result<()> {
        self.0.sync_data().await
    }
}
