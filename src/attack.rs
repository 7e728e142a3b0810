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
    let spellings = Spellings::new();
    let mut out = t.clone();
    for c in columns {
        let i = t.column(c).unwrap_or_else(|| panic!("no column {c}"));
        for row in &mut out.rows {
            row[i] = spellings.rewrite(&row[i], expand);
        }
    }
    out
}

/// Every spelling of the `mx-address` dictionary, folded, mapped to its
/// group's full and short canonical forms.
struct Spellings {
    map: std::collections::HashMap<String, (String, String)>,
}

impl Spellings {
    fn new() -> Spellings {
        let mut map = std::collections::HashMap::new();
        for g in watermark_core::mx_address() {
            let canon = (g.full[0].clone(), g.short[0].clone());
            for s in g.full.iter().chain(&g.short) {
                map.insert(watermark_core::fold(s).replace('.', ""), canon.clone());
            }
        }
        Spellings { map }
    }

    fn rewrite(&self, cell: &str, expand: bool) -> String {
        cell.split(' ')
            .map(|tok| {
                let key = watermark_core::fold(tok).replace('.', "");
                match self.map.get(&key) {
                    Some((full, short)) => {
                        let want = if expand { full } else { short };
                        if tok.chars().any(char::is_lowercase) {
                            want.to_lowercase()
                        } else {
                            want.clone()
                        }
                    }
                    None => tok.to_string(),
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
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
}

impl Merge {
    /// Every strategy.
    pub const ALL: [Merge; 5] = [
        Merge::Interleave,
        Merge::CellMix,
        Merge::Majority,
        Merge::NormaliseDiffering,
        Merge::Intersect,
    ];

    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Merge::Interleave => "row interleave",
            Merge::CellMix => "cell-by-cell mix",
            Merge::Majority => "majority vote",
            Merge::NormaliseDiffering => "differing cells normalised",
            Merge::Intersect => "rows common to all copies",
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
        }
    }
    rows.shuffle(rng);
    first.with_rows(rows)
}
