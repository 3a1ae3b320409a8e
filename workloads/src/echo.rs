//! TCP echo: the runtime under test is the server (an accept loop and one
//! task per connection); the one fixed [`LoadGen`](rtbench_loadgen::LoadGen) drives it over loopback.

mod bench;
mod check;
mod server;

pub use bench::{CpuPerOp, ServedBench};
pub use check::BlockingClientBench;
pub use server::{EchoServer, describe, echo_conn, std_threads_description};

/// One echo case: message size and concurrent connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EchoCase {
    pub msg_bytes: usize,
    pub connections: usize,
}

impl EchoCase {
    /// The default matrix: {64 B, 4 KiB} x {1, 16, 256}; `full` widens it to
    /// {64 B, 1 KiB, 16 KiB} x {1, 16, 256, 1024}.
    pub fn matrix(full: bool) -> Vec<EchoCase> {
        let (sizes, conns): (&[usize], &[usize]) = if full {
            (&[64, 1024, 16 * 1024], &[1, 16, 256, 1024])
        } else {
            (&[64, 4096], &[1, 16, 256])
        };
        EchoCase::cross(sizes, conns)
    }

    /// Every size with every connection count, sizes outermost.
    pub fn cross(sizes: &[usize], conns: &[usize]) -> Vec<EchoCase> {
        sizes
            .iter()
            .flat_map(|&msg_bytes| {
                conns.iter().map(move |&connections| EchoCase {
                    msg_bytes,
                    connections,
                })
            })
            .collect()
    }

    /// The id suffix, e.g. `64B-16c`, `4KiB-256c`.
    pub fn label(&self) -> String {
        let size = if self.msg_bytes >= 1024 && self.msg_bytes % 1024 == 0 {
            format!("{}KiB", self.msg_bytes / 1024)
        } else {
            format!("{}B", self.msg_bytes)
        };
        format!("{size}-{}c", self.connections)
    }
}
