//! `tokio-mt`: tokio's multi-thread, work-stealing runtime with N workers.

use crate::tokio_common::{TokioConn, join, knobs, shared_runtime_items};
use crate::{
    Config, Description, Flavor, Runtime, TimerClass, Unavailable, WorkStealing, base_description,
};
use std::future::Future;
use std::time::Duration;

/// tokio `Builder::new_multi_thread().worker_threads(N).enable_all()`.
/// `block_on` runs inside a `LocalSet` on the calling thread (not a worker).
#[derive(Debug)]
pub struct TokioMt {
    rt: tokio::runtime::Runtime,
    local: tokio::task::LocalSet,
    workers: usize,
}

impl Runtime for TokioMt {
    const NAME: &'static str = "tokio-mt";
    const CRATES: &'static [&'static str] = &["tokio"];
    const FLAVOR: Flavor = Flavor::WorkStealing;
    const TIMER: TimerClass = TimerClass::Wheel1ms;
    shared_runtime_items!();

    fn new(config: &Config) -> Result<Self, Unavailable> {
        let workers = config.workers.max(1);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .map_err(|e| Unavailable(format!("tokio multi-thread runtime: {e}")))?;
        Ok(TokioMt {
            rt,
            local: tokio::task::LocalSet::new(),
            workers,
        })
    }

    fn describe(&self) -> Description {
        let mut d = base_description::<Self>(self.workers, "epoll");
        d.knobs
            .insert("builder".into(), "Builder::new_multi_thread".into());
        d.knobs
            .insert("worker_threads".into(), self.workers.to_string());
        knobs(&mut d);
        d
    }
}

impl WorkStealing for TokioMt {
    type SendConn = TokioConn;

    fn send_http_io(io: Self::HttpIo) -> impl crate::http::Read + crate::http::Write + Unpin + Send + 'static {
        io
    }

    fn send_conn(conn: TokioConn) -> TokioConn {
        conn
    }

    fn sleep_send(dur: Duration) -> impl Future<Output = ()> + Send + 'static {
        tokio::time::sleep(dur)
    }


    fn spawn<F>(fut: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        join(tokio::spawn(fut))
    }
}
