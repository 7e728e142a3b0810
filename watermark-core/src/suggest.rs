//! Inferring a policy from a sample of an extract.
//!
//! Columns are recognised by their content, whatever their headers say: CURP
//! by its check digit, clave de elector by its structure, NSS by its Luhn
//! digit; address-like columns by how often their cells hold a word of the
//! address dictionary; amounts by their two decimal places; sex by its `H`/`M`
//! values; birth dates by parsing as dates. Names cannot be told from their
//! content, so name columns are recognised by their headers (`NOMBRE`,
//! `APELLIDO_PATERNO`, `NOMBRE_COMPLETO`, …) and kept only when their values
//! look like names.
//!
//! The name, sex, birth-date and identifier columns become the roles of the
//! policy's `[canaries]`. When no column holds an identifier, the name
//! columns (and the electoral section, if any) form a composite identity.

use std::fmt::Write as _;

use serde::Serialize;

use crate::carrier::Carrier;
use crate::dictionary::{mx_address, mx_degrees, mx_jobs, Dictionary};
use crate::error::{Error, ErrorKind, Result};
use crate::ids;
use crate::policy::{Canaries, CarrierKind, CarrierSpec, CodeParams, Policy, DEFAULT_THRESHOLD};
use crate::rows::{RowBatch, RowSource, BATCH_ROWS};
use watermark_text::{Msg, Said};

/// What a column was taken for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// Identifies rows; never modified.
    Identity,
    /// Carries marks in equivalent spellings.
    Variants,
    /// Carries marks in its last decimal place.
    Numeric,
    /// Carries marks in how its telephone numbers separate their digit
    /// groups.
    Phone,
    /// Copied as it is.
    Unmarked,
}

/// One column's role and why.
#[derive(Clone, Debug, Serialize)]
pub struct ColumnRole {
    /// The column's header.
    pub column: String,
    /// What it was taken for.
    pub role: Role,
    /// The column's role in the policy's `[canaries]` (`given_names`,
    /// `curp`, …), if it has one. A column may be both an identity column
    /// and a canary role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary: Option<&'static str>,
    /// Why, in words.
    pub reason: String,
}

/// A suggested policy and the reasoning behind it.
#[derive(Clone, Debug, Serialize)]
pub struct Suggestion {
    /// The policy.
    pub policy: Policy,
    /// Every column's role.
    pub columns: Vec<ColumnRole>,
    /// Data rows examined.
    pub rows_examined: usize,
    /// What a reviewer should know about the policy as a whole (a composite
    /// identity, why there are no canaries), in words.
    pub notes: Vec<String>,
}

fn share(values: &[&str], mut pred: impl FnMut(&str) -> bool) -> f64 {
    let non_empty: Vec<&&str> = values.iter().filter(|v| !v.trim().is_empty()).collect();
    if non_empty.is_empty() {
        return 0.0;
    }
    non_empty.iter().filter(|v| pred(v.trim())).count() as f64 / non_empty.len() as f64
}

fn pct(s: f64) -> String {
    format!("{:.0}%", s * 100.0)
}

fn is_amount(v: &str) -> bool {
    let v = v.strip_prefix('$').unwrap_or(v).replace(',', "");
    let Some((int, frac)) = v.split_once('.') else {
        return false;
    };
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.len() == 2
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// A header reduced for comparison with the names below: folded, with
/// underscores and spaces removed (`Nombre completo` → `NOMBRECOMPLETO`).
/// Whether a value names a degree: its first word is one of the degree
/// words (`LICENCIATURA`, `LIC.`, `INGENIERIA`, `ING.`, `TECNICO`, `TEC.`,
/// `MAESTRIA`, `MTRIA.`, `DOCTORADO`) and a field follows (`EN DERECHO`,
/// `CIVIL`).
fn is_degree(v: &str) -> bool {
    let mut words = v.split_whitespace();
    let first = words
        .next()
        .unwrap_or("")
        .trim_end_matches('.')
        .to_ascii_uppercase();
    matches!(
        first.as_str(),
        "LICENCIATURA"
            | "LIC"
            | "INGENIERIA"
            | "ING"
            | "TECNICO"
            | "TEC"
            | "MAESTRIA"
            | "MTRIA"
            | "DOCTORADO"
    ) && words.next().is_some()
}

/// Whether a column holds telephone numbers as people type them (not only
/// digits).
fn is_typed_phone(values: &[&str]) -> bool {
    share(values, crate::carrier::is_phone) >= 0.5
        && share(values, |v| !v.bytes().all(|b| b.is_ascii_digit())) >= 0.1
}

/// Why a column holds unique codes (a staff or contract number): values
/// all different, of 6 to 24 characters (longer than a postal code),
/// without spaces, with digits, and neither dates,
/// amounts nor telephone numbers; `None` otherwise.
fn unique_code(values: &[&str]) -> Option<String> {
    let filled: Vec<&str> = values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect();
    if filled.len() < 100 || (filled.len() as f64) < 0.95 * values.len() as f64 {
        return None;
    }
    let distinct: std::collections::HashSet<&str> = filled.iter().copied().collect();
    let unique = distinct.len() as f64 / filled.len() as f64;
    let code = |v: &str| {
        (6..=24).contains(&v.len())
            && v.bytes().any(|b| b.is_ascii_digit())
            && !v.contains(char::is_whitespace)
            && !v.contains('@')
    };
    let looks = share(&filled, code);
    let other = share(&filled, |v| {
        parse_date(v).is_some() || is_amount(v) || crate::carrier::is_phone(v)
    });
    (unique >= 0.99 && looks >= 0.99 && other < 0.5).then(|| {
        format!(
            "{} of values are different codes with digits; a canary's is new and agrees with \
             its own columns",
            pct(unique)
        )
    })
}

/// Whether a value looks like an e-mail address: `local@domain.tld`, no
/// spaces.
fn is_email(v: &str) -> bool {
    match v.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !v.contains(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}

fn header_key(h: &str) -> String {
    crate::fold(h)
        .chars()
        .filter(|&c| c != '_' && c != ' ')
        .collect()
}

/// A name may hold letters, spaces, dots, hyphens and apostrophes, never
/// digits.
fn is_name_like(v: &str) -> bool {
    v.chars().any(char::is_alphabetic) && !v.chars().any(|c| c.is_ascii_digit())
}

/// Share of a name column's values that must look like names.
const NAME_SHARE: f64 = 0.8;
/// Share of a column's values that must be recognised for a content role.
const CONTENT_SHARE: f64 = 0.9;
/// Birth years taken as plausible.
const BIRTH_YEARS: std::ops::RangeInclusive<u16> = 1890..=2030;

fn is_sex(v: &str) -> bool {
    matches!(crate::fold(v).as_str(), "H" | "M" | "HOMBRE" | "MUJER")
}

/// Parses a date written day first (`dd/mm/yyyy`, `d-m-yyyy`, `dd.mm.yyyy`)
/// or year first (`yyyy-mm-dd`, `yyyy/mm/dd`), one separator throughout,
/// optionally followed by a time; `None` unless the date exists and its year
/// is a plausible birth year.
fn parse_date(v: &str) -> Option<(u16, u8, u8)> {
    let date = v.trim().split([' ', 'T']).next()?;
    let sep = date.chars().find(|c| !c.is_ascii_digit())?;
    if !matches!(sep, '/' | '-' | '.') {
        return None;
    }
    let parts: Vec<&str> = date.split(sep).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let (y, m, d) = match (parts[0].len(), parts[1].len(), parts[2].len()) {
        (4, 1..=2, 1..=2) => (parts[0], parts[1], parts[2]),
        (1..=2, 1..=2, 4) => (parts[2], parts[1], parts[0]),
        _ => return None,
    };
    let (y, m, d) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    (BIRTH_YEARS.contains(&y) && ids::is_real_date(y, m, d)).then_some((y, m, d))
}

/// The roles of [`Canaries`], in its field order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CanaryRole {
    GivenNames,
    FirstSurname,
    SecondSurname,
    FullName,
    Sex,
    BirthDate,
    Curp,
    ClaveElector,
    Nss,
}

impl CanaryRole {
    fn name(self) -> &'static str {
        match self {
            CanaryRole::GivenNames => "given_names",
            CanaryRole::FirstSurname => "first_surname",
            CanaryRole::SecondSurname => "second_surname",
            CanaryRole::FullName => "full_name",
            CanaryRole::Sex => "sex",
            CanaryRole::BirthDate => "birth_date",
            CanaryRole::Curp => "curp",
            CanaryRole::ClaveElector => "clave_elector",
            CanaryRole::Nss => "nss",
        }
    }

    /// How the role is called in the reasons.
    fn words(self) -> &'static str {
        match self {
            CanaryRole::GivenNames => "the given names",
            CanaryRole::FirstSurname => "the first surname",
            CanaryRole::SecondSurname => "the second surname",
            CanaryRole::FullName => "the full name",
            CanaryRole::Sex => "sex",
            CanaryRole::BirthDate => "the birth date",
            CanaryRole::Curp => "CURP",
            CanaryRole::ClaveElector => "clave de elector",
            CanaryRole::Nss => "NSS",
        }
    }
}

