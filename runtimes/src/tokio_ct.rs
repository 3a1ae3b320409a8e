//! `tokio-ct`: tokio's current-thread runtime; one per core under [`crate::per_core`].

use crate::tokio_common::{knobs, shared_runtime_items};
use crate::{Config, Description, Flavor, Runtime, TimerClass, Unavailable, base_description};

/// tokio `Builder::new_current_thread().enable_all()`, with a `LocalSet` so
/// that `!Send` tasks can be spawned.
#[derive(Debug)]
pub struct TokioCt {
    rt: tokio::runtime::Runtime,
    local: tokio::task::LocalSet,
}

impl Runtime for TokioCt {
    const NAME: &'static str = "tokio-ct";
    const CRATES: &'static [&'static str] = &["tokio"];
    const FLAVOR: Flavor = Flavor::ThreadPerCore;
    const TIMER: TimerClass = TimerClass::Wheel1ms;
    shared_runtime_items!();

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
}
