//! The false-accusation bound.
//!
//! Every score here is a sum over distinct positions of a term that, for a
//! recipient who did not leak, takes value `a` when their bit is 1 (probability
//! `p`, exactly known) and `b` when it is 0, independently across positions and
//! whatever the leakers did (their choice of `y` depends only on their own
//! copies). So for any `λ ≥ 0` (Chernoff):
//!
//! ```text
//! P(S ≥ s) ≤ exp(-λ s) · Π_i (p_i e^{λ a_i} + (1 - p_i) e^{λ b_i})
//! ```
//!
//! The product depends only on how many positions share each `(p, y)`, so it
//! is computed from a histogram. The minimum over `λ` is taken on a fixed grid
//! and refined by golden-section search: any `λ` gives a valid bound, so a
//! numerically imperfect minimum only makes the bound looser, never wrong.
//!
//! For small leaks a tighter bound is computed exactly: every term is rounded
//! *up* to a multiple of `δ` (so the rounded sum is at least the true one),
//! and the distribution of the rounded sum is computed by convolution. Its
//! tail at `s` bounds `P(S ≥ s)`. Chernoff overstates tails by a factor that
//! grows with the z-score (10 to 20 where accusations are decided), which this
//! recovers; past a few hundred positions Chernoff is already overwhelming and
//! the convolution would cost too much, so it is not computed. The smaller of
//! the two valid bounds is used.

/// Which score a term belongs to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ScoreKind {
    /// Škorić's symmetric Tardos score: mean 0 and variance 1 per position for
    /// an innocent recipient; collusion-resistant.
    Tardos,
    /// Log-likelihood ratio of "this recipient leaked, with edits at rate ε"
    /// against "this recipient is innocent": names a lone leaker from fewer
    /// rows.
    SingleLeaker { flip_rate: f64 },
    /// Log-likelihood ratio of "this recipient is one of `colluders` who,
    /// wherever their copies differ, publish the spelling fewest of them
    /// have" against innocence. Minority voting defeats the Tardos score
    /// with a bias cutoff (each colluder's expected term is about 0); it
    /// does not escape this one.
    Minority { colluders: u32 },
}

impl ScoreKind {
    /// The term `(a, b)` at a position of bias `p` that reads `y`.
    #[inline]
    pub(crate) fn terms(self, p: f64, y: bool) -> (f64, f64) {
        match self {
            ScoreKind::Tardos => {
                let up = ((1.0 - p) / p).sqrt();
                let down = (p / (1.0 - p)).sqrt();
                if y {
                    (up, -down)
                } else {
                    (-up, down)
                }
            }
            ScoreKind::SingleLeaker { flip_rate: e } => {
                if y {
                    (((1.0 - e) / p).ln(), (e / (1.0 - p)).ln())
                } else {
                    ((e / p).ln(), ((1.0 - e) / (1.0 - p)).ln())
                }
            }
            ScoreKind::Minority { colluders } => {
                // P(y | the recipient's bit), the other colluders' bits
                // independent with bias p; the terms are ln P(y | bit) −
                // ln P(y), so E[exp(term)] = 1 for an innocent recipient.
                let (y1_if_1, y1_if_0) = minority_ones(p, colluders);
                let y1 = p * y1_if_1 + (1.0 - p) * y1_if_0;
                let pick = |q: f64| if y { q } else { 1.0 - q };
                (
                    (pick(y1_if_1) / pick(y1)).ln(),
                    (pick(y1_if_0) / pick(y1)).ln(),
                )
            }
        }
    }
}

/// For a coalition of `c` that publishes the minority bit wherever its
/// copies differ (their common bit where they agree, a fair coin on a tie),
/// the chance that it publishes 1 given that one member's bit is 1, and
/// given that it is 0; the other `c − 1` bits have bias `p`.
fn minority_ones(p: f64, c: u32) -> (f64, f64) {
    let published_one = |ones: u32| -> f64 {
        if ones == 0 {
            0.0
        } else if ones == c || 2 * ones < c {
            // All agree on 1, or 1 is the minority.
            1.0
        } else if 2 * ones > c {
            0.0
        } else {
            0.5
        }
    };
    let (mut if_1, mut if_0) = (0.0, 0.0);
    let mut binom = 1.0f64;
    for k in 0..c {
        // binom = C(c − 1, k)
        let w = binom * p.powi(k as i32) * (1.0 - p).powi((c - 1 - k) as i32);
        if_1 += w * published_one(k + 1);
        if_0 += w * published_one(k);
        binom = binom * f64::from(c - 1 - k) / f64::from(k + 1);
    }
    (if_1, if_0)
}

