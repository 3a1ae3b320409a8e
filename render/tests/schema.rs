//! results.json must validate against the committed JSON Schema, and the
//! schema written beside it must be that committed file.

mod common;
use common::*;

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/results.schema.json"))
        .unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).expect("schema compiles")
}

/// Every way `json` breaks the schema, each with where.
fn errors(v: &jsonschema::Validator, json: &serde_json::Value) -> Vec<String> {
    v.iter_errors(json)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn rendered_results_validate_against_the_committed_schema() {
    let v = validator();
    for (run, base) in [
        ("a-complete", Some("f-baseline")),
        ("b-partial", None),
        ("c-skipped", None),
        ("d-corrupt-bench", None),
    ] {
        let o = render_ok(run, base);
        let errors = errors(&v, &o.json);
        assert!(errors.is_empty(), "{run}: {errors:#?}");
        let written = std::fs::read_to_string(o.dir.join("results.schema.json")).unwrap();
        assert_eq!(written, rtbench_render::results_schema());
    }
}

#[test]
fn a_run_with_latency_under_load_validates() {
    let v = validator();
    let (o, _cleanup) = latency::render();
    let mut o = o.json;
    assert!(!o["latency_under_load"].as_array().unwrap().is_empty());
    let errors = errors(&v, &o);
    assert!(errors.is_empty(), "{errors:#?}");
    o["latency_under_load"][0]["rows"][0]["steps"][0]["surprise"] = 1.into();
    assert!(!v.is_valid(&o), "unknown fields are caught in steps");
}

#[test]
fn a_run_with_uneven_work_validates() {
    let v = validator();
    let (o, _cleanup) = work::render();
    let mut o = o.json;
    assert_eq!(o["uneven_work"].as_array().unwrap().len(), 4);
    let errors = errors(&v, &o);
    assert!(errors.is_empty(), "{errors:#?}");
    o["uneven_work"][0]["setup"]["work"]["classes"][0]["surprise"] = 1.into();
    assert!(
        !v.is_valid(&o),
        "unknown fields are caught in the work setup"
    );
}

#[test]
fn a_run_with_rounds_and_unfinished_results_validates() {
    let v = validator();
    let (o, _cleanup) = rounds::render();
    let mut o = o.json;
    assert!(!o["failures"].as_array().unwrap().is_empty());
    let errors = errors(&v, &o);
    assert!(errors.is_empty(), "{errors:#?}");
    for (path, what) in [
        ("/overview/runtimes/0/cells/0", "overview cells"),
        ("/overview/counts", "overview counts"),
        ("/failures/0", "failures"),
        ("/latency_under_load/0/rows/0", "latency rows"),
    ] {
        let mut bad = o.clone();
        bad.pointer_mut(path).unwrap()["surprise"] = 1.into();
        assert!(!v.is_valid(&bad), "unknown fields are caught in {what}");
    }
    o["workloads"][0]["tables"][0]["rows"][0]["status"] = "lost".into();
    assert!(!v.is_valid(&o), "statuses are a closed set");
}

#[test]
fn the_schema_rejects_drift() {
    let v = validator();
    let mut o = render_ok("a-complete", None).json;
    assert!(v.is_valid(&o));
    o["schema_version"] = 1.into();
    assert!(!v.is_valid(&o), "schema_version is pinned");
    o["schema_version"] = rtbench_render::REPORT_SCHEMA_VERSION.into();
    o["workloads"][0]["tables"][0]["rows"][0]["throughput"]["surprise"] = 1.into();
    assert!(!v.is_valid(&o), "unknown fields are caught");
}

/// The committed schema is the one the types generate: the file cannot drift.
#[test]
fn the_committed_schema_is_the_generated_one() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/results.schema.json");
    let committed = std::fs::read_to_string(path).unwrap();
    assert!(
        committed == rtbench_render::results_schema(),
        "{path} differs from the schema the types generate; regenerate it with \
         `cargo run -p rtbench -- schema > render/results.schema.json`"
    );
}

/// The committed report (`reports/`, a real run) validates too, once it is
/// of this renderer's version: after a version bump it can only be remade
/// by a new run (`scripts/bench --publish`), so until then an older one is
/// only checked not to be newer.
#[test]
fn the_committed_report_validates() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../reports/results.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let version = json["schema_version"].as_u64().unwrap();
    let current = u64::from(rtbench_render::REPORT_SCHEMA_VERSION);
    assert!(version <= current, "{path}: version {version} > {current}");
    if version < current {
        println!(
            "skip: {path} is results.json version {version}, the renderer writes {current}; \
             re-publish it (scripts/bench --publish)"
        );
        return;
    }
    let errors = errors(&validator(), &json);
    assert!(errors.is_empty(), "{path}: {errors:#?}");
}
