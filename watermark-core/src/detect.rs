//! Detection: reading the slots of a leak and scoring every recipient.

use rustc_hash::FxHashMap;

use serde::{Deserialize, Serialize};

use crate::bound::{self, Bounder, Histogram, ScoreKind};
use crate::canary::{self, CanaryList};
use crate::code::{Anchor, Position, RowHeads, RowTails, StreamCache};
use crate::error::{Error, ErrorKind, Result};
use crate::key::MasterKey;
use crate::policy::Policy;
use crate::scheme::{Binding, Recipient, RowBuffers, Scheme};
use watermark_text::{said, Msg, Said};

/// Observations kept to name evidence rows for the accused.
const EVIDENCE_KEPT: usize = 100_000;
/// Evidence rows reported per accused recipient.
const EVIDENCE_SHOWN: usize = 25;
/// Share of the false-accusation budget given to each score over all the
/// evidence: the collusion-secure Tardos score and the single-leaker score.
const WEIGHT_ALL: f64 = 0.4;
/// Share given to the score that tolerates rows from elsewhere.
const WEIGHT_MIXTURE: f64 = 0.04;
/// Share given to each minority-vote score (coalitions of 3 and of 5).
const WEIGHT_MINORITY: f64 = 0.02;
/// Share split among the scores of the canary rows alone: they are the
/// evidence left when every cell was normalised or re-spelled at random.
const WEIGHT_CANARIES: f64 = 0.04;
/// Share split among the scores of single carrier columns and the
/// complemented scores.
const WEIGHT_COLUMNS: f64 = 0.08;
/// The edits the canary rows' single-leaker score expects: a leak holds a
/// canary only if a leaker's copy did, so no edit adds one (power only).
const CANARY_FLIP: f64 = 0.01;
/// The share of a leak that the mixture score expects to come from the
/// leaker's copy (the rest from elsewhere): power only, never the bound.
const MIX_SHARE: f64 = 0.1;
/// The edits the mixture score expects in the leaker's rows: power only.
const MIX_FLIP: f64 = 0.02;
/// Rows times recipients for which the mixture score is computed: one
/// logarithm each. Past it, a leak is large enough for the other scores.
const MIX_BUDGET: u64 = 4_000_000;

/// Attributes leaks to recipients. Build one with [`Detector::builder`].
#[derive(Debug)]
pub struct Detector {
    scheme: Scheme,
    recipients: Vec<Recipient>,
    comparisons: u64,
    threshold: f64,
    /// Canary anchors (first 16 bytes) to their presence positions.
    canaries: FxHashMap<u128, Position>,
    /// What a [`Tally`] records of the detector that made it: a digest of
    /// the key's id, the policy, the recipients and the canaries.
    tally_id: [u8; 32],
}

/// A carrier column whose readings are at least this share one value, over
/// at least `NORMALISED_MIN` positions, was rewritten to one spelling by the
/// leaker (every abbreviation expanded, say) and is left out of the scores.
/// The rule looks only at the leak, never at any recipient's bits, so the
/// bound still holds.
const NORMALISED_SHARE: f64 = 0.97;
const NORMALISED_MIN: u64 = 50;

/// Builds a [`Detector`]; key, policy and recipients are required.
#[derive(Debug, Default)]
pub struct DetectorBuilder<'a> {
    key: Option<&'a MasterKey>,
    policy: Option<&'a Policy>,
    recipients: Vec<Recipient>,
    comparisons: Option<u64>,
    threshold: Option<f64>,
    canaries: Vec<&'a CanaryList>,
}

impl<'a> DetectorBuilder<'a> {
    /// The master key the copies were marked with.
    pub fn key(mut self, key: &'a MasterKey) -> Self {
        self.key = Some(key);
        self
    }

    /// The policy the copies were marked with.
    pub fn policy(mut self, policy: &'a Policy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// The recipients to score: every recipient of a copy made with this key
    /// and policy.
    pub fn recipients(mut self, recipients: impl IntoIterator<Item = Recipient>) -> Self {
        self.recipients.extend(recipients);
        self
    }

    /// The total number of (recipient, key, policy) hypotheses the caller
    /// tests across all detectors for this leak, when it scores several
    /// groups; the bound's union factor. Defaults to this detector's recipients.
    pub fn comparisons(mut self, n: u64) -> Self {
        self.comparisons = Some(n);
        self
    }

    /// Canary lists made under this key and policy: canary rows found in a
    /// leak are read as positions.
    pub fn canaries(mut self, lists: impl IntoIterator<Item = &'a CanaryList>) -> Self {
        self.canaries.extend(lists);
        self
    }

    /// Overrides the policy's accusation threshold.
    pub fn threshold(mut self, threshold: f64) -> Self {
        self.threshold = Some(threshold);
        self
    }

    /// Compiles the detector.
    pub fn build(self) -> Result<Detector> {
        let key = self.key.ok_or_else(|| Error::key(Msg::CoNoKeyGiven))?;
        let policy = self
            .policy
            .ok_or_else(|| Error::policy(Msg::CoNoPolicyGiven))?;
        let threshold = self.threshold.unwrap_or(policy.threshold);
        if !(threshold > 0.0 && threshold < 1.0) {
            return Err(Error::policy(Msg::CoThreshold));
        }
        let n = self.recipients.len() as u64;
        let comparisons = self.comparisons.unwrap_or(n).max(n).max(1);
        let scheme = Scheme::new(key, policy)?;
        // In slot order, so that consecutive slots' draws are read in runs.
        let mut recipients = self.recipients;
        recipients.sort_by_key(|r| r.slot);
        let mut canaries = FxHashMap::default();
        for list in self.canaries {
            if list.key_id() != key.id().to_hex() || list.policy_digest() != policy.digest() {
                return Err(Error::policy(Msg::CoCanaryListOther));
            }
            for anchor in canary::canary_anchors(&scheme, list)? {
                let pos = canary::presence_position(&scheme, &anchor);
                canaries.insert(anchor.key(), pos);
            }
        }
        let mut id = blake3::Hasher::new();
        id.update(b"watermark tally detector v1\0");
        id.update(key.id().to_hex().as_bytes());
        id.update(policy.digest().as_bytes());
        id.update(&(recipients.len() as u64).to_le_bytes());
        for r in &recipients {
            id.update(&r.slot.to_le_bytes());
            id.update(&(r.id.len() as u64).to_le_bytes());
            id.update(r.id.as_bytes());
        }
        let mut canary_keys: Vec<u128> = canaries.keys().copied().collect();
        canary_keys.sort_unstable();
        for c in canary_keys {
            id.update(&c.to_le_bytes());
        }
        Ok(Detector {
            scheme,
            recipients,
            comparisons,
            threshold,
            canaries,
            tally_id: *id.finalize().as_bytes(),
        })
    }
}

impl Detector {
    /// The number of canaries this detector looks for.
    pub fn canaries(&self) -> usize {
        self.canaries.len()
    }

    /// Starts building a detector.
    pub fn builder<'a>() -> DetectorBuilder<'a> {
        DetectorBuilder::default()
    }

    /// Binds to a leak's header: identity columns are required (matched by
    /// name, case and accents ignored), carrier columns are used if present.
    pub fn bind<S: AsRef<str>>(&self, header: &[S]) -> Result<Observer<'_>> {
        self.bind_with(header, true)
    }

    /// Binds to a leak's header that may lack identity columns: the caller
    /// gives each row's identity to [`Observer::observe_identified`] (found,
    /// for instance, by matching the row to the master extract).
    pub fn bind_without_identity<S: AsRef<str>>(&self, header: &[S]) -> Result<Observer<'_>> {
        self.bind_with(header, false)
    }

    /// The compiled policy, for matching leak rows to the master extract.
    pub(crate) fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// The fields of an input with this `header` that detection reads (its
    /// identity and carrier columns), in no particular order: a columnar
    /// adaptor need render no other.
    pub fn fields_read<S: AsRef<str>>(&self, header: &[S]) -> Result<Vec<usize>> {
        let binding = self.scheme.bind(header)?;
        Ok(binding
            .identity
            .iter()
            .copied()
            .chain(binding.carriers.iter().flatten().copied())
            .collect())
    }

    fn bind_with<S: AsRef<str>>(
        &self,
        header: &[S],
        require_identity: bool,
    ) -> Result<Observer<'_>> {
        let binding = self.scheme.bind_with(header, require_identity)?;
        let tally = Tally::new(self, &binding);
        Ok(Observer {
            reader: RowReader::new(self, binding),
            tally,
        })
    }

    /// The score terms at a position of bias `threshold / 65536` read `y`,
    /// each as (bit 1, bit 0): Tardos, the single-leaker score, the
    /// single-leaker score of the complemented reading (of a canary: the
    /// strict one), the minority-vote scores for 3 and for 5 colluders, and
    /// the per-row likelihood of the mixture score. Computed each time: a
    /// table of them would not stay in cache.
    #[inline]
    fn terms(&self, threshold: u16, y: bool, canary: bool) -> Terms {
        let p = f64::from(threshold) / 65536.0;
        let (ta, tb) = ScoreKind::Tardos.terms(p, y);
        let single = ScoreKind::SingleLeaker {
            flip_rate: self.scheme.policy.code.flip_rate,
        };
        let (la, lb) = single.terms(p, y);
        // The third pair is the complemented reading's single-leaker
        // score, for carrier columns; canaries are never complemented (a
        // leak holds one only if a leaker's copy did), so for them it is
        // the single-leaker score that expects almost no edits.
        let (ca, cb) = if canary {
            ScoreKind::SingleLeaker {
                flip_rate: CANARY_FLIP,
            }
            .terms(p, y)
        } else {
            single.terms(p, !y)
        };
        let (ma, mb) = ScoreKind::SingleLeaker {
            flip_rate: MIX_FLIP,
        }
        .terms(p, y);
        let (a3, b3) = ScoreKind::Minority { colluders: 3 }.terms(p, y);
        let (a5, b5) = ScoreKind::Minority { colluders: 5 }.terms(p, y);
        [ta, tb, la, lb, ca, cb, a3, b3, a5, b5, ma, mb]
    }
}

/// From this many distinct `(bias, bit)` pairs read on, the bounds of the
/// scores are computed as separate jobs (see [`Detector::finish_with`]).
const PARALLEL_BOUND_TERMS: usize = 4096;

/// From this many entries with repeated readings on, their corrections are
/// computed as separate jobs, this many entries each.
const CORRECTION_CHUNK: usize = 4096;

/// A tally's count keys of up to `groups << HIST_DENSE_SHIFT` readings are
/// kept in a list; past it, in a table of all `groups << 17` keys.
const HIST_DENSE_SHIFT: usize = 15;

/// The `q` a canary row's presence reading has in a tally: no carrier
/// position has it.
const CANARY_Q: u16 = u16::MAX;

