//! Uneven work: echo requests that carry real CPU cost (rounds of a hash the
//! client checks), drawn from a mix (uniform, skewed, hot-connections,
//! blocking), served on every core the placement allows (2 here, shared with
//! the generator) and driven open loop; per runtime and mix, the capacity at
//! the latency target and latency against load. This is where work-stealing
//! and thread-per-core part ways. Not a throughput benchmark, and not run by
//! criterion (see `rtbench_harness::open_loop`).

use rtbench_format::{RunMode, WorkCalibration, WorkClass, WorkSetup, Workload};
use rtbench_harness::errln;
use rtbench_harness::open_loop::{self, Hooks, Sweep, SweepCase};
use rtbench_harness::{ServeCommand, Settings};
use rtbench_loadgen::work_request::{self, Mix, Picker};
use rtbench_workloads::Service;
use rtbench_workloads::echo::{EchoCase, ServedBench};
use rtbench_workloads::work::WorkCase;
use std::collections::BTreeMap;
use std::time::Duration;

/// Request size: small, so that the work, not the copying, is the cost.
const MSG_BYTES: usize = 64;
/// Connections: 1 in 16 is hot under `hot-connections`, so 2 here.
const CONNECTIONS: usize = 32;
/// The sweep's offered rates as fractions of the reference: fewer than the
/// latency bench's (4 mixes × every runtime must fit the default run), with
/// the 50% and 80% steps the report shows.
const FRACTIONS: &[f64] = &[0.25, 0.5, 0.8, 1.0];
/// Seed of the cost draws and of the hot connections, unless
/// `RTBENCH_WORK_SEED` gives one: fixed, so that rounds and runs send the
/// same requests.
const SEED: u64 = 0x5eed;

#[derive(Clone, Copy)]
struct Case(WorkCase);

impl SweepCase for Case {
    fn label(&self) -> String {
        self.0.label()
    }
    fn params(&self) -> BTreeMap<String, f64> {
        let mut p = self.0.echo.params();
        p.insert("mean_cost_us".into(), self.0.mix.mean_us());
        p
    }
}

fn seed() -> u64 {
    match rtbench_harness::vars::work_seed() {
        Ok(seed) => seed.unwrap_or(SEED),
        Err(e) => {
            errln!("error: {e}");
            std::process::exit(2)
        }
    }
}

fn cases(_full: bool) -> Vec<Case> {
    let seed = seed();
    Mix::ALL
        .into_iter()
        .map(|mix| {
            Case(WorkCase {
                echo: EchoCase {
                    msg_bytes: MSG_BYTES,
                    connections: CONNECTIONS,
                },
                mix,
                seed,
            })
        })
        .collect()
}

/// Digest rounds per µs: from the run folder if an earlier process of this
/// run measured it (every runtime must get the same requests), else measured
/// here, on the server CPUs before any server starts, and written back.
fn calibration(settings: &Settings) -> WorkCalibration {
    let refs = settings.run.as_ref().map(|r| r.read_references());
    if let Some(Ok(refs)) = &refs
        && let Some(c) = &refs.work_calibration
    {
        return c.clone();
    }
    let payload = MSG_BYTES - work_request::HEADER;
    let c = WorkCalibration {
        rounds_per_us: work_request::calibrate(payload),
        method: format!(
            "fastest of 10 batches of at least 2 ms over a {payload}-byte payload, on the server CPUs ({}), before any server started",
            settings.placement.describe()
        ),
    };
    if let (Some(run), Some(Ok(mut refs))) = (&settings.run, refs) {
        refs.schema_version = rtbench_format::SCHEMA_VERSION;
        refs.work_calibration = Some(c.clone());
        if let Err(e) = run.write_references(&refs) {
            errln!("rtbench: cannot record the work calibration: {e}");
        }
    }
    errln!(
        "rtbench: work calibration: {:.2} digest rounds/us ({})",
        c.rounds_per_us,
        c.method
    );
    c
}

/// What a result of `case` records of its requests.
fn setup(case: WorkCase, cal: &WorkCalibration, generator_cpus: &[usize]) -> WorkSetup {
    WorkSetup {
        mix: case.mix.name().into(),
        classes: case
            .mix
            .classes()
            .iter()
            .map(|c| WorkClass {
                name: c.name.into(),
                share: c.share,
                work_us: c.work_us,
                rounds: (c.work_us * cal.rounds_per_us).round() as u32,
                block_us: c.block.as_secs_f64() * 1e6,
            })
            .collect(),
        mean_us: case.mix.mean_us(),
        seed: case.seed,
        hot_connections: Picker::new(case.mix, case.echo.connections, case.seed).hot_connections(),
        rounds_per_us: cal.rounds_per_us,
        calibration: cal.method.clone(),
        generator_cpus: generator_cpus.to_vec(),
    }
}

fn main() {
    let spec = Sweep {
        workload: Workload::Work,
        cases,
        fractions: FRACTIONS,
        // As the latency bench's steps, with a shorter warm-up: the servers
        // are warm from the step before.
        step: open_loop::warm_server_steps,
        // As the latency bench's, for a sweep of 4 rates (about 60 s of
        // minimum trials a mix here).
        budget: |mode| match mode {
            RunMode::Quick => Duration::ZERO,
            RunMode::Full => Duration::from_secs(1800),
            RunMode::Default | RunMode::Load => Duration::from_secs(60),
        },
        // A trial: the generator's open-loop run at the trial's rate.
        trial: ServedBench::run_open,
        cores: None,
        cannot: None,
    };
    open_loop::main(spec, |settings| {
        let cal = calibration(settings);
        let serve = ServeCommand::new(env!("CARGO_BIN_EXE_rtbench")).service(Service::Work);
        let generator_cpus = settings.placement.loadgen_cpus().to_vec();
        let rounds_per_us = cal.rounds_per_us;
        Hooks {
            make: Box::new(move |settings, name, Case(case)| {
                settings.served_work(&serve, name, case, rounds_per_us)
            }),
            annotate: Box::new(move |result, Case(case)| {
                result.work = Some(setup(case, &cal, &generator_cpus));
            }),
        }
    });
}
