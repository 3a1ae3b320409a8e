//! Echo: round trips per second and round-trip latency of a TCP echo server
//! on each runtime, driven over loopback by the one fixed load generator.
//! Not a test of HTTP or TLS. The default topology is one server core, with
//! the load generator on another (`RTBENCH_PLACEMENT`, `RTBENCH_SERVER_CORES`);
//! each server is `rtbench serve`, a process of its own.

use rtbench_format::Workload;
use rtbench_harness::{ServeCommand, Settings, Spec, bench};
use rtbench_workloads::echo::{BlockingClientBench, EchoCase};

fn spec(runtime: &str, case: EchoCase) -> Spec {
    Spec {
        workload: Workload::Echo,
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
        topology: None,
    }
}

fn main() {
    let settings = Settings::from_env(Workload::Echo);
    // Every server is `rtbench serve`, built beside the benches.
    let serve = ServeCommand::new(env!("CARGO_BIN_EXE_rtbench"));
    let mut c = settings.criterion();
    let mut group = c.benchmark_group("echo");
    let placement = &settings.placement;
    for case in EchoCase::matrix(settings.full()) {
        // Each server is `rtbench serve`, a process of its own.
        for name in rtbench_harness::echo_servers() {
            bench(&mut group, &settings, spec(&name, case), || {
                settings.served_echo(&serve, &name, case)
            });
        }
        if case.connections == 1 && placement.server_cores() == 1 {
            // The load generator's check: it must drive std-threads at least this fast.
            bench(&mut group, &settings, spec("blocking-client", case), || {
                BlockingClientBench::served(&serve, case, placement)
            });
        }
    }
    group.finish();
    rtbench_harness::finish(&mut c);
}
