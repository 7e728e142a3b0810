//! What a leaker does to a copy before it turns up.

use rand::seq::SliceRandom;
use rand::Rng;
use unicode_normalization::UnicodeNormalization;

use crate::table::Table;

/// `n` distinct random rows, in random order.
pub fn sample(t: &Table, n: usize, rng: &mut impl Rng) -> Table {
    let mut rows: Vec<Vec<String>> = t
        .rows
        .choose_multiple(rng, n.min(t.rows.len()))
        .cloned()
        .collect();
    rows.shuffle(rng);
    t.with_rows(rows)
}

/// Every row repeated `times` times, shuffled.
pub fn duplicate(t: &Table, times: usize, rng: &mut impl Rng) -> Table {
    let mut rows: Vec<Vec<String>> = t
        .rows
        .iter()
        .flat_map(|r| std::iter::repeat_n(r.clone(), times))
        .collect();
    rows.shuffle(rng);
    t.with_rows(rows)
}

/// Only the named columns, in the given order.
pub fn project(t: &Table, columns: &[&str]) -> Table {
    let idx: Vec<usize> = columns
        .iter()
        .map(|c| t.column(c).unwrap_or_else(|| panic!("no column {c}")))
        .collect();
    Table {
        header: columns.iter().map(|c| c.to_string()).collect(),
        rows: t
            .rows
            .iter()
            .map(|r| idx.iter().map(|&i| r[i].clone()).collect())
            .collect(),
    }
}

/// A spreadsheet round trip: every field quoted, CRLF line ends, all text
/// lower-cased (headers too), surrounding spaces trimmed, and optionally a
/// UTF-8 byte-order mark.
pub fn spreadsheet_resave(t: &Table, bom: bool) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let clean = |s: &String| s.trim().to_lowercase();
    w.write_record(t.header.iter().map(clean))
        .expect("in-memory write");
    for r in &t.rows {
        w.write_record(r.iter().map(clean))
            .expect("in-memory write");
    }
    let body = w.into_inner().expect("in-memory write");
    if bom {
        let mut out = b"\xEF\xBB\xBF".to_vec();
        out.extend(body);
        out
    } else {
        body
    }
}

/// Swaps a `fraction` of the cells of each named column with the same
/// column's cell in another random row.
pub fn swap_cells(t: &Table, columns: &[&str], fraction: f64, rng: &mut impl Rng) -> Table {
    let mut out = t.clone();
    let n = out.rows.len();
    if n < 2 {
        return out;
    }
    for c in columns {
        let i = t.column(c).unwrap_or_else(|| panic!("no column {c}"));
        for r in 0..n {
            if rng.gen_bool(fraction) {
                let other = rng.gen_range(0..n);
                let v = out.rows[other][i].clone();
                out.rows[other][i] = std::mem::replace(&mut out.rows[r][i], v);
            }
        }
    }
    out
}

/// Replaces a `fraction` of the named columns' cells with a random other
/// value from the same column (a leaker "correcting" data at random).
pub fn alter_cells(t: &Table, columns: &[&str], fraction: f64, rng: &mut impl Rng) -> Table {
    let mut out = t.clone();
    let n = out.rows.len();
    for c in columns {
        let i = t.column(c).unwrap_or_else(|| panic!("no column {c}"));
        for r in 0..n {
            if rng.gen_bool(fraction) {
                out.rows[r][i] = t.rows[rng.gen_range(0..n)][i].clone();
            }
        }
    }
    out
}

/// Strips accents and invisible characters and applies NFKC to every cell.
pub fn strip_accents(t: &Table) -> Table {
    let strip = |s: &String| -> String {
        s.nfkd()
            .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
            .filter(|c| !matches!(c, '\u{200B}'..='\u{200F}' | '\u{FEFF}' | '\u{00AD}'))
            .collect::<String>()
            .nfkc()
            .collect()
    };
    Table {
        header: t.header.clone(),
        rows: t
            .rows
            .iter()
            .map(|r| r.iter().map(strip).collect())
            .collect(),
    }
}

/// Rewrites every token of the named columns that the `mx-address`
/// dictionary knows into its full form (`expand`) or its abbreviation.
pub fn normalise_abbreviations(t: &Table, columns: &[&str], expand: bool) -> Table {
    normalise_abbreviations_in(t, columns, watermark_core::mx_address(), expand)
}

