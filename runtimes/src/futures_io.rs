//! A connection over any `futures-io` stream: shared by smol and async-std.

use crate::SendConn;
use futures_lite::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A `futures-io` TCP stream (`TCP_NODELAY` set by whoever made it).
#[derive(Debug)]
pub struct FioConn<S>(pub(crate) S);

impl<S> SendConn for FioConn<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    borrowed_buffer_io!();
}
