//! The crates a run records the versions of.

/// A run records the versions of the crates its adapters name, the load
/// generator's and criterion's: with the default adapters compiled in (this
/// test's dev-dependency), at least the crates that actually run each one.
#[cfg(target_os = "linux")]
#[test]
fn a_run_records_the_crates_its_adapters_name() {
    let recorded = rtbench_harness::plan::versioned_crates();
    let missing: Vec<&str> = [
        "tokio",
        "smol",
        "async-std",
        "async-executor",
        "async-io",
        "glommio",
        "tokio-uring",
        "monoio",
        "compio",
        "compio-runtime",
        "compio-driver",
        "compio-executor",
        "async-global-executor",
        "criterion",
        "hdrhistogram",
        "mio",
    ]
    .iter()
    .copied()
    .filter(|c| !recorded.contains(c))
    .collect();
    assert!(missing.is_empty(), "not recorded: {missing:?}");
}
