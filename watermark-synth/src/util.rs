//! Platform-independent randomness, calendar arithmetic and uniqueness sets.
//!
//! Every draw goes through [`Rng`], which only asks `rand` for `u32` values
//! in a range: no `usize` sampling (whose algorithm depends on the pointer
//! width) and no floating point, so a seed gives the same rows everywhere.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use rand::{Rng as _, SeedableRng};
use rand_chacha::ChaCha8Rng;
pub(crate) use watermark_core::ids::{civil_from_days, days_from_civil};

/// Seeded ChaCha8 stream with the few draws the generators need.
#[derive(Debug, Clone)]
pub(crate) struct Rng(ChaCha8Rng);

impl Rng {
    /// Stream for `seed`; `salt` separates the streams of different
    /// generators fed the same seed.
    pub(crate) fn new(seed: u64, salt: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(salt);
        Rng(rng)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub(crate) fn below(&mut self, n: u32) -> u32 {
        self.0.gen_range(0..n)
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn between(&mut self, lo: u32, hi: u32) -> u32 {
        self.0.gen_range(lo..=hi)
    }

    /// True with probability `p / 1000`.
    pub(crate) fn per_mille(&mut self, p: u32) -> bool {
        self.below(1000) < p
    }

    /// Uniform index into a slice of length `len` (> 0).
    pub(crate) fn index(&mut self, len: usize) -> usize {
        let n = u32::try_from(len).unwrap_or(u32::MAX);
        self.below(n) as usize
    }

    /// Uniform element of a non-empty slice.
    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.index(items.len())]
    }
}

/// Discrete distribution over indices, from integer weights.
#[derive(Debug, Clone)]
pub(crate) struct Weighted {
    cumulative: Vec<u32>,
}

impl Weighted {
    /// Distribution proportional to `weights` (at least one positive).
    pub(crate) fn new(weights: impl IntoIterator<Item = u32>) -> Self {
        let mut total = 0u32;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                total += w;
                total
            })
            .collect();
        Weighted { cumulative }
    }

    /// Zipf-like weights for a list ordered from most to least common:
    /// item `i` gets weight proportional to `1 / (i + offset)`.
    pub(crate) fn zipf(len: usize, offset: u32) -> Self {
        Weighted::new((0..len).map(|i| {
            let i = u32::try_from(i).unwrap_or(u32::MAX - offset);
            1_000_000 / (i + offset)
        }))
    }

    /// A random index.
    pub(crate) fn sample(&self, rng: &mut Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(1);
        let r = rng.below(total);
        self.cumulative.partition_point(|&c| c <= r)
    }
}

/// A uniformly random date between two dates (inclusive).
pub(crate) fn random_date(rng: &mut Rng, from: (u16, u8, u8), to: (u16, u8, u8)) -> (u16, u8, u8) {
    let lo = days_from_civil(from.0, from.1, from.2);
    let hi = days_from_civil(to.0, to.1, to.2);
    let span = u32::try_from(hi - lo).unwrap_or(0);
    let offset = i32::try_from(rng.between(0, span)).unwrap_or(0);
    civil_from_days(lo + offset)
}

/// Hasher for keys that already are well-mixed 64-bit fingerprints.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(b) ^ (self.0 >> 56);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Set of identifiers already issued in one extract, stored as 64-bit
/// fingerprints (8 bytes plus table overhead per identifier, up to about
/// 20 MB per million). A fingerprint collision between two different
/// identifiers (probability about n²/2⁶⁵) only makes the generator draw
/// another identifier, so uniqueness is never violated.
#[derive(Debug, Default, Clone)]
pub(crate) struct IdSet(HashSet<u64, BuildHasherDefault<PassThroughHasher>>);

impl IdSet {
    /// Records `id`; false if it (or its fingerprint) was already recorded.
    pub(crate) fn insert(&mut self, id: &str) -> bool {
        self.0.insert(fingerprint(id.as_bytes()))
    }

    /// Records a numeric identifier; false if already recorded.
    pub(crate) fn insert_u64(&mut self, id: u64) -> bool {
        self.0.insert(mix(id))
    }
}

/// FNV-1a over bytes, then a SplitMix64 finaliser.
fn fingerprint(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
}

/// SplitMix64 finaliser: a bijection that spreads bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_respects_weights() {
        let w = Weighted::new([0, 3, 1]);
        let mut rng = Rng::new(5, 0);
        let mut counts = [0u32; 3];
        for _ in 0..4000 {
            counts[w.sample(&mut rng)] += 1;
        }
        assert_eq!(counts[0], 0);
        assert!((2800..3200).contains(&counts[1]), "{counts:?}");
    }

    #[test]
    fn id_set_detects_repeats() {
        let mut s = IdSet::default();
        assert!(s.insert("ABC"));
        assert!(!s.insert("ABC"));
        assert!(s.insert("ABD"));
        assert!(s.insert_u64(7));
        assert!(!s.insert_u64(7));
    }
}
