//! The "Latency under load" section: open-loop results get their own model
//! part, tables and charts, and runs without them render as before.

mod common;
use common::latency::GLOMMIO_ERROR;
use common::*;
use rtbench_render::fmt::si;
use serde_json::Value;

#[test]
fn the_model_groups_latency_apart_sorted_by_capacity() {
    let (o, _c) = latency::render();
    assert!(o.rendered.problems.is_empty(), "{:?}", o.rendered.problems);
    let j = &o.json;
    assert_eq!(j["schema_version"], rtbench_render::REPORT_SCHEMA_VERSION);
    assert_eq!(
        names(&j["workloads"], "name"),
        ["echo", "fan_out", "timers"],
        "no generic table"
    );
    let groups = j["latency_under_load"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["case"], "64B-16c", "natural case order");
    let g = load_group(j, "64B-16c");
    assert_eq!(g["title"], "latency 64 B × 16 connections");
    assert_eq!(g["topology"], "1 core");
    assert_eq!(g["setup"]["slo_label"], "p99 ≤ 1 ms");
    assert_eq!(g["setup"]["reference_rate"], 100_000.0);
    assert_eq!(
        g["setup"]["reference_source"],
        "closed-loop calibration, best of 11 (tokio-mt)"
    );
    // Capacity first, best first; the reference in its place, marked.
    assert_eq!(runtimes(g), ["tokio-mt", "std-threads", "smol", "glommio"]);
    let rows = g["rows"].as_array().unwrap();
    let tokio = &rows[0];
    assert!(close(&tokio["capacity"]["rate"], 80_000.0));
    assert!(close(&tokio["capacity"]["bracket_lo"], 80_000.0));
    assert!(close(&tokio["capacity"]["bracket_hi"], 81_250.0));
    assert_eq!(tokio["capacity"]["probes"], 12);
    assert!(rows[1]["is_reference"].as_bool().unwrap());
    assert_eq!(rows[1]["flavor"], "reference");
    assert!(!tokio["is_reference"].as_bool().unwrap());
    // At 50% load, corrected p99 = 4 × 50 µs / (1 − 0.5); service time hides the queue.
    assert_eq!(tokio["at_50"]["fraction"], 0.5);
    assert_eq!(tokio["at_50"]["corrected"]["p99_ns"], 400_000);
    assert_eq!(tokio["at_50"]["service"]["p99_ns"], 160_000);
    assert!(close(&tokio["at_90"]["offered_rate"], 90_000.0));
    assert!(!tokio["at_90"]["behind"].as_bool().unwrap());
    // Steps by offered rate, probes among them; lag at the highest (110%).
    let steps = tokio["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 12);
    let offered: Vec<f64> = steps
        .iter()
        .map(|s| s["offered_rate"].as_f64().unwrap())
        .collect();
    assert!(offered.windows(2).all(|w| w[0] <= w[1]), "{offered:?}");
    assert_eq!(steps.iter().filter(|s| s["kind"] == "probe").count(), 3);
    let last = steps.last().unwrap();
    assert_eq!(last["fraction"], 1.1);
    assert!(last["behind"].as_bool().unwrap() && !last["meets_slo"].as_bool().unwrap());
    // No send at 110% found its connection free: no lag there, so the
    // highest step with a lag figure stands in (a 0 would claim a perfect generator).
    assert_eq!(last["lag_p99_ns"], Value::Null);
    let below = &steps[steps.len() - 2];
    assert!(below["lag_p99_ns"].as_u64().unwrap() > 0);
    assert_eq!(tokio["lag_p99_at_highest_ns"], below["lag_p99_ns"]);
    assert_eq!(tokio["max_lag_p99_ns"], below["lag_p99_ns"]);
    assert!(tokio["any_behind"].as_bool().unwrap());
    // Nothing met the target: no capacity, the lowest step as the bracket.
    let glommio = &rows[3];
    assert_eq!(glommio["status"], "ok");
    assert_eq!(glommio["capacity"]["rate"], Value::Null);
    assert_eq!(glommio["capacity"]["bracket_lo"], 0.0);
    assert!(close(&glommio["capacity"]["bracket_hi"], 10_000.0));
    // Every rate met the target: no upper bracket; the failed row last.
    let g = load_group(j, "64B-256c");
    assert_eq!(runtimes(g), ["smol", "std-threads", "tokio-mt", "glommio"]);
    assert_eq!(g["rows"][0]["capacity"]["bracket_hi"], Value::Null);
    assert_eq!(g["rows"][3]["status"], "failed");
    assert_eq!(g["rows"][3]["error"], GLOMMIO_ERROR);
    assert_eq!(g["rows"][3]["capacity"], Value::Null);
    assert!(g["rows"][3]["steps"].as_array().unwrap().is_empty());
    // One colour per runtime across the whole report.
    let colour = |name: &str| {
        j["runtimes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()["colour"]
            .clone()
    };
    for r in g["rows"].as_array().unwrap() {
        assert_eq!(r["colour"], colour(r["runtime"].as_str().unwrap()));
    }
}

#[test]
fn the_section_follows_echo_with_its_tables_and_charts() {
    let (o, _c) = latency::render();
    let h = &o.html;
    let at = |s: &str| h.find(s).unwrap_or_else(|| panic!("{s} not in page"));
    let section = at("<section id=\"latency-under-load\"><h2>Latency under load</h2>");
    assert!(at("id=\"w-echo\"") < section && section < at("id=\"w-fan-out\""));
    assert!(h[section..].contains("corrected for coordinated omission as wrk2 does"));
    // The echo note links here.
    let note = &h[at("id=\"w-echo\"")..section];
    assert!(note.contains("Little&#39;s law") && note.contains("<a href=\"#latency-under-load\">"));
    for g in o.json["latency_under_load"].as_array().unwrap() {
        let id = g["id"].as_str().unwrap();
        assert!(h.contains(&format!("<li><a href=\"#t-{id}\">")), "toc {id}");
        let start = at(&format!("data-table=\"{id}\""));
        let body = &h[start..start + h[start..].find("</table>").unwrap()];
        assert_eq!(body.matches("<tr").count(), 5, "header + 4 rows of {id}");
        let charts = g["charts"].as_array().unwrap();
        let kinds: Vec<&str> = charts.iter().map(|c| c["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["latency_p99", "latency_p50", "capacity"]);
        for c in charts {
            let file = c["file"].as_str().unwrap();
            assert_eq!(file, format!("{id}-{}.svg", c["kind"].as_str().unwrap()));
            let svg = std::fs::read_to_string(o.dir.join(file)).unwrap();
            assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
            assert!(h.contains(&format!("id=\"c-{}\"", file.trim_end_matches(".svg"))));
            assert!(o.md.contains(&format!("]({file})")), "{file} in summary.md");
        }
    }
    // 9 closed-loop charts (a-complete) + 3 per latency group, each inlined once.
    assert_eq!(h.matches("<svg").count(), 9 + 2 * 3);

    let md = &o.md;
    let section = md.find("\n## Latency under load\n").unwrap();
    assert!(md.find("\n## echo\n").unwrap() < section);
    assert!(section < md.find("\n## fan_out\n").unwrap());
    assert!(md.contains("See [Latency under load](#latency-under-load)"));
    let heading = "### latency 64 B × 16 connections";
    let r = md_row(md, heading, "tokio-mt");
    for cell in [
        "| 80.0 k |",
        &format!("| {} – {} |", si(80_000.0), si(81_250.0)),
        "| 12 |",
        "| 400 µs (svc 160 µs) |",
    ] {
        assert!(r.contains(cell), "{cell} in {r}");
    }
    assert!(md_row(md, heading, "std-threads (ref)").contains("| 75.0 k |"));
    assert!(md.contains("target: p99 ≤ 1 ms · reference rate (100%): 100 k round trips/s"));
}

#[test]
fn no_capacity_and_failed_rows_say_so() {
    let (o, _c) = latency::render();
    let heading = "### latency 64 B × 16 connections";
    let none = md_row(&o.md, heading, "glommio");
    assert!(
        none.contains("| — (none below lowest step) | 0 – 10.0 k |"),
        "{none}"
    );
    assert!(
        o.html
            .contains("—<br><span class=\"ci\">none below lowest step</span>")
    );
    let all_met = md_row(&o.md, "### latency 64 B × 256 connections", "smol");
    assert!(
        all_met.contains("| 110 k | ≥ 110 k (all met) |"),
        "{all_met}"
    );

    let failed = md_row(&o.md, "### latency 64 B × 256 connections", "glommio");
    let escaped = "echo mismatch on connection 17: &lt;got 63 bytes&gt; & expected 64";
    assert!(
        failed.contains(&format!("**failed**: {escaped}")),
        "{failed}"
    );
    assert!(
        o.md.contains("Failed, so not in the latency charts: glommio."),
        "failed note in summary.md"
    );
    let html_error = "echo mismatch on connection 17: &lt;got 63 bytes&gt; &amp; expected 64";
    assert!(o.html.contains(&format!("failed: {html_error}</td>")));
    assert!(o.html.contains(&format!(
        "<p class=\"note\">Failed, so not in the latency charts: glommio ({html_error}).</p>"
    )));
    assert!(!o.html.contains("<got 63"), "raw text reached the page");

    let g16 = load_group(&o.json, "64B-16c");
    let g256 = load_group(&o.json, "64B-256c");
    let svg = |g: &Value, kind: &str| o.chart(g, kind);
    let capacity = svg(g16, "capacity");
    for label in [
        "none below lowest step",
        "80.0 k",
        "capacity at p99 ≤ 1 ms",
        "glommio",
    ] {
        assert!(capacity.contains(label), "{label} in the capacity chart");
    }
    assert!(svg(g256, "capacity").contains(">\nfailed\n<"));
    // The failed runtime has no line; the others and the target do.
    let p99 = svg(g256, "latency_p99");
    assert!(!p99.contains(">\nglommio\n<"));
    for label in [
        "tokio-mt",
        "std-threads",
        "target p99 ≤ 1 ms",
        "fell behind",
        "offered round trips/s (open loop)",
        "corrected p99 latency (log scale)",
    ] {
        assert!(p99.contains(label), "{label} in the p99 chart");
    }
    assert!(svg(g16, "latency_p50").contains("corrected p50 latency (log scale)"));
}

#[test]
fn the_reference_is_dashed_and_behind_steps_are_crossed() {
    let (o, _c) = latency::render();
    let g = load_group(&o.json, "64B-16c");
    let file = g["charts"][0]["file"].as_str().unwrap();
    let svg = std::fs::read_to_string(o.dir.join(file)).unwrap();
    let colour = |name: &str| row(g, name)["colour"].as_str().unwrap().to_uppercase();
    let lines = |name: &str| {
        svg.matches(&format!(
            "<polyline fill=\"none\" opacity=\"1\" stroke=\"{}\" stroke-width=\"2\"",
            colour(name)
        ))
        .count()
    };
    assert!(lines("std-threads") > 10, "reference dashed");
    // Solid line + legend line; crosses are two strokes each, one per behind step.
    let behind = |name: &str| {
        let steps = row(g, name)["steps"].as_array().unwrap();
        steps.iter().filter(|s| s["behind"] == true).count()
    };
    assert_eq!(behind("tokio-mt"), 2, "100% and 110%");
    let crosses = |name: &str| {
        svg.matches(&format!("<line opacity=\"1\" stroke=\"{}\"", colour(name)))
            .count()
    };
    assert_eq!(crosses("tokio-mt"), 2 * behind("tokio-mt"), "{svg}");
    assert_eq!(crosses("smol"), 2 * behind("smol"));
}

#[test]
fn runs_without_latency_results_have_no_section() {
    for run in ["a-complete", "b-partial", "c-skipped"] {
        let o = render_ok(run, None);
        assert_eq!(o.json["latency_under_load"], Value::Array(vec![]), "{run}");
        assert!(!o.html.contains("Latency under load"), "{run}");
        assert!(!o.md.contains("Latency under load"), "{run}");
        // The echo note still says what its latency is, and that nothing else was measured.
        let note =
            "Latency at fixed offered rates (the latency workload) was not measured in this run.";
        assert!(o.html.contains(note) && o.md.contains(note), "{run}");
        assert!(o.html.contains("Little&#39;s law") && o.md.contains("Little's law"));
    }
}

/// A sweep step that missed once and met the target on its repeat: the table
/// shows the repeat's figures (they decided the step), marked, and the curve
/// passes through the repeat while the first attempt stays a dot.
#[test]
fn a_repeated_step_shows_the_attempt_that_decided_it() {
    let (o, _c) = latency::render();
    let g = load_group(&o.json, "64B-16c");
    let std = row(g, "std-threads");
    assert_eq!(std["at_50"]["repeated"], true);
    assert_eq!(std["at_90"]["repeated"], false);
    assert_eq!(row(g, "tokio-mt")["at_50"]["repeated"], false);
    let p99 = std["at_50"]["corrected"]["p99_ns"].as_u64().unwrap();
    assert!(
        p99 < 1_000_000,
        "the repeat's p99, not the stalled attempt's"
    );
    let steps = std["steps"].as_array().unwrap();
    let at_half: Vec<&str> = steps
        .iter()
        .filter(|s| s["fraction"] == 0.5)
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        at_half,
        ["sweep", "repeat"],
        "both attempts kept, in run order"
    );
    let md_line =
        o.md.lines()
            .find(|l| l.starts_with("| std-threads") && l.contains("‡"))
            .expect("the repeated cell is marked in summary.md");
    assert!(
        md_line.contains(&rtbench_render::fmt::ns(p99 as f64)),
        "{md_line}"
    );
    assert!(o.html.contains("‡ the step"), "the mark is explained");
}
