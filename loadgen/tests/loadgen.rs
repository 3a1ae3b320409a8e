//! The load generator does exactly the work asked, catches bad echoes and
//! never hangs. That it is not the bottleneck is a benchmark, not a timed
//! test: `echo/blocking-client/*` beside `echo/std-threads/*`. Loopback only;
//! every test is bounded in time.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use rtbench_loadgen::{LoadGen, Stats};

const STALL: Duration = Duration::from_secs(10);

/// Tests run one at a time: on 2 cores a parallel test would skew the stall
/// timings.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000_000, 3).unwrap()
}

fn check(connections: usize, msg_bytes: usize, round_trips: u64) {
    let mut lg = LoadGen::connect(echo_server(), connections, msg_bytes).unwrap();
    let mut h = hist();
    let wall = lg.run(round_trips, &mut h, STALL).unwrap();
    let m = msg_bytes as u64;
    assert_eq!(
        lg.stats(),
        Stats {
            round_trips,
            bytes_sent: round_trips * m,
            bytes_verified: round_trips * m,
            cpu: lg.stats().cpu,
        }
    );
    assert!(
        lg.stats().cpu > Duration::ZERO,
        "the generator's CPU is counted"
    );
    assert_eq!(h.len(), round_trips);
    assert!(wall > Duration::ZERO);
    // A second run accumulates.
    lg.run(round_trips, &mut h, STALL).unwrap();
    assert_eq!(lg.stats().round_trips, 2 * round_trips);
    assert_eq!(lg.stats().bytes_sent, 2 * round_trips * m);
    assert_eq!(lg.stats().bytes_verified, 2 * round_trips * m);
    assert_eq!(h.len(), 2 * round_trips);
}

#[test]
fn exact_work_16_connections_64_bytes() {
    let _g = serial();
    check(16, 64, 1000);
}

#[test]
fn exact_work_large_messages() {
    let _g = serial();
    check(1, 16384, 1000);
    check(16, 16384, 1000);
}

#[test]
fn exact_work_one_and_many_connections() {
    let _g = serial();
    check(1, 64, 1000);
    check(256, 64, 1000);
    check(256, 16384, 1000);
}

#[test]
fn fewer_round_trips_than_connections_leaves_some_idle() {
    let _g = serial();
    check(16, 64, 5);
    let mut lg = LoadGen::connect(echo_server(), 4, 64).unwrap();
    let mut h = hist();
    assert_eq!(lg.run(0, &mut h, STALL).unwrap(), Duration::ZERO);
    assert_eq!(lg.stats().round_trips, 0);
    assert_eq!(lg.stats().bytes_sent, 0);
}

#[test]
fn a_thousand_connections_connect() {
    let _g = serial();
    let mut lg = LoadGen::connect(echo_server(), 1024, 16384).unwrap();
    let mut h = hist();
    lg.run(2048, &mut h, STALL).unwrap();
    assert_eq!(lg.stats().round_trips, 2048);
    assert_eq!(lg.stats().bytes_verified, 2048 * 16384);
}

/// A one-connection-at-a-time test server running `serve` on each accepted
/// connection in its own thread.
fn test_server(serve: fn(TcpStream)) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            thread::spawn(move || serve(stream));
        }
    });
    addr
}

/// A faithful echo server, a thread per connection (as `std-threads`).
fn echo_server() -> SocketAddr {
    test_server(|mut s| {
        let _ = s.set_nodelay(true);
        let mut buf = [0u8; 64 * 1024];
        loop {
            let n = match s.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if s.write_all(&buf[..n]).is_err() {
                return;
            }
        }
    })
}

#[test]
fn corrupted_echo_is_an_error() {
    let _g = serial();
    // Echoes faithfully, except that byte 1000 of the stream is flipped.
    let addr = test_server(|mut s| {
        let mut buf = [0u8; 4096];
        let mut seen = 0usize;
        loop {
            let n = match s.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if (seen..seen + n).contains(&1000) {
                buf[1000 - seen] ^= 0x20;
            }
            seen += n;
            if s.write_all(&buf[..n]).is_err() {
                return;
            }
        }
    });
    let mut lg = LoadGen::connect(addr, 1, 64).unwrap();
    let mut h = hist();
    let err = lg.run(100, &mut h, STALL).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    let msg = err.to_string();
    println!("{msg}");
    assert!(msg.contains("connection 0"), "{msg}");
    assert!(msg.contains("mismatch at byte 40"), "{msg}");
    // 1000 / 64 = 15 round trips came back intact before the bad one.
    assert_eq!(lg.stats().round_trips, 15);
    // Refuses to go on measuring after that.
    assert!(lg.run(1, &mut h, STALL).is_err());
}

#[test]
fn misrouted_echo_is_an_error() {
    let _g = serial();
    // Answers every connection with the first connection's bytes.
    let addr = test_server(|mut s| {
        let mut buf = [0u8; 64];
        if s.read_exact(&mut buf).is_err() {
            return;
        }
        let first = {
            static FIRST: Mutex<Option<[u8; 64]>> = Mutex::new(None);
            *FIRST.lock().unwrap().get_or_insert(buf)
        };
        let _ = s.write_all(&first);
        let _ = s.read(&mut buf);
    });
    let mut lg = LoadGen::connect(addr, 2, 64).unwrap();
    let err = lg.run(2, &mut hist(), STALL).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
    assert!(err.to_string().contains("mismatch"), "{err}");
}

#[test]
fn early_close_is_an_error_not_a_hang() {
    let _g = serial();
    // Echoes three messages, then closes.
    let addr = test_server(|mut s| {
        let mut buf = [0u8; 64];
        for _ in 0..3 {
            if s.read_exact(&mut buf).is_err() || s.write_all(&buf).is_err() {
                return;
            }
        }
    });
    let mut lg = LoadGen::connect(addr, 1, 64).unwrap();
    let t = Instant::now();
    let err = lg.run(100, &mut hist(), STALL).unwrap_err();
    println!("{err}");
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_ne!(err.kind(), io::ErrorKind::TimedOut, "{err}");
    assert!(err.to_string().contains("connection 0"), "{err}");
    assert_eq!(lg.stats().round_trips, 3);
}

#[test]
fn silent_server_times_out() {
    let _g = serial();
    // Reads everything, answers nothing, keeps the connection open.
    let addr = test_server(|mut s| {
        let mut buf = [0u8; 4096];
        while let Ok(1..) = s.read(&mut buf) {}
    });
    let mut lg = LoadGen::connect(addr, 4, 64).unwrap();
    let stall = Duration::from_millis(300);
    let t = Instant::now();
    let err = lg.run(10, &mut hist(), stall).unwrap_err();
    let took = t.elapsed();
    println!("{err} (after {took:?})");
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert!(
        err.to_string().contains("10 of 10 round trips left"),
        "{err}"
    );
    assert!(took >= stall && took < stall * 2, "{took:?}");
}
