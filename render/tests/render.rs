//! Renders the fixture runs and checks the figures in every format, not just
//! that files exist.

mod common;
use common::*;
use rtbench_render::{Options, ReportError, render};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

#[test]
fn complete_run_throughput_ratios_and_latency() {
    let o = render_ok("a-complete", None);
    assert!(o.rendered.problems.is_empty());
    assert_eq!(
        o.json["schema_version"],
        rtbench_render::REPORT_SCHEMA_VERSION
    );
    let echo = table(&o.json, "echo", "64B-16c");
    assert_eq!(echo["title"], "echo 64 B × 16 connections");
    assert_eq!(echo["topology"], "2 cores");
    assert_eq!(echo["reference"], "std-threads");
    // 100 ops per iteration in 1,000,000 ns: 100,000 round trips/s; interval from 1.01 ms / 0.99 ms.
    let tokio = row(echo, "tokio-mt");
    assert!(close(&tokio["throughput"]["value"], 100_000.0));
    assert!(close(
        &tokio["throughput"]["lower"],
        100.0 * 1e9 / 1_010_000.0
    ));
    assert!(close(
        &tokio["throughput"]["upper"],
        100.0 * 1e9 / 990_000.0
    ));
    assert!(close(&tokio["ratio_to_reference"], 2.0));
    assert!(close(&row(echo, "smol-mt")["ratio_to_best"], 0.8));
    assert!(close(&row(echo, "std-threads")["ratio_to_best"], 0.5));
    assert_eq!(
        runtimes(echo),
        ["tokio-mt", "smol-mt", "std-threads"],
        "fastest first"
    );
    // The other echo case has smol-mt fastest.
    assert_eq!(table(&o.json, "echo", "1024B-16c")["best"], "smol-mt");

    let md = &o.md;
    let r = md_row(md, "### echo 64 B × 16 connections", "tokio-mt");
    for cell in [
        "| 100 k (99.0 k – 101 k) |",
        "| 1.00× | 2.00× |",
        "| 150 µs | 225 µs | 450 µs | 900 µs | 2.10 ms |",
        "| 9.00 µs |",
    ] {
        assert!(r.contains(cell), "{cell} in {r}");
    }
    assert!(
        md_row(md, "### echo 64 B × 16 connections", "smol-mt")
            .contains("| 80.0 k (78.7 k – 81.3 k) | 0.80× | 1.60× |")
    );
    assert!(
        md_row(md, "### echo 64 B × 16 connections", "std-threads (ref)")
            .contains("| 0.50× | 1.00× |")
    );
    assert!(
        md.contains("floor: std-threads") && md.contains("topology: 2 cores · placement: split")
    );
    // HTML shows the same figures.
    assert!(
        o.html
            .contains(">100 k<br><span class=\"ci\">99.0 k – 101 k</span>")
    );
    assert!(o.html.contains("<td class=\"num\">2.00×</td>"));
}

#[test]
fn fan_out_and_timers_get_their_own_columns() {
    let o = render_ok("a-complete", None);
    let fan = table(&o.json, "fan_out", "spawn-1000");
    assert_eq!(fan["reference"], Value::Null);
    assert!(close(
        &row(fan, "smol-mt")["time_per_op_ns"]["value"],
        300.0
    ));
    assert!(close(&row(fan, "tokio-mt")["bytes_per_task"], 256.0));
    let r = md_row(&o.md, "### fan_out 1000 tasks", "tokio-mt");
    assert!(
        r.contains("| 400 ns | 2.50 M (2.48 M – 2.53 M) | 0.75× | — | 256 B |"),
        "{r}"
    );
    assert!(o.md.contains("| Time / task |") && o.md.contains("| Bytes / task |"));

    let timers = table(&o.json, "timers", "sleep-50us");
    assert_eq!(timers["latency_kind"], "lateness");
    // Two OS floors; the ratio divides by the faster one (slack 1 ns).
    assert_eq!(timers["reference"], "os-sleep-slack1ns");
    assert!(close(&row(timers, "smol-mt")["ratio_to_reference"], 0.6));
    assert!(close(
        &row(timers, "os-sleep-slack1ns")["timer_slack_ns"],
        1.0
    ));
    let r = md_row(&o.md, "### timers sleep-50us", "tokio-mt");
    assert!(
        r.contains("| 1ms-wheel | epoll | 50.0 µs | 1.06 ms | 943 (934 – 953) |"),
        "{r}"
    );
    assert!(
        r.contains("| 1.00 ms | 1.50 ms | 3.00 ms | 6.00 ms | 14.0 ms |"),
        "{r}"
    );
    assert!(o.md.contains("| Lateness p50 |") && o.md.contains("| Timer slack |"));
    assert!(
        md_row(&o.md, "### timers sleep-50us", "os-sleep-slack1ns (ref)").contains("| 1.00 ns |")
    );
    // Echo has no lateness, fan_out no latency, and no table mixes kinds.
    assert!(!md_row(&o.md, "### echo 64 B", "smol-mt").contains("Lateness"));
}

