//! Positions of the fingerprinting code, their biases, and recipients' bits.
//!
//! A row's anchor is `A = HMAC-SHA256(K_anchor, folded identity)`. Its
//! positions are the slots found in its carrier cells: carrier `c` (the
//! policy's `c`-th carrier column) and slot `s` within the cell give position
//! index `q = s·C + c`, `C` being the number of carriers. All randomness of
//! the row's positions comes from one BLAKE3 extendable-output stream keyed
//! with `K_code` over `A`:
//!
//! * bytes `32q .. 32q + 32` are position `q`'s *head*: a 16-bit draw for its
//!   bias `p` (arcsine density restricted to `[t, 1-t]`), a 16-bit draw for
//!   whether it is active, and the 16-bit draws `u` of recipient slots 0..13;
//! * recipient slot `j ≥ 14` is in *tail block* `k = ⌊(j - 14) / 32⌋`: its
//!   draw is the 2 bytes at `2^40 + k·2^22 + 64q + 2((j - 14) mod 32)`. Each
//!   (block, position) is one whole 64-byte output block of the stream, and a
//!   block's positions are contiguous, so the draws of 32 recipients at every
//!   position of a row are one SIMD pass too.
//!
//! Recipient `j` holds bit 1 at `q` iff `u < 65536 p`. A row's heads are
//! one SIMD pass of the stream, so marking costs one HMAC and one BLAKE3 call
//! per row; scoring `n` recipients costs `⌈(n - 14) / 32⌉` more passes per
//! row, and a new recipient never changes an existing copy.
//!
//! Why a 32-byte head, and not a whole 64-byte block with 30 slots: with
//! AVX-512, BLAKE3 computes up to 16 output blocks in about the time of one,
//! and a wider head would spare slots 14 to 29 their second call for a few
//! nanoseconds more per row. Without AVX-512 each output block is one more
//! compression, so a wider head would double the first call for every copy
//! (a measured 14% more instructions per row to issue a copy for slot 0). The
//! layout must serve every machine, so the head stays small.
//!
//! The bias is quantised to a multiple of 1/65536 so that `P(bit = 1)` is
//! known exactly; the detection bound uses that exact value. It is computed
//! with IEEE-754 basic operations only (no platform `sin`), so every machine
//! derives the same bits.

use hmac::Mac as _;

use crate::key::Subkeys;

/// At most this many slots are read or written per cell.
pub(crate) const MAX_SLOTS_PER_CELL: usize = 16;

/// Recipients whose draws sit in a position's head.
const HEAD_RECIPIENTS: u32 = 14;
const HEAD: usize = 32;
const TAIL_BASE: u64 = 1 << 40;
/// Recipients per tail block, and the block's bytes per position.
const TAIL_SLOTS: u32 = 32;
const TAIL_BLOCK: usize = 64;
/// Tail block `k` of every position: 2^16 positions of 64 bytes.
const TAIL_STRIDE: u64 = 1 << 22;

/// A row's anchor.
#[derive(Clone, Copy)]
pub(crate) struct Anchor(pub(crate) [u8; 32]);

impl Anchor {
    /// Its first 16 bytes: what canaries and positions read are keyed by.
    #[inline]
    pub(crate) fn key(&self) -> u128 {
        u128::from_le_bytes(self.0[..16].try_into().expect("16 bytes"))
    }
}

/// Computes the anchor from a row's folded identity.
#[inline]
pub(crate) fn anchor(keys: &Subkeys, folded_identity: &[u8]) -> Anchor {
    let mut mac = keys.anchor.clone();
    mac.update(folded_identity);
    Anchor(mac.finalize().into_bytes().into())
}

fn row_stream(keys: &Subkeys, anchor: &Anchor) -> blake3::OutputReader {
    let mut hasher = blake3::Hasher::new_keyed(&keys.code);
    hasher.update(&anchor.0);
    hasher.finalize_xof()
}

