//! `smol-mt`: one smol `Executor` shared by N worker threads (work-stealing).

use crate::smol_common::{self, Detached, LOCAL, SmolConn};
use crate::{
    Config, Description, Flavor, Runtime, TimerClass, Unavailable, WorkStealing, base_description,
};
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

thread_local! {
    /// The shared executor of the `SmolMt` this thread works for.
    static SHARED: RefCell<Option<Arc<smol::Executor<'static>>>> = const { RefCell::new(None) };
}

/// `smol::Executor` run by N threads (`smol::block_on(ex.run(..))` each), as
/// smol's docs show; `block_on` runs on the calling thread with a
/// `LocalExecutor` for `!Send` tasks and does not run pool tasks itself.
#[derive(Debug)]
pub struct SmolMt {
    ex: Arc<smol::Executor<'static>>,
    local: Rc<smol::LocalExecutor<'static>>,
    stop: Option<smol::channel::Sender<()>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Runtime for SmolMt {
    const NAME: &'static str = "smol-mt";
    const CRATES: &'static [&'static str] = &["smol", "async-executor", "async-io"];
    const FLAVOR: Flavor = Flavor::WorkStealing;
    const TIMER: TimerClass = TimerClass::Fine;
    smol_common::shared_runtime_items!();

    fn new(config: &Config) -> Result<Self, Unavailable> {
        let ex = Arc::new(smol::Executor::new());
        let (stop, stopped) = smol::channel::bounded::<()>(1);
        let threads = (0..config.workers.max(1))
            .map(|i| {
                let ex = ex.clone();
                let stopped = stopped.clone();
                std::thread::Builder::new()
                    .name(format!("smol-mt-{i}"))
                    .spawn(move || {
                        SHARED.with(|s| *s.borrow_mut() = Some(ex.clone()));
                        let _ = smol::block_on(ex.run(stopped.recv()));
                    })
                    .map_err(|e| Unavailable(format!("cannot spawn a smol worker: {e}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(SmolMt {
            ex,
            local: Rc::new(smol::LocalExecutor::new()),
            stop: Some(stop),
            threads,
        })
    }

    fn describe(&self) -> Description {
        let mut d = base_description::<Self>(self.threads.len(), "epoll");
        d.knobs.insert("executor".into(), "Executor".into());
        d.knobs
            .insert("worker threads".into(), self.threads.len().to_string());
        smol_common::knobs(&mut d);
        d
    }

    const REMOTE: &'static str = "smol::Executor::spawn on the shared executor";

    fn remote() -> crate::Remote {
        let ex = SHARED.with(|s| s.borrow().clone());
        let ex = ex.expect("remote called outside a smol-mt runtime");
        crate::Remote::new(move |task| {
            ex.spawn(task).detach();
            true
        })
    }

    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        let previous = SHARED.with(|s| s.replace(Some(self.ex.clone())));
        let out = smol_common::run_local(&LOCAL, &self.local, fut);
        SHARED.with(|s| *s.borrow_mut() = previous);
        out
    }
}

impl WorkStealing for SmolMt {
    type SendConn = SmolConn;

    fn send_http_io(io: Self::HttpIo) -> impl crate::http::Read + crate::http::Write + Unpin + Send + 'static {
        io
    }

    fn send_conn(conn: SmolConn) -> SmolConn {
        conn
    }

    fn sleep_send(dur: Duration) -> impl Future<Output = ()> + Send + 'static {
        smol_common::sleep(dur)
    }

    fn spawn<F>(fut: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        SHARED.with(|s| {
            let s = s.borrow();
            let ex = s.as_ref().expect("spawn called outside a smol-mt runtime");
            Detached::new(ex.spawn(fut))
        })
    }
}

impl Drop for SmolMt {
    fn drop(&mut self) {
        self.stop.take();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
