//! Detection: reading the slots of a leak and scoring every recipient.

use std::collections::hash_map::Entry;

use rustc_hash::FxHashMap;

use serde::Serialize;

use crate::bound::{self, Bounder, Histogram, ScoreKind};
use crate::canary::{self, CanaryList};
use crate::code::{Anchor, Position, RowTails, StreamCache};
use crate::error::{Error, ErrorKind, Result};
use crate::key::MasterKey;
use crate::policy::Policy;
use crate::scheme::{Binding, Recipient, RowBuffers, Scheme};

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
        let key = self.key.ok_or_else(|| Error::key("no master key given"))?;
        let policy = self
            .policy
            .ok_or_else(|| Error::policy("no policy given"))?;
        let threshold = self.threshold.unwrap_or(policy.threshold);
        if !(threshold > 0.0 && threshold < 1.0) {
            return Err(Error::policy("the threshold must be between 0 and 1"));
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
                return Err(Error::policy(
                    "a canary list was made under another key or policy",
                ));
            }
            for anchor in canary::canary_anchors(&scheme, list)? {
                let pos = canary::presence_position(&scheme, &anchor);
                canaries.insert(anchor.key(), pos);
            }
        }
        Ok(Detector {
            scheme,
            recipients,
            comparisons,
            threshold,
            canaries,
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
        let k = self.scheme.carriers.len();
        let reader = RowReader::new(self, binding);
        Ok(Observer {
            pending: reader.batch(),
            pending_rows: 0,
            reader,
            seen: FxHashMap::default(),
            seen_far: FxHashMap::default(),
            hist_keys: Vec::new(),
            ones: vec![0; k + 1],
            outcomes: Vec::new(),
            sums: Sums::new((k + 1) * self.recipients.len()),
            canaries_found: 0,
            rows_read: 0,
            rows_used: 0,
            last_used: None,
            rows_without_identity: 0,
            rows_identity_valid: 0,
            per_carrier: vec![0; k],
            repeated: 0,
            conflicting: 0,
            kept: Vec::new(),
            mixture: vec![0.0; self.recipients.len()],
            mixture_rows: 0,
            tainted: Vec::new(),
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

/// Rows per batch. Recipients' scores are summed per batch and the batches
/// merged in order, so a result's digits do not depend on how many threads
/// read the batches.
pub const BATCH_ROWS: usize = 1024;

/// From this many distinct `(bias, bit)` pairs read on, the two scores'
/// bounds are computed on two threads.
const PARALLEL_BOUND_TERMS: usize = 4096;

/// From `groups << HIST_DENSE_SHIFT` positions read on, the histograms are
/// counted in a table of all `groups << 17` keys rather than sorted.
const HIST_DENSE_SHIFT: usize = 15;

/// Adds `n` positions of a `group << 17 | threshold << 1 | y` key.
fn add_key(hist: &mut [Histogram], key: u32, n: u64) {
    hist[(key >> 17) as usize].add_n(((key >> 1) & 0xFFFF) as u16, key & 1 == 1, n);
}

/// Per group, the histogram of `keys`, by sorting them.
fn sorted_histograms(keys: &mut [u32], groups: usize) -> Vec<Histogram> {
    let mut hist = vec![Histogram::default(); groups];
    keys.sort_unstable();
    for run in keys.chunk_by(|a, b| a == b) {
        add_key(&mut hist, run[0], run.len() as u64);
    }
    hist
}

/// [`sorted_histograms`] by counting into a table of every key, in key
/// order: for millions of keys, sorting took a quarter of the finish.
fn dense_histograms(keys: &[u32], groups: usize) -> Vec<Histogram> {
    let mut hist = vec![Histogram::default(); groups];
    let mut counts = vec![0u64; groups << 17];
    for &key in keys {
        counts[key as usize] += 1;
    }
    for (key, &n) in counts.iter().enumerate() {
        add_key(&mut hist, key as u32, n);
    }
    hist
}

/// A position read in a leak row, and the bit the row holds there.
struct Reading {
    row: u64,
    /// The carrier's index, or the number of carriers for a canary.
    group: u16,
    y: bool,
    pos: Position,
}

/// A position's score terms, see [`Detector::terms`].
type Terms = [f64; 12];

/// Per recipient and group (`group * n + r`): the scores and the positions
/// that match. The complemented Tardos score is the Tardos score negated.
#[derive(Clone, Debug)]
struct Sums {
    tardos: Vec<f64>,
    llr: Vec<f64>,
    /// The single-leaker score of the complemented readings; for the
    /// canary group, the single-leaker score with [`CANARY_FLIP`].
    llr_c: Vec<f64>,
    /// The minority-vote scores for coalitions of 3 and of 5.
    minority: [Vec<f64>; 2],
    matches: Vec<i64>,
}

impl Sums {
    fn new(len: usize) -> Sums {
        Sums {
            tardos: vec![0.0; len],
            llr: vec![0.0; len],
            llr_c: vec![0.0; len],
            minority: [vec![0.0; len], vec![0.0; len]],
            matches: vec![0; len],
        }
    }

    fn merge(&mut self, other: &Sums) {
        for (a, b) in self.tardos.iter_mut().zip(&other.tardos) {
            *a += b;
        }
        for (a, b) in self.llr.iter_mut().zip(&other.llr) {
            *a += b;
        }
        for (a, b) in self.llr_c.iter_mut().zip(&other.llr_c) {
            *a += b;
        }
        for (mine, theirs) in self.minority.iter_mut().zip(&other.minority) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a += b;
            }
        }
        for (a, b) in self.matches.iter_mut().zip(&other.matches) {
            *a += b;
        }
    }

    /// Adds (or, `remove`, takes back) one position's contributions, `bits`
    /// being every recipient's bit there; with `row`, also adds each
    /// recipient's mixture term to its row's (same offsets as `bits`).
    #[inline]
    fn add(
        &mut self,
        at: usize,
        terms: Terms,
        y: bool,
        bits: &[bool],
        remove: bool,
        row: Option<&mut [f64]>,
    ) {
        // Adding -a is subtracting a, exactly.
        let terms = if remove { terms.map(|t| -t) } else { terms };
        self.add_bits(at, terms, y, bits, if remove { -1 } else { 1 });
        if let Some(row) = row {
            add_mixture(row, terms, bits);
        }
    }

    /// [`Sums::add`] for recipients `at..` whose draws are `bytes`
    /// (little-endian `u16`, bit 1 below `threshold`), their row's mixture
    /// terms in `row`.
    #[inline]
    fn add_draws(
        &mut self,
        at: usize,
        terms: Terms,
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
            self.add_bits(at + first, terms, y, bits, 1);
            if let Some(row) = row.as_deref_mut() {
                add_mixture(&mut row[first..], terms, bits);
            }
        }
    }

    /// Adds the terms of recipients `at..at + bits.len()`, and `sign` to
    /// the matching positions of those whose bit is `y`. One loop per sum,
    /// branch-free, so each vectorises.
    #[inline]
    fn add_bits(&mut self, at: usize, terms: Terms, y: bool, bits: &[bool], sign: i64) {
        let n = bits.len();
        let [ta, tb, la, lb, ca, cb, a3, b3, a5, b5, ..] = terms;
        let [m3, m5] = &mut self.minority;
        for (sums, a, b) in [
            (&mut self.tardos, ta, tb),
            (&mut self.llr, la, lb),
            (&mut self.llr_c, ca, cb),
            (m3, a3, b3),
            (m5, a5, b5),
        ] {
            for (s, &bit) in sums[at..at + n].iter_mut().zip(bits) {
                *s += if bit { a } else { b };
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
fn add_mixture(row: &mut [f64], terms: Terms, bits: &[bool]) {
    let [.., ma, mb] = terms;
    for (m, &bit) in row[..bits.len()].iter_mut().zip(bits) {
        *m += if bit { ma } else { mb };
    }
}

/// What a batch of leak rows gave: the positions read, in row order, and
/// every recipient's scores summed over all of them (repeats included; the
/// [`Observer`] takes those back).
pub struct ReadBatch {
    readings: Vec<Reading>,
    sums: Sums,
    /// Per row in `mix_rows`, every recipient's mixture term.
    mix: Vec<f64>,
    /// The rows that have mixture terms, in order.
    mix_rows: Vec<u64>,
    rows_read: u64,
    rows_without_identity: u64,
    rows_identity_valid: u64,
}

impl std::fmt::Debug for ReadBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadBatch")
            .field("rows_read", &self.rows_read)
            .field("readings", &self.readings.len())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for RowReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Its buffers hold leak rows: not for logs.
        f.debug_struct("RowReader").finish_non_exhaustive()
    }
}

/// Reads leak rows' positions and draws recipients' bits at them; one per
/// thread. Made by [`Observer::reader`].
pub struct RowReader<'d> {
    detector: &'d Detector,
    binding: Binding,
    scratch: String,
    buf: RowBuffers,
    tails: RowTails,
    stream: StreamCache,
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
    /// The current row's mixture log-likelihood, per recipient.
    row_mix: Vec<f64>,
    /// Rows past this get no mixture terms.
    mix_rows: u64,
}

impl<'d> RowReader<'d> {
    fn new(detector: &'d Detector, binding: Binding) -> RowReader<'d> {
        let n = detector.recipients.len();
        let (min, max) = detector
            .recipients
            .iter()
            .fold((u32::MAX, 0), |(lo, hi), r| {
                (lo.min(r.slot), hi.max(r.slot))
            });
        let span = if n == 0 { 0 } else { (max - min) as usize + 1 };
        let dense = span <= 1 << 16;
        RowReader {
            detector,
            buf: RowBuffers::new(detector.scheme.carriers.len()),
            binding,
            scratch: String::new(),
            tails: RowTails::default(),
            stream: StreamCache::default(),
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
            row_mix: vec![0.0; n],
            mix_rows: MIX_BUDGET / (n as u64).max(1),
        }
    }

    /// Another reader for the same leak, for another thread.
    pub fn fork(&self) -> RowReader<'d> {
        RowReader::new(self.detector, self.binding.clone())
    }

    /// An empty batch.
    pub fn batch(&self) -> ReadBatch {
        let groups = self.detector.scheme.carriers.len() + 1;
        ReadBatch {
            readings: Vec::new(),
            sums: Sums::new(groups * self.detector.recipients.len()),
            mix: Vec::new(),
            mix_rows: Vec::new(),
            rows_read: 0,
            rows_without_identity: 0,
            rows_identity_valid: 0,
        }
    }

    /// Reads one leak row into `batch`; `row` is its 1-based number.
    pub fn observe<'r>(
        &mut self,
        batch: &mut ReadBatch,
        row: u64,
        field: impl Fn(usize) -> &'r str,
    ) -> Result<()> {
        let anchor = self
            .detector
            .scheme
            .row_anchor(&self.binding, &field, &mut self.scratch);
        self.read_anchored(batch, row, anchor, field)
    }

    /// Reads one row whose identity values are given; `None` counts it as
    /// a row without identity.
    fn observe_identified<'r>(
        &mut self,
        batch: &mut ReadBatch,
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
        self.read_anchored(batch, row, anchor, field)
    }

    /// Counts a row and reads it, unless its identity is empty.
    fn read_anchored<'r>(
        &mut self,
        batch: &mut ReadBatch,
        row: u64,
        anchor: Result<Anchor>,
        field: impl Fn(usize) -> &'r str,
    ) -> Result<()> {
        batch.rows_read += 1;
        match anchor {
            Ok(anchor) => {
                let identifier = self.detector.scheme.identifier;
                if identifier.is_some_and(|kind| kind.accepts(&self.scratch)) {
                    batch.rows_identity_valid += 1;
                }
                self.read(batch, row, &anchor, field);
                Ok(())
            }
            Err(e) if matches!(e.kind(), ErrorKind::EmptyIdentity) => {
                batch.rows_without_identity += 1;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// The row's readings, scored for every recipient.
    fn read<'r>(
        &mut self,
        batch: &mut ReadBatch,
        row: u64,
        anchor: &Anchor,
        field: impl Fn(usize) -> &'r str,
    ) {
        let det = self.detector;
        let scheme = &det.scheme;
        let k = scheme.carriers.len();
        let n = self.bits.len();
        let row_start = batch.readings.len();
        let mixing = n > 0 && row <= self.mix_rows;
        if mixing {
            self.row_mix.fill(0.0);
        }
        if let Some(pos) = det.canaries.get(&anchor.key()) {
            // A canary row: whoever leaked held it.
            if pos.active {
                self.bits_at(pos);
                let terms = det.terms(pos.threshold, true, true);
                let row_mix = mixing.then_some(&mut self.row_mix[..]);
                batch
                    .sums
                    .add(k * n, terms, true, &self.bits, false, row_mix);
                batch.readings.push(Reading {
                    row,
                    group: k as u16,
                    y: true,
                    pos: pos.clone(),
                });
            }
        }
        scheme.row_positions(&self.binding, anchor, &field, &mut self.buf);
        let start = batch.readings.len();
        let (mut q_lo, mut q_hi) = (usize::MAX, 0);
        for (c, slots) in self.buf.slots.iter().enumerate() {
            for (s, slot) in slots.iter().enumerate() {
                // The variant read at the slot, and where the short form of a
                // dotted abbreviation stands, whether it has its dot.
                let dot = self.buf.dot_positions[c][s].as_ref().zip(slot.dot);
                let readings = std::iter::once((&self.buf.positions[c][s], slot.value)).chain(dot);
                for (pos, y) in readings.filter(|(pos, _)| pos.active) {
                    let q = usize::from(pos.q());
                    (q_lo, q_hi) = (q_lo.min(q), q_hi.max(q));
                    batch.readings.push(Reading {
                        row,
                        group: c as u16,
                        y,
                        pos: pos.clone(),
                    });
                }
            }
        }
        if batch.readings.len() > start && n > 0 {
            self.score_positions(batch, start, (q_lo, q_hi), mixing);
        }
        if mixing && batch.readings.len() > row_start {
            // ln(1 − α + α·L) per recipient, L the row's likelihood ratio;
            // rounded down where L is negligible, which only lowers the score.
            let floor = (1.0 - MIX_SHARE).ln();
            batch.mix.extend(self.row_mix.iter().map(|&x| {
                if x < -30.0 {
                    floor
                } else {
                    (1.0 - MIX_SHARE + MIX_SHARE * x.exp()).ln()
                }
            }));
            batch.mix_rows.push(row);
        }
    }

    /// Scores readings `start..` of `batch`, one row's carrier positions
    /// with indices `q_lo..=q_hi`, for every recipient.
    fn score_positions(
        &mut self,
        batch: &mut ReadBatch,
        start: usize,
        (q_lo, q_hi): (usize, usize),
        mixing: bool,
    ) {
        let det = self.detector;
        let keys = &det.scheme.keys;
        let n = self.bits.len();
        if self.dense {
            let last = self.slot_base + self.draws.len() as u32 - 1;
            self.tails
                .fill(&mut self.buf.heads, (self.slot_base, last), (q_lo, q_hi));
        }
        for reading in &batch.readings[start..] {
            let pos = &reading.pos;
            let terms = det.terms(pos.threshold, reading.y, false);
            let at = usize::from(reading.group) * n;
            if self.contiguous {
                let sums = &mut batch.sums;
                let row_mix = &mut self.row_mix;
                pos.draw_runs(&self.tails, self.slot_base, n, |i, bytes| {
                    let row = mixing.then(|| &mut row_mix[i..]);
                    sums.add_draws(at + i, terms, reading.y, pos.threshold, bytes, row);
                });
                continue;
            }
            if self.dense {
                pos.draws_from(&self.tails, self.slot_base, &mut self.draws);
                for (bit, &i) in self.bits.iter_mut().zip(&self.offsets) {
                    *bit = self.draws[i] < pos.threshold;
                }
            } else {
                for (bit, r) in self.bits.iter_mut().zip(&det.recipients) {
                    *bit = pos.bit(keys, r.slot);
                }
            }
            let row_mix = mixing.then_some(&mut self.row_mix[..]);
            batch
                .sums
                .add(at, terms, reading.y, &self.bits, false, row_mix);
        }
    }

    /// Every recipient's bit at `pos`, into `self.bits`.
    fn bits_at(&mut self, pos: &Position) {
        let det = self.detector;
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

/// Records a position as read, in its row's `seen` (or by id in `far` past
/// index 31); if it was read before, whether the bit read then differs.
fn first_read(
    seen: &mut SeenRow,
    far: &mut FxHashMap<u128, bool>,
    pos: &Position,
    y: bool,
) -> std::result::Result<(), bool> {
    let q = pos.q();
    if q >= 32 {
        return match far.entry(pos.id()) {
            Entry::Occupied(e) => Err(*e.get() != y),
            Entry::Vacant(e) => {
                e.insert(y);
                Ok(())
            }
        };
    }
    let read = 1u64 << q;
    let one = read << 32;
    if seen.0 & read != 0 {
        return Err((seen.0 & one != 0) != y);
    }
    seen.0 |= read;
    if y {
        seen.0 |= one;
    }
    Ok(())
}

/// Which positions of a row were read, a bit per position index below 32,
/// and above them the bits read there. Keyed by 64 bits of the row's anchor
/// (the chance that any two of 4 million rows share them is about 4 in 10
/// million); two rows that did would only lose positions, which never
/// strengthens an accusation.
#[derive(Clone, Copy, Default)]
struct SeenRow(u64);

struct Kept {
    row: u64,
    carrier: u16,
    y: bool,
    pos: Position,
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
}

impl Tried {
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
        }
    }

    /// `ln P(S ≥ s)` for every recipient's value `s`. A score that no
    /// recipient has above 0 bounds nothing (1): no bound is computed. The
    /// minimum over `λ` is refined only for recipients whose bound, divided
    /// by this score's share, could come within a factor of `e` of `best`
    /// (per recipient, the smallest `ln P − ln w` found so far); any other
    /// recipient gets the grid's looser bound, which cannot decide.
    fn ln_bounds(&self, best: &[f64], grid: usize) -> Vec<f64> {
        let Some(kind) = self.kind else {
            return self.values.iter().map(|&s| (-s).min(0.0)).collect();
        };
        if self.values.iter().all(|&s| s.is_nan() || s <= 0.0) {
            return vec![0.0; self.values.len()];
        }
        let bounder = Bounder::with_grid(&self.hist, kind, grid);
        let ln_w = self.spec.weight.ln();
        self.values
            .iter()
            .zip(best)
            .map(|(&s, &best)| {
                if s > 0.0 {
                    bounder.ln_bound_below(s, best + ln_w + 1.0)
                } else {
                    0.0
                }
            })
            .collect()
    }
}

/// [`Tried::ln_bounds`] of every score, on two threads for a large leak
/// (`big`): the bounds take a while, and nothing else is left to run.
fn bound_all(tried: &[Tried], best: &[f64], big: bool, grid: usize) -> Vec<Vec<f64>> {
    if !big || tried.len() < 2 {
        return tried.iter().map(|t| t.ln_bounds(best, grid)).collect();
    }
    let half = tried.len() / 2;
    let (first, second) = tried.split_at(half);
    let (mut first, second) = std::thread::scope(|s| {
        let second = s.spawn(|| {
            second
                .iter()
                .map(|t| t.ln_bounds(best, grid))
                .collect::<Vec<_>>()
        });
        let first: Vec<_> = first.iter().map(|t| t.ln_bounds(best, grid)).collect();
        let second = second
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (first, second)
    });
    first.extend(second);
    first
}

/// Reads a leak row by row, then [`Observer::finish`] gives the attribution.
pub struct Observer<'d> {
    reader: RowReader<'d>,
    /// Rows read since the last batch was taken in.
    pending: ReadBatch,
    pending_rows: usize,
    /// Positions read, per row anchor; positions past index 31 by id.
    seen: FxHashMap<u64, SeenRow>,
    seen_far: FxHashMap<u128, bool>,
    /// Per position read, `group << 17 | threshold << 1 | y`: counted into
    /// histograms at the end (a table per group would miss the cache).
    hist_keys: Vec<u32>,
    /// Per group (each carrier, then canaries), how many read 1.
    ones: Vec<u64>,
    outcomes: Vec<std::result::Result<(), bool>>,
    sums: Sums,
    canaries_found: u64,
    rows_read: u64,
    rows_used: u64,
    last_used: Option<u64>,
    rows_without_identity: u64,
    rows_identity_valid: u64,
    per_carrier: Vec<u64>,
    repeated: u64,
    conflicting: u64,
    kept: Vec<Kept>,
    /// Per recipient, the mixture score over the rows whose every position
    /// was read here first.
    mixture: Vec<f64>,
    mixture_rows: u64,
    /// Rows of the batch being taken in that repeat a position.
    tainted: Vec<u64>,
}