/// Header keys (see [`header_key`]) of the name columns.
const NAME_HEADERS: [(CanaryRole, &[&str]); 4] = [
    (CanaryRole::GivenNames, &["NOMBRE", "NOMBRES", "NOMBRE(S)"]),
    (
        CanaryRole::FirstSurname,
        &["APELLIDOPATERNO", "PRIMERAPELLIDO", "PATERNO", "APPATERNO"],
    ),
    (
        CanaryRole::SecondSurname,
        &["APELLIDOMATERNO", "SEGUNDOAPELLIDO", "MATERNO", "APMATERNO"],
    ),
    (
        CanaryRole::FullName,
        &["NOMBRECOMPLETO", "NOMBREYAPELLIDOS", "NOMBRESYAPELLIDOS"],
    ),
];

/// Header keys of the electoral section.
const SECTION_HEADERS: &[&str] = &["SECCION", "SECCIONELECTORAL"];

fn names_birth_date(key: &str) -> bool {
    key.contains("NACIMIENTO") || matches!(key, "FECHANAC" | "FECNAC" | "FNAC")
}

type Recogniser = (CanaryRole, &'static str, fn(&str) -> bool);

/// The identifier recognisers, in the order they are preferred as identity.
const IDENTIFIERS: [Recogniser; 3] = [
    (CanaryRole::Curp, "a CURP (valid check digit)", |v| {
        ids::is_valid_curp(&v.to_uppercase())
    }),
    (
        CanaryRole::ClaveElector,
        "a clave de elector (valid structure)",
        |v| ids::is_valid_clave_elector(&v.to_uppercase()),
    ),
    (
        CanaryRole::Nss,
        "an NSS (valid check digit)",
        ids::is_valid_nss,
    ),
];

/// What the content and headers say about the columns, before any policy
/// decision.
struct Findings {
    /// Per column: the canary role found for it and why.
    roles: Vec<Option<(CanaryRole, String)>>,
    /// Per column: why a plausible role was not taken.
    rejected: Vec<Option<String>>,
    /// The electoral section column and why.
    section: Option<(usize, String)>,
}

impl Findings {
    fn column_of(&self, role: CanaryRole) -> Option<usize> {
        self.roles
            .iter()
            .position(|r| matches!(r, Some((x, _)) if *x == role))
    }

    fn reason(&self, i: usize) -> Option<&str> {
        self.roles[i].as_ref().map(|(_, r)| r.as_str())
    }
}

fn find_roles(header: &[String], columns: &[Vec<&str>]) -> Findings {
    let n = header.len();
    let keys: Vec<String> = header.iter().map(|h| header_key(h)).collect();
    let mut roles: Vec<Option<(CanaryRole, String)>> = vec![None; n];
    let mut rejected: Vec<Option<String>> = vec![None; n];

    // Identifiers, by content: the first column of each kind.
    for (role, words, pred) in IDENTIFIERS {
        for i in 0..n {
            if roles[i].is_some() {
                continue;
            }
            let s = share(&columns[i], pred);
            if s >= CONTENT_SHARE {
                roles[i] = Some((role, format!("{} of values are {words}", pct(s))));
                break;
            }
        }
    }

    // Names, by header, when the values do not contradict it.
    for (role, names) in NAME_HEADERS {
        for i in 0..n {
            if roles[i].is_some() || !names.contains(&keys[i].as_str()) {
                continue;
            }
            let s = share(&columns[i], is_name_like);
            if s >= NAME_SHARE {
                roles[i] = Some((
                    role,
                    format!(
                        "its header names {}; {} of values look like names",
                        role.words(),
                        pct(s)
                    ),
                ));
                break;
            }
            rejected[i] = Some(format!(
                "its header names {}, but only {} of values look like names (letters, no digits)",
                role.words(),
                pct(s)
            ));
        }
    }

    // Sex, by content.
    for i in 0..n {
        if roles[i].is_some() {
            continue;
        }
        let s = share(&columns[i], is_sex);
        if s >= CONTENT_SHARE {
            roles[i] = Some((
                CanaryRole::Sex,
                format!("{} of values are H/M (HOMBRE/MUJER)", pct(s)),
            ));
            break;
        }
    }

    // Birth date, by content; among several date columns, by header, else by
    // agreement with the CURP.
    let dates: Vec<(usize, f64)> = (0..n)
        .filter(|&i| roles[i].is_none())
        .map(|i| (i, share(&columns[i], |v| parse_date(v).is_some())))
        .filter(|&(_, s)| s >= CONTENT_SHARE)
        .collect();
    let curp = roles
        .iter()
        .position(|r| matches!(r, Some((CanaryRole::Curp, _))));
    let agreement = |i: usize| -> Option<f64> {
        let c = curp?;
        let (mut both, mut agree) = (0usize, 0usize);
        for (date, id) in columns[i].iter().zip(&columns[c]) {
            let id = id.trim().to_uppercase();
            let (Some((y, m, d)), true) = (parse_date(date), ids::is_valid_curp(&id)) else {
                continue;
            };
            both += 1;
            agree += usize::from(id[4..10] == format!("{:02}{m:02}{d:02}", y % 100));
        }
        (both > 0).then(|| agree as f64 / both as f64)
    };
    let by_name = dates.iter().find(|&&(i, _)| names_birth_date(&keys[i]));
    let chosen: Option<(usize, String)> = if let Some(&(i, _)) = by_name {
        Some((
            i,
            format!("its header names {}", CanaryRole::BirthDate.words()),
        ))
    } else if curp.is_some() {
        dates
            .iter()
            .filter_map(|&(i, _)| agreement(i).map(|a| (i, a)))
            .filter(|&(_, a)| a >= 0.5)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, a)| {
                (
                    i,
                    format!("agrees with the CURP's birth date in {} of rows", pct(a)),
                )
            })
    } else if dates.len() == 1 {
        Some((dates[0].0, "the only date column".to_string()))
    } else {
        None
    };
    for &(i, s) in &dates {
        match &chosen {
            Some((c, why)) if *c == i => {
                roles[i] = Some((
                    CanaryRole::BirthDate,
                    format!(
                        "{} of values are dates with a plausible birth year; {why}",
                        pct(s)
                    ),
                ));
            }
            _ => {
                let why = match (&chosen, agreement(i)) {
                    (Some((c, _)), _) => format!("{} is the birth date", header[*c]),
                    (None, Some(a)) => {
                        format!(
                            "agrees with the CURP's birth date in only {} of rows",
                            pct(a)
                        )
                    }
                    (None, None) => {
                        "several date columns and none is named as the birth date".to_string()
                    }
                };
                rejected[i] = Some(format!(
                    "{} of values are dates, but not taken for the birth date: {why}",
                    pct(s)
                ));
            }
        }
    }

    // The electoral section, by header and integer values.
    let mut section = None;
    for i in 0..n {
        if roles[i].is_some() || !SECTION_HEADERS.contains(&keys[i].as_str()) {
            continue;
        }
        let s = share(&columns[i], |v| v.bytes().all(|b| b.is_ascii_digit()));
        if s >= CONTENT_SHARE {
            section = Some((
                i,
                format!(
                    "its header names the electoral section; {} of values are integers",
                    pct(s)
                ),
            ));
            break;
        }
        rejected[i] = Some(format!(
            "its header names the electoral section, but only {} of values are integers",
            pct(s)
        ));
    }

    Findings {
        roles,
        rejected,
        section,
    }
}