/// The heads of a row's positions `0..=max_q`, filled in one pass, and the
/// row's stream, kept for that row's tail blocks (see [`RowTails::fill`]).
#[derive(Default)]
pub(crate) struct RowHeads {
    bytes: Vec<u8>,
    stream: Option<blake3::OutputReader>,
}

impl RowHeads {
    pub(crate) fn fill(&mut self, keys: &Subkeys, anchor: &Anchor, max_q: usize) {
        self.bytes.resize(padded(HEAD * (max_q + 1)), 0);
        let stream = self.stream.insert(row_stream(keys, anchor));
        stream.fill(&mut self.bytes);
    }

    /// Forgets the last row, for a row that has no positions: its tails
    /// cannot then be read from the row before.
    pub(crate) fn clear(&mut self) {
        self.stream = None;
    }
}

/// `len` bytes of a row stream rounded up to what BLAKE3 computes fastest.
/// With AVX-512 it computes 16, 8, 4, 2 output blocks at once, and one at a
/// time, so 7 blocks cost three passes and 8 blocks one (measured: 7 blocks
/// took twice as long as 16): a power of two of 64-byte blocks up to 16,
/// then a multiple of 16. Elsewhere every block is one compression, so whole
/// blocks only. The bytes past `len` are not used, so the draws are the
/// same either way.
#[inline]
fn padded(len: usize) -> usize {
    padded_for(len, wide_xof())
}

#[inline]
fn padded_for(len: usize, wide: bool) -> usize {
    let blocks = len.div_ceil(64).max(1);
    let blocks = if !wide {
        blocks
    } else if blocks <= 16 {
        blocks.next_power_of_two()
    } else {
        blocks.next_multiple_of(16)
    };
    blocks * 64
}

/// Whether BLAKE3 computes many output blocks in one pass here: its AVX-512
/// code, which it uses on x86-64 Unix when the CPU has AVX-512 F and VL.
#[inline]
fn wide_xof() -> bool {
    #[cfg(all(target_arch = "x86_64", unix))]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl")
    }
    #[cfg(not(all(target_arch = "x86_64", unix)))]
    {
        false
    }
}

/// One position of the code.
#[derive(Clone)]
pub(crate) struct Position {
    anchor: Anchor,
    q: u16,
    head: [u8; HEAD],
    /// `P(bit = 1) = threshold / 65536`.
    pub(crate) threshold: u16,
    pub(crate) active: bool,
}

