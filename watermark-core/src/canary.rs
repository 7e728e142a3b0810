//! Canary rows: synthetic people, each a position of the code.
//!
//! A canary is built from the extract's own rows. Its given names and sex
//! come from one real row, each surname from another, its birth date (and
//! birth state) from a fourth, and every other column (address, section,
//! district) from a fifth, its *neighbour*. Its identifiers are built from
//! those parts by the registry's rules: a CURP with its letters, birth date,
//! sex, state, differentiator and check digit; a clave de elector; an NSS
//! with its Luhn digit. Canaries whose identity, CURP, clave or NSS equals a
//! real row's (or another canary's) are dropped. Drawing every part from
//! uniformly chosen rows gives canaries the extract's own name, sex, birth
//! date and section frequencies.
//!
//! Each canary is a position of the code: its presence position derives
//! from its anchor under the canary subkey, and recipient `j`'s copy holds
//! the canary iff `j`'s bit there is 1. A canary's other cells carry marks
//! like any row's.
//!
//! Placement follows the extract's sort order. The longest chain of columns
//! (up to four) that the first rows are sorted by, each breaking ties of the
//! ones before, is taken as the sort key and then checked on every row; a
//! canary goes where that key puts it, next to its neighbour among equal
//! keys. An unsorted extract gets each canary right after its neighbour.
//!
//! Generation is deterministic: the same key, policy and input give the same
//! canaries, so a copy issued again is the same bytes. The canary list is
//! still kept (secret, beside the key) so verification need not re-read the
//! extract.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::io::{BufReader, Read};

use serde::{Deserialize, Serialize};

use crate::code::{Anchor, Position, RowHeads};
use crate::csv_io::{header, reader, sniff, Progress};
use crate::error::{from_csv, Error, ErrorKind, Result};
use crate::ids::{self, CurpInput, Sex};
use crate::key::Subkeys;
use crate::normalize::fold;
use crate::policy::{Canaries, Policy};
use crate::scheme::Scheme;

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
    /// not sorted (each canary follows its neighbour).
    sort_columns: Vec<String>,
    rows: Vec<CanaryRow>,
}

