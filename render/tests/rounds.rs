//! Repeated rounds, hung and crashed results, and the overview: each row
//! shows its median round with its 95% interval over the rounds, what did not
//! measure is listed and counted, and the overview ranks every runtime
//! across the cases, linking to the tables and lists it sums up.

mod common;
use common::rounds::{ABRT, FAILED, HUNG, SEGV, SKIP_REASON};
use common::*;
use serde_json::Value;

/// round, rounds, spread of a row in results.json, and whether its 95%
/// interval is wider than ±5%.
fn stats(row: &Value) -> (u64, u64, Option<f64>, bool) {
    (
        row["round"].as_u64().unwrap(),
        row["rounds"].as_u64().unwrap(),
        row["spread"].as_f64(),
        row["half_width"].as_f64().is_some_and(|h| h > 0.05),
    )
}

fn assert_spread(row: &Value, round: u64, rounds: u64, spread: f64, wide: bool) {
    let (r, n, s, x) = stats(row);
    assert_eq!((r, n, x), (round, rounds, wide), "{}", row["id"]);
    let s = s.unwrap_or_else(|| panic!("no spread in {}", row["id"]));
    assert!((s - spread).abs() < 1e-9, "{}: {s} != {spread}", row["id"]);
}

/// The Student-t interval of these rounds, as the row's `ci` must hold it.
fn assert_ci(row: &Value, rounds: &[f64]) {
    let (mean, lo, hi) = rtbench_format::stats::mean_interval(rounds).unwrap();
    assert_eq!(row["ci"]["source"], "rounds", "{}", row["id"]);
    assert!(close(&row["ci"]["lower"], lo) && close(&row["ci"]["upper"], hi));
    assert!(
        close(&row["half_width"], (hi - lo) / 2.0 / mean),
        "{}",
        row["id"]
    );
}

#[test]
fn each_row_shows_its_median_round_with_its_interval() {
    let (o, _c) = rounds::render();
    assert!(o.rendered.problems.is_empty(), "{:?}", o.rendered.problems);
    let j = &o.json;
    assert_eq!(j["schema_version"], rtbench_render::REPORT_SCHEMA_VERSION);
    assert_eq!(j["run"]["rounds"], 3);
    assert_eq!(j["run"]["seed"], 42);
    assert_eq!(j["run"]["orders"][1][0], "std-threads");

    let echo = table(j, "echo", "64B-16c");
    // Rounds 1..3 measured 102 k, 98 k and 100 k: the median is round 3.
    let tokio = row(echo, "tokio-mt");
    assert_spread(tokio, 3, 3, 4e3 / 100e3, false);
    assert_ci(tokio, &[102e3, 98e3, 100e3]);
    // Halves: the mean of rounds 1 and 3, and round 2.
    assert_eq!(tokio["halves"], serde_json::json!([101e3, 98e3]));
    assert!(close(&tokio["throughput"]["value"], 100e3));
    assert_eq!(tokio["latency"]["p50_ns"], 160_000, "round 3's histogram");
    assert!(close(&tokio["estimate"]["mean_ns"], 1e6));
    assert_spread(row(echo, "smol"), 1, 3, 12e3 / 80e3, true);
    assert_ci(row(echo, "smol"), &[80e3, 72e3, 84e3]);
    assert_spread(row(echo, "std-threads"), 2, 3, 0.7e3 / 50e3, false);
    assert!(close(&row(echo, "smol")["ratio_to_best"], 0.8));
    // A failed round is left out; of the two left, the lower is the median.
    let smol = row(table(j, "echo", "1024B-16c"), "smol");
    assert_eq!(smol["status"], "ok");
    // Two rounds: t = 12.7, so a 3% spread is a ±21% interval.
    assert_spread(smol, 1, 2, 2e3 / 60e3, true);
    assert_ci(smol, &[60e3, 62e3]);
    assert_eq!(smol["halves"], Value::Null, "rounds 1 and 3: no even half");
    assert!(close(&smol["throughput"]["value"], 60e3));
    let smol = row(table(j, "fan_out", "spawn-1000"), "smol");
    assert_spread(smol, 1, 2, 0.1e6 / 3.0e6, true);

    // Latency rows: the median capacity, the spread of capacities.
    let g = load_group(j, "64B-16c");
    let tokio = row(g, "tokio-mt");
    assert_spread(tokio, 2, 3, 3e3 / 80e3, false);
    assert_ci(tokio, &[82e3, 80e3, 79e3]);
    assert!(close(&tokio["capacity"]["rate"], 80e3));
    assert_spread(row(g, "smol"), 3, 3, 8e3 / 60e3, true);
    assert!(close(&row(g, "smol")["capacity"]["rate"], 60e3));
}

