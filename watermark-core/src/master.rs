//! Leaks without identity columns: matching their rows to the master extract.
//!
//! A leak of names, address and section only has no CURP to anchor its rows.
//! Its rows are matched to the master extract (the unmarked file the copies
//! were issued from) on the columns the leak kept: the matched master row
//! supplies the identity, the leak row's own carrier cells supply the marks.
//! A row that matches no master row, or several with different identities,
//! is not used.
//!
//! Carrier cells are compared in a form marks cannot change
//! ([`Carrier::canonical`](crate::carrier::Carrier)): every copy of a master
//! row matches it, whoever the copy was issued to, so the match depends on
//! nothing an innocent recipient's copy holds and the false-accusation bound
//! stands as it is.

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::detect::{Attribution, Detector};
use crate::error::{Error, ErrorKind, Result};
use watermark_text::{said, Msg};

use crate::normalize::{fold, fold_into};
use crate::rows::{for_each_row, Progress, RowBatch, RowSource, BATCH_ROWS};
use crate::scheme::Scheme;

/// A failure of [`verify_rows_with_master`] or [`MasterIndex::new`], saying
/// which input it was found in; the [`Error`] inside names the row, line and
/// column. The file names are the caller's to add.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MasterError {
    /// In the leak.
    #[error(transparent)]
    Leak(Error),
    /// In the master extract.
    #[error(transparent)]
    Master(Error),
    /// In the extra rows; the row is numbered within its [`ExtraRows`].
    #[error("extra rows: {0}")]
    Extra(Error),
    /// No column of the leak is in the master extract.
    #[error(
        "the leak has no column of the master extract to match its rows on \
         (the leak's columns: {leak}; the master's: {master})"
    )]
    NoSharedColumn {
        /// The leak's columns, comma-separated.
        leak: String,
        /// The master extract's columns, comma-separated.
        master: String,
    },
}

/// Rows besides the master extract's that leak rows may match: the canary
/// rows the copies hold and the master does not. No `Debug` of the values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ExtraRows {
    /// The column names, in the rows' order (usually the master's header).
    pub header: Vec<String>,
    /// The rows, each with one value per column.
    pub rows: Vec<Vec<String>>,
}

impl std::fmt::Debug for ExtraRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtraRows")
            .field("header", &self.header)
            .field("rows", &self.rows.len())
            .finish()
    }
}

/// How the rows of a leak were matched to the master extract.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct MasterMatch {
    /// Whether rows were matched at all. A leak that has every identity
    /// column is read on its own identities, as a format adaptor's verification
    /// reads it, and the master extract is not read: then this is false and
    /// the counts are 0.
    pub used: bool,
    /// The leak's columns (as its header spells them) the rows were matched on.
    pub columns: Vec<String>,
    /// Leak rows that matched exactly one identity in the master extract. (If
    /// that identity is empty, the attribution counts the row in its
    /// `rows_without_identity`.)
    pub rows_matched: u64,
    /// Leak rows that matched no master row.
    pub rows_unmatched: u64,
    /// Leak rows that matched master rows with different identities; not used.
    pub rows_ambiguous: u64,
    /// Rows of the master extract read.
    pub master_rows: u64,
    /// Extra rows read (see [`ExtraRows`]).
    pub extra_rows: u64,
}

/// What a leak row matched. Its `Debug` shows no identity value.
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MasterLookup<'a> {
    /// One identity: the matched rows' identity values, raw, in the policy's
    /// `identity` order.
    Matched(&'a [String]),
    /// No row.
    Unmatched,
    /// Rows with different identities.
    Ambiguous,
}

impl std::fmt::Debug for MasterLookup<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MasterLookup::Matched(values) => write!(f, "Matched({} values)", values.len()),
            MasterLookup::Unmatched => f.write_str("Unmatched"),
            MasterLookup::Ambiguous => f.write_str("Ambiguous"),
        }
    }
}

/// One column the leak and the master share.
#[derive(Debug, Clone)]
struct KeyColumn {
    /// As the leak's header spells it.
    name: String,
    folded: String,
    /// Its index in the leak.
    leak: usize,
    /// The policy carrier it is, if one.
    carrier: Option<usize>,
}

/// Where the key and identity columns stand in one header.
#[derive(Debug, Clone)]
struct Columns {
    key: Vec<usize>,
    identity: Vec<usize>,
}