/// Suggests a policy from a header and sample rows.
///
/// `identity` overrides the identity columns; otherwise CURP is preferred,
/// then clave de elector, then NSS, and when no column holds any of them the
/// name columns (the full name, or the given names and surnames) with the
/// electoral section form a composite identity.
///
/// `canary_rate`: with `Some(rate)` the policy gets `[canaries]` at that
/// rate whenever a name column is found
/// ([`DEFAULT_CANARY_RATE`](crate::DEFAULT_CANARY_RATE) is the suggested
/// rate); `None` suggests no canaries.
pub fn suggest_policy(
    header: &[String],
    rows: &[Vec<String>],
    identity: Option<&[String]>,
    canary_rate: Option<f64>,
) -> Result<Suggestion> {
    let columns: Vec<Vec<&str>> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r.get(i).map(String::as_str).unwrap_or(""))
                .collect()
        })
        .collect();
    let found = find_roles(header, &columns);
    let mut notes = Vec::new();
    let mut reasons: Vec<Option<String>> = vec![None; header.len()];

    let identity_cols: Vec<usize> = match identity {
        Some(names) => {
            let cols = names
                .iter()
                .map(|n| {
                    header
                        .iter()
                        .position(|h| crate::fold(h) == crate::fold(n))
                        .ok_or_else(|| {
                            Error::from(ErrorKind::MissingColumn {
                                column: n.clone(),
                                role: "identity",
                                available: header.join(", "),
                            })
                        })
                })
                .collect::<Result<Vec<_>>>()?;
            for &i in &cols {
                reasons[i] = Some("named as identity".into());
            }
            cols
        }
        None => {
            let id = IDENTIFIERS
                .iter()
                .find_map(|&(role, _, _)| found.column_of(role));
            match id {
                Some(i) => {
                    reasons[i] = found.reason(i).map(str::to_string);
                    vec![i]
                }
                None => {
                    let names: Vec<usize> = match found.column_of(CanaryRole::FullName) {
                        Some(i) => vec![i],
                        None => match found.column_of(CanaryRole::GivenNames) {
                            Some(g) => [
                                Some(g),
                                found.column_of(CanaryRole::FirstSurname),
                                found.column_of(CanaryRole::SecondSurname),
                            ]
                            .into_iter()
                            .flatten()
                            .collect(),
                            None => Vec::new(),
                        },
                    };
                    if names.is_empty() {
                        return Err(Error::policy(Msg::CoNoIdentifierColumn));
                    }
                    let mut cols = names;
                    if let Some((s, _)) = &found.section {
                        cols.push(*s);
                    }
                    let list = cols
                        .iter()
                        .map(|&i| header[i].as_str())
                        .collect::<Vec<_>>()
                        .join(" + ");
                    for &i in &cols {
                        let why = match &found.section {
                            Some((s, why)) if *s == i => why.as_str(),
                            _ => found.reason(i).unwrap_or_default(),
                        };
                        reasons[i] = Some(format!(
                            "{why}; part of the composite identity {list}, as no column holds a CURP, clave de elector or NSS"
                        ));
                    }
                    let mut seen = std::collections::HashSet::new();
                    let mut key = String::new();
                    let duplicates = rows
                        .iter()
                        .filter(|r| {
                            key.clear();
                            for &i in &cols {
                                crate::normalize::identity_into(
                                    r.get(i).map(String::as_str).unwrap_or(""),
                                    &mut key,
                                );
                                key.push('\u{1F}');
                            }
                            !seen.insert(key.clone())
                        })
                        .count();
                    notes.push(format!(
                        "No column holds a CURP, clave de elector or NSS: rows are identified by {list}. \
                         {duplicates} of {} rows examined repeat an earlier row's identity; \
                         verification reads such rows as one.",
                        rows.len()
                    ));
                    cols
                }
            }
        }
    };

    let mut extra: Vec<Option<(&'static str, String)>> = vec![None; header.len()];
    let canaries = match canary_rate {
        None => None,
        Some(rate) => {
            let column = |role| found.column_of(role).map(|i| header[i].clone());
            let mut c = Canaries {
                rate,
                given_names: column(CanaryRole::GivenNames),
                first_surname: column(CanaryRole::FirstSurname),
                second_surname: column(CanaryRole::SecondSurname),
                full_name: column(CanaryRole::FullName),
                sex: column(CanaryRole::Sex),
                birth_date: column(CanaryRole::BirthDate),
                curp: column(CanaryRole::Curp),
                clave_elector: column(CanaryRole::ClaveElector),
                nss: column(CanaryRole::Nss),
                ..Canaries::default()
            };
            // A canary's free columns come from real rows: an e-mail address
            // or a telephone number written as people type it would be a
            // real person's, under a synthetic name, where a recipient
            // could write to or call them. The first of each is built by
            // rule instead (the `email` and `phone` roles); any other keeps
            // canaries off. Plain numbers are drawn anew.
            let taken = |i: usize| found.roles[i].is_some() || identity_cols.contains(&i);
            let emails: Vec<usize> = (0..header.len())
                .filter(|&i| !taken(i) && share(&columns[i], is_email) >= 0.5)
                .collect();
            let phones: Vec<usize> = (0..header.len())
                .filter(|&i| !taken(i) && is_typed_phone(&columns[i]))
                .collect();
            if let Some(&i) = emails.first() {
                c.email = Some(header[i].clone());
                extra[i] = Some((
                    "email",
                    format!(
                        "{} of values are e-mail addresses; a canary's is made from its own names",
                        pct(share(&columns[i], is_email))
                    ),
                ));
            }
            if let Some(&i) = phones.first() {
                c.phone = Some(header[i].clone());
                extra[i] = Some((
                    "phone",
                    format!(
                        "{} of values are telephone numbers as people type them; a canary's \
                         has an area code of its place and new digits",
                        pct(share(&columns[i], crate::carrier::is_phone))
                    ),
                ));
            }
            // Unique codes (staff and contract numbers): a canary's repeats
            // none and agrees with its own columns.
            for i in 0..header.len() {
                if taken(i) || extra[i].is_some() || emails.contains(&i) || phones.contains(&i) {
                    continue;
                }
                if found.section.as_ref().is_some_and(|(s, _)| *s == i) {
                    continue;
                }
                if let Some(why) = unique_code(&columns[i]) {
                    c.codes.push(header[i].clone());
                    extra[i] = Some(("codes", why));
                }
            }
            let contacts: Vec<&str> = emails
                .iter()
                .skip(1)
                .chain(phones.iter().skip(1))
                .map(|&i| header[i].as_str())
                .collect();
            if c.given_names.is_none() && c.full_name.is_none() {
                notes.push(
                    "No canary rows: no column is named as given names or full name \
                     (NOMBRE, NOMBRES, NOMBRE_COMPLETO, …) with values that look like names."
                        .into(),
                );
                None
            } else if !contacts.is_empty() {
                notes.push(format!(
                    "No canary rows: {} also hold{} e-mail addresses or telephone numbers as \
                     people type them; a canary builds its own for one column of each, and would \
                     carry a real person's in the others.",
                    contacts.join(", "),
                    if contacts.len() == 1 { "s" } else { "" }
                ));
                None
            } else {
                Some(c)
            }
        }
    };
    if canaries.is_none() {
        extra.iter_mut().for_each(|e| *e = None);
    }
    let has_canaries = canaries.is_some();

    let mut roles: Vec<ColumnRole> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let canary = found.roles[i]
                .as_ref()
                .filter(|_| has_canaries)
                .map(|(r, _)| r.name())
                .or(extra[i].as_ref().map(|e| e.0));
            let reason = reasons[i]
                .take()
                .or_else(|| canary.and_then(|_| found.reason(i)).map(str::to_string))
                .or_else(|| extra[i].as_ref().map(|e| e.1.clone()))
                .unwrap_or_else(|| "no carrier found in its values".into());
            ColumnRole {
                column: h.clone(),
                role: if identity_cols.contains(&i) {
                    Role::Identity
                } else {
                    Role::Unmarked
                },
                canary,
                reason,
            }
        })
        .collect();

    let dict = Carrier::Variants(Box::new(Dictionary::compile(&mx_address())?));
    let jobs = Carrier::Variants(Box::new(Dictionary::compile(&mx_jobs())?));
    let degrees = Carrier::Variants(Box::new(Dictionary::compile(&mx_degrees())?));
    let mut carriers = Vec::new();
    let mut scratch = String::new();
    let mut slots = Vec::new();
    for i in 0..header.len() {
        // A canary's telephone number is built, then marked like any row's.
        if identity_cols.contains(&i) || roles[i].canary.is_some_and(|r| r != "phone") {
            continue;
        }
        let values = &columns[i];
        let with_slot = share(values, |v| {
            dict.slots(v, &mut scratch, &mut slots);
            !slots.is_empty()
        });
        let amounts = share(values, is_amount);
        let mut slot_share = |carrier: &Carrier| {
            share(values, |v| {
                carrier.slots(v, &mut scratch, &mut slots);
                !slots.is_empty()
            })
        };
        let with_job_slot = slot_share(&jobs);
        let with_degree_slot = slot_share(&degrees);
        let degree_names = share(values, is_degree);
        let phones = share(values, crate::carrier::is_phone);
        let mut separated_by = |hyphen: bool| {
            share(values, |v| {
                Carrier::Phone.slots(v, &mut scratch, &mut slots);
                slots.first().is_some_and(|s| s.value == hyphen)
            })
        };
        let (spaced, hyphenated) = (separated_by(false), separated_by(true));
        if phones >= 0.9 && spaced >= 0.05 && hyphenated >= 0.05 {
            // Only a column that already shows both styles: a copy's
            // choice is then one the column has anyway.
            roles[i].role = Role::Phone;
            roles[i].reason = format!(
                "{} of values are telephone numbers, {} written 55 1234 5678 and {} \
                 55-1234-5678; the separators may change, the digits never",
                pct(phones),
                pct(spaced),
                pct(hyphenated)
            );
            carriers.push(CarrierSpec {
                column: header[i].clone(),
                kind: CarrierKind::Phone,
                dictionary: None,
                decimals: None,
            });
        } else if amounts >= 0.9 {
            roles[i].role = Role::Numeric;
            roles[i].reason = format!("{} of values are amounts with two decimals; may move by one unit of the last place", pct(amounts));
            carriers.push(CarrierSpec {
                column: header[i].clone(),
                kind: CarrierKind::Numeric,
                dictionary: None,
                decimals: Some(2),
            });
        } else if degree_names >= 0.8 && with_degree_slot >= 0.1 {
            // Degrees: `LIC.` is `LICENCIATURA` whoever holds it.
            roles[i].role = Role::Variants;
            roles[i].reason = format!(
                "{} of values are names of degrees (LICENCIATURA, ING., TECNICO …), written \
                 abbreviated or in full",
                pct(degree_names)
            );
            carriers.push(CarrierSpec {
                column: header[i].clone(),
                kind: CarrierKind::Variants,
                dictionary: Some("mx-degrees".into()),
                decimals: None,
            });
        } else if with_job_slot >= 0.1 && with_job_slot > with_slot {
            roles[i].role = Role::Variants;
            roles[i].reason = format!(
                "{} of values hold a word of job titles with an equivalent spelling \
                 (AUXILIAR / AUX., ADMINISTRATIVO / ADMVO.)",
                pct(with_job_slot)
            );
            carriers.push(CarrierSpec {
                column: header[i].clone(),
                kind: CarrierKind::Variants,
                dictionary: Some("mx-jobs".into()),
                decimals: None,
            });
        } else if with_slot >= 0.1 {
            roles[i].role = Role::Variants;
            roles[i].reason = format!(
                "{} of values hold an address word with an equivalent spelling",
                pct(with_slot)
            );
            carriers.push(CarrierSpec {
                column: header[i].clone(),
                kind: CarrierKind::Variants,
                dictionary: Some("mx-address".into()),
                decimals: None,
            });
        } else if let Some(why) = &found.rejected[i] {
            roles[i].reason = format!("{why}; no carrier found in its values");
        }
    }
    if carriers.is_empty() && canaries.is_none() {
        let canaries = if canary_rate.is_none() {
            Msg::CoCanariesOff
        } else {
            Msg::CoNoNameColumn
        };
        return Err(Error::policy(
            Said::new(Msg::CoNoCarrierColumn).sentence(Said::new(canaries)),
        ));
    }
    let policy = Policy {
        version: 1,
        identity: identity_cols.iter().map(|&i| header[i].clone()).collect(),
        threshold: DEFAULT_THRESHOLD,
        code: CodeParams::default(),
        carriers,
        extra_variants: Vec::new(),
        canaries,
    };
    policy.validate()?;
    Ok(Suggestion {
        policy,
        columns: roles,
        rows_examined: rows.len(),
        notes,
    })
}

