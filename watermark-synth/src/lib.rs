//! Deterministic synthetic registry extracts for tests, demos and benchmarks.
//!
//! Five kinds of extract, shaped like the Mexican registries the toolkit
//! fingerprints:
//!
//! * [`ElectoralRoll`]: voter-roll rows (clave de elector, CURP, names,
//!   birth date, sex, street address, entity, electoral section);
//! * [`Pensioners`]: IMSS pensioner rows (NSS, CURP, names, delegation,
//!   pension type, monthly amount, dates, telephone);
//! * [`NameList`]: the three-column lists (full name, section, district)
//!   party copies were cut down to after 2016;
//! * [`JobSeekers`]: a national job portal's registrations (CURP, names,
//!   e-mail, phone as people type it, schooling, degree, job sought,
//!   free-text work history, salaries);
//! * [`StaffRoster`]: a social-security institute's staff as shared with
//!   contractors (staff number, CURP, names, contract number, position,
//!   unit, hiring date, salary, office phone, e-mail).
//!
//! Each generator is an infinite [`Iterator`] of rows (`Vec<String>`, one
//! string per column of its `headers()`), fully determined by a `u64` seed:
//! the same seed gives the same bytes on every platform (ChaCha8 stream,
//! integer-only sampling). Identifiers are valid per
//! [`watermark_core::ids`] and consistent with the row's other fields, and
//! CURPs, claves de elector and NSS are unique within one generated extract.
//! All people are synthetic: names and surnames are drawn independently
//! from lists of common Mexican names.
//!
//! [`write_csv`] writes a whole extract as CSV (UTF-8, comma separated,
//! `\n` line ends, header row first); [`Kind`] names the kinds for
//! command lines (`electoral-roll`, `pensioners`, `name-list`,
//! `job-seekers`, `staff-roster`).
//!
//! ```
//! use watermark_core::ids::{is_valid_curp, is_valid_nss};
//! use watermark_synth::{write_csv, ElectoralRoll, Kind, Pensioners};
//!
//! let roll: Vec<Vec<String>> = ElectoralRoll::new(7).take(3).collect();
//! assert_eq!(roll[0].len(), ElectoralRoll::headers().len());
//! assert!(is_valid_curp(&roll[0][1]));
//! // Same seed, same rows.
//! assert_eq!(roll, ElectoralRoll::new(7).take(3).collect::<Vec<_>>());
//!
//! let pensioner = Pensioners::new(7).next().unwrap();
//! assert!(is_valid_nss(&pensioner[0]));
//!
//! let mut csv = Vec::new();
//! write_csv("name-list".parse::<Kind>()?, 7, 2, &mut csv)?;
//! let text = String::from_utf8(csv)?;
//! assert!(text.starts_with("NOMBRE_COMPLETO,SECCION,DISTRITO\n"));
//! assert_eq!(text.lines().count(), 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Speed (release build, one core): about 3 s per million electoral-roll
//! rows, 2.5 s per million pensioner rows, 0.2 s per million name-list
//! rows. Memory: constant per generator, plus the identifiers issued so far
//! (64-bit fingerprints in two hash sets, up to about 40 MB per million
//! electoral-roll or pensioner rows; nothing for name lists).
#![forbid(unsafe_code)]

mod data;
mod electoral;
mod job_seekers;
mod jobs;
mod namelist;
mod pensioners;
mod person;
mod staff;
mod util;

#[cfg(test)]
mod tests;

use std::fmt;
use std::io;
use std::str::FromStr;

pub use electoral::{ElectoralRoll, ELECTORAL_ROLL_HEADERS};
pub use job_seekers::{JobSeekers, JOB_SEEKERS_HEADERS};
pub use namelist::{NameList, NAME_LIST_HEADERS};
pub use pensioners::{Pensioners, PENSIONERS_HEADERS};
pub use staff::{StaffRoster, STAFF_ROSTER_HEADERS};

/// The kinds of extract this crate generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Voter roll, see [`ElectoralRoll`].
    ElectoralRoll,
    /// IMSS pensioners, see [`Pensioners`].
    Pensioners,
    /// Three-column name list, see [`NameList`].
    NameList,
    /// Job-portal registrations, see [`JobSeekers`].
    JobSeekers,
    /// A staff roster shared with contractors, see [`StaffRoster`].
    StaffRoster,
}

