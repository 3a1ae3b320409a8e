//! HTTP/1.1 through hyper: requests per second of each runtime's hyper 1.x
//! server (through the adapter crate its users use, named in every row) and
//! of a blocking thread-per-connection std server, driven closed loop over
//! loopback by the one load generator, which checks every response's status,
//! headers and body; wrk drives std-threads and tokio-mt on the same cases
//! as the independent check of that generator. Not TLS, HTTP/2 or
//! pipelining; latency at fixed offered rates is `http_latency`'s.

use rtbench_format::{Description, Flavor, TimerClass, Workload};
use rtbench_harness::{
    External, ServeCommand, Settings, Spec, bench_or_skip, cannot_host_hyper, external,
};
use rtbench_loadgen::http::Route;
use rtbench_workloads::Service;
use rtbench_workloads::http::{HttpCase, wrk};

/// The servers wrk drives: the reference and the most used runtime.
const WRK_SERVERS: [&str; 2] = ["std-threads", "tokio-mt"];

fn spec(runtime: &str, case: HttpCase) -> Spec {
    Spec {
        workload: Workload::Http,
        runtime: runtime.to_string(),
        case: case.label(),
        params: case.params(),
        op: "request",
        // An iteration is 8 requests on every connection (see `ServedBench`).
        ops_per_iter: case.requests_per_iter(),
        latency_kind: Some("round-trip"),
        topology: None,
    }
}

/// wrk against `server`, one run of `seconds` on the generator's CPUs.
fn wrk_row(
    settings: &Settings,
    serve: &ServeCommand,
    server: &str,
    case: HttpCase,
) -> Result<External, String> {
    if let Some(why) = cannot_host_hyper(server) {
        return Err(why);
    }
    let seconds = if settings.full() { 5 } else { 1 };
    let placement = &settings.placement;
    let run = wrk::run(
        serve,
        server,
        case,
        placement.server_cpus(),
        placement.loadgen_cpus(),
        seconds,
    )?;
    let description = Description {
        name: format!("wrk-{server}"),
        flavor: Flavor::Check,
        workers: 1,
        timer_class: TimerClass::Os,
        driver: "epoll".into(),
        knobs: [
            ("command".to_string(), run.command.clone()),
            ("http".to_string(), format!("client: wrk, against {server}")),
        ]
        .into(),
        notes: vec![
            "wrk (Debian's): an independent client, closed loop on one thread; it checks status codes, not bodies"
                .into(),
        ],
    };
    Ok(External {
        ns_per_op: 1e9 / run.rate(),
        ops: run.requests,
        latency: Some(run.latency),
        cpu_ns_per_op: run.server_cpu_ns_per_op,
        description,
        extra: Default::default(),
    })
}

fn main() {
    let settings = Settings::from_env(Workload::Http);
    // Every server is `rtbench serve --service http`, built beside the benches.
    let serve = ServeCommand::new(env!("CARGO_BIN_EXE_rtbench")).service(Service::Http);
    let mut c = settings.criterion();
    let mut group = c.benchmark_group("http");
    // Every sample the same number of iterations, each a request on every
    // connection: no sample is a ramp of a few connections (criterion's
    // linear sampling sized std-threads' 256-connection samples at 5 to 50
    // requests from a warm-up of single requests).
    group.sampling_mode(criterion::SamplingMode::Flat);
    for case in HttpCase::matrix() {
        // The 2-core case: server on both CPUs, the generator sharing one.
        let (here, no_cores) = match settings.with_server_cores(case.cores) {
            Ok(s) => (s, None),
            Err(e) => (settings.clone(), Some(e)),
        };
        for name in rtbench_harness::echo_servers() {
            let cannot = || no_cores.clone().or_else(|| cannot_host_hyper(&name));
            bench_or_skip(&mut group, &here, spec(&name, case), cannot, || {
                here.served_http(&serve, &name, case)
            });
        }
        if case.cores == 1 && case.route == Route::Plaintext {
            for server in WRK_SERVERS {
                external(&here, spec(&format!("wrk-{server}"), case), || {
                    wrk_row(&here, &serve, server, case)
                });
            }
        }
    }
    group.finish();
    rtbench_harness::finish(&mut c);
}