/// One canary.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CanaryRow {
    /// Its values, one per column of the extract.
    pub(crate) values: Vec<String>,
    /// It follows input data row `after_row` (0: before the first).
    pub(crate) after_row: u64,
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

    /// The columns the canaries were placed by (empty: next to their
    /// neighbours, the extract being unsorted).
    pub fn sort_columns(&self) -> &[String] {
        &self.sort_columns
    }

    /// Every canary's values, in the extract's column order. Secret.
    pub fn rows(&self) -> impl Iterator<Item = &[String]> {
        self.rows.iter().map(|r| r.values.as_slice())
    }

    pub(crate) fn placed(&self) -> &[CanaryRow] {
        &self.rows
    }

    /// The list as JSON, for the state's canary file.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("canary lists serialise")
    }

    /// Parses a canary file. Errors never echo its content.
    pub fn from_json(text: &str) -> Result<CanaryList> {
        let list: CanaryList = serde_json::from_str(text).map_err(|e| {
            Error::state(format!(
                "not a canary list (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        if list.version != LIST_VERSION {
            return Err(Error::state(format!(
                "canary list version {} is not supported (expected {LIST_VERSION})",
                list.version
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
            return Err(Error::state("the canary list is damaged"));
        }
        Ok(list)
    }
}

/// The position a canary's presence is written at: position 0 of the row
/// whose anchor is `BLAKE3(K_canary, anchor)`, so it shares nothing with the
/// canary's own cells.
pub(crate) fn presence_position(scheme: &Scheme, anchor: &Anchor) -> Position {
    let derived = Anchor(*blake3::keyed_hash(&scheme.keys.canary, &anchor.0).as_bytes());
    let mut heads = RowHeads::default();
    heads.fill(&scheme.keys, &derived, 0);
    scheme.code.position(&derived, 0, &heads)
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
    fn new(keys: &Subkeys, input_blake3: &str, policy_digest: &str) -> Draws {
        let mut h = blake3::Hasher::new_keyed(&keys.canary);
        h.update(b"watermark canary draws v1\0");
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
            let slot = match role {
                "given_names" => &mut roles.given,
                "first_surname" => &mut roles.first,
                "second_surname" => &mut roles.second,
                "full_name" => &mut roles.full,
                "sex" => &mut roles.sex,
                "birth_date" => &mut roles.birth,
                "curp" => &mut roles.curp,
                "clave_elector" => &mut roles.clave,
                _ => &mut roles.nss,
            };
            *slot = Some(i);
        }
        Ok(roles)
    }

    /// Columns whose folded value must be unique to a canary.
    fn identifiers(&self) -> impl Iterator<Item = usize> {
        [self.curp, self.clave, self.nss].into_iter().flatten()
    }
}

/// Reads a CSV extract row by row with its sniffed dialect.
fn for_each_row<R: Read>(
    input: R,
    mut f: impl FnMut(u64, &csv::StringRecord) -> Result<()>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<String>> {
    let mut input = BufReader::with_capacity(1 << 16, input);
    let dialect = sniff(&mut input)?;
    let mut rdr = reader(input, dialect);
    let (_, header) = header(&mut rdr)?;
    let mut raw = csv::ByteRecord::new();
    let mut row = 0u64;
    loop {
        match rdr.read_byte_record(&mut raw) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(from_csv(e, Some(header.len()))),
        }
        row += 1;
        let line = raw.position().map(|p| p.line()).unwrap_or(0);
        let rec = csv::StringRecord::from_byte_record(std::mem::take(&mut raw)).map_err(|e| {
            let col = e.utf8_error().field();
            Error::new(ErrorKind::Utf8)
                .at_row(row, line)
                .in_column(header.get(col).cloned().unwrap_or_default())
        })?;
        f(row, &rec).map_err(|e| e.at_row(row, line))?;
        raw = rec.into_byte_record();
        if row.is_multiple_of(8192) {
            progress(Progress {
                rows: row,
                bytes: raw.position().map(|p| p.byte()).unwrap_or(0),
            });
        }
    }
    Ok(header)
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

/// Builds one canary from its five source rows; `None` when the sources
/// cannot make a valid one (the caller draws again).
fn build_canary(
    roles: &Roles,
    [neighbour, given_src, first_src, second_src, birth_src]: [&[String]; 5],
    draws: &mut Draws,
) -> Option<Vec<String>> {
    let mut out: Vec<String> = neighbour.to_vec();
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
    // Birth state and differentiator go with the birth date.
    let donor = donor_curp.as_deref().unwrap_or("");
    let (birth_state, homonym) = if ids::is_valid_curp(donor) {
        let chars: Vec<char> = donor.chars().collect();
        (chars[11..13].iter().collect::<String>(), chars[16])
    } else {
        ("NE".to_string(), if birth.0 < 2000 { '0' } else { 'A' })
    };
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
        // The clave's entity is where the voter is registered: the
        // neighbour's.
        let here: Vec<char> = fold(&neighbour[i]).chars().collect();
        let number = (here.len() == 18)
            .then(|| Some(here[12].to_digit(10)? * 10 + here[13].to_digit(10)?))
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

/// Makes the canaries for an extract. `open` opens the extract afresh; it is
/// read three times (rows and sort order; the source rows; collisions and
/// placement), never held in memory. `progress` gets the pass (1-3) and how
/// far it is.
pub fn make_canaries<R: Read>(
    scheme_key: &crate::MasterKey,
    policy: &Policy,
    input_blake3: &str,
    mut open: impl FnMut() -> std::io::Result<R>,
    progress: &mut dyn FnMut(u8, Progress),
) -> Result<CanaryList> {
    let mut open = move || open().map_err(|e| Error::io("opening the extract", e));
    let scheme = Scheme::new(scheme_key, policy)?;
    let Some(spec) = policy.canaries.as_ref() else {
        return Err(Error::policy("the policy has no [canaries] section"));
    };
    let digest = policy.digest();

    // Pass 1: rows, header, and the sort order of the first rows.
    let mut sample: Vec<Vec<String>> = Vec::new();
    let mut rows = 0u64;
    let header = for_each_row(
        open()?,
        |r, rec| {
            rows = r;
            if sample.len() < SORT_SAMPLE {
                sample.push(rec.iter().map(fold).collect());
            }
            Ok(())
        },
        &mut |p| progress(1, p),
    )?;
    let binding = scheme.bind(&header)?;
    let roles = Roles::bind(spec, &header)?;
    let chain = sort_chain(&sample, header.len());
    drop(sample);

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
    let wanted = (2.0 * spec.rate * rows as f64).round() as u64;
    if rows == 0 || wanted == 0 {
        return Ok(list);
    }

    // Draw the source rows: five per canary, and spares for canaries that
    // cannot be built from their first draw.
    let mut draws = Draws::new(&scheme.keys, input_blake3, &digest);
    let attempts = wanted + wanted / 4 + 8;
    let picks: Vec<[u64; 5]> = (0..attempts)
        .map(|_| std::array::from_fn(|_| 1 + draws.below(rows)))
        .collect();
    let mut needed: Vec<u64> = picks.iter().flatten().copied().collect();
    needed.sort_unstable();
    needed.dedup();

    // Pass 2: the source rows. A neighbour gives every column; the other
    // sources only their roles' columns, so memory stays near one row per
    // canary.
    let neighbours: std::collections::HashSet<u64> = picks.iter().map(|p| p[0]).collect();
    let role_columns: Vec<usize> = [
        roles.given,
        roles.first,
        roles.second,
        roles.full,
        roles.sex,
        roles.birth,
        roles.curp,
        roles.clave,
        roles.nss,
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut source: HashMap<u64, Vec<String>> = HashMap::with_capacity(needed.len());
    let mut next = 0usize;
    for_each_row(
        open()?,
        |r, rec| {
            if needed.get(next) == Some(&r) {
                let values = if neighbours.contains(&r) {
                    rec.iter().map(str::to_string).collect()
                } else {
                    let mut v = vec![String::new(); rec.len()];
                    for &i in &role_columns {
                        v[i] = rec[i].to_string();
                    }
                    v
                };
                source.insert(r, values);
                next += 1;
            }
            Ok(())
        },
        &mut |p| progress(2, p),
    )?;
    if source.len() != needed.len() {
        return Err(Error::state(
            "the extract changed while canaries were being made",
        ));
    }

    struct Candidate {
        values: Vec<String>,
        neighbour: u64,
        key: Vec<String>,
        alive: bool,
    }
    let mut made: Vec<Candidate> = Vec::new();
    let mut claimed: HashMap<String, usize> = HashMap::new();
    for pick in &picks {
        if made.len() as u64 == wanted {
            break;
        }
        let src = pick.map(|r| source[&r].as_slice());
        let Some(values) = build_canary(&roles, src, &mut draws) else {
            continue;
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
            neighbour: pick[0],
            alive: true,
        });
    }

    // Canaries in the order they will be placed: by sort key, then next to
    // their neighbour.
    let mut order: Vec<usize> = (0..made.len()).collect();
    order.sort_by(|&a, &b| {
        cmp_key(&made[a].key, &made[b].key).then(made[a].neighbour.cmp(&made[b].neighbour))
    });

    // Pass 3: drop canaries that collide with a real row, check the sort key
    // holds on every row, and place each canary before the first row whose
    // (key, row number) is greater than its (key, neighbour).
    let mut sorted = !chain.is_empty();
    let mut prev_key: Vec<String> = Vec::new();
    let mut after = vec![0u64; made.len()];
    let mut cursor = 0usize;
    let mut key = Vec::new();
    for_each_row(
        open()?,
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
            if sorted {
                key.clear();
                key.extend(chain.iter().map(|&c| fold(values[c])));
                if r > 1 && cmp_key(&prev_key, &key) == Ordering::Greater {
                    sorted = false;
                }
                while let Some(&c) = order.get(cursor) {
                    let before = cmp_key(&made[c].key, &key)
                        .then(made[c].neighbour.cmp(&r))
                        .is_lt();
                    if !before {
                        break;
                    }
                    after[c] = r - 1;
                    cursor += 1;
                }
                std::mem::swap(&mut prev_key, &mut key);
            }
            Ok(())
        },
        &mut |p| progress(3, p),
    )?;
    if sorted {
        for &c in &order[cursor..] {
            after[c] = rows;
        }
        list.sort_columns = chain.iter().map(|&c| header[c].clone()).collect();
    } else {
        order.sort_by_key(|&c| made[c].neighbour);
        for (c, a) in after.iter_mut().enumerate() {
            *a = made[c].neighbour;
        }
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

    #[test]
    fn numbers_compare_as_numbers() {
        assert_eq!(cmp_value("9", "10"), Ordering::Less);
        assert_eq!(cmp_value("010", "9"), Ordering::Greater);
        assert_eq!(cmp_value("B", "AB"), Ordering::Greater);
    }
}
