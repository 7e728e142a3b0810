//! Job-portal extracts: job seekers' registrations and CVs.

use std::fmt::{self, Write as _};

use watermark_core::ids::STATE_CODES;

use crate::data;
use crate::jobs::{self, DEGREES, DUTIES, EMPLOYERS, SCHOOLING, TITLES};
use crate::person::{issue_curp, Names};
use crate::util::{random_date, IdSet, Rng};

/// Columns of [`JobSeekers`] rows, in order.
pub const JOB_SEEKERS_HEADERS: &[&str] = &[
    "CURP",
    "NOMBRE",
    "APELLIDO_PATERNO",
    "APELLIDO_MATERNO",
    "FECHA_NACIMIENTO",
    "SEXO",
    "CORREO",
    "TELEFONO",
    "ENTIDAD",
    "MUNICIPIO",
    "ESCOLARIDAD",
    "TITULO",
    "PUESTO_SOLICITADO",
    "EXPERIENCIA",
    "ULTIMO_SALARIO",
    "SALARIO_PRETENDIDO",
];

/// Stream separating this generator from the others fed the same seed.
const STREAM: u64 = 4;
/// Share of women, per mille.
const FEMALE: u32 = 480;
/// Birth dates of job seekers (18 to 65 years old in 2025).
const BORN_FROM: (u16, u8, u8) = (1960, 1, 1);
const BORN_TO: (u16, u8, u8) = (2007, 6, 30);
/// Share (per mille) of rows whose titles and degrees are typed with
/// abbreviations.
const ABBREVIATED: u32 = 450;

/// Generator of job-seeker rows with the columns of
/// [`JOB_SEEKERS_HEADERS`], in the style of a national job portal's
/// registrations.
///
/// An infinite iterator (use [`Iterator::take`]); rows are a function of the
/// seed and their position only. `CURP` is valid, consistent with the name,
/// birth date, sex and entity, and unique; `CORREO` is made from the names
/// and unique; `TELEFONO` has ten digits starting with an area code of the
/// entity, written in the forms people type (`5512345678`,
/// `(55) 1234-5678`, `+52 55 1234 5678` …). `ESCOLARIDAD` runs from
/// `PRIMARIA` to `DOCTORADO`; `TITULO` is the degree (empty below a
/// technical career) and `PUESTO_SOLICITADO` the job sought, each written
/// with the usual abbreviations in about 45 % of rows (`LIC. EN
/// ADMINISTRACION`, `AUX. ADMVO.`). `EXPERIENCIA` is a free-text work
/// history of up to three jobs (years, title, employer, duties), empty for
/// about 15 % of people. `ULTIMO_SALARIO` (monthly, with cents, empty when
/// there is no history) and `SALARIO_PRETENDIDO` (a round amount) are in
/// pesos.
///
/// Memory: the CURPs and e-mail addresses issued so far are kept as 64-bit
/// fingerprints, up to about 40 MB per million rows.
pub struct JobSeekers {
    rng: Rng,
    names: Names,
    curps: IdSet,
    emails: IdSet,
    produced: u64,
}

impl fmt::Debug for JobSeekers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobSeekers")
            .field("produced", &self.produced)
            .finish_non_exhaustive()
    }
}

impl JobSeekers {
    /// A generator whose rows are fully determined by `seed`.
    pub fn new(seed: u64) -> Self {
        JobSeekers {
            rng: Rng::new(seed, STREAM),
            names: Names::new(),
            curps: IdSet::default(),
            emails: IdSet::default(),
            produced: 0,
        }
    }

