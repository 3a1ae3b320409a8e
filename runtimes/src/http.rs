//! hyper on a runtime: the I/O traits an adapter's [`Runtime::HttpIo`]
//! implements (through the adapter crate its users use: hyper-util's
//! `TokioIo`, smol-hyper, monoio-compat, cyper-core), and [`NoHyper`] for an
//! adapter that cannot host hyper.
//!
//! [`Runtime::HttpIo`]: crate::Runtime::HttpIo

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

pub use hyper::rt::{Read, ReadBufCursor, Write};

/// The I/O type of an adapter that cannot host hyper: it has no values, so
/// nothing is ever served through it.
#[derive(Debug)]
pub enum NoHyper {}

impl Read for NoHyper {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        match *self {}
    }
}

impl Write for NoHyper {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, _: &[u8]) -> Poll<io::Result<usize>> {
        match *self {}
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        match *self {}
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        match *self {}
    }
}

/// The error `http_io` gives where `Runtime::HTTP` is `Err(why)`.
pub fn unsupported<T>(why: &str) -> io::Result<T> {
    Err(io::Error::new(io::ErrorKind::Unsupported, why.to_string()))
}
