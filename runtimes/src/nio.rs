//! `nio`: nio's thread-per-core runtime; per core, one pinned worker of one
//! nio runtime (its documented server shape, through [`Runtime::per_core`]).
//!
//! nio ("a Thread-Per-Core async runtime", its README) runs N workers, each
//! with its own mio/epoll driver, timers and task queue. Its sockets are
//! `!Send`: a socket belongs to the worker that made it, and so do the
//! `!Send` tasks of `spawn_local` and `spawn_pinned(_at)`. Only `nio::spawn`'s
//! `Send` tasks move: each wake-up hands them to the least-loaded worker (a
//! push, not a steal). rtbench runs it as the other thread-per-core runtimes:
//! its server is one runtime of N workers, the task of core `i` spawned with
//! `spawn_pinned_at(i, ..)` so that its listener and connections are made on
//! worker `i`, and every connection a `spawn_local` task there.

use crate::{
    BufResult, Config, Conn, Description, Flavor, Listener, Runtime, TimerClass, Unavailable,
    base_description, sys,
};
use std::cell::RefCell;
use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::panic::{catch_unwind, resume_unwind};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake};
use std::time::{Duration, Instant};

/// One nio `LocalRuntime` of one worker, the calling thread
/// (`RuntimeBuilder::new().worker_threads(1).build()`): no other thread.
/// Per core, [`Nio::per_core`] builds one runtime of N workers instead.
pub struct Nio {
    // `LocalRuntime::block_on` takes `&mut self`; `block_on` is never nested.
    rt: RefCell<nio::LocalRuntime>,
}

impl std::fmt::Debug for Nio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nio").field("worker_threads", &1).finish()
    }
}

impl Drop for Nio {
    /// nio 0.1.4 clears the thread's nio context before its task queue drops
    /// (`EventLoop::drop`, `rt/event_loop.rs`), and a local task dropped
    /// outside its worker aborts the process in debug builds and panics in
    /// release ones (`LocalFuture::drop`, `rt/task/local.rs`). A task still
    /// queued when `block_on` returns (spawned or woken last) would do that:
    /// then the queue is leaked with its tasks (nio leaks the tasks parked on
    /// I/O or timers anyway: their wakers live in their own futures).
    fn drop(&mut self) {
        let rt = self.rt.get_mut();
        let queued: u64 = rt
            .runtime_context()
            .metrics()
            .task_counts()
            .map(|c| c.total())
            .sum();
        if queued > 0 {
            std::mem::forget(rt.local_context());
        }
    }
}

/// A nio TCP stream with `TCP_NODELAY` set.
#[derive(Debug)]
pub struct NioConn(nio::net::TcpStream);

impl NioConn {
    fn new(stream: nio::net::TcpStream) -> io::Result<Self> {
        stream.set_nodelay(true)?;
        Ok(NioConn(stream))
    }
}

impl Conn for NioConn {
    async fn read(&mut self, mut buf: Vec<u8>) -> BufResult<usize> {
        let r = self.0.read(&mut buf[..]).await;
        (r, buf)
    }

    async fn write_all(&mut self, buf: Vec<u8>, len: usize) -> BufResult<()> {
        let mut rest = &buf[..len];
        while !rest.is_empty() {
            match self.0.write(rest).await {
                Ok(0) => {
                    let e = io::Error::new(io::ErrorKind::WriteZero, "wrote 0 bytes");
                    return (Err(e), buf);
                }
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (Err(e), buf),
            }
        }
        (Ok(()), buf)
    }
}

/// A nio TCP listener. nio's `accept` takes `&mut self`; each poll borrows
/// it afresh (nio's accept future keeps no state between polls), so no
/// borrow is held across an await.
#[derive(Debug)]
pub struct NioListener(RefCell<nio::net::TcpListener>);

impl Listener for NioListener {
    type Conn = NioConn;

