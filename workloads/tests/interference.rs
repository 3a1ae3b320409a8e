//! The interference meters against the real scheduler: a thread kept off its
//! CPU by a real-time spinner shows the run delay, and the probe and the
//! sampler of other tasks run.

use rtbench_runtimes::sys;
use rtbench_workloads::interference::{Meter, Others, cpu_probe};
use std::sync::{Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

/// The tests pin threads to the same CPU: one at a time, or one's probe
/// would be the other's interference.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Run delay of this process's threads while a thread pinned to `cpu` does
/// 200 ms of CPU work, with a `SCHED_FIFO` thread spinning 150 ms on the same
/// CPU if `spinner`. `Err` when the spinner could not become real-time.
fn busy_run_delay(cpu: usize, spinner: bool) -> Result<u64, String> {
    let meter = Meter::new(Some(std::process::id()));
    let (started_tx, started_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    let (exit_tx, exit_rx) = mpsc::channel::<()>();
    let snapshot = meter.start();
    let busy = thread::spawn(move || {
        sys::pin_to_cpu(cpu);
        let start = sys::thread_cpu_time();
        started_tx.send(()).unwrap();
        // CPU time, not wall time: the same work however busy the machine is.
        while sys::thread_cpu_time() - start < Duration::from_millis(200) {}
        done_tx.send(()).unwrap();
        // Still alive when the meter finishes (threads gone are dropped).
        let _ = exit_rx.recv();
    });
    started_rx.recv().unwrap();
    let spin = spinner.then(|| {
        thread::spawn(move || -> Result<(), String> {
            sys::pin_to_cpu(cpu);
            sys::set_fifo(10).map_err(|e| format!("sched_setscheduler(SCHED_FIFO): {e}"))?;
            let t = Instant::now();
            while t.elapsed() < Duration::from_millis(150) {}
            Ok(())
        })
    });
    done_rx.recv().unwrap();
    let measured = meter.finish(&snapshot);
    exit_tx.send(()).unwrap();
    busy.join().unwrap();
    if let Some(s) = spin {
        s.join().unwrap()?;
    }
    measured
        .server_run_delay_ns
        .ok_or_else(|| "the run delay was unreadable".to_string())
}

#[test]
fn run_delay_is_recorded() {
    let _serial = serial();
    let cpu = sys::allowed_cpus()[0];
    let alone = busy_run_delay(cpu, false).expect("no spinner");
    let with = match busy_run_delay(cpu, true) {
        Ok(d) => d,
        Err(why) => {
            println!("skipped the assertion: {why}");
            return;
        }
    };
    println!(
        "run delay alone {} ms, with the spinner {} ms",
        alone / 1_000_000,
        with / 1_000_000
    );
    // Compared, never absolute: a busy machine delays both.
    assert!(
        with >= alone + 75_000_000,
        "run delay with a 150 ms real-time spinner on the same CPU: {with} ns, alone: {alone} ns"
    );
}

#[test]
fn cpu_probe_reports_one_probe_per_cpu() {
    let _serial = serial();
    let cpu = sys::allowed_cpus()[0];
    let run_start = Instant::now();
    let probes = cpu_probe(&[cpu], Duration::from_millis(50), "start", run_start);
    assert_eq!(probes.len(), 1);
    let p = &probes[0];
    assert_eq!((p.cpu, p.when.as_str()), (cpu, "start"));
    assert!(p.duration_secs >= 0.05 && p.at_secs >= 0.0, "{p:?}");
    assert!(p.lost_ns as f64 <= p.duration_secs * 1e9, "{p:?}");
    assert!(p.gaps.len() as u32 >= p.gaps_over_1ms, "{p:?}");
}

#[test]
fn others_are_sampled_and_sorted() {
    let _serial = serial();
    let mut others = Others::new(&sys::allowed_cpus(), &[]);
    others.sample();
    thread::sleep(Duration::from_millis(50));
    others.sample();
    let top = others.top(10);
    assert!(top.len() <= 10);
    assert!(
        top.windows(2).all(|w| w[0].cpu_ns >= w[1].cpu_ns),
        "{top:?}"
    );
    assert!(
        top.iter()
            .all(|t| t.pid != std::process::id() && t.cpu_ns > 0),
        "{top:?}"
    );
    println!("{top:?}");
}