#[test]
fn a_row_with_no_round_that_measured_shows_its_last_round() {
    let (o, _c) = rounds::render();
    let j = &o.json;
    // Rounds: failed, hung, hung. The hung records carry no topology: they
    // still land in their case's table, not one of their own.
    let spawn = table(j, "fan_out", "spawn-100000");
    assert_eq!(spawn["topology"], "1 core");
    assert_eq!(spawn["title"], "fan_out 100000 tasks (spawn-100000)");
    let smol = row(spawn, "smol");
    assert_eq!(smol["status"], "hung");
    let hung = format!("{HUNG} (while running fan_out/smol/spawn-100000)");
    assert_eq!(smol["error"], hung.as_str());
    assert_eq!(stats(smol), (3, 0, None, false));
    assert_eq!(smol["throughput"], Value::Null);
    let g = load_group(j, "64B-16c");
    assert_eq!(g["rows"].as_array().unwrap().len(), 3);
    let glommio = row(g, "glommio");
    assert_eq!(glommio["status"], "crashed");
    let crashed = format!("{ABRT} (while running latency/glommio/64B-16c)");
    assert_eq!(glommio["error"], crashed.as_str());
    assert_eq!(glommio["capacity"], Value::Null);
    let tables = |w: &str| {
        find(&j["workloads"], "name", w)["tables"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!((tables("echo"), tables("fan_out")), (2, 2));
    assert_eq!(j["latency_under_load"].as_array().unwrap().len(), 1);

    // The pages show each status with its error in place of the figures.
    assert!(o.html.contains(&format!("\">hung: {hung}</td></tr>")));
    assert!(o.html.contains(&format!("\">crashed: {crashed}</td></tr>")));
    let r = md_row(&o.md, "### fan_out 100000 tasks", "smol");
    assert!(r.contains(&format!("| **hung**: {hung} |")), "{r}");
    let r = md_row(&o.md, "### latency 64 B × 16 connections", "glommio");
    assert!(r.contains(&format!("| **crashed**: {crashed} |")), "{r}");
    // The capacity chart names the status.
    let svg = o.chart(g, "capacity");
    assert!(
        svg.contains(">\ncrashed\n<"),
        "status in the capacity chart"
    );
}

#[test]
fn the_half_width_shows_next_to_the_figure_only_with_rounds() {
    let (o, _c) = rounds::render();
    let h = &o.html;
    assert!(h.contains("<th>± (95%)</th>"));
    assert!(h.contains("<td class=\"num\">± 4.97%</td>"));
    assert!(h.contains("<td class=\"num wide\">± 19.3%</td>"));
    assert!(h.contains(
        "<td class=\"num wide\">± 20.8%<br><span class=\"ci\">2 of 3 rounds</span></td>"
    ));
    // The interval under the figure is the rounds' one; the half-width
    // right after it.
    let heading = "### echo 64 B × 16 connections";
    let r = md_row(&o.md, heading, "smol");
    assert!(
        r.contains("| 80.0 k (63.5 k – 93.8 k) | **± 19.3%** | 0.80× |"),
        "{r}"
    );
    assert!(md_row(&o.md, heading, "tokio-mt").contains(" (95.0 k – 105 k) | ± 4.97% | 1.00× |"));
    let heading = "### latency 64 B × 16 connections";
    let r = md_row(&o.md, heading, "smol");
    assert!(
        r.contains("| 60.0 k (51.0 k – 71.7 k) | **± 16.9%** |"),
        "{r}"
    );
    assert!(md_row(&o.md, heading, "tokio-mt").contains("| 80.0 k (76.5 k – 84.1 k) | ± 4.72% |"));
    assert!(o.md.contains("| ± (95%) |"));
    let r = md_row(&o.md, "### echo 1 KiB × 16 connections", "smol");
    assert!(r.contains("| **± 20.8% (2 of 3 rounds)** |"), "{r}");
    // tokio-mt's interval overlaps smol's: it cannot be told apart from the best.
    let r = md_row(&o.md, "### echo 1 KiB × 16 connections", "tokio-mt");
    assert!(r.contains("| 0.83× (≈ best) |"), "{r}");
    assert!(o.md.contains(
        "_95% intervals: 1 of 3 rows wider than ±5% · its halves agree on 3 of 3 significant orderings._"
    ));
    // The run's rounds, seed and orders are in the Environment block.
    assert!(o.md.contains("| Rounds | 3, runtime order shuffled per round from seed 42 |"));
    assert!(o.md.contains(
        "| Runtime order | round 1: smol, glommio, tokio-mt, std-threads; round 2: std-threads,"
    ));
}

#[test]
fn single_round_runs_render_as_before() {
    for run in ["a-complete", "b-partial", "c-skipped"] {
        let o = render_ok(run, None);
        assert!(!o.html.contains("<th>± (95%)</th>"), "{run}");
        assert!(!o.md.contains("| ± (95%) |"), "{run}");
        // The intervals are criterion's, and the method says so.
        assert!(o.md.contains("_95% intervals (criterion's, within one process): 0 of "));
        assert_eq!(
            o.json["workloads"][0]["tables"][0]["rows"][0]["ci"]["source"],
            "criterion"
        );
        assert_eq!(o.json["run"]["rounds"], 1);
        assert_eq!(o.json["overview"]["rounds"], 1);
        for t in o.json["workloads"].as_array().unwrap() {
            for t in t["tables"].as_array().unwrap() {
                for r in t["rows"].as_array().unwrap() {
                    let measured = u64::from(r["status"] == "ok");
                    assert_eq!(stats(r), (1, measured, None, false), "{run} {}", r["id"]);
                }
            }
        }
    }
    // The latency fixture's rows too.
    let (o, _c) = latency::render();
    assert!(!o.md.contains("| ± (95%) |"));
    let g = &o.json["latency_under_load"][0];
    assert_eq!(stats(&g["rows"][0]), (1, 1, None, false));
}

#[test]
fn the_overview_ranks_every_runtime_across_the_cases() {
    let (o, _c) = rounds::render();
    let ov = &o.json["overview"];
    assert_eq!(ov["rounds"], 3);
    assert_eq!(
        names(&ov["cases"], "label"),
        [
            "echo 64B-16c",
            "echo 1024B-16c",
            "latency 64B-16c",
            "fan_out spawn-1000",
            "fan_out spawn-100000"
        ],
        "page order"
    );
    assert_eq!(ov["cases"][2]["figure"], "capacity");
    assert_eq!(ov["cases"][0]["figure"], "throughput");
    assert_eq!(
        ov["cases"][0]["id"],
        table(&o.json, "echo", "64B-16c")["id"]
    );
    assert_eq!(
        names(&ov["runtimes"], "runtime"),
        ["tokio-mt", "smol", "std-threads", "glommio"],
        "by median rank"
    );
    let line = |name: &str| find(&ov["runtimes"], "runtime", name);
    // (ratio, rank, status) per case; hung, crashed and absent rows have no rank.
    type Cell = Option<(Option<f64>, Option<u64>, String)>;
    let cells = |name: &str| -> Vec<Cell> {
        line(name)["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (!c.is_null()).then(|| {
                    let ratio = c["ratio"].as_f64().map(|x| (x * 1000.0).round() / 1000.0);
                    let status = c["status"].as_str().unwrap().to_string();
                    (ratio, c["rank"].as_u64(), status)
                })
            })
            .collect()
    };
    let ok = |ratio: f64, rank: u64| Some((Some(ratio), Some(rank), "ok".to_string()));
    let not = |status: &str| Some((None, None, status.to_string()));
    assert_eq!(
        cells("tokio-mt"),
        [
            ok(1.0, 1),
            ok(0.833, 2),
            ok(1.0, 1),
            ok(0.833, 2),
            ok(1.0, 1)
        ]
    );
    assert_eq!(
        cells("smol"),
        [ok(0.8, 2), ok(1.0, 1), ok(0.75, 2), ok(1.0, 1), not("hung")]
    );
    assert_eq!(cells("std-threads"), [ok(0.5, 3), None, None, None, None]);
    assert_eq!(cells("glommio"), [None, None, not("crashed"), None, None]);
    let rank = |name: &str| {
        (
            line(name)["median_rank"].as_f64(),
            line(name)["ranked_cases"].as_u64(),
        )
    };
    assert_eq!(rank("tokio-mt"), (Some(1.0), Some(5)));
    assert_eq!(rank("smol"), (Some(1.5), Some(4)));
    assert_eq!(rank("std-threads"), (Some(3.0), Some(1)));
    assert_eq!(rank("glommio"), (None, Some(0)));
    assert!(line("std-threads")["is_reference"].as_bool().unwrap());

    let counts = &ov["counts"];
    let n = |k: &str| counts[k].as_u64().unwrap();
    assert_eq!(
        (
            n("failed"),
            n("hung"),
            n("crashed"),
            n("skipped"),
            n("missing"),
            n("problems")
        ),
        (2, 3, 3, 1, 4, 0)
    );
    assert_eq!(ov["wide_rows"], 4);
    assert_eq!(ov["rows_with_interval"], 10);
    let halves = &ov["split_half"];
    assert_eq!(
        (&halves["significant"], &halves["agree"]),
        (&4.into(), &4.into())
    );
    assert_eq!(ov["split_half_by_workload"]["echo"]["with_halves"], 3);
    assert_eq!(
        ov["split_half_by_workload"]["fan_out"]["share"],
        Value::Null
    );

    // The matrix in summary.md, best cells in bold.
    let md = &o.md;
    assert!(md.find("## Overview").unwrap() < md.find("## How to read this").unwrap());
    assert!(
        md_row(md, "## Overview", "tokio-mt")
            .contains("| 1 (5 cases) | **1.00** | **≈ 0.83** | **1.00** | **≈ 0.83** | **1.00** |")
    );
    assert!(
        md_row(md, "## Overview", "smol")
            .contains("| 1.5 (4 cases) | 0.80 | **1.00** | 0.75 | **1.00** | hung |")
    );
    assert!(md_row(md, "## Overview", "std-threads (ref)").contains("| 3 (1 case) | 0.50 |  |"));
    assert!(md_row(md, "## Overview", "glommio").contains("| — |  |  | crashed |  |  |"));
    let anchor = "(#failed-hung-and-crashed-results)";
    for count in [
        format!("[2 failed]{anchor}"),
        format!("[3 hung]{anchor}"),
        format!("[3 crashed]{anchor}"),
        "[1 skipped runtime](#skipped-runtimes)".into(),
        "[4 missing](#missing-results)".into(),
        "4 of 10 rows with a 95% interval wider than ±5%".into(),
        "Split-half check: of the 4 orderings this run calls significant, its two halves \
         agree on 100% (4 of 4). By workload: echo 3 of 3, latency 1 of 1."
            .into(),
    ] {
        assert!(md.contains(&count), "{count} in summary.md");
    }
    for heading in [
        "\n## Failed, hung and crashed results\n",
        "\n## Skipped runtimes\n",
        "\n## Missing results\n",
    ] {
        assert!(md.contains(heading), "{heading} in summary.md");
    }
}

