//! A canary's e-mail address, telephone number and unique codes, built by
//! rule rather than drawn from a real row: a drawn value would be a real
//! person's contact under a synthetic name (a recipient could write to or
//! call them), and an address that does not match the canary's name, a
//! number from another state or a contract number that repeats another
//! row's would give the canary away.
//!
//! Everything is learnt from the uniform sample the canary model reads:
//!
//! - **E-mail.** Each sample address's local part is read as a shape made
//!   of the row's own names and birth year (`{given}.{surname}{yy}`,
//!   `{initials}_{yyyy}`, `{initial}{surname}` and trailing digits); a
//!   canary takes the shape and the domain of one sample row (so shapes and
//!   domains keep their joint distribution), written with its own names. A
//!   taken address gets digits as the column's do: the next number of the
//!   sequence where the column numbers its homonyms (`ana.ruiz2`,
//!   `ana.ruiz3`), else a suffix drawn among the column's own.
//! - **Telephone.** The column the numbers' leading digits depend on most
//!   (the entity, the delegation) is found in the sample; a canary's number
//!   keeps the first three digits (the area code) of a sample row of its
//!   own value there, is written in that row's presentation (`(55)
//!   1234-5678`, `+52 …`, `… EXT. 12345`), and gets new remaining digits.
//! - **Codes.** A code is cut into runs of digits and of other characters;
//!   a run that equals part of another column (the year of a date) or is a
//!   function of one (the delegation's number, the hiring kind's letter)
//!   is taken from the canary's own columns, a run of varied digits with no
//!   such tie is a serial whose first digit is kept and the rest drawn.
//!
//! Each value comes with a few candidates in order of preference; the
//! caller keeps the first that no real row (its value in the column, for
//! telephones its ten digits) and no earlier canary holds. The domain of an
//! address drawn this way is a real provider's: the address is absent from
//! the extract, not guaranteed absent at the provider.

use std::collections::HashMap;

use super::Draws;
use crate::normalize::fold;

/// Candidates kept for each value.
const CANDIDATES: usize = 8;
/// Homonym numbers tried where the column numbers homonyms in sequence.
const SEQUENCE: u64 = 64;
/// Share of rows a tie must hold in.
const TIE: f64 = 0.95;
/// Sample rows a code shape needs before its ties are believed.
const MIN_ROWS: usize = 30;

/// A person's parts an address is made of.
pub(super) struct Person {
    pub given: String,
    pub first: String,
    pub second: String,
    pub year: Option<u16>,
}

/// A name as a word of an e-mail address: its ASCII letters, lower case.
fn mail_word(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The words an address can be made of, in [`Tok`] order.
fn words(p: &Person) -> [String; 4] {
    let mut given = p.given.split_whitespace();
    [
        mail_word(given.next().unwrap_or("")),
        mail_word(given.next().unwrap_or("")),
        mail_word(&p.first),
        mail_word(&p.second),
    ]
}

/// One piece of an address's local part.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    /// Word `k` of [`words`] in full.
    Word(usize),
    /// Its initial.
    Initial(usize),
    /// The birth year, two or four digits.
    Year(usize),
    /// A character as it is (a separator, a letter that is no initial).
    Lit(char),
    /// Digits that are not the birth year, of this width.
    Num(usize),
}

