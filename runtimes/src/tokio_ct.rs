//! `tokio-ct`: tokio's current-thread runtime; one per core under [`crate::per_core`].

use crate::tokio_common::{TokioConn, TokioListener, join, knobs};
use crate::{Config, Description, Flavor, Runtime, TimerClass, Unavailable, base_description};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

/// tokio `Builder::new_current_thread().enable_all()`, with a `LocalSet` so
/// that `!Send` tasks can be spawned.
#[derive(Debug)]
pub struct TokioCt {
    rt: tokio::runtime::Runtime,
    local: tokio::task::LocalSet,
}

impl Runtime for TokioCt {
    const NAME: &'static str = "tokio-ct";
    const FLAVOR: Flavor = Flavor::ThreadPerCore;
    const TIMER: TimerClass = TimerClass::Wheel1ms;
    type Conn = TokioConn;
    type Listener = TokioListener;

    fn new(_config: &Config) -> Result<Self, Unavailable> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Unavailable(format!("tokio current-thread runtime: {e}")))?;
        Ok(TokioCt {
            rt,
            local: tokio::task::LocalSet::new(),
        })
    }

    fn describe(&self) -> Description {
        let mut d = base_description::<Self>(1, "epoll");
        d.knobs
            .insert("builder".into(), "Builder::new_current_thread".into());
        knobs(&mut d);
        d
    }

    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.local.block_on(&self.rt, fut)
    }

    fn spawn_local<F>(fut: F) -> impl Future<Output = F::Output> + 'static
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        join(tokio::task::spawn_local(fut))
    }

    fn sleep(dur: Duration) -> impl Future<Output = ()> + 'static {
        tokio::time::sleep(dur)
    }

    fn listener(std: std::net::TcpListener) -> io::Result<TokioListener> {
        TokioListener::from_std(std)
    }

    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<TokioConn>> {
        TokioConn::connect(addr)
    }
}