/// [`normalise_abbreviations`] with another dictionary's words (`mx-jobs`,
/// `mx-degrees`).
pub fn normalise_abbreviations_in(
    t: &Table,
    columns: &[&str],
    dictionary: Vec<watermark_core::VariantGroup>,
    expand: bool,
) -> Table {
    let spellings = Spellings::of(dictionary);
    let mut out = t.clone();
    for c in columns {
        let i = t.column(c).unwrap_or_else(|| panic!("no column {c}"));
        for row in &mut out.rows {
            row[i] = spellings.rewrite(&row[i], expand);
        }
    }
    out
}

/// The spellings of one `mx-address` group.
struct Group {
    /// Canonical full and short forms.
    full: String,
    short: String,
    /// Every spelling a reader takes for the group: the dictionary's full
    /// and short spellings, and each dotted short spelling without its dot.
    spellings: Vec<String>,
    /// Whether the group is read only as the first word of a cell.
    first_only: bool,
}

/// Every spelling of the `mx-address` dictionary, folded and without dots,
/// mapped to its group.
struct Spellings {
    map: std::collections::HashMap<String, usize>,
    groups: Vec<Group>,
}

impl Spellings {
    fn new() -> Spellings {
        Spellings::of(watermark_core::mx_address())
    }

    /// The spellings of any dictionary's groups.
    fn of(dictionary: Vec<watermark_core::VariantGroup>) -> Spellings {
        let mut map = std::collections::HashMap::new();
        let mut groups = Vec::new();
        for g in dictionary {
            let mut spellings: Vec<String> = Vec::new();
            for s in g.full.iter().chain(&g.short) {
                map.insert(Self::key(s), groups.len());
                let undotted = s.strip_suffix('.').map(str::to_string);
                for v in std::iter::once(s.clone()).chain(undotted) {
                    if !spellings.contains(&v) {
                        spellings.push(v);
                    }
                }
            }
            groups.push(Group {
                full: g.full[0].clone(),
                short: g.short[0].clone(),
                spellings,
                first_only: matches!(g.place, watermark_core::TokenPlace::First),
            });
        }
        Spellings { map, groups }
    }

    fn key(tok: &str) -> String {
        watermark_core::fold(tok).replace('.', "")
    }

    /// The group of any dictionary token, wherever it stands.
    fn group(&self, tok: &str) -> Option<&Group> {
        self.map.get(&Self::key(tok)).map(|&g| &self.groups[g])
    }

    /// The group of a token at word `index` of its cell, as the marker reads
    /// it: road and settlement types only as the first word.
    fn group_at(&self, tok: &str, index: usize) -> Option<&Group> {
        self.group(tok).filter(|g| index == 0 || !g.first_only)
    }

