//! Canary rows: synthetic people, each a position of the code.
//!
//! A canary is built from the extract's own rows. Its given names and sex
//! come from one real row, each surname from another, its birth date from a
//! fourth. The other columns (address, section, district), with the CURP's
//! birth state and the clave's entity, are *free columns*, drawn so that the
//! canary holds together the way real rows do without being a copy of any:
//! a uniform sample of the extract tells which free columns depend on which
//! (two rows sharing one share the other more often than chance); columns
//! that determine each other form a group, and each group comes from its own
//! uniformly drawn row, or, when it depends on earlier groups, from a row
//! drawn among those that agree with the canary on them. A copied address
//! would be a twin of its source row, which real rows without households
//! never have; drawn this way, a canary's full address is new as often as a
//! real row's, and its postal code, municipality and birth state agree with
//! its entity as real rows' do.
//!
//! Copying a drawn row's value would still leave a trace: the canary shares
//! it with one row more than a real row shares its own, so no canary's
//! postal code or section would ever be the only one. So each group's value
//! is chosen leave-one-out (Good–Turing): when the drawn row's value occurs
//! `c` times among the rows it was drawn from, the canary takes a value
//! drawn uniformly among those occurring `c − 1` times, and a new number
//! near the drawn one (same width, same first digits) when `c` is 1; in a
//! copy its value then occurs `m` times as often as a real row's does.
//!
//! Its identifiers are built from those parts by the registry's rules: a
//! CURP with its letters, birth date, sex, state, differentiator and check
//! digit; a clave de elector; an NSS with its Luhn digit. Canaries whose
//! identity, CURP, clave or NSS equals a real row's (or another canary's)
//! are dropped.
//!
//! Each canary is a position of the code: its presence position derives
//! from its anchor under the canary subkey, its bias folded to at most 1/2
//! (see [`presence_position`]), and recipient `j`'s copy holds the canary
//! iff `j`'s bit there is 1. A canary's other cells carry marks like any
//! row's.
//!
//! Placement follows the extract's sort order. The longest chain of columns
//! (up to four) that the first rows are sorted by, each breaking ties of the
//! ones before, is taken as the sort key and then checked on every row; a
//! canary goes to a keyed uniform place among the rows of its own key. An
//! unsorted extract gets each canary at a keyed uniform place anywhere.
//! Either way never right next to a row it drew anything from.
//!
//! Generation is deterministic: the same key, policy and input give the same
//! canaries, so a copy issued again is the same bytes. The canary list is
//! still kept (secret, beside the key) so verification need not re-read the
//! extract.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::code::{Anchor, Position, RowHeads};
use crate::error::{Error, ErrorKind, Result};
use crate::ids::{self, CurpInput, Sex};
use crate::key::Subkeys;
use crate::normalize::fold;
use crate::policy::{Canaries, Policy};
use crate::rows::{self, Progress, Row, RowBatch, RowSource};
use crate::scheme::Scheme;
use watermark_text::{said, Msg};

mod contact;

/// Rows examined to find the sort key.
const SORT_SAMPLE: usize = 50_000;
/// Longest sort key considered.
const MAX_SORT_COLUMNS: usize = 4;
/// Format version of the canary list file.
const LIST_VERSION: u32 = 1;

/// The canaries made for one extract under one key and policy. Secret:
/// whoever holds it can find and remove every canary.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CanaryList {
    version: u32,
    key_id: String,
    policy_digest: String,
    input_blake3: String,
    input_rows: u64,
    header: Vec<String>,
    /// The sort key the canaries were placed by; empty when the extract is
    /// not sorted (each canary is at a uniformly drawn place).
    sort_columns: Vec<String>,
    rows: Vec<CanaryRow>,
}

/// One canary.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CanaryRow {
    /// Its values, one per column of the extract.
    pub values: Vec<String>,
    /// It follows input data row `after_row` (0: before the first).
    pub after_row: u64,
}

impl std::fmt::Debug for CanaryRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A canary's values are secret.
        f.debug_struct("CanaryRow")
            .field("after_row", &self.after_row)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for CanaryList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The rows are the secret: never in logs.
        f.debug_struct("CanaryList")
            .field("key_id", &self.key_id)
            .field("policy_digest", &self.policy_digest)
            .field("input_blake3", &self.input_blake3)
            .field("canaries", &self.rows.len())
            .finish_non_exhaustive()
    }
}

impl CanaryList {
    /// The number of canaries (each copy holds about half of them).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none (a tiny extract, or a tiny rate).
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// BLAKE3 of the extract the canaries were made for.
    pub fn input_blake3(&self) -> &str {
        &self.input_blake3
    }

    /// Digest of the policy they were made under.
    pub fn policy_digest(&self) -> &str {
        &self.policy_digest
    }

    /// Id of the key they were made under.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Data rows of the extract.
    pub fn input_rows(&self) -> u64 {
        self.input_rows
    }

    /// The extract's header (the canaries' columns).
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The columns the canaries were placed by (empty: anywhere, the
    /// extract being unsorted).
    pub fn sort_columns(&self) -> &[String] {
        &self.sort_columns
    }

    /// Every canary's values, in the extract's column order. Secret.
    pub fn rows(&self) -> impl Iterator<Item = &[String]> {
        self.rows.iter().map(|r| r.values.as_slice())
    }

    /// The canary rows, in the order they are placed.
    pub fn placed(&self) -> &[CanaryRow] {
        &self.rows
    }

    /// BLAKE3 (hex) of [`CanaryList::to_json`], the file the state keeps:
    /// what log entries record of the list.
    pub fn file_blake3(&self) -> String {
        blake3::hash(self.to_json().as_bytes()).to_hex().to_string()
    }

    /// The list as JSON, for the state's canary file.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("canary lists serialise")
    }

    /// Parses a canary file. Errors never echo its content.
    pub fn from_json(text: &str) -> Result<CanaryList> {
        let list: CanaryList = serde_json::from_str(text)
            .map_err(|e| Error::state(said!(Msg::CoNotCanaryList, e.line(), e.column())))?;
        if list.version != LIST_VERSION {
            return Err(Error::state(said!(
                Msg::CoCanaryListVersion,
                list.version,
                LIST_VERSION
            )));
        }
        let n = list.header.len();
        if list.rows.iter().any(|r| r.values.len() != n)
            || list
                .rows
                .windows(2)
                .any(|w| w[0].after_row > w[1].after_row)
            || list
                .rows
                .last()
                .is_some_and(|r| r.after_row > list.input_rows)
        {
            return Err(Error::state(Msg::CoCanaryListDamaged));
        }
        Ok(list)
    }
}

/// The position a canary's presence is written at: position 0 of the row
/// whose anchor is `BLAKE3(K_canary, anchor)`, so it shares nothing with the
/// canary's own cells. Its bias is folded to at most 1/2 (`min(p, 1 − p)`,
/// the arcsine restricted to `[t, 1/2]`): a canary present in a leak weighs
/// `ln(1/p)` for a lone leaker, so rare canaries carry about 1.85 times the
/// evidence per canary row in a copy (1.09 nats against 0.59 at cutoff 0.15),
/// for a list about 1.6 times as long.
pub(crate) fn presence_position(scheme: &Scheme, anchor: &Anchor) -> Position {
    let derived = Anchor(*blake3::keyed_hash(&scheme.keys.canary, &anchor.0).as_bytes());
    let mut heads = RowHeads::default();
    heads.fill(&scheme.keys, &derived, 0);
    let mut pos = scheme.code.position(&derived, 0, &heads);
    pos.threshold = fold_bias(pos.threshold);
    pos
}

/// A bias threshold folded to at most 1/2 (`65536 · min(p, 1 − p)`).
fn fold_bias(threshold: u16) -> u16 {
    threshold.min((65536 - u32::from(threshold)) as u16)
}

