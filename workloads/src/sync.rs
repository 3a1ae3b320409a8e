//! Runtime-independent waiting primitives, so every runtime is measured with
//! the same ones.

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Poll, Waker};

/// A one-shot broadcast: tasks wait until it opens.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    open: AtomicBool,
    waiters: Mutex<Vec<Waker>>,
}

impl Gate {
    pub(crate) fn open(&self) {
        self.open.store(true, Ordering::Release);
        let waiters = std::mem::take(&mut *self.waiters.lock().unwrap());
        for w in waiters {
            w.wake();
        }
    }

    pub(crate) fn wait(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            if self.open.load(Ordering::Acquire) {
                return Poll::Ready(());
            }
            let mut waiters = self.waiters.lock().unwrap();
            if self.open.load(Ordering::Acquire) {
                return Poll::Ready(());
            }
            waiters.push(cx.waker().clone());
            Poll::Pending
        })
    }
}

/// Counts down to zero; one task waits for zero.
#[derive(Debug)]
pub(crate) struct Countdown {
    left: AtomicU64,
    waiter: Mutex<Option<Waker>>,
}

impl Countdown {
    pub(crate) fn new(n: u64) -> Self {
        Countdown {
            left: AtomicU64::new(n),
            waiter: Mutex::new(None),
        }
    }

    pub(crate) fn done_one(&self) {
        if self.left.fetch_sub(1, Ordering::AcqRel) == 1
            && let Some(w) = self.waiter.lock().unwrap().take()
        {
            w.wake();
        }
    }

    pub(crate) fn left(&self) -> u64 {
        self.left.load(Ordering::Acquire)
    }

    pub(crate) fn wait(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            if self.left() == 0 {
                return Poll::Ready(());
            }
            *self.waiter.lock().unwrap() = Some(cx.waker().clone());
            if self.left() == 0 {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }
}
