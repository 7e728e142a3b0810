//! Detection: reading the slots of a leak and scoring every recipient.

use std::collections::hash_map::Entry;

use rustc_hash::FxHashMap;

use serde::Serialize;

use crate::bound::{Bounder, Histogram, ScoreKind};
use crate::canary::{self, CanaryList};
use crate::code::{Anchor, Position, StreamCache};
use crate::error::{Error, ErrorKind, Result};
use crate::key::MasterKey;
use crate::policy::Policy;
use crate::scheme::{Binding, Recipient, RowBuffers, Scheme};

/// Observations kept to name evidence rows for the accused.
const EVIDENCE_KEPT: usize = 100_000;
/// Evidence rows reported per accused recipient.
const EVIDENCE_SHOWN: usize = 25;
/// Scores computed per recipient; the bound is multiplied by this.
const SCORES: u32 = 2;

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

/// A reading that is not in a carrier cell: a canary row's presence.
const CANARY: usize = usize::MAX;

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
        let mut canaries = FxHashMap::default();
        for list in self.canaries {
            if list.key_id() != key.id().to_hex() || list.policy_digest() != policy.digest() {
                return Err(Error::policy(
                    "a canary list was made under another key or policy",
                ));
            }
            for anchor in canary::canary_anchors(&scheme, list)? {
                let pos = canary::presence_position(&scheme, &anchor);
                canaries.insert(anchor_key(&anchor), pos);
            }
        }
        Ok(Detector {
            scheme,
            recipients: self.recipients,
            comparisons,
            threshold,
            canaries,
        })
    }
}

fn anchor_key(anchor: &Anchor) -> u128 {
    u128::from_le_bytes(anchor.0[..16].try_into().expect("16 bytes"))
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

    fn bind_with<S: AsRef<str>>(
        &self,
        header: &[S],
        require_identity: bool,
    ) -> Result<Observer<'_>> {
        let binding = self.scheme.bind_with(header, require_identity)?;
        let n = self.recipients.len();
        let (min, max) = self.recipients.iter().fold((u32::MAX, 0), |(lo, hi), r| {
            (lo.min(r.slot), hi.max(r.slot))
        });
        let span = if n == 0 { 0 } else { (max - min) as usize + 1 };
        let k = self.scheme.carriers.len();
        Ok(Observer {
            detector: self,
            binding,
            scratch: String::new(),
            buf: RowBuffers::new(k),
            seen: FxHashMap::default(),
            hist: vec![Histogram::default(); k + 1],
            ones: vec![0; k + 1],
            tardos: vec![0.0; (k + 1) * n],
            llr: vec![0.0; (k + 1) * n],
            matches: vec![0; (k + 1) * n],
            canaries_found: 0,
            slot_base: min,
            offsets: self
                .recipients
                .iter()
                .map(|r| (r.slot - min) as usize)
                .collect(),
            bits: vec![false; n],
            stream: StreamCache::default(),
            draws: vec![0; span.min(1 << 16)],
            dense: span <= 1 << 16,
            rows_read: 0,
            rows_used: 0,
            rows_without_identity: 0,
            per_carrier: vec![0; k],
            repeated: 0,
            conflicting: 0,
            kept: Vec::new(),
        })
    }
}

struct Kept {
    row: u64,
    carrier: u16,
    y: bool,
    pos: Position,
}

/// Reads a leak row by row, then [`Observer::finish`] gives the attribution.
pub struct Observer<'d> {
    detector: &'d Detector,
    binding: Binding,
    scratch: String,
    buf: RowBuffers,
    seen: FxHashMap<u128, bool>,
    /// Per group (each carrier, then canaries): the readings' histogram, how
    /// many read 1, and per recipient (`group * n + r`) the scores and
    /// matching positions.
    hist: Vec<Histogram>,
    ones: Vec<u64>,
    tardos: Vec<f64>,
    llr: Vec<f64>,
    matches: Vec<u64>,
    canaries_found: u64,
    slot_base: u32,
    /// Each recipient's slot less `slot_base`: its index in `draws`.
    offsets: Vec<usize>,
    /// Each recipient's bit at the position being scored.
    bits: Vec<bool>,
    stream: StreamCache,
    draws: Vec<u16>,
    dense: bool,
    rows_read: u64,
    rows_used: u64,
    rows_without_identity: u64,
    per_carrier: Vec<u64>,
    repeated: u64,
    conflicting: u64,
    kept: Vec<Kept>,
}