#[cfg(test)]
mod minority_tests {
    use super::*;

    #[test]
    fn minority_terms_are_likelihood_ratios() {
        for c in [2, 3, 5] {
            for &p in &[0.15, 0.3, 0.5, 0.85] {
                for y in [false, true] {
                    let (a, b) = ScoreKind::Minority { colluders: c }.terms(p, y);
                    let e = p * a.exp() + (1.0 - p) * b.exp();
                    assert!((e - 1.0).abs() < 1e-12, "c={c} p={p} y={y}: {e}");
                }
            }
        }
        // Three colluders, p = 1/2: a member holding 1 is outvoted to 0
        // when both others hold 0, or ... published 1 iff exactly one of
        // the three holds 1 (minority) or all do.
        let (if_1, if_0) = minority_ones(0.5, 3);
        assert!((if_1 - 0.5).abs() < 1e-12, "{if_1}");
        assert!((if_0 - 0.5).abs() < 1e-12, "{if_0}");
    }
}

/// How many positions were read with each exact `(threshold, y)`: the
/// `(threshold, y)` read, in order, with their counts, so that sums run in
/// one order and the same leak gives the same digits. Sparse: a small leak
/// reads a few hundred of the 131,072 possible pairs.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Histogram {
    /// `(2·threshold + y, count)`, keys strictly increasing, counts > 0.
    counts: Vec<(u32, u64)>,
}

impl Histogram {
    #[cfg(test)]
    pub(crate) fn add(&mut self, threshold: u16, y: bool) {
        self.add_n(threshold, y, 1);
    }

    /// Counts `n` positions. Cheapest in key order.
    pub(crate) fn add_n(&mut self, threshold: u16, y: bool, n: u64) {
        if n == 0 {
            return;
        }
        let key = 2 * u32::from(threshold) + u32::from(y);
        if self.counts.last().is_none_or(|last| last.0 < key) {
            self.counts.push((key, n));
            return;
        }
        match self.counts.binary_search_by_key(&key, |e| e.0) {
            Ok(i) => self.counts[i].1 += n,
            Err(i) => self.counts.insert(i, (key, n)),
        }
    }

    /// Adds another histogram's counts.
    pub(crate) fn merge(&mut self, other: &Histogram) {
        if other.counts.is_empty() {
            return;
        }
        if self.counts.is_empty() {
            self.counts.clone_from(&other.counts);
            return;
        }
        let (x, y) = (&self.counts, &other.counts);
        let mut merged = Vec::with_capacity(x.len() + y.len());
        let (mut i, mut j) = (0, 0);
        while i < x.len() && j < y.len() {
            match x[i].0.cmp(&y[j].0) {
                std::cmp::Ordering::Less => {
                    merged.push(x[i]);
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    merged.push(y[j]);
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    merged.push((x[i].0, x[i].1 + y[j].1));
                    i += 1;
                    j += 1;
                }
            }
        }
        merged.extend_from_slice(&x[i..]);
        merged.extend_from_slice(&y[j..]);
        self.counts = merged;
    }

    /// The histogram of the same positions with every bit read flipped.
    pub(crate) fn complemented(&self) -> Histogram {
        let mut counts: Vec<(u32, u64)> = self.counts.iter().map(|&(k, n)| (k ^ 1, n)).collect();
        counts.sort_unstable_by_key(|e| e.0);
        Histogram { counts }
    }

    /// Each `(threshold, y)` read, in order, with its count.
    fn iter(&self) -> impl Iterator<Item = ((u16, bool), u64)> + '_ {
        self.counts
            .iter()
            .map(|&(k, n)| (((k >> 1) as u16, k & 1 == 1), n))
    }

    /// Distinct `(threshold, y)` pairs counted.
    pub(crate) fn distinct(&self) -> usize {
        self.counts.len()
    }

    /// Positions counted.
    fn total(&self) -> u64 {
        self.counts.iter().map(|e| e.1).sum()
    }

    /// Each `(threshold, y)` with what the moment generating function needs
    /// of it: `(ln p, ln(1 − p), a, b, count)`, the score being `a` when the
    /// bit is 1 and `b` when it is 0. Computed once per bound, not per λ.
    fn terms(&self, kind: ScoreKind) -> Vec<[f64; 5]> {
        self.iter()
            .map(|((t, y), n)| {
                let p = f64::from(t) / 65536.0;
                let (a, b) = kind.terms(p, y);
                [p.ln(), (1.0 - p).ln(), a, b, n as f64]
            })
            .collect()
    }
}

