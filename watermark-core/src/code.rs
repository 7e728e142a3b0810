//! Positions of the fingerprinting code, their biases, and recipients' bits.
//!
//! A row's anchor is `HMAC-SHA256(K_anchor, folded identity)`. A position is
//! `(anchor, column tag, slot index)`; its 41 bytes are the input of two keyed
//! BLAKE3 calls: one (under `K_bias`) gives the position's id, whether it is
//! active, and its bias `p`, drawn from the arcsine density restricted to
//! `[t, 1-t]`; the other (under `K_bits`) is an extendable output stream in
//! which recipient slot `j` reads the 16-bit value `u` at offset `2j`, and
//! holds bit 1 iff `u < 65536 p`. One stream per position serves every
//! recipient, and adding a recipient never changes an existing copy.
//!
//! The bias is quantised to a multiple of 1/65536 so that `P(bit = 1)` is
//! known exactly; the detection bound uses that exact value. It is computed
//! with IEEE-754 basic operations only (no platform `sin`), so every machine
//! derives the same bits.

use ring::hmac;

use crate::key::Subkeys;

/// At most this many slots are read or written per cell.
pub(crate) const MAX_SLOTS_PER_CELL: usize = 16;

/// A row's anchor.
#[derive(Clone, Copy)]
pub(crate) struct Anchor(pub(crate) [u8; 32]);

/// Computes the anchor from a row's folded identity.
#[inline]
pub(crate) fn anchor(keys: &Subkeys, folded_identity: &[u8]) -> Anchor {
    let tag = hmac::sign(&keys.anchor, folded_identity);
    let mut a = [0u8; 32];
    a.copy_from_slice(tag.as_ref());
    Anchor(a)
}

/// A column's tag, part of every position in it: stable for a column name.
pub(crate) fn column_tag(folded_name: &str) -> u64 {
    let h = blake3::hash(folded_name.as_bytes());
    u64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"))
}

/// One position of the code.
#[derive(Clone, Copy)]
pub(crate) struct Position {
    input: [u8; 41],
    /// A keyed 128-bit id, used to count each position once.
    pub(crate) id: u128,
    /// `P(bit = 1) = threshold / 65536`.
    pub(crate) threshold: u16,
    pub(crate) active: bool,
}

impl std::fmt::Debug for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The input holds the keyed anchor: not for logs.
        f.debug_struct("Position")
            .field("threshold", &self.threshold)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

impl Position {
    /// The exact bias `p`.
    #[inline]
    pub(crate) fn p(&self) -> f64 {
        f64::from(self.threshold) / 65536.0
    }
}

/// The code's parameters, compiled.
#[derive(Clone, Debug)]
pub(crate) struct Code {
    r_lo: f64,
    r_span: f64,
    /// A position is active iff its 32-bit draw is below this (2^32: all).
    active_below: u64,
}

impl Code {
    pub(crate) fn new(cutoff: f64, active_fraction: f64) -> Code {
        let r_lo = det_asin_sqrt(cutoff);
        Code {
            r_lo,
            r_span: std::f64::consts::FRAC_PI_2 - 2.0 * r_lo,
            active_below: (active_fraction * 4_294_967_296.0).round() as u64,
        }
    }

    /// The position `(anchor, column, slot)`.
    #[inline]
    pub(crate) fn position(
        &self,
        keys: &Subkeys,
        anchor: &Anchor,
        column: u64,
        slot: u8,
    ) -> Position {
        let mut input = [0u8; 41];
        input[..32].copy_from_slice(&anchor.0);
        input[32..40].copy_from_slice(&column.to_le_bytes());
        input[40] = slot;
        let h = blake3::keyed_hash(&keys.bias, &input);
        let h = h.as_bytes();
        let id = u128::from_le_bytes(h[..16].try_into().expect("16 bytes"));
        let bias_draw = u32::from_le_bytes(h[16..20].try_into().expect("4 bytes"));
        let active_draw = u32::from_le_bytes(h[20..24].try_into().expect("4 bytes"));
        Position {
            input,
            id,
            threshold: self.threshold(bias_draw),
            active: u64::from(active_draw) < self.active_below,
        }
    }

    /// Maps a uniform 32-bit draw to a quantised arcsine bias in `[t, 1-t]`.
    fn threshold(&self, draw: u32) -> u16 {
        let u = (f64::from(draw) + 0.5) / 4_294_967_296.0;
        let s = det_sin(self.r_lo + u * self.r_span);
        let p = s * s;
        (p * 65536.0).round().clamp(1.0, 65535.0) as u16
    }
}

/// The bit of recipient slot `slot` at `pos`.
#[inline]
pub(crate) fn bit(keys: &Subkeys, pos: &Position, slot: u32) -> bool {
    let mut u = [0u16; 1];
    draws(keys, pos, slot, &mut u);
    u[0] < pos.threshold
}

