//! `monoio-epoll`: the `monoio` adapter ([`crate::monoio::MonoioRuntime`])
//! with monoio's epoll driver (`LegacyDriver`, built on mio) pinned instead of
//! io_uring; one per core under [`crate::per_core`].

use crate::monoio::{ENTRIES, MonoioDriver, MonoioRuntime};
use monoio::time::TimeDriver;
use std::io;

/// monoio's epoll driver.
#[derive(Debug)]
pub enum Epoll {}

impl MonoioDriver for Epoll {
    const NAME: &'static str = "monoio-epoll";
    const DRIVER: &'static str = "epoll";
    const BUILDER: &'static str =
        "RuntimeBuilder::<LegacyDriver>::new().with_entries(1024).enable_timer()";
    // monoio's epoll driver has no thread pool without its `sync` feature:
    // each file operation is a blocking call on the runtime's own thread.
    const FILE_API: &'static str = "monoio::fs::File under epoll: each read_at, write_at and \
        sync_data a blocking pread, pwrite or fdatasync on the runtime's thread (one at a time)";
    type Driver = monoio::LegacyDriver;

    fn check() -> Result<(), String> {
        Ok(())
    }

    fn build() -> io::Result<monoio::Runtime<TimeDriver<Self::Driver>>> {
        // `entries` is the capacity of mio's event list here.
        monoio::RuntimeBuilder::<monoio::LegacyDriver>::new()
            .with_entries(ENTRIES)
            .enable_timer()
            .build()
    }
}

/// The `monoio-epoll` configuration: epoll driver, timer on.
pub type MonoioEpoll = MonoioRuntime<Epoll>;
