//! Fan-out: spawn many tasks and join them. Cost per task, and live heap
//! bytes per parked task.

use crate::sync::{Countdown, Gate};
use crate::{Sample, Tasks, Work};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// One fan-out case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanOutCase {
    /// Spawn `tasks` tasks from one task, join them all, check their sum.
    Flat { tasks: u64 },
    /// Each task spawns `branching` children, down to `depth` levels.
    Tree { branching: u64, depth: u32 },
    /// Spawn `tasks` tasks that all park on one event; measure live heap per
    /// task; then wake and join them.
    Parked { tasks: u64 },
}

impl crate::Case for FanOutCase {
    fn per_iter(&self) -> Work {
        Work {
            ops: 1,
            tasks: self.tasks(),
            ..Work::default()
        }
    }

    fn label(&self) -> String {
        FanOutCase::label(self)
    }

    /// `iters` fan-outs, timed inside the runtime.
    async fn body<T: Tasks>(self, iters: u64) -> Result<Sample, String> {
        let case = self;
        let start = Instant::now();
        let mut tasks = 0;
        let mut bytes_per_task = None;
        for _ in 0..iters {
            tasks += match case {
                FanOutCase::Flat { tasks } => flat::<T>(tasks).await?,
                FanOutCase::Tree { branching, depth } => tree::<T>(branching, depth).await?,
                FanOutCase::Parked { tasks } => {
                    let (n, per_task) = parked::<T>(tasks).await?;
                    bytes_per_task = bytes_per_task.or(per_task);
                    n
                }
            };
        }
        Ok(Sample {
            elapsed: start.elapsed(),
            work: Work {
                ops: iters,
                tasks,
                ..Work::default()
            },
            hist: None,
            bytes_per_task,
            timer_slack_ns: None,
        })
    }

    crate::send_body!();
}

impl FanOutCase {
    /// The default cases: flat 1,000 and 100,000; a 10-ary tree of depth 5
    /// (111,111 tasks); 10,000 parked.
    pub fn matrix() -> Vec<FanOutCase> {
        vec![
            FanOutCase::Flat { tasks: 1_000 },
            FanOutCase::Flat { tasks: 100_000 },
            FanOutCase::Tree {
                branching: 10,
                depth: 5,
            },
            FanOutCase::Parked { tasks: 10_000 },
        ]
    }

    pub fn label(&self) -> String {
        match *self {
            FanOutCase::Flat { tasks } => format!("spawn-{tasks}"),
            FanOutCase::Tree { branching, depth } => format!("tree-{branching}x{depth}"),
            FanOutCase::Parked { tasks } => format!("parked-{tasks}"),
        }
    }

    /// Tasks spawned by one iteration.
    pub fn tasks(&self) -> u64 {
        match *self {
            FanOutCase::Flat { tasks } | FanOutCase::Parked { tasks } => tasks,
            FanOutCase::Tree { branching, depth } => (0..=depth).map(|d| branching.pow(d)).sum(),
        }
    }
}

/// The small computation each task does: cheap, but not foldable away,
/// since its sum is checked.
#[inline]
pub fn work(i: u64) -> u64 {
    (i ^ 0x9e37_79b9_7f4a_7c15)
        .wrapping_mul(0xbf58_476d_1ce4_e5b9)
        .rotate_left(17)
}

fn expected_sum(n: u64) -> u64 {
    (0..n).fold(0u64, |a, i| a.wrapping_add(work(i)))
}

static LIVE_BYTES: OnceLock<fn() -> u64> = OnceLock::new();

/// Registers the bench binary's counting allocator (live heap bytes), used
/// by the `parked` case. Without it, bytes per task is not measured.
pub fn set_live_bytes_probe(probe: fn() -> u64) {
    let _ = LIVE_BYTES.set(probe);
}

async fn flat<T: Tasks>(n: u64) -> Result<u64, String> {
    let handles: Vec<_> = (0..n).map(|i| T::spawn(async move { work(i) })).collect();
    let mut sum = 0u64;
    for h in handles {
        sum = sum.wrapping_add(h.await);
    }
    let want = expected_sum(n);
    if sum != want {
        return Err(format!("fan-out of {n}: sum {sum}, expected {want}"));
    }
    Ok(n)
}

struct TreeState {
    left: Countdown,
    sum: AtomicU64,
}

/// One tree node: spawns its children (detached) and counts itself done.
/// Boxed because the future spawns its own type; no `.await` inside, so it
/// is `Send` whatever the spawner's handles are.
fn node<T: Tasks>(
    level: u32,
    branching: u64,
    depth: u32,
    state: Arc<TreeState>,
) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        if level < depth {
            for _ in 0..branching {
                drop(T::spawn(node::<T>(
                    level + 1,
                    branching,
                    depth,
                    state.clone(),
                )));
            }
        }
        state.sum.fetch_add(1, Ordering::Relaxed);
        state.left.done_one();
    })
}

async fn tree<T: Tasks>(branching: u64, depth: u32) -> Result<u64, String> {
    let total = FanOutCase::Tree { branching, depth }.tasks();
    let state = Arc::new(TreeState {
        left: Countdown::new(total),
        sum: AtomicU64::new(0),
    });
    drop(T::spawn(node::<T>(0, branching, depth, state.clone())));
    state.left.wait().await;
    let ran = state.sum.load(Ordering::Relaxed);
    if ran != total {
        return Err(format!("tree: {ran} tasks ran, expected {total}"));
    }
    Ok(total)
}

async fn parked<T: Tasks>(n: u64) -> Result<(u64, Option<f64>), String> {
    let gate = Arc::new(Gate::default());
    // Waited on, not polled in a yield loop: a self-waking root starves the
    // spawned tasks on tokio's multi-thread scheduler (its LIFO slot).
    let started = Arc::new(Countdown::new(n));
    let live = LIVE_BYTES.get().copied();
    let before = live.map(|f| f());
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let (gate, started) = (gate.clone(), started.clone());
            T::spawn(async move {
                started.done_one();
                gate.wait().await;
                work(i)
            })
        })
        .collect();
    started.wait().await;
    let per_task = match (live, before) {
        (Some(f), Some(b)) => Some((f().saturating_sub(b)) as f64 / n as f64),
        _ => None,
    };
    gate.open();
    let mut sum = 0u64;
    for h in handles {
        sum = sum.wrapping_add(h.await);
    }
    let want = expected_sum(n);
    if sum != want {
        return Err(format!("parked {n}: sum {sum}, expected {want}"));
    }
    Ok((n, per_task))
}
