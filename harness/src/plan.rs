//! The bench binaries' decisions around criterion, as plain functions the
//! tests can reach (`cargo test` does not build bench binaries): the mode and
//! filter from the command line (criterion's flags, read here without linking
//! criterion), whether a benchmark runs or is skipped, the calls criterion
//! measures and the figures computed from them alone, the round, and a
//! test-only fault switch.

use hdrhistogram::Histogram;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rtbench_format::{Estimate, Interference};
use rtbench_workloads::interference::{Meter, Snapshot};
use rtbench_workloads::{Observed, Work, check_work};
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

/// What criterion will do with the benchmarks of this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `--list`: print the ids, run nothing.
    List,
    /// `--test`, or no `--bench` (as under `cargo test --benches`): run each
    /// benchmark once, measure nothing.
    Test,
    /// `--profile-time`: iterate for a while, no samples, no analysis.
    Profile,
    /// Measure and analyse; `quick` is criterion's own `--quick`, which
    /// keeps only its last two calls as samples.
    Measure { quick: bool },
}

/// The parts of a bench command line that decide what a process runs and
/// records (criterion 0.8's flags; anything else is criterion's business).
#[derive(Debug, Clone)]
pub struct BenchArgs {
    pub mode: Mode,
    /// `--quick` (criterion's flag, and rtbench's quick mode).
    pub quick: bool,
    /// `--sample-size N`, when given.
    pub sample_size: Option<usize>,
    filter: Filter,
}

#[derive(Debug, Clone)]
enum Filter {
    All,
    Regex(regex::Regex),
    Exact(String),
    /// `--ignored`: criterion runs nothing.
    None,
}

/// criterion's options that take a value (the value is not the filter).
const VALUE_FLAGS: &[&str] = &[
    "-c",
    "--color",
    "-s",
    "--save-baseline",
    "-b",
    "--baseline",
    "--baseline-lenient",
    "--format",
    "--profile-time",
    "--load-baseline",
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--plotting-backend",
    "--output-format",
];

impl BenchArgs {
    /// Reads the arguments after the program name, as criterion would.
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<BenchArgs, String> {
        let (mut list, mut test, mut bench, mut quick, mut exact, mut ignored) =
            (false, false, false, false, false, false);
        let mut profile = false;
        let mut sample_size = None;
        let mut filter_text: Option<String> = None;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
                _ => (arg.clone(), None),
            };
            if VALUE_FLAGS.contains(&flag.as_str()) {
                let value = match inline {
                    Some(v) => v,
                    None => args.next().ok_or(format!("{flag} needs a value"))?,
                };
                match flag.as_str() {
                    "--profile-time" => profile = true,
                    "--sample-size" => {
                        sample_size = Some(value.parse::<usize>().map_err(|_| {
                            format!("--sample-size {value:?} is not a whole number")
                        })?)
                    }
                    _ => {}
                }
                continue;
            }
            match flag.as_str() {
                "--list" => list = true,
                "--test" => test = true,
                "--bench" => bench = true,
                "--quick" => quick = true,
                "--exact" => exact = true,
                "--ignored" => ignored = true,
                f if f.starts_with('-') => {}
                _ if filter_text.is_none() => filter_text = Some(arg),
                _ => {}
            }
        }
        // criterion's order of precedence.
        let mode = if list {
            Mode::List
        } else if test || !bench {
            Mode::Test
        } else if profile {
            Mode::Profile
        } else {
            Mode::Measure { quick }
        };
        let filter = match filter_text {
            _ if ignored => Filter::None,
            None => Filter::All,
            Some(f) if exact => Filter::Exact(f),
            Some(f) => Filter::Regex(
                regex::Regex::new(&f)
                    .map_err(|e| format!("the filter {f:?} is not a regular expression: {e}"))?,
            ),
        };
        Ok(BenchArgs {
            mode,
            quick,
            sample_size,
            filter,
        })
    }

    /// Whether this process writes results (and so opens a run folder): not
    /// when it only lists, only tests, or runs nothing (`--ignored`).
    pub fn opens_run_folder(&self) -> bool {
        matches!(self.mode, Mode::Measure { .. } | Mode::Profile)
            && !matches!(self.filter, Filter::None)
    }

    /// Whether criterion's filter selects `id` (a regex, or `--exact`).
    pub fn selects(&self, id: &str) -> bool {
        match &self.filter {
            Filter::All => true,
            Filter::Regex(re) => re.is_match(id),
            Filter::Exact(e) => e == id,
            Filter::None => false,
        }
    }

    /// How many of a benchmark's last calls are the samples criterion
    /// analyses: its sample size, 2 under its `--quick`, none when it
    /// analyses nothing (test, profile, list).
    pub fn measured_calls(&self, sample_size: usize) -> usize {
        match self.mode {
            Mode::Measure { quick: false } => sample_size,
            Mode::Measure { quick: true } => 2,
            _ => 0,
        }
    }
}

