//! Scheduler and sync: time per hop, yield, spawn and lock on the
//! executor's own paths (ping-pong, yield-many, chained spawn, a channel
//! ring, a mutex held across an await and the same dropped before it), the
//! same bodies and primitives on each runtime's one core; then a ping-pong
//! across two cores and tasks handed in from another thread, with the
//! CPU time they cost. Not a measure of I/O, and not of what an
//! application gains: shown beside echo and work.

use rtbench_format::Workload;
use rtbench_harness::{Settings, Spec, bench, bench_or_skip};
use rtbench_workloads::in_runtimes;
use rtbench_workloads::sched::SchedCase;
use rtbench_workloads::sched::cores::{CrossCase, across_runtimes, cannot_run};

fn spec(runtime: &str, label: String, op: &'static str, ops: u64, tasks: u64) -> Spec {
    Spec {
        workload: Workload::Sched,
        runtime: runtime.to_string(),
        case: label,
        params: [
            ("ops".to_string(), ops as f64),
            ("tasks".to_string(), tasks as f64),
        ]
        .into(),
        op,
        ops_per_iter: ops,
        latency_kind: None,
        topology: None,
    }
}

fn main() {
    let settings = Settings::from_env(Workload::Sched);
    let mut c = settings.criterion();
    let mut group = c.benchmark_group("sched");
    for case in SchedCase::matrix() {
        for (name, make) in in_runtimes::<SchedCase>() {
            let spec = spec(name, case.label(), case.op(), case.ops(), case.tasks());
            bench(&mut group, &settings, spec, || make(case, &settings.config));
        }
    }
    // The runtime on the bench's CPU, the other side on the next one.
    let cpus = [
        settings.placement.server_cpus()[0],
        settings.placement.loadgen_cpu(),
    ];
    for case in CrossCase::matrix() {
        for (name, make) in across_runtimes() {
            let mut spec = spec(name, case.label(), case.op(), case.ops(), case.tasks());
            spec.params.insert("cross_thread".into(), 1.0);
            spec.topology = Some(case.topology());
            let cannot = || cannot_run(name, case, cpus);
            bench_or_skip(&mut group, &settings, spec, cannot, || {
                make(case, &settings.config, cpus)
            });
        }
    }
    group.finish();
    rtbench_harness::finish(&mut c);
}
