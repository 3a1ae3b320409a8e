//! Connection and listener types shared by the two tokio configurations, and
//! the task-join helper they share with tokio-uring (which builds on tokio's
//! `JoinHandle`): only [`join`] is compiled without the `tokio` feature.

#[cfg(feature = "tokio")]
use crate::{Listener, SendConn};
#[cfg(feature = "tokio")]
use std::io;
#[cfg(feature = "tokio")]
use std::net::SocketAddr;
#[cfg(feature = "tokio")]
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A tokio TCP stream with `TCP_NODELAY` set.
#[cfg(feature = "tokio")]
#[derive(Debug)]
pub struct TokioConn(tokio::net::TcpStream);

#[cfg(feature = "tokio")]
impl TokioConn {
    fn new(stream: tokio::net::TcpStream) -> io::Result<Self> {
        stream.set_nodelay(true)?;
        Ok(TokioConn(stream))
    }

    pub(crate) async fn connect(addr: SocketAddr) -> io::Result<Self> {
        Self::new(tokio::net::TcpStream::connect(addr).await?)
    }

    /// The stream itself, for hyper's `TokioIo`.
    pub(crate) fn into_stream(self) -> tokio::net::TcpStream {
        self.0
    }
}

#[cfg(feature = "tokio")]
impl SendConn for TokioConn {
    borrowed_buffer_io!();
}

/// A tokio TCP listener.
#[cfg(feature = "tokio")]
#[derive(Debug)]
pub struct TokioListener(tokio::net::TcpListener);

#[cfg(feature = "tokio")]
impl TokioListener {
    pub(crate) fn from_std(std: std::net::TcpListener) -> io::Result<Self> {
        std.set_nonblocking(true)?;
        tokio::net::TcpListener::from_std(std).map(TokioListener)
    }
}

#[cfg(feature = "tokio")]
impl Listener for TokioListener {
    type Conn = TokioConn;

    async fn accept(&self) -> io::Result<TokioConn> {
        TokioConn::new(self.0.accept().await?.0)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// Awaits a tokio task, re-raising its panic.
pub(crate) async fn join<T>(handle: tokio::task::JoinHandle<T>) -> T {
    match handle.await {
        Ok(v) => v,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("task did not finish: {e}"),
    }
}

/// tokio's blocking pool (`spawn_blocking`), which `tokio::fs` runs on.
#[cfg(feature = "tokio")]
#[derive(Debug)]
pub enum TokioPool {}

#[cfg(feature = "tokio")]
impl crate::file::Pool for TokioPool {
    fn run<T: Send + 'static>(
        f: impl FnOnce() -> T + Send + 'static,
    ) -> impl std::future::Future<Output = T> + 'static {
        join(tokio::task::spawn_blocking(f))
    }
}

/// The knobs both tokio configurations set.
#[cfg(feature = "tokio")]
pub(crate) fn knobs(d: &mut crate::Description) {
    d.knobs.insert("enable_all".into(), "true".into());
    d.knobs.insert(
        "local tasks".into(),
        "tokio::task::LocalSet around block_on".into(),
    );
}

/// The `Runtime` items both tokio configurations share: they differ only in
/// how the runtime is built. Expands inside `impl Runtime for ...` of a type
/// with fields `rt` (tokio runtime) and `local` (`LocalSet`).
#[cfg(feature = "tokio")]
macro_rules! shared_runtime_items {
    () => {
        type Conn = $crate::tokio_common::TokioConn;
        type Listener = $crate::tokio_common::TokioListener;
        type File = $crate::file::PoolFile<$crate::tokio_common::TokioPool>;

        const FILE_API: &'static str =
            "tokio::fs's blocking pool (spawn_blocking): pread, pwrite, fdatasync";

        fn open_file(
            path: std::path::PathBuf,
            options: $crate::file::FileOptions,
        ) -> impl std::future::Future<Output = std::io::Result<Self::File>> {
            $crate::file::PoolFile::open(path, options)
        }

        fn block_on<F: std::future::Future>(&self, fut: F) -> F::Output {
            self.local.block_on(&self.rt, fut)
        }

        fn spawn_local<F>(fut: F) -> impl std::future::Future<Output = F::Output> + 'static
        where
            F: std::future::Future + 'static,
            F::Output: 'static,
        {
            $crate::tokio_common::join(tokio::task::spawn_local(fut))
        }

        fn sleep(dur: std::time::Duration) -> impl std::future::Future<Output = ()> + 'static {
            tokio::time::sleep(dur)
        }

        const YIELD: &'static str = "tokio::task::yield_now";

        fn yield_now() -> impl std::future::Future<Output = ()> + Send + 'static {
            tokio::task::yield_now()
        }

        const REMOTE: &'static str = "tokio::runtime::Handle::spawn";

        fn remote() -> $crate::Remote {
            let handle = tokio::runtime::Handle::current();
            $crate::Remote::new(move |task| {
                drop(handle.spawn(task));
                true
            })
        }

        const HTTP: Result<&'static str, &'static str> = Ok("hyper-util TokioIo");
        type HttpIo = hyper_util::rt::TokioIo<tokio::net::TcpStream>;

        fn http_io(conn: $crate::tokio_common::TokioConn) -> std::io::Result<Self::HttpIo> {
            Ok(hyper_util::rt::TokioIo::new(conn.into_stream()))
        }

        fn listener(
            std: std::net::TcpListener,
        ) -> std::io::Result<$crate::tokio_common::TokioListener> {
            $crate::tokio_common::TokioListener::from_std(std)
        }

        fn connect(
            addr: std::net::SocketAddr,
        ) -> impl std::future::Future<Output = std::io::Result<$crate::tokio_common::TokioConn>> {
            $crate::tokio_common::TokioConn::connect(addr)
        }
    };
}
#[cfg(feature = "tokio")]
pub(crate) use shared_runtime_items;
