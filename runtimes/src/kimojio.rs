//! `kimojio`: kimojio's thread-per-core io_uring runtime (Azure), its default
//! configuration except that `block_on` returns when its future completes;
//! one per core under [`crate::per_core`].

use crate::{
    BufResult, Config, Conn, Description, Flavor, Listener, Runtime, TimerClass, Unavailable,
    base_description, sys,
};
use kimojio::configuration::{BusyPoll, Configuration, ExitBehavior};
use kimojio::operations::{self, AddressFamily, RecvFlags, SendFlags, SocketType, ipproto};
use kimojio::{Errno, OwnedFd, TaskHandleError};
use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// The oldest kernel kimojio supports (`run_with_configuration` panics below
/// it; `Runtime::new` does not check, so the adapter does).
const MIN_KERNEL: (u32, u32) = (5, 15);

/// The thread index kimojio records in its trace events (it has no other
/// use); every core passes 0.
const THREAD_INDEX: u8 = 0;

/// kimojio keeps a task's slot index as a `u16` (`task.rs`): the number of
/// live tasks it can hold.
const MAX_LIVE_TASKS: usize = u16::MAX as usize;

/// kimojio's runtime on the calling thread:
/// `Runtime::new(0, Configuration::new().set_exit_behavior(WhenMainTaskCompletes)
/// .set_busy_poll(Never))`.
///
/// Its state (the io_uring rings and the task table) is a thread local that
/// kimojio creates on first use; `block_on(&mut self)` sits behind a
/// `RefCell`.
pub struct Kimojio {
    rt: RefCell<kimojio::Runtime>,
}

impl std::fmt::Debug for Kimojio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kimojio").finish_non_exhaustive()
    }
}

/// The configuration every `Kimojio` runs with.
fn configuration() -> Configuration {
    Configuration::new()
        // kimojio's default (`WhenEmpty`) runs `block_on` until every task
        // has finished; rtbench's `block_on` returns with its future.
        .set_exit_behavior(ExitBehavior::WhenMainTaskCompletes)
        // kimojio's default, set so the recorded value is the one in use.
        .set_busy_poll(BusyPoll::Never)
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic".into())
}

/// Why kimojio panicked while starting, as a reason: its ring setup
/// (`task.rs`, `Ring::new`) unwraps the `io::Error`.
fn start_panic(what: &str, p: &(dyn std::any::Any + Send)) -> Unavailable {
    let msg = panic_message(p);
    let hint = if msg.contains("code: 12,") || msg.contains("OutOfMemory") {
        " (locked memory for the ring: raise `ulimit -l`)"
    } else {
        ""
    };
    Unavailable(format!("kimojio panicked {what}: {msg}{hint}"))
}

fn io_err(e: Errno) -> io::Error {
    io::Error::from_raw_os_error(e.raw_os_error())
}