/// The 16-bit draws of recipient slots `first..first + out.len()` at `pos`.
pub(crate) fn draws(keys: &Subkeys, pos: &Position, first: u32, out: &mut [u16]) {
    let mut hasher = blake3::Hasher::new_keyed(&keys.bits);
    hasher.update(&pos.input);
    let mut reader = hasher.finalize_xof();
    reader.set_position(2 * u64::from(first));
    let mut buf = [0u8; 256];
    for chunk in out.chunks_mut(128) {
        let bytes = &mut buf[..chunk.len() * 2];
        reader.fill(bytes);
        for (d, b) in chunk.iter_mut().zip(bytes.chunks_exact(2)) {
            *d = u16::from_le_bytes([b[0], b[1]]);
        }
    }
}

/// `sin x` for `x` in `[0, π/2]` by its Taylor series, with basic IEEE-754
/// operations only, so the result is the same on every platform.
fn det_sin(x: f64) -> f64 {
    let x2 = x * x;
    // Horner form of x - x^3/3! + x^5/5! - ... + x^23/23!.
    let mut acc = 0.0f64;
    let mut k = 23u32;
    while k >= 3 {
        let coef = 1.0 / factorial(k);
        let sign = if (k / 2).is_multiple_of(2) { 1.0 } else { -1.0 };
        acc = (acc + sign * coef) * x2;
        k -= 2;
    }
    x * (1.0 + acc)
}

fn factorial(n: u32) -> f64 {
    (1..=n).fold(1.0, |a, k| a * f64::from(k))
}

/// `asin(sqrt(t))` by bisection on [`det_sin`].
fn det_asin_sqrt(t: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, std::f64::consts::FRAC_PI_2);
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        let s = det_sin(mid);
        if s * s < t {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::MasterKey;

    #[test]
    fn det_sin_matches_libm() {
        for i in 0..=1000 {
            let x = std::f64::consts::FRAC_PI_2 * f64::from(i) / 1000.0;
            assert!((det_sin(x) - x.sin()).abs() < 1e-15, "{x}");
        }
        assert!((det_asin_sqrt(0.1) - 0.1f64.sqrt().asin()).abs() < 1e-12);
    }

    #[test]
    fn biases_follow_the_cut_arcsine() {
        let code = Code::new(0.1, 1.0);
        let keys = MasterKey::from_bytes([3; 32]).subkeys();
        let mut ps = Vec::new();
        for i in 0..20_000u32 {
            let a = anchor(&keys, &i.to_le_bytes());
            ps.push(code.position(&keys, &a, 1, 0).p());
        }
        let min = ps.iter().cloned().fold(1.0, f64::min);
        let max = ps.iter().cloned().fold(0.0, f64::max);
        assert!(min >= 0.0999 && max <= 0.9001, "{min} {max}");
        // Arcsine: E[p] = 1/2 by symmetry; more mass near the ends than uniform.
        let mean = ps.iter().sum::<f64>() / ps.len() as f64;
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
        // P(p < 1/4) = (π/6 - r_lo) / (π/2 - 2 r_lo) = 0.2177 for t = 0.1,
        // against 0.1875 for a uniform p on [0.1, 0.9].
        let ends = ps.iter().filter(|&&p| !(0.25..=0.75).contains(&p)).count();
        let share = ends as f64 / ps.len() as f64;
        assert!((share - 0.4354).abs() < 0.015, "{share}");
    }

    #[test]
    fn bits_have_the_exact_bias_and_do_not_depend_on_the_batch() {
        let code = Code::new(0.1, 1.0);
        let keys = MasterKey::from_bytes([5; 32]).subkeys();
        let a = anchor(&keys, b"X");
        let pos = code.position(&keys, &a, 7, 2);
        let mut all = vec![0u16; 300];
        draws(&keys, &pos, 0, &mut all);
        for (j, &u) in all.iter().enumerate() {
            assert_eq!(bit(&keys, &pos, j as u32), u < pos.threshold);
        }
        let mut tail = vec![0u16; 10];
        draws(&keys, &pos, 290, &mut tail);
        assert_eq!(&tail[..], &all[290..]);
        let ones = (0..20_000u32).filter(|&j| bit(&keys, &pos, j)).count();
        let expect = pos.p() * 20_000.0;
        assert!((ones as f64 - expect).abs() < 5.0 * expect.sqrt() + 5.0);
    }

    #[test]
    fn active_fraction_is_honoured() {
        let code = Code::new(0.1, 0.25);
        let keys = MasterKey::from_bytes([6; 32]).subkeys();
        let a = anchor(&keys, b"row");
        let active = (0..8000u32)
            .filter(|&c| code.position(&keys, &a, u64::from(c), 0).active)
            .count();
        assert!((1800..2200).contains(&active), "{active}");
    }
}
