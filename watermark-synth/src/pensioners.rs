//! Pensioner-roll extracts (IMSS pensionados).

use std::fmt::{self, Write as _};

use watermark_core::ids::{nss_check_digit, STATE_CODES};

use crate::data;
use crate::person::{issue_curp, Names};
use crate::util::{civil_from_days, days_from_civil, random_date, IdSet, Rng};

/// Columns of [`Pensioners`] rows, in order.
pub const PENSIONERS_HEADERS: &[&str] = &[
    "NSS",
    "CURP",
    "NOMBRE",
    "APELLIDO_PATERNO",
    "APELLIDO_MATERNO",
    "FECHA_NACIMIENTO",
    "SEXO",
    "DELEGACION",
    "TIPO_PENSION",
    "MONTO_MENSUAL",
    "FECHA_ALTA",
    "TELEFONO",
];

/// Stream separating this generator from the others fed the same seed.
const STREAM: u64 = 2;
/// Share of women, per mille.
const FEMALE: u32 = 466;
/// Pension start dates (`FECHA_ALTA`).
const ALTA_FROM: (u16, u8, u8) = (1997, 1, 1);
const ALTA_TO: (u16, u8, u8) = (2025, 10, 31);
/// Nobody in the roll was born before this date.
const OLDEST_BIRTH: (u16, u8, u8) = (1930, 1, 1);

/// Age range (years, inclusive) at the start of each pension type of
/// [`data::PENSION_TYPES`], in the same order.
const AGE_AT_ALTA: [(u32, u32); 5] = [
    (60, 64), // CESANTIA (cesantía en edad avanzada)
    (25, 59), // INVALIDEZ
    (20, 64), // RIESGO DE TRABAJO
    (25, 80), // VIUDEZ
    (65, 72), // VEJEZ
];

/// Generator of pensioner rows with the columns of [`PENSIONERS_HEADERS`].
///
/// An infinite iterator (use [`Iterator::take`]); rows are a function of the
/// seed and their position only. `NSS` is a valid IMSS number (subdelegation,
/// year of affiliation, year of birth, sequence, Luhn check digit) and `CURP`
/// a valid CURP consistent with name, birth date, sex and delegation (people
/// draw their pension in the entity where they were born); both are unique
/// within the stream.
///
/// Distributions follow pensioner extracts: men 53.4 %; delegation uniform
/// over the 32 entities; pension type uniform over `CESANTIA`, `INVALIDEZ`,
/// `RIESGO DE TRABAJO`, `VIUDEZ`, `VEJEZ`; `FECHA_ALTA` uniform over
/// 1997-01 – 2025-10 and the birth date (`YYYY-MM-DD`) consistent with the
/// pension type (e.g. 65–72 years old at the start of a `VEJEZ` pension);
/// `MONTO_MENSUAL` with two decimals, median about 7,240, 5–95 % range about
/// 3,290–16,050, extremes 1,279–28,538; `TELEFONO` ten digits starting with
/// an area code of the delegation's entity.
///
/// Memory: the CURPs and NSS issued so far are kept as 64-bit fingerprints,
/// up to about 40 MB per million rows; nothing else grows.
pub struct Pensioners {
    rng: Rng,
    names: Names,
    curps: IdSet,
    nss: IdSet,
    produced: u64,
}

impl fmt::Debug for Pensioners {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pensioners")
            .field("produced", &self.produced)
            .finish_non_exhaustive()
    }
}

impl Pensioners {
    /// A generator whose rows are fully determined by `seed`.
    pub fn new(seed: u64) -> Self {
        Pensioners {
            rng: Rng::new(seed, STREAM),
            names: Names::new(),
            curps: IdSet::default(),
            nss: IdSet::default(),
            produced: 0,
        }
    }

