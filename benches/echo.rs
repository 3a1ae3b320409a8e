//! Echo: round trips per second and round-trip latency of a TCP echo server
//! on each runtime, driven over loopback by the one fixed load generator.
//! Not a test of HTTP or TLS. The default topology is one server core, with
//! the load generator on another (`RTBENCH_PLACEMENT`, `RTBENCH_SERVER_CORES`).

mod common;

use common::{Settings, Spec, bench};
use rtbench_workloads::echo::{BlockingClientBench, EchoBench, EchoCase};

fn spec(runtime: &str, case: EchoCase) -> Spec {
    Spec {
        workload: "echo",
        runtime: runtime.to_string(),
        case: case.label(),
        params: [
            ("msg_bytes".to_string(), case.msg_bytes as f64),
            ("connections".to_string(), case.connections as f64),
        ]
        .into(),
        op: "round trip",
        ops_per_iter: 1,
        latency_kind: Some("round-trip"),
    }
}

fn main() {
    let settings = Settings::from_env("echo");
    let mut c = settings.criterion();
    let mut group = c.benchmark_group("echo");
    let placement = &settings.placement;
    for case in EchoCase::matrix(settings.full()) {
        common::on_every_adapter(&mut group, &settings, case, spec);
        bench(&mut group, &settings, spec("std-threads", case), || {
            EchoBench::std_threads(case, placement)
        });
        if case.connections == 1 && placement.server_cores() == 1 {
            // The load generator's check: it must drive std-threads at least this fast.
            bench(&mut group, &settings, spec("blocking-client", case), || {
                BlockingClientBench::new(case, placement)
            });
        }
    }
    group.finish();
    common::finish(&mut c);
}
