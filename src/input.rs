//! Input at the edge: every flag's accepted range and form, checked by clap
//! as the command line is parsed (one line naming the flag, exit 2), and
//! the addresses the commands take.

use anyhow::Context;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

/// The longest duration a flag accepts. Far beyond any real run, and far
/// from where adding it to a clock overflows.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);
/// The highest `--rate` of `rtbench load`, round trips/s. One generator
/// thread makes at least one `write` and one `recvmsg` per round trip, a
/// few µs on this machine; past 10 M/s it could only fall behind, and a
/// schedule that dense is not worth counting out.
pub const MAX_RATE: f64 = 1e7;
/// The most connections `rtbench load` opens: ten times the widest case of
/// the benches, and well within one host's ephemeral ports.
pub const MAX_CONNECTIONS: usize = 10_000;
/// The largest message of `rtbench load`, bytes.
pub const MAX_MSG_BYTES: usize = 1 << 20;
/// The most payload bytes `rtbench load` holds over all its connections
/// (each keeps a message and its expected echo).
pub const MAX_PAYLOAD_BYTES: usize = 256 << 20;

/// An error in what the user asked for, found after parsing (two flags that
/// do not go together): `main` prints it as one line and exits 2, as clap
/// does for a single flag.
#[derive(Debug)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// A variable that stands in for a flag, parsed as the flag is: unset or
/// empty is `None`; a bad value is an error naming the variable.
pub fn var<T>(name: &str, parse: impl Fn(&str) -> Result<T, String>) -> Result<Option<T>, Usage> {
    match std::env::var(name) {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(Usage(format!("{name} is not UTF-8"))),
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => parse(&v)
            .map(Some)
            .map_err(|e| Usage(format!("{name}={v:?}: {e}"))),
    }
}

/// A whole number in `lo..=hi`, as a clap value parser.
pub fn count(
    lo: usize,
    hi: usize,
) -> impl Fn(&str) -> Result<usize, String> + Clone + Send + Sync + 'static {
    move |s: &str| match s.trim().parse::<usize>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a whole number, at least {lo} and at most {hi}"
        )),
    }
}

/// A seed: a whole number from 0 to 2^64-1.
pub fn seed(s: &str) -> Result<u64, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("expected a whole number from 0 to {}", u64::MAX))
}

/// A duration from 0 to [`MAX_DURATION`]: a bare number of seconds (`3`,
/// `2.5`, as wrk reads it) or a humantime form (`500ms`, `1m 30s`).
pub fn duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let form = "a duration such as 3 (seconds), 2.5, 500ms or 1m";
    let d = match s.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 => {
            if secs > MAX_DURATION.as_secs_f64() {
                return Err(too_long());
            }
            Duration::from_secs_f64(secs)
        }
        Ok(_) => return Err(format!("expected {form}")),
        Err(_) => match humantime::parse_duration(s) {
            Ok(d) => d,
            Err(humantime::DurationError::NumberOverflow) => return Err(too_long()),
            Err(_) => return Err(format!("expected {form}")),
        },
    };
    if d > MAX_DURATION {
        return Err(too_long());
    }
    Ok(d)
}

fn too_long() -> String {
    format!(
        "at most {} ({} s)",
        humantime::format_duration(MAX_DURATION),
        MAX_DURATION.as_secs()
    )
}

/// [`duration`], longer than zero.
pub fn positive_duration(s: &str) -> Result<Duration, String> {
    match duration(s)? {
        d if d.is_zero() => Err(format!(
            "must be longer than zero (up to {})",
            humantime::format_duration(MAX_DURATION)
        )),
        d => Ok(d),
    }
}

/// An offered rate in round trips/s: above 0, at most [`MAX_RATE`].
pub fn rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 && r <= MAX_RATE => Ok(r),
        Ok(r) if r > MAX_RATE => Err(format!(
            "at most {MAX_RATE:.0} round trips/s: one generator thread cannot schedule more"
        )),
        _ => Err(format!(
            "expected a positive number of round trips/s, at most {MAX_RATE:.0}"
        )),
    }
}

/// A rate as a person reads it: whole above 100, else with its decimals
/// (`0.5`, `12.25`), never `0` for a rate that is not.
pub fn rate_text(r: f64) -> String {
    if r >= 100.0 {
        format!("{r:.0}")
    } else {
        let s = format!("{r:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// `host:port` as given to `--addr`: the first address it resolves to.
/// "not a host:port address" for what has no port; "cannot resolve HOST"
/// with the resolver's reason for a host name that does not resolve.
pub fn resolve(addr: &str) -> anyhow::Result<SocketAddr> {
    if let Ok(a) = addr.parse::<SocketAddr>() {
        return Ok(a);
    }
    let Some((host, port)) = addr.rsplit_once(':') else {
        anyhow::bail!(Usage(format!("--addr {addr:?} is not a host:port address")));
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || port.parse::<u16>().is_err() {
        anyhow::bail!(Usage(format!("--addr {addr:?} is not a host:port address")));
    }
    let mut found = addr
        .to_socket_addrs()
        .with_context(|| format!("--addr {addr:?}: cannot resolve {host}"))?;
    found
        .next()
        .with_context(|| format!("--addr {addr:?}: cannot resolve {host}: no address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_bare_numbers_as_seconds() {
        assert_eq!(duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(duration("2.5"), Ok(Duration::from_millis(2500)));
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("1m 30s"), Ok(Duration::from_secs(90)));
        assert_eq!(duration("0"), Ok(Duration::ZERO));
        assert_eq!(duration("1d"), Ok(MAX_DURATION));
        for bad in [
            "",
            "-1",
            "abc",
            "3 parsecs",
            "inf",
            "NaN",
            "1e300",
            "86401",
            "2d",
        ] {
            assert!(duration(bad).is_err(), "{bad}");
        }
        assert!(duration("99999999999999999999999s").is_err());
        assert!(positive_duration("0").is_err());
        assert!(positive_duration("0s").is_err());
        assert_eq!(positive_duration("1"), Ok(Duration::from_secs(1)));
    }

    #[test]
    fn rates_and_counts_have_ranges() {
        assert_eq!(rate("0.5"), Ok(0.5));
        assert_eq!(rate("1e7"), Ok(1e7));
        for bad in ["0", "-1", "1e10", "1e30", "inf", "NaN", "x"] {
            assert!(rate(bad).is_err(), "{bad}");
        }
        let c = count(1, 10);
        assert_eq!(c("10"), Ok(10));
        assert!(c("0").is_err() && c("11").is_err() && c("-1").is_err());
        assert!(c("618475290480").is_err());
        assert_eq!(rate_text(0.5), "0.5");
        assert_eq!(rate_text(12.25), "12.25");
        assert_eq!(rate_text(20000.4), "20000");
    }

    #[test]
    fn addresses_say_what_is_wrong() {
        assert_eq!(
            resolve("127.0.0.1:7000").unwrap(),
            "127.0.0.1:7000".parse().unwrap()
        );
        assert!(resolve("localhost:7000").unwrap().ip().is_loopback());
        for bad in ["127.0.0.1", "localhost", ":7000", "host:port", "host:70000"] {
            let e = resolve(bad).unwrap_err().to_string();
            assert!(e.contains("not a host:port address"), "{bad}: {e}");
        }
        let e = format!("{:#}", resolve("no-such-host.invalid:7000").unwrap_err());
        assert!(e.contains("cannot resolve no-such-host.invalid"), "{e}");
    }
}