/// Fractional bits of the fixed-point sums: every term is rounded to a
/// multiple of `2^-32` once, when it is read, and then summed exactly, so
/// that a sum is the same whatever the order its terms come in.
const FIXED_ONE: f64 = 4_294_967_296.0;

/// The largest rounding error of one fixed-point term.
const FIXED_HALF_STEP: f64 = 0.5 / FIXED_ONE;

/// `t` in fixed point; the sums wrap, so only the final sum must fit
/// (scores up to ±2^31).
#[inline]
fn fixed(t: f64) -> i64 {
    // To the nearest step, ties to even, by adding and taking back
    // 1.5·2^52 (exact below 2^51 steps): `f64::round` is a library call
    // on the baseline x86-64 target, and this runs a dozen times a reading.
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    const EXACT: f64 = 2_251_799_813_685_248.0;
    let x = t * FIXED_ONE;
    if x.abs() < EXACT {
        ((x + SHIFT) - SHIFT) as i64
    } else {
        x.round() as i64
    }
}

#[inline]
fn unfixed(s: i64) -> f64 {
    s as f64 / FIXED_ONE
}

/// A `(group, threshold, y)` count key: `group << 17 | threshold << 1 | y`.
#[inline]
fn hist_key(group: usize, threshold: u16, y: bool) -> u32 {
    ((group as u32) << 17) | (u32::from(threshold) << 1) | u32::from(y)
}

/// A position read in a leak row, and the bit the row holds there.
struct Reading {
    /// The carrier's index, or the number of carriers for a canary.
    group: u16,
    y: bool,
    pos: Position,
}

/// A position's score terms, see [`Detector::terms`].
type Terms = [f64; 12];

/// The first ten of a position's [`Terms`] (all but the mixture score's),
/// in fixed point.
type FixedTerms = [i64; 10];

#[inline]
fn fixed_terms(terms: &Terms) -> FixedTerms {
    std::array::from_fn(|i| fixed(terms[i]))
}

/// Per recipient and group (`group * n + r`): the scores and the positions
/// that match, in fixed point. The complemented Tardos score is the Tardos
/// score negated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Sums {
    tardos: Vec<i64>,
    llr: Vec<i64>,
    /// The single-leaker score of the complemented readings; for the
    /// canary group, the single-leaker score with [`CANARY_FLIP`].
    llr_c: Vec<i64>,
    /// The minority-vote scores for coalitions of 3 and of 5.
    minority: [Vec<i64>; 2],
    matches: Vec<i64>,
}

impl Sums {
    fn new(len: usize) -> Sums {
        Sums {
            tardos: vec![0; len],
            llr: vec![0; len],
            llr_c: vec![0; len],
            minority: [vec![0; len], vec![0; len]],
            matches: vec![0; len],
        }
    }

    fn len(&self) -> usize {
        self.tardos.len()
    }

    fn lens_agree(&self) -> bool {
        let n = self.len();
        [&self.llr, &self.llr_c, &self.minority[0], &self.minority[1]]
            .iter()
            .all(|v| v.len() == n)
            && self.matches.len() == n
    }

    /// Adds `other`, exactly: integer sums in any order give the same.
    fn merge(&mut self, other: &Sums) {
        let [m3, m5] = &mut self.minority;
        for (mine, theirs) in [
            (&mut self.tardos, &other.tardos),
            (&mut self.llr, &other.llr),
            (&mut self.llr_c, &other.llr_c),
            (m3, &other.minority[0]),
            (m5, &other.minority[1]),
            (&mut self.matches, &other.matches),
        ] {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a = a.wrapping_add(*b);
            }
        }
    }

    /// Adds (or, `remove`, takes back) one position's contributions, `bits`
    /// being every recipient's bit there.
    #[inline]
    fn add(&mut self, at: usize, terms: &FixedTerms, y: bool, bits: &[bool], remove: bool) {
        if remove {
            // Adding −a is subtracting a, exactly (wrapping).
            let negated = terms.map(i64::wrapping_neg);
            self.add_bits(at, &negated, y, bits, -1);
        } else {
            self.add_bits(at, terms, y, bits, 1);
        }
    }

    /// [`Sums::add`] for recipients `at..` whose draws are `bytes`
    /// (little-endian `u16`, bit 1 below `threshold`), their row's mixture
    /// terms (the last pair of `terms`) in `row`.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn add_draws(
        &mut self,
        at: usize,
        fixed: &FixedTerms,
        terms: &Terms,
        y: bool,
        threshold: u16,
        bytes: &[u8],
        mut row: Option<&mut [f64]>,
    ) {
        // Bits decoded once, then each sum in its own branch-free loop.
        let mut bits = [false; 64];
        for (i, part) in bytes.chunks(2 * bits.len()).enumerate() {
            let bits = &mut bits[..part.len() / 2];
            for (bit, d) in bits.iter_mut().zip(part.chunks_exact(2)) {
                *bit = u16::from_le_bytes([d[0], d[1]]) < threshold;
            }
            let first = 64 * i;
            self.add_bits(at + first, fixed, y, bits, 1);
            if let Some(row) = row.as_deref_mut() {
                add_mixture(&mut row[first..], terms, bits);
            }
        }
    }

    /// Adds the terms of recipients `at..at + bits.len()`, and `sign` to
    /// the matching positions of those whose bit is `y`. One loop per sum,
    /// branch-free, so each vectorises.
    #[inline]
    fn add_bits(&mut self, at: usize, terms: &FixedTerms, y: bool, bits: &[bool], sign: i64) {
        let n = bits.len();
        let [ta, tb, la, lb, ca, cb, a3, b3, a5, b5] = *terms;
        let [m3, m5] = &mut self.minority;
        for (sums, a, b) in [
            (&mut self.tardos, ta, tb),
            (&mut self.llr, la, lb),
            (&mut self.llr_c, ca, cb),
            (m3, a3, b3),
            (m5, a5, b5),
        ] {
            for (s, &bit) in sums[at..at + n].iter_mut().zip(bits) {
                *s = s.wrapping_add(if bit { a } else { b });
            }
        }
        for (m, &bit) in self.matches[at..at + n].iter_mut().zip(bits) {
            *m += sign * i64::from(bit == y);
        }
    }
}

/// Adds each recipient's mixture term (the last pair of `terms`) to its
/// row's, `bits` being their bits.
#[inline]
fn add_mixture(row: &mut [f64], terms: &Terms, bits: &[bool]) {
    let [.., ma, mb] = *terms;
    for (m, &bit) in row[..bits.len()].iter_mut().zip(bits) {
        *m += if bit { ma } else { mb };
    }
}

/// A row's mixture term for each recipient from its log-likelihood ratio
/// `x`: `ln(1 − α + α·e^x)`, rounded down where `e^x` is negligible, which
/// only lowers the score; in fixed point.
#[inline]
fn mixture_term(x: f64) -> i64 {
    let floor = (1.0 - MIX_SHARE).ln();
    fixed(if x < -30.0 {
        floor
    } else {
        (1.0 - MIX_SHARE + MIX_SHARE * x.exp()).ln()
    })
}

/// How many readings had each `(group, threshold, y)` count key: a list
/// of keys while it is short, a table of every key past that.
#[derive(Clone, Default)]
struct Counts {
    keys: Vec<u32>,
    table: Vec<u64>,
}

impl Counts {
    #[inline]
    fn push(&mut self, key: u32) {
        self.keys.push(key);
    }

    /// Moves the list into the table once it is long (`groups` groups).
    fn settle(&mut self, groups: usize) {
        if self.keys.len() < groups << HIST_DENSE_SHIFT {
            return;
        }
        if self.table.is_empty() {
            self.table = vec![0; groups << 17];
        }
        for &k in &self.keys {
            self.table[k as usize] += 1;
        }
        self.keys = Vec::new();
    }

    fn merge(&mut self, other: Counts, groups: usize) {
        if !other.table.is_empty() {
            if self.table.is_empty() {
                self.table = other.table;
            } else {
                for (a, b) in self.table.iter_mut().zip(&other.table) {
                    *a += b;
                }
            }
        }
        self.keys.extend_from_slice(&other.keys);
        self.settle(groups);
    }

    /// `(key, count)` in key order, counts above 0.
    fn sorted(&self) -> Vec<(u32, u64)> {
        let mut keys = self.keys.clone();
        keys.sort_unstable();
        let listed = keys
            .chunk_by(|a, b| a == b)
            .map(|run| (run[0], run.len() as u64));
        let tabled = self
            .table
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(|(k, &n)| (k as u32, n));
        let mut out: Vec<(u32, u64)> = Vec::new();
        let mut listed = listed.peekable();
        for (k, n) in tabled {
            while let Some(&(lk, ln)) = listed.peek() {
                if lk >= k {
                    break;
                }
                out.push((lk, ln));
                listed.next();
            }
            let extra = listed.next_if(|&(lk, _)| lk == k).map_or(0, |(_, ln)| ln);
            out.push((k, n + extra));
        }
        out.extend(listed);
        out
    }
}

/// One reading kept by a tally: the row, the position's index within its
/// row ([`CANARY_Q`] for a canary's presence), and the bit read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Read {
    q: u16,
    row: u64,
    y: bool,
}

/// What a tally knows of one row anchor: the positions of its first row
/// read, as bits (positions `q < 32`), and every other reading.
#[derive(Clone)]
struct Entry {
    row: u64,
    read: u32,
    ys: u32,
    /// Boxed so that an entry read once, the common case, stays small.
    #[allow(clippy::box_collection)]
    more: Option<Box<Vec<Read>>>,
}

impl Entry {
    /// Every reading, in no particular order.
    fn reads(&self) -> impl Iterator<Item = Read> + '_ {
        let (row, read, ys) = (self.row, self.read, self.ys);
        (0..32u16)
            .filter(move |q| read & (1 << q) != 0)
            .map(move |q| Read {
                q,
                row,
                y: ys & (1 << q) != 0,
            })
            .chain(self.more.iter().flat_map(|m| m.iter().copied()))
    }

    /// Every reading, sorted by position, then row: each position's first
    /// reading is the first of its run.
    fn sorted(&self) -> Vec<Read> {
        let mut all: Vec<Read> = self.reads().collect();
        all.sort_unstable();
        all
    }
}

/// An anchor that needs sorting out at the finish: read in more than
/// one row, or more than once in a row. `repeats` are its other rows'
/// entries (sharing its key).
struct Slow<'t> {
    key: &'t SealedAnchor,
    first: &'t Entry,
    repeats: &'t [(SealedAnchor, Entry)],
}

impl Slow<'_> {
    /// Every reading, sorted by position, then row.
    fn sorted(&self) -> Vec<Read> {
        let mut all: Vec<Read> = self
            .repeats
            .iter()
            .flat_map(|(_, e)| e.reads())
            .chain(self.first.reads())
            .collect();
        all.sort_unstable();
        all
    }
}

