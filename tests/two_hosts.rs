//! Two hosts, server and load generator on each side of a real link: two
//! network namespaces joined by a veth pair. Skipped (with a one-line reason)
//! when not root or without `ip netns`.
//!
//! The same by hand on two machines (A serves, B loads; `cargo build
//! --release` on both, `--cores`/`--cpus` as you need):
//!
//! ```sh
//! # host A: prints its address (e.g. 192.0.2.10:7000), serves until Ctrl-C,
//! # SIGTERM or end of stdin (so keep it in the foreground, not `&` in a
//! # script), then prints its CPU time as JSON.
//! target/release/rtbench serve tokio-mt --cores 2 --addr 0.0.0.0:7000 --allow-remote
//! # host B: closed loop, then open loop at a fixed rate
//! target/release/rtbench load --allow-remote --addr 192.0.2.10:7000 --connections 16 --duration 5s
//! target/release/rtbench load --allow-remote --addr 192.0.2.10:7000 --rate 50000 --duration 5s
//! ```

#[path = "support/serve.rs"]
mod support;

use std::process::Command;
use std::time::Duration;
use support::{BIN, Serve, Stop, cpu_ns, run_bounded};

/// Link-local (169.254.0.0/16): never a route anyone else uses.
const SERVER_IP: &str = "169.254.77.1";
const CLIENT_IP: &str = "169.254.77.2";

/// Runs `ip args…` (10 s at most); `Err` carries its stderr.
fn ip(args: &[&str]) -> Result<(), String> {
    let out = run_bounded(Command::new("ip").args(args), Duration::from_secs(10));
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Two namespaces and the veth pair between them, removed on drop (deleting
/// a namespace deletes its end of the pair, and so the pair).
struct Hosts {
    server: String,
    client: String,
    veth: [String; 2],
}

impl Hosts {
    fn create() -> Result<Hosts, String> {
        let id = std::process::id();
        // Interface names: at most 15 bytes.
        let hosts = Hosts {
            server: format!("rtbench-{id}-a"),
            client: format!("rtbench-{id}-b"),
            veth: [format!("rtb{id}a"), format!("rtb{id}b")],
        };
        let (a, b) = (hosts.server.as_str(), hosts.client.as_str());
        let [va, vb] = [hosts.veth[0].as_str(), hosts.veth[1].as_str()];
        ip(&["netns", "add", a])?;
        ip(&["netns", "add", b])?;
        ip(&[
            "link", "add", va, "netns", a, "type", "veth", "peer", "name", vb, "netns", b,
        ])?;
        for (ns, dev, addr) in [(a, va, SERVER_IP), (b, vb, CLIENT_IP)] {
            ip(&["-n", ns, "addr", "add", &format!("{addr}/30"), "dev", dev])?;
            ip(&["-n", ns, "link", "set", dev, "up"])?;
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
        }
        Ok(hosts)
    }
}

impl Drop for Hosts {
    fn drop(&mut self) {
        for ns in [&self.server, &self.client] {
            let _ = ip(&["netns", "del", ns]);
        }
        // Only if creating it in its namespace failed half-way.
        let _ = Command::new("ip")
            .args(["link", "del", &self.veth[0]])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// Why this machine cannot run the test, if it cannot.
fn cannot_run() -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not root".into());
    }
    match Command::new("ip").args(["netns", "list"]).output() {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "`ip netns` fails: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Some(format!("no `ip` command: {e}")),
    }
}

/// `rtbench load` inside the client namespace; returns its JSON report.
fn load_from(hosts: &Hosts, addr: &str, extra: &[&str]) -> serde_json::Value {
    let out = run_bounded(
        Command::new("ip")
            .args([
                "netns",
                "exec",
                &hosts.client,
                BIN,
                "load",
                "--allow-remote",
            ])
            .args(["--addr", addr, "--connections", "4", "--warmup", "100ms"])
            .args(["--json"])
            .args(extra),
        Duration::from_secs(30),
    );
    assert!(
        out.status.success(),
        "load {extra:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn serve_on_one_host_load_from_another() {
    if let Some(why) = cannot_run() {
        // CI runs as root with iproute2: there a skip would hide a failure.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the two-host test: {why}"
        );
        println!("skipped: {why}");
        return;
    }
    let hosts = Hosts::create().unwrap_or_else(|e| panic!("network namespaces: {e}"));
    let server = Serve::start(
        &["ip", "netns", "exec", &hosts.server],
        &[
            "std-threads",
            "--addr",
            &format!("{SERVER_IP}:0"),
            "--allow-remote",
        ],
    );
    assert!(
        server.addr.starts_with(&format!("{SERVER_IP}:")),
        "{}",
        server.addr
    );
    let closed = load_from(&hosts, &server.addr, &["--duration", "300ms"]);
    assert_eq!(closed["mode"], "closed", "{closed}");
    assert!(closed["round_trips"].as_u64().unwrap() > 0, "{closed}");
    assert_eq!(closed["unsent"], 0, "{closed}");
    let open = load_from(
        &hosts,
        &server.addr,
        &["--rate", "2000", "--duration", "300ms"],
    );
    assert_eq!(open["mode"], "open", "{open}");
    assert_eq!(open["round_trips"], 600, "{open}");
    assert_eq!(open["unsent"], 0, "{open}");
    let (status, lines) = server.stop(Stop::CloseStdin);
    assert!(status.success(), "{status}");
    assert!(cpu_ns(&lines) > 0, "{lines:?}");
}
