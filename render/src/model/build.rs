//! Building the model: results grouped into tables, rounds merged into
//! rows with their intervals, ranks and changes against a baseline.

use super::names::{
    case_rank, case_title, chart_ref, missing, natural_cmp, non_positive_estimates, slug,
    workload_rank,
};
use super::open_loop::{group_note, load_group};
use super::rounds::{Merged, merge_rounds, ranked, row_error, throughput, wide};
use super::types::*;
use super::{beside, overview};
use crate::rank::{self, Ranked};
use crate::read::{CargoLock, LoadedRun};
use rtbench_format::{BenchResult, Flavor, Status};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Builds the model from a loaded run, an optional baseline, and an optional
/// Cargo.lock (read only when meta.json records no crate versions).
pub fn build(
    run: &LoadedRun,
    baseline: Option<&LoadedRun>,
    cargo_lock: Option<&CargoLock>,
) -> Model {
    let mut problems: Vec<Problem> = run.problems.iter().map(Problem::from).collect();
    if let Some(b) = baseline {
        problems.extend(b.problems.iter().map(|e| Problem {
            message: format!("(baseline) {}", e.message),
            ..Problem::from(e)
        }));
    }
    let meta = run.meta.as_ref();

    // Crate versions: meta.json first, Cargo.lock as a fallback.
    let mut crate_versions = meta.map(|m| m.crate_versions.clone()).unwrap_or_default();
    let mut crate_versions_source =
        (!crate_versions.is_empty()).then_some(VersionsSource::MetaJson);
    if let Some(lock) = cargo_lock.filter(|_| crate_versions.is_empty()) {
        match rtbench_format::crate_versions(&lock.path, &lock.crates) {
            Ok(v) if !v.is_empty() => {
                crate_versions = v;
                crate_versions_source = Some(VersionsSource::CargoLock);
            }
            Ok(_) => {}
            Err(e) => problems.push(Problem::from(&e)),
        }
    }

    // Runtimes, in the stable (sorted) order that fixes their colours.
    let mut names: BTreeSet<&str> = run.benches.iter().map(|b| b.runtime.as_str()).collect();
    names.extend(
        meta.iter()
            .flat_map(|m| m.runtimes.iter().map(|r| r.name.as_str())),
    );
    let runtimes: Vec<RuntimeInfo> = names
        .iter()
        .enumerate()
        .map(|(i, &name)| {
            let entry = meta.and_then(|m| m.runtimes.iter().find(|r| r.name == name));
            let description = entry.and_then(|e| e.description.clone()).or_else(|| {
                run.benches
                    .iter()
                    .find(|b| b.runtime == name)
                    .map(|b| b.description.clone())
            });
            let (status, reason) = match entry {
                Some(e) if e.unavailable.is_some() => {
                    (RuntimeStatus::Skipped, e.unavailable.clone())
                }
                Some(_) => (RuntimeStatus::Available, None),
                // Not a runtime configuration: a no-runtime reference or check.
                None if description
                    .as_ref()
                    .is_some_and(|d| matches!(d.flavor, Flavor::Reference | Flavor::Check)) =>
                {
                    (RuntimeStatus::NoRuntime, None)
                }
                None => (RuntimeStatus::Unlisted, None),
            };
            RuntimeInfo {
                name: name.to_string(),
                colour: PALETTE[i % PALETTE.len()].to_string(),
                status,
                reason,
                description,
            }
        })
        .collect();
    let colour = |name: &str| {
        runtimes
            .iter()
            .find(|r| r.name == name)
            .map_or(PALETTE[0].to_string(), |r| r.colour.clone())
    };

    let base_benches: Vec<&BenchResult> = baseline.iter().flat_map(|b| &b.benches).collect();
    let base_rows: BTreeMap<&str, Interval> = merge_rounds(&base_benches)
        .into_iter()
        .filter_map(|m| Some((m.bench.id.as_str(), throughput(m.bench)?)))
        .collect();

    // Group results, every round, by (workload, case, topology, placement).
    let mut groups: BTreeMap<GroupKey, Vec<&BenchResult>> = BTreeMap::new();
    for (b, key) in run.benches.iter().zip(group_keys(&run.benches)) {
        groups.entry(key).or_default().push(b);
    }
    let mut keys: Vec<_> = groups.keys().cloned().collect();
    keys.sort_by(|a, b| {
        workload_rank(&a.0)
            .cmp(&workload_rank(&b.0))
            .then_with(|| a.0.cmp(&b.0))
            .then_with(|| case_rank(&a.0, &a.1).cmp(&case_rank(&b.0, &b.1)))
            .then_with(|| natural_cmp(&a.1, &b.1))
            .then_with(|| a.2.cmp(&b.2))
            .then_with(|| a.3.cmp(&b.3))
    });

    let mut workloads: Vec<Workload> = Vec::new();
    let mut latency_under_load = Vec::new();
    let mut uneven_work = Vec::new();
    let mut http_under_load = Vec::new();
    let mut failures = Vec::new();
    let mut notes = non_positive_estimates(&run.benches);
    let mut used_ids = BTreeSet::new();
    for key in keys {
        let all_rounds = &groups[&key];
        let (workload, case, topology, placement) = key;
        let mut id = slug(&format!("{workload}-{case}-{topology}-{placement}"));
        while !used_ids.insert(id.clone()) {
            id.push('x');
        }
        failures.extend(failures_of(all_rounds, &id));
        let merged = merge_rounds(all_rounds);
        let benches: Vec<&BenchResult> = merged.iter().map(|m| m.bench).collect();
        // A hung or crashed record has no sweep parameters: describe the
        // case from a result that ran.
        let first = benches
            .iter()
            .find(|b| !b.op.is_empty())
            .unwrap_or(&benches[0]);
        let scope = Scope {
            title: case_title(&workload, &case, &first.params),
            op: first.op.clone(),
            params: first.params.clone(),
            case,
            topology,
            placement,
        };
        if is_open_loop(&workload) {
            let group = load_group(&workload, id, scope, &merged, &colour);
            notes.extend(group_note(&group, &benches));
            match workload.as_str() {
                WORK_WORKLOAD => uneven_work.push(group),
                HTTP_LOAD_WORKLOAD => http_under_load.push(group),
                _ => latency_under_load.push(group),
            }
            continue;
        }
        let mut rows: Vec<Row> = merged
            .iter()
            .map(|m| {
                let b = m.bench;
                row(m, colour(&b.runtime), base_rows.get(b.id.as_str()))
            })
            .collect();
        let best = rows
            .iter()
            .filter_map(|r| Some((r.throughput?.value, r.runtime.clone())))
            .max_by(|a, b| a.0.total_cmp(&b.0));
        // The workload's named floor where it has one (fio for file I/O),
        // else the fastest floor.
        let floors = || {
            rows.iter()
                .filter(|r| r.is_reference)
                .filter_map(|r| Some((r.throughput?.value, r.runtime.clone())))
        };
        let named = workload
            .parse::<rtbench_format::Workload>()
            .ok()
            .and_then(|w| w.floor());
        let reference = floors()
            .find(|(_, name)| Some(name.as_str()) == named)
            .or_else(|| floors().max_by(|a, b| a.0.total_cmp(&b.0)));
        for r in &mut rows {
            if let Some(t) = r.throughput {
                r.ratio_to_best = best.as_ref().map(|b| t.value / b.0);
                r.ratio_to_reference = reference.as_ref().map(|b| t.value / b.0);
            }
        }
        // Fastest first; rows without figures (failed) last.
        rows.sort_by(|a, b| match (a.throughput, b.throughput) {
            (Some(x), Some(y)) => y.value.total_cmp(&x.value),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => a.runtime.cmp(&b.runtime),
        });
        let ranked: Vec<Option<Ranked>> = rows
            .iter()
            .map(|r| ranked(r.throughput.map(|t| t.value), &r.round_stats))
            .collect();
        for (r, p) in rows.iter_mut().zip(rank::places(&ranked)) {
            (r.tied_with_best, r.rank_group) = (p.tied_with_best, p.group);
        }
        let latency_kind = rows
            .iter()
            .find_map(|r| r.latency.as_ref().map(|l| l.kind.clone()));
        let charts = chart_refs(&id, &scope.title, &workload, &scope.op, &rows);
        let table = Table {
            id,
            scope,
            latency_kind,
            reference: reference.map(|r| r.1),
            best: best.map(|b| b.1),
            wide_rows: wide(rows.iter().map(|r| &r.round_stats)),
            split_half: rank::split_half(&ranked),
            rows,
            charts,
            workload: workload.clone(),
            reading: None,
        };
        match workloads.last_mut() {
            Some(w) if w.name == workload => w.tables.push(table),
            _ => workloads.push(Workload {
                name: workload,
                tables: vec![table],
            }),
        }
    }

    if let (Some(m), Some(b)) = (meta, baseline.and_then(|b| b.meta.as_ref())) {
        for (what, now, then) in [
            (
                "CPU model",
                m.env.cpu_model.as_str(),
                b.env.cpu_model.as_str(),
            ),
            ("placement", &m.placement, &b.placement),
            ("mode", m.mode.as_str(), b.mode.as_str()),
        ] {
            if now != then {
                notes.push(format!(
                    "The baseline ran with a different {what} ({then}, now {now}): changes may not be the code's."
                ));
            }
        }
    }

    let mut model = Model {
        schema_version: REPORT_SCHEMA_VERSION,
        generator: format!("rtbench-render {}", env!("CARGO_PKG_VERSION")),
        run: run_info(run),
        environment: meta.map(|m| m.env.clone()),
        noise: meta.and_then(|m| m.noise.clone()),
        crate_versions,
        crate_versions_source,
        baseline: baseline.map(run_info),
        missing: missing(run, &runtimes),
        runtimes,
        workloads,
        latency_under_load,
        uneven_work,
        http_under_load,
        failures,
        problems,
        notes,
        overview: Overview::default(),
    };
    model.overview = overview::build(&model);
    beside::annotate(&mut model);
    model
}