/// What master rows a key has met.
#[derive(Clone)]
enum Found {
    None,
    One(Box<[String]>),
    Ambiguous,
}

/// Leak rows keyed on the columns they share with the master extract, and
/// the identity each key has in the master.
///
/// Build it with [`MasterIndex::new`], give it every leak row
/// ([`MasterIndex::add_leak_row`]), then the master's rows
/// ([`MasterIndex::add_master_row`]) and any others copies hold
/// ([`MasterIndex::add_rows`]); [`MasterIndex::lookup`] then says what each
/// leak row matched. Only master rows whose key some leak row has are kept,
/// so memory grows with the leak, never with the master.
///
/// A key is the leak's shared columns in order: non-carrier cells folded
/// (case, accents, white space; an empty cell is a value, equal only to an
/// empty cell), carrier cells in a form marks cannot change, so every copy's
/// row matches its master row. Identity columns the leak still has are part
/// of the key too.
pub struct MasterIndex<'d> {
    scheme: &'d Scheme,
    columns: Vec<KeyColumn>,
    master: Columns,
    keys: FxHashMap<Box<[u8]>, u32>,
    found: Vec<Found>,
    /// Per leak row, its key's index in `found`.
    leak_rows: Vec<u32>,
    master_rows: u64,
    extra_rows: u64,
    key: Vec<u8>,
    cell: String,
    scratch: String,
}

impl std::fmt::Debug for MasterIndex<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterIndex")
            .field("columns", &self.columns())
            .field("leak_rows", &self.leak_rows.len())
            .field("keys", &self.found.len())
            .field("master_rows", &self.master_rows)
            .finish_non_exhaustive()
    }
}

