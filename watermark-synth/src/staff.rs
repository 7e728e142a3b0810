//! Staff rosters: a social-security institute's employees, as shared with
//! the contractors that run its systems.

use std::fmt::{self, Write as _};

use watermark_core::ids::STATE_CODES;

use crate::jobs::{self};
use crate::person::{issue_curp, Names};
use crate::util::{random_date, IdSet, Rng};

/// Columns of [`StaffRoster`] rows, in order.
pub const STAFF_ROSTER_HEADERS: &[&str] = &[
    "MATRICULA",
    "CURP",
    "NOMBRE",
    "APELLIDO_PATERNO",
    "APELLIDO_MATERNO",
    "NUM_CONTRATO",
    "TIPO_CONTRATACION",
    "PUESTO",
    "ADSCRIPCION",
    "DELEGACION",
    "FECHA_INGRESO",
    "SALARIO_MENSUAL",
    "TELEFONO",
    "CORREO",
];

/// Stream separating this generator from the others fed the same seed.
const STREAM: u64 = 5;
/// Share of women, per mille (health staff are mostly women).
const FEMALE: u32 = 620;
/// Births and hiring dates.
const BORN_FROM: (u16, u8, u8) = (1962, 1, 1);
const BORN_TO: (u16, u8, u8) = (2002, 12, 31);
const HIRED_FROM: (u16, u8, u8) = (1985, 1, 1);
const HIRED_TO: (u16, u8, u8) = (2025, 10, 31);
/// Share (per mille) of rows whose position is typed with abbreviations.
const ABBREVIATED: u32 = 550;

/// Positions (`PUESTO`), full forms, with their monthly base salary in
/// pesos.
const POSITIONS: &[(&str, u32)] = &[
    ("AUXILIAR UNIVERSAL DE OFICINAS", 11_800),
    ("AUXILIAR DE ENFERMERA GENERAL", 13_200),
    ("ENFERMERA GENERAL", 17_900),
    ("ENFERMERA ESPECIALISTA", 21_400),
    ("MEDICO FAMILIAR", 38_500),
    ("MEDICO NO FAMILIAR ESPECIALISTA", 46_200),
    ("ASISTENTE MEDICA", 12_900),
    ("COORDINADOR DE INFORMATICA", 32_000),
    ("ANALISTA DE SISTEMAS", 24_300),
    ("TECNICO EN MANTENIMIENTO", 14_100),
    ("OPERADOR DE MAQUINAS", 12_200),
    ("JEFE DE DEPARTAMENTO ADMINISTRATIVO", 36_800),
    ("SECRETARIA", 11_500),
    ("ASISTENTE ADMINISTRATIVA", 12_700),
    ("CONTADOR PUBLICO", 22_600),
    ("ABOGADO", 25_900),
    ("SUPERVISOR DE INTENDENCIA", 13_600),
    ("AUXILIAR DE LIMPIEZA E HIGIENE", 10_400),
    ("CHOFER", 11_200),
    ("QUIMICO LABORATORISTA", 19_800),
];

/// Kinds of hiring (`TIPO_CONTRATACION`) and their prefix in contract
/// numbers.
const HIRING: &[(&str, &str)] = &[
    ("BASE", "B"),
    ("CONFIANZA", "C"),
    ("SUSTITUTO", "S"),
    ("HONORARIOS", "H"),
];

/// Kinds of unit of assignment (`ADSCRIPCION`), with the highest number
/// used in a delegation.
const UNITS: &[(&str, u32)] = &[
    ("UMF", 90),
    ("HGZ", 45),
    ("HGR", 3),
    ("UMAA", 6),
    ("SUBDELEGACION", 12),
    ("OFICINAS DELEGACIONALES", 0),
];

/// Generator of staff-roster rows with the columns of
/// [`STAFF_ROSTER_HEADERS`].
///
/// An infinite iterator (use [`Iterator::take`]); rows are a function of the
/// seed and their position only. `MATRICULA` is a unique eight- or
/// nine-digit staff number; `CURP` is valid and consistent with the person;
/// `NUM_CONTRATO` is a unique contract number of the form
/// `B-09-2014-004512` (hiring kind, delegation, year of hiring, sequence);
/// `PUESTO` is the position, written with the usual abbreviations in about
/// 55 % of rows (`AUX. UNIVERSAL DE OFICINAS`, `MED. FAMILIAR`);
/// `ADSCRIPCION` the unit (`UMF 20`, `HGZ 1A`, `OFICINAS DELEGACIONALES`);
/// `SALARIO_MENSUAL` the monthly salary in pesos with cents, growing with
/// seniority; `TELEFONO` an office number with extension or a mobile, in
/// the forms people type; `CORREO` an institutional address.
pub struct StaffRoster {
    rng: Rng,
    names: Names,
    curps: IdSet,
    ids: IdSet,
    mails: IdSet,
    contracts: IdSet,
    produced: u64,
}

