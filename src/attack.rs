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