/// A row anchor as a tally keeps it: its first 8 bytes as they are, the
/// other 24 sealed under a subkey of the master key, so that a tally holds
/// no key material and no anchor that could be used without the key.
///
/// Compared as four big-endian words (the order of the bytes) and hashed
/// by its first word (a keyed hash's, so evenly spread): a tally's maps
/// and sorts compare millions of these, and a byte-wise comparison is a
/// library call.
#[derive(Clone, Copy)]
struct SealedAnchor([u8; 32]);

impl SealedAnchor {
    #[inline]
    fn words(&self) -> [u64; 4] {
        std::array::from_fn(|i| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&self.0[8 * i..8 * i + 8]);
            u64::from_be_bytes(w)
        })
    }
}

impl PartialEq for SealedAnchor {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.words() == other.words()
    }
}

impl Eq for SealedAnchor {}

impl Ord for SealedAnchor {
    #[inline]
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.words().cmp(&other.words())
    }
}

impl PartialOrd for SealedAnchor {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::hash::Hash for SealedAnchor {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.words()[0]);
    }
}

fn seal(keys: &crate::key::Subkeys, anchor: &Anchor) -> SealedAnchor {
    let pad = blake3::keyed_hash(&keys.seal, &anchor.0[..8]);
    let mut out = anchor.0;
    for (o, p) in out[8..].iter_mut().zip(pad.as_bytes()) {
        *o ^= p;
    }
    SealedAnchor(out)
}

fn unseal(keys: &crate::key::Subkeys, sealed: &SealedAnchor) -> Anchor {
    // The pad depends only on the clear bytes: sealing twice unseals.
    Anchor(seal(keys, &Anchor(sealed.0)).0)
}

/// A partial detection result: what a set of a leak's rows gave, to merge
/// with what other rows gave and finish into an [`Attribution`].
///
/// A tally comes from an [`Observer`] ([`Observer::take`]) that read any
/// subset of a leak's rows, each with its row number in the whole leak.
/// Tallies of disjoint sets of rows, made by the same detector and bound
/// to headers with the same carrier columns, merge in any order and any
/// grouping ([`Tally::merge`]); finishing the result
/// ([`Detector::finish`]) gives the attribution one observer reading every
/// row in order gives, to the last digit: each position counted once
/// however often it is read, its reading from the lowest row number
/// counted, the others reported as repeated (and as conflicting where the
/// bit differs). So verification can be split across threads, processes
/// or machines.
///
/// Scores are summed in fixed point (each term rounded once to a multiple
/// of 2^-32, then summed exactly), so sums do not depend on the order rows
/// are merged in; repeats are taken back when the tally is finished, by the
/// detector, which can recompute their terms.
///
/// A tally holds no row data, no key material and no canary value: for
/// each row anchor read (a keyed hash of the row's identity), its first 8
/// bytes and the other 24 sealed under a subkey of the master key, and the
/// row numbers, position indices and bits read; and per recipient only
/// sums. It serialises with serde (for instance to JSON) to travel between
/// machines.
#[derive(Clone, Serialize, Deserialize)]
#[serde(into = "TallyWire", try_from = "TallyWire")]
pub struct Tally {
    /// The detector's [`Detector::tally_id`].
    detector: [u8; 32],
    /// Which of the policy's carrier columns the header had.
    carriers: Vec<bool>,
    recipients: usize,
    rows_read: u64,
    rows_without_identity: u64,
    rows_identity_valid: u64,
    entries: FxHashMap<SealedAnchor, Entry>,
    /// Anchors recorded since the last [`Tally::settle`], not yet in
    /// `entries` (an anchor may be listed more than once): an observer's
    /// rows go here, so that a batch's tally costs no map of its own and
    /// is put in the merged tally's map once.
    fresh: Vec<(SealedAnchor, Entry)>,
    /// The entries of anchors already in `entries` (their other rows), in
    /// no particular order until [`Tally::sort_repeats`]: a list rather
    /// than a list per anchor, so that a leak read twice costs no
    /// allocation per row.
    repeats: Vec<(SealedAnchor, Entry)>,
    /// The row numbers read, as sorted, disjoint, non-adjacent inclusive
    /// ranges: two tallies that share one are not merged.
    rows: Vec<(u64, u64)>,
    /// Every reading's terms, repeats included; see [`Detector::finish`].
    sums: Sums,
    /// Per recipient, the mixture term summed over the rows that have one.
    mixture: Vec<i64>,
    /// Rows with a mixture term.
    mix_rows: u64,
    counts: Counts,
}

impl std::fmt::Debug for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Its anchors are sealed, but a log has no use for them.
        f.debug_struct("Tally")
            .field("rows_read", &self.rows_read)
            .field("anchors", &(self.entries.len() + self.fresh.len()))
            .finish_non_exhaustive()
    }
}

impl Tally {
    fn new(detector: &Detector, binding: &Binding) -> Tally {
        let groups = detector.scheme.carriers.len() + 1;
        let n = detector.recipients.len();
        Tally {
            detector: detector.tally_id,
            carriers: binding.carriers.iter().map(Option::is_some).collect(),
            recipients: n,
            rows_read: 0,
            rows_without_identity: 0,
            rows_identity_valid: 0,
            entries: FxHashMap::default(),
            fresh: Vec::new(),
            repeats: Vec::new(),
            rows: Vec::new(),
            sums: Sums::new(groups * n),
            mixture: vec![0; n],
            mix_rows: 0,
            counts: Counts::default(),
        }
    }

    fn groups(&self) -> usize {
        self.carriers.len() + 1
    }

    /// Data rows read, those without identity included.
    pub fn rows_read(&self) -> u64 {
        self.rows_read
    }

    /// Whether `other` was made by the same detector from a header with the
    /// same carrier columns: only then can the two be merged.
    fn check_compatible(&self, other: &Tally) -> Result<()> {
        if self.detector != other.detector || self.recipients != other.recipients {
            return Err(Error::state(Msg::CoTalliesDiffer));
        }
        if self.carriers != other.carriers {
            return Err(Error::state(Msg::CoTalliesCarriers));
        }
        Ok(())
    }

    /// Adds what `other` read. Tallies merge in any order and grouping with
    /// the same result. Refused, leaving `self` as it was, if `other` was
    /// made by another detector (another key, policy, recipient list or
    /// canary list), from a header with other carrier columns, or read a
    /// row this one read too.
    pub fn merge(&mut self, mut other: Tally) -> Result<()> {
        self.check_compatible(&other)?;
        // Rows read by both: checked first, so that a refusal changes nothing.
        let rows = merge_ranges(&self.rows, &other.rows)
            .map_err(|row| Error::state(said!(Msg::CoRowInBoth, row)))?;
        // Into the larger map: the result is the same either way.
        if other.entries.len() > self.entries.len() {
            std::mem::swap(self, &mut other);
        }
        self.rows = rows;
        let groups = self.groups();
        self.rows_read += other.rows_read;
        self.rows_without_identity += other.rows_without_identity;
        self.rows_identity_valid += other.rows_identity_valid;
        self.entries
            .reserve(other.entries.len() + other.fresh.len());
        self.repeats.extend(other.repeats);
        for (key, e) in other.entries.into_iter().chain(other.fresh) {
            self.insert(key, e);
        }
        self.sums.merge(&other.sums);
        for (a, b) in self.mixture.iter_mut().zip(&other.mixture) {
            *a = a.wrapping_add(*b);
        }
        self.mix_rows += other.mix_rows;
        self.counts.merge(other.counts, groups);
        Ok(())
    }

    /// Puts `e`'s readings in the map under `key`.
    #[inline]
    fn insert(&mut self, key: SealedAnchor, e: Entry) {
        match self.entries.entry(key) {
            Entry_::Vacant(v) => {
                v.insert(e);
            }
            Entry_::Occupied(o) => self.repeats.push((*o.key(), e)),
        }
    }

    /// Moves the anchors recorded since the last settle into the map.
    fn settle(&mut self) {
        let fresh = std::mem::take(&mut self.fresh);
        self.entries.reserve(fresh.len());
        for (key, e) in fresh {
            self.insert(key, e);
        }
    }

    /// Sorts `repeats` by anchor, for [`Tally::slow`].
    fn sort_repeats(&mut self) {
        self.repeats.sort_unstable_by_key(|r| r.0);
    }

    /// The anchors read more than once (in more than one row, or twice in
    /// a row), `repeats` sorted by anchor.
    fn slow(&self) -> Vec<Slow<'_>> {
        let mut slow: Vec<Slow<'_>> = self
            .repeats
            .chunk_by(|a, b| a.0 == b.0)
            .map(|run| Slow {
                key: &run[0].0,
                first: &self.entries[&run[0].0],
                repeats: run,
            })
            .collect();
        for (key, e) in &self.entries {
            let listed = || self.repeats.binary_search_by(|r| r.0.cmp(key)).is_ok();
            if e.more.is_some() && !listed() {
                slow.push(Slow {
                    key,
                    first: e,
                    repeats: &[],
                });
            }
        }
        slow
    }

    /// Notes row number `row` as read.
    #[inline]
    fn note_row(&mut self, row: u64) {
        let rows = &mut self.rows;
        // The first range ending at or past `row`.
        let i = rows.partition_point(|&(_, end)| end < row);
        if rows.get(i).is_some_and(|&(start, _)| start <= row) {
            return;
        }
        let left = i > 0 && rows[i - 1].1.checked_add(1) == Some(row);
        let right = rows
            .get(i)
            .is_some_and(|&(start, _)| row.checked_add(1) == Some(start));
        match (left, right) {
            (true, true) => {
                rows[i - 1].1 = rows[i].1;
                rows.remove(i);
            }
            (true, false) => rows[i - 1].1 = row,
            (false, true) => rows[i].0 = row,
            (false, false) => rows.insert(i, (row, row)),
        }
    }

    /// Records a row's readings under its anchor.
    #[inline]
    fn record(&mut self, sealed: SealedAnchor, row: u64, reads: &[Read]) {
        let (mut read, mut ys) = (0u32, 0u32);
        let mut more = Vec::new();
        for r in reads {
            if r.q < 32 && read & (1 << r.q) == 0 {
                read |= 1 << r.q;
                ys |= u32::from(r.y) << r.q;
            } else {
                more.push(*r);
            }
        }
        self.fresh.push((
            sealed,
            Entry {
                row,
                read,
                ys,
                more: (!more.is_empty()).then(|| Box::new(more)),
            },
        ));
    }
}

/// The union of two lists of sorted, disjoint, non-adjacent inclusive
/// ranges, in that form; `Err(row)`, `row` the first row in both, if they
/// share one.
fn merge_ranges(a: &[(u64, u64)], b: &[(u64, u64)]) -> std::result::Result<Vec<(u64, u64)>, u64> {
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let next = if j == b.len() || (i < a.len() && a[i].0 <= b[j].0) {
            i += 1;
            a[i - 1]
        } else {
            j += 1;
            b[j - 1]
        };
        match out.last_mut() {
            Some((_, end)) if *end >= next.0 => return Err(next.0),
            Some((_, end)) if end.checked_add(1) == Some(next.0) => *end = next.1,
            _ => out.push(next),
        }
    }
    Ok(out)
}