/// Reads a local part as the cheapest sequence of tokens; `None` when no
/// reading uses a name.
fn parse_local(local: &str, p: &Person) -> Option<Vec<Tok>> {
    let chars: Vec<char> = local.chars().collect();
    let n = chars.len();
    let w = words(p);
    let year4 = p.year.map(|y| format!("{y:04}"));
    let year2 = p.year.map(|y| format!("{:02}", y % 100));
    let digit_run = |i: usize| chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut best: Vec<Option<(u32, Vec<Tok>)>> = vec![None; n + 1];
    best[0] = Some((0, Vec::new()));
    for i in 0..n {
        let Some((cost, toks)) = best[i].clone() else {
            continue;
        };
        // Names are read in order: a word or initial of a name before one
        // already read costs more (`jd` is J. and D., not J. twice).
        let last = toks
            .iter()
            .filter_map(|t| match t {
                Tok::Word(k) | Tok::Initial(k) => Some(*k),
                _ => None,
            })
            .max();
        let mut step = |len: usize, c: u32, t: Tok| {
            let c = match t {
                Tok::Word(k) | Tok::Initial(k) if last.is_some_and(|l| k <= l) => c + 2,
                _ => c,
            };
            let j = i + len;
            if j <= n && best[j].as_ref().is_none_or(|b| b.0 > cost + c) {
                let mut v = toks.clone();
                v.push(t);
                best[j] = Some((cost + c, v));
            }
        };
        let rest: String = chars[i..].iter().collect();
        for (k, word) in w.iter().enumerate() {
            if !word.is_empty() && rest.starts_with(word.as_str()) {
                step(word.chars().count(), 1, Tok::Word(k));
            }
            if word.starts_with(chars[i]) {
                step(1, 2, Tok::Initial(k));
            }
        }
        let run = if i == 0 || !chars[i - 1].is_ascii_digit() {
            digit_run(i)
        } else {
            0
        };
        if run > 0 {
            let digits: String = chars[i..i + run].iter().collect();
            if Some(&digits) == year4.as_ref() {
                step(4, 1, Tok::Year(4));
            } else if Some(&digits) == year2.as_ref() {
                step(2, 1, Tok::Year(2));
            } else {
                step(run, 2, Tok::Num(run));
            }
        } else if !chars[i].is_ascii_digit() {
            let c = if matches!(chars[i], '.' | '_' | '-') {
                1
            } else {
                4
            };
            step(1, c, Tok::Lit(chars[i]));
        }
    }
    let (_, toks) = best[n].take()?;
    toks.iter()
        .any(|t| matches!(t, Tok::Word(_) | Tok::Initial(_)))
        .then_some(toks)
}

/// An address's shape and domain, from one sample row.
struct Shape {
    toks: Vec<Tok>,
    domain: String,
    upper: bool,
}

struct EmailModel {
    col: usize,
    shapes: Vec<Shape>,
    /// The trailing numbers of the sample's addresses.
    suffixes: Vec<u64>,
    /// Whether homonyms are numbered in sequence (2, 3, …).
    sequential: bool,
    domains: Vec<String>,
}

struct PhoneModel {
    col: usize,
    /// The column the numbers' leading digits depend on, if any.
    place: Option<usize>,
    by_place: HashMap<String, Vec<usize>>,
    templates: Vec<String>,
    prefixes: Vec<String>,
}

/// How one run of a code is made.
#[derive(Clone, Debug)]
enum Tie {
    /// The template's run.
    Keep,
    /// New digits after the template's first.
    Serial,
    /// Digit run `run` of column `col`.
    Part { col: usize, run: usize },
    /// A function of column `col`'s folded value.
    Map {
        col: usize,
        map: HashMap<String, String>,
    },
}

struct CodeModel {
    col: usize,
    templates: Vec<Vec<String>>,
    ties: HashMap<String, Vec<Tie>>,
}

/// What a canary's contact columns and codes are built by.
#[derive(Default)]
pub(super) struct Contact {
    email: Option<EmailModel>,
    phone: Option<PhoneModel>,
    codes: Vec<CodeModel>,
}

/// How a column's values are compared for collisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum KeyKind {
    Text,
    Phone,
}

/// How a built value's candidate is kept once the real rows' are known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    /// The first free candidate.
    Plain,
    /// An address whose shape has no number: when the bare address is
    /// taken, a numbered one is kept only half the time (else the canary is
    /// dropped), as a canary meets every real row's address where a real
    /// row met only those registered before it.
    Numbered,
    /// Homonyms numbered in sequence: the canary would be the last of a
    /// family of `k` real rows, where a real row is the last of its family
    /// once per family; it is kept with probability `2 / (2k + 3)` (measured
    /// in `tests/job_distinguisher.rs` against both "last of its family"
    /// and "alone in its family"), and never in a family another canary
    /// joined (a copy without that canary would show a gap).
    Sequence,
}

/// One built value and its candidates, most preferred first.
pub(super) struct Proposal {
    pub col: usize,
    pub kind: KeyKind,
    pub mode: Mode,
    pub candidates: Vec<String>,
}

/// The ten digits of a telephone number (a `+52 ` prefix left out), and the
/// byte ranges of the digits of the cell, `None` for anything else.
fn phone_digits(cell: &str) -> Option<(String, usize)> {
    let skip = if cell.starts_with("+52 ") { 4 } else { 0 };
    let digits: String = cell[skip..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')'))
        .filter(char::is_ascii_digit)
        .collect();
    (digits.len() == 10).then_some((digits, skip))
}