/// What to do with one benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan<'a> {
    /// Hand it to the measuring code (criterion still applies its filter).
    Run,
    /// Its configuration cannot start here: say why, record it as
    /// `skipped`, and never hand it to criterion.
    Skip(&'a str),
    /// Unavailable, but not selected by the filter either: nothing to say.
    Filtered,
}

/// Decides before criterion sees a benchmark: a configuration in
/// `unavailable` (the run's probe of every runtime, by name, with its
/// reason) is skipped, except under `--list`, which lists every id.
pub fn plan<'a>(
    args: &BenchArgs,
    id: &str,
    runtime: &str,
    unavailable: &'a BTreeMap<String, String>,
) -> Plan<'a> {
    match unavailable.get(runtime) {
        _ if args.mode == Mode::List => Plan::Run,
        Some(_) if !args.selects(id) => Plan::Filtered,
        Some(why) => Plan::Skip(why),
        None => Plan::Run,
    }
}

/// The bootstrap's resamples and seed: fixed, so that the interval is a
/// function of the samples alone and a results file can be checked.
const RESAMPLES: usize = 10_000;
const SEED: u64 = 0x5EED_2026;

/// Time per iteration from the last `sample_size` (iters, elapsed) samples,
/// as criterion computes it: each sample's elapsed / iters, their mean and
/// median, and a 95% percentile-bootstrap interval of the mean (criterion's
/// method; here with a fixed seed and 10,000 resamples). `None` when fewer
/// samples were measured (criterion analysed something else, or nothing),
/// when fewer than 2 are asked for, or when a sample has no iterations.
pub fn estimate(samples: &[(u64, Duration)], sample_size: usize) -> Option<Estimate> {
    if sample_size < 2 || samples.len() < sample_size {
        return None;
    }
    let last = &samples[samples.len() - sample_size..];
    if last.iter().any(|&(iters, _)| iters == 0) {
        return None;
    }
    let per_iter: Vec<f64> = last
        .iter()
        .map(|&(iters, elapsed)| elapsed.as_nanos() as f64 / iters as f64)
        .collect();
    let n = per_iter.len();
    let mean = per_iter.iter().sum::<f64>() / n as f64;
    let mut sorted = per_iter.clone();
    sorted.sort_by(f64::total_cmp);
    let mut rng = SmallRng::seed_from_u64(SEED);
    let mut means: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            (0..n)
                .map(|_| per_iter[rng.random_range(0..n)])
                .sum::<f64>()
                / n as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    Some(Estimate {
        mean_ns: mean,
        mean_lower_ns: percentile(&means, 2.5),
        mean_upper_ns: percentile(&means, 97.5),
        median_ns: percentile(&sorted, 50.0),
        samples: n as u64,
    })
}

