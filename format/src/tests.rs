//! The format's tests: round trips of every file, names, versions.

use super::*;
use std::fs;
use std::path::Path;
use std::time::SystemTime;

/// A float read back from JSON is the float written: a run's processes
/// share the work calibration and reference rates through these files,
/// so every runtime must read the same value (serde_json's
/// `float_roundtrip`; its default parse can be one ulp off).
#[test]
fn floats_read_back_exactly() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..100_000 {
        // xorshift: many mantissas, at the magnitudes a calibration has.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let v = (x >> 11) as f64 / (1u64 << 53) as f64 * 1e3;
        let back: f64 = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
        assert_eq!(back.to_bits(), v.to_bits(), "{v}");
    }
}

/// Every name reads and writes as its string, in JSON and by `parse`;
/// a string outside the set is refused.
#[test]
fn names_are_their_strings() {
    fn check<T>(all: &[T])
    where
        T: Copy + PartialEq + std::fmt::Debug + std::fmt::Display + Serialize,
        T: for<'de> Deserialize<'de> + std::str::FromStr<Err = String>,
    {
        for &v in all {
            let name = v.to_string();
            assert_eq!(serde_json::to_value(v).unwrap(), name.as_str());
            assert_eq!(
                serde_json::from_value::<T>(name.as_str().into()).unwrap(),
                v
            );
            assert_eq!(name.parse::<T>(), Ok(v));
        }
        assert!("lost".parse::<T>().is_err());
        assert!(serde_json::from_value::<T>("lost".into()).is_err());
    }
    check(Status::ALL);
    check(Flavor::ALL);
    check(TimerClass::ALL);
    check(RunMode::ALL);
}

#[test]
fn bench_file_names_are_flat_and_distinct() {
    assert_eq!(
        bench_file_name("echo/tokio-mt/64B-16c"),
        "echo__tokio-mt__64B-16c.json"
    );
    assert_ne!(bench_file_name("a/b c"), bench_file_name("a/b/c"));
    let id = "echo/tokio-mt/64B-16c";
    assert_eq!(bench_file_name_in_round(id, 1), bench_file_name(id));
    assert_eq!(bench_file_name_in_round(id, 0), bench_file_name(id));
    assert_eq!(
        bench_file_name_in_round(id, 3),
        "echo__tokio-mt__64B-16c.r3.json"
    );
}

