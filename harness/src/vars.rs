//! The `RTBENCH_*` variables a bench process reads, each parsed by one
//! function here that the benches and `rtbench run` share: the benches
//! read their settings through them, and `rtbench run` calls [`check`]
//! before it builds anything, so that a bad value is reported by the
//! process the user started, naming the variable, instead of as "no
//! benchmark matches the filter" with the real message in a bench log.
//!
//! Not here: the variables `rtbench run` sets for its children
//! (`RTBENCH_RUN_ID`, `RTBENCH_RESULTS_DIR`, `RTBENCH_ROUND`,
//! `RTBENCH_SEED`), and the on/off switches `RTBENCH_QUICK` and
//! `RTBENCH_FULL` (set unless empty or `0`: every value is one of those).

use crate::plan::Faults;
use rtbench_format::{Slo, Workload};
use rtbench_workloads::{Placement, sweep};

/// A count variable: unset is `None`; set, a whole number ≥ 1.
pub fn count(name: &str) -> Result<Option<usize>, String> {
    match std::env::var(name) {
        Err(_) => Ok(None),
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(n) if n >= 1 => Ok(Some(n)),
            _ => Err(format!(
                "{name}={v:?} is not a count: expected a whole number from 1 to the CPUs \
                 this process may use ({})",
                rtbench_runtimes::sys::allowed_cpus().len()
            )),
        },
    }
}

/// Server cores and generator threads of `workload` (see
/// [`crate::Settings::server_cores`]) from `RTBENCH_SERVER_CORES` and
/// `RTBENCH_GENERATOR_THREADS`, and the placement they make with
/// `RTBENCH_PLACEMENT` on the CPUs this process may use.
pub fn placement(workload: Workload) -> Result<(usize, usize, Placement), String> {
    let (widest_server, widest_generator) =
        Placement::widest(rtbench_runtimes::sys::allowed_cpus().len());
    // Echo and latency: one server core by default, one generator thread;
    // work: the widest split, its generator threads from the environment;
    // the others: one core, no generator.
    let (server_cores, generator_threads) = match workload {
        Workload::Echo | Workload::Latency => (count("RTBENCH_SERVER_CORES")?.unwrap_or(1), 1),
        Workload::Work => (
            count("RTBENCH_SERVER_CORES")?.unwrap_or(widest_server),
            count("RTBENCH_GENERATOR_THREADS")?.unwrap_or(widest_generator),
        ),
        _ => (1, 0),
    };
    let placement = Placement::from_env_with(server_cores, generator_threads.max(1))?;
    Ok((server_cores, generator_threads, placement))
}

/// `RTBENCH_WORK_SEED`: the `work` bench's seed of its cost draws (unset:
/// `None`, the bench's fixed default).
pub fn work_seed() -> Result<Option<u64>, String> {
    match std::env::var("RTBENCH_WORK_SEED") {
        Err(_) => Ok(None),
        Ok(v) => v.trim().parse().map(Some).map_err(|_| {
            format!(
                "RTBENCH_WORK_SEED={v:?} is not a seed: expected a whole number from 0 to {}",
                u64::MAX
            )
        }),
    }
}

/// `RTBENCH_SLO`: the open-loop benches' latency target (default p99 ≤ 1 ms).
pub fn slo() -> Result<Slo, String> {
    sweep::slo_from_env()
}

/// Every variable above, as each workload would read it, plus
/// `RTBENCH_TEST_FAULT`: the first bad one's error, naming it.
pub fn check() -> Result<(), String> {
    for workload in Workload::ALL {
        placement(*workload)?;
    }
    work_seed()?;
    slo()?;
    Faults::from_env()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    /// Each variable's own message, from the function `rtbench run` calls.
    /// One test: the environment is the process's, shared by the tests.
    #[test]
    fn check_names_the_bad_variable() {
        let vars = [
            "RTBENCH_SERVER_CORES",
            "RTBENCH_GENERATOR_THREADS",
            "RTBENCH_PLACEMENT",
            "RTBENCH_WORK_SEED",
            "RTBENCH_SLO",
            "RTBENCH_TEST_FAULT",
        ];
        let clear = || {
            for v in vars {
                // SAFETY: this crate's only test that touches the environment.
                unsafe { std::env::remove_var(v) };
            }
        };
        clear();
        assert_eq!(super::check(), Ok(()));
        for (var, value) in [
            ("RTBENCH_SERVER_CORES", "abc"),
            ("RTBENCH_SERVER_CORES", "0"),
            ("RTBENCH_SERVER_CORES", "100000"),
            ("RTBENCH_GENERATOR_THREADS", "0"),
            ("RTBENCH_GENERATOR_THREADS", "100000"),
            ("RTBENCH_PLACEMENT", "diagonal"),
            ("RTBENCH_WORK_SEED", "-1"),
            ("RTBENCH_SLO", "p99"),
            ("RTBENCH_TEST_FAULT", "explode:x"),
        ] {
            // SAFETY: as above.
            unsafe { std::env::set_var(var, value) };
            let e = super::check().expect_err(var);
            assert!(e.starts_with(var), "{var}={value}: {e}");
            clear();
        }
    }
}
