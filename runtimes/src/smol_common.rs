//! Pieces shared by the two smol configurations.

use crate::futures_io::FioConn;
use crate::{Description, Listener};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// A smol TCP stream.
pub type SmolConn = FioConn<smol::net::TcpStream>;

/// A smol TCP listener (`async-net` over `Async<std::net::TcpListener>`).
#[derive(Debug)]
pub struct SmolListener(smol::net::TcpListener);

impl SmolListener {
    pub(crate) fn from_std(std: std::net::TcpListener) -> io::Result<Self> {
        smol::net::TcpListener::try_from(std).map(SmolListener)
    }
}

impl Listener for SmolListener {
    type Conn = SmolConn;

    async fn accept(&self) -> io::Result<SmolConn> {
        let (stream, _) = self.0.accept().await?;
        stream.set_nodelay(true)?;
        Ok(FioConn(stream))
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

pub(crate) async fn connect(addr: SocketAddr) -> io::Result<SmolConn> {
    let stream = smol::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(FioConn(stream))
}

pub(crate) async fn sleep(dur: Duration) {
    smol::Timer::after(dur).await;
}

/// A smol task that detaches instead of cancelling when dropped, to match
/// the trait's "runs whether or not awaited" contract.
#[derive(Debug)]
pub struct Detached<T>(Option<smol::Task<T>>);

impl<T> Detached<T> {
    pub(crate) fn new(task: smol::Task<T>) -> Self {
        Detached(Some(task))
    }
}

impl<T> Future for Detached<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let task = self.0.as_mut().expect("polled after completion");
        let out = Pin::new(task).poll(cx);
        if out.is_ready() {
            self.0 = None;
        }
        out
    }
}

impl<T> Drop for Detached<T> {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.detach();
        }
    }
}

/// Runs `fut` on `ex` with `ex` installed as the current thread's local
/// executor in `slot`, restoring the previous one afterwards.
pub(crate) fn run_local<F: Future>(
    slot: &'static std::thread::LocalKey<
        std::cell::RefCell<Option<std::rc::Rc<smol::LocalExecutor<'static>>>>,
    >,
    ex: &std::rc::Rc<smol::LocalExecutor<'static>>,
    fut: F,
) -> F::Output {
    let previous = slot.with(|s| s.replace(Some(ex.clone())));
    let out = smol::block_on(ex.run(fut));
    slot.with(|s| *s.borrow_mut() = previous);
    out
}

/// Spawns on the local executor installed in `slot`.
pub(crate) fn spawn_in<F>(
    slot: &'static std::thread::LocalKey<
        std::cell::RefCell<Option<std::rc::Rc<smol::LocalExecutor<'static>>>>,
    >,
    fut: F,
) -> Detached<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    slot.with(|s| {
        let s = s.borrow();
        let ex = s.as_ref().expect("spawn_local called outside block_on");
        Detached::new(ex.spawn(fut))
    })
}

pub(crate) fn knobs(d: &mut Description) {
    d.knobs.insert(
        "block_on".into(),
        "smol::block_on (async-io reactor)".into(),
    );
}

thread_local! {
    /// The `LocalExecutor` of the `block_on` running on this thread, for `spawn_local`.
    pub(crate) static LOCAL: std::cell::RefCell<Option<std::rc::Rc<smol::LocalExecutor<'static>>>> =
        const { std::cell::RefCell::new(None) };
}

/// The `blocking` crate's pool (`smol::unblock`), which `async-fs` runs on.
#[derive(Debug)]
pub enum BlockingPool {}

impl crate::file::Pool for BlockingPool {
    fn run<T: Send + 'static>(
        f: impl FnOnce() -> T + Send + 'static,
    ) -> impl std::future::Future<Output = T> + 'static {
        smol::unblock(f)
    }
}

/// The `Runtime` items both smol configurations share: they differ only in
/// which executors `block_on` drives.
macro_rules! shared_runtime_items {
    () => {
        type Conn = $crate::smol_common::SmolConn;
        type Listener = $crate::smol_common::SmolListener;
        type File = $crate::file::PoolFile<$crate::smol_common::BlockingPool>;

        const HTTP: Result<&'static str, &'static str> = Ok("smol-hyper FuturesIo");
        type HttpIo = smol_hyper::rt::FuturesIo<smol::net::TcpStream>;

        fn http_io(conn: $crate::smol_common::SmolConn) -> std::io::Result<Self::HttpIo> {
            Ok(smol_hyper::rt::FuturesIo::new(conn.0))
        }

        const FILE_API: &'static str =
            "async-fs's blocking pool (smol::unblock): pread, pwrite, fdatasync";

        fn open_file(
            path: std::path::PathBuf,
            options: $crate::file::FileOptions,
        ) -> impl std::future::Future<Output = std::io::Result<Self::File>> {
            $crate::file::PoolFile::open(path, options)
        }

        fn spawn_local<F>(fut: F) -> impl std::future::Future<Output = F::Output> + 'static
        where
            F: std::future::Future + 'static,
            F::Output: 'static,
        {
            $crate::smol_common::spawn_in(&$crate::smol_common::LOCAL, fut)
        }

        fn sleep(dur: std::time::Duration) -> impl std::future::Future<Output = ()> + 'static {
            $crate::smol_common::sleep(dur)
        }

        fn listener(
            std: std::net::TcpListener,
        ) -> std::io::Result<$crate::smol_common::SmolListener> {
            $crate::smol_common::SmolListener::from_std(std)
        }

        fn connect(
            addr: std::net::SocketAddr,
        ) -> impl std::future::Future<Output = std::io::Result<$crate::smol_common::SmolConn>> {
            $crate::smol_common::connect(addr)
        }
    };
}
pub(crate) use shared_runtime_items;