/// The key a value is compared by.
pub(super) fn key_of(kind: KeyKind, value: &str) -> Option<String> {
    match kind {
        KeyKind::Text => Some(fold(value)).filter(|k| !k.is_empty()),
        KeyKind::Phone => phone_digits(value).map(|(d, _)| d),
    }
}

/// Runs of digits and of other characters.
fn runs(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in s.chars() {
        match out.last_mut() {
            Some(last) if last.chars().all(|x| x.is_ascii_digit()) == c.is_ascii_digit() => {
                last.push(c);
            }
            _ => out.push(c.to_string()),
        }
    }
    out
}

/// A code's shape: which of its runs are digits.
fn signature(runs: &[String]) -> String {
    runs.iter()
        .map(|r| {
            if r.starts_with(|c: char| c.is_ascii_digit()) {
                'D'
            } else {
                'A'
            }
        })
        .collect()
}

fn digit_runs(s: &str) -> Vec<String> {
    runs(s)
        .into_iter()
        .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        .collect()
}

/// How much more often two sample rows with the same value of `by` share
/// `of` than two rows at random, scaled to 1 when they always do.
fn dependency(by: &[String], of: &[String]) -> f64 {
    let n = of.len().max(1) as f64;
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for v in of {
        *counts.entry(v).or_default() += 1;
    }
    let chance: f64 = counts.values().map(|&c| (c as f64 / n).powi(2)).sum();
    if chance >= 1.0 - 1e-9 {
        return 0.0;
    }
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (r, v) in by.iter().enumerate() {
        groups.entry(v).or_default().push(r);
    }
    let (mut pairs, mut agree) = (0usize, 0usize);
    for rows in groups.values() {
        for w in rows.windows(2) {
            pairs += 1;
            agree += usize::from(of[w[0]] == of[w[1]]);
        }
    }
    if pairs < MIN_ROWS {
        return 0.0;
    }
    (agree as f64 / pairs as f64 - chance) / (1.0 - chance)
}

impl Contact {
    /// Learns the models from the sample. `columns` is every other column
    /// of the extract (a tie or place may be any of them), `person` reads a
    /// row's names and birth year.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn learn(
        email: Option<usize>,
        phone: Option<usize>,
        codes: &[usize],
        columns: &[usize],
        domains: &[String],
        prefixes: &[String],
        sample: &[Vec<String>],
        person: &dyn Fn(&[String]) -> Option<Person>,
    ) -> Contact {
        let mut contact = Contact::default();
        if let Some(col) = email {
            let mut shapes = Vec::new();
            let mut suffixes = Vec::new();
            for row in sample {
                let v = row[col].trim();
                let Some((local, domain)) = v.rsplit_once('@') else {
                    continue;
                };
                let Some(p) = person(row) else { continue };
                let lower = local.to_lowercase();
                let Some(toks) = parse_local(&lower, &p) else {
                    continue;
                };
                if let Some(Tok::Num(_)) = toks.last() {
                    let digits: String = lower
                        .chars()
                        .rev()
                        .take_while(char::is_ascii_digit)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect();
                    suffixes.extend(digits.parse::<u64>().ok());
                }
                shapes.push(Shape {
                    toks,
                    domain: domain.to_string(),
                    upper: v.chars().any(|c| c.is_ascii_uppercase())
                        && !v.chars().any(|c| c.is_ascii_lowercase()),
                });
            }
            let small = suffixes.iter().filter(|&&s| s <= 9).count();
            let sequential = !suffixes.is_empty() && small * 2 >= suffixes.len();
            contact.email = (!shapes.is_empty()).then_some(EmailModel {
                col,
                shapes,
                suffixes,
                sequential,
                domains: domains.to_vec(),
            });
        }
        if let Some(col) = phone {
            let mut templates = Vec::new();
            let mut rows = Vec::new();
            for (r, row) in sample.iter().enumerate() {
                if phone_digits(row[col].trim()).is_some() {
                    templates.push(row[col].trim().to_string());
                    rows.push(r);
                }
            }
            let leading: Vec<String> = templates
                .iter()
                .map(|t| {
                    phone_digits(t)
                        .map(|(d, _)| d[..3].to_string())
                        .unwrap_or_default()
                })
                .collect();
            // The place: the column the area codes depend on most.
            let mut place = None;
            let mut best = 0.05;
            for &c in columns {
                let values: Vec<String> = rows.iter().map(|&r| fold(&sample[r][c])).collect();
                let distinct: std::collections::HashSet<&String> = values.iter().collect();
                if distinct.len() > 500 || distinct.len() * 3 > values.len() {
                    continue;
                }
                let d = dependency(&values, &leading);
                if d > best {
                    best = d;
                    place = Some(c);
                }
            }
            let mut by_place: HashMap<String, Vec<usize>> = HashMap::new();
            if let Some(c) = place {
                for (k, &r) in rows.iter().enumerate() {
                    by_place.entry(fold(&sample[r][c])).or_default().push(k);
                }
            }
            contact.phone = (!templates.is_empty()).then_some(PhoneModel {
                col,
                place,
                by_place,
                templates,
                prefixes: prefixes.to_vec(),
            });
        }
        for &col in codes {
            contact.codes.extend(CodeModel::learn(col, columns, sample));
        }
        contact
    }

    /// Whether there is anything to build.
    pub(super) fn is_empty(&self) -> bool {
        self.email.is_none() && self.phone.is_none() && self.codes.is_empty()
    }

    /// Builds the canary's values (each with its candidates) and writes the
    /// first candidates into `values`; `None` when one cannot be built.
    pub(super) fn propose(
        &self,
        values: &mut [String],
        person: &dyn Fn(&[String]) -> Option<Person>,
        draws: &mut Draws,
    ) -> Option<Vec<Proposal>> {
        let mut out = Vec::new();
        for code in &self.codes {
            let candidates = code.build(values, draws)?;
            out.push(Proposal {
                col: code.col,
                kind: KeyKind::Text,
                mode: Mode::Plain,
                candidates,
            });
        }
        if let Some(m) = &self.phone {
            out.push(Proposal {
                col: m.col,
                kind: KeyKind::Phone,
                mode: Mode::Plain,
                candidates: m.build(values, draws)?,
            });
        }
        if let Some(m) = &self.email {
            let p = person(values)?;
            let (mode, candidates) = m.build(&p, draws)?;
            out.push(Proposal {
                col: m.col,
                kind: KeyKind::Text,
                mode,
                candidates,
            });
        }
        for p in &out {
            values[p.col] = p.candidates[0].clone();
        }
        Some(out)
    }
}