/// `Σ_i log E[exp(λ U_i)]` for an innocent recipient, over [`Histogram::terms`].
fn log_mgf(terms: &[[f64; 5]], lambda: f64) -> f64 {
    terms
        .iter()
        .map(|&[ln_p, ln_q, a, b, n]| {
            let x = ln_p + lambda * a;
            let z = ln_q + lambda * b;
            let m = x.max(z);
            // One of the two exponents is exp(0) = 1.
            n * (m + (-(x - z).abs()).exp().ln_1p())
        })
        .sum()
}

/// Natural-log Chernoff bounds for one score kind and one histogram.
pub(crate) struct Bounder {
    terms: Vec<[f64; 5]>,
    grid: Vec<(f64, f64)>,
    exact: Option<ExactTail>,
}

/// Largest leak (in distinct positions) whose tail is convolved exactly.
const EXACT_MAX_POSITIONS: u64 = 600;
/// Grid step for the exact tail, in score units.
const EXACT_DELTA: f64 = 0.01;

/// The exact distribution of the score with every term rounded up to a
/// multiple of [`EXACT_DELTA`].
struct ExactTail {
    /// Score (in steps) of `tail[0]`.
    lowest: i64,
    /// `tail[k] = P(rounded sum ≥ (lowest + k)·δ)`.
    tail: Vec<f64>,
}

impl ExactTail {
    fn new(hist: &Histogram, kind: ScoreKind) -> Option<ExactTail> {
        let n = hist.total();
        if n == 0 || n > EXACT_MAX_POSITIONS {
            return None;
        }
        let mut lowest = 0i64;
        let mut dist = vec![1.0f64];
        // The next distribution is built in `next`, then the two swap: no
        // allocation per position. `next[k] = dist[k]·p_lo +
        // dist[k − width]·p_hi`, each sum in that order.
        let mut next: Vec<f64> = Vec::new();
        for ((t, y), count) in hist.iter() {
            let p = f64::from(t) / 65536.0;
            let (a, b) = kind.terms(p, y);
            let (a, b) = (
                (a / EXACT_DELTA).ceil() as i64,
                (b / EXACT_DELTA).ceil() as i64,
            );
            let (lo, hi) = (a.min(b), a.max(b));
            let (p_lo, p_hi) = if a <= b { (p, 1.0 - p) } else { (1.0 - p, p) };
            let width = (hi - lo) as usize;
            for _ in 0..count {
                lowest += lo;
                if width == 0 {
                    // Both outcomes score the same: the distribution only
                    // shifts.
                    continue;
                }
                let len = dist.len();
                next.clear();
                next.resize(len + width, 0.0);
                let (head, tail) = next.split_at_mut(width);
                for (n, &m) in head.iter_mut().zip(&dist) {
                    *n = m * p_lo;
                }
                // tail[j] = next[width + j] = dist[width + j]·p_lo + dist[j]·p_hi,
                // where dist[width + j] exists.
                let both = len.saturating_sub(width);
                let (tail_both, tail_high) = tail.split_at_mut(both);
                for ((n, &m), &h) in tail_both
                    .iter_mut()
                    .zip(dist.get(width..).unwrap_or(&[]))
                    .zip(&dist)
                {
                    *n = m * p_lo + h * p_hi;
                }
                for (n, &h) in tail_high.iter_mut().zip(&dist[both..]) {
                    *n = h * p_hi;
                }
                std::mem::swap(&mut dist, &mut next);
            }
        }
        // Tail sums from the top, where the mass is smallest; allow for the
        // floating-point error of the convolution.
        let mut acc = 0.0f64;
        let mut tail = vec![0.0f64; dist.len()];
        for k in (0..dist.len()).rev() {
            acc += dist[k];
            tail[k] = (acc * (1.0 + 1e-9)).min(1.0);
        }
        Some(ExactTail { lowest, tail })
    }

    fn ln_bound(&self, s: f64) -> f64 {
        // P(S ≥ s) ≤ P(S_rounded ≥ s) = P(S_rounded ≥ ceil(s/δ)·δ).
        let step = (s / EXACT_DELTA).ceil() as i64;
        let k = step - self.lowest;
        if k <= 0 {
            return 0.0;
        }
        match self.tail.get(k as usize) {
            Some(&t) if t > 0.0 => t.ln(),
            Some(_) | None => f64::NEG_INFINITY,
        }
    }
}

pub(crate) const GRID: usize = 48;

/// A coarser grid, for scores that rarely decide: where one could, the
/// minimum is refined all the same.
pub(crate) const COARSE_GRID: usize = 16;