impl fmt::Debug for StaffRoster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaffRoster")
            .field("produced", &self.produced)
            .finish_non_exhaustive()
    }
}

impl StaffRoster {
    /// A generator whose rows are fully determined by `seed`.
    pub fn new(seed: u64) -> Self {
        StaffRoster {
            rng: Rng::new(seed, STREAM),
            names: Names::new(),
            curps: IdSet::default(),
            ids: IdSet::default(),
            mails: IdSet::default(),
            contracts: IdSet::default(),
            produced: 0,
        }
    }

    /// The column names, [`STAFF_ROSTER_HEADERS`].
    pub fn headers() -> &'static [&'static str] {
        STAFF_ROSTER_HEADERS
    }

    /// Writes the next row into `row`, reusing its strings' buffers; the
    /// rows are those of [`Iterator::next`].
    pub fn next_into(&mut self, row: &mut Vec<String>) {
        row.resize_with(STAFF_ROSTER_HEADERS.len(), String::new);
        row.iter_mut().for_each(String::clear);
        let state_index = self.rng.index(32);
        let (code, delegacion) = STATE_CODES[state_index];
        let (birth, hired) = loop {
            let birth = random_date(&mut self.rng, BORN_FROM, BORN_TO);
            let hired = random_date(&mut self.rng, HIRED_FROM, HIRED_TO);
            // Hired at 18 or later.
            if hired.0 >= birth.0 + 18 {
                break (birth, hired);
            }
        };
        let mut given = std::mem::take(&mut row[2]);
        let (person, curp) = loop {
            let person = self.names.person(&mut self.rng, FEMALE, birth, given);
            if let Some(curp) = issue_curp(&mut self.rng, &mut self.curps, &person, code) {
                break (person, curp);
            }
            given = person.given;
        };
        loop {
            row[0].clear();
            let n = if self.rng.per_mille(700) {
                self.rng.between(10_000_000, 99_999_999)
            } else {
                self.rng.between(100_000_000, 399_999_999)
            };
            let _ = write!(row[0], "{n}");
            if self.ids.insert_u64(u64::from(n)) {
                break;
            }
        }
        row[1] = curp;
        row[3].push_str(person.first_surname);
        row[4].push_str(person.second_surname);
        let (hiring, prefix) = self.rng.pick(HIRING);
        loop {
            row[5].clear();
            let _ = write!(
                row[5],
                "{prefix}-{:02}-{:04}-{:06}",
                state_index + 1,
                hired.0,
                self.rng.below(1_000_000)
            );
            if self.contracts.insert(&row[5]) {
                break;
            }
        }
        row[6].push_str(hiring);
        let (position, base) = self.rng.pick(POSITIONS);
        let abbreviate = if self.rng.per_mille(ABBREVIATED) {
            1000
        } else {
            0
        };
        row[7] = jobs::spelled(&mut self.rng, position, abbreviate);
        let (unit, highest) = self.rng.pick(UNITS);
        row[8].push_str(unit);
        if highest > 0 {
            let _ = write!(row[8], " {}", self.rng.between(1, highest));
            if unit == "HGZ" && self.rng.per_mille(150) {
                row[8].push('A');
            }
        }
        row[9].push_str(delegacion);
        let (y, m, d) = hired;
        let _ = write!(row[10], "{y:04}-{m:02}-{d:02}");
        // 1.5 % a year of seniority, and a spread of ±8 %.
        let years = u64::from(2025u16.saturating_sub(y));
        let cents = u64::from(base) * 100 * (1000 + 15 * years) / 1000;
        let cents = cents * u64::from(self.rng.between(920, 1080)) / 1000;
        let _ = write!(row[11], "{}.{:02}", cents / 100, cents % 100);
        row[12] = if self.rng.per_mille(600) {
            // The delegation's switchboard and an extension.
            let area = self.rng.pick(crate::data::PLACES[state_index].area_codes);
            let office = jobs::phone(&mut self.rng, area);
            format!("{office} EXT. {}", self.rng.between(10_000, 99_999))
        } else {
            let area = self.rng.pick(crate::data::PLACES[state_index].area_codes);
            jobs::phone(&mut self.rng, area)
        };
        let lower = jobs::mail_word;
        let first_given = person.given.split(' ').next().unwrap_or("");
        let base_mail = format!("{}.{}", lower(first_given), lower(person.first_surname));
        let mut n = 1;
        row[13] = loop {
            let mail = if n == 1 {
                format!("{base_mail}@imss.gob.mx")
            } else {
                format!("{base_mail}{n}@imss.gob.mx")
            };
            if self.mails.insert(&mail) {
                break mail;
            }
            n += 1;
        };
        row[2] = person.given;
        self.produced += 1;
    }
}

impl Iterator for StaffRoster {
    type Item = Vec<String>;

    fn next(&mut self) -> Option<Vec<String>> {
        let mut row = Vec::with_capacity(STAFF_ROSTER_HEADERS.len());
        self.next_into(&mut row);
        Some(row)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}