/// criterion's percentile of sorted data: linear between closest ranks.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = p / 100.0 * (sorted.len() - 1) as f64;
    let (lo, frac) = (rank.floor() as usize, rank - rank.floor());
    match sorted.get(lo + 1) {
        Some(&hi) => sorted[lo] + (hi - sorted[lo]) * frac,
        None => sorted[lo],
    }
}

/// What one call measured.
#[derive(Debug, Clone, Default)]
pub struct Call {
    pub iters: u64,
    pub elapsed: Duration,
    /// Operations the call did (checked by [`check_work`]).
    pub ops: u64,
    pub server_cpu: Option<Duration>,
    /// The call's histogram, sparse: (a value of each bucket, its count).
    pub hist: Vec<(u64, u64)>,
    /// Run delay and involuntary switches of the server's and the
    /// generator's threads during the call.
    pub interference: Interference,
}

/// The last `len` calls of one benchmark. With `len` the calls criterion
/// analyses, every figure taken from here is of the measured samples only,
/// none of the warm-up; a window that never filled gives no figures.
#[derive(Debug)]
pub struct Measured {
    len: usize,
    calls: VecDeque<Call>,
    /// An empty histogram configured as the routine's.
    template: Option<Histogram<u64>>,
}

impl Measured {
    pub fn new(len: usize) -> Measured {
        Measured {
            len,
            calls: VecDeque::with_capacity(len),
            template: None,
        }
    }

    /// Whether calls are kept at all (not when criterion analyses nothing).
    pub fn keeps(&self) -> bool {
        self.len > 0
    }

    pub fn push(&mut self, call: Call) {
        if !self.keeps() {
            return;
        }
        if self.calls.len() == self.len {
            self.calls.pop_front();
        }
        self.calls.push_back(call);
    }

    /// Whether the window holds exactly the calls criterion analysed.
    pub fn complete(&self) -> bool {
        self.keeps() && self.calls.len() == self.len
    }

    fn window(&self) -> impl Iterator<Item = &Call> {
        self.calls.iter().filter(|_| self.complete())
    }

    /// The estimate from the window's (iters, elapsed) pairs.
    pub fn estimate(&self) -> Option<Estimate> {
        let samples: Vec<(u64, Duration)> = self.window().map(|c| (c.iters, c.elapsed)).collect();
        estimate(&samples, self.len)
    }

    /// Operations done by the window's calls.
    pub fn ops(&self) -> u64 {
        self.window().map(|c| c.ops).sum()
    }

    /// The window's histograms merged (`None` if nothing was recorded).
    pub fn hist(&self) -> Option<Histogram<u64>> {
        let mut merged = Histogram::new_from(self.template.as_ref()?);
        for &(value, count) in self.window().flat_map(|c| &c.hist) {
            merged.record_n(value, count).ok()?;
        }
        (!merged.is_empty()).then_some(merged)
    }

    /// The window's interference summed (`None` if the window never filled).
    pub fn interference(&self) -> Option<Interference> {
        self.complete().then(|| {
            self.window()
                .fold(Interference::default(), |sum, c| sum + c.interference)
        })
    }

    /// Server CPU time per operation over the window, in ns.
    pub fn server_cpu_ns_per_op(&self) -> Option<f64> {
        let cpu: Option<Duration> = self.window().map(|c| c.server_cpu).sum();
        let ops = self.ops();
        cpu.filter(|_| ops > 0)
            .map(|cpu| cpu.as_nanos() as f64 / ops as f64)
    }
}

/// What a call starts from, read just before the routine runs (outside its
/// timing): its work and server CPU so far, and the meters of the calls kept.
pub struct Start {
    work: Work,
    cpu: Option<Duration>,
    meter: Option<(Meter, Snapshot)>,
}

