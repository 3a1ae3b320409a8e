//! The one load generator every server is driven by (fairness rule 1), in
//! the benches and in `rtbench load`: a TCP client of echo and `work`
//! servers ([`work_request`]), driven by a plain mio event loop so that no
//! runtime under test is also the one measuring. It runs closed loop
//! ([`LoadGen::run`]: the next message when the last came back) or open loop
//! ([`LoadGen::run_open`]: messages on a schedule of intended send times, as
//! wrk2 and mutilate do, with latency measured from the intended time), on
//! one thread ([`LoadGen`]) or several ([`MultiGen`]).
//!
//! It is the instrument, not a workload: it starts no server, runs no async
//! runtime, and chooses no case, rate or verdict. The workloads
//! (`rtbench-workloads`) decide what to offer and what the numbers mean;
//! this crate offers it and measures, the same for every runtime.
//!
//! Each connection sends its own deterministic payload, reads the echo back,
//! compares it byte for byte as it arrives and only then starts the next round
//! trip. Nothing is allocated per round trip and the clock is read once per
//! send and once per completion, so the client stays cheaper than the servers
//! it drives.
//!
//! Every socket has `SO_TIMESTAMPNS` on: the open loop reads replies with
//! `recvmsg` and gets the kernel's receive time of each, which splits a round
//! trip into the generator's send lag, the server's part and the generator's
//! read delay ([`OpenHists`]). The closed loop reads with plain `read` as
//! before (no control buffer: the kernel skips the stamp's copy).

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use http::Route;
use rtbench_runtimes::sys;
use work_request::{Cost, Mix, Picker};

mod generator;
pub mod hdr;
pub mod http;
mod loops;
mod multi;
mod open;
mod stamps;
pub mod work_request;

pub use generator::LoadGenerator;
pub use multi::MultiGen;
use open::now_ns;
pub use open::{Arrivals, OpenHists, OpenLoopConfig, OpenOutcome, Schedule, Wait};
use stamps::{enable_rx_stamps, recv_stamped};

/// The crates the load generator measures with, whose versions every run
/// records beside the runtimes' (`rtbench_runtimes::Runtime::CRATES`).
pub const CRATES: &[&str] = &["mio", "hdrhistogram"];

/// How long all the connects of one load generator may take together.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Size of the shared read buffer: larger than any echo we expect at once, so a
/// server that echoes too much is caught in the same read.
const READ_BUF: usize = 64 * 1024;
/// Most readiness events handled per `poll` call.
const EVENTS: usize = 1024;

/// Counters proving the work was done, cumulative since [`LoadGen::connect`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Round trips whose whole echo came back and matched.
    pub round_trips: u64,
    /// Bytes written to the server.
    pub bytes_sent: u64,
    /// Bytes read back and found equal to what was expected (HTTP: the
    /// bodies; every head is checked, but its length differs by server).
    pub bytes_verified: u64,
    /// CPU time (user + system) of the generator's thread(s) in their runs:
    /// its cost per round trip, to weigh against the server's.
    pub cpu: Duration,
}

/// One closed-loop run: exactly `round_trips` round trips, failing after
/// `stall` without progress, stopped at `deadline` if one is given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClosedLoopConfig {
    pub round_trips: u64,
    pub stall: Duration,
    pub deadline: Option<Instant>,
}

/// What a closed-loop run did ([`LoadGen::run_within`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClosedOutcome {
    /// From the start to the last completed round trip (to the deadline
    /// when the run stopped there).
    pub elapsed: Duration,
    /// Round trips completed and compared.
    pub round_trips: u64,
    /// Round trips sent but not back when the run reached its deadline
    /// (0 when it ended by itself).
    pub outstanding: u64,
}

/// One message a connection can send, and the only reply it accepts.
#[derive(Debug)]
struct Msg {
    send: Box<[u8]>,
    expect: Expect,
}

/// The reply a message accepts.
#[derive(Debug)]
enum Expect {
    /// Exactly these bytes (echo, `work`), compared as they arrive.
    Bytes(Box<[u8]>),
    /// An HTTP/1.1 response to this route ([`http::Response`]).
    Http(Route),
}