/// The mean presence bias of canaries under `scheme`: the share of the
/// canary list each copy holds.
fn mean_presence(scheme: &Scheme) -> f64 {
    let sum: u64 = (0..=u16::MAX)
        .map(|draw| u64::from(fold_bias(scheme.code.threshold(draw))))
        .sum();
    sum as f64 / 65536.0 / 65536.0
}

/// The anchor of a canary row of `list`, whose header the scheme binds.
pub(crate) fn canary_anchors(scheme: &Scheme, list: &CanaryList) -> Result<Vec<Anchor>> {
    let binding = scheme.bind(&list.header)?;
    let mut scratch = String::new();
    list.rows
        .iter()
        .map(|r| scheme.row_anchor(&binding, |i| r.values[i].as_str(), &mut scratch))
        .collect()
}

/// A deterministic stream of draws under the canary key.
struct Draws(blake3::OutputReader);

impl Draws {
    /// The stream named `label` (one per use, so the uses never share
    /// draws).
    fn new(keys: &Subkeys, label: &[u8], input_blake3: &str, policy_digest: &str) -> Draws {
        let mut h = blake3::Hasher::new_keyed(&keys.canary);
        h.update(b"watermark canary v2\0");
        h.update(label);
        h.update(b"\0");
        h.update(input_blake3.as_bytes());
        h.update(b"\0");
        h.update(policy_digest.as_bytes());
        Draws(h.finalize_xof())
    }

    fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.0.fill(&mut b);
        u64::from_le_bytes(b)
    }

    /// Uniform in `0..n` (n > 0), without modulo bias.
    fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.u64();
            if x < zone {
                return x % n;
            }
        }
    }
}

/// Where each canary role is in the header.
#[derive(Default, Debug)]
struct Roles {
    given: Option<usize>,
    first: Option<usize>,
    second: Option<usize>,
    full: Option<usize>,
    sex: Option<usize>,
    birth: Option<usize>,
    curp: Option<usize>,
    clave: Option<usize>,
    nss: Option<usize>,
    email: Option<usize>,
    phone: Option<usize>,
    codes: Vec<usize>,
}

impl Roles {
    fn bind(spec: &Canaries, header: &[String]) -> Result<Roles> {
        let folded: Vec<String> = header.iter().map(|h| fold(h)).collect();
        let mut roles = Roles::default();
        for (role, column) in spec.roles() {
            let f = fold(column);
            let Some(i) = folded.iter().position(|h| *h == f) else {
                return Err(ErrorKind::MissingColumn {
                    column: column.to_string(),
                    role: "canary",
                    available: header.join(", "),
                }
                .into());
            };
            if role == "codes" {
                roles.codes.push(i);
                continue;
            }
            let slot = match role {
                "given_names" => &mut roles.given,
                "first_surname" => &mut roles.first,
                "second_surname" => &mut roles.second,
                "full_name" => &mut roles.full,
                "sex" => &mut roles.sex,
                "birth_date" => &mut roles.birth,
                "curp" => &mut roles.curp,
                "clave_elector" => &mut roles.clave,
                "email" => &mut roles.email,
                "phone" => &mut roles.phone,
                _ => &mut roles.nss,
            };
            *slot = Some(i);
        }
        Ok(roles)
    }

    /// Every column in a role.
    fn columns(&self) -> Vec<usize> {
        [
            self.given,
            self.first,
            self.second,
            self.full,
            self.sex,
            self.birth,
            self.curp,
            self.clave,
            self.nss,
            self.email,
            self.phone,
        ]
        .into_iter()
        .flatten()
        .chain(self.codes.iter().copied())
        .collect()
    }

    /// A row's names and birth year, as its name, birth-date and CURP
    /// columns give them (what an e-mail address is made of).
    fn person(&self, row: &[String]) -> Option<contact::Person> {
        let (mut given, mut first, mut second) = match self.full {
            Some(i) => split_full_name(&row[i]),
            None => Default::default(),
        };
        if let Some(i) = self.given {
            given = row[i].clone();
        }
        if let Some(i) = self.first {
            first = row[i].clone();
        }
        if let Some(i) = self.second {
            second = row[i].clone();
        }
        if given.trim().is_empty() {
            return None;
        }
        let year = self
            .birth
            .and_then(|i| parse_date(&row[i]))
            .or_else(|| self.curp.and_then(|i| curp_birth(&fold(&row[i]))))
            .map(|b| b.0);
        Some(contact::Person {
            given,
            first,
            second,
            year,
        })
    }

    /// Columns whose folded value must be unique to a canary.
    fn identifiers(&self) -> impl Iterator<Item = usize> {
        [self.curp, self.clave, self.nss].into_iter().flatten()
    }
}