fn run_info(run: &LoadedRun) -> RunInfo {
    let m = run.meta.as_ref();
    let last_round = run.benches.iter().map(|b| b.round).max().unwrap_or(1);
    RunInfo {
        path: run.dir.display().to_string(),
        run_id: m.map(|m| m.run_id.clone()),
        started_at: m.map(|m| m.started_at.clone()),
        mode: m.map(|m| m.mode),
        placement: m.map(|m| m.placement.clone()),
        git_commit: m.and_then(|m| m.git_commit.clone()),
        rounds: m.map_or(0, |m| m.rounds).max(last_round).max(1),
        seed: m.and_then(|m| m.seed),
        orders: m.map(|m| m.orders.clone()).unwrap_or_default(),
    }
}

/// (workload, case, topology, placement): what makes rows comparable.
type GroupKey = (String, String, String, String);

/// Each result's group. The runner writes a hung or crashed result without
/// the topology and placement the bench would have described, so such a
/// result takes them from another round of its id, else from a result of
/// its case and flavor, else of its case: its row then sits in its table
/// instead of a table of its own.
pub(crate) fn group_keys(benches: &[BenchResult]) -> Vec<GroupKey> {
    let described = |f: &dyn Fn(&BenchResult) -> bool| {
        benches
            .iter()
            .find(|o| !o.topology.is_empty() && f(o))
            .map(|o| (o.topology.clone(), o.placement.clone()))
    };
    benches
        .iter()
        .map(|b| {
            let (topology, placement) = if b.topology.is_empty() {
                let same_case = |o: &BenchResult| o.workload == b.workload && o.case == b.case;
                described(&|o| o.id == b.id)
                    .or_else(|| {
                        described(&|o| same_case(o) && o.description.flavor == b.description.flavor)
                    })
                    .or_else(|| described(&same_case))
                    .unwrap_or_else(|| (b.topology.clone(), b.placement.clone()))
            } else {
                (b.topology.clone(), b.placement.clone())
            };
            (b.workload.clone(), b.case.clone(), topology, placement)
        })
        .collect()
}