/// One of the generator's TCP connections to the server and the state of
/// its round trip (not the server side's `rtbench_runtimes::Conn`).
#[derive(Debug)]
struct ClientConn {
    stream: TcpStream,
    /// This connection's messages (echo: one, its reply itself), distinct
    /// per connection so that replies landing on the wrong socket show.
    msgs: Vec<Msg>,
    /// The message of the current round trip.
    cur: usize,
    /// Round trips still to start in the current run (not counting the one in flight).
    queued: u64,
    /// A round trip is in flight.
    busy: bool,
    /// Bytes of the current message written.
    written: usize,
    /// Bytes of the current message read back and compared.
    verified: usize,
    /// When the current message was sent ([`now_ns`]).
    sent_ns: u64,
    /// Open loop: when the current message was meant to be sent.
    intended_ns: u64,
    /// Open loop: this connection's schedule of intended send times.
    schedule: Option<Schedule>,
    /// Open loop: the server still held the connection at its next intended
    /// time (`free_ns` past it), so that send counts as queued, not as lag.
    waited: bool,
    /// The kernel's receive stamp (`CLOCK_REALTIME` ns) of the last read
    /// of the current reply, 0 when that read carried none.
    rx_real: u64,
    /// Open loop: when the connection would have been free ([`now_ns`]) had
    /// the generator sent on time and read at once: the server's pace.
    free_ns: u64,
    /// HTTP: the response being read (empty for byte replies).
    response: http::Response,
}

/// The load generator on the calling thread: an echo or `work` client over
/// its TCP connections, closed or open loop (one part of a [`MultiGen`]).
#[derive(Debug)]
pub struct LoadGen {
    poll: Poll,
    events: Events,
    conns: Vec<ClientConn>,
    scratch: Box<[u8]>,
    stats: Stats,
    /// Set by the first failed run: the connections are then in an unknown
    /// state, so later runs refuse instead of measuring garbage.
    failed: Option<String>,
    /// The `work` workload: which message each round trip sends. Boxed, as
    /// is `stall_every`, to keep `LoadGen` small: most generators have neither.
    picker: Option<Box<Picker>>,
    /// The connections this generator holds of one split over threads.
    part: Part,
    /// Tests only: the open loop sleeps `.1` every `.0` ([`LoadGen::stall_every`]).
    stall_every: Option<Box<(Duration, Duration)>>,
}

/// The connections one thread holds of a load generator split over several
/// ([`MultiGen`]): indices `first..first + count` of `total`. Payloads,
/// schedules and cost draws follow the global index, so the split sends
/// what one thread would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub first: usize,
    pub count: usize,
    pub total: usize,
}

impl Part {
    /// All `connections` on one thread.
    pub fn whole(connections: usize) -> Part {
        Part {
            first: 0,
            count: connections,
            total: connections,
        }
    }

    /// `connections` split as evenly as possible over `threads` (the first
    /// ones get one more); never an empty part.
    pub fn split(connections: usize, threads: usize) -> Vec<Part> {
        let threads = threads.clamp(1, connections.max(1));
        let (each, extra) = (connections / threads, connections % threads);
        let mut first = 0;
        (0..threads)
            .map(|k| {
                let count = each + usize::from(k < extra);
                let part = Part {
                    first,
                    count,
                    total: connections,
                };
                first += count;
                part
            })
            .collect()
    }
}

/// The message of the next round trip of the connection of global index `i`.
fn pick(picker: &mut Option<Box<Picker>>, i: usize) -> usize {
    picker.as_mut().map_or(0, |p| p.pick(i))
}

