//! `rtbench serve` as a user runs it: a child process driven by `rtbench
//! load`, stopped by end of stdin or SIGTERM, and its one-line errors.

#[path = "support/serve.rs"]
mod support;

use std::process::Command;
use std::time::Duration;
use support::{BIN, Serve, Stop, cpu_ns, run_bounded};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `rtbench load --json` against `addr`; returns its report.
fn load(addr: &str, extra: &[&str]) -> serde_json::Value {
    let out = run_bounded(
        Command::new(BIN)
            .args(["load", "--addr", addr, "--connections", "4", "--json"])
            .args(["--warmup", "100ms"])
            .args(extra),
        Duration::from_secs(30),
    );
    assert!(out.status.success(), "load: {}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Serves, takes 300 ms of open-loop load at 1000/s, stops, checks the CPU line.
fn serve_load_stop(runtime: &str, stop: Stop) {
    let server = Serve::start(&[], &[runtime]);
    assert!(server.addr.starts_with("127.0.0.1:"), "{}", server.addr);
    let r = load(&server.addr, &["--rate", "1000", "--duration", "300ms"]);
    assert_eq!(r["round_trips"], 300, "{runtime}: {r}");
    assert_eq!(r["unsent"], 0, "{runtime}: {r}");
    let (status, lines) = server.stop(stop);
    assert!(status.success(), "{runtime}: {status}");
    assert_eq!(lines.len(), 1, "{runtime}: {lines:?}");
    assert!(cpu_ns(&lines) > 0, "{runtime}: {lines:?}");
}

#[test]
fn tokio_ct_serves_until_end_of_stdin() {
    serve_load_stop("tokio-ct", Stop::CloseStdin);
}

#[test]
fn std_threads_serves_until_end_of_stdin() {
    serve_load_stop("std-threads", Stop::CloseStdin);
}

#[test]
fn tokio_mt_serves_until_sigterm() {
    serve_load_stop("tokio-mt", Stop::Sigterm);
}

/// Every configuration that can run here serves through the one adapter
/// list, on two cores when the machine has two CPUs for it.
#[test]
fn every_available_configuration_serves() {
    let list = run_bounded(Command::new(BIN).arg("list"), Duration::from_secs(60));
    assert!(list.status.success());
    let cores = if rtbench_runtimes::sys::allowed_cpus().len() >= 2 {
        "2"
    } else {
        "1"
    };
    let names: Vec<String> = text(&list.stdout)
        .lines()
        .filter(|l| l.ends_with(" available"))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .chain(["std-threads".to_string()])
        .collect();
    let cpus: Vec<usize> = rtbench_runtimes::sys::allowed_cpus()
        .into_iter()
        .take(cores.parse().unwrap())
        .collect();
    let rate = rtbench_loadgen::work_request::calibrate(48);
    let work = rtbench_workloads::server_process::ServeCommand::new(BIN)
        .service(rtbench_workloads::Service::Work);
    for name in &names {
        let server = Serve::start(&[], &[name, "--cores", cores]);
        let r = load(&server.addr, &["--duration", "100ms"]);
        assert!(r["round_trips"].as_u64().unwrap() > 0, "{name}: {r}");
        let (status, lines) = server.stop(Stop::CloseStdin);
        assert!(status.success(), "{name}: {status}");
        assert!(cpu_ns(&lines) > 0, "{name}");

        // The work service: every digest checked by the load generator.
        let server = work.start(name, &cpus).unwrap();
        let mix = rtbench_loadgen::work_request::Mix::Skewed;
        let mut lg =
            rtbench_loadgen::LoadGen::connect_work(server.addr(), 8, 64, mix, 1, rate).unwrap();
        let mut h = rtbench_loadgen::hdr::histogram();
        lg.run(400, &mut h, Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("{name} serving work: {e}"));
        assert_eq!(lg.stats().round_trips, 400, "{name}");
    }
}

#[test]
fn bad_input_is_one_line_and_non_zero() {
    for (args, says) in [
        ("serve nope", "unknown runtime"),
        ("serve tokio-ct --addr 192.0.2.1:0", "--allow-remote"),
        ("serve tokio-ct --addr nonsense", "host:port"),
        ("serve tokio-ct --cpus x", "CPU list"),
        ("serve tokio-ct --cpus 1-0", "CPU list"),
        ("serve tokio-ct --cpus 0,0", "twice"),
        ("serve tokio-ct --cpus 4095", "not allowed"),
        ("serve tokio-ct --cores 0", "at least 1"),
        ("serve tokio-ct --cores 1 --cpus 0-1", "--cores"),
    ] {
        let out = run_bounded(
            Command::new(BIN).args(args.split(' ')),
            Duration::from_secs(30),
        );
        assert!(!out.status.success(), "`{args}` succeeded");
        assert!(out.stdout.is_empty(), "`{args}` printed an address");
        let stderr = text(&out.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "`{args}`: {stderr}");
        assert!(stderr.contains(says), "`{args}`: {stderr}");
    }
}

/// A configuration that cannot start here says why, in one line.
#[test]
fn an_unavailable_configuration_is_one_line() {
    if !rtbench_runtimes::entries()
        .iter()
        .any(|e| e.name == "glommio")
    {
        return;
    }
    let out = run_bounded(
        Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -l 64 && exec '{BIN}' serve glommio")),
        Duration::from_secs(30),
    );
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("glommio") && stderr.contains("locked memory"),
        "{stderr}"
    );
}

/// The benches' way to serve: `ServeCommand` starts `rtbench serve` on the
/// server CPUs, and the server's CPU time is that process's own clock (what
/// it reports at exit bounds it), so none of the load generator's counts.
#[test]
fn a_served_echo_counts_its_own_process_cpu() {
    use rtbench_format::Description;
    use rtbench_workloads::Placement;
    use rtbench_workloads::echo::{EchoCase, ServedBench};
    use rtbench_workloads::server_process::ServeCommand;

    let cmd = ServeCommand::new(BIN);
    let server = cmd.start("tokio-ct", &[0]).unwrap();
    let idle = server.cpu_time().unwrap();
    let mut conn = std::net::TcpStream::connect(server.addr()).unwrap();
    conn.set_nodelay(true).unwrap();
    for i in 0..500u32 {
        use std::io::{Read, Write};
        let msg = i.to_le_bytes();
        conn.write_all(&msg).unwrap();
        let mut back = [0u8; 4];
        conn.read_exact(&mut back).unwrap();
        assert_eq!(back, msg);
    }
    let served = server.cpu_time().unwrap();
    assert!(served > idle, "{served:?} after serving, {idle:?} before");
    drop(conn);
    let reported = server.stop().expect("a CPU line at exit");
    assert!(
        Duration::from_nanos(reported.cpu_ns) + Duration::from_millis(20) >= served,
        "the clock read {served:?}, the server reported {reported:?}"
    );

    // Through the bench type, on whatever CPUs this machine has.
    let placement = Placement::here(1, true).unwrap();
    let case = EchoCase {
        msg_bytes: 64,
        connections: 2,
    };
    let mut b = ServedBench::served(
        &cmd,
        "tokio-ct",
        Description::named("tokio-ct"),
        case,
        &placement,
    )
    .unwrap();
    rtbench_workloads::Routine::run(&mut b, 1000).unwrap();
    assert_eq!(b.work().ops, 1000);
    assert!(b.server_cpu_time() > Duration::ZERO);

    // A configuration that cannot start says why, in one line.
    let err = cmd.start("no-such-runtime", &[0]).unwrap_err();
    assert!(err.contains("unknown runtime"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
