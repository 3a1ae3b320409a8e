//! The few statistics every figure's interval comes from, in one place so
//! that the benches and the renderer compute them alike. Written here
//! because they are a dozen lines each: the order-statistic ranks of a
//! percentile (Lancet) and Student's t for a handful of rounds.

/// 1-based ranks of the 95% confidence interval of the `p` quantile of `n`
/// independent samples (Lancet, USENIX ATC 2019): from ⌊np − 1.96√(np(1−p))⌋
/// to ⌈np + 1.96√(np(1−p))⌉ + 1, the lower clamped to 1; the upper is `None`
/// when it is past `n` (too few samples to bound the percentile from above).
pub fn rank_interval(n: u64, p: f64) -> (u64, Option<u64>) {
    let np = n as f64 * p;
    let half = 1.96 * (np * (1.0 - p)).sqrt();
    let lo = ((np - half).floor().max(1.0)) as u64;
    let hi = (np + half).ceil() as u64 + 1;
    (lo.min(n.max(1)), (hi <= n).then_some(hi))
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom.
pub fn t975(df: u64) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => T[df as usize - 1],
        _ => 1.96,
    }
}

/// Mean of `xs` with its 95% Student-t interval `(mean, lower, upper)`;
/// `None` for fewer than two values. For figures repeated across rounds or
/// trials, where the between-repetition variance is the noise that matters.
pub fn mean_interval(xs: &[f64]) -> Option<(f64, f64, f64)> {
    let n = xs.len();
    if n < 2 {
        return None;
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = t975(n as u64 - 1) * (var / n as f64).sqrt();
    Some((mean, mean - half, mean + half))
}

/// The median (the lower middle value for an even count); `None` if empty.
pub fn median(xs: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
    v.sort_by(f64::total_cmp);
    v.get(v.len().saturating_sub(1) / 2).copied()
}

/// The capacity one half of an open-loop search's trials gives on its own,
/// from each step's `(offered rate, the half met the target, the step fell
/// behind)`: the highest rate the half met below the lowest rate that fell
/// behind. Misses that are not behind do not cap it: with one or two trials
/// a half has no interval to tell a chance miss (one stall) from a sure one,
/// and a rule that stopped at its first miss made the halves of one run
/// disagree on 23 of 38 orderings.
pub fn half_capacity(steps: &[(f64, bool, bool)]) -> Option<f64> {
    let behind = steps
        .iter()
        .filter(|s| s.2)
        .map(|s| s.0)
        .fold(f64::INFINITY, f64::min);
    let met = steps
        .iter()
        .filter(|s| s.1 && s.0 < behind)
        .map(|s| s.0)
        .fold(0.0, f64::max);
    (met > 0.0).then_some(met)
}

/// Whether two intervals `(lower, upper)` overlap: their figures cannot be
/// told apart at 95% (a conservative test, as criterion's change verdict is).
pub fn overlap(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_follow_the_formula_and_clamp() {
        // n = 10,000, p = 0.99: np = 9900, 1.96·√99 = 19.50.
        assert_eq!(rank_interval(10_000, 0.99), (9880, Some(9921)));
        // Too few samples for an upper bound of p99.
        assert_eq!(rank_interval(100, 0.99), (97, None));
        assert_eq!(rank_interval(0, 0.5), (1, None));
        assert_eq!(rank_interval(3, 0.5).0, 1);
    }

    #[test]
    fn t_interval_matches_a_hand_computation() {
        let (m, lo, hi) = mean_interval(&[9.0, 10.0, 11.0]).unwrap();
        assert_eq!(m, 10.0);
        // s = 1, n = 3: half = 4.303 / √3.
        assert!((hi - m - 4.303 / 3f64.sqrt()).abs() < 1e-9 && (m - lo - (hi - m)).abs() < 1e-9);
        assert!(mean_interval(&[1.0]).is_none());
        assert_eq!(median(&[3.0, 1.0, 2.0, 4.0]), Some(2.0));
        assert!(overlap((1.0, 2.0), (2.0, 3.0)) && !overlap((1.0, 2.0), (2.1, 3.0)));
        let steps = [
            (10.0, true, false),
            (25.0, false, false),
            (50.0, true, false),
        ];
        assert_eq!(
            half_capacity(&steps),
            Some(50.0),
            "a miss below a meet does not cap"
        );
        let steps = [
            (10.0, true, false),
            (25.0, false, true),
            (50.0, true, false),
        ];
        assert_eq!(half_capacity(&steps), Some(10.0), "falling behind does");
        assert_eq!(half_capacity(&[(10.0, false, false)]), None);
    }
}
