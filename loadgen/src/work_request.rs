//! What a `work` request carries: its CPU cost (rounds of xxh3 over the
//! payload, each seeded by the last, and a time to block the thread), its
//! encoding, the one correct reply (the digest, which a server that skips
//! the work cannot produce), and how a mix of costs is drawn. The load
//! generator builds and checks requests with it; a `work` server serves
//! them with [`serve`].
//!
//! A request is `len` bytes: a 16-byte header (length, rounds, microseconds
//! to block the thread, a reserved word; little-endian `u32`s) and a payload.
//! The reply has the same length: the digest (`u64`), then the request's
//! bytes 8.. echoed.

use rand::rngs::SmallRng;
use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Bytes of header before the payload.
pub const HEADER: usize = 16;
/// The largest request a server accepts (a bigger length field is an error).
pub const MAX_LEN: usize = 64 * 1024;

/// The digest of `rounds` rounds of xxh3 over `payload`: the work itself.
pub fn digest(rounds: u32, payload: &[u8]) -> u64 {
    let mut h = 0u64;
    for _ in 0..rounds {
        h = xxh3_64_with_seed(payload, h);
    }
    h
}

/// One request's cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    /// Rounds of [`digest`].
    pub rounds: u32,
    /// Time the handler blocks its thread with `std::thread::sleep`.
    pub block: Duration,
}

/// A request of `len` bytes with `cost` and a payload derived from `seed`.
pub fn request(len: usize, cost: Cost, seed: u64) -> Vec<u8> {
    assert!((HEADER..=MAX_LEN).contains(&len), "request length {len}");
    let mut r = vec![0u8; len];
    r[0..4].copy_from_slice(&(len as u32).to_le_bytes());
    r[4..8].copy_from_slice(&cost.rounds.to_le_bytes());
    r[8..12].copy_from_slice(&(cost.block.as_micros() as u32).to_le_bytes());
    let mut rng = SmallRng::seed_from_u64(seed);
    rng.fill(&mut r[HEADER..]);
    r
}

/// The only correct reply to `request`.
pub fn reply(request: &[u8]) -> Vec<u8> {
    let (cost, payload) = parse(request).expect("a request built by `request`");
    let mut r = request.to_vec();
    r[0..8].copy_from_slice(&digest(cost.rounds, payload).to_le_bytes());
    r
}

/// The cost and payload of a whole request, or why it is not one.
fn parse(msg: &[u8]) -> Result<(Cost, &[u8]), String> {
    let word = |i: usize| u32::from_le_bytes(msg[i..i + 4].try_into().expect("4 bytes"));
    if msg.len() < HEADER || word(0) as usize != msg.len() {
        return Err(format!(
            "a {}-byte message is not a work request",
            msg.len()
        ));
    }
    let cost = Cost {
        rounds: word(4),
        block: Duration::from_micros(word(8).into()),
    };
    Ok((cost, &msg[HEADER..]))
}

/// Does the work of the whole request in `msg` and turns it into its
/// reply; returns the cost it carried.
pub fn serve(msg: &mut [u8]) -> Result<Cost, String> {
    let (cost, payload) = parse(msg)?;
    if !cost.block.is_zero() {
        // The pitfall on purpose: a handler that blocks its executor's thread.
        std::thread::sleep(cost.block);
    }
    let d = digest(cost.rounds, payload);
    msg[0..8].copy_from_slice(&d.to_le_bytes());
    Ok(cost)
}

/// Rounds of [`digest`] per microsecond over a `payload_len`-byte payload on
/// the calling thread: the best of several timed batches (the least
/// disturbed one), so that a cost in microseconds becomes rounds.
pub fn calibrate(payload_len: usize) -> f64 {
    let payload = vec![0x5a; payload_len];
    let mut rounds: u32 = 1_000;
    // Grow the batch to about 2 ms, then keep the fastest of 10.
    while rounds < 1 << 28 {
        let t = Instant::now();
        std::hint::black_box(digest(rounds, std::hint::black_box(&payload)));
        if t.elapsed() >= Duration::from_millis(2) {
            break;
        }
        rounds *= 2;
    }
    (0..10)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(digest(rounds, std::hint::black_box(&payload)));
            rounds as f64 / (t.elapsed().as_nanos().max(1) as f64 / 1_000.0)
        })
        .fold(0.0, f64::max)
}

