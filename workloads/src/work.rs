//! The `work` workload's server side: every request carries its own CPU
//! cost, the server does that much real work and answers with the digest,
//! which the client checks against one it computed once per request shape.
//! The request itself (cost, encoding, reply, cost mixes) is
//! [`work_request`](rtbench_loadgen::work_request), the protocol the load generator
//! speaks.

use crate::echo::EchoCase;
use rtbench_loadgen::work_request::{HEADER, MAX_LEN, Mix, serve};
use rtbench_runtimes::Conn;

/// The length a message announces, once its first 4 bytes are in.
fn announced(buf: &[u8]) -> Option<usize> {
    let len = u32::from_le_bytes(buf.get(0..4)?.try_into().ok()?) as usize;
    Some(len)
}

/// Serves work requests on `conn` until end of stream or error: gathers each
/// whole request, does its work, writes the reply. Written once against the
/// trait, like `echo_conn`.
pub async fn work_conn<C: Conn>(mut conn: C) {
    let mut chunk = vec![0u8; MAX_LEN];
    let mut msg: Vec<u8> = Vec::with_capacity(MAX_LEN);
    loop {
        // A whole request, and what came after it (a pipelined next one).
        let len = loop {
            if let Some(len) = announced(&msg) {
                if !(HEADER..=MAX_LEN).contains(&len) {
                    return;
                }
                if msg.len() >= len {
                    break len;
                }
            }
            let (r, c) = conn.read(chunk).await;
            chunk = c;
            match r {
                Ok(0) | Err(_) => return,
                Ok(n) => msg.extend_from_slice(&chunk[..n]),
            }
        };
        if serve(&mut msg[..len]).is_err() {
            return;
        }
        let (r, m) = conn.write_all(msg, len).await;
        if r.is_err() {
            return;
        }
        msg = m;
        // Keep what came after this request (a pipelined next one) in place.
        msg.drain(..len);
    }
}

/// One `work` case: its echo shape (request size, connections), the cost
/// mix and the seed of its draws.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorkCase {
    pub echo: EchoCase,
    pub mix: Mix,
    pub seed: u64,
}

impl WorkCase {
    /// The id suffix, e.g. `skewed-64B-32c`.
    pub fn label(&self) -> String {
        format!("{}-{}", self.mix.name(), self.echo.label())
    }
}
