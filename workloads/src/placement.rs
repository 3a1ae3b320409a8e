//! Where the server and the load generator run (fairness rule 3: named,
//! recorded, never mixed silently).

use rtbench_runtimes::sys;

/// CPU placement of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// First CPU of the runtime under test (servers, fan-out, timers).
    pub server_cpu: usize,
    /// CPU of the load generator (and of criterion's thread in echo).
    pub loadgen_cpu: usize,
}

impl Placement {
    /// `split`: server on the first allowed CPU, load generator on the next;
    /// `shared`: both on the first. Split falls back to shared on one CPU.
    pub fn new(shared: bool) -> Placement {
        let cpus = sys::allowed_cpus();
        let first = cpus.first().copied().unwrap_or(0);
        let second = if shared {
            first
        } else {
            cpus.get(1).copied().unwrap_or(first)
        };
        Placement {
            server_cpu: first,
            loadgen_cpu: second,
        }
    }

    /// From `RTBENCH_PLACEMENT` (`split`, the default, or `shared`).
    pub fn from_env() -> Result<Placement, String> {
        match std::env::var("RTBENCH_PLACEMENT").as_deref() {
            Err(_) | Ok("") | Ok("split") => Ok(Placement::new(false)),
            Ok("shared") => Ok(Placement::new(true)),
            Ok(other) => Err(format!(
                "RTBENCH_PLACEMENT={other:?} is not `split` or `shared`"
            )),
        }
    }

    /// The name results carry: `split` or `shared`.
    pub fn name(&self) -> &'static str {
        if self.server_cpu == self.loadgen_cpu {
            "shared"
        } else {
            "split"
        }
    }

    /// A one-line description for reports, e.g. `server cpu 0, load generator cpu 1`.
    pub fn describe(&self) -> String {
        format!(
            "{}: server cpu {}, load generator cpu {}",
            self.name(),
            self.server_cpu,
            self.loadgen_cpu
        )
    }
}