#[test]
fn environment_block_comes_from_meta() {
    let o = render_ok("a-complete", None);
    for line in [
        "| Kernel | Linux 6.1.0-test |",
        "| CPU model | Test CPU @ 2.0GHz |",
        "| Cores | 2 |",
        "| Memlock limit | 8 MiB |",
        "| io\\_uring | available |",
        "| rustc | rustc 1.95.0 (test) |",
        "| Mode | quick |",
        "| Placement | split |",
        "| Git commit | 0123456789abcdef0123456789abcdef01234567 |",
        "| Date | 2025-01-01T00:00:00Z |",
        "| Crate versions | criterion 0.8.2, smol 2.0.2, tokio 1.54.1 (from meta.json) |",
    ] {
        let line = line.replace("io\\_uring", "io_uring");
        assert!(o.md.contains(&line), "{line}");
    }
    assert!(
        o.html
            .contains("<tr><th>CPU model</th><td>Test CPU @ 2.0GHz</td></tr>")
    );
    assert!(o.html.contains("How to read this"));
}

#[test]
fn partial_run_lists_missing_and_failed_rows() {
    let o = render_ok("b-partial", None);
    let missing = o.json["missing"].as_array().unwrap();
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!(missing[0]["runtime"], "smol-mt");
    assert_eq!(missing[0]["case"], "1024B-16c");
    assert!(o.md.contains("## Missing results") && o.md.contains("- **smol-mt**: echo 1024B-16c"));
    assert!(o.html.contains("<li><b>smol-mt</b>: echo 1024B-16c</li>"));
    let fan = table(&o.json, "fan_out", "spawn-1000");
    let failed = row(fan, "smol-mt");
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["throughput"], Value::Null);
    let error = "task results did not add up: expected 499500, got 499499";
    assert_eq!(failed["error"], error);
    assert!(md_row(&o.md, "### fan_out", "smol-mt").contains(&format!("**failed**: {error}")));
    assert!(o.html.contains(&format!("failed: {error}</td>")));
    // The failed row is not the best, and ratios ignore it.
    assert_eq!(fan["best"], "tokio-mt");
    assert!(close(&row(fan, "tokio-mt")["ratio_to_best"], 1.0));
}