    fn rewrite(&self, cell: &str, expand: bool) -> String {
        cell.split(' ')
            .map(|tok| match self.group(tok) {
                Some(g) => {
                    let want = if expand { &g.full } else { &g.short };
                    if tok.chars().any(char::is_lowercase) {
                        want.to_lowercase()
                    } else {
                        want.clone()
                    }
                }
                None => tok.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A cell as a comparison key that no mark changes: folded, every
    /// dictionary token in its full form, dots dropped.
    fn canonical(&self, cell: &str) -> String {
        Self::key(&self.rewrite(cell, true))
    }
}

/// `word` written in the case style of `template`: upper case, lower case,
/// or a capital and then lower case ("Av.").
fn with_case_of(template: &str, word: &str) -> String {
    let lower = template.chars().any(char::is_lowercase);
    let upper = template.chars().any(char::is_uppercase);
    if !lower {
        word.to_uppercase()
    } else if !upper {
        word.to_lowercase()
    } else {
        let mut chars = word.chars();
        match chars.next() {
            Some(c) => c
                .to_uppercase()
                .chain(chars.as_str().to_lowercase().chars())
                .collect(),
            None => String::new(),
        }
    }
}

/// Writes each row's identity in `column` the ways people and spreadsheets
/// write identifiers, one chosen at random per row: with a leading
/// apostrophe (Excel's "store as text": `'SACO851106HDFRRN09`), with a space
/// every four characters (`SACO 8511 06HD FRRN 09`), or with dashes between
/// the parts of a CURP (`SACO-851106-H-DF-RRN-09`: initials, birth date, sex,
/// state, consonants, check characters; values that are not 18 characters
/// long get a dash every four characters). A leaker who knows identities
/// anchor the marks expects a different spelling of the identity to anchor
/// nothing.
pub fn format_identity(t: &Table, column: &str, rng: &mut impl Rng) -> Table {
    let i = t
        .column(column)
        .unwrap_or_else(|| panic!("no column {column}"));
    let mut out = t.clone();
    for row in &mut out.rows {
        let v = row[i].trim().to_string();
        let chars: Vec<char> = v.chars().collect();
        let every_four = |sep: &str| -> String {
            chars
                .chunks(4)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join(sep)
        };
        row[i] = match rng.gen_range(0..3) {
            0 => format!("'{v}"),
            1 => every_four(" "),
            _ if chars.len() == 18 => [0..4, 4..10, 10..11, 11..13, 13..16, 16..18]
                .into_iter()
                .map(|r| chars[r].iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-"),
            _ => every_four("-"),
        };
    }
    out
}

/// Re-spells every token of the `mx-address` dictionary in the named columns
/// with a spelling of its group drawn uniformly at random, independently for
/// every token: any of the dictionary's full and short spellings, and the
/// dotted short spellings without their dot (the dot is a slot too). The
/// case style of the token (AV., Av., av.) is kept. Tokens are found as
/// [`normalise_abbreviations`] finds them (words split on spaces, folded,
/// dots ignored), except that road and settlement types are only taken as
/// the first word of a cell, as the marker reads them, so street names are
/// left alone.
///
/// Unlike a normalisation to one form, the result is not constant: a
/// detector cannot tell the column was rewritten by seeing one spelling
/// throughout, and every re-spelled slot reads a coin flip.
pub fn respell_randomly(t: &Table, columns: &[&str], rng: &mut impl Rng) -> Table {
    respell_randomly_in(t, columns, watermark_core::mx_address(), rng)
}

/// [`respell_randomly`] with another dictionary's words (`mx-jobs`,
/// `mx-degrees`).
pub fn respell_randomly_in(
    t: &Table,
    columns: &[&str],
    dictionary: Vec<watermark_core::VariantGroup>,
    rng: &mut impl Rng,
) -> Table {
    let spellings = Spellings::of(dictionary);
    let mut out = t.clone();
    for c in columns {
        let i = t.column(c).unwrap_or_else(|| panic!("no column {c}"));
        for row in &mut out.rows {
            row[i] = row[i]
                .split(' ')
                .enumerate()
                .map(|(k, tok)| match spellings.group_at(tok, k) {
                    Some(g) => with_case_of(tok, &g.spellings[rng.gen_range(0..g.spellings.len())]),
                    None => tok.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" ");
        }
    }
    out
}

/// Drops every row whose `columns` (the address) equal the previous row's,
/// compared as a leaker who knows the marks would: folded, abbreviations
/// expanded and dots dropped, so two spellings of one address are equal.
/// The previous row is the previous row of the input, kept or not.
///
/// Canary rows take their address from a real row and are placed right
/// after it (or where the extract's sort order puts them, which is usually
/// the same place): on a copy in its issued order this removes them, along
/// with real rows that happen to repeat the address before them.
pub fn drop_adjacent_duplicate_addresses(t: &Table, columns: &[&str]) -> Table {
    let spellings = Spellings::new();
    let idx: Vec<usize> = columns
        .iter()
        .map(|c| t.column(c).unwrap_or_else(|| panic!("no column {c}")))
        .collect();
    let key = |r: &Vec<String>| -> Vec<String> {
        idx.iter().map(|&i| spellings.canonical(&r[i])).collect()
    };
    let mut rows = Vec::with_capacity(t.rows.len());
    let mut previous: Option<Vec<String>> = None;
    for r in &t.rows {
        let k = key(r);
        if previous.as_ref() != Some(&k) {
            rows.push(r.clone());
        }
        previous = Some(k);
    }
    t.with_rows(rows)
}

/// `value` plus one unit of its last digit, written the same way
/// (`6353.93` → `6353.94`, `6353.99` → `6354.00`, `12.9` → `13.0`,
/// `1,999` → `2,000`). `None` for anything but digits with `.` or `,`.
fn add_last_unit(value: &str) -> Option<String> {
    let b = value.as_bytes();
    if !b.iter().any(u8::is_ascii_digit)
        || !b
            .iter()
            .all(|&c| c.is_ascii_digit() || c == b'.' || c == b',')
    {
        return None;
    }
    let mut out = b.to_vec();
    for i in (0..out.len()).rev() {
        match out[i] {
            b'9' => out[i] = b'0',
            d @ b'0'..=b'8' => {
                out[i] = d + 1;
                return String::from_utf8(out).ok();
            }
            _ => {}
        }
    }
    let first = out.iter().position(u8::is_ascii_digit).unwrap_or(0);
    out.insert(first, b'1');
    String::from_utf8(out).ok()
}

/// Adds one unit of the last decimal to every amount in the named columns
/// (one centavo to `6353.93`), keeping its format. Surrounding spaces are
/// kept; cells that are not plain non-negative numbers are left as they
/// are. A numeric mark is the parity of the last digit, so this flips every
/// one of them: the leak reads the complement of its copy's bits.
pub fn shift_amounts(t: &Table, columns: &[&str]) -> Table {
    let mut out = t.clone();
    for c in columns {
        let i = t.column(c).unwrap_or_else(|| panic!("no column {c}"));
        for row in &mut out.rows {
            let cell = &row[i];
            let start = cell.len() - cell.trim_start().len();
            let end = cell.trim_end().len();
            if let Some(v) = add_last_unit(&cell[start..end]) {
                row[i] = format!("{}{v}{}", &cell[..start], &cell[end..]);
            }
        }
    }
    out
}

/// Hides a leak among `filler` random rows of `unmarked` (the unmarked
/// extract, or rows from any other source with the leak's columns; taken in
/// the leak's column order), shuffled together. Each row of `unmarked`
/// appears at most once.
pub fn pad(leak: &Table, unmarked: &Table, filler: usize, rng: &mut impl Rng) -> Table {
    let idx: Vec<usize> = leak
        .header
        .iter()
        .map(|c| {
            unmarked
                .column(c)
                .unwrap_or_else(|| panic!("no column {c}"))
        })
        .collect();
    let mut rows = leak.rows.clone();
    rows.extend(
        unmarked
            .rows
            .choose_multiple(rng, filler.min(unmarked.rows.len()))
            .map(|r| idx.iter().map(|&i| r[i].clone()).collect::<Vec<String>>()),
    );
    rows.shuffle(rng);
    leak.with_rows(rows)
}

/// How a coalition merges its copies of the same rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Merge {
    /// Each row comes whole from one colluder, in turn.
    Interleave,
    /// Each cell comes from a colluder chosen at random.
    CellMix,
    /// Each cell takes the value most colluders have (ties: the first).
    Majority,
    /// Cells that differ between copies are replaced by a normalised form
    /// (abbreviations expanded, amounts rounded to the tenth).
    NormaliseDiffering,
    /// Only rows identical in every copy are kept.
    Intersect,
    /// Each cell where the copies differ takes the value the fewest copies
    /// have (ties broken at random); cells all copies agree on are kept. A
    /// coalition that knows Tardos codes accuse those whose bits agree with
    /// the leak's at rare positions picks the rare bits to push the blame
    /// away from itself.
    Minority,
    /// [`Merge::Minority`], and in every cell, each dictionary token that
    /// all copies spell the same (the positions where the colluders' bits
    /// agree, which incriminate all of them) is deleted from the cell.
    MinorityDeleteAgreed,
}

impl Merge {
    /// The merges of a coalition that does not know how the scheme reads
    /// its marks (the evaluation's original set).
    pub const ALL: [Merge; 5] = [
        Merge::Interleave,
        Merge::CellMix,
        Merge::Majority,
        Merge::NormaliseDiffering,
        Merge::Intersect,
    ];

    /// The merges of a coalition that has read the code: it takes the
    /// minority spelling, and may delete what its copies agree on.
    pub const KNOWLEDGEABLE: [Merge; 2] = [Merge::Minority, Merge::MinorityDeleteAgreed];

    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Merge::Interleave => "row interleave",
            Merge::CellMix => "cell-by-cell mix",
            Merge::Majority => "majority vote",
            Merge::NormaliseDiffering => "differing cells normalised",
            Merge::Intersect => "rows common to all copies",
            Merge::Minority => "minority spelling",
            Merge::MinorityDeleteAgreed => "minority, agreed tokens deleted",
        }
    }
}

/// Merges colluders' copies of the same rows (`copies[k].rows[i]` is row `i`
/// in colluder `k`'s copy).
pub fn merge(copies: &[Table], how: Merge, rng: &mut impl Rng) -> Table {
    let first = &copies[0];
    let n = first.rows.len();
    let spellings = Spellings::new();
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let versions: Vec<&Vec<String>> = copies.iter().map(|c| &c.rows[i]).collect();
        match how {
            Merge::Interleave => rows.push(versions[i % versions.len()].clone()),
            Merge::CellMix => rows.push(
                (0..first.header.len())
                    .map(|j| versions[rng.gen_range(0..versions.len())][j].clone())
                    .collect(),
            ),
            Merge::Majority => rows.push(
                (0..first.header.len())
                    .map(|j| {
                        let mut best = &versions[0][j];
                        let mut best_n = 0;
                        for v in &versions {
                            let n = versions.iter().filter(|w| w[j] == v[j]).count();
                            if n > best_n {
                                best = &v[j];
                                best_n = n;
                            }
                        }
                        best.clone()
                    })
                    .collect(),
            ),
            Merge::NormaliseDiffering => rows.push(
                (0..first.header.len())
                    .map(|j| {
                        let v = &versions[0][j];
                        if versions.iter().all(|w| &w[j] == v) {
                            v.clone()
                        } else if let Some((int, frac)) = v.split_once('.') {
                            if frac.len() == 2 && frac.bytes().all(|b| b.is_ascii_digit()) {
                                format!("{int}.{}0", &frac[..1])
                            } else {
                                spellings.rewrite(v, true)
                            }
                        } else {
                            spellings.rewrite(v, true)
                        }
                    })
                    .collect(),
            ),
            Merge::Intersect => {
                if versions.iter().all(|v| *v == versions[0]) {
                    rows.push(versions[0].clone());
                }
            }
            Merge::Minority | Merge::MinorityDeleteAgreed => rows.push(
                (0..first.header.len())
                    .map(|j| {
                        let cells: Vec<&str> = versions.iter().map(|v| v[j].as_str()).collect();
                        let cell = minority(&cells, rng);
                        if how == Merge::MinorityDeleteAgreed {
                            delete_agreed_tokens(cell, &cells, &spellings)
                        } else {
                            cell.to_string()
                        }
                    })
                    .collect(),
            ),
        }
    }
    rows.shuffle(rng);
    first.with_rows(rows)
}

/// The value of `cells` that the fewest have (at random among the rarest),
/// or their common value.
fn minority<'a>(cells: &[&'a str], rng: &mut impl Rng) -> &'a str {
    let mut distinct: Vec<(&str, usize)> = Vec::new();
    for &c in cells {
        match distinct.iter_mut().find(|(v, _)| *v == c) {
            Some((_, n)) => *n += 1,
            None => distinct.push((c, 1)),
        }
    }
    let fewest = distinct.iter().map(|&(_, n)| n).min().unwrap_or(0);
    let rarest: Vec<&str> = distinct
        .iter()
        .filter(|&&(_, n)| n == fewest)
        .map(|&(v, _)| v)
        .collect();
    rarest[rng.gen_range(0..rarest.len())]
}

