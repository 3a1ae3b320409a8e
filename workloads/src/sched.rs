//! Scheduler and sync: the executor's own paths, the same bodies on every
//! runtime. A ping-pong over a pair of channels, many tasks yielding, a
//! chain of spawns, a ring of tasks passing a token, and tasks that hold an
//! async mutex across an await (beside the same work with the guard dropped
//! first). The channels are `async-channel`'s and the mutex `async-lock`'s
//! on every runtime, so only the executor differs; the yield is each
//! runtime's own where it has one (tokio's, async-std's, kimojio's), else
//! futures-lite's, and its description names it (knob `yield`).

pub mod cores;

use crate::{Sample, Tasks, Work};
use async_channel::{Receiver, Sender, bounded};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

/// One case of the scheduler family. Every case runs on one core, in one
/// task spawned on the runtime, as the other in-runtime workloads do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchedCase {
    /// Two tasks pass a number back and forth `round_trips` times through a
    /// pair of one-slot channels; an operation is one hop.
    PingPong { round_trips: u64 },
    /// `tasks` tasks each yield `yields` times; an operation is one yield.
    YieldMany { tasks: u64, yields: u64 },
    /// Each task spawns the next, `depth` in all; the last one signals. An
    /// operation is one spawn.
    ChainedSpawn { depth: u64 },
    /// `tasks` tasks in a ring pass a token `laps` times around, adding one
    /// at each hop; an operation is one hop.
    Ring { tasks: u64, laps: u64 },
    /// `tasks` tasks each lock one async mutex `rounds` times and add one to
    /// the number it guards; `held`: across a yield (read, yield, write),
    /// else the guard is dropped before the yield. An operation is one lock.
    Mutex { tasks: u64, rounds: u64, held: bool },
}

impl SchedCase {
    /// The default cases (about a millisecond an iteration on one core).
    pub fn matrix() -> Vec<SchedCase> {
        vec![
            SchedCase::PingPong { round_trips: 1_000 },
            SchedCase::YieldMany {
                tasks: 200,
                yields: 100,
            },
            SchedCase::ChainedSpawn { depth: 1_000 },
            SchedCase::Ring {
                tasks: 100,
                laps: 10,
            },
            SchedCase::Mutex {
                tasks: 100,
                rounds: 10,
                held: true,
            },
            SchedCase::Mutex {
                tasks: 100,
                rounds: 10,
                held: false,
            },
        ]
    }

    pub fn label(&self) -> String {
        match *self {
            SchedCase::PingPong { round_trips } => format!("ping-pong-{round_trips}"),
            SchedCase::YieldMany { tasks, yields } => format!("yield-{tasks}x{yields}"),
            SchedCase::ChainedSpawn { depth } => format!("chained-spawn-{depth}"),
            SchedCase::Ring { tasks, laps } => format!("ring-{tasks}x{laps}"),
            SchedCase::Mutex {
                tasks,
                rounds,
                held,
            } => format!(
                "mutex-{}-{tasks}x{rounds}",
                if held { "held" } else { "dropped" }
            ),
        }
    }

    /// What one operation is, for the report's "time per ...".
    pub fn op(&self) -> &'static str {
        match self {
            SchedCase::PingPong { .. } | SchedCase::Ring { .. } => "hop",
            SchedCase::YieldMany { .. } => "yield",
            SchedCase::ChainedSpawn { .. } => "spawn",
            SchedCase::Mutex { .. } => "lock",
        }
    }

    /// Operations of one iteration.
    pub fn ops(&self) -> u64 {
        match *self {
            SchedCase::PingPong { round_trips } => 2 * round_trips,
            SchedCase::YieldMany { tasks, yields } => tasks * yields,
            SchedCase::ChainedSpawn { depth } => depth,
            SchedCase::Ring { tasks, laps } => tasks * laps,
            SchedCase::Mutex { tasks, rounds, .. } => tasks * rounds,
        }
    }

    /// Tasks spawned by one iteration.
    pub fn tasks(&self) -> u64 {
        match *self {
            SchedCase::PingPong { .. } => 1,
            SchedCase::YieldMany { tasks, .. }
            | SchedCase::Ring { tasks, .. }
            | SchedCase::Mutex { tasks, .. } => tasks,
            SchedCase::ChainedSpawn { depth } => depth,
        }
    }
}

impl crate::Case for SchedCase {
    fn per_iter(&self) -> Work {
        Work {
            ops: self.ops(),
            tasks: self.tasks(),
            ..Work::default()
        }
    }

    fn label(&self) -> String {
        SchedCase::label(self)
    }

    /// `iters` runs of the case, timed inside the runtime; each counts the
    /// operations it saw done and checked.
    async fn body<T: Tasks>(self, iters: u64) -> Result<Sample, String> {
        let start = Instant::now();
        let mut work = Work::default();
        for _ in 0..iters {
            let (ops, tasks) = match self {
                SchedCase::PingPong { round_trips } => ping_pong::<T>(round_trips).await?,
                SchedCase::YieldMany { tasks, yields } => yield_many::<T>(tasks, yields).await?,
                SchedCase::ChainedSpawn { depth } => chained_spawn::<T>(depth).await?,
                SchedCase::Ring { tasks, laps } => ring::<T>(tasks, laps).await?,
                SchedCase::Mutex {
                    tasks,
                    rounds,
                    held,
                } => mutex::<T>(tasks, rounds, held).await?,
            };
            work.ops += ops;
            work.tasks += tasks;
        }
        Ok(Sample {
            elapsed: start.elapsed(),
            work,
            hist: None,
            bytes_per_task: None,
            timer_slack_ns: None,
        })
    }