impl std::fmt::Debug for Observer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observer")
            .field("rows_read", &(self.rows_read + self.pending.rows_read))
            .field("rows_used", &self.rows_used)
            .finish_non_exhaustive()
    }
}

impl<'d> Observer<'d> {
    /// Reads one leak row; `row` is its 1-based number, used in evidence.
    /// Rows whose identity is empty are counted and skipped.
    pub fn observe<'r>(&mut self, row: u64, field: impl Fn(usize) -> &'r str) -> Result<()> {
        self.reader.observe(&mut self.pending, row, field)?;
        self.row_done();
        Ok(())
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
            .observe_identified(&mut self.pending, row, identity, field)?;
        self.row_done();
        Ok(())
    }

    fn row_done(&mut self) {
        self.pending_rows += 1;
        if self.pending_rows == BATCH_ROWS {
            let batch = std::mem::replace(&mut self.pending, self.reader.batch());
            self.pending_rows = 0;
            self.absorb(batch);
        }
    }

    /// A reader for another thread: it reads batches of [`BATCH_ROWS`] rows
    /// that [`Observer::absorb`] takes in, in row order.
    pub fn reader(&self) -> RowReader<'d> {
        self.reader.fork()
    }

    /// Takes in a batch read by a [`RowReader`]: counts each position once,
    /// taking back the scores of positions already read.
    pub fn absorb(&mut self, batch: ReadBatch) {
        debug_assert_eq!(self.pending_rows, 0, "batches and single rows mixed");
        let ReadBatch {
            readings,
            mut sums,
            mix,
            mix_rows,
            rows_read,
            rows_without_identity,
            rows_identity_valid,
        } = batch;
        self.rows_read += rows_read;
        self.rows_without_identity += rows_without_identity;
        self.rows_identity_valid += rows_identity_valid;
        self.tainted.clear();
        let canary_group = self.per_carrier.len();
        let n = self.reader.bits.len();
        let mut outcomes = std::mem::take(&mut self.outcomes);
        let mut i = 0;
        while i < readings.len() {
            // A row's readings (or a canary's) share an anchor: one lookup.
            let key = readings[i].pos.anchor_key();
            let run = readings[i..]
                .iter()
                .take_while(|r| r.pos.anchor_key() == key)
                .count();
            let key = key as u64;
            let run = &readings[i..i + run];
            i += run.len();
            outcomes.clear();
            let seen = self.seen.entry(key).or_default();
            for r in run {
                outcomes.push(first_read(seen, &mut self.seen_far, &r.pos, r.y));
            }
            for (reading, &outcome) in run.iter().zip(&outcomes) {
                let pos = &reading.pos;
                let y = reading.y;
                let group = usize::from(reading.group);
                if let Err(conflict) = outcome {
                    // Count each position once: a repeated row adds nothing.
                    self.repeated += 1;
                    self.conflicting += u64::from(conflict);
                    if self.tainted.last() != Some(&reading.row) {
                        self.tainted.push(reading.row);
                    }
                    if n > 0 {
                        self.reader.bits_at(pos);
                        let terms =
                            self.reader
                                .detector
                                .terms(pos.threshold, y, group == canary_group);
                        sums.add(group * n, terms, y, &self.reader.bits, true, None);
                    }
                    continue;
                }
                self.hist_keys
                    .push(((group as u32) << 17) | (u32::from(pos.threshold) << 1) | u32::from(y));
                self.ones[group] += u64::from(y);
                if group == canary_group {
                    self.canaries_found += 1;
                } else {
                    self.per_carrier[group] += 1;
                }
                if self.kept.len() < EVIDENCE_KEPT {
                    self.kept.push(Kept {
                        row: reading.row,
                        carrier: reading.group,
                        y,
                        pos: pos.clone(),
                    });
                }
                if self.last_used != Some(reading.row) {
                    self.last_used = Some(reading.row);
                    self.rows_used += 1;
                }
            }
        }
        self.outcomes = outcomes;
        self.sums.merge(&sums);
        // A row's mixture term counts only if every position it read was
        // read here first: the rows counted then share no position.
        let mut tainted = self.tainted.iter().peekable();
        for (row, terms) in mix_rows.iter().zip(mix.chunks_exact(n.max(1))) {
            while tainted.next_if(|&&t| t < *row).is_some() {}
            if tainted.peek() == Some(&row) {
                continue;
            }
            for (m, t) in self.mixture.iter_mut().zip(terms) {
                *m += t;
            }
            self.mixture_rows += 1;
        }
    }

    /// Per group, the histogram of the positions read.
    fn histograms(&mut self) -> Vec<Histogram> {
        let groups = self.ones.len();
        if self.hist_keys.len() < groups << HIST_DENSE_SHIFT {
            sorted_histograms(&mut self.hist_keys, groups)
        } else {
            dense_histograms(&self.hist_keys, groups)
        }
    }

    fn single_leaker(&self) -> ScoreKind {
        ScoreKind::SingleLeaker {
            flip_rate: self.reader.detector.scheme.policy.code.flip_rate,
        }
    }

    /// Scores every recipient and bounds the chance of a false accusation.
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
    /// scores, so it holds whichever score decides.
    pub fn finish(mut self) -> Attribution {
        if self.pending_rows > 0 {
            let batch = std::mem::replace(&mut self.pending, self.reader.batch());
            self.pending_rows = 0;
            self.absorb(batch);
        }
        let det = self.reader.detector;
        let n = det.recipients.len();
        let k = self.per_carrier.len();
        let group_positions: Vec<u64> = self
            .per_carrier
            .iter()
            .copied()
            .chain(std::iter::once(self.canaries_found))
            .collect();
        // Carrier columns the leaker rewrote to one spelling carry no
        // information about who leaked: leave them out.
        let normalised: Vec<bool> = (0..k)
            .map(|c| {
                let reads = self.per_carrier[c];
                let majority = self.ones[c].max(reads - self.ones[c]);
                reads >= NORMALISED_MIN && majority as f64 >= NORMALISED_SHARE * reads as f64
            })
            .chain(std::iter::once(false))
            .collect();
        let groups: Vec<usize> = (0..=k)
            .filter(|&g| !normalised[g] && group_positions[g] > 0)
            .collect();
        let by_group = self.histograms();
        let mut hist = Histogram::default();
        let mut tardos = vec![0.0; n];
        let mut llr = vec![0.0; n];
        let mut minority = [vec![0.0; n], vec![0.0; n]];
        let mut matches = vec![0u64; n];
        let mut positions = 0u64;
        for &g in &groups {
            hist.merge(&by_group[g]);
            positions += group_positions[g];
            for r in 0..n {
                tardos[r] += self.sums.tardos[g * n + r];
                llr[r] += self.sums.llr[g * n + r];
                for (m, sums) in minority.iter_mut().zip(&self.sums.minority) {
                    m[r] += sums[g * n + r];
                }
                matches[r] += self.sums.matches[g * n + r].max(0) as u64;
            }
        }
        let single_leaker = self.single_leaker();
        let carriers = &det.scheme.carriers;
        let group_name = |g: usize| {
            if g == k {
                "canaries".to_string()
            } else {
                carriers[g].name.clone()
            }
        };
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
            ),
            Tried::new(
                "all",
                ScoreName::SingleLeaker,
                &hist,
                Some(single_leaker),
                llr.clone(),
                WEIGHT_ALL,
            ),
        ];
        let [minority3, minority5] = minority;
        for (values, colluders, name) in [
            (minority3, 3, ScoreName::Minority3),
            (minority5, 5, ScoreName::Minority5),
        ] {
            let kind = ScoreKind::Minority { colluders };
            tried.push(Tried::new(
                "all",
                name,
                &hist,
                Some(kind),
                values,
                WEIGHT_MINORITY,
            ));
        }
        if self.mixture_rows > 0 {
            tried.push(Tried::new(
                "all",
                ScoreName::Mixture,
                &hist,
                None,
                self.mixture.clone(),
                WEIGHT_MIXTURE,
            ));
        }
        let mut by_column = Vec::new();
        let mut by_canary = Vec::new();
        for &g in &groups {
            let of = |v: &[f64]| v[g * n..(g + 1) * n].to_vec();
            let h = &by_group[g];
            if g == k {
                // Canary rows: the Tardos score (when not already the one
                // over all the evidence) and the single-leaker score that
                // expects no edit, which a leak's canaries cannot have.
                if groups.len() > 1 {
                    let tardos = of(&self.sums.tardos);
                    by_canary.push(Tried::new(
                        group_name(g),
                        ScoreName::Tardos,
                        h,
                        Some(ScoreKind::Tardos),
                        tardos,
                        0.0,
                    ));
                }
                let strict = ScoreKind::SingleLeaker {
                    flip_rate: CANARY_FLIP,
                };
                by_canary.push(Tried::new(
                    group_name(g),
                    ScoreName::SingleLeakerStrict,
                    h,
                    Some(strict),
                    of(&self.sums.llr_c),
                    0.0,
                ));
                continue;
            }
            if groups.len() > 1 {
                by_column.push(Tried::new(
                    group_name(g),
                    ScoreName::Tardos,
                    h,
                    Some(ScoreKind::Tardos),
                    of(&self.sums.tardos),
                    0.0,
                ));
                by_column.push(Tried::new(
                    group_name(g),
                    ScoreName::SingleLeaker,
                    h,
                    Some(single_leaker),
                    of(&self.sums.llr),
                    0.0,
                ));
            }
            // The complemented Tardos score is the Tardos score negated.
            let flipped = h.complemented();
            let negated = of(&self.sums.tardos).iter().map(|t| -t).collect();
            by_column.push(Tried::new(
                group_name(g),
                ScoreName::TardosComplemented,
                &flipped,
                Some(ScoreKind::Tardos),
                negated,
                0.0,
            ));
            by_column.push(Tried::new(
                group_name(g),
                ScoreName::SingleLeakerComplemented,
                &flipped,
                Some(single_leaker),
                of(&self.sums.llr_c),
                0.0,
            ));
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
        let mut lns = bound_all(&tried[..all_first], &unbounded, big, bound::GRID);
        let best: Vec<f64> = (0..n)
            .map(|r| {
                lns.iter()
                    .zip(&tried)
                    .map(|(ln, t)| ln[r] - t.spec.weight.ln())
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        lns.extend(bound_all(
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
        for r in &mut ranked {
            r.accused = positions > 0 && r.false_accusation_bound <= det.threshold;
            if r.accused {
                r.evidence = self.evidence_for(r.slot, &normalised);
            }
        }
        Attribution {
            rows_read: self.rows_read,
            rows_used: self.rows_used,
            rows_without_identity: self.rows_without_identity,
            identifier: det.scheme.identifier,
            rows_identifier_valid: self.rows_identity_valid,
            positions_read: positions,
            canaries_found: self.canaries_found,
            canaries_known: det.canaries.len() as u64,
            columns_normalised: carriers
                .iter()
                .zip(&normalised)
                .filter(|(_, &n)| n)
                .map(|(c, _)| c.name.clone())
                .collect(),
            positions_by_column: carriers
                .iter()
                .zip(&self.per_carrier)
                .zip(&self.reader.binding.carriers)
                .filter(|(_, idx)| idx.is_some())
                .map(|((c, &n), _)| ColumnCount {
                    column: c.name.clone(),
                    positions: n,
                })
                .collect(),
            columns_missing: carriers
                .iter()
                .zip(&self.reader.binding.carriers)
                .filter(|(_, idx)| idx.is_none())
                .map(|(c, _)| c.name.clone())
                .collect(),
            repeated_positions: self.repeated,
            conflicting_positions: self.conflicting,
            mixture_rows: self.mixture_rows,
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

    fn evidence_for(&self, slot: u32, normalised: &[bool]) -> Vec<Evidence> {
        let keys = &self.reader.detector.scheme.keys;
        let carriers = &self.reader.detector.scheme.carriers;
        let agrees = |k: &&Kept| !normalised[k.carrier as usize] && k.pos.bit(keys, slot) == k.y;
        let evidence = |k: &Kept| {
            let canary = k.carrier as usize == carriers.len();
            Evidence {
                row: k.row,
                column: if canary {
                    String::new()
                } else {
                    carriers[k.carrier as usize].name.clone()
                },
                canary,
                bit: u8::from(k.y),
                bias: k.pos.p(),
            }
        };
        // Canary rows first: each is a whole row that only some copies hold.
        let canaries = self
            .kept
            .iter()
            .filter(|k| k.carrier as usize == carriers.len())
            .filter(agrees)
            .take(EVIDENCE_SHOWN);
        let marks = self
            .kept
            .iter()
            .filter(|k| (k.carrier as usize) < carriers.len())
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
        /// Counting into a table gives the histograms sorting gives.
        #[test]
        fn dense_and_sorted_histograms_agree(
            groups in 1usize..4,
            raw in proptest::collection::vec((0usize..4, 0u16..40, proptest::bool::ANY), 0..300),
        ) {
            let mut keys: Vec<u32> = raw
                .iter()
                .map(|&(g, t, y)| (((g % groups) as u32) << 17) | (u32::from(t * 1500) << 1) | u32::from(y))
                .collect();
            let dense = dense_histograms(&keys, groups);
            proptest::prop_assert_eq!(sorted_histograms(&mut keys, groups), dense);
        }
    }
}
