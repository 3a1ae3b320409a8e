//! `async-std`: async-std's global work-stealing executor. Discontinued
//! upstream (smol is its successor); kept as a data point.

use crate::futures_io::FioConn;
use crate::{
    Config, Description, Flavor, Listener, Runtime, TimerClass, Unavailable, WorkStealing,
    base_description,
};
use crate::file::{FileOptions, Pool, PoolFile};
use std::future::Future;
use std::path::PathBuf;
use std::io;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

/// async-std's blocking pool, which its files run on.
#[derive(Debug)]
pub enum AsyncStdPool {}

impl Pool for AsyncStdPool {
    fn run<T: Send + 'static>(
        f: impl FnOnce() -> T + Send + 'static,
    ) -> impl Future<Output = T> + 'static {
        async_std::task::spawn_blocking(f)
    }
}

/// Worker count the process-wide executor was started with.
static WORKERS: OnceLock<usize> = OnceLock::new();

/// async-std's global executor (async-global-executor), started once per
/// process with exactly `workers` threads. Its threads inherit the CPU mask of
/// the thread that starts it.
#[derive(Debug)]
pub struct AsyncStd {
    workers: usize,
}

/// An async-std TCP stream.
pub type AsyncStdConn = FioConn<async_std::net::TcpStream>;

/// An async-std TCP listener.
#[derive(Debug)]
pub struct AsyncStdListener(async_std::net::TcpListener);

impl Listener for AsyncStdListener {
    type Conn = AsyncStdConn;

    async fn accept(&self) -> io::Result<AsyncStdConn> {
        let (stream, _) = self.0.accept().await?;
        stream.set_nodelay(true)?;
        Ok(FioConn(stream))
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

impl Runtime for AsyncStd {
    const NAME: &'static str = "async-std";
    const CRATES: &'static [&'static str] = &["async-std", "async-global-executor"];
    const FLAVOR: Flavor = Flavor::WorkStealing;
    const TIMER: TimerClass = TimerClass::Fine;
    type Conn = AsyncStdConn;
    type Listener = AsyncStdListener;
    type File = PoolFile<AsyncStdPool>;

    const HTTP: Result<&'static str, &'static str> = Ok("smol-hyper FuturesIo");
    type HttpIo = smol_hyper::rt::FuturesIo<async_std::net::TcpStream>;

    fn http_io(conn: AsyncStdConn) -> io::Result<Self::HttpIo> {
        Ok(smol_hyper::rt::FuturesIo::new(conn.0))
    }

    const FILE_API: &'static str =
        "async-std's blocking pool (task::spawn_blocking): pread, pwrite, fdatasync";

    fn open_file(path: PathBuf, options: FileOptions) -> impl Future<Output = io::Result<Self::File>> {
        PoolFile::open(path, options)
    }

    fn new(config: &Config) -> Result<Self, Unavailable> {
        let want = config.workers.max(1);
        let workers = *WORKERS.get_or_init(|| {
            async_global_executor::init_with_config(
                async_global_executor::GlobalExecutorConfig::default()
                    .with_min_threads(want)
                    .with_max_threads(want),
            );
            want
        });
        if workers != want {
            return Err(Unavailable(format!(
                "async-std's one global executor already runs {workers} worker(s) in this process; \
                 {want} cannot be had until the process restarts"
            )));
        }
        Ok(AsyncStd { workers })
    }

    fn describe(&self) -> Description {
        let mut d = base_description::<Self>(self.workers, "epoll");
        d.knobs
            .insert("min_threads = max_threads".into(), self.workers.to_string());
        d.notes
            .push("discontinued upstream; smol is its successor".into());
        d
    }

    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        async_std::task::block_on(fut)
    }

    fn spawn_local<F>(fut: F) -> impl Future<Output = F::Output> + 'static
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        async_std::task::spawn_local(fut)
    }

    fn sleep(dur: Duration) -> impl Future<Output = ()> + 'static {
        async_std::task::sleep(dur)
    }

    const YIELD: &'static str = "async_std::task::yield_now";

    fn yield_now() -> impl Future<Output = ()> + Send + 'static {
        async_std::task::yield_now()
    }

    const REMOTE: &'static str = "async_std::task::spawn";

    fn remote() -> crate::Remote {
        // Its JoinHandle detaches the task when dropped.
        crate::Remote::new(|task| {
            drop(async_std::task::spawn(task));
            true
        })
    }

    fn listener(std: std::net::TcpListener) -> io::Result<AsyncStdListener> {
        std.set_nonblocking(true)?;
        Ok(AsyncStdListener(async_std::net::TcpListener::from(std)))
    }

    async fn connect(addr: SocketAddr) -> io::Result<AsyncStdConn> {
        let stream = async_std::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(FioConn(stream))
    }
}

impl WorkStealing for AsyncStd {
    type SendConn = AsyncStdConn;

    fn send_http_io(io: Self::HttpIo) -> impl crate::http::Read + crate::http::Write + Unpin + Send + 'static {
        io
    }

    fn send_conn(conn: AsyncStdConn) -> AsyncStdConn {
        conn
    }

    fn sleep_send(dur: Duration) -> impl Future<Output = ()> + Send + 'static {
        async_std::task::sleep(dur)
    }


    fn spawn<F>(fut: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        async_std::task::spawn(fut)
    }
}