use std::collections::hash_map::Entry as Entry_;

/// A [`Tally`] as it is serialised: anchors in hex, readings as
/// `[row, q, bit]`, counts as `[key, count]` in key order.
#[derive(Serialize, Deserialize)]
struct TallyWire {
    version: u32,
    detector: String,
    carriers: Vec<bool>,
    recipients: usize,
    rows_read: u64,
    rows_without_identity: u64,
    rows_identity_valid: u64,
    anchors: Vec<WireAnchor>,
    /// The row numbers read, as inclusive ranges; absent, those of the
    /// anchors' readings.
    #[serde(default)]
    rows: Option<Vec<(u64, u64)>>,
    sums: Sums,
    mixture: Vec<i64>,
    mix_rows: u64,
    counts: Vec<(u32, u64)>,
}

/// A sealed anchor in hex, and its readings as `[row, q, bit]`.
type WireAnchor = (String, Vec<(u64, u16, bool)>);

const TALLY_VERSION: u32 = 1;

impl From<Tally> for TallyWire {
    fn from(mut t: Tally) -> TallyWire {
        t.settle();
        t.sort_repeats();
        let wire = |key: &SealedAnchor, all: Vec<Read>| -> WireAnchor {
            let reads = all.iter().map(|r| (r.row, r.q, r.y)).collect();
            (crate::key::hex(&key.0), reads)
        };
        let slow = t.slow();
        let mut anchors: Vec<WireAnchor> = slow.iter().map(|s| wire(s.key, s.sorted())).collect();
        anchors.extend(
            t.entries
                .iter()
                .filter(|(key, e)| {
                    e.more.is_none() && t.repeats.binary_search_by(|r| r.0.cmp(key)).is_err()
                })
                .map(|(key, e)| wire(key, e.sorted())),
        );
        drop(slow);
        anchors.sort_unstable();
        TallyWire {
            version: TALLY_VERSION,
            detector: crate::key::hex(&t.detector),
            counts: t.counts.sorted(),
            carriers: t.carriers,
            recipients: t.recipients,
            rows_read: t.rows_read,
            rows_without_identity: t.rows_without_identity,
            rows_identity_valid: t.rows_identity_valid,
            anchors,
            rows: Some(t.rows),
            sums: t.sums,
            mixture: t.mixture,
            mix_rows: t.mix_rows,
        }
    }
}

impl TryFrom<TallyWire> for Tally {
    type Error = Error;

    fn try_from(w: TallyWire) -> Result<Tally> {
        let bad = |what: Msg| Error::state(Said::new(Msg::CoBadTally).sentence(Said::new(what)));
        if w.version != TALLY_VERSION {
            return Err(bad(Msg::CoTallyVersion));
        }
        let detector: [u8; 32] = crate::key::unhex(&w.detector)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad(Msg::CoTallyDetectorId))?;
        let groups = w.carriers.len() + 1;
        let len = groups
            .checked_mul(w.recipients)
            .ok_or_else(|| bad(Msg::CoTallyRecipients))?;
        if w.sums.len() != len || !w.sums.lens_agree() || w.mixture.len() != w.recipients {
            return Err(bad(Msg::CoTallySums));
        }
        let mut entries = FxHashMap::default();
        let mut listed: Vec<u64> = Vec::new();
        for (hex, reads) in w.anchors {
            if w.rows.is_none() {
                listed.extend(reads.iter().map(|r| r.0));
            }
            let key = crate::key::unhex(&hex)
                .and_then(|b| b.try_into().ok())
                .map(SealedAnchor)
                .ok_or_else(|| bad(Msg::CoTallyAnchor))?;
            let (&(row, _, _), _) = reads
                .split_first()
                .ok_or_else(|| bad(Msg::CoTallyEmptyAnchor))?;
            let entry = Entry {
                row,
                read: 0,
                ys: 0,
                more: Some(Box::new(
                    reads
                        .into_iter()
                        .map(|(row, q, y)| Read { q, row, y })
                        .collect(),
                )),
            };
            if entries.insert(key, entry).is_some() {
                return Err(bad(Msg::CoTallyAnchorTwice));
            }
        }
        let mut ranges = match w.rows {
            Some(ranges) => ranges,
            None => {
                listed.sort_unstable();
                listed.dedup();
                listed.into_iter().map(|row| (row, row)).collect()
            }
        };
        if ranges.iter().any(|r| r.0 > r.1) {
            return Err(bad(Msg::CoTallyRangeOrder));
        }
        ranges.sort_unstable();
        let rows = merge_ranges(&ranges, &[]).map_err(|_| bad(Msg::CoTallyRowTwice))?;
        let mut counts = Counts::default();
        let limit = (groups as u64) << 17;
        let total: u64 = w.counts.iter().map(|c| c.1).fold(0, u64::saturating_add);
        if w.counts.iter().any(|&(k, _)| u64::from(k) >= limit) {
            return Err(bad(Msg::CoTallyCountKey));
        }
        if total > 0 {
            counts.table = vec![0; groups << 17];
            for (k, n) in w.counts {
                counts.table[k as usize] += n;
            }
        }
        Ok(Tally {
            detector,
            carriers: w.carriers,
            recipients: w.recipients,
            rows_read: w.rows_read,
            rows_without_identity: w.rows_without_identity,
            rows_identity_valid: w.rows_identity_valid,
            entries,
            fresh: Vec::new(),
            repeats: Vec::new(),
            rows,
            sums: w.sums,
            mixture: w.mixture,
            mix_rows: w.mix_rows,
            counts,
        })
    }
}

/// One piece of the work of finishing a tally, for the caller to run on a
/// thread of its choosing: see [`Detector::finish_with`].
pub type Job<'a> = Box<dyn FnOnce() + Send + 'a>;

/// Runs `tasks` through `run` when `spread`, else here, in order; their
/// results in task order.
fn run_tasks<'t, T: Send>(
    run: &dyn Fn(Vec<Job<'_>>),
    spread: bool,
    tasks: Vec<Box<dyn FnOnce() -> T + Send + 't>>,
) -> Vec<T> {
    if !spread || tasks.len() < 2 {
        return tasks.into_iter().map(|t| t()).collect();
    }
    let slots: Vec<std::sync::Mutex<Option<T>>> =
        tasks.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let jobs: Vec<Job<'_>> = tasks
        .into_iter()
        .zip(&slots)
        .map(|(task, slot)| -> Job<'_> {
            Box::new(move || {
                let out = task();
                *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(out);
            })
        })
        .collect();
    run(jobs);
    slots
        .into_iter()
        .map(|s| {
            s.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("`run` runs every job of a finish before it returns")
        })
        .collect()
}

/// One score tried for every recipient.
struct Tried {
    spec: ScoreTried,
    /// The histogram of the positions it sums over, as its terms read them.
    hist: Histogram,
    /// The kind whose bound applies; `None` for the mixture score, whose
    /// terms each have `E[exp(T)] = 1` for an innocent recipient, so that
    /// `P(S ≥ s) ≤ exp(−s)` (Markov).
    kind: Option<ScoreKind>,
    values: Vec<f64>,
    /// The largest error the values' fixed-point terms can add: bounds
    /// are computed for each value less it.
    slack: f64,
}

impl Tried {
    fn slack(mut self, slack: f64) -> Tried {
        self.slack = slack;
        self
    }

    fn new(
        evidence: impl Into<String>,
        score: ScoreName,
        hist: &Histogram,
        kind: Option<ScoreKind>,
        values: Vec<f64>,
        weight: f64,
    ) -> Tried {
        Tried {
            spec: ScoreTried {
                evidence: evidence.into(),
                score,
                weight,
            },
            hist: if kind.is_some() {
                hist.clone()
            } else {
                Histogram::default()
            },
            kind,
            values,
            slack: 0.0,
        }
    }

    /// `ln P(S ≥ s)` for every recipient's value `s`. A score that no
    /// recipient has above 0 bounds nothing (1): no bound is computed. The
    /// minimum over `λ` is refined only for recipients whose bound, divided
    /// by this score's share, could come within a factor of `e` of `best`
    /// (per recipient, the smallest `ln P − ln w` found so far); any other
    /// recipient gets the grid's looser bound, which cannot decide.
    fn ln_bounds(&self, best: &[f64], grid: usize) -> Vec<f64> {
        let slack = self.slack;
        let Some(kind) = self.kind else {
            return self.values.iter().map(|&s| (slack - s).min(0.0)).collect();
        };
        if self.values.iter().all(|&s| s.is_nan() || s - slack <= 0.0) {
            return vec![0.0; self.values.len()];
        }
        let bounder = Bounder::with_grid(&self.hist, kind, grid);
        let ln_w = self.spec.weight.ln();
        self.values
            .iter()
            .zip(best)
            .map(|(&s, &best)| {
                let s = s - slack;
                if s > 0.0 {
                    bounder.ln_bound_below(s, best + ln_w + 1.0)
                } else {
                    0.0
                }
            })
            .collect()
    }
}

/// [`Tried::ln_bounds`] of every score; for a large leak (`big`) each
/// score is a job for `run`: the bounds take a while, and nothing else is
/// left to do.
fn bound_all(
    run: &dyn Fn(Vec<Job<'_>>),
    tried: &[Tried],
    best: &[f64],
    big: bool,
    grid: usize,
) -> Vec<Vec<f64>> {
    let tasks: Vec<Box<dyn FnOnce() -> Vec<f64> + Send + '_>> = tried
        .iter()
        .map(|t| Box::new(move || t.ln_bounds(best, grid)) as Box<_>)
        .collect();
    run_tasks(run, big, tasks)
}

/// Every recipient's draw and bit at a position.
struct Draws {
    /// Recipients' slots are `slot_base + offsets[r]`.
    slot_base: u32,
    offsets: Vec<usize>,
    /// Whether the slots are close enough to draw the whole span at once.
    dense: bool,
    /// Whether recipient `r` has slot `slot_base + r`: draws are then read
    /// straight from the stream's bytes.
    contiguous: bool,
    draws: Vec<u16>,
    bits: Vec<bool>,
    stream: StreamCache,
}

impl Draws {
    fn new(detector: &Detector) -> Draws {
        let n = detector.recipients.len();
        let (min, max) = detector
            .recipients
            .iter()
            .fold((u32::MAX, 0), |(lo, hi), r| {
                (lo.min(r.slot), hi.max(r.slot))
            });
        let span = if n == 0 { 0 } else { (max - min) as usize + 1 };
        let dense = span <= 1 << 16;
        Draws {
            slot_base: min,
            offsets: detector
                .recipients
                .iter()
                .map(|r| (r.slot - min) as usize)
                .collect(),
            dense,
            contiguous: detector
                .recipients
                .iter()
                .enumerate()
                .all(|(r, rec)| rec.slot == min + r as u32),
            draws: vec![0; if dense { span } else { 0 }],
            bits: vec![false; n],
            stream: StreamCache::default(),
        }
    }

    /// Every recipient's bit at `pos`, into `self.bits`.
    fn bits_at(&mut self, det: &Detector, pos: &Position) {
        let keys = &det.scheme.keys;
        if self.dense {
            pos.draws_cached(keys, &mut self.stream, self.slot_base, &mut self.draws);
            for (bit, &i) in self.bits.iter_mut().zip(&self.offsets) {
                *bit = self.draws[i] < pos.threshold;
            }
        } else {
            for (bit, r) in self.bits.iter_mut().zip(&det.recipients) {
                *bit = pos.bit(keys, r.slot);
            }
        }
    }
}

/// Reads leak rows' positions and draws recipients' bits at them, into a
/// [`Tally`]; an [`Observer`] has one.
struct RowReader<'d> {
    detector: &'d Detector,
    binding: Binding,
    scratch: String,
    buf: RowBuffers,
    tails: RowTails,
    d: Draws,
    /// The current row's readings.
    readings: Vec<Reading>,
    reads: Vec<Read>,
    /// The current row's mixture log-likelihood, per recipient.
    row_mix: Vec<f64>,
    /// Rows past this get no mixture terms.
    mix_rows: u64,
}

