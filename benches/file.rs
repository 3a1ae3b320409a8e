//! File I/O: random 4 KiB reads at queue depth 1 and 32, `O_DIRECT` and from
//! the page cache, and sequential 128 KiB writes with `fdatasync` every
//! 1 MiB, each runtime through its own file API on one core, beside std
//! threads, a raw io_uring loop and fio (the device's ceiling). Not a
//! measure of other file systems or devices than the test file's.

use criterion::SamplingMode;
use rtbench_format::{Description, Flavor, TimerClass, Workload};
use rtbench_harness::{External, Settings, Spec, bench, external};
use rtbench_workloads::file::floors::{Floor, FloorBench, fio};
use rtbench_workloads::file::{FileCase, TestFile, file_runtimes};
use std::cell::OnceCell;
use std::path::PathBuf;

fn spec(runtime: &str, case: FileCase) -> Spec {
    Spec {
        workload: Workload::File,
        runtime: runtime.to_string(),
        case: case.label(),
        params: [
            ("queue_depth".to_string(), case.depth() as f64),
            ("bytes".to_string(), case.bytes_per_op() as f64),
        ]
        .into(),
        op: case.op(),
        ops_per_iter: case.ops_per_iter(),
        latency_kind: Some("latency"),
        topology: None,
    }
}

/// Where the test file lives: the target folder, kept between runs.
fn file_dir() -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    target.join("rtbench-files")
}

fn main() {
    let settings = Settings::from_env(Workload::File);
    let mut c = settings.criterion();
    let mut group = c.benchmark_group("file");
    group.sampling_mode(SamplingMode::Flat);
    // 1 GiB (a small one under --test), made on first use only.
    let bytes: u64 = if settings.test_mode {
        16 << 20
    } else {
        1 << 30
    };
    let test_file: OnceCell<Result<TestFile, String>> = OnceCell::new();
    let test = || {
        test_file
            .get_or_init(|| {
                TestFile::prepare(&file_dir(), bytes)
                    .map_err(|e| format!("cannot make the test file: {e}"))
            })
            .clone()
    };
    // fio's run per case and round: long enough for its percentiles.
    let fio_seconds = match (settings.test_mode, settings.run_mode) {
        (true, _) => 0.1,
        (false, rtbench_format::RunMode::Quick) => 0.25,
        _ => 1.0,
    };
    for case in FileCase::matrix() {
        for (name, make) in file_runtimes() {
            bench(&mut group, &settings, spec(name, case), || {
                make(case, &settings.config, &test()?)
            });
        }
        for floor in Floor::ALL {
            bench(&mut group, &settings, spec(floor.name(), case), || {
                FloorBench::new(floor, case, &test()?)
            });
        }
        external(&settings, spec("fio", case), || {
            let test = test()?;
            test.ready_for(case)?;
            let run = fio(case, &test, fio_seconds)?;
            Ok(External {
                ns_per_op: 1e9 / run.iops,
                ops: run.ios,
                latency: Some(run.latency),
                cpu_ns_per_op: Some(run.cpu_ns_per_op),
                description: Description {
                    name: "fio".into(),
                    flavor: Flavor::Reference,
                    workers: case.depth(),
                    timer_class: TimerClass::Os,
                    driver: "io_uring (fio --ioengine=io_uring)".into(),
                    knobs: [("command".to_string(), run.command)].into(),
                    notes: vec!["no runtime: fio, the device's ceiling".into()],
                },
                extra: Default::default(),
            })
        });
    }
    group.finish();
    rtbench_harness::finish(&mut c);
}