impl Kind {
    /// All kinds, in a fixed order.
    pub const ALL: [Kind; 5] = [
        Kind::ElectoralRoll,
        Kind::Pensioners,
        Kind::NameList,
        Kind::JobSeekers,
        Kind::StaffRoster,
    ];

    /// Command-line name: `electoral-roll`, `pensioners`, `name-list`,
    /// `job-seekers` or `staff-roster` (what [`Kind::from_str`] parses).
    pub fn name(self) -> &'static str {
        match self {
            Kind::ElectoralRoll => "electoral-roll",
            Kind::Pensioners => "pensioners",
            Kind::NameList => "name-list",
            Kind::JobSeekers => "job-seekers",
            Kind::StaffRoster => "staff-roster",
        }
    }

    /// Column names of this kind's rows.
    pub fn headers(self) -> &'static [&'static str] {
        match self {
            Kind::ElectoralRoll => ELECTORAL_ROLL_HEADERS,
            Kind::Pensioners => PENSIONERS_HEADERS,
            Kind::NameList => NAME_LIST_HEADERS,
            Kind::JobSeekers => JOB_SEEKERS_HEADERS,
            Kind::StaffRoster => STAFF_ROSTER_HEADERS,
        }
    }

    /// The (infinite) row generator of this kind for `seed`.
    pub fn generator(self, seed: u64) -> Box<dyn Iterator<Item = Vec<String>> + Send> {
        match self {
            Kind::ElectoralRoll => Box::new(ElectoralRoll::new(seed)),
            Kind::Pensioners => Box::new(Pensioners::new(seed)),
            Kind::NameList => Box::new(NameList::new(seed)),
            Kind::JobSeekers => Box::new(JobSeekers::new(seed)),
            Kind::StaffRoster => Box::new(StaffRoster::new(seed)),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error of [`Kind::from_str`]: the name is not one of [`Kind::name`]'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseKindError(String);

impl fmt::Display for ParseKindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown extract kind {:?} (expected electoral-roll, pensioners, name-list, \
             job-seekers or staff-roster)",
            self.0
        )
    }
}

impl std::error::Error for ParseKindError {}

impl FromStr for Kind {
    type Err = ParseKindError;

    /// Parses [`Kind::name`]; case-insensitive, `_` accepted for `-`.
    fn from_str(s: &str) -> Result<Kind, ParseKindError> {
        let normalized = s.trim().to_ascii_lowercase().replace('_', "-");
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == normalized)
            .ok_or_else(|| ParseKindError(s.to_owned()))
    }
}

/// Writes an extract of `rows` rows of `kind` generated from `seed` to `out`
/// as CSV: a header row, then the rows; UTF-8, `,` separated, `\n` line
/// ends, fields quoted only when needed. The bytes depend only on `kind`,
/// `seed` and `rows`, and the first `n` rows are the same for every
/// `rows >= n`. Rows are generated and written one at a time and the CSV
/// writer buffers its output, so `out` need not be buffered.
pub fn write_csv<W: io::Write>(kind: Kind, seed: u64, rows: usize, out: W) -> io::Result<()> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out);
    writer.write_record(kind.headers())?;
    let mut row = Vec::new();
    match kind {
        Kind::ElectoralRoll => {
            let mut g = ElectoralRoll::new(seed);
            for _ in 0..rows {
                g.next_into(&mut row);
                writer.write_record(&row)?;
            }
        }
        Kind::Pensioners => {
            let mut g = Pensioners::new(seed);
            for _ in 0..rows {
                g.next_into(&mut row);
                writer.write_record(&row)?;
            }
        }
        Kind::NameList => {
            let mut g = NameList::new(seed);
            for _ in 0..rows {
                g.next_into(&mut row);
                writer.write_record(&row)?;
            }
        }
        Kind::JobSeekers => {
            let mut g = JobSeekers::new(seed);
            for _ in 0..rows {
                g.next_into(&mut row);
                writer.write_record(&row)?;
            }
        }
        Kind::StaffRoster => {
            let mut g = StaffRoster::new(seed);
            for _ in 0..rows {
                g.next_into(&mut row);
                writer.write_record(&row)?;
            }
        }
    }
    writer.flush()
}
