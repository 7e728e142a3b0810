//! Embedding: writing each recipient's bits into the carrier slots of a row.

use std::borrow::Cow;

use crate::canary::{self, CanaryList};
use crate::carrier::{Carrier, SlotBits};
use crate::code::{self, Position, RowTails};
use crate::error::{Error, ErrorKind, Result};
use crate::key::MasterKey;
use crate::policy::Policy;
use crate::scheme::{Binding, Recipient, RowBuffers, Scheme};
use watermark_text::{said, Msg};

/// Marks rows for a set of recipients. Build one with [`Embedder::builder`].
#[derive(Debug)]
pub struct Embedder {
    scheme: Scheme,
    recipients: Vec<Recipient>,
    canaries: Option<PlacedCanaries>,
}

/// A canary list with every recipient's presence bits: what a format
/// adaptor writes between an extract's rows.
#[derive(Debug)]
pub struct PlacedCanaries {
    /// The canary rows, in placement order.
    pub list: CanaryList,
    /// `present[k * recipients + r]`: whether canary `k` is in copy `r`.
    pub present: Vec<bool>,
}

/// Builds an [`Embedder`]; key, policy and at least one recipient are required.
#[derive(Debug, Default)]
pub struct EmbedderBuilder<'a> {
    key: Option<&'a MasterKey>,
    policy: Option<&'a Policy>,
    recipients: Vec<Recipient>,
    canaries: Option<CanaryList>,
}

impl<'a> EmbedderBuilder<'a> {
    /// The master key.
    pub fn key(mut self, key: &'a MasterKey) -> Self {
        self.key = Some(key);
        self
    }

    /// The policy.
    pub fn policy(mut self, policy: &'a Policy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Adds a recipient; each gets its own copy.
    pub fn recipient(mut self, recipient: Recipient) -> Self {
        self.recipients.push(recipient);
        self
    }

    /// Adds recipients.
    pub fn recipients(mut self, recipients: impl IntoIterator<Item = Recipient>) -> Self {
        self.recipients.extend(recipients);
        self
    }

    /// The canaries of the extract (see [`make_canaries_from_rows`](crate::make_canaries_from_rows)):
    /// each copy gets those its recipient's bits select, where the extract's
    /// sort order puts them. Without a list, copies get no canaries.
    pub fn canaries(mut self, list: CanaryList) -> Self {
        self.canaries = Some(list);
        self
    }

    /// Compiles the policy under the key.
    pub fn build(self) -> Result<Embedder> {
        let key = self.key.ok_or_else(|| Error::key(Msg::CoNoKeyGiven))?;
        let policy = self
            .policy
            .ok_or_else(|| Error::policy(Msg::CoNoPolicyGiven))?;
        if self.recipients.is_empty() {
            return Err(Error::policy(Msg::CoNoRecipient));
        }
        let mut seen = std::collections::HashSet::new();
        for r in &self.recipients {
            crate::scheme::validate_recipient_id(&r.id)?;
            if !seen.insert(r.slot) {
                return Err(Error::policy(said!(Msg::CoSharedSlot, r.slot)));
            }
        }
        let scheme = Scheme::new(key, policy)?;
        let canaries = match self.canaries {
            Some(list) => {
                if list.key_id() != key.id().to_hex() || list.policy_digest() != policy.digest() {
                    return Err(Error::policy(Msg::CoTheCanaryListOther));
                }
                let anchors = canary::canary_anchors(&scheme, &list)?;
                let mut present = Vec::with_capacity(anchors.len() * self.recipients.len());
                for a in &anchors {
                    let pos = canary::presence_position(&scheme, a);
                    present.extend(
                        self.recipients
                            .iter()
                            .map(|r| pos.bit(&scheme.keys, r.slot)),
                    );
                }
                Some(PlacedCanaries { list, present })
            }
            None => None,
        };
        Ok(Embedder {
            scheme,
            recipients: self.recipients,
            canaries,
        })
    }
}

impl Embedder {
    /// Starts building an embedder.
    pub fn builder<'a>() -> EmbedderBuilder<'a> {
        EmbedderBuilder::default()
    }

