//! Helpers shared by the integration tests: fixture paths and fresh output folders.
#![allow(dead_code)]

pub mod fixtures;
pub mod intervals;
pub mod latency;
pub mod rounds;
pub mod work;

use rtbench_render::{Options, Rendered, ReportError, render};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fixture run folder (see [`fixtures`]), or the root of them all for "".
pub fn fixture(name: &str) -> PathBuf {
    fixtures::root().join(name)
}

/// A fresh, empty output folder under the system temp dir.
pub fn out_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("rtbench-render-{}-{tag}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

pub fn opts(results: &str, baseline: Option<&str>, out: PathBuf) -> Options {
    Options {
        results: fixture(results),
        out,
        baseline: baseline.map(fixture),
        cargo_lock: None,
    }
}

/// Removes a test's output folder when the test ends (set
/// RTBENCH_KEEP_TEST_OUT=1 to keep it for a look).
pub struct Cleanup(pub PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if std::env::var_os("RTBENCH_KEEP_TEST_OUT").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

pub struct Out {
    pub _cleanup: Cleanup,
    pub dir: PathBuf,
    pub rendered: Rendered,
    pub html: String,
    pub md: String,
    pub json: serde_json::Value,
}

pub fn try_render(results: &str, baseline: Option<&str>) -> Result<Out, ReportError> {
    let dir = out_dir(results);
    let rendered = render(&opts(results, baseline, dir.clone()))?;
    Ok(read_out(dir, rendered))
}

/// Renders a run folder written by a test (not a fixture).
/// Renders a results folder this test wrote; both folders go when the pair
/// is dropped.
pub fn render_owned(results: PathBuf) -> (Out, Cleanup) {
    (render_run(&results), Cleanup(results))
}

pub fn render_run(results: &Path) -> Out {
    let dir = out_dir("run");
    let rendered = render(&Options {
        results: results.to_path_buf(),
        out: dir.clone(),
        baseline: None,
        cargo_lock: None,
    })
    .unwrap_or_else(|e| panic!("render {}: {e}", results.display()));
    read_out(dir, rendered)
}

fn read_out(dir: PathBuf, rendered: Rendered) -> Out {
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    Out {
        html: read("index.html"),
        md: read("summary.md"),
        json: serde_json::from_str(&read("results.json")).unwrap(),
        _cleanup: Cleanup(dir.clone()),
        dir,
        rendered,
    }
}

pub fn render_ok(results: &str, baseline: Option<&str>) -> Out {
    try_render(results, baseline).unwrap_or_else(|e| panic!("render {results}: {e}"))
}

/// The table in results.json whose workload and case match.
pub fn table<'a>(json: &'a serde_json::Value, workload: &str, case: &str) -> &'a serde_json::Value {
    json["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["tables"].as_array().unwrap())
        .find(|t| t["workload"] == workload && t["case"] == case)
        .unwrap_or_else(|| panic!("no table {workload} {case}"))
}

pub fn row<'a>(table: &'a serde_json::Value, runtime: &str) -> &'a serde_json::Value {
    find(&table["rows"], "runtime", runtime)
}

/// The item of a results.json array whose `key` is `value`.
pub fn find<'a>(items: &'a serde_json::Value, key: &str, value: &str) -> &'a serde_json::Value {
    items
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x[key] == value)
        .unwrap_or_else(|| panic!("no {key} {value}"))
}

/// The uneven-work group in results.json with this case.
pub fn work_group<'a>(json: &'a serde_json::Value, case: &str) -> &'a serde_json::Value {
    find(&json["uneven_work"], "case", case)
}

/// The latency-under-load group in results.json with this case.
pub fn load_group<'a>(json: &'a serde_json::Value, case: &str) -> &'a serde_json::Value {
    find(&json["latency_under_load"], "case", case)
}

impl Out {
    /// The SVG of a table's (or group's) chart of this kind.
    pub fn chart(&self, table: &serde_json::Value, kind: &str) -> String {
        let file = find(&table["charts"], "kind", kind)["file"]
            .as_str()
            .unwrap();
        std::fs::read_to_string(self.dir.join(file)).unwrap()
    }
}

/// A figure in results.json equals `want` up to float rounding.
pub fn close(v: &serde_json::Value, want: f64) -> bool {
    v.as_f64()
        .is_some_and(|x| (x - want).abs() <= want.abs() * 1e-9)
}

/// The summary.md table row that starts with this runtime, under `heading`.
pub fn md_row<'a>(md: &'a str, heading: &str, runtime: &str) -> &'a str {
    let section = &md[md.find(heading).unwrap_or_else(|| panic!("no {heading}"))..];
    section
        .lines()
        .find(|l| l.starts_with(&format!("| {runtime} ")))
        .unwrap_or_else(|| panic!("no {runtime} row under {heading}"))
}

/// The `key` of every item of a results.json array, in order.
pub fn names<'a>(items: &'a serde_json::Value, key: &str) -> Vec<&'a str> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[key].as_str().unwrap())
        .collect()
}

/// The runtimes of a report group's rows (`results.json`), in order.
pub fn runtimes(g: &serde_json::Value) -> Vec<&str> {
    names(&g["rows"], "runtime")
}