/// `cell` without the dictionary tokens (as the marker reads them) that
/// every one of `cells` has, spelled the same, at the same word.
fn delete_agreed_tokens(cell: &str, cells: &[&str], spellings: &Spellings) -> String {
    let words: Vec<Vec<&str>> = cells.iter().map(|c| c.split(' ').collect()).collect();
    cell.split(' ')
        .enumerate()
        .filter(|&(k, tok)| {
            spellings.group_at(tok, k).is_none() || !words.iter().all(|w| w.get(k) == Some(&tok))
        })
        .map(|(_, tok)| tok)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes every telephone number of the named columns with its digits
/// together (`(55) 1234-5678` becomes `5512345678`; an extension after it
/// stays), as a leaker who knows the separators carry marks would.
pub fn phones_digits_only(t: &Table, columns: &[&str]) -> Table {
    map_phones(t, columns, |number| {
        number.chars().filter(char::is_ascii_digit).collect()
    })
}

/// Writes the separators of every telephone number of the named columns
/// as spaces or as hyphens, drawn at random for each number (the space
/// after a parenthesised area code stays): the column keeps both styles,
/// so it does not read as normalised, and every slot reads a coin flip.
pub fn respell_phones_randomly(t: &Table, columns: &[&str], rng: &mut impl Rng) -> Table {
    map_phones(t, columns, |number| {
        let to = if rng.gen_bool(0.5) { '-' } else { ' ' };
        let mut out = String::with_capacity(number.len());
        let mut after_paren = false;
        for c in number.chars() {
            match c {
                ' ' | '-' if !after_paren => out.push(to),
                c => out.push(c),
            }
            after_paren = c == ')';
        }
        out
    })
}

/// Rewrites the number part of every cell of the named columns with `f`:
/// a `+52 ` before it and an extension after it (` EXT. 123`) stay.
fn map_phones(t: &Table, columns: &[&str], mut f: impl FnMut(&str) -> String) -> Table {
    let mut out = t.clone();
    for c in columns {
        let i = t.column(c).unwrap_or_else(|| panic!("no column {c}"));
        for row in &mut out.rows {
            let cell = &row[i];
            let (number, rest) = cell.split_at(cell.find(" EXT").unwrap_or(cell.len()));
            let (prefix, number) = match number.strip_prefix("+52 ") {
                Some(n) => ("+52 ", n),
                None => ("", number),
            };
            row[i] = format!("{prefix}{}{rest}", f(number));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn phone_attacks_keep_the_digits_and_change_only_separators() {
        let cells = [
            "55 1234 5678",
            "(667) 320-4911",
            "+52 55 1234 5678",
            "938 247 1946 EXT. 85467",
            "5512345678",
        ];
        let rows: Vec<&[&str]> = cells.iter().map(std::slice::from_ref).collect();
        let t = table(&["TELEFONO"], &rows);
        let digits = phones_digits_only(&t, &["TELEFONO"]);
        let got: Vec<&str> = digits.rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(
            got,
            [
                "5512345678",
                "6673204911",
                "+52 5512345678",
                "9382471946 EXT. 85467",
                "5512345678"
            ]
        );
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut styles = std::collections::HashSet::new();
        for _ in 0..20 {
            let r = respell_phones_randomly(&t, &["TELEFONO"], &mut rng);
            for (before, after) in t.rows.iter().zip(&r.rows) {
                let strip = |s: &str| s.replace([' ', '-'], "");
                assert_eq!(strip(&before[0]), strip(&after[0]));
            }
            styles.insert(r.rows[0][0].clone());
            assert!(r.rows[1][0].starts_with("(667) 320"), "{}", r.rows[1][0]);
        }
        assert_eq!(styles.len(), 2, "{styles:?}");
    }

    fn table(header: &[&str], rows: &[&[&str]]) -> Table {
        Table {
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|s| s.to_string()).collect())
                .collect(),
        }
    }

    #[test]
    fn formatted_identities_keep_their_characters_in_every_style() {
        let curp = "SACO851106HDFRRN09";
        let t = table(&["CURP"], &[&[curp][..]; 300]);
        let out = format_identity(&t, "CURP", &mut ChaCha8Rng::seed_from_u64(1));
        let mut styles = [0; 3];
        for r in &out.rows {
            let v = &r[0];
            assert_eq!(v.replace(['\'', ' ', '-'], ""), curp);
            styles[usize::from(v.contains(' ')) + 2 * usize::from(v.contains('-'))] += 1;
        }
        assert!(styles.iter().all(|&n| n > 50), "{styles:?}");
        assert!(out.rows.iter().any(|r| r[0] == "SACO-851106-H-DF-RRN-09"));
        assert!(out.rows.iter().any(|r| r[0] == "SACO 8511 06HD FRRN 09"));
    }

    #[test]
    fn random_respelling_varies_each_token_and_keeps_case_and_street_names() {
        let t = table(&["CALLE"], &[&["Av. Calle C"][..]; 400]);
        let out = respell_randomly(&t, &["CALLE"], &mut ChaCha8Rng::seed_from_u64(2));
        let mut seen = std::collections::HashSet::new();
        for r in &out.rows {
            let (first, rest) = r[0].split_once(' ').unwrap();
            assert_eq!(rest, "Calle C", "only the road type is a token here");
            assert!(first.starts_with('A') && first[1..].chars().all(|c| !c.is_uppercase()));
            seen.insert(first.to_string());
        }
        let want: std::collections::HashSet<String> = ["Avenida", "Av.", "Ave.", "Av", "Ave"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn rows_repeating_the_previous_address_in_any_spelling_are_dropped() {
        let t = table(
            &["N", "CALLE", "COLONIA"],
            &[
                &["1", "AV. JUAREZ", "COL. CENTRO"],
                &["2", "AVENIDA JUAREZ", "COLONIA CENTRO"],
                &["3", "AV JUAREZ", "Col. Centro"],
                &["4", "CALLE JUAREZ", "COL. CENTRO"],
                &["5", "AV. JUAREZ", "COL. CENTRO"],
            ],
        );
        let out = drop_adjacent_duplicate_addresses(&t, &["CALLE", "COLONIA"]);
        let kept: Vec<&str> = out.rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(kept, ["1", "4", "5"]);
    }

    #[test]
    fn amounts_move_by_one_unit_of_their_last_digit() {
        for (a, b) in [
            ("6353.93", "6353.94"),
            ("6353.99", "6354.00"),
            ("99.99", "100.00"),
            ("12.9", "13.0"),
            ("1,999", "2,000"),
            (" 5.00 ", " 5.01 "),
            ("7", "8"),
            ("N/A", "N/A"),
            ("", ""),
            ("-3.50", "-3.50"),
        ] {
            let t = table(&["M"], &[&[a]]);
            assert_eq!(shift_amounts(&t, &["M"]).rows[0][0], b, "{a}");
        }
    }

    #[test]
    fn padding_mixes_the_leak_into_unmarked_rows() {
        let leak = table(&["B", "A"], &[&["x", "1"], &["y", "2"]]);
        let rows: Vec<Vec<String>> = (0..100)
            .map(|i| vec![i.to_string(), format!("u{i}")])
            .collect();
        let unmarked = Table {
            header: vec!["A".into(), "B".into()],
            rows,
        };
        let out = pad(&leak, &unmarked, 18, &mut ChaCha8Rng::seed_from_u64(3));
        assert_eq!(out.header, leak.header);
        assert_eq!(out.rows.len(), 20);
        assert!(out.rows.iter().filter(|r| r[0].starts_with('u')).count() == 18);
        assert!(leak.rows.iter().all(|r| out.rows.contains(r)));
    }

    #[test]
    fn minority_merges_take_the_rarest_value_and_delete_what_all_agree_on() {
        let copies: Vec<Table> = [
            ["AV. JUAREZ", "COL. CENTRO", "1"],
            ["AV. JUAREZ", "COL. CENTRO", "1"],
            ["AVENIDA JUAREZ", "COL. CENTRO", "1"],
        ]
        .iter()
        .map(|r| table(&["CALLE", "COLONIA", "N"], &[&r[..]]))
        .collect();
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let m = merge(&copies, Merge::Minority, &mut rng);
        assert_eq!(m.rows[0], ["AVENIDA JUAREZ", "COL. CENTRO", "1"]);
        let d = merge(&copies, Merge::MinorityDeleteAgreed, &mut rng);
        assert_eq!(d.rows[0], ["AVENIDA JUAREZ", "CENTRO", "1"]);
        // A tie is broken at random, between the values that tie.
        let two = &copies[1..];
        let picks: std::collections::HashSet<String> = (0..40)
            .map(|_| merge(two, Merge::Minority, &mut rng).rows[0][0].clone())
            .collect();
        assert_eq!(picks.len(), 2);
    }
}