impl LoadGen {
    /// Opens `connections` TCP connections to `addr` (loopback only), each with
    /// `TCP_NODELAY` and its own deterministic `msg_bytes`-byte payload.
    /// Panics on a non-loopback `addr`: rtbench never sends traffic off the machine.
    ///
    /// Raises the soft `RLIMIT_NOFILE` to the hard limit first if it looks too
    /// low for `connections` (with room for an in-process server).
    pub fn connect(addr: SocketAddr, connections: usize, msg_bytes: usize) -> io::Result<LoadGen> {
        assert!(
            addr.ip().is_loopback(),
            "the load generator only talks to loopback, not {addr}"
        );
        Self::connect_any(addr, connections, msg_bytes)
    }

    /// [`LoadGen::connect`] to any address: for `rtbench load --allow-remote`,
    /// whose caller has checked the user asked for a non-loopback target.
    pub fn connect_any(
        addr: SocketAddr,
        connections: usize,
        msg_bytes: usize,
    ) -> io::Result<LoadGen> {
        Self::connect_part(addr, Part::whole(connections), msg_bytes)
    }

    /// Part of an echo load generator split over threads (see [`Part`]).
    pub fn connect_part(addr: SocketAddr, part: Part, msg_bytes: usize) -> io::Result<LoadGen> {
        Self::open(addr, part, msg_bytes, None, |i| {
            let p = payload(i, msg_bytes);
            vec![Msg {
                send: p.clone(),
                expect: Expect::Bytes(p),
            }]
        })
    }

    /// The `work` workload's client: every round trip sends a request whose
    /// cost [`Picker`] draws from `mix` (reproducibly from `seed`), and
    /// checks the reply's digest against one computed here once per
    /// connection and class. `rounds_per_us` turns costs into rounds.
    pub fn connect_work(
        addr: SocketAddr,
        connections: usize,
        msg_bytes: usize,
        mix: Mix,
        seed: u64,
        rounds_per_us: f64,
    ) -> io::Result<LoadGen> {
        let part = Part::whole(connections);
        Self::connect_work_part(addr, part, msg_bytes, mix, seed, rounds_per_us)
    }