impl std::fmt::Debug for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The anchor and head are keyed material: not for logs.
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

    /// The bit of recipient slot `slot`.
    #[inline]
    pub(crate) fn bit(&self, keys: &Subkeys, slot: u32) -> bool {
        let mut u = [0u16; 1];
        self.draws(keys, slot, &mut u);
        u[0] < self.threshold
    }

    /// The 16-bit draw of recipient slot `slot`, one whose draw is in the
    /// head (see [`heads_hold`]).
    #[inline]
    fn head_draw(&self, slot: u32) -> u16 {
        debug_assert!(heads_hold(slot));
        let at = 4 + 2 * slot as usize;
        u16::from_le_bytes([self.head[at], self.head[at + 1]])
    }

    /// The 16-bit draw of recipient slot `slot`, from the head or from the
    /// row's `tails` filled by [`RowTails::fill`] for this position's row
    /// and a slot range holding `slot`.
    #[inline]
    pub(crate) fn draw_in(&self, tails: &RowTails, slot: u32) -> u16 {
        if heads_hold(slot) {
            return self.head_draw(slot);
        }
        let (k, i) = tail_place(slot);
        let at = tails.at(k as usize, usize::from(self.q)) + 2 * i;
        u16::from_le_bytes([tails.bytes[at], tails.bytes[at + 1]])
    }

    /// The 16-bit draws of recipient slots `first..first + out.len()`.
    pub(crate) fn draws(&self, keys: &Subkeys, first: u32, out: &mut [u16]) {
        self.draws_cached(keys, &mut StreamCache::default(), first, out);
    }

    /// [`Position::draws`], reusing the row's stream from `cache` when the
    /// last position drawn was of the same row (a row's positions share it).
    pub(crate) fn draws_cached(
        &self,
        keys: &Subkeys,
        cache: &mut StreamCache,
        first: u32,
        out: &mut [u16],
    ) {
        let mut buf = [0u8; TAIL_BLOCK];
        for (done, run) in runs(first, out.len()) {
            let bytes = match run {
                Run::Head { at, n } => &self.head[at..at + 2 * n],
                Run::Tail { k, i, n } => {
                    let reader = cache.reader(keys, &self.anchor);
                    reader.set_position(tail_offset(k, usize::from(self.q)) + 2 * i as u64);
                    reader.fill(&mut buf[..2 * n]);
                    &buf[..2 * n]
                }
            };
            decode(bytes, &mut out[done..]);
        }
    }

    /// [`Position::draws`] from a row's tails filled by [`RowTails::fill`]
    /// for this position's row, with `first..first + out.len()` within the
    /// slots filled.
    #[inline]
    pub(crate) fn draws_from(&self, tails: &RowTails, first: u32, out: &mut [u16]) {
        self.draw_runs(tails, first, out.len(), |done, bytes| {
            decode(bytes, &mut out[done..]);
        });
    }

    /// The draws of slots `first..first + count`, as runs of little-endian
    /// `u16` bytes: `f(i, bytes)` gets the draws of slots `first + i..`. The
    /// row's tails must have been filled for them (see
    /// [`Position::draws_from`]).
    #[inline]
    pub(crate) fn draw_runs(
        &self,
        tails: &RowTails,
        first: u32,
        count: usize,
        mut f: impl FnMut(usize, &[u8]),
    ) {
        let q = usize::from(self.q);
        for (done, run) in runs(first, count) {
            match run {
                Run::Head { at, n } => f(done, &self.head[at..at + 2 * n]),
                Run::Tail { k, i, n } => {
                    let at = tails.at(k as usize, q) + 2 * i;
                    f(done, &tails.bytes[at..at + 2 * n]);
                }
            }
        }
    }

    /// A 128-bit id, unique per position with overwhelming probability.
    #[cfg(test)]
    pub(crate) fn id(&self) -> u128 {
        self.anchor.key().wrapping_add(
            (u128::from(self.q) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835),
        )
    }

    /// The position's index within its row.
    #[inline]
    pub(crate) fn q(&self) -> u16 {
        self.q
    }
}

/// Where the draws of consecutive slots lie: in the position's head, or in
/// tail block `k` from slot `i` of it; `n` draws either way.
enum Run {
    Head { at: usize, n: usize },
    Tail { k: u32, i: usize, n: usize },
}

/// The runs holding the draws of slots `first..first + count`, each with
/// how many draws come before it.
fn runs(first: u32, count: usize) -> impl Iterator<Item = (usize, Run)> {
    let mut done = 0;
    std::iter::from_fn(move || {
        if done == count {
            return None;
        }
        let slot = first + done as u32;
        let run = if slot < HEAD_RECIPIENTS {
            let n = ((HEAD_RECIPIENTS - slot) as usize).min(count - done);
            Run::Head {
                at: 4 + 2 * slot as usize,
                n,
            }
        } else {
            let (k, i) = tail_place(slot);
            let n = (TAIL_SLOTS as usize - i).min(count - done);
            Run::Tail { k, i, n }
        };
        let at = done;
        done += match run {
            Run::Head { n, .. } | Run::Tail { n, .. } => n,
        };
        Some((at, run))
    })
}

/// Little-endian `u16` draws from `bytes` into the front of `out`.
#[inline]
fn decode(bytes: &[u8], out: &mut [u16]) {
    for (d, b) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        *d = u16::from_le_bytes([b[0], b[1]]);
    }
}

