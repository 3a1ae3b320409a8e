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

#[test]
fn load_refuses_bad_input_in_one_line() {
    // A port nothing listens on: bound, then closed.
    let refused = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    for (args, says) in [
        ("load --addr nonsense --rate 100", "host:port"),
        ("load --addr 127.0.0.1:9 --rate 0", "positive"),
        ("load --addr 127.0.0.1:9 --rate=-5", "positive"),
        ("load --addr 192.0.2.1:7 --rate 100", "--allow-remote"),
        (&format!("load --addr {refused} --rate 100"), "refused"),
        ("load --addr 127.0.0.1:9 --slo p99", "p99:1ms"),
    ] {
        let out = rtbench("", args);
        assert!(!out.status.success(), "`{args}` succeeded");
        let stderr = text(&out.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "`{args}`: {stderr}");
        assert!(stderr.contains(says), "`{args}`: {stderr}");
    }
}

/// Open and closed loop against a std echo server: the rate is honoured, every
/// row is printed, and `--results` writes a run that `rtbench report` renders.
#[test]
fn load_drives_an_echo_server_and_writes_results() {
    let server = rtbench_workloads::std_server::StdEchoServer::start(&[0]).unwrap();
    let addr = server.addr();
    let out = rtbench(
        "",
        &format!(
            "load --addr {addr} --connections 4 --rate 2000 --duration 500ms --warmup 100ms --json"
        ),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["mode"], "open");
    assert_eq!(r["round_trips"], 1000);
    assert_eq!(r["unsent"], 0);
    for k in ["latency", "service"] {
        assert_eq!(r[k]["count"], 1000, "{k}");
    }
    // Lag is the generator's own lateness: sends that waited for a busy
    // connection are counted as queued instead.
    let lag = r["lag"]["count"].as_u64().unwrap() + r["queued"].as_u64().unwrap();
    assert_eq!(lag, 1000);
    let closed = rtbench(
        "",
        &format!("load --addr {addr} --connections 2 --duration 200ms --warmup 50ms"),
    );
    assert!(closed.status.success(), "{}", text(&closed.stderr));
    assert!(text(&closed.stdout).contains("closed loop"));
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let out = rtbench(
        "",
        &format!(
            "load --addr {addr} --rate 1000 --duration 200ms --warmup 50ms --results {d}/runs"
        ),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    for row in ["latency", "service time", "generator lag"] {
        assert!(text(&out.stdout).contains(row), "{row}");
    }
    let rendered = rtbench("", &format!("report --results {d}/runs --out {d}/report"));
    assert!(rendered.status.success(), "{}", text(&rendered.stderr));
    assert!(dir.path().join("report/index.html").is_file());
    // Without --out, a run renders into its own report/ folder, never reports/.
    let rendered = rtbench("", &format!("report --results {d}/runs"));
    assert!(rendered.status.success(), "{}", text(&rendered.stderr));
    let run = std::fs::read_dir(dir.path().join("runs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert!(run.join("report/index.html").is_file());
}