    /// The recipients, in the order copies are produced.
    pub fn recipients(&self) -> &[Recipient] {
        &self.recipients
    }

    /// The canary list, if the copies get canaries.
    pub fn canary_list(&self) -> Option<&CanaryList> {
        self.canaries.as_ref().map(|c| &c.list)
    }

    /// The canaries to place, if the embedder has a list.
    pub fn placed_canaries(&self) -> Option<&PlacedCanaries> {
        self.canaries.as_ref()
    }

    /// Binds the embedder to an input's header. Every identity and carrier
    /// column of the policy must be present.
    pub fn bind<S: AsRef<str>>(&self, header: &[S]) -> Result<RowMarker<'_>> {
        let binding = self.scheme.bind(header)?;
        for (c, idx) in self.scheme.carriers.iter().zip(&binding.carriers) {
            if idx.is_none() {
                return Err(ErrorKind::MissingColumn {
                    column: c.name.clone(),
                    role: "carrier",
                    available: binding.header.join(", "),
                }
                .into());
            }
        }
        let n = self.recipients.len();
        let k = self.scheme.carriers.len();
        let mut order: Vec<(usize, usize)> = binding
            .carriers
            .iter()
            .enumerate()
            .filter_map(|(c, idx)| idx.map(|i| (i, c)))
            .collect();
        order.sort_unstable();
        let base = self.recipients.iter().map(|r| r.slot).min().unwrap_or(0);
        let span = self
            .recipients
            .iter()
            .map(|r| r.slot - base + 1)
            .max()
            .unwrap_or(0) as usize;
        // Recipients far apart in slot numbers: draw each one's bit alone.
        let span = if span <= 4 * self.recipients.len() + 64 {
            span
        } else {
            0
        };
        Ok(RowMarker {
            base,
            span: span as u32,
            tails: RowTails::default(),
            embedder: self,
            binding,
            order,
            scratch: String::new(),
            buf: RowBuffers::new(k),
            bits: Vec::new(),
            row_bits: Vec::new(),
            drawn: vec![false; n],
            cells: vec![vec![String::new(); k]; n],
            changed: vec![vec![false; k]; n],
            slots_marked: 0,
        })
    }
}

/// Marks rows of one input. Reuses its buffers from row to row.
pub struct RowMarker<'e> {
    embedder: &'e Embedder,
    binding: Binding,
    /// `(input field, carrier)` pairs in field order.
    order: Vec<(usize, usize)>,
    scratch: String,
    buf: RowBuffers,
    bits: Vec<SlotBits>,
    row_bits: Vec<SlotBits>,
    /// Every recipient's bit at the last position drawn.
    drawn: Vec<bool>,
    /// Lowest recipient slot, and how many slots from it the row's tails
    /// are filled for (0: each recipient's bit is drawn alone).
    base: u32,
    span: u32,
    /// The last row's tail draws of slots `base..base + span`.
    tails: RowTails,
    /// Per recipient, per carrier: the marked cell (valid where `changed`).
    cells: Vec<Vec<String>>,
    changed: Vec<Vec<bool>>,
    slots_marked: u64,
}

impl std::fmt::Debug for RowMarker<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Its buffers hold row data: not for logs.
        f.debug_struct("RowMarker")
            .field("slots_marked", &self.slots_marked)
            .finish_non_exhaustive()
    }
}

