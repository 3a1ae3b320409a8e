//! A connection over any `futures-io` stream: shared by smol and async-std.

use crate::{BufResult, SendConn};
use futures_lite::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A `futures-io` TCP stream (`TCP_NODELAY` set by whoever made it).
#[derive(Debug)]
pub struct FioConn<S>(pub(crate) S);

impl<S> SendConn for FioConn<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    async fn read(&mut self, mut buf: Vec<u8>) -> BufResult<usize> {
        let r = self.0.read(&mut buf[..]).await;
        (r, buf)
    }

    async fn write_all(&mut self, buf: Vec<u8>, len: usize) -> BufResult<()> {
        let r = self.0.write_all(&buf[..len]).await;
        (r, buf)
    }
}