impl Bounder {
    #[cfg(test)]
    pub(crate) fn new(hist: &Histogram, kind: ScoreKind) -> Self {
        Self::with_grid(hist, kind, GRID)
    }

    /// A bounder whose first search over `λ` takes `points` values.
    pub(crate) fn with_grid(hist: &Histogram, kind: ScoreKind, points: usize) -> Self {
        // λ from 1e-3 to ~30, log-spaced.
        let terms = hist.terms(kind);
        let grid = (0..points)
            .map(|k| {
                let lambda = 10f64.powf(-3.0 + 4.5 * k as f64 / (points - 1) as f64);
                (lambda, log_mgf(&terms, lambda))
            })
            .collect();
        Bounder {
            terms,
            grid,
            exact: ExactTail::new(hist, kind),
        }
    }

    /// `ln P(S ≥ s)` upper bound for an innocent recipient (≤ 0): the
    /// smaller of the Chernoff bound and, for small leaks, the exact tail.
    #[cfg(test)]
    pub(crate) fn ln_bound(&self, s: f64) -> f64 {
        self.ln_bound_below(s, f64::INFINITY)
    }

    /// [`Bounder::ln_bound`], refining the minimum over `λ` only where the
    /// grid's bound is at most `worth`: elsewhere the grid's (a valid,
    /// looser bound) is returned. Refinement is most of a large leak's cost,
    /// and is not worth it for a score that cannot decide.
    pub(crate) fn ln_bound_below(&self, s: f64, worth: f64) -> f64 {
        let chernoff = self.chernoff(s, worth);
        match &self.exact {
            Some(exact) => chernoff.min(exact.ln_bound(s)),
            None => chernoff,
        }
    }

