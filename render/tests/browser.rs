//! Opens the rendered page in a real headless Chromium and checks that every
//! table and chart of the model made it into the DOM. Chromium missing: fails
//! under CI (which installs it), skips elsewhere.

mod common;
use common::*;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn chromium() -> Option<PathBuf> {
    let fixed = PathBuf::from("/usr/bin/chromium");
    if fixed.is_file() {
        return Some(fixed);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join("chromium"))
        .find(|p| p.is_file())
}

/// Runs chromium --dump-dom on a file URL, bounded to two minutes.
fn dump_dom(chromium: &PathBuf, page: &std::path::Path) -> String {
    let profile = out_dir("chromium-profile");
    std::fs::create_dir_all(&profile).unwrap();
    let dom_file = out_dir("dom.html");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&dom_file).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "chromium exited with {status}");
    let dom = std::fs::read_to_string(&dom_file).unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    let _ = std::fs::remove_file(&dom_file);
    dom
}

/// Chromium, or `None` (after saying so) where a test may skip.
fn chromium_or_skip() -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!("chromium not found (CI must install it: apt-get install -y chromium)");
        }
        println!("skip: chromium not found (apt-get install -y chromium to run this test)");
    }
    found
}

/// Loads a rendered page and checks its table `tables` (results.json
/// objects with `id`, `rows` and `charts`) each have every row and chart;
/// returns the DOM and how many charts that was.
fn check_page(chromium: &PathBuf, o: &Out, tables: &[&serde_json::Value]) -> (String, usize) {
    let page = o.dir.canonicalize().unwrap().join("index.html");
    let dom = dump_dom(chromium, &page);
    assert!(
        dom.contains("<h1>rtbench report</h1>"),
        "page did not load: {}",
        &dom[..dom.len().min(300)]
    );
    let mut charts = 0;
    for t in tables {
        let id = t["id"].as_str().unwrap();
        assert!(dom.contains(&format!("data-table=\"{id}\"")), "table {id}");
        // One row per result, plus the header row.
        let start = dom.find(&format!("data-table=\"{id}\"")).unwrap();
        let body = &dom[start..start + dom[start..].find("</table>").unwrap()];
        assert_eq!(
            body.matches("<tr").count(),
            t["rows"].as_array().unwrap().len() + 1,
            "rows of {id}"
        );
        for c in t["charts"].as_array().unwrap() {
            charts += 1;
            let stem = c["file"].as_str().unwrap().trim_end_matches(".svg");
            let at = dom
                .find(&format!("id=\"c-{stem}\""))
                .unwrap_or_else(|| panic!("chart {stem}"));
            assert!(
                dom[at..]
                    .trim_start_matches(|c| c != '>')
                    .starts_with("><svg class=\"chart\""),
                "svg of {stem}"
            );
        }
    }
    assert_eq!(dom.matches("<svg class=\"chart\"").count(), charts);
    // The CPU timeline is the only other svg, when the run probed its CPUs.
    let timeline = usize::from(
        o.json["noise"]["probes"]
            .as_array()
            .is_some_and(|p| !p.is_empty()),
    );
    assert_eq!(
        dom.matches("class=\"timeline\" role=\"img\"").count(),
        timeline
    );
    assert_eq!(
        dom.matches("<svg").count(),
        charts + timeline,
        "no other svg"
    );
    assert!(!dom.contains("<script"));
    (dom, charts)
}

fn tables(json: &serde_json::Value) -> Vec<&serde_json::Value> {
    json["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["tables"].as_array().unwrap())
        .collect()
}

#[test]
fn every_table_and_chart_is_in_the_browser_dom() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let o = render_ok("a-complete", Some("f-baseline"));
    let tables = tables(&o.json);
    let (dom, _) = check_page(&chromium, &o, &tables);
    assert_eq!(
        dom.matches("<table class=\"results\"").count(),
        tables.len()
    );
}

