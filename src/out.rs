//! Standard output that ends quietly when its reader has gone
//! (`rtbench list | head -1`).
//!
//! Rust ignores SIGPIPE, so a write to a closed pipe fails with EPIPE, and
//! `println!` panics on it. Every command prints through [`print`] instead:
//! EPIPE becomes [`Closed`], which `main` turns into a silent exit 0 (what
//! `head` expects of the tool before it), after the command has done the
//! rest of its work (`rtbench load --results` still writes its results).
//! Not chosen: SIGPIPE back to its default. The process would then die by
//! the signal (status 141 in the shell, not the 0 `head` users expect), and
//! so would `rtbench serve` or `rtbench load` on a write to a socket whose
//! peer has gone, wherever a runtime's write path does not pass
//! `MSG_NOSIGNAL` (a plain `write(2)`, an io_uring write): a peer that
//! disconnects must cost a connection, not the server.

use std::io::{self, Write};

/// Standard output was closed by its reader; nothing more can be said there.
#[derive(Debug)]
pub struct Closed;

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("standard output closed")
    }
}

impl std::error::Error for Closed {}

/// Writes `text` to standard output and flushes it. A closed pipe is
/// [`Closed`]; any other failure is an error that says so.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(Closed.into()),
        Err(e) => Err(anyhow::anyhow!("cannot write to standard output: {e}")),
    }
}

/// [`print`] of one line (`format!` arguments, a newline added).
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::out::print(&format!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use outln;

/// Whether `e` is (or wraps) [`Closed`].
pub fn is_closed(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.is::<Closed>())
}