impl EmailModel {
    fn build(&self, p: &Person, draws: &mut Draws) -> Option<(Mode, Vec<String>)> {
        let w = words(p);
        for _ in 0..16 {
            let shape = &self.shapes[draws.below(self.shapes.len() as u64) as usize];
            let mut base = String::new();
            let mut ok = true;
            let trailing = matches!(shape.toks.last(), Some(Tok::Num(_)));
            let body = if trailing {
                &shape.toks[..shape.toks.len() - 1]
            } else {
                &shape.toks[..]
            };
            for t in body {
                match t {
                    Tok::Word(k) if !w[*k].is_empty() => base.push_str(&w[*k]),
                    Tok::Initial(k) if !w[*k].is_empty() => {
                        base.extend(w[*k].chars().next());
                    }
                    Tok::Year(width) => {
                        let Some(y) = p.year else {
                            ok = false;
                            break;
                        };
                        if *width == 4 {
                            base.push_str(&format!("{y:04}"));
                        } else {
                            base.push_str(&format!("{:02}", y % 100));
                        }
                    }
                    Tok::Lit(c) => base.push(*c),
                    Tok::Num(width) => base.push_str(&number(*width, draws)),
                    _ => {
                        ok = false;
                        break;
                    }
                }
            }
            if !ok || base.is_empty() {
                continue;
            }
            let domain = if self.domains.is_empty() {
                shape.domain.clone()
            } else {
                self.domains[draws.below(self.domains.len() as u64) as usize].clone()
            };
            let mut locals: Vec<String> = Vec::new();
            let mode = if self.sequential {
                Mode::Sequence
            } else if trailing {
                Mode::Plain
            } else {
                Mode::Numbered
            };
            if self.sequential {
                locals.push(base.clone());
                locals.extend((2..SEQUENCE).map(|n| format!("{base}{n}")));
            } else {
                if !trailing {
                    locals.push(base.clone());
                }
                while locals.len() < CANDIDATES {
                    let n = if self.suffixes.is_empty() {
                        2 + draws.below(998)
                    } else {
                        self.suffixes[draws.below(self.suffixes.len() as u64) as usize]
                    };
                    let l = format!("{base}{n}");
                    if !locals.contains(&l) {
                        locals.push(l);
                    } else if draws.below(4) == 0 {
                        locals.push(format!("{base}{}", 2 + draws.below(998)));
                    }
                }
            }
            return Some((
                mode,
                locals
                    .into_iter()
                    .map(|l| {
                        let a = format!("{l}@{domain}");
                        if shape.upper {
                            a.to_uppercase()
                        } else {
                            a
                        }
                    })
                    .collect(),
            ));
        }
        None
    }
}

