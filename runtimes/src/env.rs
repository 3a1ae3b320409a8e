//! The environment every result carries (`rtbench env`).

use crate::sys;
pub use rtbench_format::Environment;

/// rustc that built this crate, captured by the build script.
pub const RUSTC_VERSION: &str = env!("RTBENCH_RUSTC_VERSION");

/// Reads the machine's environment now.
pub fn probe() -> Environment {
    Environment {
        kernel: kernel(),
        cpu_model: cpu_model(),
        cores: sys::online_cpus(),
        memlock_bytes: sys::memlock_limit(),
        io_uring: match sys::io_uring_available() {
            Ok(()) => "available".into(),
            Err(why) => format!("unavailable: {why}"),
        },
        rustc: RUSTC_VERSION.to_string(),
        timer_slack_ns: std::thread::spawn(|| sys::timer_slack().map(|d| d.as_nanos() as u64))
            .join()
            .ok()
            .flatten(),
    }
}

fn kernel() -> String {
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return "unknown".into();
    }
    let field = |f: &[libc::c_char]| {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    format!(
        "{} {} {}",
        field(&u.sysname),
        field(&u.release),
        field(&u.machine)
    )
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name") || l.starts_with("Model"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}