impl RowMarker<'_> {
    /// Computes every recipient's version of one row. `field(i)` returns the
    /// input's `i`-th field. Then read each copy with [`RowMarker::cell`] or
    /// [`RowMarker::changes`].
    pub fn mark<'r>(&mut self, field: impl Fn(usize) -> &'r str) -> Result<()> {
        let scheme = &self.embedder.scheme;
        let anchor = scheme.row_anchor(&self.binding, &field, &mut self.scratch)?;
        scheme.row_positions(&self.binding, &anchor, &field, &mut self.buf);
        let mut buf = std::mem::take(&mut self.buf);
        let last = (self.base + self.span).saturating_sub(1);
        if self.span > 0 && !code::heads_hold(last) {
            // Draws of slots past the head: one pass over the row's
            // positions per tail block, not one stream read per position.
            let (mut q_lo, mut q_hi) = (usize::MAX, 0);
            let drawn = buf.slots.iter().zip(&buf.positions).zip(&buf.dot_positions);
            for ((slots, positions), dots) in drawn {
                for ((slot, pos), dot) in slots.iter().zip(positions).zip(dots) {
                    let dot = dot.iter().filter(|d| d.active);
                    for q in std::iter::once(pos)
                        .filter(|p| slot.writable && p.active)
                        .chain(dot)
                        .map(|p| usize::from(p.q()))
                    {
                        (q_lo, q_hi) = (q_lo.min(q), q_hi.max(q));
                    }
                }
            }
            if q_lo <= q_hi {
                self.tails
                    .fill(&mut buf.heads, (self.base, last), (q_lo, q_hi));
            }
        }
        for (c, idx) in self.binding.carriers.iter().enumerate() {
            let cell = field(idx.expect("bound carriers are present"));
            let (slots, positions) = (&buf.slots[c], &buf.positions[c]);
            let writable = slots.iter().filter(|s| s.writable).count() as u64;
            self.slots_marked += writable;
            for r in 0..self.cells.len() {
                self.changed[r][c] = false;
            }
            if writable == 0 {
                continue;
            }
            // bits[k * n + r]: what recipient r's copy holds at slot k.
            let n = self.cells.len();
            self.bits.clear();
            self.bits.resize(slots.len() * n, SlotBits::default());
            for (k, (slot, pos)) in slots.iter().zip(positions).enumerate() {
                if !slot.writable || !pos.active {
                    continue;
                }
                draw_bits(
                    self.embedder,
                    (self.span, &self.tails),
                    pos,
                    &mut self.drawn,
                );
                for r in 0..n {
                    self.bits[k * n + r].main = Some(self.drawn[r]);
                }
                if let Some(dot) = buf.dot_positions[c][k].as_ref().filter(|d| d.active) {
                    draw_bits(
                        self.embedder,
                        (self.span, &self.tails),
                        dot,
                        &mut self.drawn,
                    );
                    for r in 0..n {
                        self.bits[k * n + r].dot = Some(self.drawn[r]);
                    }
                }
                for r in 0..n {
                    self.changed[r][c] |= Carrier::changes(slot, self.bits[k * n + r]);
                }
            }
            for r in 0..n {
                if !self.changed[r][c] {
                    continue;
                }
                self.row_bits.clear();
                self.row_bits
                    .extend((0..slots.len()).map(|k| self.bits[k * n + r]));
                let out = &mut self.cells[r][c];
                out.clear();
                scheme.carriers[c]
                    .carrier
                    .write(cell, slots, &self.row_bits, out);
            }
        }
        self.buf = buf;
        Ok(())
    }

    /// Recipient `r`'s version of input field `i` of the last marked row.
    pub fn cell<'r>(&'r self, r: usize, i: usize, original: &'r str) -> Cow<'r, str> {
        match self.order.iter().find(|&&(idx, _)| idx == i) {
            Some(&(_, c)) if self.changed[r][c] => Cow::Borrowed(&self.cells[r][c]),
            _ => Cow::Borrowed(original),
        }
    }

    /// Recipient `r`'s changed fields of the last marked row, as
    /// `(input field, new value)` in field order. Every other field of that
    /// copy is the input's own, so a writer can copy it unparsed.
    pub fn changes(&self, r: usize) -> impl Iterator<Item = (usize, &str)> + '_ {
        let changed = &self.changed[r];
        let cells = &self.cells[r];
        self.order
            .iter()
            .filter(move |&&(_, c)| changed[c])
            .map(move |&(i, c)| (i, cells[c].as_str()))
    }

    /// The input fields [`RowMarker::mark`] reads: the identity and carrier
    /// columns.
    pub fn fields_read(&self) -> impl Iterator<Item = usize> + '_ {
        self.binding
            .identity
            .iter()
            .copied()
            .chain(self.order.iter().map(|&(i, _)| i))
    }

    /// The number of recipients (copies) this marker produces.
    pub fn recipients(&self) -> usize {
        self.cells.len()
    }

    /// Writable slots seen so far (each written in every copy).
    pub fn slots_marked(&self) -> u64 {
        self.slots_marked
    }
}