impl std::fmt::Debug for RowReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Its buffers hold leak rows: not for logs.
        f.debug_struct("RowReader").finish_non_exhaustive()
    }
}

impl<'d> RowReader<'d> {
    fn new(detector: &'d Detector, binding: Binding) -> RowReader<'d> {
        let n = detector.recipients.len();
        RowReader {
            detector,
            buf: RowBuffers::new(detector.scheme.carriers.len()),
            binding,
            scratch: String::new(),
            tails: RowTails::default(),
            d: Draws::new(detector),
            readings: Vec::new(),
            reads: Vec::new(),
            row_mix: vec![0.0; n],
            mix_rows: detector.mix_rows(),
        }
    }

    /// Reads one leak row into `tally`; `row` is its 1-based number.
    fn observe<'r>(
        &mut self,
        tally: &mut Tally,
        row: u64,
        field: impl Fn(usize) -> &'r str,
    ) -> Result<()> {
        let anchor = self
            .detector
            .scheme
            .row_anchor(&self.binding, &field, &mut self.scratch);
        self.read_anchored(tally, row, anchor, field)
    }

    /// Reads one row whose identity values are given; `None` counts it as
    /// a row without identity.
    fn observe_identified<'r>(
        &mut self,
        tally: &mut Tally,
        row: u64,
        identity: Option<&[&str]>,
        field: impl Fn(usize) -> &'r str,
    ) -> Result<()> {
        let anchor = match identity {
            Some(identity) => self
                .detector
                .scheme
                .anchor_of(identity.iter().copied(), &mut self.scratch),
            None => Err(Error::new(ErrorKind::EmptyIdentity)),
        };
        self.read_anchored(tally, row, anchor, field)
    }

    /// Counts a row and reads it, unless its identity is empty.
    fn read_anchored<'r>(
        &mut self,
        tally: &mut Tally,
        row: u64,
        anchor: Result<Anchor>,
        field: impl Fn(usize) -> &'r str,
    ) -> Result<()> {
        tally.rows_read += 1;
        tally.note_row(row);
        match anchor {
            Ok(anchor) => {
                let identifier = self.detector.scheme.identifier;
                if identifier.is_some_and(|kind| kind.accepts(&self.scratch)) {
                    tally.rows_identity_valid += 1;
                }
                self.read(tally, row, &anchor, field);
                Ok(())
            }
            Err(e) if matches!(e.kind(), ErrorKind::EmptyIdentity) => {
                tally.rows_without_identity += 1;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// The row's readings, scored for every recipient, into `tally`.
    fn read<'r>(
        &mut self,
        tally: &mut Tally,
        row: u64,
        anchor: &Anchor,
        field: impl Fn(usize) -> &'r str,
    ) {
        let det = self.detector;
        let scheme = &det.scheme;
        let k = scheme.carriers.len();
        let n = self.d.bits.len();
        let mut readings = std::mem::take(&mut self.readings);
        readings.clear();
        if let Some(pos) = det.canaries.get(&anchor.key()) {
            // A canary row: whoever leaked held it.
            if pos.active {
                readings.push(Reading {
                    group: k as u16,
                    y: true,
                    pos: pos.clone(),
                });
            }
        }
        let canaries = readings.len();
        scheme.row_positions(&self.binding, anchor, &field, &mut self.buf);
        let (mut q_lo, mut q_hi) = (usize::MAX, 0);
        for (c, slots) in self.buf.slots.iter().enumerate() {
            for (s, slot) in slots.iter().enumerate() {
                // The variant read at the slot, and where the short form of a
                // dotted abbreviation stands, whether it has its dot.
                let dot = self.buf.dot_positions[c][s].as_ref().zip(slot.dot);
                let found = std::iter::once((&self.buf.positions[c][s], slot.value)).chain(dot);
                for (pos, y) in found.filter(|(pos, _)| pos.active) {
                    let q = usize::from(pos.q());
                    (q_lo, q_hi) = (q_lo.min(q), q_hi.max(q));
                    readings.push(Reading {
                        group: c as u16,
                        y,
                        pos: pos.clone(),
                    });
                }
            }
        }
        if readings.is_empty() {
            self.readings = readings;
            return;
        }
        let mixing = n > 0 && row <= self.mix_rows;
        if mixing {
            self.row_mix.fill(0.0);
        }
        if n > 0 {
            for r in &readings[..canaries] {
                self.d.bits_at(det, &r.pos);
                let terms = det.terms(r.pos.threshold, true, true);
                tally
                    .sums
                    .add(k * n, &fixed_terms(&terms), true, &self.d.bits, false);
                if mixing {
                    add_mixture(&mut self.row_mix, &terms, &self.d.bits);
                }
            }
            if readings.len() > canaries {
                self.score_positions(&mut tally.sums, &readings[canaries..], (q_lo, q_hi), mixing);
            }
        }
        self.reads.clear();
        for r in &readings {
            let group = usize::from(r.group);
            tally.counts.push(hist_key(group, r.pos.threshold, r.y));
            self.reads.push(Read {
                q: if group == k { CANARY_Q } else { r.pos.q() },
                row,
                y: r.y,
            });
        }
        if mixing {
            for (m, &x) in tally.mixture.iter_mut().zip(&self.row_mix) {
                *m = m.wrapping_add(mixture_term(x));
            }
            tally.mix_rows += 1;
        }
        tally.record(seal(&scheme.keys, anchor), row, &self.reads);
        self.readings = readings;
    }

    /// Scores `readings`, one row's carrier positions with indices
    /// `q_lo..=q_hi`, for every recipient.
    fn score_positions(
        &mut self,
        sums: &mut Sums,
        readings: &[Reading],
        (q_lo, q_hi): (usize, usize),
        mixing: bool,
    ) {
        let det = self.detector;
        let keys = &det.scheme.keys;
        let d = &mut self.d;
        let n = d.bits.len();
        if d.dense {
            let last = d.slot_base + d.draws.len() as u32 - 1;
            self.tails
                .fill(&mut self.buf.heads, (d.slot_base, last), (q_lo, q_hi));
        }
        for reading in readings {
            let pos = &reading.pos;
            let terms = det.terms(pos.threshold, reading.y, false);
            let fixed = fixed_terms(&terms);
            let at = usize::from(reading.group) * n;
            if d.contiguous {
                let row_mix = &mut self.row_mix;
                pos.draw_runs(&self.tails, d.slot_base, n, |i, bytes| {
                    let row = mixing.then(|| &mut row_mix[i..]);
                    sums.add_draws(at + i, &fixed, &terms, reading.y, pos.threshold, bytes, row);
                });
                continue;
            }
            if d.dense {
                pos.draws_from(&self.tails, d.slot_base, &mut d.draws);
                for (bit, &i) in d.bits.iter_mut().zip(&d.offsets) {
                    *bit = d.draws[i] < pos.threshold;
                }
            } else {
                for (bit, r) in d.bits.iter_mut().zip(&det.recipients) {
                    *bit = pos.bit(keys, r.slot);
                }
            }
            sums.add(at, &fixed, reading.y, &d.bits, false);
            if mixing {
                add_mixture(&mut self.row_mix, &terms, &d.bits);
            }
        }
    }
}

/// What finishing learns from the anchors read more than once: counts,
/// and the terms of every repeated reading, to take back.
struct Correction {
    rows_used: u64,
    repeated: u64,
    conflicting: u64,
    /// The repeated readings' terms, negated.
    sums: Option<Sums>,
    /// The mixture terms of rows that repeat a position, negated.
    mixture: Vec<i64>,
    /// Rows whose mixture terms are taken back.
    mix_rows: u64,
    /// The count keys of the repeated readings.
    removed: Vec<u32>,
}

/// A row anchor's positions, recomputed by the detector from its sealed
/// anchor.
struct AnchorPositions<'d> {
    det: &'d Detector,
    anchor: Anchor,
    heads: RowHeads,
    filled: Option<usize>,
}

impl<'d> AnchorPositions<'d> {
    fn new(det: &'d Detector, sealed: &SealedAnchor) -> AnchorPositions<'d> {
        AnchorPositions {
            det,
            anchor: unseal(&det.scheme.keys, sealed),
            heads: RowHeads::default(),
            filled: None,
        }
    }

    /// The position read as `q` (a canary's presence for [`CANARY_Q`]).
    fn at(&mut self, q: u16) -> Position {
        let scheme = &self.det.scheme;
        if q == CANARY_Q {
            return canary::presence_position(scheme, &self.anchor);
        }
        let q = usize::from(q);
        if self.filled.is_none_or(|f| f < q) {
            // Whole SIMD passes: filling a little further costs nothing.
            let to = (q | 7).max(self.filled.unwrap_or(0));
            self.heads.fill(&scheme.keys, &self.anchor, to);
            self.filled = Some(to);
        }
        scheme.code.position(&self.anchor, q, &self.heads)
    }
}

impl Detector {
    /// Rows up to this get mixture terms.
    fn mix_rows(&self) -> u64 {
        MIX_BUDGET / (self.recipients.len() as u64).max(1)
    }

    /// The group a tally's `q` belongs to.
    fn group_of(&self, q: u16) -> usize {
        let k = self.scheme.carriers.len();
        if q == CANARY_Q {
            k
        } else {
            usize::from(q) % k.max(1)
        }
    }

    /// The order an observer reads a row's positions in: the canary's
    /// presence first, then each carrier's, slot by slot.
    fn reading_order(&self, q: u16) -> (usize, usize) {
        let k = self.scheme.carriers.len().max(1);
        if q == CANARY_Q {
            (0, 0)
        } else {
            (1 + usize::from(q) % k, usize::from(q) / k)
        }
    }