    async fn accept(&self) -> io::Result<NioConn> {
        let conn = poll_fn(|cx| pin!(self.0.borrow_mut().accept()).poll(cx)).await?;
        conn.set_nodelay(true)?;
        // Registers the stream with this worker's driver.
        NioConn::new(conn.connect().await?)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.borrow().local_addr()
    }
}

/// Awaits a nio task, re-raising its panic.
async fn join<T>(handle: nio::JoinHandle<T>) -> T {
    match handle.await {
        Ok(v) => v,
        Err(e) if e.is_panic() => resume_unwind(e.into_panic()),
        Err(e) => panic!("task did not finish: {e}"),
    }
}

/// Blocks this (non-nio) thread on `fut`, parking between polls.
fn wait<T>(fut: impl Future<Output = T>) -> T {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Arc::new(Unpark(std::thread::current())).into();
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

fn panic_reason(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic".into())
}

/// Builds a nio runtime, its panic (one runtime per thread) or error a reason.
fn start<T>(build: impl FnOnce() -> io::Result<T>) -> Result<T, Unavailable> {
    catch_unwind(std::panic::AssertUnwindSafe(build))
        .map_err(|p| {
            Unavailable(format!(
                "nio panicked while starting: {}",
                panic_reason(&*p)
            ))
        })?
        .map_err(|e| Unavailable(format!("nio runtime: {e}")))
}

/// nio's blocking pool (`nio::spawn_blocking`), which `nio::fs` runs on.
#[derive(Debug)]
pub enum NioPool {}

impl crate::file::Pool for NioPool {
    fn run<T: Send + 'static>(
        f: impl FnOnce() -> T + Send + 'static,
    ) -> impl Future<Output = T> + 'static {
        join(nio::spawn_blocking(f))
    }
}