impl Contact {
    /// Whether canaries may be dropped for their e-mail address (see
    /// [`Mode`]): more are then built, to keep the rate.
    pub(super) fn drops_some(&self) -> bool {
        self.email.is_some()
    }
}

/// `width` digits, the first not zero.
fn number(width: usize, draws: &mut Draws) -> String {
    let mut s = String::with_capacity(width);
    for i in 0..width {
        let d = if i == 0 && width > 1 {
            1 + draws.below(9)
        } else {
            draws.below(10)
        };
        s.push(char::from(b'0' + d as u8));
    }
    s
}

impl PhoneModel {
    fn build(&self, values: &[String], draws: &mut Draws) -> Option<Vec<String>> {
        let pool = self
            .place
            .and_then(|c| self.by_place.get(&fold(&values[c])))
            .filter(|v| !v.is_empty());
        let template = match pool {
            Some(v) => &self.templates[v[draws.below(v.len() as u64) as usize]],
            None => &self.templates[draws.below(self.templates.len() as u64) as usize],
        };
        let (old, skip) = phone_digits(template)?;
        let mut out = Vec::with_capacity(CANDIDATES);
        for _ in 0..CANDIDATES {
            let mut digits: Vec<u8> = if self.prefixes.is_empty() {
                old.bytes().take(3).collect()
            } else {
                let p = &self.prefixes[draws.below(self.prefixes.len() as u64) as usize];
                p.bytes().collect()
            };
            while digits.len() < 10 {
                digits.push(b'0' + draws.below(10) as u8);
            }
            // The number's digits in the template's places; an extension's
            // digits drawn anew, of the same width.
            let mut s = String::with_capacity(template.len());
            s.push_str(&template[..skip]);
            let mut k = 0;
            let mut ext_first = true;
            for c in template[skip..].chars() {
                if c.is_ascii_digit() {
                    if k < 10 {
                        s.push(char::from(digits[k]));
                        k += 1;
                    } else {
                        let d = if ext_first && c != '0' {
                            1 + draws.below(9)
                        } else {
                            draws.below(10)
                        };
                        ext_first = false;
                        s.push(char::from(b'0' + d as u8));
                    }
                } else {
                    if k >= 10 {
                        ext_first = true;
                    }
                    s.push(c);
                }
            }
            out.push(s);
        }
        Some(out)
    }
}

impl CodeModel {
    fn learn(col: usize, columns: &[usize], sample: &[Vec<String>]) -> Option<CodeModel> {
        let templates: Vec<Vec<String>> = sample
            .iter()
            .map(|r| runs(r[col].trim()))
            .filter(|r| !r.is_empty())
            .collect();
        if templates.is_empty() {
            return None;
        }
        let mut by_sig: HashMap<String, Vec<usize>> = HashMap::new();
        for (r, row) in sample.iter().enumerate() {
            let t = runs(row[col].trim());
            if !t.is_empty() {
                by_sig.entry(signature(&t)).or_default().push(r);
            }
        }
        let mut ties = HashMap::new();
        for (sig, rows) in by_sig {
            let parts: Vec<Vec<String>> =
                rows.iter().map(|&r| runs(sample[r][col].trim())).collect();
            let mut tie = Vec::with_capacity(sig.len());
            for (k, kind) in sig.chars().enumerate() {
                let values: Vec<&str> = parts.iter().map(|p| p[k].as_str()).collect();
                let distinct: std::collections::HashSet<&str> = values.iter().copied().collect();
                let fallback = if kind == 'D' && distinct.len() * 2 > values.len() {
                    Tie::Serial
                } else {
                    Tie::Keep
                };
                tie.push(if distinct.len() == 1 {
                    Tie::Keep
                } else if rows.len() < MIN_ROWS {
                    fallback
                } else {
                    Self::tie(kind, &values, &rows, columns, sample).unwrap_or(fallback)
                });
            }
            ties.insert(sig, tie);
        }
        Some(CodeModel {
            col,
            templates,
            ties,
        })
    }

