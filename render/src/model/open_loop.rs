//! The open-loop groups of the model (latency under load, uneven work):
//! steps, capacities and their intervals, and the notes that go with them.

use super::names::chart_ref;
use super::rounds::{Merged, measured, ranked, row_error, wide};
use super::types::*;
use crate::rank::{self, Ranked};
use crate::reading::{self, Best};
use rtbench_format::{BenchResult, Capacity, Flavor, Slo, SlowCause, Status, Step};

/// One group of an open-loop workload: rows sorted by capacity (for `work`
/// within flavor groups, with its reading), steps by offered rate, the 50%,
/// 80% and 90% sweep steps picked out for the table.
pub(crate) fn load_group(
    workload: &str,
    id: String,
    scope: Scope,
    merged: &[Merged],
    colour: &dyn Fn(&str) -> String,
) -> LoadGroup {
    let setup = merged
        .iter()
        .find_map(|m| Some((m.bench, measured(m.bench)?)))
        .map(|(b, o)| LoadSetup {
            slo: o.slo,
            slo_label: rtbench_format::slo_label(&o.slo),
            reference_rate: o.reference_rate,
            reference_source: o.reference_source.clone(),
            arrivals: o.arrivals.clone(),
            seed: o.seed,
            step_secs: o.step_secs,
            warmup_secs: o.warmup_secs,
            generator_wait: o.generator_wait.clone(),
            server_cores: b.server_cores,
            generator_threads: b.generator_threads,
            work: b.work.clone(),
            interleaving: o.interleaving.clone(),
        });
    let mut rows: Vec<LoadRow> = merged
        .iter()
        .map(|&Merged { bench: b, stats }| {
            let mut steps: Vec<LoadStep> = measured(b)
                .iter()
                .flat_map(|o| &o.steps)
                .map(|s| LoadStep {
                    kind: s.kind.clone(),
                    fraction: s.fraction,
                    offered_rate: s.offered_rate,
                    achieved_rate: s.achieved_rate,
                    corrected: (&s.latency).into(),
                    service_p99_ns: s.service.p99_ns,
                    lag_p99_ns: (s.lag.count > 0).then_some(s.lag.p99_ns),
                    queued: s.queued,
                    behind: s.behind,
                    meets_slo: s.meets_slo,
                    target: s.target,
                    verdict: s.verdict,
                    trials: pooled(s),
                    reruns: s.reruns,
                })
                .collect();
            steps.sort_by(|a, b| a.offered_rate.total_cmp(&b.offered_rate));
            // The attempt that decided the sweep step: its last repeat, if any.
            let at = |fraction: f64| {
                let s = measured(b)?.steps.iter().rev().find(|s| {
                    matches!(s.kind.as_str(), "sweep" | "repeat")
                        && (s.fraction - fraction).abs() < 1e-6
                })?;
                Some(LoadPoint {
                    fraction: s.fraction,
                    offered_rate: s.offered_rate,
                    behind: s.behind,
                    repeated: s.kind == "repeat",
                    corrected: (&s.latency).into(),
                    service: (&s.service).into(),
                    server_cpu_ns_per_op: s.server_cpu_ns_per_op,
                    generator_cpu_ns_per_op: s.generator_cpu_ns_per_op,
                    target: s.target,
                    verdict: s.verdict,
                    trials: pooled(s),
                    run_delay: run_delay(s),
                })
            };
            let d = &b.description;
            LoadRow {
                id: b.id.clone(),
                runtime: b.runtime.clone(),
                colour: colour(&b.runtime),
                flavor: d.flavor,
                adapter: d.knobs.get(crate::view::ADAPTER_KNOB).cloned(),
                is_reference: d.flavor == Flavor::Reference,
                status: b.status,
                error: row_error(b),
                round_stats: stats,
                capacity: measured(b).map(|o| o.capacity.clone()),
                at_50: at(0.5),
                at_80: at(0.8),
                at_90: at(0.9),
                lag_p99_at_highest_ns: steps.iter().rev().find_map(|s| s.lag_p99_ns),
                max_lag_p99_ns: steps.iter().filter_map(|s| s.lag_p99_ns).max(),
                any_behind: steps.iter().any(|s| s.behind),
                steps,
                tied_with_best: false,
                rank_group: None,
                slow_trials: slow_trials(measured(b).map_or(&[][..], |o| &o.steps)),
                idle_cpu_share: measured(b)
                    .and_then(|o| o.interleaving.as_ref())
                    .and_then(|i| i.idle_cpu_share),
            }
        })
        .collect();
    // Best capacity first; measured rows without one next; failed rows last.
    let rank = |r: &LoadRow| match &r.capacity {
        Some(Capacity { rate: Some(x), .. }) => (0, -x),
        Some(_) => (1, 0.0),
        None => (2, 0.0),
    };
    rows.sort_by(|a, b| {
        let (x, y) = (rank(a), rank(b));
        x.0.cmp(&y.0)
            .then(x.1.total_cmp(&y.1))
            .then_with(|| a.runtime.cmp(&b.runtime))
    });
    let work = workload == WORK_WORKLOAD;
    if work {
        // The question is work-stealing against thread-per-core: each its block.
        rows.sort_by_key(|r| flavor_rank(r.flavor));
    }
    let ranked: Vec<Option<Ranked>> = rows
        .iter()
        .map(|r| {
            let capacity = r.capacity.as_ref().map(|c| c.rate.unwrap_or(0.0));
            ranked(capacity.filter(|_| r.status == Status::Ok), &r.round_stats)
        })
        .collect();
    for (r, p) in rows.iter_mut().zip(rank::places(&ranked)) {
        (r.tied_with_best, r.rank_group) = (p.tied_with_best, p.group);
    }
    let reading = setup
        .as_ref()
        .filter(|_| work)
        .and_then(|s| group_reading(&rows, &s.slo_label, work_mix(&scope.case)));
    let title = &scope.title;
    let by_rate = |p: &str| format!("corrected {p} latency by offered rate");
    let charts = setup.as_ref().map_or(Vec::new(), |s| {
        vec![
            chart_ref(&id, title, LoadChartKind::LatencyP99, &by_rate("p99")),
            chart_ref(&id, title, LoadChartKind::LatencyP50, &by_rate("p50")),
            chart_ref(
                &id,
                title,
                LoadChartKind::Capacity,
                &format!("capacity at {}", s.slo_label),
            ),
        ]
    });
    LoadGroup {
        id,
        workload: workload.to_string(),
        scope,
        setup,
        wide_rows: wide(rows.iter().map(|r| &r.round_stats)),
        split_half: rank::split_half(&ranked),
        rows,
        charts,
        reading,
    }
}