#[test]
fn skipped_runtimes_show_their_reason_escaped() {
    let dir = out_dir("skipped");
    let _cleanup = Cleanup(dir.clone());
    let mut opts = opts("c-skipped", None, dir.clone());
    opts.cargo_lock = Some(rtbench_render::CargoLock {
        path: fixture("lock/Cargo.lock"),
        crates: vec!["tokio", "hdrhistogram", "glommio"],
    });
    let r = render(&opts).unwrap();
    assert!(r.problems.is_empty());
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    let reason = "io_uring disabled: <kernel.io_uring_disabled = 2> & no fallback";
    let rt = |name: &str| {
        json["runtimes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(rt("tokio-uring")["status"], "skipped");
    assert_eq!(rt("tokio-uring")["reason"], reason);
    assert!(html.contains("<li><b>tokio-uring</b>: io_uring disabled: &lt;kernel.io_uring_disabled = 2&gt; &amp; no fallback</li>"));
    assert!(
        !html.contains("<kernel."),
        "raw text from a file reached the page"
    );
    assert!(md.contains(
        "- **glommio**: locked-memory limit 64 KiB is below glommio's 512 KiB minimum (ulimit -l)"
    ));
    assert!(md.contains(
        "- **tokio-uring**: io_uring disabled: &lt;kernel.io_uring_disabled = 2&gt; & no fallback"
    ));
    // Skipped runtimes are not "missing": they were never meant to run.
    assert!(json["missing"].as_array().unwrap().is_empty());
    // meta.json had no crate versions: they come from the given Cargo.lock.
    assert_eq!(json["crate_versions_source"], "Cargo.lock");
    assert_eq!(json["crate_versions"]["hdrhistogram"], "7.5.4, 7.6.0");
    assert_eq!(json["crate_versions"]["tokio"], "1.54.1");
    assert!(json["crate_versions"].get("serde").is_none());
    assert!(md.contains(
        "| Crate versions | hdrhistogram 7.5.4, 7.6.0, tokio 1.54.1 (from Cargo.lock) |"
    ));
}

#[test]
fn a_corrupt_bench_file_is_listed_and_the_rest_rendered() {
    let o = render_ok("d-corrupt-bench", None);
    assert_eq!(o.rendered.problems.len(), 1);
    let p = &o.rendered.problems[0];
    assert!(
        p.contains("echo__smol-mt__64B-16c.json") && p.contains("not valid JSON"),
        "{p}"
    );
    assert!(o.md.contains("## Problems") && o.md.contains("echo__smol-mt__64B-16c.json"));
    assert!(
        o.html.contains("id=\"problems\"") && o.html.contains("echo__smol-mt__64B-16c.json</code>")
    );
    assert_eq!(
        o.json["problems"][0]["file"].as_str().unwrap(),
        fixture("d-corrupt-bench/bench/echo__smol-mt__64B-16c.json")
            .display()
            .to_string()
    );
    let echo = table(&o.json, "echo", "64B-16c");
    assert_eq!(echo["rows"].as_array().unwrap().len(), 2);
}

#[test]
fn an_all_bad_folder_is_one_error_naming_meta_json() {
    let dir = out_dir("all-bad");
    let _cleanup = Cleanup(dir.clone());
    let e = render(&opts("e-all-bad", None, dir.clone())).unwrap_err();
    let s = e.to_string();
    assert!(matches!(e, ReportError::File { .. }));
    assert!(
        s.contains(&fixture("e-all-bad/meta.json").display().to_string()),
        "{s}"
    );
    assert!(s.contains("not valid JSON") && s.contains("1 more"), "{s}");
    assert!(!s.contains('\n'));
    assert!(!dir.exists(), "nothing written on error");
}

#[test]
fn no_run_at_all_is_an_error_naming_the_folder() {
    let empty = out_dir("empty-results");
    let _cleanup = Cleanup(empty.clone());
    std::fs::create_dir_all(&empty).unwrap();
    let e = render(&Options {
        results: empty.clone(),
        out: out_dir("empty-out"),
        baseline: None,
        cargo_lock: None,
    })
    .unwrap_err();
    assert!(matches!(e, ReportError::NoRun(_)));
    assert!(
        e.to_string().starts_with(&empty.display().to_string()),
        "{e}"
    );
    let gone = empty.join("nope");
    let e = render(&Options {
        results: gone.clone(),
        out: out_dir("gone-out"),
        baseline: None,
        cargo_lock: None,
    })
    .unwrap_err();
    assert!(e.to_string().contains(&gone.display().to_string()), "{e}");
}

#[test]
fn a_root_of_runs_renders_the_newest() {
    let dir = out_dir("root");
    let _cleanup = Cleanup(dir.clone());
    render(&Options {
        results: fixture(""),
        out: dir.clone(),
        baseline: None,
        cargo_lock: None,
    })
    .unwrap();
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    // Folders sort a-complete .. f-baseline; the last one with meta.json wins.
    assert_eq!(json["run"]["run_id"], "20241201T000000Z-baseline");
}

#[test]
fn baseline_marks_only_changes_whose_intervals_do_not_overlap() {
    let o = render_ok("a-complete", Some("f-baseline"));
    let echo = table(&o.json, "echo", "64B-16c");
    let tokio = &row(echo, "tokio-mt")["change"];
    assert_eq!(tokio["verdict"], "faster");
    assert!(close(&tokio["percent"], 20.0));
    let smol = &row(echo, "smol-mt")["change"];
    assert_eq!(smol["verdict"], "unchanged");
    assert!(close(&smol["percent"], (1.26 / 1.25 - 1.0) * 100.0));
    assert_eq!(row(echo, "std-threads")["change"], Value::Null);
    assert!(md_row(&o.md, "### echo 64 B", "tokio-mt").ends_with("| **▲ +20.0%** |"));
    assert!(md_row(&o.md, "### echo 64 B", "smol-mt").ends_with("| ~ +0.80% |"));
    assert!(md_row(&o.md, "### echo 64 B", "std-threads (ref)").ends_with("| — |"));
    assert_eq!(o.html.matches("class=\"num faster\"").count(), 1);
    assert_eq!(o.html.matches("class=\"num slower\"").count(), 0);
    assert!(o.html.contains("<td class=\"num faster\">▲ +20.0%</td>"));
    assert!(o.html.contains("<td class=\"num same\">~ +0.80%</td>"));
    assert_eq!(o.json["baseline"]["run_id"], "20241201T000000Z-baseline");
    // Reversed, the same pair is a marked slow-down.
    let back = render_ok("f-baseline", Some("a-complete"));
    assert_eq!(
        row(table(&back.json, "echo", "64B-16c"), "tokio-mt")["change"]["verdict"],
        "slower"
    );
    assert_eq!(back.html.matches("class=\"num slower\"").count(), 1);
}

#[test]
fn every_chart_is_a_file_and_inlined_once() {
    let o = render_ok("a-complete", None);
    let listed: Vec<&str> = o.json["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["tables"].as_array().unwrap())
        .flat_map(|t| t["charts"].as_array().unwrap())
        .map(|c| c["file"].as_str().unwrap())
        .collect();
    // echo: throughput + spectrum per case; fan_out: throughput, time, bytes; timers: throughput + lateness.
    assert_eq!(listed.len(), 2 + 2 + 3 + 2);
    for f in &listed {
        let svg = std::fs::read_to_string(o.dir.join(f)).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{f}"
        );
        assert!(o.rendered.files.iter().any(|p| p.ends_with(f)));
    }
    assert_eq!(o.html.matches("<svg").count(), listed.len());
    assert!(o.html.contains("<svg class=\"chart\" role=\"img\""));
    // Axis titles carry units; the spectrum ticks are percentiles.
    let spectrum = std::fs::read_to_string(o.dir.join(listed[1])).unwrap();
    for label in [
        "round-trip latency (log scale)",
        "99.9%",
        "99.99%",
        "50%",
        "max",
        " µs",
    ] {
        assert!(spectrum.contains(label), "{label}");
    }
    let lateness = std::fs::read_to_string(o.dir.join(listed.last().unwrap())).unwrap();
    assert!(lateness.contains("timer lateness") && lateness.contains("os-sleep-slack1ns"));
    // Reference rows are dashed (many short segments), runtimes one line each.
    let segments = |name: &str| {
        let colour = o.json["runtimes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()["colour"]
            .as_str()
            .unwrap()
            .to_uppercase();
        lateness
            .matches(&format!(
                "<polyline fill=\"none\" opacity=\"1\" stroke=\"{colour}\""
            ))
            .count()
    };
    assert!(
        segments("os-sleep") > 10 && segments("os-sleep-slack1ns") > 10,
        "floors dashed"
    );
    assert!((1..=2).contains(&segments("smol-mt")), "runtimes solid");
    assert!(
        std::fs::read_to_string(o.dir.join(listed[0]))
            .unwrap()
            .contains("throughput (round trips/s, 95% CI)")
    );
    // A runtime has one colour everywhere.
    let colours: BTreeMap<String, String> = o.json["runtimes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["colour"].as_str().unwrap().to_uppercase(),
            )
        })
        .collect();
    let mut seen = 0;
    for f in &listed {
        let svg = std::fs::read_to_string(o.dir.join(f)).unwrap();
        for (name, colour) in &colours {
            if svg.contains(&format!(">\n{name}\n<")) {
                seen += 1;
                assert!(
                    svg.to_uppercase().contains(colour.as_str()),
                    "{name} in {f}"
                );
            }
        }
    }
    // Every row is named in each of its table's charts.
    assert_eq!(seen, 3 + 3 + 3 + 3 + 2 + 2 + 2 + 4 + 4);
}

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.display().to_string(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn results_folders_are_never_written() {
    let before = snapshot(&fixture(""));
    render_ok("a-complete", Some("f-baseline"));
    render_ok("d-corrupt-bench", None);
    for inside in [fixture("a-complete/bench/out"), fixture("a-complete/html")] {
        let e = render(&opts("a-complete", None, inside.clone())).unwrap_err();
        assert!(matches!(e, ReportError::OutInsideResults { .. }), "{e}");
        assert!(!inside.exists());
    }
    let e = render(&opts(
        "b-partial",
        Some("a-complete"),
        fixture("a-complete"),
    ))
    .unwrap_err();
    assert!(matches!(e, ReportError::OutInsideResults { .. }), "{e}");
    assert_eq!(before, snapshot(&fixture("")));
}

#[test]
fn rerendering_replaces_outputs_and_leaves_no_temp_files() {
    let dir = out_dir("twice");
    let _cleanup = Cleanup(dir.clone());
    for _ in 0..2 {
        render(&opts("a-complete", None, dir.clone())).unwrap();
    }
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
    assert!(names.contains(&"results.schema.json".to_string()));
}

#[test]
fn a_corrupt_meta_beside_good_benches_is_listed_and_the_rest_rendered() {
    let run = out_dir("bad-meta-run");
    let _cleanup = Cleanup(run.clone());
    std::fs::create_dir_all(run.join("bench")).unwrap();
    for f in [
        "echo__tokio-mt__64B-16c.json",
        "echo__std-threads__64B-16c.json",
    ] {
        std::fs::copy(
            fixture("a-complete/bench").join(f),
            run.join("bench").join(f),
        )
        .unwrap();
    }
    std::fs::write(run.join("meta.json"), "").unwrap();
    let out = out_dir("bad-meta-out");
    let _cleanup_out = Cleanup(out.clone());
    let r = render(&Options {
        results: run.clone(),
        out: out.clone(),
        baseline: None,
        cargo_lock: None,
    })
    .unwrap();
    assert_eq!(r.problems.len(), 1);
    assert!(
        r.problems[0].contains("meta.json") && r.problems[0].contains("empty"),
        "{:?}",
        r.problems
    );
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("meta.json was unreadable (see Problems)"));
    assert!(md_row(&md, "### echo 64 B", "tokio-mt").contains("| 100 k (99.0 k – 101 k) |"));
}

/// A run's own `report/` folder is where `rtbench run` renders it: allowed,
/// and it leaves the run's results as they were.
#[test]
fn a_run_renders_into_its_own_report_folder() {
    let run = out_dir("own-report");
    let _cleanup = Cleanup(run.clone());
    std::fs::create_dir_all(&run).unwrap();
    for f in ["meta.json", "bench"] {
        let status = std::process::Command::new("cp")
            .arg("-r")
            .arg(fixture("a-complete").join(f))
            .arg(&run)
            .status()
            .unwrap();
        assert!(status.success());
    }
    let before = snapshot(&run);
    let own = run.join(rtbench_render::REPORT_DIR);
    render(&rtbench_render::Options {
        results: run.clone(),
        out: own.clone(),
        baseline: None,
        cargo_lock: None,
    })
    .unwrap();
    assert!(own.join("index.html").is_file());
    let own_prefix = own.display().to_string();
    let after: BTreeMap<_, _> = snapshot(&run)
        .into_iter()
        .filter(|(p, _)| !p.starts_with(&own_prefix))
        .collect();
    assert_eq!(before, after);
}
