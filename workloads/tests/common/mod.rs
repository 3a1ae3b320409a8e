//! What the open-loop tests share: a blocking echo server with a hook, and
//! the run settings that never spin.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use rtbench_loadgen::{Arrivals, OpenLoopConfig, Wait};

/// One open-loop run of `duration` at `rate`, after 100 ms of warm-up; a
/// backlog may drain for as long again.
#[allow(dead_code)] // each test file uses what it needs
pub fn open(rate: f64, duration: Duration) -> OpenLoopConfig {
    OpenLoopConfig {
        rate,
        warmup: Duration::from_millis(100),
        duration,
        arrivals: Arrivals::Even,
        // Tests share their CPUs with the server: never spin.
        wait: Wait::Sleep,
        drain: duration,
        stall: Duration::from_secs(10),
    }
}

/// A blocking echo server, a thread per connection, that calls `before(now)`
/// before echoing each message of `msg` bytes. It stops when the test ends
/// (its threads exit when the client closes).
pub fn hooked_server(msg: usize, before: impl Fn() + Send + Sync + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let before = Arc::new(before);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let before = before.clone();
            s.set_nodelay(true).unwrap();
            thread::spawn(move || {
                let mut buf = vec![0u8; msg];
                while s.read_exact(&mut buf).is_ok() {
                    before();
                    if s.write_all(&buf).is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}