/// Reads up to `max_rows` rows of an extract in any format and suggests a
/// policy (see [`suggest_policy`] for `identity` and `canary_rate`). Rows
/// past the first `max_rows` are not read.
pub fn suggest_from_rows<S: RowSource>(
    mut source: S,
    max_rows: usize,
    identity: Option<&[String]>,
    canary_rate: Option<f64>,
) -> Result<Suggestion> {
    let header = source.header().to_vec();
    if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
        return Err(ErrorKind::EmptyInput.into());
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut batch = RowBatch::new();
    while rows.len() < max_rows {
        let want = (max_rows - rows.len()).min(BATCH_ROWS);
        if !source.next_batch(&mut batch, want)? {
            break;
        }
        rows.extend(batch.rows().map(|r| r.iter().map(str::to_string).collect()));
    }
    suggest_policy(&header, &rows, identity, canary_rate)
}

/// Writes `text` as `# ` comment lines of at most about 92 characters.
fn wrap_comment(out: &mut String, text: &str) {
    let mut line = String::from("#");
    for word in text.split_whitespace() {
        if line.len() > 1 && line.len() + 1 + word.len() > 92 {
            let _ = writeln!(out, "{line}");
            line = String::from("#");
        }
        line.push(' ');
        line.push_str(word);
    }
    if line.len() > 1 {
        let _ = writeln!(out, "{line}");
    }
}

