//! The `std-threads` reference server counts its own CPU time: its threads'
//! only, ended ones included. Loopback only; bounded in time.

use std::thread;
use std::time::Duration;

use rtbench_loadgen::{LoadGen, hdr};
use rtbench_runtimes::sys;
use rtbench_workloads::std_server::StdEchoServer;

#[test]
fn cpu_time_is_its_threads_only_and_survives_their_exit() {
    let server = StdEchoServer::start(&[0]).unwrap();
    let mut lg = LoadGen::connect(server.addr(), 16, 64).unwrap();
    lg.run(2000, &mut hdr::histogram(), Duration::from_secs(10))
        .unwrap();
    let cpu = server.cpu_time();
    assert!(cpu > Duration::ZERO && cpu <= sys::process_cpu_time());
    drop(lg);
    thread::sleep(Duration::from_millis(20));
    assert!(server.cpu_time() >= cpu);
}
