//! Name lists: the three-column form of voter lists handed to parties.

use std::fmt::{self, Write as _};

use watermark_core::ids::Sex;

use crate::person::Names;
use crate::util::Rng;

/// Columns of [`NameList`] rows, in order.
pub const NAME_LIST_HEADERS: &[&str] = &["NOMBRE_COMPLETO", "SECCION", "DISTRITO"];

/// Stream separating this generator from the others fed the same seed.
const STREAM: u64 = 3;
/// Share of women, per mille.
const FEMALE: u32 = 514;
/// Highest electoral section number.
const MAX_SECCION: u32 = 6000;
/// Consecutive sections per district: sections 1–300 are district 1, …,
/// 5701–6000 district 20.
const SECTIONS_PER_DISTRITO: u32 = 300;

/// Generator of name-list rows with the columns of [`NAME_LIST_HEADERS`]:
/// `NOMBRE_COMPLETO` (given names, first and second surname, e.g.
/// `MARIA GUADALUPE HERNANDEZ LOPEZ`), `SECCION` (1–6000) and `DISTRITO`
/// (1–20, a function of the section).
///
/// An infinite iterator (use [`Iterator::take`]); rows are a function of the
/// seed and their position only. Names are drawn as for
/// [`ElectoralRoll`](crate::ElectoralRoll); full names may repeat, as in real
/// lists. Memory use is constant.
pub struct NameList {
    rng: Rng,
    names: Names,
    given: String,
    produced: u64,
}

impl fmt::Debug for NameList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NameList")
            .field("produced", &self.produced)
            .finish_non_exhaustive()
    }
}

impl NameList {
    /// A generator whose rows are fully determined by `seed`.
    pub fn new(seed: u64) -> Self {
        NameList {
            rng: Rng::new(seed, STREAM),
            names: Names::new(),
            given: String::new(),
            produced: 0,
        }
    }

    /// The column names, [`NAME_LIST_HEADERS`].
    pub fn headers() -> &'static [&'static str] {
        NAME_LIST_HEADERS
    }

    /// Writes the next row into `row`, reusing its strings' buffers (the
    /// allocation-light alternative to [`Iterator::next`]; the rows are the
    /// same). `row` is resized to the number of columns.
    pub fn next_into(&mut self, row: &mut Vec<String>) {
        row.resize_with(NAME_LIST_HEADERS.len(), String::new);
        row.iter_mut().for_each(String::clear);
        let sex = if self.rng.per_mille(FEMALE) {
            Sex::M
        } else {
            Sex::H
        };
        self.names.given(&mut self.rng, sex, &mut self.given);
        let first = self.names.surname(&mut self.rng);
        let second = if self.rng.per_mille(3) {
            ""
        } else {
            self.names.surname(&mut self.rng)
        };
        let full = &mut row[0];
        full.push_str(&self.given);
        full.push(' ');
        full.push_str(first);
        if !second.is_empty() {
            full.push(' ');
            full.push_str(second);
        }
        let seccion = self.rng.between(1, MAX_SECCION);
        let _ = write!(row[1], "{seccion}");
        let _ = write!(row[2], "{}", 1 + (seccion - 1) / SECTIONS_PER_DISTRITO);
        self.produced += 1;
    }
}

impl Iterator for NameList {
    type Item = Vec<String>;

    fn next(&mut self) -> Option<Vec<String>> {
        let mut row = Vec::with_capacity(NAME_LIST_HEADERS.len());
        self.next_into(&mut row);
        Some(row)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}