impl Measured {
    /// Before a call of `routine`: resets its histogram (a kept call's part
    /// alone) and reads what [`Measured::finish`] subtracts.
    pub fn start<R: Observed + ?Sized>(&self, routine: &mut R) -> Start {
        let keep = self.keeps();
        if keep && let Some(h) = routine.hist_mut() {
            h.reset();
        }
        let meter = keep.then(|| {
            let meter = Meter::new(routine.server_pid());
            let snapshot = meter.start();
            (meter, snapshot)
        });
        Start {
            work: routine.work(),
            cpu: routine.server_cpu(),
            meter,
        }
    }

    /// After a call of `iters` that took `elapsed`: proves it did exactly
    /// `iters` iterations of work ([`check_work`]) and keeps its figures.
    pub fn finish<R: Observed + ?Sized>(
        &mut self,
        routine: &mut R,
        start: Start,
        iters: u64,
        elapsed: Duration,
    ) -> Result<(), String> {
        check_work(&*routine, start.work, iters)?;
        let Some((meter, snapshot)) = start.meter else {
            return Ok(());
        };
        let interference = meter.finish(&snapshot);
        let ops = routine.work().ops - start.work.ops;
        let server_cpu = routine
            .server_cpu()
            .zip(start.cpu)
            .map(|(after, before)| after.saturating_sub(before));
        let hist = match routine.hist_mut() {
            Some(h) => {
                if self.template.is_none() {
                    self.template = Some(Histogram::new_from(&*h));
                }
                h.iter_recorded()
                    .map(|v| (v.value_iterated_to(), v.count_at_value()))
                    .collect()
            }
            None => Vec::new(),
        };
        self.push(Call {
            iters,
            elapsed,
            ops,
            server_cpu,
            hist,
            interference,
        });
        Ok(())
    }
}

/// The crates whose versions a run records (`meta.json`, the report's
/// environment block): every compiled adapter's [`Runtime::CRATES`], the
/// load generator's and criterion's.
///
/// [`Runtime::CRATES`]: rtbench_runtimes::Runtime::CRATES
pub fn versioned_crates() -> Vec<&'static str> {
    let mut crates = rtbench_runtimes::crates();
    crates.extend(rtbench_loadgen::CRATES);
    crates.push("criterion");
    crates
}

/// `RTBENCH_ROUND`: which round of a run this process is (1-based,
/// default 1), recorded with every result.
pub fn round(value: Option<&str>) -> Result<u32, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(1),
        Some(v) => match v.parse::<u32>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(format!(
                "RTBENCH_ROUND={v:?} is not a round number (1, 2, ...)"
            )),
        },
    }
}

/// The fault switch for testing the run's watchdog and reporting, and for
/// nothing else: `RTBENCH_TEST_FAULT=hang:<substring>` makes the benchmark
/// whose id contains the substring sleep forever when it starts, silently;
/// `abort:<substring>` makes it call `std::process::abort()`; `fail:<substring>`
/// makes its routine fail to start, as a routine whose server died does, so
/// its result is recorded `failed` and the process goes on (criterion
/// benches only). Several are separated by commas. Only
/// [`Faults::from_env`] reads the variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    Hang(String),
    Abort(String),
    Fail(String),
}

impl Fault {
    pub fn applies(&self, id: &str) -> bool {
        match self {
            Fault::Hang(part) | Fault::Abort(part) | Fault::Fail(part) => {
                id.contains(part.as_str())
            }
        }
    }
}

/// The faults `RTBENCH_TEST_FAULT` asks for (none in a real run).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults(pub Vec<Fault>);

impl Faults {
    /// Parses a value of `RTBENCH_TEST_FAULT` (empty: no fault).
    pub fn parse(value: &str) -> Result<Faults, String> {
        let bad = || {
            format!(
                "RTBENCH_TEST_FAULT={value:?} is not hang:<id part>, abort:<id part> or fail:<id part>, comma-separated"
            )
        };
        let mut faults = Vec::new();
        for one in value.split(',').filter(|s| !s.is_empty()) {
            let (kind, part) = one.split_once(':').ok_or_else(bad)?;
            faults.push(match kind {
                _ if part.is_empty() => return Err(bad()),
                "hang" => Fault::Hang(part.into()),
                "abort" => Fault::Abort(part.into()),
                "fail" => Fault::Fail(part.into()),
                _ => return Err(bad()),
            });
        }
        Ok(Faults(faults))
    }