/// Every recipient's bit at `pos`, into `drawn` (in recipient order): from
/// the position's head or the row's `tails` when they were filled for the
/// recipients' slots (`span > 0`), else one by one.
fn draw_bits(
    embedder: &Embedder,
    (span, tails): (u32, &RowTails),
    pos: &Position,
    drawn: &mut [bool],
) {
    if span > 0 {
        for (r, recipient) in embedder.recipients.iter().enumerate() {
            drawn[r] = pos.draw_in(tails, recipient.slot) < pos.threshold;
        }
        return;
    }
    let keys = &embedder.scheme.keys;
    for (r, recipient) in embedder.recipients.iter().enumerate() {
        drawn[r] = pos.bit(keys, recipient.slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slot 37's copy of `rows`, marked alongside recipients of `others`.
    fn copy_of_37(others: &[u32], rows: &[[String; 3]]) -> Vec<String> {
        let policy = Policy::from_toml(
            r#"
version = 1
identity = ["CURP"]
[[carrier]]
column = "CALLE"
kind = "variants"
[[carrier]]
column = "COLONIA"
kind = "variants"
"#,
        )
        .unwrap();
        let recipients = others
            .iter()
            .chain(&[37])
            .map(|&s| Recipient::new(format!("r{s}"), s).unwrap());
        let embedder = Embedder::builder()
            .key(&MasterKey::from_bytes([9; 32]))
            .policy(&policy)
            .recipients(recipients)
            .build()
            .unwrap();
        let me = others.len();
        let mut marker = embedder.bind(&["CURP", "CALLE", "COLONIA"]).unwrap();
        let mut out = Vec::new();
        for row in rows {
            marker.mark(|i| &row[i]).unwrap();
            let cells: Vec<_> = (0..3).map(|i| marker.cell(me, i, &row[i])).collect();
            out.push(cells.join(","));
        }
        out
    }

    /// A copy's bits are the recipient's whoever else is marked in the
    /// same pass: alone, among neighbours whose draws share the row's tail
    /// pass (slots 10 to 49, across the head), or beside a far slot, where
    /// each bit is drawn on its own.
    #[test]
    fn a_copy_is_the_same_whoever_is_issued_with_it() {
        let rows: Vec<[String; 3]> = (0..400)
            .map(|i| {
                [
                    format!("ROW{i:06}"),
                    format!("AVENIDA JUAREZ {i} PRIVADA LOTE {} DEPTO 2", i % 7),
                    format!("COLONIA CENTRO MANZANA {}", i % 11),
                ]
            })
            .collect();
        let alone = copy_of_37(&[], &rows);
        let input: Vec<String> = rows.iter().map(|r| r.join(",")).collect();
        let changed = alone.iter().zip(&input).filter(|(a, b)| a != b).count();
        assert!(changed > 100, "only {changed} rows marked");
        let neighbours: Vec<u32> = (10..50).filter(|&s| s != 37).collect();
        assert_eq!(copy_of_37(&neighbours, &rows), alone);
        assert_eq!(copy_of_37(&[5, 100_000], &rows), alone);
    }
}
