//! What the distinguisher tests measure: how much larger a share of a
//! copy's canaries than of its real rows a leaker's rule drops, and a
//! logistic regression a leaker trains on one issuance (whose canaries it
//! knows) to find the canaries of another.

/// What a rule dropped from one copy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dropped {
    /// Canaries dropped, of `canaries`.
    pub canaries_dropped: usize,
    /// Canaries in the copy.
    pub canaries: usize,
    /// Real rows dropped, of `real`.
    pub real_dropped: usize,
    /// Real rows in the copy.
    pub real: usize,
}

impl Dropped {
    /// Counts the rows `removed` drops, `canary` telling which are canaries.
    pub fn count(removed: &[bool], canary: &[bool]) -> Dropped {
        let canaries = canary.iter().filter(|&&c| c).count();
        let pairs = || removed.iter().zip(canary);
        Dropped {
            canaries_dropped: pairs().filter(|(&r, &c)| r && c).count(),
            canaries,
            real_dropped: pairs().filter(|(&r, &c)| r && !c).count(),
            real: canary.len() - canaries,
        }
    }

    /// The share of canaries dropped.
    pub fn canary_share(&self) -> f64 {
        self.canaries_dropped as f64 / self.canaries as f64
    }

    /// The share of real rows dropped.
    pub fn real_share(&self) -> f64 {
        self.real_dropped as f64 / self.real as f64
    }

    /// The canaries' share over the real rows': 0 when no canary was
    /// dropped, infinite when only canaries were.
    pub fn ratio(&self) -> f64 {
        if self.canaries_dropped == 0 {
            0.0
        } else if self.real_dropped == 0 {
            f64::INFINITY
        } else {
            self.canary_share() / self.real_share()
        }
    }
}

/// Logistic regression by batch gradient descent on standardised features,
/// the classes weighted equally.
#[derive(Debug, Clone)]
pub struct Logistic {
    mean: Vec<f64>,
    scale: Vec<f64>,
    w: Vec<f64>,
    b: f64,
}

impl Logistic {
    /// Trains on rows `x` with labels `y` (`true`: a canary).
    pub fn train(x: &[&Vec<f64>], y: &[bool]) -> Logistic {
        let d = x[0].len();
        let n = x.len() as f64;
        let mean: Vec<f64> = (0..d)
            .map(|j| x.iter().map(|r| r[j]).sum::<f64>() / n)
            .collect();
        let scale: Vec<f64> = (0..d)
            .map(|j| {
                let v = x.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n;
                if v > 1e-12 {
                    1.0 / v.sqrt()
                } else {
                    0.0
                }
            })
            .collect();
        let z: Vec<Vec<f64>> = x
            .iter()
            .map(|r| (0..d).map(|j| (r[j] - mean[j]) * scale[j]).collect())
            .collect();
        let pos = y.iter().filter(|&&v| v).count().max(1) as f64;
        let neg = (y.len() as f64 - pos).max(1.0);
        let (wp, wn) = (0.5 / pos, 0.5 / neg);
        let (mut w, mut b) = (vec![0.0; d], 0.0);
        for _ in 0..300 {
            let mut gw = vec![0.0; d];
            let mut gb = 0.0;
            for (zi, &yi) in z.iter().zip(y) {
                let s: f64 = b + zi.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>();
                let p = 1.0 / (1.0 + (-s).exp());
                let e = (p - f64::from(u8::from(yi))) * if yi { wp } else { wn };
                gb += e;
                for j in 0..d {
                    gw[j] += e * zi[j];
                }
            }
            for j in 0..d {
                w[j] -= 2.0 * (gw[j] + 1e-4 * w[j]);
            }
            b -= 2.0 * gb;
        }
        Logistic { mean, scale, w, b }
    }

    /// Trained as a leaker would: on half the rows of another issuance
    /// (drawn with `seed`), whose canaries it knows. Prints the weights.
    #[allow(clippy::print_stdout)]
    pub fn train_on_half(features: &[Vec<f64>], canary: &[bool], seed: u64) -> Logistic {
        use rand::seq::SliceRandom;
        use rand::SeedableRng;
        let mut idx: Vec<usize> = (0..features.len()).collect();
        idx.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
        idx.truncate(features.len() / 2);
        let x: Vec<&Vec<f64>> = idx.iter().map(|&i| &features[i]).collect();
        let y: Vec<bool> = idx.iter().map(|&i| canary[i]).collect();
        let model = Logistic::train(&x, &y);
        println!(
            "classifier weights (standardised features): {:.2?}",
            model.weights()
        );
        model
    }

    /// The weight of each feature, standardised.
    pub fn weights(&self) -> &[f64] {
        &self.w
    }

    /// The score of a row: higher is more like a canary.
    pub fn score(&self, x: &[f64]) -> f64 {
        self.b
            + x.iter()
                .enumerate()
                .map(|(j, v)| (v - self.mean[j]) * self.scale[j] * self.w[j])
                .sum::<f64>()
    }
}