    /// Reads `RTBENCH_TEST_FAULT` (test-only; see [`Fault`]).
    pub fn from_env() -> Result<Faults, String> {
        Faults::parse(&std::env::var("RTBENCH_TEST_FAULT").unwrap_or_default())
    }

    /// The error a `fail` fault naming benchmark `id` makes its routine
    /// return instead of starting.
    pub fn failure(&self, id: &str) -> Option<String> {
        self.0
            .iter()
            .any(|f| matches!(f, Fault::Fail(_)) && f.applies(id))
            .then(|| "RTBENCH_TEST_FAULT made this benchmark fail".to_string())
    }

    /// Called as benchmark `id` starts: hangs or aborts if a fault names it.
    pub fn strike(&self, id: &str) {
        match self
            .0
            .iter()
            .find(|f| !matches!(f, Fault::Fail(_)) && f.applies(id))
        {
            // A `fail` fault acts in its routine instead ([`Faults::failure`]).
            None | Some(Fault::Fail(_)) => {}
            Some(Fault::Hang(_)) => loop {
                std::thread::sleep(Duration::from_secs(3600));
            },
            Some(Fault::Abort(_)) => std::process::abort(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtbench_loadgen::hdr;
    use rtbench_workloads::Routine;

    fn args(line: &str) -> BenchArgs {
        BenchArgs::parse(line.split_whitespace().map(String::from)).unwrap()
    }

    /// `--list` (and `--test`, and `--ignored`) write nothing, so they must
    /// not create the run folder `scripts/report` would take as the newest.
    #[test]
    fn only_measuring_opens_a_run_folder() {
        for (line, opens) in [
            ("--bench", true),
            ("--bench echo/tokio", true),
            ("--bench --profile-time 5", true),
            ("--bench --list", false),
            ("--list --bench --format terse", false),
            ("--bench --test", false),
            ("", false), // no --bench: criterion's test mode
            ("--bench --ignored", false),
        ] {
            assert_eq!(args(line).opens_run_folder(), opens, "{line:?}");
        }
        assert_eq!(args("--bench --list --test").mode, Mode::List);
        assert_eq!(args("--bench --profile-time=2").mode, Mode::Profile);
        assert_eq!(args("--bench --quick").mode, Mode::Measure { quick: true });
    }

    #[test]
    fn the_filter_is_the_first_free_argument_as_criterion_reads_it() {
        let a = args("--bench --sample-size 30 --color never echo/tokio-mt/ extra");
        assert_eq!(a.sample_size, Some(30));
        assert!(a.selects("echo/tokio-mt/64B-1c"));
        assert!(!a.selects("echo/tokio-ct/64B-1c"));
        let a = args("--bench --exact echo/a/b");
        assert!(a.selects("echo/a/b") && !a.selects("echo/a/bc"));
        assert!(args("--bench").selects("anything"));
        assert!(!args("--bench --ignored").selects("anything"));
        assert!(BenchArgs::parse(["--bench".into(), "(".into()]).is_err());
        assert_eq!(args("--bench").measured_calls(20), 20);
        assert_eq!(args("--bench --quick").measured_calls(20), 2);
        assert_eq!(args("--bench --profile-time 3").measured_calls(20), 0);
        assert_eq!(args("--bench --test").measured_calls(20), 0);
    }

    #[test]
    fn unavailable_configurations_are_skipped_before_criterion() {
        let unavailable: BTreeMap<String, String> =
            [("glommio".to_string(), "locked memory: 64 KiB".to_string())].into();
        let run = args("--bench");
        let id = "echo/glommio/64B-1c";
        assert_eq!(
            plan(&run, id, "glommio", &unavailable),
            Plan::Skip("locked memory: 64 KiB")
        );
        assert_eq!(
            plan(&run, "echo/tokio-ct/64B-1c", "tokio-ct", &unavailable),
            Plan::Run
        );
        assert_eq!(
            plan(&args("--bench --test"), id, "glommio", &unavailable),
            Plan::Skip("locked memory: 64 KiB")
        );
        assert_eq!(
            plan(&args("--bench tokio"), id, "glommio", &unavailable),
            Plan::Filtered
        );
        // --list lists every id, the unavailable ones too.
        assert_eq!(
            plan(&args("--bench --list"), id, "glommio", &unavailable),
            Plan::Run
        );
    }

    fn samples(per_iter_ns: &[u64]) -> Vec<(u64, Duration)> {
        per_iter_ns
            .iter()
            .enumerate()
            .map(|(i, &ns)| {
                let iters = 10 * (i as u64 + 1);
                (iters, Duration::from_nanos(ns * iters))
            })
            .collect()
    }

    #[test]
    fn estimate_is_criterions_mean_and_median_of_time_per_iteration() {
        let s = samples(&[100, 110, 90, 105, 95, 300, 100, 100, 98, 102]);
        let e = estimate(&s, 10).unwrap();
        assert_eq!(e.samples, 10);
        assert!((e.mean_ns - 120.0).abs() < 1e-9, "{e:?}");
        assert!((e.median_ns - 100.0).abs() < 1e-9, "{e:?}");
        assert!(
            e.mean_lower_ns < e.mean_ns && e.mean_ns < e.mean_upper_ns,
            "{e:?}"
        );
        assert!(e.mean_lower_ns >= 90.0 && e.mean_upper_ns <= 300.0, "{e:?}");
        // Fixed seed: the same samples give the same interval.
        assert_eq!(estimate(&s, 10), Some(e));
        // Equal samples: a point.
        let flat = estimate(&samples(&[50; 10]), 10).unwrap();
        assert_eq!((flat.mean_lower_ns, flat.mean_upper_ns), (50.0, 50.0));
    }

    #[test]
    fn estimate_uses_the_last_samples_and_needs_all_of_them() {
        // Warm-up calls first (1, 2, 4 iterations at 1 ms each), then 10 samples.
        let mut s: Vec<(u64, Duration)> = [1, 2, 4]
            .iter()
            .map(|&i| (i, Duration::from_millis(i)))
            .collect();
        s.extend(samples(&[100; 10]));
        assert_eq!(estimate(&s, 10).unwrap().mean_ns, 100.0);
        assert_eq!(estimate(&s[..12], 13), None, "shorter than the sample size");
        assert_eq!(estimate(&[], 10), None);
        assert_eq!(estimate(&s, 1), None);
    }

    /// A routine that records one value per iteration, `call_no * 1000` ns,
    /// so every histogram entry says which call made it.
    struct Counting {
        work: Work,
        hist: Histogram<u64>,
        calls: u64,
        cpu: Duration,
    }

    impl Routine for Counting {
        fn run(&mut self, iters: u64) -> Result<Duration, String> {
            self.calls += 1;
            for _ in 0..iters {
                hdr::record(&mut self.hist, self.calls * 1000);
            }
            self.work.ops += iters;
            self.cpu += Duration::from_nanos(7 * iters);
            Ok(Duration::from_nanos(100 * iters))
        }
        fn work(&self) -> Work {
            self.work
        }
        fn per_iter(&self) -> Work {
            Work::ops(1)
        }
    }

    impl Default for Counting {
        fn default() -> Self {
            Counting {
                work: Work::default(),
                hist: hdr::histogram(),
                calls: 0,
                cpu: Duration::ZERO,
            }
        }
    }

    impl Observed for Counting {
        fn description(&self) -> rtbench_format::Description {
            rtbench_format::Description::named("counting")
        }
        fn topology(&self) -> String {
            "1 core".into()
        }
        fn hist_mut(&mut self) -> Option<&mut Histogram<u64>> {
            Some(&mut self.hist)
        }
        fn server_cpu(&self) -> Option<Duration> {
            Some(self.cpu)
        }
    }

    /// One call as `bench` makes it.
    fn call(r: &mut Counting, iters: u64, m: &mut Measured) -> Result<(), String> {
        let start = m.start(r);
        let elapsed = r.run(iters)?;
        m.finish(r, start, iters, elapsed)
    }

    /// The bug: warm-up round trips were in the histogram and in
    /// `ops_checked`. Only the sample calls may count.
    #[test]
    fn figures_come_from_the_measured_calls_only() {
        let mut r = Counting::default();
        let mut m = Measured::new(10);
        let warm_up = [1u64, 2, 4, 8, 16, 32];
        let sampled: Vec<u64> = (1..=10).map(|k| 3 * k).collect();
        for &iters in warm_up.iter().chain(&sampled) {
            call(&mut r, iters, &mut m).unwrap();
        }
        let want: u64 = sampled.iter().sum();
        let h = m.hist().unwrap();
        assert_eq!(h.len(), want);
        assert_eq!(m.ops(), want);
        // The first sample call is the 7th call: nothing below 7000 ns.
        assert_eq!(h.min(), h.lowest_equivalent(7000));
        assert_eq!(h.max(), h.highest_equivalent(16_000));
        assert_eq!(m.server_cpu_ns_per_op(), Some(7.0));
        let e = m.estimate().unwrap();
        assert_eq!((e.samples, e.mean_ns), (10, 100.0));
    }

    #[test]
    fn a_window_that_never_filled_gives_no_figures() {
        let mut r = Counting::default();
        let mut m = Measured::new(10);
        for iters in [1, 2, 3] {
            call(&mut r, iters, &mut m).unwrap();
        }
        assert!(!m.complete());
        assert_eq!((m.estimate(), m.ops()), (None, 0));
        assert!(m.hist().is_none() && m.server_cpu_ns_per_op().is_none());
        // Nothing kept when criterion analyses nothing (test, profile).
        let mut none = Measured::new(0);
        call(&mut r, 5, &mut none).unwrap();
        assert!(!none.complete() && none.estimate().is_none());
    }

    #[test]
    fn rounds_are_one_based() {
        assert_eq!(round(None), Ok(1));
        assert_eq!(round(Some("")), Ok(1));
        assert_eq!(round(Some("3")), Ok(3));
        assert!(round(Some("0")).is_err() && round(Some("x")).is_err());
    }

    #[test]
    fn the_fault_switch_names_a_benchmark() {
        assert_eq!(Faults::parse(""), Ok(Faults::default()));
        let f = Faults::parse("hang:echo/tokio-ct/,abort:timers/os-sleep/").unwrap();
        assert_eq!(
            f.0,
            [
                Fault::Hang("echo/tokio-ct/".into()),
                Fault::Abort("timers/os-sleep/".into())
            ]
        );
        assert!(f.0[0].applies("echo/tokio-ct/64B-1c") && !f.0[0].applies("echo/tokio-mt/64B-1c"));
        assert!(Faults::parse("hang:").is_err() && Faults::parse("sleep:x").is_err());
        assert!(Faults::parse("hang:x,bogus").is_err());
        let fail = Faults::parse("fail:fan_out/tokio-ct/").unwrap();
        assert!(fail.failure("fan_out/tokio-ct/spawn-1000").is_some());
        assert_eq!(fail.failure("fan_out/tokio-mt/spawn-1000"), None);
        assert_eq!(f.failure("echo/tokio-ct/64B-1c"), None);
        // A fail fault neither hangs nor aborts.
        fail.strike("fan_out/tokio-ct/spawn-1000");
        // A fault that names another benchmark returns at once.
        f.strike("fan_out/tokio-ct/spawn-1000");
    }
}
