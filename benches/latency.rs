//! Latency under load: each runtime's echo server driven open loop by the one
//! load generator at fixed offered rates (the same absolute rates for every
//! runtime of a case), latency measured from the intended send time, and the
//! capacity at a latency target (`RTBENCH_SLO`, default p99 ≤ 1 ms). Not a
//! throughput benchmark (see `echo`) and not run by criterion: its steps are
//! timed, not iterated (see `rtbench_harness::open_loop`).

use rtbench_format::{RunMode, Workload};
use rtbench_harness::ServeCommand;
use rtbench_harness::open_loop::{self, Hooks, Sweep};
use rtbench_workloads::echo::ServedBench;
use rtbench_workloads::sweep;
use std::time::Duration;

fn main() {
    let spec = Sweep {
        workload: Workload::Latency,
        cases: sweep::cases,
        fractions: sweep::FRACTIONS,
        step: |mode| match mode {
            // The quick run checks that everything works: a fresh clone
            // reaches its report within 7 minutes, the build included.
            RunMode::Quick => (Duration::from_millis(10), Duration::from_millis(50)),
            RunMode::Full => (Duration::from_millis(500), Duration::from_secs(5)),
            // Default runs its trials once (`rtbench run`): 0.2 s steps keep them,
            // with the work bench, within 20 minutes, and the rounds show
            // the spread.
            RunMode::Default | RunMode::Load => {
                (Duration::from_millis(40), Duration::from_millis(200))
            }
        },
        // Beyond the minimum trials (3 of 11 runtimes at ~12 rates, about
        // 100 s a case here), trials are added while the p99 interval is
        // wide, until this long after the case began: at 150 s a case the
        // default suite took 22 min, over its 20.
        budget: |mode| match mode {
            RunMode::Quick => Duration::ZERO,
            RunMode::Full => Duration::from_secs(1800),
            RunMode::Default | RunMode::Load => Duration::from_secs(110),
        },
        // A trial: the generator's open-loop run at the trial's rate.
        trial: ServedBench::run_open,
        cores: None,
        cannot: None,
    };
    open_loop::main(spec, |_| {
        // Every server is `rtbench serve`, built beside the benches.
        let serve = ServeCommand::new(env!("CARGO_BIN_EXE_rtbench"));
        Hooks {
            make: Box::new(move |settings, name, case| settings.served_echo(&serve, name, case)),
            annotate: Box::new(|_, _| {}),
        }
    });
}
