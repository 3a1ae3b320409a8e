//! Timers: how late `sleep` completes (the whole distribution), the cost of
//! arming and cancelling a timer, and firing many at once, on each runtime's
//! one core, beside `std::thread::sleep` with default and 1 ns timer slack.
//! Not a measure of timer accuracy under CPU load.

use criterion::SamplingMode;
use rtbench_format::Workload;
use rtbench_harness::{Settings, Spec, bench};
use rtbench_workloads::in_runtimes;
use rtbench_workloads::timers::{OsSleep, TimerCase};
use std::time::Duration;

fn spec(runtime: &str, case: TimerCase) -> Spec {
    let mut params = std::collections::BTreeMap::new();
    params.insert("timers".to_string(), case.timers() as f64);
    match case {
        TimerCase::Sleep { dur } | TimerCase::SleepMany { dur, .. } => {
            params.insert("sleep_us".to_string(), dur.as_micros() as f64);
        }
        TimerCase::FireMany { spread, .. } => {
            params.insert("spread_us".to_string(), spread.as_micros() as f64);
        }
        TimerCase::ArmCancel => {}
    }
    Spec {
        workload: Workload::Timers,
        runtime: runtime.to_string(),
        case: case.label(),
        params,
        op: "timer",
        ops_per_iter: case.timers(),
        latency_kind: case.has_lateness().then_some("lateness"),
        topology: None,
    }
}

fn main() {
    let settings = Settings::from_env(Workload::Timers);
    let mut c = settings.criterion();
    let mut group = c.benchmark_group("timers");
    for case in TimerCase::matrix() {
        // Iterations of a millisecond or more: one sample per batch of equal size.
        let long = !matches!(case, TimerCase::ArmCancel | TimerCase::Sleep { .. })
            || matches!(case, TimerCase::Sleep { dur } if dur >= Duration::from_millis(1));
        group.sampling_mode(if long {
            SamplingMode::Flat
        } else {
            SamplingMode::Auto
        });
        for (name, make) in in_runtimes::<TimerCase>() {
            bench(&mut group, &settings, spec(name, case), || {
                make(case, &settings.config)
            });
        }
        if let TimerCase::Sleep { dur } = case {
            for slack in [None, Some(Duration::from_nanos(1))] {
                let os = OsSleep::new(dur, slack, settings.placement.server_cpus()[0]);
                bench(&mut group, &settings, spec(&os.name(), case), || Ok(os));
            }
        }
    }
    group.finish();
    rtbench_harness::finish(&mut c);
}