    /// Part of a `work` load generator split over threads (see [`Part`]).
    pub fn connect_work_part(
        addr: SocketAddr,
        part: Part,
        msg_bytes: usize,
        mix: Mix,
        seed: u64,
        rounds_per_us: f64,
    ) -> io::Result<LoadGen> {
        if !(work_request::HEADER..=work_request::MAX_LEN).contains(&msg_bytes) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "a work request is {} to {} bytes, not {msg_bytes}",
                    work_request::HEADER,
                    work_request::MAX_LEN
                ),
            ));
        }
        let classes = mix.classes();
        let picker = Picker::new(mix, part.total, seed).for_part(part.first);
        Self::open(addr, part, msg_bytes, Some(picker), |i| {
            classes
                .iter()
                .map(|c| {
                    let cost = Cost {
                        rounds: (c.work_us * rounds_per_us).round() as u32,
                        block: c.block,
                    };
                    let send = work_request::request(msg_bytes, cost, seed ^ (i as u64 + 1));
                    let expect = work_request::reply(&send).into_boxed_slice();
                    Msg {
                        send: send.into_boxed_slice(),
                        expect: Expect::Bytes(expect),
                    }
                })
                .collect()
        })
    }

    /// The `http` workload's client: every round trip is one `GET` of
    /// `route` on a keep-alive connection, its response checked
    /// ([`http::Route`]: status, headers, body).
    pub fn connect_http(addr: SocketAddr, connections: usize, route: Route) -> io::Result<LoadGen> {
        Self::connect_http_part(addr, Part::whole(connections), route)
    }

    /// Part of an `http` load generator split over threads (see [`Part`]).
    pub fn connect_http_part(addr: SocketAddr, part: Part, route: Route) -> io::Result<LoadGen> {
        let request = route.request(&addr.to_string());
        Self::open(addr, part, request.len(), None, |_| {
            vec![Msg {
                send: request.clone(),
                expect: Expect::Http(route),
            }]
        })
    }

    /// Connects `part`'s connections; `msgs(i)` are the messages of the
    /// connection of global index `i`.
    fn open(
        addr: SocketAddr,
        part: Part,
        msg_bytes: usize,
        picker: Option<Picker>,
        msgs: impl Fn(usize) -> Vec<Msg>,
    ) -> io::Result<LoadGen> {
        let connections = part.count;
        if connections == 0 || msg_bytes == 0 || part.first + part.count > part.total {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the load generator needs at least one connection and one byte per message",
            ));
        }
        let nofile = sys::raise_nofile_limit(2 * connections as u64 + 64)?;
        let poll = Poll::new()?;
        let mut conns = Vec::with_capacity(connections);
        // One bound for all the connects: a host that drops SYNs costs
        // CONNECT_TIMEOUT, not CONNECT_TIMEOUT per connection.
        let deadline = Instant::now() + CONNECT_TIMEOUT;
        for i in 0..connections {
            let left = deadline.saturating_duration_since(Instant::now());
            let connected = if left.is_zero() {
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{CONNECT_TIMEOUT:?} passed before it was made"),
                ))
            } else {
                std::net::TcpStream::connect_timeout(&addr, left)
            };
            let std = connected.map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "connection {i} of {connections} to {addr}: connect failed: {e} \
                         (RLIMIT_NOFILE soft limit {nofile})"
                    ),
                )
            })?;
            std.set_nodelay(true)?;
            std.set_nonblocking(true)?;
            // Without stamps the open loop falls back to completion times.
            let _ = enable_rx_stamps(&std);
            let mut stream = TcpStream::from_std(std);
            poll.registry().register(
                &mut stream,
                Token(i),
                Interest::READABLE | Interest::WRITABLE,
            )?;
            conns.push(ClientConn {
                stream,
                msgs: msgs(part.first + i),
                cur: 0,
                queued: 0,
                busy: false,
                written: 0,
                verified: 0,
                sent_ns: 0,
                intended_ns: 0,
                schedule: None,
                waited: false,
                rx_real: 0,
                free_ns: 0,
                response: http::Response::default(),
            });
        }
        Ok(LoadGen {
            poll,
            events: Events::with_capacity(EVENTS.min(connections)),
            conns,
            scratch: vec![0; READ_BUF.max(msg_bytes)].into_boxed_slice(),
            stats: Stats::default(),
            failed: None,
            picker: picker.map(Box::new),
            part,
            stall_every: None,
        })
    }

    /// For tests only; never set by a real run: makes every later open-loop
    /// run stall its own thread for `length` (a plain `std::thread::sleep`)
    /// every `period` of the run, as a descheduled generator would.
    pub fn stall_every(&mut self, period: Duration, length: Duration) {
        assert!(!period.is_zero(), "a stall period must be positive");
        self.stall_every = Some(Box::new((period, length)));
    }

    /// Number of connections.
    pub fn connections(&self) -> usize {
        self.conns.len()
    }

    /// Bytes per message.
    pub fn msg_bytes(&self) -> usize {
        self.conns[0].msgs[0].send.len()
    }

    /// Counters since `connect`.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Runs exactly `round_trips` round trips, spread as evenly as possible over
    /// the connections (connection `i` gets `round_trips / c`, plus one if
    /// `i < round_trips % c`), each closed-loop: write the message, read all of it
    /// back, compare, record the round-trip time in ns into `hist`, repeat.
    ///
    /// Returns the wall time from start to the last byte. Fails on a mismatch,
    /// a peer that closes or resets, or no progress at all for `stall_timeout`
    /// (`TimedOut`, saying how many round trips were left). After a failure the
    /// load generator refuses further runs.
    pub fn run(
        &mut self,
        round_trips: u64,
        hist: &mut Histogram<u64>,
        stall_timeout: Duration,
    ) -> io::Result<Duration> {
        let cfg = ClosedLoopConfig {
            round_trips,
            stall: stall_timeout,
            deadline: None,
        };
        self.closed_loop(&cfg, hist).map(|o| o.elapsed)
    }

    /// [`LoadGen::run`] bounded by construction: at `deadline` it stops,
    /// whatever the server does (one that trickles its replies shows
    /// progress, so the stall check alone would wait for every byte), and
    /// returns the round trips done and those still out
    /// ([`ClosedOutcome::outstanding`]); the generator then refuses further
    /// runs, as after a failure (their replies may still come).
    pub fn run_within(
        &mut self,
        round_trips: u64,
        hist: &mut Histogram<u64>,
        stall_timeout: Duration,
        deadline: Instant,
    ) -> io::Result<ClosedOutcome> {
        let cfg = ClosedLoopConfig {
            round_trips,
            stall: stall_timeout,
            deadline: Some(deadline),
        };
        self.closed_loop(&cfg, hist)
    }

    /// Refuses to run after a failed run: the connections are then in an
    /// unknown state.
    fn usable(&self) -> io::Result<()> {
        match &self.failed {
            Some(why) => Err(io::Error::other(format!(
                "load generator unusable after an earlier error: {why}"
            ))),
            None => Ok(()),
        }
    }

    /// Does one run (`kind` names it in messages), closed or open loop:
    /// adds this thread's CPU time to the counters, and leaves the generator
    /// refusing further runs when the run failed or stopped at its deadline
    /// with round trips outstanding (`outstanding`, of its outcome).
    fn metered<T>(
        &mut self,
        kind: &str,
        outstanding: fn(&T) -> u64,
        run: impl FnOnce(&mut LoadGen) -> io::Result<T>,
    ) -> io::Result<T> {
        let cpu = sys::thread_cpu_time();
        let result = run(self);
        self.stats.cpu += sys::thread_cpu_time().saturating_sub(cpu);
        match &result {
            Err(e) => self.failed = Some(e.to_string()),
            Ok(o) if outstanding(o) > 0 => {
                self.failed = Some(format!(
                    "{kind} stopped at its deadline with {} round trips outstanding",
                    outstanding(o)
                ))
            }
            Ok(_) => {}
        }
        result
    }

    fn moved(&self) -> u64 {
        self.stats.bytes_sent + self.stats.bytes_verified
    }
}

