//! `smol-local`: smol's single-threaded `LocalExecutor`; one per core under [`crate::per_core`].

use crate::smol_common::{self, LOCAL, SmolConn, SmolListener};
use crate::{Config, Description, Flavor, Runtime, TimerClass, Unavailable, base_description};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

/// A `smol::LocalExecutor` driven by `smol::block_on` on the calling thread.
#[derive(Debug)]
pub struct SmolLocal {
    ex: Rc<smol::LocalExecutor<'static>>,
}

impl Runtime for SmolLocal {
    const NAME: &'static str = "smol-local";
    const FLAVOR: Flavor = Flavor::ThreadPerCore;
    const TIMER: TimerClass = TimerClass::Fine;
    type Conn = SmolConn;
    type Listener = SmolListener;

    fn new(_config: &Config) -> Result<Self, Unavailable> {
        Ok(SmolLocal {
            ex: Rc::new(smol::LocalExecutor::new()),
        })
    }

    fn describe(&self) -> Description {
        let mut d = base_description::<Self>(1, "epoll");
        d.knobs.insert("executor".into(), "LocalExecutor".into());
        smol_common::knobs(&mut d);
        d
    }

    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        smol_common::run_local(&LOCAL, &self.ex, fut)
    }

    fn spawn_local<F>(fut: F) -> impl Future<Output = F::Output> + 'static
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        smol_common::spawn_in(&LOCAL, fut)
    }

    fn sleep(dur: Duration) -> impl Future<Output = ()> + 'static {
        smol_common::sleep(dur)
    }

    fn listener(std: std::net::TcpListener) -> io::Result<SmolListener> {
        SmolListener::from_std(std)
    }

    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<SmolConn>> {
        smol_common::connect(addr)
    }
}
