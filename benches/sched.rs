//! Scheduler and sync: time per hop, yield, spawn and lock on the
//! executor's own paths (ping-pong, yield-many, chained spawn, a channel
//! ring, a mutex held across an await and the same dropped before it), the
//! same bodies and primitives on each runtime's one core. Not a measure of
//! I/O, and not of what an application gains: shown beside echo and work.

use rtbench_format::Workload;
use rtbench_harness::{Settings, Spec, bench};
use rtbench_workloads::in_runtimes;
use rtbench_workloads::sched::SchedCase;

fn spec(runtime: &str, case: SchedCase) -> Spec {
    Spec {
        workload: Workload::Sched,
        runtime: runtime.to_string(),
        case: case.label(),
        params: [
            ("ops".to_string(), case.ops() as f64),
            ("tasks".to_string(), case.tasks() as f64),
        ]
        .into(),
        op: case.op(),
        ops_per_iter: case.ops(),
        latency_kind: None,
    }
}

fn main() {
    let settings = Settings::from_env(Workload::Sched);
    let mut c = settings.criterion();
    let mut group = c.benchmark_group("sched");
    for case in SchedCase::matrix() {
        for (name, make) in in_runtimes::<SchedCase>() {
            bench(&mut group, &settings, spec(name, case), || {
                make(case, &settings.config)
            });
        }
    }
    group.finish();
    rtbench_harness::finish(&mut c);
}
