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

use std::collections::BTreeMap;

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
        }
    }
}

/// How many positions were read with each exact `(threshold, y)`. Ordered,
/// so that sums run in one order and the same leak gives the same digits.
#[derive(Clone, Debug, Default)]
pub(crate) struct Histogram {
    counts: BTreeMap<(u16, bool), u64>,
}

impl Histogram {
    #[inline]
    pub(crate) fn add(&mut self, threshold: u16, y: bool) {
        *self.counts.entry((threshold, y)).or_insert(0) += 1;
    }

    /// `Σ_i log E[exp(λ U_i)]` for an innocent recipient.
    fn log_mgf(&self, kind: ScoreKind, lambda: f64) -> f64 {
        self.counts
            .iter()
            .map(|(&(t, y), &n)| {
                let p = f64::from(t) / 65536.0;
                let (a, b) = kind.terms(p, y);
                let x = p.ln() + lambda * a;
                let z = (1.0 - p).ln() + lambda * b;
                let m = x.max(z);
                n as f64 * (m + ((x - m).exp() + (z - m).exp()).ln())
            })
            .sum()
    }
}

/// Natural-log Chernoff bounds for one score kind and one histogram.
pub(crate) struct Bounder<'h> {
    hist: &'h Histogram,
    kind: ScoreKind,
    grid: Vec<(f64, f64)>,
}

const GRID: usize = 48;

impl<'h> Bounder<'h> {
    pub(crate) fn new(hist: &'h Histogram, kind: ScoreKind) -> Self {
        // λ from 1e-3 to ~30, log-spaced.
        let grid = (0..GRID)
            .map(|k| {
                let lambda = 10f64.powf(-3.0 + 4.5 * k as f64 / (GRID - 1) as f64);
                (lambda, hist.log_mgf(kind, lambda))
            })
            .collect();
        Bounder { hist, kind, grid }
    }

    /// `ln P(S ≥ s)` upper bound for an innocent recipient (≤ 0).
    pub(crate) fn ln_bound(&self, s: f64) -> f64 {
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
        if on_grid > -2.0 {
            return on_grid.min(0.0);
        }
        let lo = if best == 0 {
            0.0
        } else {
            self.grid[best - 1].0
        };
        let hi = if best + 1 == GRID {
            self.grid[best].0 * 4.0
        } else {
            self.grid[best + 1].0
        };
        let g = |l: f64| self.hist.log_mgf(self.kind, l) - l * s;
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
        assert_eq!(b.ln_bound(-3.0), 0.0);
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
        let ln = b.ln_bound(s);
        let q: f64 = 0.5 + s / 800.0;
        let kl = q * (2.0 * q).ln() + (1.0 - q) * (2.0 * (1.0 - q)).ln();
        assert!((ln + 400.0 * kl).abs() < 1e-3, "{ln} vs {}", -400.0 * kl);
    }
}