/// Where slot `slot` (past the head) lies: tail block `k`, draw `i` of it.
#[inline]
fn tail_place(slot: u32) -> (u32, usize) {
    let t = slot - HEAD_RECIPIENTS;
    (t / TAIL_SLOTS, (t % TAIL_SLOTS) as usize)
}

/// The offset of tail block `k` of position `q` in its row's stream.
fn tail_offset(k: u32, q: usize) -> u64 {
    TAIL_BASE + u64::from(k) * TAIL_STRIDE + (TAIL_BLOCK * q) as u64
}

/// Whether the draws of slots up to `last` all lie in the positions' heads,
/// so that no tail block is needed.
#[inline]
pub(crate) fn heads_hold(last: u32) -> bool {
    last < HEAD_RECIPIENTS
}

/// The tail blocks of a row's positions for a range of recipient slots, filled
/// in one pass per block: what scoring many recipients at every position of
/// a row reads.
#[derive(Default)]
pub(crate) struct RowTails {
    bytes: Vec<u8>,
    /// First tail block and first position filled, and positions per block.
    k0: usize,
    q0: usize,
    qs: usize,
}

impl RowTails {
    /// Fills the tails of positions `q_lo..=q_hi` of the row whose heads
    /// were last filled into `heads`, for slots `first..=last` (only the
    /// tail blocks those slots need). The row's stream is the heads' own, so
    /// a tail cannot be read from another row's.
    pub(crate) fn fill(
        &mut self,
        heads: &mut RowHeads,
        (first, last): (u32, u32),
        (q_lo, q_hi): (usize, usize),
    ) {
        self.q0 = q_lo;
        // Positions past `q_hi` are filled too when that is faster.
        self.qs = padded(TAIL_BLOCK * (q_hi + 1 - q_lo)) / TAIL_BLOCK;
        if heads_hold(last) {
            self.bytes.clear();
            return;
        }
        let k0 = tail_place(first.max(HEAD_RECIPIENTS)).0;
        let k1 = tail_place(last).0;
        self.k0 = k0 as usize;
        let per_block = TAIL_BLOCK * self.qs;
        self.bytes.resize(per_block * (k1 - k0 + 1) as usize, 0);
        let reader = heads
            .stream
            .as_mut()
            .expect("a row's heads are filled before its tails");
        for (k, chunk) in (k0..=k1).zip(self.bytes.chunks_exact_mut(per_block)) {
            reader.set_position(tail_offset(k, q_lo));
            reader.fill(chunk);
        }
    }

    #[inline]
    fn at(&self, k: usize, q: usize) -> usize {
        debug_assert!(q >= self.q0 && q < self.q0 + self.qs && k >= self.k0);
        TAIL_BLOCK * ((k - self.k0) * self.qs + (q - self.q0))
    }
}

/// The last row stream used by [`Position::draws_cached`].
#[derive(Default)]
pub(crate) struct StreamCache(Option<([u8; 32], blake3::OutputReader)>);

impl StreamCache {
    /// `anchor`'s row stream, made unless it is the one kept.
    fn reader(&mut self, keys: &Subkeys, anchor: &Anchor) -> &mut blake3::OutputReader {
        if self.0.as_ref().is_none_or(|(a, _)| *a != anchor.0) {
            self.0 = Some((anchor.0, row_stream(keys, anchor)));
        }
        &mut self.0.as_mut().expect("just set").1
    }
}

/// The code's parameters, compiled.
#[derive(Clone, Debug)]
pub(crate) struct Code {
    r_lo: f64,
    r_span: f64,
    /// A position is active iff its 16-bit draw is below this (65536: all).
    active_below: u32,
    /// Taylor coefficients of sin, highest degree first.
    sin_coef: [f64; 11],
    /// Every bias draw's threshold, computed once (128 KiB, so it stays in
    /// cache): one per position read or written.
    thresholds: std::sync::Arc<[u16]>,
}