impl Suggestion {
    /// The policy as TOML, with a comment for every column (its role, its
    /// canary role if any, and why).
    pub fn to_commented_toml(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# Policy suggested from {} rows. Review it before issuing copies:",
            self.rows_examined
        );
        let _ = writeln!(out, "# copies made under it can only be verified with it.");
        if let Some(c) = &self.policy.canaries {
            let _ = writeln!(
                out,
                "# Canary rows (rate {}): synthetic people added to each copy, made as the",
                c.rate
            );
            let _ = writeln!(out, "# columns marked `canary` below say.");
        }
        for note in &self.notes {
            wrap_comment(&mut out, note);
        }
        for c in &self.columns {
            let role = match c.role {
                Role::Identity => "identity",
                Role::Variants => "carrier (variant spellings)",
                Role::Numeric => "carrier (last decimal place)",
                Role::Phone => "carrier (telephone separators)",
                Role::Unmarked => "unmarked",
            };
            let canary = c
                .canary
                .map(|r| format!(", canary {r}"))
                .unwrap_or_default();
            let _ = writeln!(out, "#   {:<20} {role}{canary}: {}", c.column, c.reason);
        }
        out.push('\n');
        out.push_str(&self.policy.to_toml());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DEFAULT_CANARY_RATE;
    use watermark_synth::Kind;