/// A header's names, comma-separated.
fn joined<S: AsRef<str>>(header: &[S]) -> String {
    header
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The index of each name in `folded` (non-empty names only), refusing a
/// name that stands twice when `wanted` says it matters.
fn positions(folded: &[String], wanted: impl Fn(&str) -> bool) -> Result<FxHashMap<&str, usize>> {
    let mut out = FxHashMap::default();
    for (i, name) in folded.iter().enumerate() {
        if name.is_empty() || !wanted(name) {
            continue;
        }
        if out.insert(name.as_str(), i).is_some() {
            return Err(Error::policy(said!(
                Msg::CoDuplicateColumn,
                format!("{name:?}")
            )));
        }
    }
    Ok(out)
}

impl<'d> MasterIndex<'d> {
    /// Starts an index for a leak with header `leak_header`, to be matched to
    /// a master extract with header `master_header`: the key is every leak
    /// column the master also has (names compared ignoring case, accents and
    /// surrounding space). The master must have the policy's identity columns.
    pub fn new<L: AsRef<str>, M: AsRef<str>>(
        detector: &'d Detector,
        leak_header: &[L],
        master_header: &[M],
    ) -> std::result::Result<MasterIndex<'d>, MasterError> {
        let scheme = detector.scheme();
        let leak_folded: Vec<String> = leak_header.iter().map(|h| fold(h.as_ref())).collect();
        let master_folded: Vec<String> = master_header.iter().map(|h| fold(h.as_ref())).collect();
        let master_at = positions(&master_folded, |n| leak_folded.iter().any(|l| l == n))
            .map_err(MasterError::Master)?;
        let leak_at =
            positions(&leak_folded, |n| master_at.contains_key(n)).map_err(MasterError::Leak)?;
        let mut columns: Vec<KeyColumn> = leak_at
            .iter()
            .map(|(&folded, &leak)| KeyColumn {
                name: leak_header[leak].as_ref().to_string(),
                folded: folded.to_string(),
                leak,
                carrier: scheme.carriers.iter().position(|c| fold(&c.name) == folded),
            })
            .collect();
        columns.sort_by_key(|c| c.leak);
        if columns.is_empty() {
            return Err(MasterError::NoSharedColumn {
                leak: joined(leak_header),
                master: joined(master_header),
            });
        }
        let master = Columns {
            key: columns
                .iter()
                .map(|c| master_at[c.folded.as_str()])
                .collect(),
            identity: scheme
                .bind(master_header)
                .map_err(MasterError::Master)?
                .identity,
        };
        Ok(MasterIndex {
            scheme,
            columns,
            master,
            keys: FxHashMap::default(),
            found: Vec::new(),
            leak_rows: Vec::new(),
            master_rows: 0,
            extra_rows: 0,
            key: Vec::new(),
            cell: String::new(),
            scratch: String::new(),
        })
    }

    /// The leak's columns the rows are matched on, as its header spells them.
    pub fn columns(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    /// Builds the key of a row whose key columns stand at `at` into `self.key`.
    fn make_key<'r>(&mut self, at: impl Fn(usize) -> usize, field: impl Fn(usize) -> &'r str) {
        self.key.clear();
        for (k, column) in self.columns.iter().enumerate() {
            let value = field(at(k));
            self.cell.clear();
            match column.carrier {
                Some(c) => self.scheme.carriers[c].carrier.canonical(
                    value,
                    &mut self.scratch,
                    &mut self.cell,
                ),
                None => fold_into(value, &mut self.cell),
            }
            // Length-prefixed, so no value can run into the next.
            self.key
                .extend_from_slice(&(self.cell.len() as u64).to_le_bytes());
            self.key.extend_from_slice(self.cell.as_bytes());
        }
    }

    /// Adds the next leak row (fields in the leak's header order); returns its
    /// 0-based number for [`MasterIndex::lookup`].
    pub fn add_leak_row<'r>(&mut self, field: impl Fn(usize) -> &'r str) -> usize {
        let leak: Vec<usize> = self.columns.iter().map(|c| c.leak).collect();
        self.make_key(|k| leak[k], field);
        let next = self.found.len() as u32;
        let index = *self.keys.entry(self.key.as_slice().into()).or_insert(next);
        if index == next {
            self.found.push(Found::None);
        }
        self.leak_rows.push(index);
        self.leak_rows.len() - 1
    }

    /// Adds a row of the master extract (fields in the master's header order,
    /// as given to [`MasterIndex::new`]). It is kept only if a leak row has
    /// its key, so every leak row must be added first.
    pub fn add_master_row<'r>(&mut self, field: impl Fn(usize) -> &'r str) {
        self.master_rows += 1;
        let columns = std::mem::replace(
            &mut self.master,
            Columns {
                key: Vec::new(),
                identity: Vec::new(),
            },
        );
        self.add_row(&columns, field);
        self.master = columns;
    }

    /// Adds rows that copies hold besides the master's (canary rows), with
    /// their own header, which must have the policy's identity columns and
    /// every column the rows are matched on (unless there are no rows). Like
    /// master rows, they are kept only where a leak row has their key, so
    /// every leak row must be added first. A row of the wrong length is an
    /// error naming its 1-based number in `rows` (and, as line, that number
    /// plus one, as if the rows followed a header line).
    pub fn add_rows<H, R, F>(
        &mut self,
        header: &[H],
        rows: impl IntoIterator<Item = R>,
    ) -> Result<()>
    where
        H: AsRef<str>,
        R: AsRef<[F]>,
        F: AsRef<str>,
    {
        let mut rows = rows.into_iter().peekable();
        if rows.peek().is_none() {
            return Ok(());
        }
        let folded: Vec<String> = header.iter().map(|h| fold(h.as_ref())).collect();
        let at = positions(&folded, |n| self.columns.iter().any(|c| c.folded == n))?;
        let mut key = Vec::new();
        for c in &self.columns {
            match at.get(c.folded.as_str()) {
                Some(&i) => key.push(i),
                None => {
                    return Err(ErrorKind::MissingColumn {
                        column: c.name.clone(),
                        role: "matching",
                        available: joined(header),
                    }
                    .into())
                }
            }
        }
        let columns = Columns {
            key,
            identity: self.scheme.bind(header)?.identity,
        };
        for (n, row) in rows.enumerate() {
            let row = row.as_ref();
            let number = n as u64 + 1;
            if row.len() != header.len() {
                return Err(Error::new(ErrorKind::UnequalLengths {
                    expected: header.len() as u64,
                    found: row.len() as u64,
                })
                .at_row(number, number + 1));
            }
            self.extra_rows += 1;
            self.add_row(&columns, |i| row[i].as_ref());
        }
        Ok(())
    }

    fn add_row<'r>(&mut self, columns: &Columns, field: impl Fn(usize) -> &'r str) {
        self.make_key(|k| columns.key[k], &field);
        let Some(&index) = self.keys.get(self.key.as_slice()) else {
            return;
        };
        let slot = &mut self.found[index as usize];
        match slot {
            Found::None => {
                *slot = Found::One(
                    columns
                        .identity
                        .iter()
                        .map(|&i| field(i).to_string())
                        .collect(),
                );
            }
            Found::One(identity) => {
                // The same identity again (a repeated row) is no ambiguity.
                let same = identity
                    .iter()
                    .zip(&columns.identity)
                    .all(|(seen, &i)| fold(seen) == fold(field(i)));
                if !same {
                    *slot = Found::Ambiguous;
                }
            }
            Found::Ambiguous => {}
        }
    }

    /// What leak row `row` (as [`MasterIndex::add_leak_row`] numbered it)
    /// matched among the rows added so far.
    ///
    /// # Panics
    ///
    /// If no leak row has that number.
    pub fn lookup(&self, row: usize) -> MasterLookup<'_> {
        match &self.found[self.leak_rows[row] as usize] {
            Found::None => MasterLookup::Unmatched,
            Found::One(identity) => MasterLookup::Matched(identity),
            Found::Ambiguous => MasterLookup::Ambiguous,
        }
    }

    /// Rows of the master extract added.
    pub fn master_rows(&self) -> u64 {
        self.master_rows
    }

    /// Extra rows added ([`MasterIndex::add_rows`]).
    pub fn extra_rows(&self) -> u64 {
        self.extra_rows
    }
}