impl Code {
    pub(crate) fn new(cutoff: f64, active_fraction: f64) -> Code {
        let sin_coef = sin_coefficients();
        let r_lo = det_asin_sqrt(cutoff, &sin_coef);
        let mut code = Code {
            r_lo,
            r_span: std::f64::consts::FRAC_PI_2 - 2.0 * r_lo,
            active_below: (active_fraction * 65536.0).round() as u32,
            sin_coef,
            thresholds: std::sync::Arc::from(Vec::new()),
        };
        code.thresholds = code.threshold_table();
        code
    }

    /// The 65,536 thresholds of this cutoff, owned by the code and computed
    /// afresh for each (measured at 1.4 to 2.1 ms): small beside any
    /// verification, so no process-wide cache.
    fn threshold_table(&self) -> std::sync::Arc<[u16]> {
        (0..=u16::MAX).map(|d| self.compute_threshold(d)).collect()
    }

    /// Position `q` of the row whose heads are `heads` (filled to at least `q`).
    #[inline]
    pub(crate) fn position(&self, anchor: &Anchor, q: usize, heads: &RowHeads) -> Position {
        let mut head = [0u8; HEAD];
        head.copy_from_slice(&heads.bytes[HEAD * q..HEAD * (q + 1)]);
        let bias_draw = u16::from_le_bytes([head[0], head[1]]);
        let active_draw = u16::from_le_bytes([head[2], head[3]]);
        Position {
            anchor: *anchor,
            q: q as u16,
            head,
            threshold: self.threshold(bias_draw),
            active: u32::from(active_draw) < self.active_below,
        }
    }

    /// Maps a uniform 16-bit draw to a quantised arcsine bias in `[t, 1-t]`.
    #[inline]
    pub(crate) fn threshold(&self, draw: u16) -> u16 {
        self.thresholds[usize::from(draw)]
    }

    fn compute_threshold(&self, draw: u16) -> u16 {
        let u = (f64::from(draw) + 0.5) / 65536.0;
        let s = det_sin(self.r_lo + u * self.r_span, &self.sin_coef);
        let p = s * s;
        (p * 65536.0).round().clamp(1.0, 65535.0) as u16
    }
}

/// `1/k!` with alternating signs for k = 23, 21, ..., 3.
fn sin_coefficients() -> [f64; 11] {
    let mut c = [0.0; 11];
    for (i, k) in (3..=23u32).rev().step_by(2).enumerate() {
        let fact = (1..=k).fold(1.0, |a, j| a * f64::from(j));
        let sign = if (k / 2).is_multiple_of(2) { 1.0 } else { -1.0 };
        c[i] = sign / fact;
    }
    c
}

/// `sin x` for `x` in `[0, π/2]` by its Taylor series to degree 23, with
/// basic IEEE-754 operations only, so the result is the same everywhere.
fn det_sin(x: f64, coef: &[f64; 11]) -> f64 {
    let x2 = x * x;
    let mut acc = 0.0f64;
    for &c in coef {
        acc = (acc + c) * x2;
    }
    x * (1.0 + acc)
}