impl Runtime for Kimojio {
    const NAME: &'static str = "kimojio";
    const CRATES: &'static [&'static str] = &["kimojio"];
    const FLAVOR: Flavor = Flavor::ThreadPerCore;
    /// Each sleep is an io_uring timeout (`IORING_OP_TIMEOUT`, an hrtimer in
    /// the kernel), not a wheel.
    const TIMER: TimerClass = TimerClass::Fine;
    // A wake from another thread fails kimojio's assertion "It is incorrect
    // to wake a uringruntime task from another thread"; its own way in is a
    // `RuntimeHandle` channel (a pipe), not adapted here.
    const WAKE_FROM_ANOTHER_THREAD: bool = false;
    // A task's slot is a u16 (`task.rs`): a spawn past 65,535 live tasks
    // panics (`task.rs:788`).
    const MAX_LIVE_TASKS: Option<usize> = Some(65_535);
    type Conn = KimojioConn;
    type Listener = KimojioListener;
    type File = KimojioFile;

    const HTTP: Result<&'static str, &'static str> = Err(
        "kimojio 0.19 has no poll-based stream (futures-io or tokio-io) and no hyper support: \
         only async read and write methods on borrowed buffers",
    );
    type HttpIo = crate::http::NoHyper;

    fn http_io(_: KimojioConn) -> io::Result<Self::HttpIo> {
        crate::http::unsupported(Self::HTTP.unwrap_err())
    }

    const FILE_API: &'static str =
        "kimojio operations::pread, pwrite on io_uring; fsync (it has no fdatasync); opened with std";

    async fn open_file(
        path: std::path::PathBuf,
        options: crate::file::FileOptions,
    ) -> io::Result<KimojioFile> {
        // Opening is not what is measured: std's open, then kimojio's I/O.
        let file = options.std().open(path)?;
        Ok(KimojioFile(OwnedFd::from(file)))
    }

    fn new(_config: &Config) -> Result<Self, Unavailable> {
        sys::io_uring_available().map_err(|why| Unavailable(format!("kimojio: {why}")))?;
        let kernel = operations::kernel_version();
        if kernel < MIN_KERNEL {
            return Err(Unavailable(format!(
                "kimojio needs Linux {}.{} or later, this is {}.{}",
                MIN_KERNEL.0, MIN_KERNEL.1, kernel.0, kernel.1
            )));
        }
        // `Runtime::new` creates this thread's rings (unwrapping their setup
        // and probe) and a pipe pair (unwrapped).
        let rt = catch_unwind(|| kimojio::Runtime::new(THREAD_INDEX, configuration()))
            .map_err(|p| start_panic("while starting", &*p))?;
        let rt = Kimojio {
            rt: RefCell::new(rt),
        };
        // kimojio panics on a ring error in `submit_and_wait`; one short
        // timed wait here turns that into a reason.
        catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async {
                operations::sleep(Duration::from_micros(50))
                    .await
                    .map_err(io_err)
            })
        }))
        .map_err(|p| start_panic("in its first timed wait", &*p))?
        .map_err(|e| Unavailable(format!("kimojio: first timed wait failed: {e}")))?;
        Ok(rt)
    }

    fn describe(&self) -> Description {
        let mut d = base_description::<Self>(1, "io_uring");
        d.knobs.insert(
            "builder".into(),
            "Runtime::new(0, Configuration::new().set_exit_behavior(WhenMainTaskCompletes)\
             .set_busy_poll(Never))"
                .into(),
        );
        d.knobs.insert(
            "exit_behavior".into(),
            "WhenMainTaskCompletes (kimojio's default: WhenEmpty)".into(),
        );
        d.knobs
            .insert("busy_poll".into(), "Never (kimojio default)".into());
        d.knobs
            .insert("thread_index".into(), THREAD_INDEX.to_string());
        d.knobs.insert(
            "entries".into(),
            format!(
                "{} (kimojio::task::IO_URING_SUBMISSION_ENTRIES, fixed), for its ring \
                 and for its idle IOPOLL ring",
                kimojio::task::IO_URING_SUBMISSION_ENTRIES
            ),
        );
        d.knobs.insert(
            "io_uring setup".into(),
            "no sqpoll, no single_issuer (feature setup_single_issuer off), \
             no registered buffers (kimojio defaults)"
                .into(),
        );
        d.knobs.insert(
            "features".into(),
            "default-features = false (no tls: it pulls in openssl)".into(),
        );
        d.knobs.insert(
            "tcp".into(),
            "recv/send (flags NOSIGNAL on send); connect via io_uring socket + connect; \
             TCP_NODELAY on every stream"
                .into(),
        );
        d.notes.push(format!(
            "kimojio holds at most {MAX_LIVE_TASKS} live tasks: it keeps a task's index as \
             a u16 (task.rs), and past that a completing task's index wraps to 0 and \
             TaskState::complete_task panics (NonZeroUsize::new(0).unwrap(), task.rs:788); \
             block_on's own task and kimojio's runtime-server task count, so 65,533 spawned \
             tasks run and 65,534 panic; cases with more live tasks fail"
        ));
        d.notes.push(
            "kimojio's block_on tears the thread's runtime down when it returns (runtime.rs: \
             tasks still pending are dropped, the rings are made anew): tasks spawned in one \
             block_on do not resume in the next, and awaiting such a task's handle in a later \
             block_on never completes"
                .into(),
        );
        d.notes.push(
            "a timer dropped after its first poll wakes its task once more: dropping the \
             submitted timeout submits an AsyncCancel but leaves the waker in the completion, \
             and the -ECANCELED completion wakes it (ring_future.rs Drop, runtime.rs \
             process_completions); the conformance suite allows that one wake for kimojio"
                .into(),
        );
        d
    }

    /// kimojio's `block_on` needs a `'static` future and ends by dropping
    /// every task left (each call starts on fresh rings), so tasks spawned in
    /// one call do not resume in the next (their handles, awaited in a later
    /// call, never complete): kimojio has no configuration that keeps them.
    /// A task's panic is caught by kimojio and re-raised here.
    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        let mut out = None;
        let slot: Slot = {
            let out = &mut out;
            let fut: Pin<Box<dyn Future<Output = ()> + '_>> = Box::pin(async move {
                *out = Some(fut.await);
            });
            // SAFETY: the future borrows `out` and owns `fut`, both of this
            // frame. kimojio only reaches it through `Erased`, which sees
            // `None` once `clear` below has taken it out of the slot, and
            // `clear` drops it before this frame ends, on every path
            // (return or unwind): nothing of it is used after the borrows end.
            Rc::new(RefCell::new(Some(unsafe {
                std::mem::transmute::<
                    Pin<Box<dyn Future<Output = ()> + '_>>,
                    Pin<Box<dyn Future<Output = ()> + 'static>>,
                >(fut)
            })))
        };
        let clear = Clear(slot.clone());
        let r = self
            .rt
            .try_borrow_mut()
            .expect("kimojio: block_on called inside block_on")
            .block_on(Erased(slot));
        match r {
            Some(Ok(())) => {}
            Some(Err(p)) => std::panic::resume_unwind(p),
            None => panic!("kimojio: the loop was shut down before the future completed"),
        }
        drop(clear);
        out.expect("kimojio: block_on returned before its future completed")
    }

    fn spawn_local<F>(fut: F) -> impl Future<Output = F::Output> + 'static
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        // Spawned now, not at the first poll. kimojio's `TaskHandle` lets its
        // task run when dropped (it only stops waiting: `async_event.rs`).
        let handle = operations::spawn_task(fut);
        async move {
            match handle.await {
                Ok(v) => v,
                Err(TaskHandleError::Panic(p)) => std::panic::resume_unwind(p),
                Err(e) => panic!("kimojio task did not finish: {e:?}"),
            }
        }
    }

    fn sleep(dur: Duration) -> impl Future<Output = ()> + 'static {
        // kimojio's timeout is relative and submitted at the first poll;
        // `sleep_until` called at the first poll turns the deadline taken
        // now into what is left of it then.
        let deadline = Instant::now() + dur;
        async move {
            if let Err(e) = operations::sleep_until(deadline).await {
                panic!("kimojio: sleep failed: {e}");
            }
        }
    }

    /// kimojio's return to its main loop (its `yield_cpu` also lowers the
    /// task to CPU priority).
    const YIELD: &'static str = "kimojio::operations::yield_io";

    fn yield_now() -> impl Future<Output = ()> + Send + 'static {
        operations::yield_io()
    }

    fn listener(std: std::net::TcpListener) -> io::Result<KimojioListener> {
        // Adopts the fd (SO_REUSEPORT and port kept), in blocking mode as
        // kimojio's own sockets are: io_uring never blocks the thread on it.
        std.set_nonblocking(false)?;
        Ok(KimojioListener(std))
    }

    async fn connect(addr: SocketAddr) -> io::Result<KimojioConn> {
        let domain = if addr.is_ipv4() {
            AddressFamily::INET
        } else {
            AddressFamily::INET6
        };
        let fd = operations::socket(domain, SocketType::STREAM, Some(ipproto::TCP))
            .await
            .map_err(io_err)?;
        operations::connect(&fd, &addr).await.map_err(io_err)?;
        KimojioConn::new(fd)
    }
}

