//! Ranking with intervals: which rows cannot be told apart from the best
//! (their 95% intervals overlap), and whether the orderings a run calls
//! significant (intervals apart) reproduce in its two halves (fairness
//! rule 8: rankings group what cannot be told apart; the report measures
//! its own reproducibility).

use rtbench_format::stats::overlap;
use schemars::JsonSchema;
use serde::Serialize;
use std::cmp::Ordering;

/// One row's ranking figure, its 95% interval (`upper` may be infinite:
/// unbounded) and the figure from each half of its data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked {
    pub value: f64,
    /// `None`: the row has no interval, so it takes part in no tie (beyond
    /// an equal figure) and in no significant ordering.
    pub interval: Option<(f64, f64)>,
    pub halves: Option<[f64; 2]>,
}

impl Ranked {
    fn bounds(&self) -> (f64, f64) {
        self.interval.unwrap_or((self.value, self.value))
    }
}

/// Where a row stands: its rank group (1 = the best and every row that
/// cannot be told apart from it) and whether it is tied with the best.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Place {
    pub group: Option<u32>,
    pub tied_with_best: bool,
}

/// Groups rows best first: the best row left and every row whose interval
/// overlaps its interval form a group, then the same again with the rest.
/// Rows without a figure (`None`) have no place.
pub fn places(rows: &[Option<Ranked>]) -> Vec<Place> {
    let mut order: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].is_some()).collect();
    let value = |i: usize| rows[i].map_or(f64::NEG_INFINITY, |r| r.value);
    order.sort_by(|&a, &b| value(b).total_cmp(&value(a)).then(a.cmp(&b)));
    let mut out = vec![Place::default(); rows.len()];
    let mut group = 0;
    let mut best = None;
    while let Some(&leader) = order.first() {
        group += 1;
        let lead = rows[leader].expect("ranked").bounds();
        best.get_or_insert(leader);
        order.retain(|&i| {
            let joins = i == leader || overlap(lead, rows[i].expect("ranked").bounds());
            if joins {
                out[i] = Place {
                    group: Some(group),
                    tied_with_best: group == 1 && Some(i) != best,
                };
            }
            !joins
        });
    }
    out
}

/// The split-half check of one table, or of many summed.
#[derive(Debug, Clone, Copy, Default, Serialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct SplitHalf {
    /// Pairs of rows whose 95% intervals do not overlap: the orderings
    /// the run calls significant.
    pub significant: u32,
    /// Of those, the pairs whose two rows both have halves (odd and even
    /// rounds; odd and even trials for open-loop capacity).
    pub with_halves: u32,
    /// Of those, the pairs both halves order the same way.
    pub agree: u32,
    /// `agree / with_halves`; `None` when no pair could be compared.
    pub share: Option<f64>,
}

/// The sum of two checks, its share recomputed.
impl std::ops::Add for SplitHalf {
    type Output = SplitHalf;

    fn add(self, o: SplitHalf) -> SplitHalf {
        SplitHalf::of(
            self.significant + o.significant,
            self.with_halves + o.with_halves,
            self.agree + o.agree,
        )
    }
}

impl SplitHalf {
    fn of(significant: u32, with_halves: u32, agree: u32) -> SplitHalf {
        SplitHalf {
            significant,
            with_halves,
            agree,
            share: (with_halves > 0).then(|| f64::from(agree) / f64::from(with_halves)),
        }
    }
}

/// The split-half check of one table's rows: every pair whose intervals are
/// apart, and whether its halves order it alike.
pub fn split_half(rows: &[Option<Ranked>]) -> SplitHalf {
    let with_ci: Vec<&Ranked> = rows
        .iter()
        .flatten()
        .filter(|r| r.interval.is_some())
        .collect();
    let (mut significant, mut with_halves, mut agree) = (0, 0, 0);
    for (i, a) in with_ci.iter().enumerate() {
        for b in &with_ci[i + 1..] {
            if overlap(a.bounds(), b.bounds()) {
                continue;
            }
            significant += 1;
            if let (Some(x), Some(y)) = (a.halves, b.halves) {
                with_halves += 1;
                let order = |k: usize| x[k].partial_cmp(&y[k]).unwrap_or(Ordering::Equal);
                agree += u32::from(order(0) == order(1));
            }
        }
    }
    SplitHalf::of(significant, with_halves, agree)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(value: f64, lo: f64, hi: f64, halves: Option<[f64; 2]>) -> Option<Ranked> {
        Some(Ranked {
            value,
            interval: Some((lo, hi)),
            halves,
        })
    }

    #[test]
    fn overlapping_rows_share_the_best_group() {
        let rows = [
            r(90.0, 85.0, 95.0, None),
            r(100.0, 94.0, 106.0, None),
            None,
            r(50.0, 48.0, 52.0, None),
            r(49.0, 47.0, 51.0, None),
            r(80.0, 75.0, 85.0, None),
            // Unbounded above (met at every rate tried): cannot be told apart.
            r(60.0, 55.0, f64::INFINITY, None),
        ];
        let p = places(&rows);
        let g: Vec<Option<u32>> = p.iter().map(|p| p.group).collect();
        assert_eq!(
            g,
            [Some(1), Some(1), None, Some(3), Some(3), Some(2), Some(1)]
        );
        let tied: Vec<bool> = p.iter().map(|p| p.tied_with_best).collect();
        assert_eq!(tied, [true, false, false, false, false, false, true]);
    }

    #[test]
    fn rows_without_an_interval_tie_only_when_equal() {
        let point = |v| {
            Some(Ranked {
                value: v,
                interval: None,
                halves: None,
            })
        };
        let p = places(&[point(10.0), point(10.0), point(9.0)]);
        assert_eq!(p[1].group, Some(1));
        assert!(p[1].tied_with_best);
        assert_eq!(p[2].group, Some(2));
        assert_eq!(split_half(&[point(10.0), point(1.0)]), SplitHalf::default());
    }

    #[test]
    fn halves_agree_or_disagree_on_significant_pairs() {
        let rows = [
            r(80.0, 78.0, 82.0, Some([80.0, 60.0])),
            r(60.0, 58.0, 62.0, Some([62.0, 70.0])),
            r(0.0, 0.0, 10.0, Some([0.0, 5.0])),
            // Apart from all, but without halves.
            r(200.0, 190.0, 210.0, None),
            // Overlaps the first: not significant.
            r(79.0, 77.0, 81.0, Some([1.0, 2.0])),
        ];
        let s = split_half(&rows);
        // Pairs apart: (0,1) (0,2) (0,3) (1,2) (1,3) (1,4) (2,3) (2,4) (3,4).
        assert_eq!((s.significant, s.with_halves, s.agree), (9, 5, 3));
        assert_eq!(s.share, Some(0.6));
        let sum = s + SplitHalf::of(1, 1, 1);
        assert_eq!((sum.with_halves, sum.agree), (6, 4));
        assert_eq!(SplitHalf::default().share, None);
    }
}