    crate::send_body!();
}

/// Operations done and checked, and tasks spawned.
type Done = Result<(u64, u64), String>;

fn ended(what: &str) -> String {
    format!("{what}: a task ended early")
}

async fn ping_pong<T: Tasks>(round_trips: u64) -> Done {
    let (to_pong, pong_rx) = bounded::<u64>(1);
    let (to_ping, ping_rx) = bounded::<u64>(1);
    let pong = T::spawn(async move {
        let mut seen = 0u64;
        while let Ok(v) = pong_rx.recv().await {
            if to_ping.send(v + 1).await.is_err() {
                break;
            }
            seen += 1;
        }
        seen
    });
    let mut hops = 0;
    for i in 0..round_trips {
        to_pong.send(i).await.map_err(|_| ended("ping-pong"))?;
        let back = ping_rx.recv().await.map_err(|_| ended("ping-pong"))?;
        if back != i + 1 {
            return Err(format!("ping-pong: sent {i}, got back {back}"));
        }
        hops += 2;
    }
    drop(to_pong);
    let seen = pong.await;
    if seen != round_trips {
        return Err(format!(
            "ping-pong: the other task answered {seen} of {round_trips}"
        ));
    }
    Ok((hops, 1))
}

async fn yield_many<T: Tasks>(tasks: u64, yields: u64) -> Done {
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            T::spawn(async move {
                let mut done = 0u64;
                for _ in 0..yields {
                    T::yield_now().await;
                    done += 1;
                }
                done
            })
        })
        .collect();
    let mut sum = 0;
    for h in handles {
        sum += h.await;
    }
    if sum != tasks * yields {
        return Err(format!("yield: {sum} yields, expected {}", tasks * yields));
    }
    Ok((sum, tasks))
}

/// One link of a chain: spawns the next (detached) until `left` is 0, when
/// it sends how many links ran. Boxed because it spawns its own type.
fn link<T: Tasks>(
    left: u64,
    ran: u64,
    done: Sender<u64>,
) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        if left == 0 {
            let _ = done.send(ran).await;
        } else {
            drop(T::spawn(link::<T>(left - 1, ran + 1, done)));
        }
    })
}

async fn chained_spawn<T: Tasks>(depth: u64) -> Done {
    if depth == 0 {
        return Ok((0, 0));
    }
    let (done, reached) = bounded(1);
    drop(T::spawn(link::<T>(depth - 1, 1, done)));
    let ran = reached.recv().await.map_err(|_| ended("chained spawn"))?;
    if ran != depth {
        return Err(format!("chained spawn: {ran} links ran, expected {depth}"));
    }
    Ok((ran, ran))
}

async fn ring<T: Tasks>(tasks: u64, laps: u64) -> Done {
    let total = tasks * laps;
    let channels: Vec<(Sender<u64>, Receiver<u64>)> = (0..tasks).map(|_| bounded(1)).collect();
    let (finish, finished) = bounded::<u64>(1);
    let handles: Vec<_> = (0..tasks as usize)
        .map(|i| {
            let rx = channels[i].1.clone();
            let next = channels[(i + 1) % tasks as usize].0.clone();
            let finish = finish.clone();
            T::spawn(async move {
                while let Ok(token) = rx.recv().await {
                    // The token counts the hops made so far, this one included.
                    let token = token + 1;
                    let sent = if token == total {
                        finish.send(token).await
                    } else {
                        next.send(token).await
                    };
                    if sent.is_err() {
                        break;
                    }
                }
            })
        })
        .collect();
    channels[0].0.send(0).await.map_err(|_| ended("ring"))?;
    let token = finished.recv().await.map_err(|_| ended("ring"))?;
    // Every task waits on its channel: closing them ends the ring.
    for (tx, _) in &channels {
        tx.close();
    }
    for h in handles {
        h.await;
    }
    if token != total {
        return Err(format!(
            "ring: the token made {token} hops, expected {total}"
        ));
    }
    Ok((token, tasks))
}

async fn mutex<T: Tasks>(tasks: u64, rounds: u64, held: bool) -> Done {
    let counter = Arc::new(async_lock::Mutex::new(0u64));
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let counter = counter.clone();
            T::spawn(async move {
                for _ in 0..rounds {
                    if held {
                        // Read, yield with the guard held, write: only the
                        // lock keeps another task's write out.
                        let mut guard = counter.lock().await;
                        let v = *guard;
                        T::yield_now().await;
                        *guard = v + 1;
                    } else {
                        *counter.lock().await += 1;
                        T::yield_now().await;
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.await;
    }
    let total = *counter.lock().await;
    if total != tasks * rounds {
        return Err(format!(
            "mutex: {total} increments, expected {}",
            tasks * rounds
        ));
    }
    Ok((total, tasks))
}