type Slot = Rc<RefCell<Option<Pin<Box<dyn Future<Output = ()>>>>>>;

/// The future kimojio runs: polls the one in the slot while it is there.
struct Erased(Slot);

impl Future for Erased {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut slot = self.0.borrow_mut();
        let Some(fut) = slot.as_mut() else {
            return Poll::Ready(());
        };
        let done = fut.as_mut().poll(cx).is_ready();
        if done {
            let fut = slot.take();
            drop(slot);
            drop(fut);
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

/// Drops what is left in the slot when `block_on` ends, however it ends.
struct Clear(Slot);

impl Drop for Clear {
    fn drop(&mut self) {
        match self.0.try_borrow_mut() {
            Ok(mut slot) => {
                let fut = slot.take();
                drop(slot);
                drop(fut);
            }
            // Only while the future is being polled, which no unwind out of
            // `block_on` leaves behind; never let it outlive its borrows.
            Err(_) => std::process::abort(),
        }
    }
}

/// A kimojio TCP stream (its fd) with `TCP_NODELAY` set.
#[derive(Debug)]
pub struct KimojioConn(OwnedFd);

impl KimojioConn {
    fn new(fd: OwnedFd) -> io::Result<Self> {
        socket2::SockRef::from(&fd).set_tcp_nodelay(true)?;
        Ok(KimojioConn(fd))
    }
}

impl Conn for KimojioConn {
    async fn read(&mut self, mut buf: Vec<u8>) -> BufResult<usize> {
        // A borrowed slice of `..len`: the length never changes. Dropped
        // mid-read, kimojio cancels and waits for the kernel to let go of
        // the buffer (`ring_future.rs`).
        let r = operations::recv(&self.0, &mut buf[..], RecvFlags::empty(), None)
            .await
            .map_err(io_err);
        (r, buf)
    }

    async fn write_all(&mut self, buf: Vec<u8>, len: usize) -> BufResult<()> {
        // Panics as indexing `buf[..len]` does in the other adapters.
        assert!(
            len <= buf.len(),
            "write_all: len {len} > buf.len() {}",
            buf.len()
        );
        let mut done = 0;
        while done < len {
            match operations::send(&self.0, &buf[done..len], SendFlags::NOSIGNAL, None).await {
                Ok(0) => return (Err(io::ErrorKind::WriteZero.into()), buf),
                Ok(n) => done += n,
                Err(Errno::INTR) => {}
                Err(e) => return (Err(io_err(e)), buf),
            }
        }
        (Ok(()), buf)
    }
}

/// A listening socket served by kimojio's io_uring accept.
#[derive(Debug)]
pub struct KimojioListener(std::net::TcpListener);

impl Listener for KimojioListener {
    type Conn = KimojioConn;

    async fn accept(&self) -> io::Result<KimojioConn> {
        KimojioConn::new(operations::accept(&self.0).await.map_err(io_err)?)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// A file descriptor driven by kimojio's io_uring operations.
#[derive(Debug)]
pub struct KimojioFile(OwnedFd);

impl crate::file::File for KimojioFile {
    async fn read_at(
        &self,
        mut buf: crate::file::AlignedBuf,
        offset: u64,
    ) -> crate::file::FileResult<usize> {
        let r = operations::pread(&self.0, &mut buf, offset).await;
        (r.map_err(io_err), buf)
    }

    async fn write_at(
        &self,
        buf: crate::file::AlignedBuf,
        offset: u64,
    ) -> crate::file::FileResult<usize> {
        let r = operations::pwrite(&self.0, &buf, offset).await;
        (r.map_err(io_err), buf)
    }

    async fn sync_data(&self) -> io::Result<()> {
        operations::fsync(&self.0).await.map_err(io_err)
    }
}