/// Attributes a leak in any format: every row of `leak`, on this thread.
///
/// This is all a new leak format needs: an adaptor that yields its rows
/// (a [`RowSource`]). The format adaptors' own verifications give the same
/// attribution, read on several threads. The leak must have the identity
/// columns; for one without them, see [`verify_rows_with_master`].
/// `progress` is called every few thousand rows.
pub fn verify_rows<S: RowSource>(
    detector: &Detector,
    mut leak: S,
    progress: &mut dyn FnMut(Progress),
) -> Result<Attribution> {
    let names = leak.header().to_vec();
    let mut observer = detector.bind(&names)?;
    let mut batch = RowBatch::new();
    for_each_row(
        &mut leak,
        &mut batch,
        |at, row| observer.observe(at.row, |i| row.cell(i)),
        progress,
    )?;
    Ok(observer.finish())
}

/// Attributes a leak in any format that may lack the identity columns,
/// matching its rows to the master extract.
///
/// The leak is read into memory (leaks are samples); the master extract,
/// which `open_master` opens, is streamed once and only rows that some leak
/// row matches are kept. Rows are matched on every column the leak shares
/// with the master (see [`MasterIndex`]); `extra` are further rows the
/// copies hold (canary rows). Rows that match nothing, or rows of different
/// identities, are counted and not used: they add no position and cannot
/// change the bound.
///
/// A leak that has every identity column needs no match: it is read as
/// a format adaptor's verification reads it, the master is not opened nor
/// `extra` read, and [`MasterMatch::used`] is false.
///
/// `progress` is called every few thousand rows of the master extract (of
/// the leak, when it has the identity columns).
pub fn verify_rows_with_master<L: RowSource, M: RowSource>(
    detector: &Detector,
    mut leak: L,
    open_master: impl FnOnce() -> Result<M>,
    extra: &[ExtraRows],
    progress: &mut dyn FnMut(Progress),
) -> std::result::Result<(Attribution, MasterMatch), MasterError> {
    let names = leak.header().to_vec();
    let mut observer = detector
        .bind_without_identity(&names)
        .map_err(MasterError::Leak)?;
    let has_identity = !detector
        .scheme()
        .bind_with(&names, false)
        .map_err(MasterError::Leak)?
        .identity
        .is_empty();

    let mut batch = RowBatch::new();
    if has_identity {
        for_each_row(
            &mut leak,
            &mut batch,
            |at, row| observer.observe(at.row, |i| row.cell(i)),
            progress,
        )
        .map_err(MasterError::Leak)?;
        return Ok((observer.finish(), MasterMatch::default()));
    }
    // The leak's rows, kept batch by batch.
    let mut leak_rows: Vec<RowBatch> = Vec::new();
    while leak
        .next_batch(&mut batch, BATCH_ROWS)
        .map_err(MasterError::Leak)?
    {
        leak_rows.push(std::mem::take(&mut batch));
    }

    let mut master = open_master().map_err(MasterError::Master)?;
    let mut index = MasterIndex::new(detector, &names, master.header())?;
    for row in leak_rows.iter().flat_map(RowBatch::rows) {
        index.add_leak_row(|i| row.cell(i));
    }
    for_each_row(
        &mut master,
        &mut batch,
        |_, row| {
            index.add_master_row(|i| row.cell(i));
            Ok(())
        },
        progress,
    )
    .map_err(MasterError::Master)?;
    for extra in extra {
        index
            .add_rows(&extra.header, &extra.rows)
            .map_err(MasterError::Extra)?;
    }

    let mut found = MasterMatch {
        used: true,
        columns: index.columns(),
        master_rows: index.master_rows(),
        extra_rows: index.extra_rows(),
        ..MasterMatch::default()
    };
    let mut identity: Vec<&str> = Vec::new();
    let mut n = 0;
    for batch in &leak_rows {
        for k in 0..batch.len() {
            let (row, at) = (batch.row(k), batch.position(k));
            let matched = match index.lookup(n) {
                MasterLookup::Matched(values) => {
                    found.rows_matched += 1;
                    identity.clear();
                    identity.extend(values.iter().map(String::as_str));
                    Some(identity.as_slice())
                }
                MasterLookup::Unmatched => {
                    found.rows_unmatched += 1;
                    None
                }
                MasterLookup::Ambiguous => {
                    found.rows_ambiguous += 1;
                    None
                }
            };
            n += 1;
            observer
                .observe_identified(at.row, matched, |i| row.cell(i))
                .map_err(|e| MasterError::Leak(at.place(e)))?;
        }
    }
    Ok((observer.finish(), found))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::carrier::{Carrier, Slot, SlotBits};
    use crate::dictionary::{mx_address, Dictionary};
    use crate::{MasterKey, Policy, Recipient};

    const POLICY: &str = r#"
version = 1
identity = ["CURP"]
[[carrier]]
column = "CALLE"
kind = "variants"
[[carrier]]
column = "MONTO"
kind = "numeric"
decimals = 2
"#;

    fn key() -> MasterKey {
        MasterKey::from_bytes([7; 32])
    }

    fn recipients() -> Vec<Recipient> {
        (0..4)
            .map(|i| Recipient::new(format!("r{i}"), i * 3).unwrap())
            .collect()
    }

    fn detector(policy: &Policy) -> Detector {
        Detector::builder()
            .key(&key())
            .policy(policy)
            .recipients(recipients())
            .build()
            .unwrap()
    }

    fn canon(c: &Carrier, cell: &str) -> String {
        let mut out = String::new();
        c.canonical(cell, &mut String::new(), &mut out);
        out
    }

    fn variants() -> Carrier {
        Carrier::Variants(Box::new(Dictionary::compile(&mx_address()).unwrap()))
    }

    /// Every cell a copy can hold for `cell`: each slot written to each bit,
    /// with and without its dot.
    fn every_marking(c: &Carrier, cell: &str) -> Vec<String> {
        let mut slots: Vec<Slot> = Vec::new();
        c.slots(cell, &mut String::new(), &mut slots);
        let choices = [
            SlotBits::default(),
            SlotBits {
                main: Some(false),
                dot: None,
            },
            SlotBits {
                main: Some(true),
                dot: None,
            },
            SlotBits {
                main: Some(true),
                dot: Some(true),
            },
            SlotBits {
                main: Some(true),
                dot: Some(false),
            },
        ];
        let mut out = Vec::new();
        let combinations = choices.len().pow(slots.len() as u32);
        for mut n in 0..combinations {
            let bits: Vec<SlotBits> = (0..slots.len())
                .map(|_| {
                    let b = choices[n % choices.len()];
                    n /= choices.len();
                    b
                })
                .collect();
            let mut written = String::new();
            c.write(cell, &slots, &bits, &mut written);
            out.push(written);
        }
        out
    }

    #[test]
    fn marks_do_not_change_the_canonical_form() {
        let v = variants();
        for cell in [
            "AV. REFORMA NTE. 12",
            "Av Reforma Pte., Int. 4",
            "BULEVAR ADOLFO LOPEZ MATEOS",
            "Blvr. Lopez Mateos",
            "CALLE C",
            "Cjón. del Río S/N",
            "MZ 4 LT 5 DEPTO 3",
            "COL. CENTRO",
            "REFORMA",
            "",
        ] {
            let want = canon(&v, cell);
            let copies = every_marking(&v, cell);
            assert!(copies.len() > 1 || cell == "REFORMA" || cell.is_empty());
            for copy in copies {
                assert_eq!(canon(&v, &copy), want, "{cell:?} written as {copy:?}");
            }
        }
        let n = Carrier::Numeric { decimals: 2 };
        for cell in ["6353.93", "$6,353.90", "0.01", "-12.48", "7", "6353.9"] {
            let want = canon(&n, cell);
            for copy in every_marking(&n, cell) {
                assert_eq!(canon(&n, &copy), want, "{cell:?} written as {copy:?}");
            }
        }
    }

    #[test]
    fn spellings_a_normaliser_writes_read_the_same() {
        let v = variants();
        let same = |cells: &[&str]| {
            let want = canon(&v, cells[0]);
            for cell in cells {
                assert_eq!(canon(&v, cell), want, "{cell:?} vs {:?}", cells[0]);
            }
        };
        // Every abbreviation expanded, contracted, dots dropped, case, accents,
        // white space and invisible characters changed.
        same(&[
            "AV. REFORMA NTE. 12, INT. 4",
            "AVENIDA REFORMA NORTE 12, INTERIOR 4",
            "av reforma nte 12, int 4",
            "  Avenida   Reforma\u{200B} Nte. 12, Int. 4 ",
            "AVE. REFORMA NORTE 12, INT 4",
        ]);
        same(&[
            "BLVD. LOPEZ",
            "BULEVAR LOPEZ",
            "Boulevard López",
            "blvr lopez",
        ]);
        same(&[
            "CJÓN. DEL RÍO S/N",
            "CALLEJON DEL RIO SN",
            "Callejón del Río s.n.",
        ]);
        // Words out of their marked place still read alike.
        same(&["REFORMA AV.", "REFORMA AVENIDA"]);
        assert_ne!(canon(&v, "AV. REFORMA"), canon(&v, "AV. JUAREZ"));
        assert_eq!(canon(&v, "   "), "");

        let n = Carrier::Numeric { decimals: 2 };
        for (a, b) in [
            ("6353.93", "6353.92"),
            ("6353.93", "$6,353.92"),
            ("6353.90", "6353.9"),
            ("6353.91", "6353.9"),
            ("6353.00", "6353"),
            ("0.01", "-0.00"),
            ("007.50", "7.5"),
        ] {
            assert_eq!(canon(&n, a), canon(&n, b), "{a} vs {b}");
        }
        // An amount shifted by one centavo keeps its form, except across
        // a tens boundary.
        assert_eq!(canon(&n, "6353.93"), canon(&n, "6353.94"));
        assert_ne!(canon(&n, "6353.99"), canon(&n, "6354.00"));
        assert_ne!(canon(&n, "6353.93"), canon(&n, "6353.83"));
        assert_eq!(canon(&n, "6353.93"), "6353.90");
        assert_eq!(canon(&n, "n/a "), "N/A");
        assert_eq!(canon(&n, "12.345"), "12.345");
    }

    fn lookups(index: &MasterIndex<'_>, n: usize) -> Vec<Option<Option<String>>> {
        // Some(Some(curp)) matched, Some(None) ambiguous, None unmatched.
        (0..n)
            .map(|r| match index.lookup(r) {
                MasterLookup::Matched(v) => Some(Some(v.join("|"))),
                MasterLookup::Ambiguous => Some(None),
                MasterLookup::Unmatched => None,
            })
            .collect()
    }

    #[test]
    fn ambiguous_unmatched_and_empty_cells() {
        let policy = Policy::from_toml(POLICY).unwrap();
        let d = detector(&policy);
        let master_header = ["CURP", "Nombre", "CALLE", "MONTO", "SECCION"];
        let leak_header = ["calle", "NOMBRE ", "SECCIÓN", "OTRA"];
        let mut index = MasterIndex::new(&d, &leak_header, &master_header).unwrap();
        assert_eq!(index.columns(), ["calle", "NOMBRE ", "SECCIÓN"]);
        let leak = [
            ["AVENIDA REFORMA", "ANA", "1", "x"], // 0: C1
            ["C. HIDALGO", "LUIS", "2", "x"],     // 1: two CURPs
            ["", "EVA", "", "x"],                 // 2: C4, empty cells
            ["AV. X", "ZOE", "3", "x"],           // 3: nothing (then a canary)
            ["av reforma", " ana", "1", "y"],     // 4: the same key as 0
            ["AV. X", "EVA", "", "x"],            // 5: nothing
        ];
        for row in &leak {
            index.add_leak_row(|i| row[i]);
        }
        let master = [
            ["C1", "Ana", "AV. REFORMA", "1.00", "1"],
            ["C2", "LUIS", "CALLE HIDALGO", "2.00", "2"],
            ["C3", "LUIS", "C HIDALGO", "3.01", "2"],
            ["C4", "EVA", "", "4.00", ""],
            ["C5", "EVA", "AV. X", "5.00", "7"],
            ["C6", "EVA", "  ", "4.00", "9"],
            // A repeated row of C1, spelled otherwise: not an ambiguity.
            ["c1 ", "ANA", "Avenida Reforma", "9.99", "1"],
        ];
        for row in &master {
            index.add_master_row(|i| row[i]);
        }
        assert_eq!(index.master_rows(), 7);
        let got = lookups(&index, leak.len());
        assert_eq!(
            got,
            [
                Some(Some("C1".to_string())),
                Some(None),
                Some(Some("C4".to_string())),
                None,
                Some(Some("C1".to_string())),
                None,
            ]
        );

        // Extra rows, with their own column order.
        let header = ["SECCION", "NOMBRE", "CURP", "CALLE", "MONTO"];
        index
            .add_rows(&header, [["3", "ZOE", "C9", "AVENIDA X", "0.00"]])
            .unwrap();
        assert_eq!(index.lookup(3), MasterLookup::Matched(&["C9".to_string()]));
        assert_eq!(index.extra_rows(), 1);
        // A row of another length, or a header without a matched column.
        let err = index
            .add_rows(&header, [vec!["3", "ZOE", "C9"]])
            .unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::UnequalLengths { .. }));
        assert_eq!(err.row(), Some(1));
        let err = index
            .add_rows(&["CURP", "CALLE", "SECCION"], [["C9", "X", "3"]])
            .unwrap_err();
        assert!(err.to_string().contains("NOMBRE"), "{err}");
        let err = index
            .add_rows(&["NOMBRE", "CALLE", "SECCION"], [["C9", "X", "3"]])
            .unwrap_err();
        assert!(err.to_string().contains("CURP"), "{err}");
    }

    #[test]
    fn headers_that_cannot_be_matched_are_refused() {
        let policy = Policy::from_toml(POLICY).unwrap();
        let d = detector(&policy);
        let err = MasterIndex::new(&d, &["FOO", "BAR"], &["CURP", "CALLE"]).unwrap_err();
        assert!(matches!(err, MasterError::NoSharedColumn { .. }), "{err}");
        assert!(err.to_string().contains("FOO, BAR"), "{err}");
        let err = MasterIndex::new(&d, &["CALLE"], &["NOMBRE", "CALLE"]).unwrap_err();
        match err {
            MasterError::Master(e) => assert!(
                matches!(
                    e.kind(),
                    ErrorKind::MissingColumn {
                        role: "identity",
                        ..
                    }
                ),
                "{e}"
            ),
            other => panic!("{other}"),
        }
        let err = MasterIndex::new(&d, &["CALLE", "Calle "], &["CURP", "CALLE"]).unwrap_err();
        assert!(matches!(err, MasterError::Leak(_)), "{err}");
        let err = MasterIndex::new(&d, &["CALLE"], &["CURP", "CALLE", "calle"]).unwrap_err();
        assert!(matches!(err, MasterError::Master(_)), "{err}");
        // Duplicate names that play no part are no obstacle.
        MasterIndex::new(&d, &["CALLE", "X", "x", ""], &["CURP", "CALLE", "", ""]).unwrap();
    }
}