/// Reads every row of a freshly opened extract; returns its header and its
/// number of rows.
fn each_row<S: RowSource>(
    mut source: S,
    batch: &mut RowBatch,
    mut f: impl FnMut(u64, Row<'_>) -> Result<()>,
    progress: &mut dyn FnMut(Progress),
) -> Result<(Vec<String>, u64)> {
    let rows = rows::for_each_row(&mut source, batch, |at, row| f(at.row, row), progress)?;
    Ok((source.header().to_vec(), rows))
}

/// Compares two folded values: as numbers when both are digits, else as text.
fn cmp_value(a: &str, b: &str) -> Ordering {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if digits(a) && digits(b) {
        let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    } else {
        a.cmp(b)
    }
}

fn cmp_key(a: &[String], b: &[String]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| cmp_value(x, y))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// The longest chain of columns the sample is sorted by, each column
/// breaking ties left by the ones before; empty when there is none.
fn sort_chain(sample: &[Vec<String>], columns: usize) -> Vec<usize> {
    fn extend(
        sample: &[Vec<String>],
        columns: usize,
        chain: &mut Vec<usize>,
        best: &mut Vec<usize>,
    ) {
        if chain.len() > best.len() {
            *best = chain.clone();
        }
        if chain.len() == MAX_SORT_COLUMNS {
            return;
        }
        for c in 0..columns {
            if chain.contains(&c) {
                continue;
            }
            let mut breaks_ties = false;
            let mut sorted = true;
            for w in sample.windows(2) {
                let tied = chain.iter().all(|&k| w[0][k] == w[1][k]);
                if !tied {
                    continue;
                }
                match cmp_value(&w[0][c], &w[1][c]) {
                    Ordering::Less => breaks_ties = true,
                    Ordering::Equal => {}
                    Ordering::Greater => {
                        sorted = false;
                        break;
                    }
                }
            }
            if sorted && breaks_ties {
                chain.push(c);
                extend(sample, columns, chain, best);
                chain.pop();
            }
        }
    }
    let mut best = Vec::new();
    if sample.len() >= 3 {
        extend(sample, columns, &mut Vec::new(), &mut best);
    }
    best
}

/// Name particles that join the word after them (`DE LA CRUZ`).
fn is_particle(word: &str) -> bool {
    ids::NAME_PARTICLES.contains(&word)
}

/// A full name, given names first, cut into (given names, first surname,
/// second surname): the last two name units are the surnames, a unit being
/// a word with the particles before it.
fn split_full_name(full: &str) -> (String, String, String) {
    let mut units: Vec<String> = Vec::new();
    let mut pending = String::new();
    for word in full.split_whitespace() {
        if !pending.is_empty() {
            pending.push(' ');
        }
        pending.push_str(word);
        if !is_particle(&fold(word)) {
            units.push(std::mem::take(&mut pending));
        }
    }
    if !pending.is_empty() {
        units.push(pending);
    }
    match units.len() {
        0 => (String::new(), String::new(), String::new()),
        1 => (units[0].clone(), String::new(), String::new()),
        2 => (units[0].clone(), units[1].clone(), String::new()),
        n => (
            units[..n - 2].join(" "),
            units[n - 2].clone(),
            units[n - 1].clone(),
        ),
    }
}

/// Parses a birth date as written in extracts: `dd/mm/yyyy`, `dd-mm-yyyy`,
/// `yyyy-mm-dd`, `yyyy/mm/dd` or `yyyymmdd`.
fn parse_date(s: &str) -> Option<(u16, u8, u8)> {
    let s = s.trim();
    let parts: Vec<&str> = s.split(['/', '-', '.']).collect();
    let num = |p: &str| -> Option<u32> {
        (!p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    let (y, m, d) = match parts.as_slice() {
        [a, b, c] if a.len() == 4 => (num(a)?, num(b)?, num(c)?),
        [a, b, c] if c.len() == 4 => (num(c)?, num(b)?, num(a)?),
        [a] if a.len() == 8 => (num(&a[..4])?, num(&a[4..6])?, num(&a[6..])?),
        _ => return None,
    };
    let (y, m, d) = (
        u16::try_from(y).ok()?,
        u8::try_from(m).ok()?,
        u8::try_from(d).ok()?,
    );
    ids::is_real_date(y, m, d).then_some((y, m, d))
}

/// The birth date a CURP records (its differentiator tells the century).
fn curp_birth(curp: &str) -> Option<(u16, u8, u8)> {
    let c: Vec<char> = curp.chars().collect();
    if c.len() != 18 {
        return None;
    }
    let two = |i: usize| -> Option<u16> {
        u16::try_from(c[i].to_digit(10)? * 10 + c[i + 1].to_digit(10)?).ok()
    };
    let yy = two(4)?;
    let year = if c[16].is_ascii_digit() {
        1900 + yy
    } else {
        2000 + yy
    };
    let (m, d) = (u8::try_from(two(6)?).ok()?, u8::try_from(two(8)?).ok()?);
    ids::is_real_date(year, m, d).then_some((year, m, d))
}

fn sex_of(value: &str) -> Option<Sex> {
    let f = fold(value);
    match f.as_str() {
        "HOMBRE" | "MASCULINO" => Some(Sex::H),
        "MUJER" | "FEMENINO" => Some(Sex::M),
        _ if f.chars().count() == 1 => f.chars().next().and_then(Sex::from_char),
        _ => None,
    }
}

/// The CURP state code whose INEGI number is `n`.
fn state_code_of_number(n: u8) -> Option<&'static str> {
    ids::STATE_CODES
        .iter()
        .map(|(code, _)| *code)
        .find(|code| ids::state_number(code) == Some(n))
}

/// Builds one canary from its five role source rows and its drawn free
/// values; `None` when the sources cannot make a valid one (the caller
/// draws again).
fn build_canary(
    roles: &Roles,
    [neighbour, given_src, first_src, second_src, birth_src]: [&[String]; 5],
    model: &Model,
    drawn: &[String],
    draws: &mut Draws,
) -> Option<Vec<String>> {
    let mut out: Vec<String> = neighbour.to_vec();
    for (f, v) in model.free.iter().zip(drawn) {
        if let Free::Column(i) = f {
            out[*i] = v.clone();
        }
    }
    // Names: given names (with their sex) from one row, each surname from
    // another.
    let (given, first, second) = if let Some(full) = roles.full {
        let (g, _, _) = split_full_name(&given_src[full]);
        let (_, s1, _) = split_full_name(&first_src[full]);
        let (_, m1, m2) = split_full_name(&second_src[full]);
        let s2 = if m2.is_empty() { m1 } else { m2 };
        (g, s1, s2)
    } else {
        (String::new(), String::new(), String::new())
    };
    let given = roles.given.map_or(given, |i| given_src[i].clone());
    let first = roles.first.map_or(first, |i| first_src[i].clone());
    let second = roles.second.map_or(second, |i| second_src[i].clone());
    if given.trim().is_empty() {
        return None;
    }
    if let Some(i) = roles.given {
        out[i] = given.clone();
    }
    if let Some(i) = roles.first {
        out[i] = first.clone();
    }
    if let Some(i) = roles.second {
        out[i] = second.clone();
    }
    if let Some(i) = roles.full {
        out[i] = [given.as_str(), first.as_str(), second.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
    }
    // Sex goes with the given names.
    let sex = roles
        .sex
        .and_then(|i| sex_of(&given_src[i]))
        .or_else(|| {
            roles
                .curp
                .and_then(|i| given_src[i].chars().nth(10).and_then(Sex::from_char))
        })
        .unwrap_or(if draws.below(2) == 0 { Sex::H } else { Sex::M });
    if let Some(i) = roles.sex {
        out[i] = given_src[i].clone();
    }
    // Birth date, birth state and CURP differentiator from one row.
    let donor_curp = roles.curp.map(|i| fold(&birth_src[i]));
    let birth = roles
        .birth
        .and_then(|i| parse_date(&birth_src[i]))
        .or_else(|| donor_curp.as_deref().and_then(curp_birth));
    if let Some(i) = roles.birth {
        out[i] = birth_src[i].clone();
    }
    let needs_birth = roles.curp.is_some() || roles.clave.is_some() || roles.nss.is_some();
    let birth = match birth {
        Some(b) => b,
        None if needs_birth => return None,
        None => (1970, 1, 1),
    };
    // The differentiator goes with the birth date; the birth state was
    // drawn with the address, as real rows tie the two.
    let donor = donor_curp.as_deref().unwrap_or("");
    let (donor_state, homonym) = if ids::is_valid_curp(donor) {
        let chars: Vec<char> = donor.chars().collect();
        (chars[11..13].iter().collect::<String>(), chars[16])
    } else {
        ("NE".to_string(), if birth.0 < 2000 { '0' } else { 'A' })
    };
    let birth_state = model
        .drawn(drawn, |f| matches!(f, Free::CurpState(_)))
        .filter(|s| *s == "NE" || ids::state_number(s).is_some())
        .map_or(donor_state, str::to_string);
    let person = |state| CurpInput {
        given_names: &given,
        first_surname: &first,
        second_surname: &second,
        birth,
        sex,
        state,
    };
    if let Some(i) = roles.curp {
        let curp = ids::build_curp(&person(&birth_state), homonym);
        if !ids::is_valid_curp(&curp) {
            return None;
        }
        out[i] = curp;
    }
    if let Some(i) = roles.clave {
        // The clave's entity was drawn with the address.
        let here: Vec<char> = model
            .drawn(drawn, |f| matches!(f, Free::ClaveEntity(_)))
            .unwrap_or("")
            .chars()
            .collect();
        let number = (here.len() == 2)
            .then(|| Some(here[0].to_digit(10)? * 10 + here[1].to_digit(10)?))
            .flatten()
            .and_then(|n| u8::try_from(n).ok());
        let state = number.and_then(state_code_of_number)?;
        let suffix = u16::try_from(draws.below(1000)).expect("below 1000");
        let clave = ids::build_clave_elector(&person(state), suffix)?;
        if !ids::is_valid_clave_elector(&clave) {
            return None;
        }
        out[i] = clave;
    }
    if let Some(i) = roles.nss {
        // Subdelegation and year of registration from the neighbour, birth
        // year from the canary, a drawn serial, then the Luhn digit.
        let here = neighbour[i].trim();
        if here.len() != 11 || !here.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let first10 = format!(
            "{}{:02}{:04}",
            &here[..4],
            birth.0 % 100,
            draws.below(10_000)
        );
        let check = ids::nss_check_digit(&first10)?;
        out[i] = format!("{first10}{check}");
    }
    Some(out)
}

/// The canonical identity of a row under the policy (its anchor's input).
fn identity_key(identity: &[usize], values: &[impl AsRef<str>]) -> String {
    let mut s = String::new();
    for (k, &i) in identity.iter().enumerate() {
        if k > 0 {
            s.push('\u{1F}');
        }
        crate::normalize::identity_into(values[i].as_ref(), &mut s);
    }
    s
}

/// One column a canary draws from real rows: a column of the extract in no
/// canary role, or the part of an identifier that says where its holder
/// was born or registered (the CURP's birth state, the clave's entity),
/// which real rows tie to their address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Free {
    Column(usize),
    CurpState(usize),
    ClaveEntity(usize),
}

impl Free {
    /// The column of the extract the value is read from.
    fn source(self) -> usize {
        match self {
            Free::Column(i) | Free::CurpState(i) | Free::ClaveEntity(i) => i,
        }
    }

    /// The value in a row (empty when the identifier is malformed).
    fn value<S: AsRef<str>>(self, row: &[S]) -> String {
        match self {
            Free::Column(i) => row[i].as_ref().to_string(),
            Free::CurpState(i) => {
                let c = fold(row[i].as_ref());
                if ids::is_valid_curp(&c) {
                    c.chars().skip(11).take(2).collect()
                } else {
                    String::new()
                }
            }
            Free::ClaveEntity(i) => {
                let c: Vec<char> = fold(row[i].as_ref()).chars().collect();
                if c.len() == 18 && c[12].is_ascii_digit() && c[13].is_ascii_digit() {
                    c[12..14].iter().collect()
                } else {
                    String::new()
                }
            }
        }
    }
}

/// Rows sampled (uniformly over the extract) to learn which free columns
/// go together.
const MODEL_SAMPLE: usize = 20_000;
/// Pairs of sample rows sharing a value needed before a dependency is
/// believed.
const MIN_PAIRS: usize = 30;
/// Dependency above which one column's value is drawn given another's.
const RELATED: f64 = 0.5;
/// Dependency (both ways) above which two columns are one: drawn together.
const SAME: f64 = 0.9;

/// Free columns drawn together, and the earlier groups they depend on.
#[derive(Debug)]
struct Group {
    /// Indices into [`Model::free`].
    members: Vec<usize>,
    /// Earlier groups (indices into [`Model::groups`]) this one depends on.
    parents: Vec<usize>,
    /// 0: drawn from a uniformly chosen row; 1: from a uniformly chosen row
    /// that agrees with the canary on the parents; 2: from the row that gave
    /// group `via` (a level-1 group).
    level: u8,
    via: usize,
}

/// How a canary's free columns are drawn, learnt from the extract.
#[derive(Debug)]
struct Model {
    free: Vec<Free>,
    /// In drawing order: fewest distinct values first.
    groups: Vec<Group>,
}

impl Model {
    fn free_columns(roles: &Roles, columns: usize) -> Vec<Free> {
        let taken = roles.columns();
        let mut free: Vec<Free> = (0..columns)
            .filter(|c| !taken.contains(c))
            .map(Free::Column)
            .collect();
        free.extend(roles.curp.map(Free::CurpState));
        free.extend(roles.clave.map(Free::ClaveEntity));
        free
    }

    /// Learns the groups from sample rows (their free values, folded).
    ///
    /// Column `a` makes `b` depend on it by how much more often two rows
    /// that share `a`'s value share `b`'s than two rows taken at random,
    /// scaled to 1 when they always do.
    fn learn(free: Vec<Free>, sample: &[Vec<String>]) -> Model {
        let m = free.len();
        let n = sample.len().max(1) as f64;
        let by_value: Vec<HashMap<&str, Vec<usize>>> = (0..m)
            .map(|j| {
                let mut g: HashMap<&str, Vec<usize>> = HashMap::new();
                for (r, row) in sample.iter().enumerate() {
                    g.entry(row[j].as_str()).or_default().push(r);
                }
                g
            })
            .collect();
        let distinct: Vec<usize> = by_value.iter().map(HashMap::len).collect();
        let chance: Vec<f64> = by_value
            .iter()
            .map(|g| g.values().map(|v| (v.len() as f64 / n).powi(2)).sum())
            .collect();
        let mut dep = vec![vec![0.0f64; m]; m];
        for a in 0..m {
            for b in 0..m {
                if a == b || chance[b] >= 1.0 - 1e-9 {
                    continue;
                }
                let (mut pairs, mut agree) = (0usize, 0usize);
                for rows in by_value[a].values() {
                    for w in rows.windows(2) {
                        pairs += 1;
                        agree += usize::from(sample[w[0]][b] == sample[w[1]][b]);
                    }
                }
                if pairs >= MIN_PAIRS {
                    dep[a][b] = (agree as f64 / pairs as f64 - chance[b]) / (1.0 - chance[b]);
                }
            }
        }
        // Columns that determine each other are one group.
        let mut rep: Vec<usize> = (0..m).collect();
        fn find(rep: &mut [usize], mut x: usize) -> usize {
            while rep[x] != x {
                x = rep[x];
            }
            x
        }
        let same = |a: usize, b: usize| dep[a][b] >= SAME && dep[b][a] >= SAME;
        for a in 0..m {
            for b in a + 1..m {
                if same(a, b) {
                    let (ra, rb) = (find(&mut rep, a), find(&mut rep, b));
                    rep[ra.max(rb)] = ra.min(rb);
                }
            }
        }
        let mut members: Vec<Vec<usize>> = Vec::new();
        for j in 0..m {
            let r = find(&mut rep, j);
            match members.iter_mut().find(|g| g[0] == r) {
                Some(g) => g.push(j),
                None => members.push(vec![j]),
            }
        }
        members.sort_by_key(|g| (g.iter().map(|&j| distinct[j]).min(), g[0]));
        let related = |g: &[usize], h: &[usize]| {
            g.iter().any(|&a| {
                h.iter()
                    .any(|&b| dep[a][b] >= RELATED || dep[b][a] >= RELATED)
            })
        };
        let mut groups: Vec<Group> = Vec::with_capacity(members.len());
        for (k, g) in members.iter().enumerate() {
            let parents: Vec<usize> = (0..k).filter(|&p| related(&members[p], g)).collect();
            let (level, via) = if parents.is_empty() {
                (0, k)
            } else if parents.iter().all(|&p| groups[p].level == 0) {
                (1, k)
            } else {
                // The latest parent drawn from a matching row gives this
                // group too, so it agrees with every parent.
                let p = *parents
                    .iter()
                    .rev()
                    .find(|&&p| groups[p].level > 0)
                    .expect("a parent above level 0");
                (2, groups[p].via)
            };
            groups.push(Group {
                members: g.clone(),
                parents,
                level,
                via,
            });
        }
        Model { free, groups }
    }

    /// The folded values of group `g`'s parents in `values` (free values),
    /// joined: what a matching row must agree on.
    fn parent_key<S: AsRef<str>>(&self, g: usize, values: &[S]) -> String {
        let mut key = String::new();
        for &p in &self.groups[g].parents {
            for &j in &self.groups[p].members {
                key.push_str(&fold(values[j].as_ref()));
                key.push('\u{1F}');
            }
        }
        key
    }

    /// The drawn value of the first free column matching `which`, if any.
    fn drawn<'a>(&self, values: &'a [String], which: fn(&Free) -> bool) -> Option<&'a str> {
        self.free.iter().position(which).map(|j| values[j].as_str())
    }
}

