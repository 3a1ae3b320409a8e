//! The load generator's check (fairness rule 1) is flagged in the overview:
//! where a plain blocking client drove `std-threads` faster than the load
//! generator did, the report says so at the top instead of printing it in a
//! table row no one compares.

mod common;
use common::rounds::{Outcome, closed};
use common::*;
use rtbench_format::RunDir;

fn render_with_check(blocking: f64) -> (Out, Cleanup) {
    let dir = rounds::write_run();
    let run = RunDir { path: dir.clone() };
    for round in 1..=3 {
        let b = closed(
            "echo",
            "64B-16c",
            "blocking-client",
            round,
            Outcome::Ok(blocking),
        );
        run.write_bench(&b).unwrap();
    }
    (render_run(&dir), Cleanup(dir))
}

#[test]
fn a_failed_generator_check_is_flagged_in_the_overview() {
    // std-threads ran at ~50k round trips/s under the load generator.
    let (o, _c) = render_with_check(55e3);
    let checks = o.json["overview"]["generator_checks"].as_array().unwrap();
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0]["case"], "echo 64B-16c");
    assert_eq!(checks[0]["client"], "blocking-client");
    assert_eq!(checks[0]["passed"], false);
    let overview = &o.html[o.html.find("id=\"overview\"").unwrap()..];
    let overview = &overview[..overview.find("</section>").unwrap()];
    assert!(
        overview.contains("Load generator check FAILED"),
        "{overview}"
    );
    assert!(overview.contains("class=\"bad\""));
    assert!(o.md.contains("**Warning:** Load generator check FAILED in 1 of 1"));
}

#[test]
fn a_passed_generator_check_says_so_quietly() {
    let (o, _c) = render_with_check(40e3);
    assert_eq!(o.json["overview"]["generator_checks"][0]["passed"], true);
    assert!(o.html.contains("Load generator check passed in 1 case(s)"));
    assert!(!o.md.contains("FAILED"));
}

/// A blocking client a little faster, within both 95% intervals, is a tie,
/// not a failure: the report says so and raises no warning.
#[test]
fn a_generator_check_within_the_intervals_is_a_tie() {
    // std-threads' rounds: 50.5k, 50k, 49.8k (median 50k).
    let (o, _c) = render_with_check(50.4e3);
    let check = &o.json["overview"]["generator_checks"][0];
    assert_eq!(
        (&check["passed"], &check["tied"]),
        (&false.into(), &true.into())
    );
    assert!(!o.md.contains("FAILED"), "{}", o.md);
    assert!(o.html.contains("within both 95% intervals, a tie"));
}

/// wrk is http's other client: a server it drove faster than the load
/// generator did is flagged as echo's blocking client is.
#[test]
fn wrk_faster_than_the_generator_is_flagged() {
    let dir = rounds::write_run();
    let run = RunDir { path: dir.clone() };
    for round in 1..=3 {
        let (ours, wrk) = (50e3 + round as f64 * 100.0, 70e3);
        let ours = closed(
            "http",
            "plaintext-16c",
            "std-threads",
            round,
            Outcome::Ok(ours),
        );
        let wrk = closed(
            "http",
            "plaintext-16c",
            "wrk-std-threads",
            round,
            Outcome::Ok(wrk),
        );
        run.write_bench(&ours).unwrap();
        run.write_bench(&wrk).unwrap();
    }
    let (o, _c) = (render_run(&dir), Cleanup(dir));
    let checks = o.json["overview"]["generator_checks"].as_array().unwrap();
    let http = checks.iter().find(|c| c["client"] == "wrk").unwrap();
    assert_eq!(http["case"], "http plaintext-16c");
    assert_eq!(http["server"], "std-threads");
    assert_eq!(http["passed"], false);
    assert!(
        o.md.contains("wrk drove std-threads at 70.0 k/s"),
        "{}",
        o.md
    );
}