/// Valid trials a step pooled (0 for a step of an older file).
pub(crate) fn pooled(s: &Step) -> u32 {
    s.trials.iter().filter(|t| !t.invalid).count() as u32
}

/// A step's run delay per second of its recorded windows: the pooled round
/// trips scheduled (sent or not) over the offered rate.
pub(crate) fn run_delay(s: &Step) -> Option<RunDelay> {
    let i = s.interference?;
    let secs = (s.round_trips + s.unsent) as f64 / s.offered_rate;
    if !secs.is_finite() || secs <= 0.0 {
        return None;
    }
    let per = |ns: Option<u64>| ns.map(|x| x as f64 / secs);
    Some(RunDelay {
        server_ns_per_s: per(i.server_run_delay_ns),
        generator_ns_per_s: per(i.generator_run_delay_ns),
    })
}

/// Every trial of every step with a slow tail, by cause; `None` when no
/// step recorded trials.
pub(crate) fn slow_trials(steps: &[Step]) -> Option<SlowTrials> {
    let mut out = SlowTrials::default();
    let mut any = false;
    for t in steps.iter().flat_map(|s| &s.trials) {
        any = true;
        match t.cause {
            Some(SlowCause::Server) => out.server += 1,
            Some(SlowCause::Generator) => out.generator += 1,
            Some(SlowCause::Machine) => out.machine += 1,
            None => {}
        }
    }
    any.then_some(out)
}

/// A warning when rows of one group ran against different targets or
/// reference rates: then their capacities do not compare.
pub(crate) fn group_note(group: &LoadGroup, benches: &[&BenchResult]) -> Option<String> {
    let setups: Vec<(Slo, f64)> = benches
        .iter()
        .filter_map(|b| b.open_loop.as_ref())
        .map(|o| (o.slo, o.reference_rate))
        .collect();
    setups.windows(2).any(|w| w[0] != w[1]).then(|| {
        format!(
            "{} ({}, {}): runtimes ran against different latency targets or reference rates; compare their rows with care.",
            group.scope.title, group.scope.topology, group.scope.placement
        )
    })
}

/// The reading of a group's rows ([`reading`]): work-stealing against
/// thread-per-core.
fn group_reading(rows: &[LoadRow], slo: &str, mix: &str) -> Option<String> {
    reading::reading(
        mix,
        slo,
        best_of(rows, Flavor::WorkStealing),
        best_of(rows, Flavor::ThreadPerCore),
    )
}

/// A flavor's best row among those that measured; `None` when none did.
fn best_of(rows: &[LoadRow], flavor: Flavor) -> Option<Best<'_>> {
    let rate = |r: &LoadRow| match &r.capacity {
        Some(Capacity { rate: Some(x), .. }) => Some(*x),
        _ => None,
    };
    rows.iter()
        .filter(|r| r.flavor == flavor && r.status == Status::Ok && r.capacity.is_some())
        .map(|r| Best {
            runtime: &r.runtime,
            rate: rate(r),
            spread: r.round_stats.spread,
            ci: r.round_stats.ci.map(|c| c.bounds()),
        })
        .max_by(|a, b| {
            let key = |x: &Best| x.rate.unwrap_or(-1.0);
            key(a).total_cmp(&key(b))
        })
}