/// Up to `want` rows drawn uniformly, without replacement, from those that
/// match one key (reservoir sampling).
#[derive(Default)]
struct Reservoir {
    want: u64,
    seen: u64,
    /// (row number, its free values).
    slots: Vec<(u64, Vec<String>)>,
}

/// How often each value of a group occurs in one scope (the whole extract,
/// or the rows that agree with a canary on the group's parents), with one
/// row of each value drawn uniformly among the rows that hold it.
#[derive(Default)]
struct Tally {
    values: HashMap<String, Held>,
    /// The values occurring exactly `m` times, sorted, by `m`: filled by
    /// [`Tally::index`] once every row is counted.
    by_count: HashMap<u64, Vec<String>>,
}

/// One value of a [`Tally`].
struct Held {
    count: u64,
    /// The row drawn to stand for the value, and what it holds.
    row: u64,
    kept: Vec<String>,
}

/// What a canary takes for one group, chosen so that the value's count
/// among the real rows is one less than a real row's (see
/// [`Tally::choose`]).
enum Choice<'a> {
    /// The value of this row (its stand-in).
    Value(&'a Held),
    /// The drawn row's value: no value occurs one time fewer.
    Keep,
    /// A value no real row has: the drawn row's value occurs only there.
    Fresh,
}

impl Tally {
    fn add(
        &mut self,
        key: String,
        row: u64,
        kept: impl FnOnce() -> Vec<String>,
        draws: &mut Draws,
    ) {
        match self.values.entry(key) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(Held {
                    count: 1,
                    row,
                    kept: kept(),
                });
            }
            std::collections::hash_map::Entry::Occupied(mut e) => {
                let h = e.get_mut();
                h.count += 1;
                if draws.below(h.count) == 0 {
                    h.row = row;
                    h.kept = kept();
                }
            }
        }
    }

    fn index(&mut self) {
        for (k, h) in &self.values {
            self.by_count.entry(h.count).or_default().push(k.clone());
        }
        for v in self.by_count.values_mut() {
            v.sort_unstable();
        }
    }

    /// The value for a canary whose uniformly drawn row holds `drawn`.
    ///
    /// A real row drawn uniformly holds a value occurring `m` times with
    /// probability `m·n_m/N` (`n_m` values occur `m` times, among `N`
    /// rows). A canary that copied the drawn row's value would, in a copy,
    /// share it with one row more than that: no canary's value would ever
    /// be alone. So when the drawn value occurs `c` times, the canary takes
    /// a uniformly chosen value occurring `c − 1` times, and with it occurs
    /// `c` times in the copy, as often as a real row does; when `c` is 1 it
    /// needs a value no real row has. Where no value occurs `c − 1` times
    /// (only among common values, where one row more is lost in the count)
    /// the drawn value stays.
    fn choose(&self, drawn: &str, draws: &mut Draws) -> Choice<'_> {
        let c = self.values.get(drawn).map_or(1, |h| h.count);
        if c <= 1 {
            return Choice::Fresh;
        }
        match self.by_count.get(&(c - 1)) {
            Some(vals) if !vals.is_empty() => {
                let k = draws.below(vals.len() as u64) as usize;
                Choice::Value(&self.values[&vals[k]])
            }
            _ => Choice::Keep,
        }
    }
}

