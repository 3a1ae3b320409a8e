//! [`LoadGenerator`]: what a caller asks of the load generator, whether it
//! runs on the calling thread ([`LoadGen`], whose own methods these are, and
//! which has more: bounded runs for `rtbench load`) or on threads of its own
//! ([`MultiGen`](crate::MultiGen), which has only these).

use std::fmt::Debug;
use std::io;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::{ClosedLoopConfig, ClosedOutcome, OpenHists, OpenLoopConfig, OpenOutcome, Stats};

/// The load generator, on one thread or several: both offer the same runs
/// and send the same round trips, so a bench holds either as a
/// `Box<dyn LoadGenerator>` and never chooses between them again.
pub trait LoadGenerator: Debug + Send {
    /// Exactly `round_trips` closed-loop round trips, spread over the
    /// connections, every round trip's time recorded in `hist`; stopped at
    /// `deadline` if one is given (the timed loop: `loops.rs`).
    fn closed_loop(
        &mut self,
        cfg: &ClosedLoopConfig,
        hist: &mut Histogram<u64>,
    ) -> io::Result<ClosedOutcome>;

    /// One open-loop run of `cfg`, recorded into `hists`, over at most
    /// `grace` after its drain (the timed loop: `loops.rs`).
    fn open_loop(
        &mut self,
        cfg: &OpenLoopConfig,
        hists: &mut OpenHists,
        grace: Duration,
    ) -> io::Result<OpenOutcome>;

    /// Counters since it connected, over all its threads.
    fn stats(&self) -> Stats;

    /// Connections, over all its threads.
    fn connections(&self) -> usize;

    /// Threads it runs on (the calling thread counts as one).
    fn threads(&self) -> usize;

    /// For tests only; never set by a real run: stalls every thread for
    /// `length` every `period` of every later open-loop run (see
    /// [`LoadGen::stall_every`](crate::LoadGen::stall_every)).
    fn stall_every(&mut self, period: Duration, length: Duration);
}