    /// The tie run values (one per row of `rows`) have with another column.
    fn tie(
        kind: char,
        values: &[&str],
        rows: &[usize],
        columns: &[usize],
        sample: &[Vec<String>],
    ) -> Option<Tie> {
        let need = (TIE * values.len() as f64).ceil() as usize;
        if kind == 'D' {
            for &c in columns {
                for run in 0..4 {
                    let hits = rows
                        .iter()
                        .zip(values)
                        .filter(|(&r, v)| {
                            digit_runs(&sample[r][c]).get(run).map(String::as_str) == Some(**v)
                        })
                        .count();
                    if hits >= need {
                        return Some(Tie::Part { col: c, run });
                    }
                }
            }
        }
        for &c in columns {
            let mut seen: HashMap<String, HashMap<&str, usize>> = HashMap::new();
            for (&r, v) in rows.iter().zip(values) {
                *seen
                    .entry(fold(&sample[r][c]))
                    .or_default()
                    .entry(v)
                    .or_default() += 1;
            }
            if seen.len() * 3 > values.len() {
                continue;
            }
            let consistent: usize = seen
                .values()
                .map(|m| m.values().max().copied().unwrap_or(0))
                .sum();
            if consistent >= need {
                let map = seen
                    .into_iter()
                    .map(|(k, m)| {
                        let best = m
                            .into_iter()
                            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
                            .map(|(v, _)| v.to_string())
                            .unwrap_or_default();
                        (k, best)
                    })
                    .collect();
                return Some(Tie::Map { col: c, map });
            }
        }
        None
    }

    fn build(&self, values: &[String], draws: &mut Draws) -> Option<Vec<String>> {
        let template = &self.templates[draws.below(self.templates.len() as u64) as usize];
        let ties = self.ties.get(&signature(template))?;
        let mut fixed: Vec<Option<String>> = Vec::with_capacity(template.len());
        for (run, tie) in template.iter().zip(ties) {
            fixed.push(match tie {
                Tie::Keep => Some(run.clone()),
                Tie::Serial => None,
                Tie::Part { col, run: j } => Some(
                    digit_runs(&values[*col])
                        .get(*j)
                        .cloned()
                        .unwrap_or_else(|| run.clone()),
                ),
                Tie::Map { col, map } => Some(
                    map.get(&fold(&values[*col]))
                        .cloned()
                        .unwrap_or_else(|| run.clone()),
                ),
            });
        }
        let mut out = Vec::with_capacity(CANDIDATES);
        for _ in 0..CANDIDATES {
            let mut s = String::new();
            for (run, f) in template.iter().zip(&fixed) {
                match f {
                    Some(v) => s.push_str(v),
                    None => {
                        s.extend(run.chars().next());
                        for _ in 1..run.len() {
                            s.push(char::from(b'0' + draws.below(10) as u8));
                        }
                    }
                }
            }
            out.push(s);
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(given: &str, first: &str, second: &str, year: u16) -> Person {
        Person {
            given: given.into(),
            first: first.into(),
            second: second.into(),
            year: Some(year),
        }
    }

    #[test]
    fn local_parts_read_as_names_and_years() {
        let p = person("MARIA GUADALUPE", "HERNANDEZ", "LOPEZ", 1987);
        assert_eq!(
            parse_local("maria.hernandez87", &p),
            Some(vec![
                Tok::Word(0),
                Tok::Lit('.'),
                Tok::Word(2),
                Tok::Year(2)
            ])
        );
        assert_eq!(
            parse_local("mghl_1987", &p),
            Some(vec![
                Tok::Initial(0),
                Tok::Initial(1),
                Tok::Initial(2),
                Tok::Initial(3),
                Tok::Lit('_'),
                Tok::Year(4)
            ])
        );
        assert_eq!(
            parse_local("mhernandez412", &p),
            Some(vec![Tok::Initial(0), Tok::Word(2), Tok::Num(3)])
        );
        assert_eq!(parse_local("zz99", &p), None);
    }

    #[test]
    fn codes_are_cut_into_runs() {
        assert_eq!(
            runs("B-09-2014-004512"),
            ["B-", "09", "-", "2014", "-", "004512"]
        );
        assert_eq!(signature(&runs("B-09-2014-004512")), "ADADAD");
        assert_eq!(digit_runs("2014-03-05"), ["2014", "03", "05"]);
    }

    #[test]
    fn phones_read_with_their_prefix_and_extension() {
        assert_eq!(
            phone_digits("+52 55 1234 5678"),
            Some(("5512345678".into(), 4))
        );
        assert_eq!(
            phone_digits("(222) 123-4567 EXT. 12345"),
            Some(("2221234567".into(), 0))
        );
        assert_eq!(phone_digits("12345"), None);
    }
}