/// The folded values of `members` in `values`, joined.
fn joint_key<S: AsRef<str>>(members: &[usize], values: &[S]) -> String {
    let mut key = String::new();
    for &j in members {
        key.push_str(&fold(values[j].as_ref()));
        key.push('\u{1F}');
    }
    key
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A value for one of `members` that no real row (nor earlier canary) has,
/// made from the drawn `values` so the canary's group is new: for the
/// member written in digits whose drawn value is rarest, the nearest unused
/// number of the same width and, from three digits up, the same first two
/// (a postal code stays in its entity's range). `None` when there is no
/// such member or number.
fn fresh_value(
    model: &Model,
    members: &[usize],
    values: &[String],
    numbers: &mut [HashMap<String, u64>],
) -> Option<(usize, String)> {
    let j = members
        .iter()
        .copied()
        .filter(|&j| matches!(model.free[j], Free::Column(_)) && is_digits(values[j].trim()))
        .min_by_key(|&j| (numbers[j].get(values[j].trim()).copied().unwrap_or(0), j))?;
    let drawn = values[j].trim();
    let width = drawn.len();
    let n: u64 = drawn.parse().ok()?;
    let (lo, hi) = if width >= 3 {
        let unit = 10u64.pow(u32::try_from(width - 2).ok()?);
        let base = n / unit * unit;
        (base, base + unit - 1)
    } else if drawn.starts_with('0') {
        (0, 10u64.pow(u32::try_from(width).ok()?) - 1)
    } else {
        let w = u32::try_from(width).ok()?;
        (10u64.pow(w - 1), 10u64.pow(w) - 1)
    };
    for d in 1..=(hi - lo) {
        for cand in [n.checked_add(d), n.checked_sub(d)].into_iter().flatten() {
            if cand < lo || cand > hi {
                continue;
            }
            let s = format!("{cand:0width$}");
            if !numbers[j].contains_key(&s) {
                numbers[j].insert(s.clone(), 1);
                return Some((j, s));
            }
        }
    }
    None
}

/// One attempt at a canary: the rows its parts are drawn from.
struct Attempt {
    /// Neighbour (the columns no other rule fills, and the NSS's
    /// subdelegation), given names, first surname, second surname, birth.
    roles: [u64; 5],
    /// Per group: the row a level-0 group is drawn from.
    donors: Vec<u64>,
    /// Its free values, once drawn.
    values: Vec<String>,
    /// Every row it took something from.
    sources: Vec<u64>,
    /// Whether its free values could be drawn.
    ok: bool,
    /// New values (free column, value) that replace drawn ones once every
    /// group is drawn (later groups match rows on the drawn ones).
    fresh: Vec<(usize, String)>,
}

/// Makes the canaries for an extract in any format. `open` opens the
/// extract afresh as rows of text; it is read four times (rows, sort order
/// and a sample; the source rows and the counts of the values drawn from
/// uniform rows; the rows matching the canaries' localities and their
/// counts; collisions and placement), never held in memory (the counts take
/// memory in proportion to distinct values). `progress` gets the pass (1-4)
/// and how far it is.
///
/// The canaries depend only on the key, the policy, `input_blake3` and the
/// rows' text, so an extract gives the same list in every format its cells
/// read the same in.
pub fn make_canaries_from_rows<S: RowSource>(
    scheme_key: &crate::MasterKey,
    policy: &Policy,
    input_blake3: &str,
    mut open: impl FnMut() -> Result<S>,
    progress: &mut dyn FnMut(u8, Progress),
) -> Result<CanaryList> {
    let mut batch = RowBatch::new();
    let scheme = Scheme::new(scheme_key, policy)?;
    let Some(spec) = policy.canaries.as_ref() else {
        return Err(Error::policy(Msg::CoNoCanariesSection));
    };
    let digest = policy.digest();

    // Pass 1: rows, header, the sort order of the first rows, and a uniform
    // sample of rows to learn how the free columns go together.
    let mut sample: Vec<Vec<String>> = Vec::new();
    let mut model_sample: Vec<Vec<String>> = Vec::new();
    let mut reservoir_draws = Draws::new(&scheme.keys, b"sample", input_blake3, &digest);
    let mut rows = 0u64;
    let (header, _) = each_row(
        open()?,
        &mut batch,
        |r, rec| {
            rows = r;
            if sample.len() < SORT_SAMPLE {
                sample.push(rec.iter().map(fold).collect());
            }
            let slot = if model_sample.len() < MODEL_SAMPLE {
                Some(model_sample.len())
            } else {
                let j = reservoir_draws.below(r);
                (j < MODEL_SAMPLE as u64).then_some(j as usize)
            };
            if let Some(j) = slot {
                let values: Vec<String> = rec.iter().map(str::to_string).collect();
                if j == model_sample.len() {
                    model_sample.push(values);
                } else {
                    model_sample[j] = values;
                }
            }
            Ok(())
        },
        &mut |p| progress(1, p),
    )?;
    let binding = scheme.bind(&header)?;
    let roles = Roles::bind(spec, &header)?;
    let chain = sort_chain(&sample, header.len());
    drop(sample);
    let free = Model::free_columns(&roles, header.len());
    let folded: Vec<Vec<String>> = model_sample
        .iter()
        .map(|row| free.iter().map(|f| fold(&f.value(row))).collect())
        .collect();
    let built: Vec<usize> = roles
        .email
        .iter()
        .chain(&roles.phone)
        .chain(&roles.codes)
        .copied()
        .collect();
    let others: Vec<usize> = (0..header.len()).filter(|c| !built.contains(c)).collect();
    let person = |row: &[String]| roles.person(row);
    let contact = contact::Contact::learn(
        roles.email,
        roles.phone,
        &roles.codes,
        &others,
        &spec.contact_domains,
        &spec.phone_prefixes,
        &model_sample,
        &person,
    );
    drop(model_sample);
    let model = Model::learn(free, &folded);
    drop(folded);

    let mut list = CanaryList {
        version: LIST_VERSION,
        key_id: scheme.keys.key_id().to_hex(),
        policy_digest: digest.clone(),
        input_blake3: input_blake3.to_string(),
        input_rows: rows,
        header: header.clone(),
        sort_columns: Vec::new(),
        rows: Vec::new(),
    };
    // Each copy holds a canary with its presence bias: the list is the
    // rate's rows divided by the mean bias (about 3.2 times them at cutoff
    // 0.15).
    let wanted = (spec.rate * rows as f64 / mean_presence(&scheme)).round() as u64;
    if rows == 0 || wanted == 0 {
        return Ok(list);
    }

    // Draw the source rows: five for the roles, one per group drawn
    // uniformly, and spares for canaries that cannot be built from their
    // first draw.
    let mut draws = Draws::new(&scheme.keys, b"draws", input_blake3, &digest);
    let mut contact_draws = Draws::new(&scheme.keys, b"contact", input_blake3, &digest);
    // Canaries dropped for their e-mail address (see `contact::Mode`) are
    // made up for by building more, the first `wanted` kept.
    let build = if contact.drops_some() {
        wanted * 3
    } else {
        wanted
    };
    let attempts = build + build / 4 + 8;
    let mut picks: Vec<Attempt> = (0..attempts)
        .map(|_| {
            let roles: [u64; 5] = std::array::from_fn(|_| 1 + draws.below(rows));
            let donors = model
                .groups
                .iter()
                .map(|g| {
                    if g.level == 0 {
                        1 + draws.below(rows)
                    } else {
                        0
                    }
                })
                .collect();
            Attempt {
                roles,
                donors,
                values: vec![String::new(); model.free.len()],
                sources: roles.to_vec(),
                ok: true,
                fresh: Vec::new(),
            }
        })
        .collect();
    // The columns kept of each source row, so memory stays near a few
    // cells per canary.
    let role_columns = roles.columns();
    let mut needed: HashMap<u64, Vec<bool>> = HashMap::new();
    let n = header.len();
    for p in &picks {
        needed.insert(p.roles[0], vec![true; n]);
    }
    for p in &picks {
        for &r in &p.roles[1..] {
            let mask = needed.entry(r).or_insert_with(|| vec![false; n]);
            for &i in &role_columns {
                mask[i] = true;
            }
        }
        for (g, &r) in p.donors.iter().enumerate() {
            if model.groups[g].level != 0 {
                continue;
            }
            let mask = needed.entry(r).or_insert_with(|| vec![false; n]);
            for &j in &model.groups[g].members {
                mask[model.free[j].source()] = true;
            }
        }
    }

    // Pass 2: the source rows, how often each value of every group drawn
    // from a uniform row occurs, and which numbers each free column holds.
    let mut source: HashMap<u64, Vec<String>> = HashMap::with_capacity(needed.len());
    let level0: Vec<usize> = (0..model.groups.len())
        .filter(|&g| model.groups[g].level == 0)
        .collect();
    let mut tally0: HashMap<usize, Tally> = level0.iter().map(|&g| (g, Tally::default())).collect();
    let mut numbers: Vec<HashMap<String, u64>> = vec![HashMap::new(); model.free.len()];
    let mut tally_draws = Draws::new(&scheme.keys, b"tally", input_blake3, &digest);
    each_row(
        open()?,
        &mut batch,
        |r, rec| {
            let row: Vec<&str> = rec.iter().collect();
            let values: Vec<String> = model.free.iter().map(|f| f.value(&row)).collect();
            for (j, f) in model.free.iter().enumerate() {
                let v = values[j].trim();
                if matches!(f, Free::Column(_)) && is_digits(v) {
                    *numbers[j].entry(v.to_string()).or_default() += 1;
                }
            }
            for &g in &level0 {
                let members = &model.groups[g].members;
                tally0.get_mut(&g).expect("a tally per group").add(
                    joint_key(members, &values),
                    r,
                    || members.iter().map(|&j| values[j].clone()).collect(),
                    &mut tally_draws,
                );
            }
            if let Some(mask) = needed.get(&r) {
                let values = rec
                    .iter()
                    .zip(mask)
                    .map(|(v, &keep)| if keep { v.to_string() } else { String::new() })
                    .collect();
                source.insert(r, values);
            }
            Ok(())
        },
        &mut |p| progress(2, p),
    )?;
    if source.len() != needed.len() {
        return Err(Error::state(Msg::CoExtractChanged));
    }
    drop(needed);

    tally0.values_mut().for_each(Tally::index);

    // Level-0 groups: a value chosen by the count of the donor's (see
    // `Tally::choose`); level-1 groups wait for a row that agrees with the
    // canary on their parents.
    let mut wants: HashMap<(usize, String), Reservoir> = HashMap::new();
    for p in &mut picks {
        for &g in &level0 {
            let group = &model.groups[g];
            let row = &source[&p.donors[g]];
            for &j in &group.members {
                p.values[j] = model.free[j].value(row);
            }
            let tally = &tally0[&g];
            match tally.choose(&joint_key(&group.members, &p.values), &mut draws) {
                Choice::Value(held) => {
                    for (k, &j) in group.members.iter().enumerate() {
                        p.values[j] = held.kept[k].clone();
                    }
                    p.sources.push(held.row);
                }
                Choice::Keep => p.sources.push(p.donors[g]),
                Choice::Fresh => {
                    p.fresh
                        .extend(fresh_value(&model, &group.members, &p.values, &mut numbers));
                    p.sources.push(p.donors[g]);
                }
            }
        }
        for (g, group) in model.groups.iter().enumerate() {
            if group.level == 1 {
                wants
                    .entry((g, model.parent_key(g, &p.values)))
                    .or_default()
                    .want += 1;
            }
        }
    }

    // Pass 3: a uniform sample, without replacement, of the rows matching
    // each wanted (group, parents) key.
    let level1: Vec<usize> = (0..model.groups.len())
        .filter(|&g| model.groups[g].level == 1)
        .collect();
    let mut tallies: HashMap<(usize, String), Tally> = HashMap::new();
    if !level1.is_empty() {
        let mut values: Vec<String> = Vec::new();
        each_row(
            open()?,
            &mut batch,
            |r, rec| {
                let row: Vec<&str> = rec.iter().collect();
                values.clear();
                values.extend(model.free.iter().map(|f| f.value(&row)));
                for &g in &level1 {
                    let scope = (g, model.parent_key(g, &values));
                    let Some(res) = wants.get_mut(&scope) else {
                        continue;
                    };
                    tallies.entry(scope).or_default().add(
                        joint_key(&model.groups[g].members, &values),
                        r,
                        || values.clone(),
                        &mut tally_draws,
                    );
                    res.seen += 1;
                    if (res.slots.len() as u64) < res.want {
                        res.slots.push((r, values.clone()));
                    } else {
                        let j = draws.below(res.seen);
                        if j < res.want {
                            res.slots[j as usize] = (r, values.clone());
                        }
                    }
                }
                Ok(())
            },
            &mut |p| progress(3, p),
        )?;
    }
    tallies.values_mut().for_each(Tally::index);
    // Each level-1 group: a row drawn (without replacement) among those
    // that agree with the canary on its parents, then a value chosen by the
    // count of that row's within them; the groups drawn with it come from
    // the row standing for the chosen value.
    let mut handed: HashMap<(usize, String), usize> = HashMap::new();
    for p in &mut picks {
        let mut chosen: HashMap<usize, (u64, &[String])> = HashMap::new();
        for &g in &level1 {
            let key = (g, model.parent_key(g, &p.values));
            let next = handed.entry(key.clone()).or_default();
            let res = &wants[&key];
            if res.slots.is_empty() {
                // No row has this combination of parents: draw anew.
                p.ok = false;
                break;
            }
            let (row, values) = &res.slots[*next % res.slots.len()];
            *next += 1;
            let members = &model.groups[g].members;
            let pick = match tallies[&key].choose(&joint_key(members, values), &mut draws) {
                Choice::Value(held) => (held.row, held.kept.as_slice()),
                Choice::Keep => (*row, values.as_slice()),
                Choice::Fresh => {
                    p.fresh
                        .extend(fresh_value(&model, members, values, &mut numbers));
                    (*row, values.as_slice())
                }
            };
            chosen.insert(g, pick);
        }
        if !p.ok {
            continue;
        }
        for group in &model.groups {
            if group.level == 0 {
                continue;
            }
            let (row, values) = chosen[&group.via];
            for &j in &group.members {
                p.values[j] = values[j].clone();
            }
            if group.level == 1 {
                p.sources.push(row);
            }
        }
        for (j, v) in p.fresh.drain(..) {
            p.values[j] = v;
        }
    }
    drop(wants);

    struct Candidate {
        values: Vec<String>,
        sources: Vec<u64>,
        key: Vec<String>,
        alive: bool,
        proposals: Vec<contact::Proposal>,
    }
    let mut made: Vec<Candidate> = Vec::new();
    let mut claimed: HashMap<String, usize> = HashMap::new();
    for pick in &picks {
        if made.len() as u64 == build {
            break;
        }
        if !pick.ok {
            continue;
        }
        let src = pick.roles.map(|r| source[&r].as_slice());
        let Some(mut values) = build_canary(&roles, src, &model, &pick.values, &mut draws) else {
            continue;
        };
        // Contact details and codes by rule (each with spare candidates,
        // chosen once the real rows' values are known, in pass 4).
        let proposals = if contact.is_empty() {
            Vec::new()
        } else {
            match contact.propose(&mut values, &person, &mut contact_draws) {
                Some(p) => p,
                None => continue,
            }
        };
        // Unique among canaries by identity and by every identifier.
        let mut keys = vec![format!("id:{}", identity_key(&binding.identity, &values))];
        keys.extend(
            roles
                .identifiers()
                .map(|i| format!("{i}:{}", fold(&values[i]))),
        );
        if keys.iter().any(|k| claimed.contains_key(k)) || keys[0].len() <= 3 {
            continue;
        }
        for k in keys {
            claimed.insert(k, made.len());
        }
        made.push(Candidate {
            key: chain.iter().map(|&c| fold(&values[c])).collect(),
            values,
            sources: pick.sources.clone(),
            alive: true,
            proposals,
        });
    }
    drop(source);

    // Canaries in the order they will be placed: by sort key.
    let mut order: Vec<usize> = (0..made.len()).collect();
    order.sort_by(|&a, &b| cmp_key(&made[a].key, &made[b].key));

    // Pass 4: drop canaries that collide with a real row, check the sort key
    // holds on every row, and find each canary's run: the rows whose key
    // equals its own (after row `start`, through row `end`).
    // Every candidate of every built value, by its column and key; pass 4
    // marks those a real row holds.
    // (column, key) → (canary, proposal, candidate).
    type Wanted = HashMap<(usize, String), Vec<(usize, usize, usize)>>;
    let mut wanted_keys: Wanted = HashMap::new();
    let mut taken: Vec<Vec<Vec<bool>>> = Vec::with_capacity(made.len());
    let mut built_columns: Vec<(usize, contact::KeyKind)> = Vec::new();
    for (c, m) in made.iter().enumerate() {
        let mut per = Vec::with_capacity(m.proposals.len());
        for (k, p) in m.proposals.iter().enumerate() {
            if !built_columns.contains(&(p.col, p.kind)) {
                built_columns.push((p.col, p.kind));
            }
            for (j, cand) in p.candidates.iter().enumerate() {
                if let Some(key) = contact::key_of(p.kind, cand) {
                    wanted_keys.entry((p.col, key)).or_default().push((c, k, j));
                }
            }
            per.push(vec![false; p.candidates.len()]);
        }
        taken.push(per);
    }
    let mut sorted = !chain.is_empty();
    let mut prev_key: Vec<String> = Vec::new();
    let mut start = vec![rows; made.len()];
    let mut end = vec![rows; made.len()];
    let (mut c_start, mut c_end) = (0usize, 0usize);
    let mut key = Vec::new();
    each_row(
        open()?,
        &mut batch,
        |r, rec| {
            let mut check = |k: String| {
                if let Some(&c) = claimed.get(&k) {
                    made[c].alive = false;
                }
            };
            let values: Vec<&str> = rec.iter().collect();
            check(format!("id:{}", identity_key(&binding.identity, &values)));
            for i in roles.identifiers() {
                check(format!("{i}:{}", fold(values[i])));
            }
            for &(col, kind) in &built_columns {
                if let Some(key) = contact::key_of(kind, values[col]) {
                    if let Some(hits) = wanted_keys.get(&(col, key)) {
                        for &(c, k, j) in hits {
                            taken[c][k][j] = true;
                        }
                    }
                }
            }
            if sorted {
                key.clear();
                key.extend(chain.iter().map(|&c| fold(values[c])));
                if r > 1 && cmp_key(&prev_key, &key) == Ordering::Greater {
                    sorted = false;
                }
                while let Some(&c) = order.get(c_start) {
                    if cmp_key(&made[c].key, &key).is_gt() {
                        break;
                    }
                    start[c] = r - 1;
                    c_start += 1;
                }
                while let Some(&c) = order.get(c_end) {
                    if !cmp_key(&made[c].key, &key).is_lt() {
                        break;
                    }
                    end[c] = r - 1;
                    c_end += 1;
                }
                std::mem::swap(&mut prev_key, &mut key);
            }
            Ok(())
        },
        &mut |p| progress(4, p),
    )?;
    drop(wanted_keys);
    // Each built value: its first candidate that no real row and no earlier
    // canary holds. A canary whose value had to change where it is part of
    // the identity or the sort key (rare: the first candidates are new
    // numbers, and addresses are seldom either) is dropped, as its place
    // and identity were found with the first.
    let mut held: std::collections::HashSet<(usize, String)> = std::collections::HashSet::new();
    for &c in &order {
        if !made[c].alive || made[c].proposals.is_empty() {
            continue;
        }
        let mut chosen = Vec::with_capacity(made[c].proposals.len());
        for (k, p) in made[c].proposals.iter().enumerate() {
            let free = |j: usize| -> Option<String> {
                let key = contact::key_of(p.kind, &p.candidates[j])?;
                (!taken[c][k][j] && !held.contains(&(p.col, key.clone()))).then_some(key)
            };
            let pick = (0..p.candidates.len()).find_map(|j| free(j).map(|key| (j, key)));
            let keep = match (&pick, p.mode) {
                (None, _) => false,
                (Some((j, _)), _)
                    if *j > 0 && (chain.contains(&p.col) || binding.identity.contains(&p.col)) =>
                {
                    false
                }
                (Some(_), contact::Mode::Plain) | (Some((0, _)), _) => true,
                (Some(_), contact::Mode::Numbered) => contact_draws.below(2) == 0,
                (Some((j, _)), contact::Mode::Sequence) => {
                    // Never after a number another canary holds.
                    let joined = (0..*j).any(|i| {
                        contact::key_of(p.kind, &p.candidates[i])
                            .is_some_and(|key| held.contains(&(p.col, key)))
                    });
                    !joined && contact_draws.below(2 * *j as u64 + 3) < 2
                }
            };
            match pick {
                Some((j, key)) if keep => chosen.push((p.col, j, key)),
                _ => {
                    made[c].alive = false;
                    break;
                }
            }
        }
        if !made[c].alive {
            continue;
        }
        for (k, (col, j, key)) in chosen.into_iter().enumerate() {
            made[c].values[col] = made[c].proposals[k].candidates[j].clone();
            held.insert((col, key));
        }
    }
    if build > wanted {
        let mut kept = 0u64;
        for m in made.iter_mut().filter(|m| m.alive) {
            if kept == wanted {
                m.alive = false;
            } else {
                kept += 1;
            }
        }
    }
    if sorted {
        list.sort_columns = chain.iter().map(|&c| header[c].clone()).collect();
    } else {
        // Anywhere in the extract.
        start.iter_mut().for_each(|s| *s = 0);
        end.iter_mut().for_each(|e| *e = rows);
    }
    // A uniform place in the run (the whole extract when unsorted), not
    // next to a row the canary took anything from.
    let mut after = vec![0u64; made.len()];
    for &c in &order {
        let (lo, hi) = (start[c], end[c].max(start[c]));
        let mut a = lo + draws.below(hi - lo + 1);
        for _ in 0..16 {
            if !made[c].sources.iter().any(|&s| a == s || a + 1 == s) {
                break;
            }
            a = lo + draws.below(hi - lo + 1);
        }
        after[c] = a;
    }
    let mut placed = Vec::with_capacity(order.len());
    for c in order {
        if made[c].alive {
            placed.push(CanaryRow {
                values: std::mem::take(&mut made[c].values),
                after_row: after[c],
            });
        }
    }
    list.rows = placed;
    // Placement is by `after_row`; among equals, the order above.
    list.rows.sort_by_key(|r| r.after_row);
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_names_split_into_given_names_and_surnames() {
        assert_eq!(
            split_full_name("MARIA GUADALUPE HERNANDEZ LOPEZ"),
            ("MARIA GUADALUPE".into(), "HERNANDEZ".into(), "LOPEZ".into())
        );
        assert_eq!(
            split_full_name("JUAN DE LA CRUZ PEREZ"),
            ("JUAN".into(), "DE LA CRUZ".into(), "PEREZ".into())
        );
        assert_eq!(
            split_full_name("ANA RUIZ"),
            ("ANA".into(), "RUIZ".into(), String::new())
        );
    }

    #[test]
    fn dates_parse_in_the_formats_extracts_use() {
        assert_eq!(parse_date("28/06/1977"), Some((1977, 6, 28)));
        assert_eq!(parse_date("1974-04-03"), Some((1974, 4, 3)));
        assert_eq!(parse_date("19740403"), Some((1974, 4, 3)));
        assert_eq!(parse_date("31/02/1990"), None);
    }

    #[test]
    fn sort_chains_are_found_and_unsorted_data_has_none() {
        let rows = |v: &[(&str, &str, &str)]| -> Vec<Vec<String>> {
            v.iter()
                .map(|(a, b, c)| vec![a.to_string(), b.to_string(), c.to_string()])
                .collect()
        };
        // Sorted by section (numerically), then name.
        let sample = rows(&[
            ("ANA", "9", "1"),
            ("LUIS", "9", "1"),
            ("BETO", "10", "1"),
            ("CARLA", "10", "1"),
            ("ANA", "11", "2"),
        ]);
        assert_eq!(sort_chain(&sample, 3), vec![2, 1, 0]);
        let sample = rows(&[("B", "2", "z"), ("A", "1", "y"), ("C", "3", "x")]);
        assert!(sort_chain(&sample, 3).is_empty());
    }

    fn test_draws() -> Draws {
        let keys = crate::MasterKey::from_bytes([7; 32]);
        Draws::new(&keys.subkeys(), b"test", "input", "policy")
    }

    #[test]
    fn values_are_chosen_one_count_below_the_drawn_one() {
        let mut draws = test_draws();
        let mut tally = Tally::default();
        // A three times, B and C twice, D once.
        for (r, v) in ["A", "A", "A", "B", "B", "C", "C", "D"].iter().enumerate() {
            tally.add(
                format!("{v}\u{1F}"),
                r as u64 + 1,
                || vec![v.to_string()],
                &mut draws,
            );
        }
        tally.index();
        for _ in 0..20 {
            match tally.choose("A\u{1F}", &mut draws) {
                Choice::Value(h) => assert!(h.kept[0] == "B" || h.kept[0] == "C"),
                _ => panic!("a value occurring twice"),
            }
            match tally.choose("B\u{1F}", &mut draws) {
                Choice::Value(h) => assert_eq!(h.kept[0], "D"),
                _ => panic!("the value occurring once"),
            }
        }
        assert!(matches!(tally.choose("D\u{1F}", &mut draws), Choice::Fresh));
        // A fourth A: no value occurs three times, so A stays.
        let mut tally = Tally {
            values: std::mem::take(&mut tally.values),
            by_count: HashMap::new(),
        };
        tally.add("A\u{1F}".into(), 9, || vec!["A".into()], &mut draws);
        tally.index();
        assert!(matches!(tally.choose("A\u{1F}", &mut draws), Choice::Keep));
    }

    #[test]
    fn fresh_numbers_keep_width_and_leading_digits_and_are_unused() {
        let model = Model {
            free: vec![Free::Column(0), Free::Column(1)],
            groups: Vec::new(),
        };
        let mut numbers: Vec<HashMap<String, u64>> = vec![HashMap::new(); 2];
        for v in ["06700", "06701", "06699"] {
            numbers[0].insert(v.to_string(), 1);
        }
        let values = vec!["06700".to_string(), "CENTRO".to_string()];
        let (j, a) = fresh_value(&model, &[0, 1], &values, &mut numbers).unwrap();
        assert_eq!((j, a.as_str()), (0, "06702"));
        let (_, b) = fresh_value(&model, &[0, 1], &values, &mut numbers).unwrap();
        assert_eq!(b, "06698", "a fresh value is not handed out twice");
        // No member in digits: nothing fresh.
        assert!(fresh_value(&model, &[1], &values, &mut numbers).is_none());
        // A full range of the same leading digits: nothing fresh.
        let mut full: Vec<HashMap<String, u64>> = vec![HashMap::new(); 2];
        for n in 100..=199 {
            full[0].insert(n.to_string(), 1);
        }
        let values = vec!["150".to_string(), String::new()];
        assert!(fresh_value(&model, &[0], &values, &mut full).is_none());
    }

    #[test]
    fn numbers_compare_as_numbers() {
        assert_eq!(cmp_value("9", "10"), Ordering::Less);
        assert_eq!(cmp_value("010", "9"), Ordering::Greater);
        assert_eq!(cmp_value("B", "AB"), Ordering::Greater);
    }
}