    /// The column names, [`JOB_SEEKERS_HEADERS`].
    pub fn headers() -> &'static [&'static str] {
        JOB_SEEKERS_HEADERS
    }

    /// Writes the next row into `row`, reusing its strings' buffers; the
    /// rows are those of [`Iterator::next`].
    pub fn next_into(&mut self, row: &mut Vec<String>) {
        row.resize_with(JOB_SEEKERS_HEADERS.len(), String::new);
        row.iter_mut().for_each(String::clear);
        let state_index = self.rng.index(32);
        let (code, entidad) = STATE_CODES[state_index];
        let birth = random_date(&mut self.rng, BORN_FROM, BORN_TO);
        let mut given = std::mem::take(&mut row[1]);
        let (person, curp) = loop {
            let person = self.names.person(&mut self.rng, FEMALE, birth, given);
            if let Some(curp) = issue_curp(&mut self.rng, &mut self.curps, &person, code) {
                break (person, curp);
            }
            given = person.given;
        };
        row[0] = curp;
        row[2].push_str(person.first_surname);
        row[3].push_str(person.second_surname);
        let (y, m, d) = birth;
        let _ = write!(row[4], "{y:04}-{m:02}-{d:02}");
        row[5].push(person.sex.as_char());
        // Unique: a taken address gets a number, as the mail provider
        // would have asked for.
        let mut suffix = None;
        row[6] = loop {
            let address = jobs::email(
                &mut self.rng,
                &person.given,
                person.first_surname,
                person.second_surname,
                y,
                suffix,
            );
            if self.emails.insert(&address) {
                break address;
            }
            suffix = Some(self.rng.between(2, 999));
        };
        let area = self.rng.pick(data::PLACES[state_index].area_codes);
        row[7] = jobs::phone(&mut self.rng, area);
        row[8].push_str(entidad);
        row[9].push_str(self.rng.pick(data::PLACES[state_index].municipios));
        let level = self.schooling();
        row[10].push_str(SCHOOLING[level].0);
        let abbreviate = if self.rng.per_mille(ABBREVIATED) {
            1000
        } else {
            0
        };
        if let Some(degree) = self.degree(level) {
            row[11] = jobs::spelled(&mut self.rng, degree, abbreviate);
        }
        let title = self.title(level);
        row[12] = jobs::spelled(&mut self.rng, title, abbreviate);
        let last_salary = self.history(level, title, abbreviate, y + 16, &mut row[13]);
        if let Some(cents) = last_salary {
            let _ = write!(row[14], "{}.{:02}", cents / 100, cents % 100);
        }
        let wanted = self.salary_cents(level) / 100;
        // Rounded as people ask: to 500 pesos, or 1,000 above 20,000.
        let step = if wanted > 20_000 { 1000 } else { 500 };
        let _ = write!(row[15], "{}", (wanted / step).max(1) * step);
        row[1] = person.given;
        self.produced += 1;
    }

    /// An index into [`SCHOOLING`], by its shares.
    fn schooling(&mut self) -> usize {
        let total: u32 = SCHOOLING.iter().map(|s| s.1).sum();
        let mut r = self.rng.below(total);
        for (i, (_, w)) in SCHOOLING.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        SCHOOLING.len() - 1
    }

    /// The degree of someone with schooling `level`, if any.
    fn degree(&mut self, level: usize) -> Option<&'static str> {
        let degree_level = match level {
            3 => 0,
            4 => 1,
            5 => 2,
            6 => 3,
            _ => return None,
        };
        let choices: Vec<&'static str> = DEGREES
            .iter()
            .filter(|d| d.1 == degree_level)
            .map(|d| d.0)
            .collect();
        Some(self.rng.pick(&choices))
    }

    /// A job title someone with schooling `level` would hold or seek.
    fn title(&mut self, level: usize) -> &'static str {
        let choices: Vec<&'static str> = TITLES
            .iter()
            .filter(|t| t.1 <= level && t.1 + 3 >= level)
            .map(|t| t.0)
            .collect();
        self.rng.pick(&choices)
    }

    /// A monthly salary in cents for schooling `level`.
    fn salary_cents(&mut self, level: usize) -> u64 {
        // Medians by level, in pesos, spread from 0.6x to 1.9x.
        const MEDIAN: [u64; 7] = [7_500, 8_400, 9_800, 11_500, 16_000, 26_000, 34_000];
        let median = MEDIAN[level] * 100;
        let factor = u64::from(self.rng.between(600, 1900));
        median * factor / 1000
    }

    /// Writes a free-text work history into `out`, of jobs from the year
    /// `first_year` on; returns the last job's salary in cents, `None` when
    /// there is no history.
    fn history(
        &mut self,
        level: usize,
        sought: &str,
        abbreviate: u32,
        first_year: u16,
        out: &mut String,
    ) -> Option<u64> {
        let first_year = u32::from(first_year);
        let mut end = 2025 - self.rng.below(3);
        if self.rng.per_mille(150) || end <= first_year {
            return None;
        }
        let jobs = self.rng.between(1, 3);
        for i in 0..jobs {
            if end <= first_year {
                break;
            }
            let years = self.rng.between(1, 6).min(end - first_year);
            let start = end - years;
            let title = if i == 0 && self.rng.per_mille(500) {
                sought
            } else {
                self.title(level)
            };
            let title = jobs::spelled(&mut self.rng, title, abbreviate);
            let employer = self.rng.pick(EMPLOYERS);
            let duty = self.rng.pick(DUTIES);
            if !out.is_empty() {
                out.push_str("; ");
            }
            match self.rng.below(3) {
                0 => {
                    let _ = write!(out, "{start}-{end} {title} EN {employer}. {duty}");
                }
                1 => {
                    let _ = write!(
                        out,
                        "{title}, {employer} ({start} A {end}): {duty}",
                        duty = duty.to_lowercase()
                    );
                }
                _ => {
                    let _ = write!(
                        out,
                        "{years} {} COMO {title} EN {employer}, {duty}",
                        if years == 1 { "AÑO" } else { "AÑOS" }
                    );
                }
            }
            end = start.saturating_sub(self.rng.below(2));
        }
        Some(self.salary_cents(level))
    }
}

impl Iterator for JobSeekers {
    type Item = Vec<String>;

    fn next(&mut self) -> Option<Vec<String>> {
        let mut row = Vec::with_capacity(JOB_SEEKERS_HEADERS.len());
        self.next_into(&mut row);
        Some(row)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}
