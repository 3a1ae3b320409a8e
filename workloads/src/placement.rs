//! Where the server and the load generator run (fairness rule 3: named,
//! recorded, never mixed silently), and the topology name that follows.

use rtbench_runtimes::sys;

/// CPU placement of one bench process: the server's CPU set and the load
/// generator's, computed together so that the name can never claim a
/// separation that did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// CPUs of the runtime under test (servers, fan-out, timers), in order.
    server_cpus: Vec<usize>,
    /// CPUs of the load generator's threads, one each (the first is also
    /// criterion's thread in echo); never empty.
    loadgen_cpus: Vec<usize>,
}

impl Placement {
    /// The server gets the first `server_cores` CPUs of `allowed`. The load
    /// generator gets the next allowed CPU when one is left (or, with
    /// `shared`, the server's first CPU); when none is left it takes the
    /// server's last CPU, and the placement is then named `shared`.
    pub fn new(allowed: &[usize], server_cores: usize, shared: bool) -> Result<Placement, String> {
        Placement::with_generator(allowed, server_cores, 1, shared)
    }

    /// [`Placement::new`] with a load generator of `threads` threads, each on
    /// a CPU of its own: the allowed CPUs after the server's first; when
    /// fewer are left (or with `shared`), the server's, last first, and the
    /// placement is then named `shared`. More threads than allowed CPUs is an
    /// error: two generator threads on one CPU would measure each other.
    pub fn with_generator(
        allowed: &[usize],
        server_cores: usize,
        threads: usize,
        shared: bool,
    ) -> Result<Placement, String> {
        if allowed.is_empty() {
            return Err("no CPU is allowed to this process".into());
        }
        if server_cores == 0 || server_cores > allowed.len() {
            return Err(format!(
                "{server_cores} server cores asked for, but this process may use {} CPU(s) ({})",
                allowed.len(),
                cpu_list(allowed)
            ));
        }
        if threads == 0 || threads > allowed.len() {
            return Err(format!(
                "{threads} load generator threads asked for, but this process may use {} CPU(s) ({})",
                allowed.len(),
                cpu_list(allowed)
            ));
        }
        let server_cpus = allowed[..server_cores].to_vec();
        let (free, server_order): (&[usize], Vec<usize>) = if shared {
            (&[], server_cpus.clone())
        } else {
            (
                &allowed[server_cores..],
                server_cpus.iter().rev().copied().collect(),
            )
        };
        let loadgen_cpus: Vec<usize> = free
            .iter()
            .copied()
            .chain(server_order)
            .take(threads)
            .collect();
        Ok(Placement {
            server_cpus,
            loadgen_cpus,
        })
    }

    /// [`Placement::new`] over the CPUs the calling thread may use (call it
    /// before pinning anything).
    pub fn here(server_cores: usize, shared: bool) -> Result<Placement, String> {
        Placement::new(&sys::allowed_cpus(), server_cores, shared)
    }

    /// From `RTBENCH_PLACEMENT` (`split`, the default, or `shared`).
    /// `split` asks for the load generator on a CPU of its own, which it
    /// gets only when one is left after `server_cores` (`RTBENCH_SERVER_CORES`).
    pub fn from_env(server_cores: usize) -> Result<Placement, String> {
        Placement::from_env_with(server_cores, 1)
    }

    /// [`Placement::from_env`] with a load generator of `threads` threads.
    pub fn from_env_with(server_cores: usize, threads: usize) -> Result<Placement, String> {
        let shared = match std::env::var("RTBENCH_PLACEMENT").as_deref() {
            Err(_) | Ok("") | Ok("split") => false,
            Ok("shared") => true,
            Ok(other) => {
                return Err(format!(
                    "RTBENCH_PLACEMENT={other:?} is not `split` or `shared`"
                ));
            }
        };
        let allowed = sys::allowed_cpus();
        // The variable to blame: the server's cores when they do not fit,
        // else the generator's threads (only `work` reads them from the
        // environment), the two checks `with_generator` makes in order.
        let var = if (1..=allowed.len()).contains(&server_cores) {
            format!("RTBENCH_GENERATOR_THREADS={threads}")
        } else {
            format!("RTBENCH_SERVER_CORES={server_cores}")
        };
        Placement::with_generator(&allowed, server_cores, threads, shared)
            .map_err(|e| format!("{var}: {e}"))
    }

    /// The default split of `allowed` CPUs for a workload that wants the
    /// server on as many cores as it can (`work`): on 2 CPUs or fewer, all
    /// of them, the generator sharing one; above that, a quarter (at least
    /// one) for the generator's threads and the rest for the server.
    pub fn widest(allowed: usize) -> (usize, usize) {
        if allowed <= 2 {
            (allowed.max(1), 1)
        } else {
            let generator = (allowed / 4).max(1);
            (allowed - generator, generator)
        }
    }

    /// The server's CPUs, in order (never empty).
    pub fn server_cpus(&self) -> &[usize] {
        &self.server_cpus
    }

    pub fn server_cores(&self) -> usize {
        self.server_cpus.len()
    }

    /// The load generator's (first) CPU.
    pub fn loadgen_cpu(&self) -> usize {
        self.loadgen_cpus[0]
    }

    /// One CPU per load generator thread.
    pub fn loadgen_cpus(&self) -> &[usize] {
        &self.loadgen_cpus
    }