/// `asin(sqrt(t))` by bisection on [`det_sin`].
fn det_asin_sqrt(t: f64, coef: &[f64; 11]) -> f64 {
    let (mut lo, mut hi) = (0.0f64, std::f64::consts::FRAC_PI_2);
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        let s = det_sin(mid, coef);
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
    fn row_streams_are_filled_in_whole_simd_passes() {
        let want = [
            (1, 64, 64),
            (64, 64, 64),
            (65, 128, 128),
            (129, 256, 192),
            (448, 512, 448),
            (513, 1024, 576),
            (1025, 2048, 1088),
            (2049, 3072, 2112),
        ];
        for (len, wide, narrow) in want {
            assert_eq!(padded_for(len, true), wide, "{len}");
            assert_eq!(padded_for(len, false), narrow, "{len}");
            assert!([wide, narrow].contains(&padded(len)), "{len}");
        }
    }

    fn one(code: &Code, keys: &Subkeys, id: &[u8], q: usize) -> Position {
        let a = anchor(keys, id);
        let mut heads = RowHeads::default();
        heads.fill(keys, &a, q);
        code.position(&a, q, &heads)
    }

    #[test]
    fn det_sin_matches_libm() {
        let c = sin_coefficients();
        for i in 0..=1000 {
            let x = std::f64::consts::FRAC_PI_2 * f64::from(i) / 1000.0;
            assert!((det_sin(x, &c) - x.sin()).abs() < 1e-15, "{x}");
        }
        assert!((det_asin_sqrt(0.1, &c) - 0.1f64.sqrt().asin()).abs() < 1e-12);
    }

    #[test]
    fn anchor_is_hmac_sha256() {
        // The anchor PRF is plain HMAC-SHA256 under the anchor subkey: ring's
        // implementation gives the same tag.
        let master = [4u8; 32];
        let keys = MasterKey::from_bytes(master).subkeys();
        let mut sub = [0u8; 32];
        crate::key::derive(&master, "row anchor", &mut sub);
        let ring_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &sub);
        for id in [&b"BAKZ770628MHGRKZ06"[..], b"", b"X\x1fY"] {
            assert_eq!(
                anchor(&keys, id).0,
                ring::hmac::sign(&ring_key, id).as_ref()
            );
        }
    }

    /// Scheme v1's known answers for the code: under a fixed key, the
    /// anchors of fixed identities, and for one of them the bias and
    /// activity of positions 0..8 and the bits of slots in the head and in
    /// tail blocks. A change here changes every copy: it needs a new scheme
    /// version, never new numbers.
    #[test]
    fn known_answers_v1() {
        let keys = MasterKey::from_bytes([0x5a; 32]).subkeys();
        assert_eq!(MasterKey::from_bytes([0x5a; 32]).id().to_hex(), KAT_KEY_ID);
        let ids: [&[u8]; 3] = [b"BAKZ770628MHGRKZ06", b"SAHK970916MTLNDR37", b""];
        let anchors: Vec<String> = ids
            .iter()
            .map(|id| crate::key::hex(&anchor(&keys, id).0[..16]))
            .collect();
        assert_eq!(anchors, KAT_ANCHORS);
        let code = Code::new(0.15, 0.9);
        let slots = [0u32, 1, 13, 14, 45, 46, 200, 1000];
        let got: Vec<String> = (0..8)
            .map(|q| {
                let p = one(&code, &keys, ids[0], q);
                let bits: String = slots
                    .iter()
                    .map(|&s| if p.bit(&keys, s) { '1' } else { '0' })
                    .collect();
                format!("{} {} {bits}", p.threshold, u8::from(p.active))
            })
            .collect();
        assert_eq!(got, KAT_POSITIONS);
    }

    const KAT_KEY_ID: &str = "467f3df87ba52bcc";
    const KAT_ANCHORS: [&str; 3] = [
        "ce5eed45b1c129349db218b48436f83d",
        "5ff026d76ad73741d138ec10baf8218f",
        "e4877dca641987050dadf7142f5054fc",
    ];
    /// `threshold active bits`, the bits of slots 0, 1, 13, 14, 45, 46, 200
    /// and 1000 (14 and on are in tail blocks; 45 and 46 straddle two).
    const KAT_POSITIONS: [&str; 8] = [
        "54938 0 11101100",
        "16977 1 10000010",
        "35855 1 00110010",
        "45747 1 01011111",
        "11938 1 00000111",
        "25032 1 00000101",
        "50497 1 01010110",
        "30808 1 01100000",
    ];

    #[test]
    fn biases_follow_the_cut_arcsine() {
        let code = Code::new(0.1, 1.0);
        let keys = MasterKey::from_bytes([3; 32]).subkeys();
        let ps: Vec<f64> = (0..20_000u32)
            .map(|i| one(&code, &keys, &i.to_le_bytes(), (i % 5) as usize).p())
            .collect();
        let min = ps.iter().cloned().fold(1.0, f64::min);
        let max = ps.iter().cloned().fold(0.0, f64::max);
        assert!(min >= 0.0999 && max <= 0.9001, "{min} {max}");
        // Arcsine: E[p] = 1/2 by symmetry.
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
        let pos = one(&code, &keys, b"X", 6);
        let mut all = vec![0u16; 700];
        pos.draws(&keys, 0, &mut all);
        // Head draws are the stream at 32q + 4 + 2j; tail draws in 64-byte
        // blocks of 32 slots, block k of position q at 2^40 + k 2^22 + 64q.
        let mut stream = row_stream(&keys, &pos.anchor);
        let mut head = [0u8; 7 * 32];
        stream.fill(&mut head);
        for (j, &u) in all.iter().enumerate() {
            let want = if j < 14 {
                u16::from_le_bytes([head[6 * 32 + 4 + 2 * j], head[6 * 32 + 5 + 2 * j]])
            } else {
                let (k, i) = ((j - 14) / 32, (j - 14) % 32);
                let mut b = [0u8; 2];
                stream.set_position(TAIL_BASE + k as u64 * TAIL_STRIDE + 64 * 6 + 2 * i as u64);
                stream.fill(&mut b);
                u16::from_le_bytes(b)
            };
            assert_eq!(u, want, "{j}");
            assert_eq!(pos.bit(&keys, j as u32), u < pos.threshold, "{j}");
            if j < 14 {
                assert_eq!(pos.head_draw(j as u32), u, "{j}");
            }
        }
        // A row's tails filled at once give the same draws, for any slot
        // range and any positions around this one, from the stream its
        // heads kept.
        let mut heads = RowHeads::default();
        for (first, last, q_lo, q_hi) in [(0, 699, 0, 6), (14, 45, 6, 6), (40, 300, 2, 9)] {
            heads.fill(&keys, &pos.anchor, q_hi);
            let mut tails = RowTails::default();
            tails.fill(&mut heads, (first, last), (q_lo, q_hi));
            let mut part = vec![0u16; (last - first + 1) as usize];
            pos.draws_from(&tails, first, &mut part);
            assert_eq!(
                &part[..],
                &all[first as usize..=last as usize],
                "{first}..={last}"
            );
            for j in first..=last {
                assert_eq!(pos.draw_in(&tails, j), all[j as usize], "{j}");
            }
        }
        for (start, len) in [(290, 10), (10, 10), (13, 1), (14, 600)] {
            let mut part = vec![0u16; len];
            pos.draws(&keys, start, &mut part);
            assert_eq!(&part[..], &all[start as usize..start as usize + len]);
        }
        let ones = (0..20_000u32).filter(|&j| pos.bit(&keys, j)).count();
        let expect = pos.p() * 20_000.0;
        assert!((ones as f64 - expect).abs() < 5.0 * expect.sqrt() + 5.0);
    }

    #[test]
    fn active_fraction_is_honoured() {
        let code = Code::new(0.1, 0.25);
        let keys = MasterKey::from_bytes([6; 32]).subkeys();
        let active = (0..8000u32)
            .filter(|&i| one(&code, &keys, &i.to_le_bytes(), 1).active)
            .count();
        assert!((1800..2200).contains(&active), "{active}");
    }

    #[test]
    fn positions_have_distinct_ids() {
        let code = Code::new(0.1, 1.0);
        let keys = MasterKey::from_bytes([8; 32]).subkeys();
        let mut ids = std::collections::HashSet::new();
        for i in 0..2000u32 {
            let a = anchor(&keys, &i.to_le_bytes());
            let mut heads = RowHeads::default();
            heads.fill(&keys, &a, 11);
            for q in 0..12 {
                assert!(ids.insert(code.position(&a, q, &heads).id()));
            }
        }
    }
}