    fn chernoff(&self, s: f64, worth: f64) -> f64 {
        if s.is_nan() || s <= 0.0 {
            return 0.0;
        }
        let (best, _) = self
            .grid
            .iter()
            .enumerate()
            .map(|(k, &(l, f))| (k, f - l * s))
            .fold(
                (0, f64::INFINITY),
                |acc, x| if x.1 < acc.1 { x } else { acc },
            );
        let on_grid = self.grid[best].1 - self.grid[best].0 * s;
        // Refine only where it matters for a decision; the grid value is
        // already a valid bound.
        if on_grid > -2.0 || on_grid > worth {
            return on_grid.min(0.0);
        }
        let lo = if best == 0 {
            0.0
        } else {
            self.grid[best - 1].0
        };
        let hi = if best + 1 == self.grid.len() {
            self.grid[best].0 * 4.0
        } else {
            self.grid[best + 1].0
        };
        let g = |l: f64| log_mgf(&self.terms, l) - l * s;
        let phi = 0.5 * (5f64.sqrt() - 1.0);
        let (mut a, mut b) = (lo, hi);
        let mut c = b - phi * (b - a);
        let mut d = a + phi * (b - a);
        let (mut gc, mut gd) = (g(c), g(d));
        for _ in 0..40 {
            if gc < gd {
                b = d;
                d = c;
                gd = gc;
                c = b - phi * (b - a);
                gc = g(c);
            } else {
                a = c;
                c = d;
                gc = gd;
                d = a + phi * (b - a);
                gd = g(d);
            }
        }
        on_grid.min(gc).min(gd).min(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Counts added in any order, in one histogram or split in two and
        /// merged, come out in `(threshold, y)` order with their totals.
        #[test]
        fn histogram_counts_in_order_however_they_come(
            adds in proptest::collection::vec((0u16..8, proptest::bool::ANY, 0u64..4, proptest::bool::ANY), 0..60)
        ) {
            let mut expected = std::collections::BTreeMap::new();
            let (mut one, mut left, mut right) =
                (Histogram::default(), Histogram::default(), Histogram::default());
            for &(t, y, n, side) in &adds {
                if n > 0 {
                    *expected.entry((t, y)).or_insert(0u64) += n;
                }
                one.add_n(t, y, n);
                if side { left.add_n(t, y, n) } else { right.add_n(t, y, n) }
            }
            left.merge(&right);
            let expected: Vec<((u16, bool), u64)> = expected.into_iter().collect();
            proptest::prop_assert_eq!(one.iter().collect::<Vec<_>>(), expected.clone());
            proptest::prop_assert_eq!(left.iter().collect::<Vec<_>>(), expected);
        }
    }

    #[test]
    fn innocent_terms_have_mean_zero_and_unit_variance() {
        for &p in &[0.1, 0.3, 0.5, 0.9] {
            for y in [false, true] {
                let (a, b) = ScoreKind::Tardos.terms(p, y);
                assert!((p * a + (1.0 - p) * b).abs() < 1e-12);
                assert!((p * a * a + (1.0 - p) * b * b - 1.0).abs() < 1e-12);
                // The likelihood ratio has expectation one under innocence.
                let (a, b) = ScoreKind::SingleLeaker { flip_rate: 0.1 }.terms(p, y);
                assert!((p * a.exp() + (1.0 - p) * b.exp() - 1.0).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn bound_is_at_most_markov_for_the_likelihood_ratio() {
        // For the LLR, λ = 1 gives exactly exp(-s); the optimum is no worse.
        let mut h = Histogram::default();
        for t in [8000u16, 20000, 33000, 50000] {
            for _ in 0..25 {
                h.add(t, true);
                h.add(t, false);
            }
        }
        let b = Bounder::new(&h, ScoreKind::SingleLeaker { flip_rate: 0.1 });
        for s in [1.0, 5.0, 20.0, 60.0] {
            assert!(b.ln_bound(s) <= -s + 1e-9, "{s}");
        }
        assert!(b.ln_bound(-3.0) <= 0.0);
    }

    #[test]
    fn exact_tail_matches_the_binomial_and_beats_chernoff() {
        // 100 positions at p = 1/2: the Tardos score is 2·Binomial(100, 1/2) − 100.
        let mut h = Histogram::default();
        for _ in 0..100 {
            h.add(32768, true);
        }
        let b = Bounder::new(&h, ScoreKind::Tardos);
        let exact = b.exact.as_ref().expect("small leaks are convolved");
        // P(S ≥ 40) = P(Binomial ≥ 70).
        let mut tail = 0.0f64;
        for k in 70..=100u32 {
            let ln_c: f64 = (1..=100u32).map(|i| f64::from(i).ln()).sum::<f64>()
                - (1..=k).map(|i| f64::from(i).ln()).sum::<f64>()
                - (1..=100 - k).map(|i| f64::from(i).ln()).sum::<f64>();
            tail += (ln_c - 100.0 * 2f64.ln()).exp();
        }
        let got = exact.ln_bound(40.0).exp();
        assert!(got >= tail * (1.0 - 1e-9), "{got} < {tail}");
        assert!(got <= tail * 1.000_001, "{got} vs {tail}");
        assert!(
            b.ln_bound(40.0) < b.chernoff(40.0, f64::INFINITY) - 1.0,
            "exact should be tighter"
        );
        // A score below the mean tells nothing: the bound is near 1.
        assert!(b.ln_bound(-1.0) > -1.0);
    }

    #[test]
    fn exact_tail_is_an_upper_bound_under_rounding() {
        // Mixed biases: the rounded-up convolution never goes below a Monte
        // Carlo estimate of the true tail.
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut h = Histogram::default();
        let mut terms = Vec::new();
        for _ in 0..60 {
            let t: u16 = rng.gen_range(6554..58982);
            let y = rng.gen_bool(0.5);
            h.add(t, y);
            let p = f64::from(t) / 65536.0;
            let (a, b) = ScoreKind::Tardos.terms(p, y);
            terms.push((p, a, b));
        }
        let b = Bounder::new(&h, ScoreKind::Tardos);
        let s = 12.0;
        let trials = 200_000;
        let hits = (0..trials)
            .filter(|_| {
                terms
                    .iter()
                    .map(|&(p, a, b)| if rng.gen_bool(p) { a } else { b })
                    .sum::<f64>()
                    >= s
            })
            .count();
        let mc = hits as f64 / trials as f64;
        let bound = b.ln_bound(s).exp();
        assert!(
            bound >= mc - 4.0 * (mc / trials as f64).sqrt(),
            "{bound} < {mc}"
        );
        assert!(bound < 3.0 * mc + 1e-4, "{bound} far above {mc}");
    }

    #[test]
    fn tardos_bound_is_close_to_gaussian_for_balanced_biases() {
        let mut h = Histogram::default();
        for _ in 0..400 {
            h.add(32768, true);
        }
        let b = Bounder::new(&h, ScoreKind::Tardos);
        // With p = 1/2 terms are ±1: Chernoff gives exactly n·KL, about s²/2n.
        let s = 80.0;
        let ln = b.chernoff(s, f64::INFINITY);
        let q: f64 = 0.5 + s / 800.0;
        let kl = q * (2.0 * q).ln() + (1.0 - q) * (2.0 * (1.0 - q)).ln();
        assert!((ln + 400.0 * kl).abs() < 1e-3, "{ln} vs {}", -400.0 * kl);
    }
}
