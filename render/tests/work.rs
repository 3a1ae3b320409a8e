//! The "Uneven work" section: `work` results get their own model part
//! (never among the closed-loop tables or the latency groups), rows grouped
//! by flavor, a reading sentence per mix, a summary across mixes, tables and
//! charts.

mod common;
use common::work::{GENERATOR_CPU_NS, MIXES, SERVER_CPU_NS};
use common::*;
use serde_json::Value;

#[test]
fn work_groups_are_apart_from_tables_and_latency_groups() {
    let (o, _c) = work::render();
    assert!(o.rendered.problems.is_empty(), "{:?}", o.rendered.problems);
    let j = &o.json;
    assert_eq!(j["schema_version"], rtbench_render::REPORT_SCHEMA_VERSION);
    assert_eq!(
        names(&j["workloads"], "name"),
        ["echo", "fan_out", "timers"]
    );
    assert_eq!(
        names(&j["latency_under_load"], "case"),
        ["64B-16c", "64B-256c"]
    );
    assert!(
        names(&j["latency_under_load"], "workload")
            .iter()
            .all(|w| *w == "latency")
    );
    let work = &j["uneven_work"];
    let cases: Vec<String> = MIXES.iter().map(|m| work::case(m)).collect();
    assert_eq!(names(work, "case"), cases, "mixes in report order");
    for g in work.as_array().unwrap() {
        assert_eq!(g["workload"], "work");
        assert_eq!(g["topology"], "2 cores");
        let setup = &g["setup"];
        assert_eq!(setup["server_cores"], 2);
        assert_eq!(setup["generator_threads"], 1);
        assert_eq!(setup["work"]["rounds_per_us"], 40.0);
        assert_eq!(g["rows"].as_array().unwrap().len(), 6);
    }
    let g = work_group(j, "hot-connections-64B-32c");
    assert_eq!(g["title"], "work hot-connections, 64 B × 32 connections");
    assert_eq!(
        g["setup"]["work"]["hot_connections"],
        serde_json::json!([5, 21])
    );
    // The overview ranks each mix by capacity, as it does latency groups.
    let ov = &j["overview"]["cases"];
    let work_cases: Vec<&Value> = ov
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["workload"] == "work")
        .collect();
    assert_eq!(work_cases.len(), 4);
    assert!(work_cases.iter().all(|c| c["figure"] == "capacity"));
    assert_eq!(work_cases[0]["label"], "work uniform-64B-32c");
    // No runtime is "missing" from a work case it ran.
    assert!(
        j["missing"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["workload"] != "work")
    );
}

/// The fixture's rows in report order: work-stealing, thread-per-core, then
/// the reference; within a flavor capacity, then none, then failed.
const GROUPED: [&str; 6] = [
    "tokio-mt",
    "smol-mt",
    "monoio",
    "tokio-ct",
    "glommio",
    "std-threads",
];

#[test]
fn rows_are_grouped_by_flavor_then_by_capacity() {
    let (o, _c) = work::render();
    let g = work_group(&o.json, "skewed-64B-32c");
    assert_eq!(runtimes(g), GROUPED);
    // std-threads (52.8 k) beats every thread-per-core row yet stays last.
    let std = row(g, "std-threads")["capacity"]["rate"].as_f64().unwrap();
    let monoio = row(g, "monoio")["capacity"]["rate"].as_f64().unwrap();
    assert!(std > monoio);
    // Within a flavor: capacity, then no capacity, then failed.
    let g = work_group(&o.json, "blocking-64B-32c");
    assert_eq!(runtimes(g), GROUPED);
    assert_eq!(row(g, "monoio")["capacity"]["rate"], Value::Null);
    assert_eq!(row(g, "glommio")["status"], "failed");
    // The latency groups keep their capacity order, reference among them.
    let l = load_group(&o.json, "64B-16c");
    assert_eq!(runtimes(l), ["tokio-mt", "std-threads", "smol", "glommio"]);
}

