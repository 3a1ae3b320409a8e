//! Fan-out: time per task to spawn and join many tasks (flat and as a tree),
//! and live heap bytes per parked task, on each runtime's one core.
//! Not a measure of the work inside tasks: each does a few arithmetic ops.

use rtbench_format::Workload;
use rtbench_harness::{Settings, Spec, bench};
use rtbench_workloads::fan_out::{self, FanOutCase};
use rtbench_workloads::in_runtimes;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts live heap bytes, for bytes per parked task.
struct Counting;

static LIVE: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as u64, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn spec(runtime: &str, case: FanOutCase) -> Spec {
    let mut params = std::collections::BTreeMap::new();
    params.insert("tasks".to_string(), case.tasks() as f64);
    if let FanOutCase::Tree { branching, depth } = case {
        params.insert("branching".to_string(), branching as f64);
        params.insert("depth".to_string(), depth as f64);
    }
    Spec {
        workload: Workload::FanOut,
        runtime: runtime.to_string(),
        case: case.label(),
        params,
        op: "task",
        ops_per_iter: case.tasks(),
        latency_kind: None,
        topology: None,
    }
}

fn main() {
    fan_out::set_live_bytes_probe(|| LIVE.load(Ordering::Relaxed));
    let settings = Settings::from_env(Workload::FanOut);
    let mut c = settings.criterion();
    let mut group = c.benchmark_group("fan_out");
    for case in FanOutCase::matrix() {
        for (name, make) in in_runtimes::<FanOutCase>() {
            bench(&mut group, &settings, spec(name, case), || {
                make(case, &settings.config)
            });
        }
    }
    group.finish();
    rtbench_harness::finish(&mut c);
}