impl ClientConn {
    /// Handles one readiness event: writes the rest of the message, reads and
    /// compares the echo; returns the completion time (ns) of a round trip
    /// that just finished. Shared by the closed and the open loop; `stamped`
    /// reads with `recvmsg` and keeps the kernel's receive stamp in `rx_real`.
    fn on_event(
        &mut self,
        i: usize,
        event: &mio::event::Event,
        scratch: &mut [u8],
        stats: &mut Stats,
        stamped: bool,
    ) -> io::Result<Option<u64>> {
        if event.is_writable() && self.busy && self.written < self.msgs[self.cur].send.len() {
            self.write(i, stats)?;
        }
        if event.is_readable() || event.is_read_closed() || event.is_error() {
            return self.read(i, scratch, stats, stamped);
        }
        Ok(None)
    }

    /// Closed loop: starts the next of this connection's queued round trips,
    /// if any (`global`: its index for the picker).
    fn start_queued(
        &mut self,
        i: usize,
        global: usize,
        picker: &mut Option<Box<Picker>>,
        stats: &mut Stats,
    ) -> io::Result<()> {
        if self.queued == 0 {
            return Ok(());
        }
        self.queued -= 1;
        self.start(i, pick(picker, global), stats, now_ns())
    }

    /// Starts a round trip with message `cur`, sent at `now` (ns): writes
    /// what the socket takes.
    fn start(&mut self, i: usize, cur: usize, stats: &mut Stats, now: u64) -> io::Result<()> {
        self.cur = cur;
        self.busy = true;
        self.written = 0;
        self.verified = 0;
        self.response.clear();
        self.sent_ns = now;
        self.write(i, stats)
    }