#[test]
fn the_latency_section_is_in_the_browser_dom() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let (o, _cleanup) = latency::render();
    let mut all = tables(&o.json);
    let groups = o.json["latency_under_load"].as_array().unwrap();
    all.extend(groups);
    let (dom, _) = check_page(&chromium, &o, &all);
    let section = dom
        .find("<section id=\"latency-under-load\"><h2>Latency under load</h2>")
        .expect("section in the DOM");
    for g in groups {
        let at = dom.find(&format!("data-table=\"{}\"", g["id"].as_str().unwrap()));
        assert!(at.is_some_and(|at| at > section));
    }
    assert!(dom.contains("<a href=\"#latency-under-load\">Latency under load</a>"));
    assert!(dom.contains("none below lowest step"));
}

#[test]
fn the_uneven_work_section_is_in_the_browser_dom() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let (o, _cleanup) = work::render();
    let mut all = tables(&o.json);
    all.extend(o.json["latency_under_load"].as_array().unwrap());
    let groups = o.json["uneven_work"].as_array().unwrap();
    all.extend(groups);
    let (dom, _) = check_page(&chromium, &o, &all);
    let section = dom
        .find("<section id=\"uneven-work\"><h2>Uneven work</h2>")
        .expect("section in the DOM");
    let summary = dom
        .find("data-table=\"work-summary\"")
        .expect("summary in the DOM");
    assert!(section < summary);
    for g in groups {
        let at = dom.find(&format!("data-table=\"{}\"", g["id"].as_str().unwrap()));
        assert!(at.is_some_and(|at| at > summary));
    }
    assert_eq!(dom.matches("<p class=\"reading\">").count(), groups.len());
}

/// The overview of a run with rounds: first on the page, one row per
/// runtime and one linked column per case, and every link it holds lands on
/// an element of the page.
#[test]
fn the_overview_is_in_the_browser_dom() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let (o, _cleanup) = rounds::render();
    let mut all = tables(&o.json);
    all.extend(o.json["latency_under_load"].as_array().unwrap());
    let (dom, _) = check_page(&chromium, &o, &all);
    let start = dom
        .find("<section id=\"overview\"><h2>Overview</h2>")
        .expect("overview in the DOM");
    assert!(start < dom.find("<nav>").unwrap(), "before the contents");
    let end = start + dom[start..].find("</section>").unwrap();
    let section = &dom[start..end];
    let ov = &o.json["overview"];
    let matrix = &section[section.find("<table class=\"overview\"").unwrap()..];
    let matrix = &matrix[..matrix.find("</table>").unwrap()];
    assert_eq!(
        matrix.matches("<tr").count(),
        ov["runtimes"].as_array().unwrap().len() + 1,
        "header + one row per runtime"
    );
    let cases = ov["cases"].as_array().unwrap();
    assert_eq!(matrix.matches("<th>").count(), 2 + cases.len());
    assert!(matrix.contains("style=\"background:hsl(120,70%,82%)\""));
    // Every link of the overview has its target in the page.
    let targets: Vec<&str> = section
        .split("href=\"#")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(targets.len(), cases.len() + 5, "cases and five counts");
    for t in targets {
        assert!(dom.contains(&format!("id=\"{t}\"")), "#{t} has no element");
    }
    assert!(section.contains("4 of 10 rows with a 95% interval wider than ±5%"));
    assert!(section.contains("Split-half check: of the 4 orderings"));
    assert!(dom.contains("<td class=\"num wide\">± 19.3%</td>"));
}

/// A run with intervals, ties and the machine's noise: the timeline and
/// who-else-ran table sit in the Environment block, ties are marked.
#[test]
fn the_interference_block_is_in_the_browser_dom() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let (o, _cleanup) = intervals::render();
    let mut all = tables(&o.json);
    all.extend(o.json["latency_under_load"].as_array().unwrap());
    all.extend(o.json["uneven_work"].as_array().unwrap());
    let (dom, _) = check_page(&chromium, &o, &all);
    let start = dom
        .find("<section id=\"environment\">")
        .expect("environment");
    let env = &dom[start..start + dom[start..].find("</section>").unwrap()];
    assert!(env.contains("class=\"timeline\""));
    assert_eq!(
        env.matches("<rect").count(),
        3 + 5,
        "a strip per probe, a tick per gap"
    );
    let who = &env[env.find("<table class=\"others\">").expect("who else ran")..];
    assert_eq!(
        who[..who.find("</table>").unwrap()].matches("<tr>").count(),
        6
    );
    assert!(dom.contains(">≈ 0.99</td>"));
}