    /// Counts the first readings and repeats of `entries`, and works out
    /// what the repeats added, to take back.
    fn correct(&self, entries: &[Slow<'_>]) -> Correction {
        let n = self.recipients.len();
        let groups = self.scheme.carriers.len() + 1;
        let mut c = Correction {
            rows_used: 0,
            repeated: 0,
            conflicting: 0,
            sums: None,
            mixture: vec![0; n],
            mix_rows: 0,
            removed: Vec::new(),
        };
        let mut draws = Draws::new(self);
        let mut row_mix = vec![0.0; n];
        let mix_rows = self.mix_rows();
        let mut firsts = Vec::new();
        let mut tainted = Vec::new();
        for slow in entries {
            let all = slow.sorted();
            firsts.clear();
            tainted.clear();
            let mut positions = AnchorPositions::new(self, slow.key);
            for run in all.chunk_by(|a, b| a.q == b.q) {
                let first = run[0];
                firsts.push(first.row);
                if run.len() == 1 {
                    continue;
                }
                let pos = positions.at(first.q);
                let group = self.group_of(first.q);
                let canary = first.q == CANARY_Q;
                for r in &run[1..] {
                    c.repeated += 1;
                    c.conflicting += u64::from(r.y != first.y);
                    tainted.push(r.row);
                    c.removed.push(hist_key(group, pos.threshold, r.y));
                    if n > 0 {
                        draws.bits_at(self, &pos);
                        let terms = fixed_terms(&self.terms(pos.threshold, r.y, canary));
                        c.sums.get_or_insert_with(|| Sums::new(groups * n)).add(
                            group * n,
                            &terms,
                            r.y,
                            &draws.bits,
                            true,
                        );
                    }
                }
            }
            firsts.sort_unstable();
            firsts.dedup();
            c.rows_used += firsts.len() as u64;
            tainted.sort_unstable();
            tainted.dedup();
            for &row in tainted.iter().filter(|&&row| n > 0 && row <= mix_rows) {
                // The row's mixture terms as the observer summed them: its
                // readings in the order it read them.
                let mut reads: Vec<Read> = all.iter().filter(|r| r.row == row).copied().collect();
                reads.sort_by_key(|r| self.reading_order(r.q));
                row_mix.fill(0.0);
                for r in &reads {
                    let pos = positions.at(r.q);
                    draws.bits_at(self, &pos);
                    let terms = self.terms(pos.threshold, r.y, r.q == CANARY_Q);
                    add_mixture(&mut row_mix, &terms, &draws.bits);
                }
                for (m, &x) in c.mixture.iter_mut().zip(&row_mix) {
                    *m = m.wrapping_sub(mixture_term(x));
                }
                c.mix_rows += 1;
            }
        }
        c
    }

    /// The first [`EVIDENCE_KEPT`] first readings of `tally`, in the order
    /// an observer reads them.
    fn kept<'t>(&self, tally: &'t Tally) -> Vec<Kept<'t>> {
        // Rows with the anchor's key, and its index in `slow` if it is
        // slow (else `usize::MAX`).
        let slow = tally.slow();
        let mut rows: Vec<(u64, &SealedAnchor, usize)> = Vec::new();
        // A slow anchor's lowest row holds first readings only: listed
        // now. Its other rows may hold some, and are looked at only if
        // the next lowest could be among the rows kept.
        let mut later: Vec<(u64, usize)> = Vec::new();
        for (i, s) in slow.iter().enumerate() {
            let all_rows = std::iter::once(s.first)
                .chain(s.repeats.iter().map(|(_, e)| e))
                .flat_map(|e| {
                    let more = e.more.iter().flat_map(|m| m.iter().map(|r| r.row));
                    std::iter::once(e.row).chain(more)
                });
            let (mut lowest, mut next) = (u64::MAX, u64::MAX);
            for row in all_rows {
                if row < lowest {
                    (lowest, next) = (row, lowest);
                } else if row > lowest && row < next {
                    next = row;
                }
            }
            rows.push((lowest, s.key, i));
            if next != u64::MAX {
                later.push((next, i));
            }
        }
        let is_slow = |key: &SealedAnchor, e: &Entry| {
            e.more.is_some()
                || (!tally.repeats.is_empty()
                    && tally.repeats.binary_search_by(|r| r.0.cmp(key)).is_ok())
        };
        for (key, e) in &tally.entries {
            if !is_slow(key, e) {
                rows.push((e.row, key, usize::MAX));
            }
        }
        // Rows past the EVIDENCE_KEPT-th listed can hold none of the first
        // EVIDENCE_KEPT readings.
        let bar = if rows.len() > EVIDENCE_KEPT {
            rows.select_nth_unstable(EVIDENCE_KEPT).1 .0
        } else {
            u64::MAX
        };
        let mut firsts = Vec::new();
        for &(next, i) in &later {
            if next > bar {
                continue;
            }
            let s = &slow[i];
            firsts.clear();
            firsts.extend(s.sorted().chunk_by(|a, b| a.q == b.q).map(|run| run[0].row));
            firsts.sort_unstable();
            firsts.dedup();
            // The lowest is listed already.
            rows.extend(firsts.iter().skip(1).map(|&row| (row, s.key, i)));
        }
        // Every row listed has a first reading: the first EVIDENCE_KEPT
        // rows hold the first EVIDENCE_KEPT readings.
        if rows.len() > EVIDENCE_KEPT {
            rows.select_nth_unstable(EVIDENCE_KEPT);
            rows.truncate(EVIDENCE_KEPT);
        }
        rows.sort_unstable();
        let mut kept = Vec::new();
        for (row, key, i) in rows {
            let all = match slow.get(i) {
                Some(s) => s.sorted(),
                None => tally.entries[key].sorted(),
            };
            let mut at_row: Vec<Read> = all
                .chunk_by(|a, b| a.q == b.q)
                .map(|run| run[0])
                .filter(|r| r.row == row)
                .collect();
            at_row.sort_by_key(|r| self.reading_order(r.q));
            for r in at_row {
                if kept.len() == EVIDENCE_KEPT {
                    return kept;
                }
                kept.push(Kept {
                    row,
                    group: self.group_of(r.q),
                    q: r.q,
                    y: r.y,
                    key,
                });
            }
        }
        kept
    }
}

/// A first reading kept to name evidence rows for the accused.
struct Kept<'t> {
    row: u64,
    group: usize,
    q: u16,
    y: bool,
    key: &'t SealedAnchor,
}

/// Reads a leak row by row, then [`Observer::finish`] gives the attribution.
pub struct Observer<'d> {
    reader: RowReader<'d>,
    tally: Tally,
}

impl std::fmt::Debug for Observer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observer")
            .field("rows_read", &self.tally.rows_read)
            .finish_non_exhaustive()
    }
}