/// How request costs are drawn. The costs are sized for the default target
/// (p99 ≤ 1 ms) on a small machine: the work must outweigh the load
/// generator's own 20–40 µs of CPU per request (loopback TCP included),
/// and p99 must be able to meet 1 ms, so the expensive class stays well
/// under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mix {
    /// Every request costs 50 µs.
    Uniform,
    /// 95% of requests cost 20 µs, 5% cost 300 µs: p99 is an expensive
    /// request and how long it queued.
    Skewed,
    /// As `skewed` in total, but every expensive request is sent on one of a
    /// few hot connections (one in 16), chosen from the seed, and those carry
    /// nothing else.
    HotConnections,
    /// 0.5% of requests block their thread for 1 ms; the rest cost 50 µs.
    /// Fewer than 1%, so that p99 shows the requests stuck behind a blocked
    /// thread rather than the blocked ones themselves (at 1% those alone
    /// would put p99 at 1 ms, whatever the runtime).
    Blocking,
}

/// One kind of request in a mix: its share of requests, its work in
/// microseconds and its blocking time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Class {
    pub name: &'static str,
    pub share: f64,
    pub work_us: f64,
    pub block: Duration,
}

impl Mix {
    pub const ALL: [Mix; 4] = [
        Mix::Uniform,
        Mix::Skewed,
        Mix::HotConnections,
        Mix::Blocking,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mix::Uniform => "uniform",
            Mix::Skewed => "skewed",
            Mix::HotConnections => "hot-connections",
            Mix::Blocking => "blocking",
        }
    }

    pub fn parse(s: &str) -> Result<Mix, String> {
        Mix::ALL.into_iter().find(|m| m.name() == s).ok_or_else(|| {
            format!("{s:?} is not one of uniform, skewed, hot-connections, blocking")
        })
    }

    /// The request classes, cheapest first; shares sum to 1.
    pub fn classes(self) -> Vec<Class> {
        let work = |name, share, work_us| Class {
            name,
            share,
            work_us,
            block: Duration::ZERO,
        };
        match self {
            Mix::Uniform => vec![work("50us", 1.0, 50.0)],
            Mix::Skewed | Mix::HotConnections => {
                vec![work("20us", 0.95, 20.0), work("300us", 0.05, 300.0)]
            }
            Mix::Blocking => vec![
                work("50us", 0.995, 50.0),
                Class {
                    block: Duration::from_millis(1),
                    ..work("block-1ms", 0.005, 0.0)
                },
            ],
        }
    }

    /// The mean cost of a request, in microseconds (blocking counted).
    pub fn mean_us(self) -> f64 {
        self.classes()
            .iter()
            .map(|c| c.share * (c.work_us + c.block.as_secs_f64() * 1e6))
            .sum()
    }
}

/// Which class each request gets, reproducibly from a seed: per request for
/// most mixes, per connection for `hot-connections`.
#[derive(Debug)]
pub struct Picker {
    mix: Mix,
    classes: Vec<Class>,
    rng: SmallRng,
    /// `hot-connections`: whether each connection is hot.
    hot: Vec<bool>,
}

impl Picker {
    pub fn new(mix: Mix, connections: usize, seed: u64) -> Picker {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut hot = vec![false; connections];
        if mix == Mix::HotConnections && connections > 0 {
            let n = connections.div_ceil(16);
            for i in sample(&mut rng, connections, n) {
                hot[i] = true;
            }
        }
        Picker {
            mix,
            classes: mix.classes(),
            rng,
            hot,
        }
    }

