//! `smol-local`: smol's single-threaded `LocalExecutor`; one per core under [`crate::per_core`].

use crate::smol_common::{self, LOCAL};
use crate::{Config, Description, Flavor, Runtime, TimerClass, Unavailable, base_description};
use std::future::Future;
use std::rc::Rc;

/// A `smol::LocalExecutor` driven by `smol::block_on` on the calling thread.
#[derive(Debug)]
pub struct SmolLocal {
    ex: Rc<smol::LocalExecutor<'static>>,
}

impl Runtime for SmolLocal {
    const NAME: &'static str = "smol-local";
    const CRATES: &'static [&'static str] = &["smol", "async-executor", "async-io"];
    const FLAVOR: Flavor = Flavor::ThreadPerCore;
    const TIMER: TimerClass = TimerClass::Fine;
    smol_common::shared_runtime_items!();

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
}