impl<'d> Observer<'d> {
    /// Reads one leak row; `row` is its 1-based number in the whole leak,
    /// used in evidence and to count each position once (the reading of
    /// the lowest row number counts). Rows whose identity is empty are
    /// counted and skipped.
    pub fn observe<'r>(&mut self, row: u64, field: impl Fn(usize) -> &'r str) -> Result<()> {
        self.reader.observe(&mut self.tally, row, field)
    }

    /// Reads one leak row whose identity values are given (in the policy's
    /// `identity` order) instead of read from the row: for leaks bound with
    /// [`Detector::bind_without_identity`]. The row's own fields supply the
    /// carrier cells. `None` counts the row as one without identity (no
    /// match in the master extract, or an ambiguous one).
    pub fn observe_identified<'r>(
        &mut self,
        row: u64,
        identity: Option<&[&str]>,
        field: impl Fn(usize) -> &'r str,
    ) -> Result<()> {
        self.reader
            .observe_identified(&mut self.tally, row, identity, field)
    }

    /// What the rows read since the observer was bound, or since the last
    /// `take`, gave, as a [`Tally`] to merge with others; the observer goes
    /// on empty. An observer per thread, each taking a tally per batch of
    /// rows, verifies a leak in parallel.
    pub fn take(&mut self) -> Tally {
        let empty = Tally::new(self.reader.detector, &self.reader.binding);
        std::mem::replace(&mut self.tally, empty)
    }

    /// Scores every recipient and bounds the chance of a false accusation:
    /// [`Detector::finish`] of what this observer read.
    pub fn finish(self) -> Attribution {
        self.finish_with(&|jobs: Vec<Job<'_>>| jobs.into_iter().for_each(|job| job()))
    }

    /// [`Observer::finish`], with the work that can run in parallel handed
    /// to `run`: see [`Detector::finish_with`].
    pub fn finish_with(self, run: &dyn Fn(Vec<Job<'_>>)) -> Attribution {
        self.reader
            .detector
            .finish_with(self.tally, run)
            .expect("an observer's tally is its detector's")
    }
}

impl Detector {
    /// Scores every recipient from a tally of a leak's rows (merged from
    /// any number of tallies, see [`Tally`]) and bounds the chance of a
    /// false accusation. Refused if the tally was made by another detector.
    ///
    /// Every recipient gets several scores: over all the evidence (Tardos,
    /// single-leaker, and the mixture score that tolerates rows from
    /// elsewhere), and over each evidence group alone (each carrier column,
    /// the canaries), also complemented (a leaker who flipped every mark of
    /// a column). Each score `i` has a share `w_i` of the false-accusation
    /// budget, fixed before any recipient's bits are looked at (it depends
    /// only on which groups the leak holds), and `Σ w_i = 1`; a recipient's
    /// bound is `N · min_i P_i / w_i`, `P_i` the bound of score `i` and `N`
    /// the recipients compared. That is a union bound over recipients and
    /// scores, so it holds whichever score decides. Each score's bound is
    /// computed for the score less the largest error its fixed-point terms
    /// can add (`2^-33` a term), so it holds for the exact score too.
    pub fn finish(&self, tally: Tally) -> Result<Attribution> {
        self.finish_with(tally, &|jobs: Vec<Job<'_>>| {
            jobs.into_iter().for_each(|job| job())
        })
    }

    /// [`Detector::finish`], with the work that can run in parallel (the
    /// bounds of a large leak's scores, taking back many repeated rows)
    /// handed to `run` as jobs: `run` must run every job once before it
    /// returns, in any order and on any threads. The attribution is the
    /// same whatever `run` does with them. This crate starts no thread: the
    /// caller lends its own.
    pub fn finish_with(&self, tally: Tally, run: &dyn Fn(Vec<Job<'_>>)) -> Result<Attribution> {
        let k = self.scheme.carriers.len();
        let n = self.recipients.len();
        if tally.detector != self.tally_id || tally.recipients != n {
            return Err(Error::state(Msg::CoTallyOther));
        }
        if tally.carriers.len() != k || tally.sums.len() != (k + 1) * n {
            return Err(Error::state(Msg::CoTallyMisfit));
        }
        Ok(self.finish_tally(tally, run))
    }

    fn finish_tally(&self, mut tally: Tally, run: &dyn Fn(Vec<Job<'_>>)) -> Attribution {
        tally.settle();
        tally.sort_repeats();
        let det = self;
        let n = det.recipients.len();
        let k = det.scheme.carriers.len();
        let groups_n = k + 1;
        // Anchors read once need nothing; the others are sorted out, in
        // chunks that may run in parallel: their corrections are integers,
        // summed in any order.
        let slow = tally.slow();
        let mut rows_used = (tally.entries.len() - slow.len()) as u64;
        let tasks: Vec<Box<dyn FnOnce() -> Correction + Send + '_>> = slow
            .chunks(CORRECTION_CHUNK)
            .map(|chunk| Box::new(move || self.correct(chunk)) as Box<_>)
            .collect();
        let spread = tasks.len() > 1;
        let corrections = run_tasks(run, spread, tasks);
        let (mut repeated, mut conflicting) = (0u64, 0u64);
        let mut removed = Vec::new();
        let mut sums = tally.sums.clone();
        for c in corrections {
            rows_used += c.rows_used;
            repeated += c.repeated;
            conflicting += c.conflicting;
            if let Some(s) = &c.sums {
                sums.merge(s);
            }
            for (a, b) in tally.mixture.iter_mut().zip(&c.mixture) {
                *a = a.wrapping_add(*b);
            }
            tally.mix_rows -= c.mix_rows.min(tally.mix_rows);
            removed.extend(c.removed);
        }
        // Per group, the histogram of the positions read.
        removed.sort_unstable();
        let mut removed = removed.chunk_by(|a, b| a == b).peekable();
        let mut by_group = vec![Histogram::default(); groups_n];
        let mut ones = vec![0u64; groups_n];
        let mut group_positions = vec![0u64; groups_n];
        for (key, mut count) in tally.counts.sorted() {
            while removed.next_if(|run| run[0] < key).is_some() {}
            if let Some(run) = removed.next_if(|run| run[0] == key) {
                count = count.saturating_sub(run.len() as u64);
            }
            let g = (key >> 17) as usize;
            if count == 0 || g >= groups_n {
                continue;
            }
            by_group[g].add_n(((key >> 1) & 0xFFFF) as u16, key & 1 == 1, count);
            group_positions[g] += count;
            ones[g] += if key & 1 == 1 { count } else { 0 };
        }
        // Carrier columns the leaker rewrote to one spelling carry no
        // information about who leaked: leave them out.
        let normalised: Vec<bool> = (0..k)
            .map(|c| {
                let reads = group_positions[c];
                let majority = ones[c].max(reads - ones[c]);
                reads >= NORMALISED_MIN && majority as f64 >= NORMALISED_SHARE * reads as f64
            })
            .chain(std::iter::once(false))
            .collect();
        let groups: Vec<usize> = (0..=k)
            .filter(|&g| !normalised[g] && group_positions[g] > 0)
            .collect();
        let mut hist = Histogram::default();
        let mut tardos = vec![0i64; n];
        let mut llr = vec![0i64; n];
        let mut minority = [vec![0i64; n], vec![0i64; n]];
        let mut matches = vec![0u64; n];
        let mut positions = 0u64;
        for &g in &groups {
            hist.merge(&by_group[g]);
            positions += group_positions[g];
            for r in 0..n {
                tardos[r] = tardos[r].wrapping_add(sums.tardos[g * n + r]);
                llr[r] = llr[r].wrapping_add(sums.llr[g * n + r]);
                for (m, s) in minority.iter_mut().zip(&sums.minority) {
                    m[r] = m[r].wrapping_add(s[g * n + r]);
                }
                matches[r] += sums.matches[g * n + r].max(0) as u64;
            }
        }
        let floats = |v: &[i64]| -> Vec<f64> { v.iter().map(|&s| unfixed(s)).collect() };
        let tardos = floats(&tardos);
        let llr = floats(&llr);
        let single_leaker = ScoreKind::SingleLeaker {
            flip_rate: det.scheme.policy.code.flip_rate,
        };
        let carriers = &det.scheme.carriers;
        let group_name = |g: usize| {
            if g == k {
                "canaries".to_string()
            } else {
                carriers[g].name.clone()
            }
        };
        let slack = |terms: u64| terms as f64 * FIXED_HALF_STEP;
        // The scores tried, each with its histogram, the kind its bound is
        // computed for, its values and its share of the budget.
        let mut tried: Vec<Tried> = vec![
            Tried::new(
                "all",
                ScoreName::Tardos,
                &hist,
                Some(ScoreKind::Tardos),
                tardos.clone(),
                WEIGHT_ALL,
            )
            .slack(slack(positions)),
            Tried::new(
                "all",
                ScoreName::SingleLeaker,
                &hist,
                Some(single_leaker),
                llr.clone(),
                WEIGHT_ALL,
            )
            .slack(slack(positions)),
        ];
        let [minority3, minority5] = minority;
        for (values, colluders, name) in [
            (minority3, 3, ScoreName::Minority3),
            (minority5, 5, ScoreName::Minority5),
        ] {
            let kind = ScoreKind::Minority { colluders };
            tried.push(
                Tried::new(
                    "all",
                    name,
                    &hist,
                    Some(kind),
                    floats(&values),
                    WEIGHT_MINORITY,
                )
                .slack(slack(positions)),
            );
        }
        let mixture_rows = tally.mix_rows;
        if mixture_rows > 0 {
            tried.push(
                Tried::new(
                    "all",
                    ScoreName::Mixture,
                    &hist,
                    None,
                    floats(&tally.mixture),
                    WEIGHT_MIXTURE,
                )
                .slack(slack(mixture_rows)),
            );
        }
        let mut by_column = Vec::new();
        let mut by_canary = Vec::new();
        for &g in &groups {
            let of = |v: &[i64]| floats(&v[g * n..(g + 1) * n]);
            let h = &by_group[g];
            let s = slack(group_positions[g]);
            if g == k {
                // Canary rows: the Tardos score (when not already the one
                // over all the evidence) and the single-leaker score that
                // expects no edit, which a leak's canaries cannot have.
                if groups.len() > 1 {
                    by_canary.push(
                        Tried::new(
                            group_name(g),
                            ScoreName::Tardos,
                            h,
                            Some(ScoreKind::Tardos),
                            of(&sums.tardos),
                            0.0,
                        )
                        .slack(s),
                    );
                }
                let strict = ScoreKind::SingleLeaker {
                    flip_rate: CANARY_FLIP,
                };
                by_canary.push(
                    Tried::new(
                        group_name(g),
                        ScoreName::SingleLeakerStrict,
                        h,
                        Some(strict),
                        of(&sums.llr_c),
                        0.0,
                    )
                    .slack(s),
                );
                continue;
            }
            if groups.len() > 1 {
                by_column.push(
                    Tried::new(
                        group_name(g),
                        ScoreName::Tardos,
                        h,
                        Some(ScoreKind::Tardos),
                        of(&sums.tardos),
                        0.0,
                    )
                    .slack(s),
                );
                by_column.push(
                    Tried::new(
                        group_name(g),
                        ScoreName::SingleLeaker,
                        h,
                        Some(single_leaker),
                        of(&sums.llr),
                        0.0,
                    )
                    .slack(s),
                );
            }
            // The complemented Tardos score is the Tardos score negated.
            let flipped = h.complemented();
            let negated = of(&sums.tardos).iter().map(|t| -t).collect();
            by_column.push(
                Tried::new(
                    group_name(g),
                    ScoreName::TardosComplemented,
                    &flipped,
                    Some(ScoreKind::Tardos),
                    negated,
                    0.0,
                )
                .slack(s),
            );
            by_column.push(
                Tried::new(
                    group_name(g),
                    ScoreName::SingleLeakerComplemented,
                    &flipped,
                    Some(single_leaker),
                    of(&sums.llr_c),
                    0.0,
                )
                .slack(s),
            );
        }
        for (scores, budget) in [
            (&mut by_column, WEIGHT_COLUMNS),
            (&mut by_canary, WEIGHT_CANARIES),
        ] {
            let share = budget / scores.len().max(1) as f64;
            for t in scores.iter_mut() {
                t.spec.weight = share;
            }
        }
        tried.extend(by_canary);
        tried.extend(by_column);
        // `ln P_i` per score and recipient.
        let big = hist.distinct() >= PARALLEL_BOUND_TERMS;
        // The scores over all the evidence first, refined for everyone;
        // then the others, refined only where they could decide.
        let all_first = 2;
        let unbounded = vec![f64::INFINITY; n];
        let mut lns = bound_all(run, &tried[..all_first], &unbounded, big, bound::GRID);
        let best: Vec<f64> = (0..n)
            .map(|r| {
                lns.iter()
                    .zip(&tried)
                    .map(|(ln, t)| ln[r] - t.spec.weight.ln())
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        lns.extend(bound_all(
            run,
            &tried[all_first..],
            &best,
            big,
            bound::COARSE_GRID,
        ));
        let union = (det.comparisons as f64).ln();
        let mut ranked: Vec<RecipientScore> = det
            .recipients
            .iter()
            .enumerate()
            .map(|(r, rec)| {
                let (best, ln) = lns
                    .iter()
                    .zip(&tried)
                    .map(|(ln, t)| ln[r] - t.spec.weight.ln())
                    .enumerate()
                    .fold(
                        (0, f64::INFINITY),
                        |acc, x| if x.1 < acc.1 { x } else { acc },
                    );
                let ln = (ln + union).min(0.0);
                RecipientScore {
                    recipient: rec.id.clone(),
                    slot: rec.slot,
                    score: tardos[r],
                    single_leaker_score: llr[r],
                    matching_positions: matches[r],
                    false_accusation_bound: ln.exp(),
                    false_accusation_bound_log10: ln / std::f64::consts::LN_10,
                    decided_by: tried[best].spec.clone(),
                    accused: false,
                    evidence: Vec::new(),
                }
            })
            .collect();
        ranked.sort_by(|a, b| {
            a.false_accusation_bound_log10
                .total_cmp(&b.false_accusation_bound_log10)
                .then(b.score.total_cmp(&a.score))
                .then(a.recipient.cmp(&b.recipient))
        });
        let mut kept = None;
        for r in &mut ranked {
            r.accused = positions > 0 && r.false_accusation_bound <= det.threshold;
            if r.accused {
                let kept = kept.get_or_insert_with(|| det.kept(&tally));
                r.evidence = det.evidence_for(r.slot, &normalised, kept);
            }
        }
        let present = &tally.carriers;
        Attribution {
            rows_read: tally.rows_read,
            rows_used,
            rows_without_identity: tally.rows_without_identity,
            identifier: det.scheme.identifier,
            rows_identifier_valid: tally.rows_identity_valid,
            positions_read: positions,
            canaries_found: group_positions[k],
            canaries_known: det.canaries.len() as u64,
            columns_normalised: carriers
                .iter()
                .zip(&normalised)
                .filter(|(_, &n)| n)
                .map(|(c, _)| c.name.clone())
                .collect(),
            positions_by_column: carriers
                .iter()
                .zip(&group_positions)
                .zip(present)
                .filter(|(_, &present)| present)
                .map(|((c, &n), _)| ColumnCount {
                    column: c.name.clone(),
                    positions: n,
                })
                .collect(),
            columns_missing: carriers
                .iter()
                .zip(present)
                .filter(|(_, &present)| !present)
                .map(|(c, _)| c.name.clone())
                .collect(),
            repeated_positions: repeated,
            conflicting_positions: conflicting,
            mixture_rows,
            threshold: det.threshold,
            comparisons: det.comparisons,
            scores_per_recipient: tried.len() as u32,
            scores: tried.into_iter().map(|t| t.spec).collect(),
            key_id: det.scheme.keys.key_id().to_hex(),
            policy_digest: det.scheme.policy.digest(),
            accused: ranked.iter().filter(|r| r.accused).cloned().collect(),
            recipients: ranked,
        }
    }

    fn evidence_for(&self, slot: u32, normalised: &[bool], kept: &[Kept<'_>]) -> Vec<Evidence> {
        let keys = &self.scheme.keys;
        let carriers = &self.scheme.carriers;
        let canary_group = carriers.len();
        let position = |k: &Kept<'_>| AnchorPositions::new(self, k.key).at(k.q);
        let agrees = |k: &&Kept<'_>| !normalised[k.group] && position(k).bit(keys, slot) == k.y;
        let evidence = |k: &Kept<'_>| {
            let canary = k.group == canary_group;
            Evidence {
                row: k.row,
                column: if canary {
                    String::new()
                } else {
                    carriers[k.group].name.clone()
                },
                canary,
                bit: u8::from(k.y),
                bias: position(k).p(),
            }
        };
        // Canary rows first: each is a whole row that only some copies hold.
        let canaries = kept
            .iter()
            .filter(|k| k.group == canary_group)
            .filter(agrees)
            .take(EVIDENCE_SHOWN);
        let marks = kept
            .iter()
            .filter(|k| k.group < canary_group)
            .filter(agrees);
        canaries
            .chain(marks)
            .take(EVIDENCE_SHOWN)
            .map(evidence)
            .collect()
    }
}

/// Positions read in one carrier column.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ColumnCount {
    /// The column.
    pub column: String,
    /// Distinct positions read in it.
    pub positions: u64,
}

/// A leak row whose mark agrees with a recipient's copy: a carrier cell's
/// mark, or a canary row the copy holds.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Evidence {
    /// 1-based data row of the leak.
    pub row: u64,
    /// The carrier column (empty for a canary row).
    pub column: String,
    /// Whether the row is a canary: a synthetic person only some copies hold.
    pub canary: bool,
    /// The bit read there.
    pub bit: u8,
    /// The chance that a copy holds bit 1 at that position.
    pub bias: f64,
}

/// A score tried for every recipient, and its share of the
/// false-accusation budget.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ScoreTried {
    /// What it sums over: `all`, `canaries` or a carrier column's name.
    pub evidence: String,
    /// Which score.
    pub score: ScoreName,
    /// Its share of the budget: a recipient's bound for it is `N / weight`
    /// times its tail probability, `N` the recipients compared.
    pub weight: f64,
}

/// The scores a recipient gets; see [`Observer::finish`].
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ScoreName {
    /// Symmetric Tardos score: collusion-resistant.
    Tardos,
    /// Likelihood ratio of one leaker with a few edits: names a lone
    /// leaker from fewer rows.
    SingleLeaker,
    /// The single-leaker score that expects no edit (flip rate 0.01), for
    /// the canary rows: a leak holds a canary only if a leaker's copy did.
    SingleLeakerStrict,
    /// The Tardos score of the leak with every mark read flipped.
    TardosComplemented,
    /// The single-leaker score of the leak with every mark read flipped.
    SingleLeakerComplemented,
    /// Likelihood ratio of "one of 3 colluders who publish the minority
    /// spelling wherever their copies differ".
    Minority3,
    /// The same for a coalition of 5.
    Minority5,
    /// Per row, the likelihood that it comes from the recipient's copy
    /// (with probability 0.1) or from elsewhere: tolerates a leak padded
    /// with rows that were never marked.
    Mixture,
}

/// One recipient's result.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RecipientScore {
    /// The recipient's id.
    pub recipient: String,
    /// The recipient's code slot.
    pub slot: u32,
    /// Symmetric Tardos score (0 on average for an innocent recipient).
    pub score: f64,
    /// Single-leaker log-likelihood ratio, in nats.
    pub single_leaker_score: f64,
    /// Positions where the leak reads this recipient's bit.
    pub matching_positions: u64,
    /// An upper bound on the chance that any recipient who did not leak would
    /// score this high, counting every recipient compared and both scores.
    pub false_accusation_bound: f64,
    /// The same bound as a base-10 logarithm (≤ 0). It stays exact where
    /// the bound itself is too small for a 64-bit float and reads 0, as it
    /// does for a whole leaked copy: −144000 means at most 1e-144000.
    pub false_accusation_bound_log10: f64,
    /// The score whose bound is the smallest once divided by its share of
    /// the budget: the evidence that decides.
    pub decided_by: ScoreTried,
    /// Whether the bound is at most the threshold.
    pub accused: bool,
    /// For the accused: leak rows whose marks agree with this copy.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
}

