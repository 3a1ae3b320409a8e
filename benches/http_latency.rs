//! HTTP/1.1 latency under load: each runtime's hyper server (and the
//! blocking std-threads one) driven open loop by the one load generator at
//! fixed offered rates, the same absolute rates for every server of a case,
//! latency measured from the intended send time, and the capacity at the
//! latency target (`RTBENCH_SLO`, default p99 ≤ 1 ms); every response is
//! checked. Not a throughput benchmark (see `http`) and not run by criterion.

use rtbench_format::{RunMode, Workload};
use rtbench_harness::ServeCommand;
use rtbench_harness::open_loop::{self, Hooks, Sweep, SweepCase};
use rtbench_workloads::Service;
use rtbench_workloads::echo::ServedBench;
use rtbench_workloads::http::HttpCase;
use std::collections::BTreeMap;
use std::time::Duration;

/// The offered rates, as fractions of the case's reference: as the work
/// bench's (5 cases × every runtime must fit the default run), with the
/// 50% and 80% steps the report shows.
const FRACTIONS: &[f64] = &[0.25, 0.5, 0.8, 1.0];

#[derive(Clone, Copy)]
struct Case(HttpCase);

impl SweepCase for Case {
    fn label(&self) -> String {
        self.0.label()
    }
    fn params(&self) -> BTreeMap<String, f64> {
        self.0.params()
    }
}

fn main() {
    let spec = Sweep {
        workload: Workload::HttpLatency,
        cases: |_| HttpCase::matrix().into_iter().map(Case).collect(),
        fractions: FRACTIONS,
        // As the work bench's steps. 0.1 s steps saved 140 s of a default
        // run, but one 1-8 ms stall of this VM in a 0.1 s trial puts ~3% of
        // its requests past 1 ms (that run found no capacity for 35 of 55
        // rows; 0.2 s steps, 34).
        step: open_loop::warm_server_steps,
        // Beyond the minimum trials (3 of 10 servers at ~6 rates), trials
        // are added while the p99 interval is wide, until this long after
        // the case began.
        budget: |mode| match mode {
            RunMode::Quick => Duration::ZERO,
            RunMode::Full => Duration::from_secs(1800),
            RunMode::Default | RunMode::Load => Duration::from_secs(40),
        },
        // A trial: the generator's open-loop run at the trial's rate.
        trial: ServedBench::run_open,
        cores: Some(|Case(case)| case.cores),
        cannot: Some(rtbench_harness::cannot_host_hyper),
    };
    open_loop::main(spec, |_| {
        // Every server is `rtbench serve --service http`, built beside the benches.
        let serve = ServeCommand::new(env!("CARGO_BIN_EXE_rtbench")).service(Service::Http);
        Hooks {
            // The case's settings: the 2-core case's own placement (`cores`).
            make: Box::new(move |settings, name, Case(case)| {
                settings.served_http(&serve, name, case)
            }),
            annotate: Box::new(|_, _| {}),
        }
    });
}