#[test]
fn rounds_are_written_apart_and_read_together() {
    let dir = std::env::temp_dir().join(format!("rtbench-rounds-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let run = RunDir { path: dir.clone() };
    let mut r: BenchResult = serde_json::from_value(serde_json::json!({
        "schema_version": 1, "id": "fan_out/smol/spawn-1000", "workload": "fan_out",
        "case": "spawn-1000", "runtime": "smol", "topology": "1 core", "placement": "split",
        "description": {"name": "smol", "flavor": "work-stealing", "workers": 1,
            "timer_class": "fine", "driver": "epoll", "knobs": {}, "notes": []},
        "params": {}, "op": "task", "ops_per_iter": 1000.0, "status": "ok", "error": null,
        "estimate": null, "latency": null, "ops_checked": 0,
        "server_cpu_ns_per_op": null, "extra": {}
    }))
    .unwrap();
    assert_eq!(r.round, 1, "a file without a round is round 1");
    run.write_bench(&r).unwrap();
    r.round = 2;
    r.status = Status::Hung;
    run.write_bench(&r).unwrap();
    assert!(
        run.bench_dir()
            .join("fan_out__smol__spawn-1000.json")
            .is_file()
    );
    assert!(
        run.bench_dir()
            .join("fan_out__smol__spawn-1000.r2.json")
            .is_file()
    );
    let (read, bad) = run.read_benches();
    assert!(bad.is_empty(), "{bad:?}");
    let rounds: Vec<(u32, Status)> = read.iter().map(|b| (b.round, b.status)).collect();
    assert_eq!(rounds, [(1, Status::Ok), (2, Status::Hung)]);
    let meta: RunMeta = serde_json::from_value(serde_json::json!({
        "schema_version": 1, "run_id": "x", "started_at": "", "mode": "quick",
        "placement": "split", "env": Environment::default(), "git_commit": null,
        "crate_versions": {}, "runtimes": []
    }))
    .unwrap();
    assert_eq!((meta.rounds, meta.seed, meta.orders.len()), (0, None, 0));
    fs::remove_dir_all(&dir).unwrap();
}

/// Against the workspace's own Cargo.lock: the generator's mio is named
/// apart (the lock holds two), and the crates that run compio and
/// async-std are there.
#[test]
fn lock_versions_say_what_ran() {
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    let names = [
        "mio",
        "compio-runtime",
        "compio-driver",
        "async-global-executor",
    ];
    let v = crate_versions(&lock, &names).unwrap();
    let text = fs::read_to_string(&lock).unwrap();
    let generator = text
        .split("[[package]]")
        .find(|p| p.contains("name = \"rtbench-loadgen\""))
        .unwrap();
    let gen_mio = &v[LOADGEN_MIO];
    assert!(!gen_mio.contains(','), "one version: {gen_mio}");
    assert!(v["mio"].split(", ").any(|m| m == gen_mio), "{v:?}");
    if v["mio"].contains(',') {
        assert!(generator.contains(&format!("\"mio {gen_mio}\"")), "{v:?}");
    }
    for name in ["compio-runtime", "compio-driver", "async-global-executor"] {
        assert!(v.contains_key(name), "{name} missing from {v:?}");
    }
}

/// Also in a lock from before the generator had its own crate, when it was
/// part of `rtbench-workloads`.
#[test]
fn loadgen_mio_without_a_version_in_its_dependency_line() {
    let dir = std::env::temp_dir().join(format!("rtbench-lock-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let lock = dir.join("Cargo.lock");
    for generator in ["rtbench-loadgen", "rtbench-workloads"] {
        fs::write(
            &lock,
            format!(
                "[[package]]\nname = \"mio\"\nversion = \"1.0.1\"\n\n\
                 [[package]]\nname = \"{generator}\"\nversion = \"0.1.0\"\n\
                 dependencies = [\"mio\"]\n"
            ),
        )
        .unwrap();
        let v = crate_versions(&lock, &["mio"]).unwrap();
        assert_eq!(v[LOADGEN_MIO], "1.0.1", "{generator}");
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn read_json_names_the_file_and_the_problem() {
    let dir = std::env::temp_dir().join(format!("rtbench-format-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.json");
    fs::write(&empty, "").unwrap();
    let e = read_json::<RunMeta>(&empty).unwrap_err();
    assert!(e.to_string().contains("empty.json") && e.to_string().contains("empty"));
    let corrupt = dir.join("corrupt.json");
    fs::write(&corrupt, "{\"schema_version\": 1, ").unwrap();
    assert!(
        read_json::<RunMeta>(&corrupt)
            .unwrap_err()
            .message
            .contains("not valid JSON")
    );
    let newer = dir.join("newer.json");
    fs::write(&newer, "{\"schema_version\": 99}").unwrap();
    assert!(
        read_json::<RunMeta>(&newer)
            .unwrap_err()
            .message
            .contains("newer")
    );
    let missing = dir.join("missing.json");
    assert!(
        read_json::<RunMeta>(&missing)
            .unwrap_err()
            .to_string()
            .contains("missing.json")
    );
    fs::remove_dir_all(&dir).unwrap();
}

/// Run ids start with the UTC time, as humantime's RFC 3339 without separators.
#[test]
fn run_stamps_are_utc_civil_time() {
    for (secs, stamp) in [
        (0, "19700101T000000"),
        (951_782_400, "20000229T000000"),
        (1_764_934_300, "20251205T113140"),
        (4_102_444_799, "20991231T235959"),
    ] {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        assert_eq!(run_stamp(t), stamp);
    }
}

/// Two runs created at once (the same second) get two folders.
#[test]
fn new_run_folders_never_collide() {
    let root = tempfile::tempdir().unwrap();
    let a = RunDir::create_new(root.path(), "load").unwrap();
    let b = RunDir::create_new(root.path(), "load").unwrap();
    assert_ne!(a.path, b.path);
    assert!(a.path.is_dir() && b.path.is_dir());
}

#[test]
fn slo_labels_read_like_a_target() {
    let l = |quantile, max_ns| slo_label(&Slo { quantile, max_ns });
    assert_eq!(l(0.99, 1_000_000), "p99 ≤ 1 ms");
    assert_eq!(l(0.999, 250_000), "p99.9 ≤ 250 µs");
    assert_eq!(l(0.5, 2_500_000), "p50 ≤ 2.5 ms");
}