#[test]
fn at_80_is_the_80_percent_sweep_step_with_its_cpu() {
    let (o, _c) = work::render();
    let g = work_group(&o.json, "uniform-64B-32c");
    let tokio = row(g, "tokio-mt");
    let at = &tokio["at_80"];
    assert_eq!(at["fraction"], 0.8);
    assert!(close(&at["offered_rate"], 80_000.0));
    let step = tokio["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "sweep" && s["fraction"] == 0.8)
        .unwrap();
    assert_eq!(at["corrected"], step["corrected"]);
    assert_eq!(at["service"]["p99_ns"], step["service_p99_ns"]);
    assert_eq!(at["server_cpu_ns_per_op"], SERVER_CPU_NS);
    assert_eq!(at["generator_cpu_ns_per_op"], GENERATOR_CPU_NS);
    assert_eq!(tokio["at_50"]["fraction"], 0.5);
    // The work sweep has no 90% step.
    assert_eq!(tokio["at_90"], Value::Null);
    // Latency rows gain the 80% step too.
    let l = row(load_group(&o.json, "64B-16c"), "tokio-mt");
    assert_eq!(l["at_80"]["fraction"], 0.8);
}

#[test]
fn each_mix_has_a_reading_made_from_its_figures() {
    let (o, _c) = work::render();
    let reading = |mix: &str| {
        work_group(&o.json, &work::case(mix))["reading"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        reading("uniform"),
        "Work-stealing and thread-per-core held p99 ≤ 1 ms to about the same load under the \
         uniform mix: tokio-mt 80.0 k/s against monoio 79.1 k/s (best of each flavor)."
    );
    assert!(reading("skewed").starts_with("Work-stealing held p99 ≤ 1 ms up to 1.7× the load"));
    assert_eq!(
        reading("hot-connections"),
        "Work-stealing held p99 ≤ 1 ms up to 1.8× the load of thread-per-core under the \
         hot-connections mix: tokio-mt 80.0 k/s against monoio 43.8 k/s (best of each flavor)."
    );
    assert_eq!(
        reading("blocking"),
        "No thread-per-core runtime met p99 ≤ 1 ms at any rate tried under the blocking mix; \
         the best work-stealing one, tokio-mt, held it to 39.8 k/s."
    );
    for g in o.json["latency_under_load"].as_array().unwrap() {
        assert_eq!(g["reading"], Value::Null);
    }
    let html = rtbench_render::fmt::html(&reading("hot-connections"));
    assert!(o.html.contains(&format!("<p class=\"reading\">{html}</p>")));
    assert!(o.md.contains(&format!("\n**{}**\n", reading("uniform"))));
}

#[test]
fn the_summary_has_a_cell_per_runtime_and_mix() {
    let (o, _c) = work::render();
    let md = &o.md;
    let heading = "### Capacity across mixes";
    let section = &md[md.find(heading).unwrap()..];
    let table: Vec<&str> = section
        .lines()
        .skip_while(|l| !l.starts_with("| Runtime"))
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert_eq!(
        table[0],
        "| Runtime | Flavor | uniform | skewed | hot-connections | blocking |"
    );
    assert_eq!(table.len(), 2 + 6, "header, rule, one row per runtime");
    for line in &table[2..] {
        assert_eq!(line.matches(" | ").count(), 5, "{line}");
    }
    let lead: Vec<&str> = table[2..]
        .iter()
        .map(|l| l.split(" | ").next().unwrap().trim_start_matches("| "))
        .collect();
    assert_eq!(
        lead,
        [
            "smol-mt",
            "tokio-mt",
            "glommio",
            "monoio",
            "tokio-ct",
            "std-threads (ref)"
        ],
        "grouped by flavor"
    );
    assert!(md_row(md, heading, "tokio-mt").ends_with("| 80.0 | 80.0 | 80.0 | 39.8 |"));
    assert!(md_row(md, heading, "monoio").ends_with("| 79.1 | 47.7 | 43.8 | — |"));
    assert!(md_row(md, heading, "glommio").ends_with("| failed |"));
    // HTML: the same matrix, each mix's heading linked to its table.
    let h = &o.html;
    let start = h.find("data-table=\"work-summary\"").unwrap();
    let body = &h[start..start + h[start..].find("</table>").unwrap()];
    assert_eq!(body.matches("<tr").count(), 7);
    for g in o.json["uneven_work"].as_array().unwrap() {
        let id = g["id"].as_str().unwrap();
        assert!(body.contains(&format!("<a href=\"#t-{id}\">")), "{id}");
        assert!(h.contains(&format!("id=\"t-{id}\"")));
    }
}

#[test]
fn the_section_follows_latency_with_its_tables_and_charts() {
    let (o, _c) = work::render();
    let h = &o.html;
    let at = |s: &str| h.find(s).unwrap_or_else(|| panic!("{s} not in page"));
    let section = at("<section id=\"uneven-work\"><h2>Uneven work</h2>");
    assert!(at("id=\"latency-under-load\"") < section && section < at("id=\"w-fan-out\""));
    let mut stems = std::collections::BTreeSet::new();
    for g in o.json["uneven_work"].as_array().unwrap() {
        let id = g["id"].as_str().unwrap();
        assert!(id.starts_with("work-"));
        assert!(h.contains(&format!("<li><a href=\"#t-{id}\">")), "toc {id}");
        assert!(at(&format!("data-table=\"{id}\"")) > section);
        let kinds = names(&g["charts"], "kind");
        assert_eq!(kinds, ["latency_p99", "latency_p50", "capacity"]);
        for c in g["charts"].as_array().unwrap() {
            let file = c["file"].as_str().unwrap();
            assert!(stems.insert(file.to_string()), "{file} twice");
            let svg = std::fs::read_to_string(o.dir.join(file)).unwrap();
            assert!(svg.starts_with("<svg") && svg.contains("tokio-mt"));
            assert!(h.contains(&format!("id=\"c-{}\"", file.trim_end_matches(".svg"))));
            assert!(o.md.contains(&format!("]({file})")));
        }
    }
    // 9 closed-loop charts, 3 per latency group and 3 per mix, each inlined once.
    assert_eq!(h.matches("<svg").count(), 9 + 2 * 3 + 4 * 3);
    assert!(h.contains(
        "<p class=\"note\">Failed, so not in the latency charts: glommio (digest mismatch on connection 3).</p>"
    ));

    let md = &o.md;
    let section = md.find("\n## Uneven work\n").unwrap();
    assert!(md.find("\n## Latency under load\n").unwrap() < section);
    assert!(section < md.find("\n## fan_out\n").unwrap());
    let heading = "### work skewed, 64 B × 32 connections";
    assert!(md.contains(&format!(
        "{heading}\n\n_skewed: 95% 5 µs, 5% 500 µs (mean 29.8 µs) · 64 B × 32 connections · 2 cores, shared placement · generator 1 thread · "
    )));
    assert!(md.contains("calibration: 40.0 rounds/µs (fastest of 10 batches"));
    assert!(md.contains("cost seed 42"));
    assert!(md.contains("the costly ones on 2 hot connections (5, 21)"));
    assert!(md.contains("_blocking: 95% 5 µs, 5% 500 µs blocked (mean 29.8 µs)"));
    let r = md_row(md, heading, "tokio-mt");
    assert!(
        r.starts_with("| tokio-mt | work-stealing | 80.0 k |"),
        "{r}"
    );
    assert!(r.ends_with("| 31.0 µs | 900 ns (2.90% of server) |"), "{r}");
    assert!(md_row(md, "### work blocking", "glommio").contains("**failed**: digest mismatch"));
}

/// Without latency results the section follows echo.
#[test]
fn without_latency_the_section_follows_echo() {
    let results = work::write_run();
    let _c = Cleanup(results.clone());
    for e in std::fs::read_dir(results.join("bench")).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("latency__")
        {
            std::fs::remove_file(p).unwrap();
        }
    }
    let o = render_run(&results);
    assert_eq!(o.json["latency_under_load"], Value::Array(vec![]));
    assert_eq!(o.json["uneven_work"].as_array().unwrap().len(), 4);
    let h = &o.html;
    let section = h.find("<section id=\"uneven-work\">").unwrap();
    assert!(h.find("id=\"w-echo\"").unwrap() < section);
    assert!(section < h.find("id=\"w-fan-out\"").unwrap());
    assert!(!h.contains("<section id=\"latency-under-load\">"));
}

#[test]
fn runs_without_work_results_have_no_section() {
    let (o, _c) = latency::render();
    assert_eq!(o.json["uneven_work"], Value::Array(vec![]));
    assert!(!o.html.contains("Uneven work") && !o.md.contains("Uneven work"));
}