impl std::fmt::Debug for Observer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observer")
            .field("rows_read", &self.rows_read)
            .field("positions", &self.seen.len())
            .finish_non_exhaustive()
    }
}

impl<'d> Observer<'d> {
    /// Reads one leak row; `row` is its 1-based number, used in evidence.
    /// Rows whose identity is empty are counted and skipped.
    pub fn observe<'r>(&mut self, row: u64, field: impl Fn(usize) -> &'r str) -> Result<()> {
        self.rows_read += 1;
        let scheme = &self.detector.scheme;
        let anchor = match scheme.row_anchor(&self.binding, &field, &mut self.scratch) {
            Ok(a) => a,
            Err(e) if matches!(e.kind(), ErrorKind::EmptyIdentity) => {
                self.rows_without_identity += 1;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        self.observe_anchored(row, &anchor, field);
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
        self.rows_read += 1;
        let Some(identity) = identity else {
            self.rows_without_identity += 1;
            return Ok(());
        };
        let scheme = &self.detector.scheme;
        let anchor = match scheme.anchor_of(identity.iter().copied(), &mut self.scratch) {
            Ok(a) => a,
            Err(e) if matches!(e.kind(), ErrorKind::EmptyIdentity) => {
                self.rows_without_identity += 1;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        self.observe_anchored(row, &anchor, field);
        Ok(())
    }

    fn observe_anchored<'r>(
        &mut self,
        row: u64,
        anchor: &Anchor,
        field: impl Fn(usize) -> &'r str,
    ) {
        let scheme = &self.detector.scheme;
        let mut used = false;
        if let Some(pos) = self.detector.canaries.get(&anchor_key(anchor)) {
            // A canary row: whoever leaked held it.
            if self.read(row, CANARY, &pos.clone(), true) {
                self.canaries_found += 1;
                used = true;
            }
        }
        scheme.row_positions(&self.binding, anchor, &field, &mut self.buf);
        let buf = std::mem::take(&mut self.buf);
        for (c, slots) in buf.slots.iter().enumerate() {
            for (k, slot) in slots.iter().enumerate() {
                // The variant read at the slot, and where the short form of a
                // dotted abbreviation stands, whether it has its dot.
                let dot = buf.dot_positions[c][k].as_ref().zip(slot.dot);
                let readings = std::iter::once((&buf.positions[c][k], slot.value)).chain(dot);
                for (pos, y) in readings {
                    used |= self.read(row, c, pos, y);
                }
            }
        }
        self.buf = buf;
        if used {
            self.rows_used += 1;
        }
    }

    /// Scores one reading unless its position was already read; whether it
    /// was new.
    fn read(&mut self, row: u64, carrier: usize, pos: &Position, y: bool) -> bool {
        if !pos.active {
            return false;
        }
        match self.seen.entry(pos.id) {
            Entry::Occupied(e) => {
                // Count each position once: a repeated row adds nothing.
                self.repeated += 1;
                if *e.get() != y {
                    self.conflicting += 1;
                }
                false
            }
            Entry::Vacant(e) => {
                e.insert(y);
                let group = carrier.min(self.per_carrier.len());
                self.score(group, pos, y);
                if carrier != CANARY {
                    self.per_carrier[carrier] += 1;
                }
                if self.kept.len() < EVIDENCE_KEPT {
                    self.kept.push(Kept {
                        row,
                        carrier: group as u16,
                        y,
                        pos: pos.clone(),
                    });
                }
                true
            }
        }
    }

    fn score(&mut self, group: usize, pos: &Position, y: bool) {
        self.hist[group].add(pos.threshold, y);
        self.ones[group] += u64::from(y);
        let n = self.detector.recipients.len();
        let at = group * n;
        let p = pos.p();
        let (ta, tb) = ScoreKind::Tardos.terms(p, y);
        let (la, lb) = self.single_leaker().terms(p, y);
        let keys = &self.detector.scheme.keys;
        if self.dense {
            pos.draws_cached(keys, &mut self.stream, self.slot_base, &mut self.draws);
            for (bit, &i) in self.bits.iter_mut().zip(&self.offsets) {
                *bit = self.draws[i] < pos.threshold;
            }
        } else {
            for (bit, r) in self.bits.iter_mut().zip(&self.detector.recipients) {
                *bit = pos.bit(keys, r.slot);
            }
        }
        // Branch-free, so the loops vectorise: they run once per position
        // for every recipient.
        let tardos = &mut self.tardos[at..at + n];
        let llr = &mut self.llr[at..at + n];
        let matches = &mut self.matches[at..at + n];
        for ((t, l), (m, &bit)) in tardos
            .iter_mut()
            .zip(llr.iter_mut())
            .zip(matches.iter_mut().zip(&self.bits))
        {
            *t += if bit { ta } else { tb };
            *l += if bit { la } else { lb };
            *m += u64::from(bit == y);
        }
    }

    fn single_leaker(&self) -> ScoreKind {
        ScoreKind::SingleLeaker {
            flip_rate: self.detector.scheme.policy.code.flip_rate,
        }
    }

    /// Scores every recipient and bounds the chance of a false accusation.
    pub fn finish(self) -> Attribution {
        let det = self.detector;
        let n = det.recipients.len();
        let k = self.per_carrier.len();
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
        let mut hist = Histogram::default();
        let mut tardos = vec![0.0; n];
        let mut llr = vec![0.0; n];
        let mut matches = vec![0u64; n];
        let mut positions = 0u64;
        for g in (0..=k).filter(|&g| !normalised[g]) {
            hist.merge(&self.hist[g]);
            positions += if g == k {
                self.canaries_found
            } else {
                self.per_carrier[g]
            };
            for r in 0..n {
                tardos[r] += self.tardos[g * n + r];
                llr[r] += self.llr[g * n + r];
                matches[r] += self.matches[g * n + r];
            }
        }
        let tardos_bound = Bounder::new(&hist, ScoreKind::Tardos);
        let llr_bound = Bounder::new(&hist, self.single_leaker());
        let union = (det.comparisons as f64 * f64::from(SCORES)).ln();
        let mut ranked: Vec<RecipientScore> = det
            .recipients
            .iter()
            .enumerate()
            .map(|(r, rec)| {
                let ln = tardos_bound
                    .ln_bound(tardos[r])
                    .min(llr_bound.ln_bound(llr[r]));
                RecipientScore {
                    recipient: rec.id.clone(),
                    slot: rec.slot,
                    score: tardos[r],
                    single_leaker_score: llr[r],
                    matching_positions: matches[r],
                    false_accusation_bound: (ln + union).min(0.0).exp(),
                    accused: false,
                    evidence: Vec::new(),
                }
            })
            .collect();
        ranked.sort_by(|a, b| {
            a.false_accusation_bound
                .total_cmp(&b.false_accusation_bound)
                .then(b.score.total_cmp(&a.score))
                .then(a.recipient.cmp(&b.recipient))
        });
        for r in &mut ranked {
            r.accused = positions > 0 && r.false_accusation_bound <= det.threshold;
            if r.accused {
                r.evidence = self.evidence_for(r.slot, &normalised);
            }
        }
        let carriers = &det.scheme.carriers;
        Attribution {
            rows_read: self.rows_read,
            rows_used: self.rows_used,
            rows_without_identity: self.rows_without_identity,
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
                .zip(&self.binding.carriers)
                .filter(|(_, idx)| idx.is_some())
                .map(|((c, &n), _)| ColumnCount {
                    column: c.name.clone(),
                    positions: n,
                })
                .collect(),
            columns_missing: carriers
                .iter()
                .zip(&self.binding.carriers)
                .filter(|(_, idx)| idx.is_none())
                .map(|(c, _)| c.name.clone())
                .collect(),
            repeated_positions: self.repeated,
            conflicting_positions: self.conflicting,
            threshold: det.threshold,
            comparisons: det.comparisons,
            scores_per_recipient: SCORES,
            key_id: det.scheme.keys.key_id().to_hex(),
            policy_digest: det.scheme.policy.digest(),
            accused: ranked.iter().filter(|r| r.accused).cloned().collect(),
            recipients: ranked,
        }
    }

    fn evidence_for(&self, slot: u32, normalised: &[bool]) -> Vec<Evidence> {
        let keys = &self.detector.scheme.keys;
        let carriers = &self.detector.scheme.carriers;
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
    /// Whether the bound is at most the threshold.
    pub accused: bool,
    /// For the accused: leak rows whose marks agree with this copy.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
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
    /// The accusation threshold.
    pub threshold: f64,
    /// Recipients compared (the union bound's factor).
    pub comparisons: u64,
    /// Scores per recipient (also a factor of the bound).
    pub scores_per_recipient: u32,
    /// Id of the key the copies were marked with.
    pub key_id: String,
    /// Digest of the policy the copies were marked with.
    pub policy_digest: String,
    /// Recipients whose bound is at most the threshold, strongest first.
    pub accused: Vec<RecipientScore>,
    /// Every recipient, strongest evidence first.
    pub recipients: Vec<RecipientScore>,
}
