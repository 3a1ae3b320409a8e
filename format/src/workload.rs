//! The workloads, named once. Each is a bench target (`benches/<name>.rs`,
//! with its `[[bench]]` entry) and a section of the report; `rtbench run`,
//! the settings and the renderer list and order them from here, so a new
//! workload is its module, its bench file and its line below.

/// The one list: a line per workload, its name (bench target and report
/// section), its section's heading, its shape, and what the section says it
/// measures (empty for the open-loop ones, which say it with their setup).
macro_rules! workloads {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $title:literal, $shape:ident, $about:literal;)*) => {
        crate::names! {
            /// A workload: its bench target and its report section, in report order.
            pub enum Workload {
                $($(#[$doc])* $variant = $name,)*
            }
        }

        impl Workload {
            /// How it measures, and so which tables show it.
            pub const fn shape(self) -> Shape {
                match self {
                    $(Workload::$variant => Shape::$shape,)*
                }
            }

            /// Its section's heading in the report.
            pub const fn title(self) -> &'static str {
                match self {
                    $(Workload::$variant => $title,)*
                }
            }

            /// What it measures, as the report introduces its section.
            pub const fn about(self) -> &'static str {
                match self {
                    $(Workload::$variant => $about,)*
                }
            }
        }
    };
}

workloads! {
    /// TCP echo, closed loop.
    Echo = "echo", "echo", ClosedLoop, "TCP echo over loopback: the fixed load generator keeps every connection busy with one message at a time and checks each echo. Throughput is round trips per second; latency is the round trip seen by the load generator.";
    /// Echo at fixed offered rates, open loop: latency and capacity.
    Latency = "latency", "latency", OpenLoop, "";
    /// Requests of uneven CPU cost on several cores, open loop.
    Work = "work", "work", OpenLoop, "";
    /// HTTP/1.1 through hyper, closed loop, with wrk beside it.
    Http = "http", "HTTP/1.1 (hyper)", ClosedLoop, "HTTP/1.1 keep-alive over loopback, no pipelining: each runtime serves GET /plaintext (13 bytes) and GET /json (an object serialized per request) with hyper 1.x and one handler, through the adapter crate its users use (the Adapter column: hyper-util's TokioIo, smol-hyper, monoio-compat, cyper-core); std-threads is a blocking thread-per-connection server (httparse) with no runtime. The load generator keeps every connection busy with one request at a time and checks each response's status, Content-Type, Content-Length and body; throughput is requests per second, and the latency columns are closed-loop round trips at full load (Little's law: latency ≈ connections / throughput). wrk, an independent client, drives std-threads and tokio-mt on the same cases (rows wrk-…): the load generator must drive each at least as fast, or the figures may be the generator's limit. Runtimes that cannot host hyper are listed as skipped, with the reason.";
    /// HTTP/1.1 at fixed offered rates, open loop: latency and capacity.
    HttpLatency = "http_latency", "HTTP/1.1 (hyper): latency under load", OpenLoop, "";
    /// Spawn N tasks and join them.
    FanOut = "fan_out", "fan_out", ClosedLoop, "Spawn N tasks and join them all, checking their results: time per task is the cost of spawning, scheduling and joining one task; bytes per task is the memory one task took.";
    /// Sleep lateness and the cost of timers.
    Timers = "timers", "timers", ClosedLoop, "Sleep lateness (how long after its deadline a sleep returned), the cost to arm and cancel a timer, and many timers firing together. Compare lateness within a timer class, and against the OS sleep floors.";
    /// The scheduler's own paths: hops, yields, spawns and locks.
    Sched = "sched", "Scheduler and sync", ClosedLoop, "The executor's own paths, the same bodies and primitives (async-channel, async-lock) on every runtime, with each runtime's own yield where it has one (its description names it). On one core: time per hop of a ping-pong and of a ring of tasks, per yield, per spawn of a chain, and per lock of a mutex held across an await beside the same lock dropped before it. Across cores, with the process's CPU time per operation: a ping-pong between two cores (a work-stealing pool of 2 workers, wherever it puts the tasks, or two thread-per-core executors), and tasks handed to a 1-core runtime from a thread on the other CPU through its own entry point (its description names it), idle and busy with a yielding task. A microbenchmark: each table says where its best runtimes place in echo and work (tokio's scheduler benchmarks improved with LIFO-slot stealing while services lost 23-32%, tokio#8065).";
    /// File I/O through each runtime's file API, beside fio.
    File = "file", "File I/O", ClosedLoop, "Random 4 KiB reads of a test file at queue depth 1 and 32 (one task with that many reads in flight), with O_DIRECT (the device) and from the page cache (the runtime's own cost), and sequential 128 KiB writes with fdatasync after every 1 MiB, each runtime through its own file API (its description names it: io_uring files, or the blocking pool its file type runs on). Every block read is checked against its index. Beside them: std threads (a thread per read in flight), a raw io_uring loop at the same depth, and fio with the same file, block size, depth and direct flag, the device's ceiling by a tool no one here wrote: vs floor divides by fio. Latency is each operation's, from its submission; CPU is the whole process's; threads added are the most the runtime added to the process at the end of a call (its pools, and the kernel's io_uring workers of its rings).";
}

/// How a workload measures, and so which tables show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Criterion's iterations: one figure per result (throughput, time per
    /// operation, a latency distribution).
    ClosedLoop,
    /// Offered rates swept per runtime, in interleaved trials: a capacity
    /// at a latency target and the latency at each rate.
    OpenLoop,
}

impl Workload {
    /// Whether `rtbench run` runs its runtimes in one process, interleaved
    /// in trials, once per run (the open-loop workloads: their trials are
    /// their repetitions).
    pub const fn interleaved(self) -> bool {
        matches!(self.shape(), Shape::OpenLoop)
    }

    /// The order `rtbench run` runs them in: the closed-loop workloads in
    /// report order, then the interleaved ones.
    pub fn run_order() -> Vec<Workload> {
        let (once, rounds): (Vec<Workload>, Vec<Workload>) =
            Workload::ALL.iter().partition(|w| w.interleaved());
        rounds.into_iter().chain(once).collect()
    }

    /// The workloads its tables are read beside: a microbenchmark's wins
    /// are shown with the same runtimes' places where services are measured
    /// (tokio's scheduler benchmarks improved with LIFO-slot stealing while
    /// services lost 23-32%, tokio#8065).
    pub const fn read_beside(self) -> &'static [Workload] {
        match self {
            Workload::Sched => &[Workload::Echo, Workload::Work],
            _ => &[],
        }
    }

    /// The floor its tables divide by ("vs floor") when that row has a
    /// figure; else the fastest floor.
    pub const fn floor(self) -> Option<&'static str> {
        match self {
            Workload::File => Some("fio"),
            _ => None,
        }
    }

    /// Its position in the report.
    pub fn rank(self) -> usize {
        Workload::ALL
            .iter()
            .position(|w| *w == self)
            .unwrap_or(Workload::ALL.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_order_puts_the_interleaved_last() {
        let order: Vec<&str> = Workload::run_order().iter().map(|w| w.as_str()).collect();
        assert_eq!(
            order,
            [
                "echo",
                "http",
                "fan_out",
                "timers",
                "sched",
                "file",
                "latency",
                "work",
                "http_latency"
            ]
        );
        assert_eq!(Workload::Latency.rank(), 1);
        assert_eq!("fan_out".parse::<Workload>(), Ok(Workload::FanOut));
    }
}