    const ON: Option<f64> = Some(DEFAULT_CANARY_RATE);

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    /// A synthetic extract's header and rows.
    fn synth(kind: Kind, rows: usize) -> (Vec<String>, Vec<Vec<String>>) {
        (s(kind.headers()), kind.generator(7).take(rows).collect())
    }

    /// Renames column `from` to `to`.
    fn rename(header: &mut [String], from: &str, to: &str) {
        let i = header.iter().position(|h| h == from).unwrap();
        header[i] = to.to_string();
    }

    /// Removes column `name`.
    fn remove(header: &mut Vec<String>, rows: &mut [Vec<String>], name: &str) {
        let i = header.iter().position(|h| h == name).unwrap();
        header.remove(i);
        for r in rows {
            r.remove(i);
        }
    }

    fn role_of<'a>(sug: &'a Suggestion, column: &str) -> &'a ColumnRole {
        sug.columns.iter().find(|c| c.column == column).unwrap()
    }

    /// The commented TOML parses back to the same policy.
    fn round_trips(sug: &Suggestion) {
        let back = Policy::from_toml(&sug.to_commented_toml()).unwrap();
        assert_eq!(back, sug.policy);
    }

    #[test]
    fn job_tables_get_title_and_degree_carriers_by_content() {
        let dictionaries = |sug: &Suggestion| -> Vec<(String, String)> {
            sug.policy
                .carriers
                .iter()
                .map(|c| {
                    let what = match c.kind {
                        CarrierKind::Phone => "phone".to_string(),
                        _ => c.dictionary.clone().unwrap_or_default(),
                    };
                    (c.column.clone(), what)
                })
                .collect()
        };
        // Headers renamed: only the content tells what the columns are.
        for (kind, expected) in [
            (
                Kind::JobSeekers,
                vec![
                    ("TITULO", "mx-degrees"),
                    ("PUESTO_SOLICITADO", "mx-jobs"),
                    ("EXPERIENCIA", "mx-jobs"),
                    ("TELEFONO", "phone"),
                ],
            ),
            (
                Kind::StaffRoster,
                vec![("PUESTO", "mx-jobs"), ("TELEFONO", "phone")],
            ),
        ] {
            let (header, rows) = synth(kind, 3000);
            let renamed: Vec<String> = (0..header.len()).map(|i| format!("C{i}")).collect();
            let sug = suggest_policy(&renamed, &rows, None, ON).unwrap();
            let got = dictionaries(&sug);
            for (column, dictionary) in expected {
                let i = header.iter().position(|h| h == column).unwrap();
                assert!(
                    got.contains(&(format!("C{i}"), dictionary.to_string())),
                    "{kind}: {column} ({dictionary}) not in {got:?}"
                );
            }
            round_trips(&sug);
        }
        // Canaries build their own e-mail address, telephone number and
        // codes: the roles are bound by content, and the telephone column
        // still carries marks.
        for (kind, codes) in [
            (Kind::JobSeekers, vec![]),
            (Kind::StaffRoster, vec!["MATRICULA", "NUM_CONTRATO"]),
        ] {
            // Names are known by their headers; the rest by content.
            let (header, rows) = synth(kind, 3000);
            let renamed: Vec<String> = header
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    if h.starts_with("NOMBRE") || h.starts_with("APELLIDO") {
                        h.clone()
                    } else {
                        format!("C{i}")
                    }
                })
                .collect();
            let named = |c: &str| renamed[header.iter().position(|h| h == c).unwrap()].clone();
            let sug = suggest_policy(&renamed, &rows, None, ON).unwrap();
            let c = sug.policy.canaries.clone().expect("canaries");
            assert_eq!(c.email, Some(named("CORREO")), "{kind}");
            assert_eq!(c.phone, Some(named("TELEFONO")), "{kind}");
            let codes: Vec<String> = codes.iter().map(|c| named(c)).collect();
            assert_eq!(c.codes, codes, "{kind}");
            assert!(
                sug.policy
                    .carriers
                    .iter()
                    .any(|k| k.column == named("TELEFONO") && k.kind == CarrierKind::Phone),
                "{kind}"
            );
            assert_eq!(role_of(&sug, &named("CORREO")).canary, Some("email"));
            round_trips(&sug);
        }
        // The earlier kinds get none of the new roles: their suggested
        // canaries are the same as before.
        for kind in [Kind::ElectoralRoll, Kind::Pensioners, Kind::NameList] {
            let (header, rows) = synth(kind, 3000);
            let c = suggest_policy(&header, &rows, None, ON)
                .unwrap()
                .policy
                .canaries
                .unwrap();
            assert_eq!((c.email, c.phone, c.codes.len()), (None, None, 0), "{kind}");
        }
        // The earlier kinds' suggestions use the address dictionary only.
        for kind in [Kind::ElectoralRoll, Kind::Pensioners, Kind::NameList] {
            let (header, rows) = synth(kind, 3000);
            let sug = suggest_policy(&header, &rows, None, ON).unwrap();
            for (column, dictionary) in dictionaries(&sug) {
                assert!(
                    dictionary.is_empty() || dictionary == "mx-address",
                    "{kind}: {column} gets {dictionary}"
                );
            }
        }
    }

    #[test]
    fn recognises_columns_by_content_not_name() {
        let header = s(&["A", "B", "C", "D"]);
        let rows = vec![
            s(&["BAKZ770628MHGRKZ06", "AV. REFORMA", "6353.93", "ZUSEJ"]),
            s(&["GINB650902HCMLNB21", "CALLE 5", "120.00", "PEDRO"]),
            s(&["SXMZ990812MCHDMZ06", "PRIV. X", "1.50", "ANA"]),
        ];
        let sug = suggest_policy(&header, &rows, None, ON).unwrap();
        assert_eq!(sug.policy.identity, ["A"]);
        let kinds: Vec<_> = sug
            .policy
            .carriers
            .iter()
            .map(|c| (c.column.as_str(), c.kind))
            .collect();
        assert_eq!(
            kinds,
            [("B", CarrierKind::Variants), ("C", CarrierKind::Numeric)]
        );
        // No header names a name column: no canaries.
        assert_eq!(sug.policy.canaries, None);
        assert!(sug.notes.iter().any(|n| n.contains("No canary rows")));
        round_trips(&sug);
    }

    #[test]
    fn identity_can_be_named_and_must_exist() {
        let header = s(&["NSS", "MONTO"]);
        let rows = vec![s(&["59056074814", "13147.55"])];
        let sug = suggest_policy(&header, &rows, Some(&s(&["nss"])), ON).unwrap();
        assert_eq!(sug.policy.identity, ["NSS"]);
        assert!(suggest_policy(&header, &rows, Some(&s(&["CURP"])), ON).is_err());
    }

    #[test]
    fn the_roll_gets_canaries_with_every_role() {
        let (header, rows) = synth(Kind::ElectoralRoll, 400);
        let sug = suggest_policy(&header, &rows, None, ON).unwrap();
        assert_eq!(sug.policy.identity, ["CURP"]);
        let c = sug.policy.canaries.clone().unwrap();
        assert_eq!(
            c,
            Canaries {
                rate: DEFAULT_CANARY_RATE,
                given_names: Some("NOMBRE".into()),
                first_surname: Some("APELLIDO_PATERNO".into()),
                second_surname: Some("APELLIDO_MATERNO".into()),
                full_name: None,
                sex: Some("SEXO".into()),
                birth_date: Some("FECHA_NACIMIENTO".into()),
                curp: Some("CURP".into()),
                clave_elector: Some("CLAVE_ELECTOR".into()),
                nss: None,
                ..Canaries::default()
            }
        );
        // The address still carries marks; no canary column does.
        let carriers: Vec<&str> = sug
            .policy
            .carriers
            .iter()
            .map(|c| c.column.as_str())
            .collect();
        assert!(carriers.contains(&"CALLE"), "{carriers:?}");
        for (_, column) in c.roles() {
            assert!(!carriers.contains(&column), "{column} is a carrier");
        }
        let curp = role_of(&sug, "CURP");
        assert_eq!((curp.role, curp.canary), (Role::Identity, Some("curp")));
        let nombre = role_of(&sug, "NOMBRE");
        assert_eq!(
            (nombre.role, nombre.canary),
            (Role::Unmarked, Some("given_names"))
        );
        let text = sug.to_commented_toml();
        assert!(text.contains("identity, canary curp:"), "{text}");
        assert!(text.contains("unmarked, canary given_names:"), "{text}");
        assert!(text.contains("unmarked, canary birth_date:"), "{text}");
        round_trips(&sug);
    }

    #[test]
    fn the_roll_from_a_hand_made_sample() {
        let header = s(&[
            "CLAVE_ELECTOR",
            "CURP",
            "NOMBRE",
            "APELLIDO_PATERNO",
            "APELLIDO_MATERNO",
            "FECHA_NACIMIENTO",
            "SEXO",
            "CALLE",
            "SECCION",
        ]);
        let rows = vec![
            s(&[
                "BAKUZU77062815M254",
                "BAKZ770628MHGRKZ06",
                "ZUSEJ",
                "BARAJAS",
                "KUMAR",
                "28/06/1977",
                "M",
                "DIAGONAL SUR ZAMUDIO",
                "3139",
            ]),
            s(&[
                "GINABA65090232H204",
                "GINB650902HCMLNB21",
                "BARRAGAN LOMELI",
                "GILIBERT",
                "NARVAEZ",
                "02/09/1965",
                "H",
                "AV. NIÑO",
                "3064",
            ]),
            s(&[
                "SDMAZA99081230M676",
                "SXMZ990812MCHDMZ06",
                "ZAARATEE",
                "SDFG",
                "MACHUCHO",
                "12/08/1999",
                "M",
                "CALLE BAJA CALIFORNIA SUR",
                "5872",
            ]),
        ];
        let sug = suggest_policy(&header, &rows, None, ON).unwrap();
        assert_eq!(sug.policy.identity, ["CURP"]);
        let c = sug.policy.canaries.as_ref().unwrap();
        assert_eq!(c.clave_elector.as_deref(), Some("CLAVE_ELECTOR"));
        assert_eq!(c.birth_date.as_deref(), Some("FECHA_NACIMIENTO"));
        assert_eq!(c.sex.as_deref(), Some("SEXO"));
        assert_eq!(c.given_names.as_deref(), Some("NOMBRE"));
        round_trips(&sug);
    }

    #[test]
    fn pensioners_birth_date_is_not_the_pension_start() {
        let (header, rows) = synth(Kind::Pensioners, 400);
        let sug = suggest_policy(&header, &rows, None, ON).unwrap();
        assert_eq!(sug.policy.identity, ["CURP"]);
        let c = sug.policy.canaries.as_ref().unwrap();
        assert_eq!(c.birth_date.as_deref(), Some("FECHA_NACIMIENTO"));
        assert_eq!(c.nss.as_deref(), Some("NSS"));
        assert_eq!(c.curp.as_deref(), Some("CURP"));
        assert_eq!(role_of(&sug, "FECHA_ALTA").canary, None);
        assert!(role_of(&sug, "FECHA_ALTA")
            .reason
            .contains("not taken for the birth date"));
        assert!(sug
            .policy
            .carriers
            .iter()
            .any(|k| k.column == "MONTO_MENSUAL"));
        round_trips(&sug);

        // With neither date named as the birth date, the CURP decides, in
        // either column order.
        let (mut header, mut rows) = synth(Kind::Pensioners, 400);
        rename(&mut header, "FECHA_NACIMIENTO", "FECHA_1");
        let sug = suggest_policy(&header, &rows, None, ON).unwrap();
        let c = sug.policy.canaries.as_ref().unwrap();
        assert_eq!(c.birth_date.as_deref(), Some("FECHA_1"));
        let alta = header.iter().position(|h| h == "FECHA_ALTA").unwrap();
        let birth = header.iter().position(|h| h == "FECHA_1").unwrap();
        header.swap(alta, birth);
        for r in &mut rows {
            r.swap(alta, birth);
        }
        let sug = suggest_policy(&header, &rows, None, ON).unwrap();
        let c = sug.policy.canaries.as_ref().unwrap();
        assert_eq!(c.birth_date.as_deref(), Some("FECHA_1"));

        // A lone date column that disagrees with the CURP is no birth date.
        let (mut header, mut rows) = synth(Kind::Pensioners, 400);
        remove(&mut header, &mut rows, "FECHA_NACIMIENTO");
        let sug = suggest_policy(&header, &rows, None, ON).unwrap();
        assert_eq!(sug.policy.canaries.as_ref().unwrap().birth_date, None);
    }

    #[test]
    fn a_three_column_list_gets_a_composite_identity_and_only_canaries() {
        let (header, rows) = synth(Kind::NameList, 500);
        let sug = suggest_policy(&header, &rows, None, ON).unwrap();
        assert_eq!(sug.policy.identity, ["NOMBRE_COMPLETO", "SECCION"]);
        assert!(sug.policy.carriers.is_empty());
        let c = sug.policy.canaries.as_ref().unwrap();
        assert_eq!(c.full_name.as_deref(), Some("NOMBRE_COMPLETO"));
        assert_eq!(c.roles().len(), 1);
        let full = role_of(&sug, "NOMBRE_COMPLETO");
        assert_eq!(
            (full.role, full.canary),
            (Role::Identity, Some("full_name"))
        );
        assert!(
            full.reason.contains("composite identity"),
            "{}",
            full.reason
        );
        let section = role_of(&sug, "SECCION");
        assert_eq!((section.role, section.canary), (Role::Identity, None));
        assert!(section.reason.contains("electoral section"));
        assert_eq!(role_of(&sug, "DISTRITO").role, Role::Unmarked);
        assert!(sug
            .notes
            .iter()
            .any(|n| n.contains("NOMBRE_COMPLETO + SECCION")));
        sug.policy.validate().unwrap();
        round_trips(&sug);

        // Without canaries nothing could be marked.
        let err = suggest_policy(&header, &rows, None, None).unwrap_err();
        assert!(
            err.to_string().contains("no column can carry marks"),
            "{err}"
        );
        assert!(err.to_string().contains("turned off"), "{err}");

        // Without the section, the name alone.
        let (mut header, mut rows) = (header, rows);
        remove(&mut header, &mut rows, "SECCION");
        let sug = suggest_policy(&header, &rows, None, ON).unwrap();
        assert_eq!(sug.policy.identity, ["NOMBRE_COMPLETO"]);
    }

    #[test]
    fn split_names_form_the_composite_identity() {
        let header = s(&[
            "Nombre(s)",
            "primer apellido",
            "SEGUNDO_APELLIDO",
            "SECCION ELECTORAL",
            "DOMICILIO",
        ]);
        let rows = vec![
            s(&[
                "MARIA GUADALUPE",
                "HERNANDEZ",
                "LOPEZ",
                "12",
                "AV. JUAREZ 4",
            ]),
            s(&["JUAN", "PEREZ", "", "7", "CALLE 5 DE MAYO"]),
            s(&["ANA", "DE LA CRUZ", "RUIZ", "1203", "PRIV. ROBLE"]),
        ];
        let sug = suggest_policy(&header, &rows, None, ON).unwrap();
        assert_eq!(
            sug.policy.identity,
            [
                "Nombre(s)",
                "primer apellido",
                "SEGUNDO_APELLIDO",
                "SECCION ELECTORAL"
            ]
        );
        let c = sug.policy.canaries.as_ref().unwrap();
        assert_eq!(c.given_names.as_deref(), Some("Nombre(s)"));
        assert_eq!(c.first_surname.as_deref(), Some("primer apellido"));
        assert_eq!(c.second_surname.as_deref(), Some("SEGUNDO_APELLIDO"));
        assert_eq!(sug.policy.carriers.len(), 1);
        assert_eq!(sug.policy.carriers[0].column, "DOMICILIO");
        round_trips(&sug);
    }

    #[test]
    fn neither_names_nor_identifiers_is_an_error() {
        let header = s(&["CALLE", "MONTO", "SECCION"]);
        let rows = vec![
            s(&["AV. REFORMA 1", "10.00", "12"]),
            s(&["CALLE 5", "11.50", "13"]),
        ];
        let err = suggest_policy(&header, &rows, None, ON).unwrap_err();
        assert!(err.to_string().contains("no identifier column"), "{err}");
    }

    #[test]
    fn a_name_header_over_digits_is_not_a_name() {
        let header = s(&["CURP", "NOMBRE", "CALLE"]);
        let rows = vec![
            s(&["BAKZ770628MHGRKZ06", "1234", "AV. REFORMA"]),
            s(&["GINB650902HCMLNB21", "5678", "CALLE 5"]),
            s(&["SXMZ990812MCHDMZ06", "ANA", "PRIV. X"]),
        ];
        let sug = suggest_policy(&header, &rows, None, ON).unwrap();
        assert_eq!(sug.policy.canaries, None);
        let nombre = role_of(&sug, "NOMBRE");
        assert_eq!(nombre.canary, None);
        assert!(
            nombre.reason.contains("look like names"),
            "{}",
            nombre.reason
        );

        // And it cannot make a composite identity either.
        let (mut header, mut rows) = (header, rows);
        remove(&mut header, &mut rows, "CURP");
        assert!(suggest_policy(&header, &rows, None, ON).is_err());
    }

    #[test]
    fn canaries_can_be_turned_off_or_given_a_rate() {
        let (header, rows) = synth(Kind::ElectoralRoll, 300);
        let off = suggest_policy(&header, &rows, None, None).unwrap();
        assert_eq!(off.policy.canaries, None);
        assert!(off.columns.iter().all(|c| c.canary.is_none()));
        assert!(!off.to_commented_toml().contains("canary"));
        round_trips(&off);
        let on = suggest_policy(&header, &rows, None, Some(0.05)).unwrap();
        assert_eq!(on.policy.canaries.as_ref().unwrap().rate, 0.05);
        // The carriers do not depend on canaries for the roll.
        assert_eq!(on.policy.carriers, off.policy.carriers);
        round_trips(&on);
        assert!(suggest_policy(&header, &rows, None, Some(0.5)).is_err());
    }

    #[test]
    fn dates_and_sexes() {
        for (v, want) in [
            ("28/06/1977", Some((1977, 6, 28))),
            ("1974-04-03", Some((1974, 4, 3))),
            ("1974-04-03T00:00:00", Some((1974, 4, 3))),
            ("2/9/1965 00:00", Some((1965, 9, 2))),
            ("02.09.1965", Some((1965, 9, 2))),
            ("1965/09/02", Some((1965, 9, 2))),
            ("31/02/1980", None),
            ("12/08/1850", None),
            ("12/08/77", None),
            ("1974-04/03", None),
            ("19740403", None),
            ("H", None),
            ("", None),
        ] {
            assert_eq!(parse_date(v), want, "{v:?}");
        }
        assert!(is_sex("h") && is_sex("Mujer") && is_sex(" HOMBRE "));
        assert!(!is_sex("X") && !is_sex("MASCULINO"));
        assert_eq!(header_key("Nombre Completo"), "NOMBRECOMPLETO");
        assert_eq!(header_key("nombre_completo"), "NOMBRECOMPLETO");
    }
}