    /// Writes the rest of the message until done or the socket is full
    /// (edge-triggered: stopping early would lose the next writable edge).
    fn write(&mut self, i: usize, stats: &mut Stats) -> io::Result<()> {
        let send = &self.msgs[self.cur].send;
        while self.written < send.len() {
            match self.stream.write(&send[self.written..]) {
                Ok(0) => return Err(conn_err(i, io::ErrorKind::WriteZero, "write returned 0")),
                Ok(n) => {
                    self.written += n;
                    stats.bytes_sent += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(conn_err(i, e.kind(), &format!("write failed: {e}"))),
            }
        }
        Ok(())
    }

    /// Reads and compares echoed bytes until the socket is drained or the
    /// message is complete; on completion marks the connection idle and
    /// returns the completion time (ns); the caller records it.
    ///
    /// Stopping right after a complete message without draining is safe: a
    /// well-behaved echo has nothing more to send, and whatever it sends next
    /// raises a new readable edge.
    fn read(
        &mut self,
        i: usize,
        scratch: &mut [u8],
        stats: &mut Stats,
        stamped: bool,
    ) -> io::Result<Option<u64>> {
        loop {
            let got = if stamped {
                recv_stamped(&self.stream, scratch).map(|(n, rx)| {
                    self.rx_real = rx;
                    n
                })
            } else {
                self.stream.read(scratch)
            };
            let n = match got {
                Ok(0) => {
                    return Err(conn_err(
                        i,
                        io::ErrorKind::UnexpectedEof,
                        &format!(
                            "peer closed the connection early ({} bytes of the current \
                             reply read, {} round trips left on it)",
                            self.verified.max(self.response.len()),
                            self.queued + u64::from(self.busy)
                        ),
                    ));
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(conn_err(i, e.kind(), &format!("read failed: {e}"))),
            };
            let done = match &self.msgs[self.cur].expect {
                Expect::Bytes(expect) => {
                    compare(i, &scratch[..n], expect, self.verified, self.written)?;
                    self.verified += n;
                    stats.bytes_verified += n as u64;
                    self.verified == expect.len()
                }
                Expect::Http(route) => {
                    if !self.busy {
                        return Err(conn_err(
                            i,
                            io::ErrorKind::InvalidData,
                            &format!("{n} bytes came with no request in flight"),
                        ));
                    }
                    let done = self
                        .response
                        .take(&scratch[..n], *route)
                        .map_err(|e| conn_err(i, e.kind(), &format!("bad response: {e}")))?;
                    if done {
                        // The body's bytes: the head differs by server.
                        stats.bytes_verified += route.body().len() as u64;
                    }
                    done
                }
            };
            if done {
                stats.round_trips += 1;
                self.busy = false;
                return Ok(Some(now_ns()));
            }
        }
    }
}

/// Compares `got`, the next bytes of a reply whose first `verified` bytes
/// matched, with `expect`, of which `written` bytes are outstanding so far.
fn compare(i: usize, got: &[u8], expect: &[u8], verified: usize, written: usize) -> io::Result<()> {
    let expected = &expect[verified..written];
    if got.len() > expected.len() {
        return Err(conn_err(
            i,
            io::ErrorKind::InvalidData,
            &format!(
                "peer sent {} bytes but only {} were outstanding",
                got.len(),
                expected.len()
            ),
        ));
    }
    if got != &expected[..got.len()] {
        let at = got
            .iter()
            .zip(expected)
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        return Err(conn_err(
            i,
            io::ErrorKind::InvalidData,
            &format!(
                "reply mismatch at byte {} of the message: expected {:#04x}, got {:#04x}",
                verified + at,
                expected[at],
                got[at]
            ),
        ));
    }
    Ok(())
}

fn conn_err(i: usize, kind: io::ErrorKind, what: &str) -> io::Error {
    io::Error::new(kind, format!("load generator connection {i}: {what}"))
}

fn stalled(left: u64, total: u64, after: Duration) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!(
            "load generator stalled: no progress for {after:?}, {left} of {total} round trips left"
        ),
    )
}

/// Connection `i`'s payload: a splitmix64 stream seeded by `i`, so every
/// connection's bytes differ and an echo landing on the wrong socket shows.
fn payload(i: usize, len: usize) -> Box<[u8]> {
    let mut state = (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut out = vec![0u8; len];
    for chunk in out.chunks_mut(8) {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
    }
    out.into_boxed_slice()
}

#[cfg(test)]
mod tests;
