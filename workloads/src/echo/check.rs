//! The load generator's own check: a blocking client, one thread per
//! connection, must not beat it against the std-threads server.

use super::EchoCase;
use super::bench::{LOOPBACK, STALL};
use super::server::EchoServer;
use crate::server_process::ServeCommand;
use crate::{Placement, Work};
use hdrhistogram::Histogram;
use rtbench_format::{Description, Flavor, TimerClass};
use rtbench_loadgen::hdr;
use rtbench_runtimes::sys;
use std::time::{Duration, Instant};

impl crate::Observed for BlockingClientBench {
    described!();
    fn hist_mut(&mut self) -> Option<&mut Histogram<u64>> {
        Some(&mut self.hist)
    }
}

/// The load generator's own check: a plain blocking std client running the
/// same closed loop (write, read all back, compare, record) against
/// `std-threads` over one connection. If the load generator drives
/// `std-threads` slower than this, the load generator is the bottleneck.
#[derive(Debug)]
pub struct BlockingClientBench {
    pub case: EchoCase,
    pub description: Description,
    pub topology: String,
    pub hist: Histogram<u64>,
    stream: std::net::TcpStream,
    payload: Vec<u8>,
    back: Vec<u8>,
    work: Work,
    _server: EchoServer,
}

impl BlockingClientBench {
    /// Only for one connection: a blocking client serves one at a time.
    /// `std-threads` runs in this process.
    pub fn new(case: EchoCase, placement: &Placement) -> Result<BlockingClientBench, String> {
        let server = EchoServer::std_threads(LOOPBACK, placement.server_cpus())?;
        Self::with_server(case, placement, server)
    }

    /// As the benches run it: `std-threads` as `rtbench serve`, like the
    /// load generator's own `std-threads` row.
    pub fn served(
        cmd: &ServeCommand,
        case: EchoCase,
        placement: &Placement,
    ) -> Result<BlockingClientBench, String> {
        let server = EchoServer::process(cmd, "std-threads", placement.server_cpus())?;
        Self::with_server(case, placement, server)
    }

    fn with_server(
        case: EchoCase,
        placement: &Placement,
        server: EchoServer,
    ) -> Result<BlockingClientBench, String> {
        if case.connections != 1 {
            return Err("the blocking client drives exactly one connection".into());
        }
        sys::pin_to_cpu(placement.loadgen_cpu());
        let stream = std::net::TcpStream::connect(server.addr()).map_err(|e| e.to_string())?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(STALL))
            .map_err(|e| e.to_string())?;
        let description = Description {
            name: "blocking-client".into(),
            flavor: Flavor::Check,
            workers: 1,
            timer_class: TimerClass::Os,
            driver: "blocking".into(),
            knobs: [(
                "server".to_string(),
                "std-threads, driven by a blocking std client".to_string(),
            )]
            .into(),
            notes: vec![
                "not a runtime: the load generator must drive std-threads at least this fast"
                    .into(),
            ],
        };
        Ok(BlockingClientBench {
            case,
            description,
            topology: placement.topology(),
            hist: hdr::histogram(),
            stream,
            payload: (0..case.msg_bytes).map(|i| (i * 7 + 1) as u8).collect(),
            back: vec![0; case.msg_bytes],
            work: Work {
                connections: 1,
                ..Work::default()
            },
            _server: server,
        })
    }
}

impl crate::Routine for BlockingClientBench {
    fn run(&mut self, iters: u64) -> Result<Duration, String> {
        use std::io::{Read, Write};
        let start = Instant::now();
        for _ in 0..iters {
            let sent = Instant::now();
            self.stream
                .write_all(&self.payload)
                .and_then(|()| self.stream.read_exact(&mut self.back))
                .map_err(|e| format!("blocking client: {e}"))?;
            if self.back != self.payload {
                return Err("blocking client: echo differs from what was sent".into());
            }
            hdr::record(&mut self.hist, sent.elapsed().as_nanos() as u64);
            self.work.ops += 1;
            self.work.bytes += self.payload.len() as u64;
        }
        Ok(start.elapsed())
    }

    fn work(&self) -> Work {
        self.work
    }

    fn per_iter(&self) -> Work {
        Work {
            ops: 1,
            bytes: self.case.msg_bytes as u64,
            ..Work::default()
        }
    }
}
