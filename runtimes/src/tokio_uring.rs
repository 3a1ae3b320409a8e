//! `tokio-uring`: tokio-uring's runtime (a tokio current-thread runtime and
//! `LocalSet` driving an io_uring) on the calling thread; one per core under
//! [`crate::per_core`].

use crate::tokio_common::join;
use crate::{
    BufResult, Config, Conn, Description, Flavor, Listener, Runtime, TimerClass, Unavailable,
    base_description, sys,
};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::panic::catch_unwind;
use std::time::Duration;
use tokio_uring::buf::BoundedBuf;

/// Submission-queue entries: tokio-uring's default (`tokio_uring::builder()`),
/// set explicitly so the recorded value is the one in use.
const ENTRIES: u32 = 256;

/// `tokio_uring::Runtime::new(builder().entries(256))`. No registered
/// buffers, so nothing is locked beyond the ring and `Config::io_memory` does
/// not apply.
pub struct TokioUring {
    rt: tokio_uring::Runtime,
}

impl std::fmt::Debug for TokioUring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokioUring").finish_non_exhaustive()
    }
}

impl Runtime for TokioUring {
    const NAME: &'static str = "tokio-uring";
    /// tokio-uring runs on tokio's current-thread runtime and its timer.
    const CRATES: &'static [&'static str] = &["tokio-uring", "tokio"];
    const FLAVOR: Flavor = Flavor::ThreadPerCore;
    const TIMER: TimerClass = TimerClass::Wheel1ms;
    type Conn = UringConn;
    type Listener = UringListener;
    type File = UringFile;

    const HTTP: Result<&'static str, &'static str> = Err(
        "tokio-uring 0.5's TcpStream has owned-buffer reads and writes only, no AsyncRead or \
         AsyncWrite, and no crate adapts it to hyper",
    );
    type HttpIo = crate::http::NoHyper;

    fn http_io(_: UringConn) -> io::Result<Self::HttpIo> {
        crate::http::unsupported(Self::HTTP.unwrap_err())
    }

    const FILE_API: &'static str = "tokio_uring::fs::File: read_at, write_at, sync_data";

    async fn open_file(
        path: std::path::PathBuf,
        options: crate::file::FileOptions,
    ) -> io::Result<UringFile> {
        use std::os::unix::fs::OpenOptionsExt;
        tokio_uring::fs::OpenOptions::new()
            .read(true)
            .write(options.write)
            .create(options.write)
            .custom_flags(options.flags())
            .open(path)
            .await
            .map(UringFile)
    }

    fn new(_config: &Config) -> Result<Self, Unavailable> {
        sys::io_uring_available().map_err(|why| Unavailable(format!("tokio-uring: {why}")))?;
        // `Runtime::new` unwraps registering the ring with tokio's reactor.
        let rt = catch_unwind(|| {
            let mut builder = tokio_uring::builder();
            builder.entries(ENTRIES);
            tokio_uring::Runtime::new(&builder)
        })
        .map_err(|_| Unavailable("tokio-uring panicked while starting".into()))?
        .map_err(|e| Unavailable(format!("tokio-uring: {e}")))?;
        Ok(TokioUring { rt })
    }

    fn describe(&self) -> Description {
        let mut d = base_description::<Self>(1, "io_uring");
        d.knobs.insert("entries".into(), ENTRIES.to_string());
        d.knobs.insert(
            "tokio runtime".into(),
            "current_thread, enable_all, LocalSet (built by tokio_uring::Runtime)".into(),
        );
        d
    }

    /// tokio-uring's `block_on` may be called again: tasks spawned in one call
    /// resume in the next.
    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.rt.block_on(fut)
    }

    fn spawn_local<F>(fut: F) -> impl Future<Output = F::Output> + 'static
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        join(tokio_uring::spawn(fut))
    }

    fn sleep(dur: Duration) -> impl Future<Output = ()> + 'static {
        // tokio-uring's own tokio dependency lacks "time"; ours turns it on, and
        // `Runtime::new` builds with `enable_all`, so the time driver runs.
        tokio::time::sleep(dur)
    }

    /// tokio's: tokio-uring runs its tasks on a tokio current-thread runtime.
    const YIELD: &'static str = "tokio::task::yield_now";

    fn yield_now() -> impl Future<Output = ()> + Send + 'static {
        tokio::task::yield_now()
    }

    fn listener(std: std::net::TcpListener) -> io::Result<UringListener> {
        Ok(UringListener(tokio_uring::net::TcpListener::from_std(std)))
    }

    async fn connect(addr: SocketAddr) -> io::Result<UringConn> {
        UringConn::new(tokio_uring::net::TcpStream::connect(addr).await?)
    }
}

/// A tokio-uring TCP stream with `TCP_NODELAY` set.
pub struct UringConn(tokio_uring::net::TcpStream);

impl std::fmt::Debug for UringConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UringConn").finish_non_exhaustive()
    }
}

impl UringConn {
    fn new(stream: tokio_uring::net::TcpStream) -> io::Result<Self> {
        stream.set_nodelay(true)?;
        Ok(UringConn(stream))
    }
}

impl Conn for UringConn {
    async fn read(&mut self, buf: Vec<u8>) -> BufResult<usize> {
        // A `Vec` is read up to its capacity and its length raised to match;
        // a slice of `..len` keeps both to `buf.len()`.
        let len = buf.len();
        let (r, slice) = self.0.read(buf.slice(..len)).await;
        (r, slice.into_inner())
    }

    async fn write_all(&mut self, buf: Vec<u8>, len: usize) -> BufResult<()> {
        // `slice(..len)` checks `len` against the capacity only, and a slice
        // past `buf.len()` would write short without error: panic as indexing
        // `buf[..len]` does in the other adapters.
        assert!(
            len <= buf.len(),
            "write_all: len {len} > buf.len() {}",
            buf.len()
        );
        let (r, slice) = self.0.write_all(buf.slice(..len)).await;
        (r, slice.into_inner())
    }
}

/// A tokio-uring TCP listener.
pub struct UringListener(tokio_uring::net::TcpListener);

impl std::fmt::Debug for UringListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UringListener").finish_non_exhaustive()
    }
}

impl Listener for UringListener {
    type Conn = UringConn;

    async fn accept(&self) -> io::Result<UringConn> {
        UringConn::new(self.0.accept().await?.0)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// A tokio-uring file.
#[derive(Debug)]
pub struct UringFile(tokio_uring::fs::File);

impl crate::file::File for UringFile {
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
        self.0.write_at(buf, offset).submit().await
    }

    async fn sync_data(&self) -> io::Result<()> {
        self.0.sync_data().await
    }
}