impl RecipientScore {
    /// The bound as a decimal: the shortest that reads back as
    /// `false_accusation_bound` (`3.6e-34`), or, where that is 0 because the
    /// bound is below the smallest 64-bit float, one written from
    /// `false_accusation_bound_log10` with its first digits rounded up, so
    /// that it is still a bound (`2.1e-144000`).
    pub fn bound_decimal(&self) -> String {
        let p = self.false_accusation_bound;
        if p >= f64::MIN_POSITIVE {
            return format!("{p:e}");
        }
        rounded_up(self.false_accusation_bound_log10)
    }

    /// The bound to two significant digits, rounded up so that it is still
    /// a bound, whatever its size: `3.6e-36`, `2.1e-144000`, `1e0`.
    pub fn bound_short(&self) -> String {
        rounded_up(self.false_accusation_bound_log10)
    }
}

/// `10^l` to two significant digits, the second rounded up.
fn rounded_up(l: f64) -> String {
    let mut e = l.floor();
    let mut m = (10f64.powf(l - e) * 10.0).ceil() / 10.0;
    if m >= 10.0 {
        m = 1.0;
        e += 1.0;
    }
    format!("{m}e{e}")
}

/// The outcome of attributing one leak.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[non_exhaustive]
pub struct Attribution {
    /// Data rows read.
    pub rows_read: u64,
    /// Rows that contributed at least one new position.
    pub rows_used: u64,
    /// Rows skipped because their identity was empty.
    pub rows_without_identity: u64,
    /// The registry identifier the policy's identity column holds, if any.
    pub identifier: Option<crate::scheme::IdentifierKind>,
    /// Rows whose identity value, read by its structure, is a valid
    /// identifier of that kind. Far fewer than the rows read means the
    /// identity column was altered or is not the policy's: rows whose
    /// identity differs from the extract's carry no readable mark.
    pub rows_identifier_valid: u64,
    /// Distinct positions read and scored, each counted once (canaries
    /// included, normalised columns not).
    pub positions_read: u64,
    /// Canary rows found in the leak (each a position read as 1).
    pub canaries_found: u64,
    /// Canaries the detector looked for.
    pub canaries_known: u64,
    /// Carrier columns left out because the leak writes them in one
    /// spelling throughout (the leaker normalised them).
    pub columns_normalised: Vec<String>,
    /// Positions per carrier column present in the leak.
    pub positions_by_column: Vec<ColumnCount>,
    /// Carrier columns of the policy that the leak does not have.
    pub columns_missing: Vec<String>,
    /// Positions seen again (repeated rows); not counted twice.
    pub repeated_positions: u64,
    /// Repeated positions that read a different bit (a mix of copies).
    pub conflicting_positions: u64,
    /// Rows the mixture score counted: those whose every position was read
    /// for the first time, up to a budget of rows times recipients.
    pub mixture_rows: u64,
    /// The accusation threshold.
    pub threshold: f64,
    /// Recipients compared (the union bound's factor).
    pub comparisons: u64,
    /// Scores tried per recipient.
    pub scores_per_recipient: u32,
    /// The scores tried, with their shares of the budget.
    pub scores: Vec<ScoreTried>,
    /// Id of the key the copies were marked with.
    pub key_id: String,
    /// Digest of the policy the copies were marked with.
    pub policy_digest: String,
    /// Recipients whose bound is at most the threshold, strongest first.
    pub accused: Vec<RecipientScore>,
    /// Every recipient, strongest evidence first.
    pub recipients: Vec<RecipientScore>,
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Counts kept as a list, as a table, or both, come out the same.
        #[test]
        fn listed_and_tabled_counts_agree(
            groups in 1usize..4,
            raw in proptest::collection::vec((0usize..4, 0u16..40, proptest::bool::ANY), 0..300),
            split in 0usize..300,
        ) {
            let keys: Vec<u32> = raw
                .iter()
                .map(|&(g, t, y)| hist_key(g % groups, t * 1500, y))
                .collect();
            let mut listed = Counts::default();
            keys.iter().for_each(|&k| listed.push(k));
            let mut tabled = Counts { keys: Vec::new(), table: vec![0; groups << 17] };
            let mut mixed = Counts { keys: Vec::new(), table: vec![0; groups << 17] };
            for (i, &k) in keys.iter().enumerate() {
                tabled.table[k as usize] += 1;
                if i < split {
                    mixed.table[k as usize] += 1;
                } else {
                    mixed.push(k);
                }
            }
            let want = listed.sorted();
            proptest::prop_assert_eq!(want.iter().map(|c| c.1).sum::<u64>(), keys.len() as u64);
            proptest::prop_assert!(want.windows(2).all(|w| w[0].0 < w[1].0));
            proptest::prop_assert_eq!(&tabled.sorted(), &want);
            proptest::prop_assert_eq!(&mixed.sorted(), &want);
        }
    }

    #[test]
    fn fixed_point_terms_round_to_the_nearest_step() {
        let halves = [2.5, -2.5, 3.5].map(|h| h / FIXED_ONE);
        for t in [
            0.0,
            1.0,
            -1.0,
            0.3,
            -2.75,
            255.999,
            1e-12,
            1e6 + 0.1,
            -7e5 - 0.3,
        ]
        .into_iter()
        .chain(halves)
        {
            let back = unfixed(fixed(t));
            assert!(
                (back - t).abs() <= FIXED_HALF_STEP * (1.0 + 1e-9),
                "{t}: {back}"
            );
        }
        // Sums wrap, so only the final sum must fit: adding and taking back
        // past the range gives the exact sum.
        let big = fixed(2.0e9);
        let s = big.wrapping_add(big).wrapping_add(big.wrapping_neg());
        assert_eq!(s, big);
    }
}
