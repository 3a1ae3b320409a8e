//! The `rtbench` command as a user runs it: `list`, `env`, bad input.

use std::process::{Command, Output};

fn rtbench(shell_prefix: &str, args: &str) -> Output {
    let bin = env!("CARGO_BIN_EXE_rtbench");
    Command::new("sh")
        .arg("-c")
        .arg(format!("{shell_prefix} exec '{bin}' {args}"))
        .output()
        .expect("run rtbench")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn list_names_every_configuration_with_its_state() {
    let out = rtbench("", "list");
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    let names: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let expected: Vec<&str> = rtbench_runtimes::entries().iter().map(|e| e.name).collect();
    assert_eq!(names, expected);
    for line in stdout.lines() {
        assert!(
            line.ends_with("available") || line.contains("unavailable: "),
            "{line}"
        );
    }
}

/// Under a tiny locked-memory limit glommio says why it cannot run, the
/// others are still listed, and `list` still succeeds.
#[test]
fn list_reports_an_impossible_requirement_as_unavailable() {
    if !rtbench_runtimes::entries()
        .iter()
        .any(|e| e.name == "glommio")
    {
        return;
    }
    let out = rtbench("ulimit -l 64 &&", "list");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let glommio = stdout.lines().find(|l| l.starts_with("glommio")).unwrap();
    assert!(
        glommio.contains("unavailable: ") && glommio.contains("locked memory"),
        "{glommio}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("tokio-ct") && l.ends_with(" available"))
    );
}

#[test]
fn env_prints_what_results_carry() {
    let out = rtbench("", "env --json");
    assert!(out.status.success());
    let env: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "kernel",
        "cpu_model",
        "cores",
        "memlock_bytes",
        "io_uring",
        "rustc",
    ] {
        assert!(env.get(key).is_some(), "env lacks {key}: {env}");
    }
    assert!(env["rustc"].as_str().unwrap().starts_with("rustc "));
}

#[test]
fn bad_input_is_one_line_and_non_zero() {
    for args in [
        "lst",
        "list --bogus",
        "report --results /nonexistent/rtbench",
        "report --baseline",
    ] {
        let out = rtbench("", args);
        assert!(!out.status.success(), "`{args}` succeeded");
        let stderr = text(&out.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "`{args}`: {stderr}");
    }
}