/// The results of a group that failed, hung or crashed, by runtime and
/// round (a `skipped` one never ran: its reason is in its row).
pub(crate) fn failures_of(benches: &[&BenchResult], table: &str) -> Vec<Failure> {
    let mut out: Vec<Failure> = benches
        .iter()
        .filter(|b| !matches!(b.status, Status::Ok | Status::Skipped))
        .map(|b| Failure {
            id: b.id.clone(),
            runtime: b.runtime.clone(),
            workload: b.workload.clone(),
            case: b.case.clone(),
            round: b.round,
            status: b.status,
            error: row_error(b).unwrap_or_default(),
            table: table.to_string(),
        })
        .collect();
    out.sort_by(|a, b| (&a.runtime, a.round).cmp(&(&b.runtime, b.round)));
    out
}

pub(crate) fn row(m: &Merged, colour: String, base: Option<&Interval>) -> Row {
    let b = m.bench;
    let ok = b.status == Status::Ok;
    let throughput = throughput(b);
    let time_per_op_ns = throughput.and(b.estimate).map(|e| Interval {
        value: e.mean_ns / b.ops_per_iter,
        lower: e.mean_lower_ns / b.ops_per_iter,
        upper: e.mean_upper_ns / b.ops_per_iter,
    });
    let change = throughput.zip(base).map(|(now, then)| Change {
        baseline_throughput: *then,
        percent: (now.value / then.value - 1.0) * 100.0,
        verdict: if now.lower > then.upper {
            Verdict::Faster
        } else if now.upper < then.lower {
            Verdict::Slower
        } else {
            Verdict::Unchanged
        },
    });
    let d = &b.description;
    Row {
        id: b.id.clone(),
        runtime: b.runtime.clone(),
        colour,
        status: b.status,
        error: row_error(b),
        round_stats: m.stats,
        is_reference: d.flavor == Flavor::Reference,
        flavor: d.flavor,
        workers: d.workers,
        timer_class: d.timer_class,
        driver: d.driver.clone(),
        ops_per_iter: b.ops_per_iter,
        ops_checked: b.ops_checked,
        estimate: b.estimate.filter(|_| ok),
        throughput,
        time_per_op_ns,
        ratio_to_best: None,
        ratio_to_reference: None,
        latency: b.latency.as_ref().filter(|_| ok).map(|l| LatencyFigures {
            hdr_base64: None,
            ..l.clone()
        }),
        server_cpu_ns_per_op: b.server_cpu_ns_per_op.filter(|_| ok),
        bytes_per_task: b.extra.get("bytes_per_task").copied(),
        timer_slack_ns: b.extra.get("timer_slack_ns").copied(),
        extra: b.extra.clone(),
        knobs: d.knobs.clone(),
        change,
        interference: b.interference.filter(|_| ok),
        tied_with_best: false,
        rank_group: None,
    }
}

/// Which charts a table gets; the chart module draws exactly these.
pub(crate) fn chart_refs(
    id: &str,
    title: &str,
    workload: &str,
    op: &str,
    rows: &[Row],
) -> Vec<ChartRef> {
    let mut out = Vec::new();
    let mut add = |kind: ChartKind, what: String| out.push(chart_ref(id, title, kind, &what));
    if rows.iter().any(|r| r.throughput.is_some()) {
        add(ChartKind::Throughput, "throughput".into());
    }
    if let Some(l) = rows.iter().find_map(|r| {
        r.latency
            .as_ref()
            .filter(|l| l.spectrum.iter().any(|s| s.0 < 100.0))
    }) {
        let what = if l.kind == "lateness" {
            "timer lateness by percentile".to_string()
        } else {
            format!("{} latency by percentile", l.kind)
        };
        add(ChartKind::Spectrum, what);
    }
    if workload == "fan_out" && rows.iter().any(|r| r.time_per_op_ns.is_some()) {
        add(ChartKind::TimePerOp, format!("time per {op}"));
    }
    if rows.iter().any(|r| r.bytes_per_task.is_some()) {
        add(ChartKind::BytesPerTask, "bytes per task".into());
    }
    out
}
