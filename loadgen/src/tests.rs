//! The load generator's unit tests.

use super::{Part, payload};

#[test]
fn parts_split_connections_evenly_and_never_empty() {
    let firsts = |c, k| -> Vec<(usize, usize)> {
        Part::split(c, k)
            .iter()
            .map(|p| (p.first, p.count))
            .collect()
    };
    assert_eq!(firsts(5, 2), [(0, 3), (3, 2)]);
    assert_eq!(firsts(1, 4), [(0, 1)]);
    assert_eq!(firsts(4, 1), [(0, 4)]);
    assert!(Part::split(7, 3).iter().all(|p| p.total == 7));
}

#[test]
fn payloads_differ_per_connection() {
    assert_ne!(payload(0, 64), payload(1, 64));
    assert_eq!(payload(3, 13), payload(3, 13));
    assert_eq!(payload(2, 13)[..], payload(2, 16)[..13]);
}