    /// The name results carry: `split` when the load generator's CPU is not
    /// one of the server's, else `shared`.
    pub fn name(&self) -> &'static str {
        if self
            .loadgen_cpus
            .iter()
            .any(|c| self.server_cpus.contains(c))
        {
            "shared"
        } else {
            "split"
        }
    }

    /// A one-line description for reports, e.g.
    /// `split: server cpu 0, load generator cpu 1` or
    /// `shared: server cpus 0-1, load generator cpu 1`; with several
    /// generator threads, `split: server cpus 0-1, load generator cpus 2-3
    /// (2 threads)`.
    pub fn describe(&self) -> String {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let threads = self.loadgen_cpus.len();
        format!(
            "{}: server cpu{} {}, load generator cpu{} {}{}",
            self.name(),
            plural(self.server_cpus.len()),
            cpu_list(&self.server_cpus),
            plural(threads),
            cpu_list(&self.loadgen_cpus),
            if threads > 1 {
                format!(" ({threads} threads)")
            } else {
                String::new()
            }
        )
    }

    /// The topology of a server on these CPUs (see [`topology`]).
    pub fn topology(&self) -> String {
        topology(self.server_cores())
    }
}

/// The topology name of a server on `cores` CPUs: `1 core` or `N cores`,
/// whatever its flavor (a column of its own), so that thread-per-core,
/// work-stealing and the `std-threads` floor on the same CPUs share a table.
pub fn topology(cores: usize) -> String {
    if cores == 1 {
        "1 core".into()
    } else {
        format!("{cores} cores")
    }
}

/// `0-3,6,8-9`: runs of consecutive CPUs as ranges.
fn cpu_list(cpus: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < cpus.len() {
        let mut j = i;
        while j + 1 < cpus.len() && cpus[j + 1] == cpus[j] + 1 {
            j += 1;
        }
        parts.push(if j > i {
            format!("{}-{}", cpus[i], cpus[j])
        } else {
            cpus[i].to_string()
        });
        i = j + 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_server_core_on_two_cpus_is_split() {
        let p = Placement::new(&[0, 1], 1, false).unwrap();
        assert_eq!((p.server_cpus(), p.loadgen_cpu()), (&[0][..], 1));
        assert_eq!(p.name(), "split");
        assert_eq!(p.describe(), "split: server cpu 0, load generator cpu 1");
    }

    /// The bug: two server cores on a 2-CPU machine covered the generator's
    /// CPU while every result said `split`.
    #[test]
    fn server_cores_over_the_generator_cpu_are_shared() {
        let p = Placement::new(&[0, 1], 2, false).unwrap();
        assert_eq!((p.server_cpus(), p.loadgen_cpu()), (&[0, 1][..], 1));
        assert_eq!(p.name(), "shared");
        assert_eq!(
            p.describe(),
            "shared: server cpus 0-1, load generator cpu 1"
        );
    }

    #[test]
    fn split_takes_the_next_allowed_cpu() {
        let p = Placement::new(&[2, 3, 5, 7], 2, false).unwrap();
        assert_eq!((p.server_cpus(), p.loadgen_cpu()), (&[2, 3][..], 5));
        assert_eq!(p.describe(), "split: server cpus 2-3, load generator cpu 5");
        let p = Placement::new(&[0, 2, 4], 2, false).unwrap();
        assert_eq!(p.describe(), "split: server cpus 0,2, load generator cpu 4");
    }

    #[test]
    fn shared_when_asked_or_on_one_cpu() {
        let p = Placement::new(&[0, 1, 2, 3], 2, true).unwrap();
        assert_eq!(p.loadgen_cpu(), 0);
        assert_eq!(p.name(), "shared");
        let p = Placement::new(&[4], 1, false).unwrap();
        assert_eq!(p.describe(), "shared: server cpu 4, load generator cpu 4");
    }

    #[test]
    fn more_cores_than_allowed_is_an_error() {
        assert!(Placement::new(&[0, 1], 3, false).is_err());
        assert!(Placement::new(&[0, 1], 0, false).is_err());
        assert!(Placement::new(&[], 1, false).is_err());
    }

    #[test]
    fn generator_threads_take_free_cpus_then_name_the_overlap() {
        let p = Placement::with_generator(&[0, 1, 2, 3], 2, 2, false).unwrap();
        assert_eq!(p.loadgen_cpus(), &[2, 3]);
        assert_eq!(
            p.describe(),
            "split: server cpus 0-1, load generator cpus 2-3 (2 threads)"
        );
        // One CPU left for two threads: the second takes the server's last.
        let p = Placement::with_generator(&[0, 1, 2], 2, 2, false).unwrap();
        assert_eq!(p.loadgen_cpus(), &[2, 1]);
        assert_eq!(p.name(), "shared");
        // This machine: K = 2 on 2 CPUs is shared, and says so.
        let p = Placement::with_generator(&[0, 1], 2, 2, false).unwrap();
        assert_eq!(p.loadgen_cpus(), &[1, 0]);
        assert_eq!(
            p.describe(),
            "shared: server cpus 0-1, load generator cpus 1,0 (2 threads)"
        );
        let p = Placement::with_generator(&[0, 1, 2, 3], 2, 1, true).unwrap();
        assert_eq!((p.loadgen_cpus(), p.name()), (&[0][..], "shared"));
        // Two generator threads on one CPU would measure each other.
        assert!(Placement::with_generator(&[0, 1], 2, 3, false).is_err());
        assert!(Placement::with_generator(&[0, 1], 1, 0, false).is_err());
    }

    #[test]
    fn the_widest_split_leaves_the_generator_a_quarter() {
        assert_eq!(Placement::widest(1), (1, 1));
        assert_eq!(Placement::widest(2), (2, 1));
        assert_eq!(Placement::widest(4), (3, 1));
        assert_eq!(Placement::widest(16), (12, 4));
    }

    #[test]
    fn every_flavor_on_n_cores_has_one_topology_name() {
        assert_eq!(topology(1), "1 core");
        assert_eq!(topology(2), "2 cores");
        let p = Placement::new(&[0, 1], 2, false).unwrap();
        assert_eq!(p.topology(), "2 cores");
    }
}