#[test]
fn the_overview_links_to_tables_and_lists_that_exist() {
    let (o, _c) = rounds::render();
    let h = &o.html;
    let at = |s: &str| h.find(s).unwrap_or_else(|| panic!("{s} not in page"));
    let overview = at("<section id=\"overview\"><h2>Overview</h2>");
    assert!(
        overview < at("<nav>") && overview < at("id=\"how\""),
        "at the top"
    );
    assert!(h.contains("<table class=\"overview\" data-table=\"overview\">"));
    for c in o.json["overview"]["cases"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let label = c["label"].as_str().unwrap();
        assert!(
            h.contains(&format!("<th><a href=\"#t-{id}\">{label}</a></th>")),
            "{label}"
        );
        assert!(h.contains(&format!("id=\"t-{id}\"")), "anchor of {label}");
    }
    // Coloured on the fixed scale, the number in the cell.
    assert!(h.contains("<td class=\"num best\" style=\"background:hsl(120,70%,82%)\">1.00</td>"));
    assert!(h.contains("<td class=\"num\" style=\"background:hsl(96,70%,82%)\">0.80</td>"));
    assert!(h.contains("<td class=\"num\" style=\"background:hsl(60,70%,82%)\">0.50</td>"));
    assert!(h.contains("<td class=\"num unmeasured\">crashed</td>"));
    assert!(h.contains("<td class=\"num\">1.5<br><span class=\"ci\">4 cases</span></td>"));
    for (count, target) in [
        ("2 failed", "failures"),
        ("3 hung", "failures"),
        ("3 crashed", "failures"),
        ("1 skipped runtime", "skipped"),
        ("4 missing", "missing"),
    ] {
        assert!(
            h.contains(&format!("<a href=\"#{target}\">{count}</a>")),
            "{count}"
        );
        assert!(
            h.contains(&format!("<section id=\"{target}\">")),
            "#{target}"
        );
    }
    assert!(h.contains(" · 4 of 10 rows with a 95% interval wider than ±5%.</p>"));
    assert!(h.contains("<td class=\"num tied\" style=\"background:hsl(100,70%,82%)\">≈ 0.83</td>"));

    // The list says which round did what, and links to the row's table.
    let failures = o.json["failures"].as_array().unwrap();
    let listed: Vec<(&str, &str, u64, &str)> = failures
        .iter()
        .map(|f| {
            (
                f["runtime"].as_str().unwrap(),
                f["case"].as_str().unwrap(),
                f["round"].as_u64().unwrap(),
                f["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("smol", "1024B-16c", 2, "failed"),
            ("glommio", "64B-16c", 1, "crashed"),
            ("glommio", "64B-16c", 2, "crashed"),
            ("glommio", "64B-16c", 3, "crashed"),
            ("smol", "spawn-1000", 2, "hung"),
            ("smol", "spawn-100000", 1, "failed"),
            ("smol", "spawn-100000", 2, "hung"),
            ("smol", "spawn-100000", 3, "hung"),
        ],
        "page order"
    );
    assert_eq!(failures[0]["error"], FAILED);
    assert!(failures[1]["error"].as_str().unwrap().starts_with(SEGV));
    for f in failures {
        let table = f["table"].as_str().unwrap();
        assert!(h.contains(&format!("id=\"t-{table}\"")), "{table}");
        assert!(h.contains(&format!("(<a href=\"#t-{table}\">table</a>)</li>")));
    }
    let section = &h[at("<section id=\"failures\">")..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(section.contains(&format!(
        "<li><b>smol</b>: fan_out spawn-1000, round 2: hung: {HUNG} (while running fan_out/smol/spawn-1000) ("
    )));
    assert!(h.contains(&format!("<li><b>tokio-uring</b>: {SKIP_REASON}</li>")));
    assert!(
        o.md.contains("- **smol**: echo 1024B-16c, round 2: failed: echo mismatch on connection 3")
    );
}

#[test]
fn a_single_round_overview_has_ratios_and_criterion_intervals() {
    let o = render_ok("b-partial", None);
    let ov = &o.json["overview"];
    assert_eq!(ov["counts"]["failed"], 1);
    assert_eq!(ov["counts"]["missing"], 1);
    assert!(o.html.contains("<a href=\"#failures\">1 failed</a> · 0 hung · 0 crashed · 0 skipped runtimes · <a href=\"#missing\">1 missing</a> · 0 of 6 rows with a 95% interval wider than ±5%.</p>"));
    // One round: no round in the failures list.
    assert!(o.md.contains(
        "- **smol-mt**: fan_out spawn-1000: failed: task results did not add up: expected 499500, got 499499"
    ));
    let o = render_ok("a-complete", None);
    let r = md_row(&o.md, "## Overview", "tokio-mt");
    assert_eq!(
        r,
        "| tokio-mt | 2 (4 cases) | **1.00** | 0.80 | 0.75 | 0.07 |"
    );
    let tokio = find(&o.json["overview"]["runtimes"], "runtime", "tokio-mt");
    let ranks: Vec<u64> = tokio["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rank"].as_u64().unwrap())
        .collect();
    assert_eq!(
        ranks,
        [1, 2, 2, 4],
        "echo ×2, fan_out, timers (behind the OS floors and smol-mt)"
    );
}