    /// The column names, [`PENSIONERS_HEADERS`].
    pub fn headers() -> &'static [&'static str] {
        PENSIONERS_HEADERS
    }

    /// Writes the next row into `row`, reusing its strings' buffers (the
    /// allocation-light alternative to [`Iterator::next`]; the rows are the
    /// same). `row` is resized to the number of columns.
    pub fn next_into(&mut self, row: &mut Vec<String>) {
        row.resize_with(PENSIONERS_HEADERS.len(), String::new);
        row.iter_mut().for_each(String::clear);
        let state_index = self.rng.index(32);
        let (code, delegacion) = STATE_CODES[state_index];
        let type_index = self.rng.index(data::PENSION_TYPES.len());
        let (alta, birth) = self.dates(type_index);
        let mut given = std::mem::take(&mut row[2]);
        let (person, curp) = loop {
            let person = self.names.person(&mut self.rng, FEMALE, birth, given);
            if let Some(curp) = issue_curp(&mut self.rng, &mut self.curps, &person, code) {
                break (person, curp);
            }
            given = person.given;
        };
        self.issue_nss(birth.0, alta.0, &mut row[0]);
        row[1] = curp;
        row[3].push_str(person.first_surname);
        row[4].push_str(person.second_surname);
        let (y, m, d) = birth;
        let _ = write!(row[5], "{y:04}-{m:02}-{d:02}");
        row[6].push(person.sex.as_char());
        row[2] = person.given;
        row[7].push_str(delegacion);
        row[8].push_str(data::PENSION_TYPES[type_index]);
        let cents = self.monto_cents();
        let _ = write!(row[9], "{}.{:02}", cents / 100, cents % 100);
        let (y, m, d) = alta;
        let _ = write!(row[10], "{y:04}-{m:02}-{d:02}");
        let area = self.rng.pick(data::PLACES[state_index].area_codes);
        let _ = write!(row[11], "{area}{:07}", self.rng.below(10_000_000));
        self.produced += 1;
    }

    /// Pension start date and a birth date consistent with the pension type.
    fn dates(&mut self, type_index: usize) -> ((u16, u8, u8), (u16, u8, u8)) {
        let (min_age, max_age) = AGE_AT_ALTA[type_index];
        let oldest = days_from_civil(OLDEST_BIRTH.0, OLDEST_BIRTH.1, OLDEST_BIRTH.2);
        loop {
            let alta = random_date(&mut self.rng, ALTA_FROM, ALTA_TO);
            let age = self.rng.between(min_age, max_age);
            let back = age * 365 + age / 4 + self.rng.below(365);
            let birth = days_from_civil(alta.0, alta.1, alta.2) - i32::try_from(back).unwrap_or(0);
            if birth >= oldest {
                return (alta, civil_from_days(birth));
            }
        }
    }

    /// Writes a new NSS: subdelegation, two-digit year of affiliation, of
    /// birth, four-digit sequence and Luhn check digit.
    fn issue_nss(&mut self, birth_year: u16, alta_year: u16, out: &mut String) {
        loop {
            out.clear();
            let subdelegacion = self.rng.between(1, 99);
            let offset = u16::try_from(self.rng.between(16, 25)).unwrap_or(16);
            let affiliation = (birth_year + offset).min(alta_year);
            let sequence = self.rng.below(10_000);
            let _ = write!(
                out,
                "{subdelegacion:02}{:02}{:02}{sequence:04}",
                affiliation % 100,
                birth_year % 100
            );
            let number: u64 = out.parse().unwrap_or(0);
            if self.nss.insert_u64(number) {
                let check = nss_check_digit(out).unwrap_or(0);
                out.push(char::from(b'0' + check));
                return;
            }
        }
    }

    /// A monthly amount in cents, by linear interpolation between the
    /// quantiles of [`data::MONTO_QUANTILES_CENTS`].
    fn monto_cents(&mut self) -> u64 {
        const STEPS: u32 = 1_000_000;
        let q = &data::MONTO_QUANTILES_CENTS;
        let segment = self.rng.index(q.len() - 1);
        let within = u64::from(self.rng.below(STEPS));
        let (lo, hi) = (u64::from(q[segment]), u64::from(q[segment + 1]));
        lo + (hi - lo) * within / u64::from(STEPS)
    }
}

impl Iterator for Pensioners {
    type Item = Vec<String>;

    fn next(&mut self) -> Option<Vec<String>> {
        let mut row = Vec::with_capacity(PENSIONERS_HEADERS.len());
        self.next_into(&mut row);
        Some(row)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}