    /// The same picker for the part of a split generator whose connections
    /// start at `first`: the same hot connections, its own draws.
    pub fn for_part(mut self, first: usize) -> Picker {
        if first > 0 {
            self.rng = SmallRng::seed_from_u64(self.rng.random::<u64>() ^ first as u64);
        }
        self
    }

    /// The connections that carry the expensive requests (`hot-connections`).
    pub fn hot_connections(&self) -> Vec<usize> {
        (0..self.hot.len()).filter(|&i| self.hot[i]).collect()
    }

    /// The class (an index into [`Mix::classes`]) of the next request on
    /// connection `conn`.
    pub fn pick(&mut self, conn: usize) -> usize {
        if self.mix == Mix::HotConnections {
            return usize::from(self.hot[conn]);
        }
        let x: f64 = self.rng.random();
        let mut acc = 0.0;
        for (i, c) in self.classes.iter().enumerate() {
            acc += c.share;
            if x < acc {
                return i;
            }
        }
        self.classes.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(rounds: u32) -> Cost {
        Cost {
            rounds,
            block: Duration::ZERO,
        }
    }

    #[test]
    fn a_served_request_is_its_reply_and_a_skipped_one_is_not() {
        let req = request(64, cost(100), 7);
        let mut served = req.clone();
        serve(&mut served).unwrap();
        assert_eq!(served, reply(&req));
        // An echo (the work skipped) or fewer rounds differ from the reply.
        assert_ne!(req, reply(&req));
        let mut fewer = req.clone();
        fewer[0..8].copy_from_slice(&digest(99, &req[HEADER..]).to_le_bytes());
        assert_ne!(fewer, reply(&req));
        assert!(serve(&mut req.clone()[..40]).is_err(), "a cut request");
    }

    #[test]
    fn rounds_are_work() {
        let per_us = calibrate(48);
        assert!(per_us > 0.1, "{per_us} rounds/us");
        let rounds = (per_us * 2_000.0) as u32; // about 2 ms
        let t = Instant::now();
        std::hint::black_box(digest(rounds, &[1u8; 48]));
        assert!(
            t.elapsed() >= Duration::from_micros(1_000),
            "{:?}",
            t.elapsed()
        );
    }

    #[test]
    fn shares_follow_the_mix_and_the_seed() {
        for mix in [Mix::Skewed, Mix::Blocking] {
            let mut p = Picker::new(mix, 16, 42);
            let n = 200_000;
            let mut counts = vec![0usize; mix.classes().len()];
            for i in 0..n {
                counts[p.pick(i % 16)] += 1;
            }
            for (c, class) in counts.iter().zip(mix.classes()) {
                let share = *c as f64 / n as f64;
                assert!(
                    (share - class.share).abs() < 0.005,
                    "{mix:?} {class:?}: {share}"
                );
            }
            let again: Vec<usize> = {
                let mut q = Picker::new(mix, 16, 42);
                (0..100).map(|i| q.pick(i % 16)).collect()
            };
            let mut r = Picker::new(mix, 16, 42);
            assert_eq!(again, (0..100).map(|i| r.pick(i % 16)).collect::<Vec<_>>());
        }
    }

    #[test]
    fn hot_connections_come_from_the_seed() {
        let hot = |seed| Picker::new(Mix::HotConnections, 64, seed).hot_connections();
        assert_eq!(hot(1), hot(1));
        assert_eq!(hot(1).len(), 4);
        assert!((0..20).any(|s| hot(s) != hot(1)), "the seed chooses them");
        let mut p = Picker::new(Mix::HotConnections, 64, 1);
        for c in 0..64 {
            assert_eq!(p.pick(c) == 1, hot(1).contains(&c));
        }
    }

    #[test]
    fn means_are_stated() {
        assert_eq!(Mix::Uniform.mean_us(), 50.0);
        assert!((Mix::Skewed.mean_us() - 34.0).abs() < 1e-9);
        assert!((Mix::Blocking.mean_us() - 54.75).abs() < 1e-9);
    }
}
