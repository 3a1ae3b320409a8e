//! wrk, the independent client: the same servers driven closed loop by a
//! tool no one here wrote, so that rtbench's generator is checked against
//! it (it must drive a server at least as fast, fairness rule 1 for HTTP).
//! wrk checks status codes, not bodies; its figures come from its own Lua
//! `done` hook, not from its human-readable summary.

use super::HttpCase;
use crate::echo::EchoServer;
use crate::server_process::ServeCommand;
use rtbench_format::Latency;
use rtbench_runtimes::sys;
use std::path::PathBuf;
use std::process::Command;

/// wrk's `done` hook: one line of the figures rtbench reads (latency in µs).
const SCRIPT: &str = r#"
done = function(s, lat, req)
  local e = s.errors
  io.write(string.format("rtbench-wrk %d %d %d %d %d %d %d %d %.3f %.3f %d %d %d %d %d\n",
    s.duration, s.requests, e.connect, e.read, e.write, e.status, e.timeout,
    lat.min, lat.mean, lat.stdev, lat:percentile(50), lat:percentile(90),
    lat:percentile(99), lat:percentile(99.9), lat.max))
end
"#;

/// One wrk run against a server.
#[derive(Debug, Clone)]
pub struct WrkRun {
    pub requests: u64,
    pub seconds: f64,
    pub latency: Latency,
    /// The server's CPU time per request, when its process could be read.
    pub server_cpu_ns_per_op: Option<f64>,
    pub command: String,
}

impl WrkRun {
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

/// Runs wrk (one thread, `case.connections` connections, `seconds`) on
/// `cpus` against configuration `name` served by `cmd` on `server_cpus`.
pub fn run(
    cmd: &ServeCommand,
    name: &str,
    case: HttpCase,
    server_cpus: &[usize],
    cpus: &[usize],
    seconds: u32,
) -> Result<WrkRun, String> {
    let server = EchoServer::process(cmd, name, server_cpus)?;
    let url = format!("http://{}{}", server.addr(), case.route.path());
    let script = Script::new()?;
    let args = [
        "-t1".to_string(),
        format!("-c{}", case.connections),
        format!("-d{seconds}s"),
        "-s".to_string(),
        script.0.display().to_string(),
        url,
    ];
    // wrk inherits the calling thread's CPUs: the generator's.
    sys::pin_to_cpus(cpus);
    let mark = server.cpu_mark();
    let out = Command::new("wrk")
        .args(&args)
        .output()
        .map_err(|e| format!("wrk: {e} (install it: apt-get install wrk)"))?;
    let cpu = server.cpu_since(mark);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("wrk failed: {}", err.lines().next().unwrap_or("")));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut run = parse(&stdout)?;
    run.server_cpu_ns_per_op = Some(cpu.as_nanos() as f64 / run.requests as f64);
    run.command = format!("wrk {}", args.join(" "));
    Ok(run)
}

/// The figures of the hook's line; an error when wrk saw any failed request.
fn parse(stdout: &str) -> Result<WrkRun, String> {
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("rtbench-wrk "))
        .ok_or("wrk printed no figures (its Lua hook did not run)")?;
    let v: Vec<f64> = line
        .split_whitespace()
        .map(|x| {
            x.parse::<f64>()
                .map_err(|_| format!("wrk printed {line:?}"))
        })
        .collect::<Result<_, _>>()?;
    let [
        duration_us,
        requests,
        connect,
        read,
        write,
        status,
        timeout,
        min,
        mean,
        stdev,
        p50,
        p90,
        p99,
        p999,
        max,
    ] = v[..]
    else {
        return Err(format!("wrk printed {line:?}"));
    };
    let errors = connect + read + write + status + timeout;
    if errors > 0.0 {
        return Err(format!(
            "wrk counted {errors} failed requests (connect {connect}, read {read}, write {write}, \
             status {status}, timeout {timeout})"
        ));
    }
    if requests < 1.0 || duration_us <= 0.0 {
        return Err("wrk completed no request".into());
    }
    let ns = |us: f64| (us * 1000.0).round() as u64;
    Ok(WrkRun {
        requests: requests as u64,
        seconds: duration_us / 1e6,
        latency: Latency {
            kind: "round-trip".into(),
            count: requests as u64,
            min_ns: ns(min),
            mean_ns: mean * 1000.0,
            stdev_ns: stdev * 1000.0,
            p50_ns: ns(p50),
            p90_ns: ns(p90),
            p99_ns: ns(p99),
            p999_ns: ns(p999),
            max_ns: ns(max),
            spectrum: Vec::new(),
            hdr_base64: None,
        },
        server_cpu_ns_per_op: None,
        command: String::new(),
    })
}

/// The hook, in a file of its own for as long as wrk runs.
struct Script(PathBuf);

impl Script {
    fn new() -> Result<Script, String> {
        let path = std::env::temp_dir().join(format!("rtbench-wrk-{}.lua", std::process::id()));
        std::fs::write(&path, SCRIPT).map_err(|e| format!("cannot write wrk's script: {e}"))?;
        Ok(Script(path))
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hook_line_gives_rate_and_latency_and_errors_fail() {
        let ok = "Running 1s test\nrtbench-wrk 1000000 50000 0 0 0 0 0 20 110.5 30.2 100 150 300 900 1500\n";
        let run = parse(ok).unwrap();
        assert_eq!(run.requests, 50_000);
        assert!((run.rate() - 50_000.0).abs() < 1e-6);
        assert_eq!(run.latency.p99_ns, 300_000);
        let bad = "rtbench-wrk 1000000 50000 0 0 0 3 0 20 110.5 30.2 100 150 300 900 1500\n";
        assert!(parse(bad).unwrap_err().contains("status 3"));
        assert!(parse("nothing").is_err());
    }
}