impl Runtime for Nio {
    const NAME: &'static str = "nio";
    const CRATES: &'static [&'static str] = &["nio", "nio-task"];
    const FLAVOR: Flavor = Flavor::ThreadPerCore;
    // Exact `Instant` deadlines per worker, but waited for with mio's
    // epoll_wait, whose timeout is whole milliseconds rounded up: sleeps
    // end on a millisecond, as a 1 ms wheel's do (sleep-50us takes ~1.1 ms).
    const TIMER: TimerClass = TimerClass::Wheel1ms;
    type Conn = NioConn;
    type Listener = NioListener;
    type File = crate::file::PoolFile<NioPool>;

    const HTTP: Result<&'static str, &'static str> = Ok("hyper-util TokioIo (nio's tokio-io feature)");
    type HttpIo = hyper_util::rt::TokioIo<nio::net::TcpStream>;

    fn http_io(conn: NioConn) -> io::Result<Self::HttpIo> {
        Ok(hyper_util::rt::TokioIo::new(conn.0))
    }

    const FILE_API: &'static str =
        "nio::fs's blocking pool (nio::spawn_blocking): pread, pwrite, fdatasync";

    fn open_file(
        path: std::path::PathBuf,
        options: crate::file::FileOptions,
    ) -> impl Future<Output = io::Result<Self::File>> {
        crate::file::PoolFile::open(path, options)
    }

    fn new(_config: &Config) -> Result<Self, Unavailable> {
        // nio panics when this thread already has a nio runtime.
        let rt = start(|| nio::RuntimeBuilder::new().worker_threads(1).build())?;
        Ok(Nio {
            rt: RefCell::new(rt),
        })
    }

    fn describe(&self) -> Description {
        let mut d = base_description::<Self>(1, "epoll");
        d.knobs.insert(
            "builder".into(),
            "RuntimeBuilder::new().worker_threads(1).build() (a LocalRuntime on the calling thread)"
                .into(),
        );
        d.knobs.insert(
            "per core".into(),
            "one RuntimeBuilder::new().worker_threads(N).rt(); core i's task spawn_pinned_at(i), \
             which pins worker i to its CPU first"
                .into(),
        );
        d.knobs.insert(
            "cargo features".into(),
            "none (default-features = false: futures-io off; nio's own read/write used)".into(),
        );
        d.knobs.insert(
            "timer".into(),
            "deadlines in a BTreeMap, waited for by epoll_wait (millisecond timeout)".into(),
        );
        d.knobs.insert(
            "sleep".into(),
            "Sleep::at(Instant::now() + dur) (nio::sleep counts from the worker's cached clock)"
                .into(),
        );
        d.notes.push(
            "topology: one runtime, one worker thread per core, each with its own epoll, timers \
             and task queue; tasks and sockets stay on the worker that made them (nio::spawn's \
             Send tasks, which move to the least-loaded worker at each wake-up, are not used)"
                .into(),
        );
        d.notes.push(
            "nio 0.1.4 cannot pin its workers: the adapter pins worker i from inside its pinned \
             task; nio has no shutdown, so a runtime's worker threads outlive it, idle; a \
             runtime dropped with tasks still queued leaks them (nio 0.1.4 would abort)"
                .into(),
        );
        d
    }

    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.rt.borrow_mut().block_on(fut)
    }

    fn spawn_local<F>(fut: F) -> impl Future<Output = F::Output> + 'static
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        // nio's `JoinHandle` detaches its task when dropped.
        join(nio::spawn_local(fut))
    }

    fn sleep(dur: Duration) -> impl Future<Output = ()> + 'static {
        nio::Sleep::at(Instant::now() + dur)
    }

    fn listener(std: std::net::TcpListener) -> io::Result<NioListener> {
        std.set_nonblocking(true)?;
        let listener = nio::net::TcpListener::new(mio::net::TcpListener::from_std(std))?;
        Ok(NioListener(RefCell::new(listener)))
    }

    async fn connect(addr: SocketAddr) -> io::Result<NioConn> {
        NioConn::new(nio::net::TcpStream::connect(addr).await?)
    }

    /// One nio runtime of `cpus.len()` workers; core `i`'s future is
    /// `spawn_pinned_at(i)`, pins worker `i` to `cpus[i]` and is built there.
    fn per_core<F, Fut>(
        _config: &Config,
        cpus: &[usize],
        make: F,
    ) -> Result<Vec<Fut::Output>, Unavailable>
    where
        F: Fn(usize) -> Fut + Send + Clone + 'static,
        Fut: Future + 'static,
        Fut::Output: Send + 'static,
    {
        if cpus.is_empty() {
            return Ok(Vec::new());
        }
        let workers = u8::try_from(cpus.len()).map_err(|_| {
            Unavailable(format!("nio runs at most 255 workers, not {}", cpus.len()))
        })?;
        let rt = start(|| {
            nio::RuntimeBuilder::new()
                .worker_threads(workers)
                .worker_name(|i| format!("nio-core{i}"))
                .rt()
        })?;
        let ctx = rt.context();
        let handles: Vec<_> = cpus
            .iter()
            .enumerate()
            .map(|(i, &cpu)| {
                let make = make.clone();
                // The closure runs here; the future it returns runs on worker
                // `i`, where it pins the thread and then builds `make(i)`.
                ctx.spawn_pinned_at(i as u8, move || async move {
                    sys::pin_to_cpu(cpu);
                    make(i).await
                })
            })
            .collect();
        // Every task ends before a panic is raised: none outlives this call.
        let results: Vec<_> = handles.into_iter().map(wait).collect();
        results
            .into_iter()
            .map(|r| match r {
                Ok(v) => Ok(v),
                Err(e) if e.is_panic() => resume_unwind(e.into_panic()),
                Err(e) => panic!("core task did not finish: {e}"),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dropping the runtime with a task still queued must not abort (nio's
    /// own drop order would, see `Drop for Nio`), and the thread can build
    /// another runtime afterwards.
    #[test]
    fn drop_with_a_queued_task_neither_aborts_nor_poisons_the_thread() {
        for _ in 0..2 {
            let rt = Nio::new(&Config::default()).unwrap();
            rt.block_on(async {
                drop(Nio::spawn_local(async {}));
            });
            drop(rt);
        }
    }
}
