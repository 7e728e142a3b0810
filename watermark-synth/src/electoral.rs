//! Voter-roll extracts (padrón electoral / lista nominal).

use std::fmt::{self, Write as _};

use watermark_core::ids::{build_clave_elector, STATE_CODES};

use crate::data;
use crate::person::{issue_curp, Names, Person};
use crate::util::{random_date, IdSet, Rng, Weighted};

/// Columns of [`ElectoralRoll`] rows, in order.
pub const ELECTORAL_ROLL_HEADERS: &[&str] = &[
    "CLAVE_ELECTOR",
    "CURP",
    "NOMBRE",
    "APELLIDO_PATERNO",
    "APELLIDO_MATERNO",
    "FECHA_NACIMIENTO",
    "SEXO",
    "CALLE",
    "NUM_EXT",
    "NUM_INT",
    "COLONIA",
    "CODIGO_POSTAL",
    "MUNICIPIO",
    "ENTIDAD",
    "SECCION",
];

/// Stream separating this generator from the others fed the same seed.
const STREAM: u64 = 1;
/// Share of women, per mille.
const FEMALE: u32 = 514;
/// Birth dates of registered voters.
const BIRTH_FROM: (u16, u8, u8) = (1950, 1, 1);
const BIRTH_TO: (u16, u8, u8) = (2005, 12, 31);
/// Share of exterior numbers written `S/N`, per mille.
const NUM_EXT_SN: u32 = 507;
/// Share of empty interior numbers, per mille.
const NUM_INT_EMPTY: u32 = 507;
/// Share of streets with `NORTE`/`SUR` after the road type, per mille.
const DIRECTION: u32 = 254;
/// Colonia forms, per mille: `COL. X`, `LOS ALTOS X`, `LOS BAJOS X`, and
/// the remainder `DE LA MONTAÑA X`.
const COLONIA_COL: u32 = 684;
const COLONIA_ALTOS: u32 = 105;
const COLONIA_BAJOS: u32 = 108;
/// Highest electoral section number.
const MAX_SECCION: u32 = 6000;

/// Generator of voter-roll rows with the columns of
/// [`ELECTORAL_ROLL_HEADERS`].
///
/// An infinite iterator (use [`Iterator::take`]); rows are a function of the
/// seed and their position only. Every row has a valid CURP and a valid
/// clave de elector consistent with its name, birth date, sex and entity
/// (people are registered in the entity where they were born), and both are
/// unique within the stream.
///
/// Distributions follow voter-roll extracts: women 51.4 %; birth dates
/// uniform over 1950–2005 (`DD/MM/YYYY`); names drawn with realistic
/// frequencies, 40 % with two given names, 0.3 % without a second surname;
/// street = one of 30 road types (one in five abbreviated, e.g. `AV.`,
/// `CDA.`), then `NORTE`/`SUR` in a quarter of rows, then the name of an
/// entity, a country or a surname; `NUM_EXT` `S/N` in about half the rows;
/// `NUM_INT` empty in about half, otherwise `MZ 40 LT 55`, `DEPTO 12` or a
/// number in equal parts; `COLONIA` `COL. X` in 68 %, otherwise
/// `LOS ALTOS X`, `LOS BAJOS X` or `DE LA MONTAÑA X`; real municipalities,
/// postal codes in the entity's range; entity uniform over the 32;
/// `SECCION` 1–6000.
///
/// Memory: the CURPs and claves issued so far are kept as 64-bit
/// fingerprints, up to about 40 MB per million rows; nothing else grows.
pub struct ElectoralRoll {
    rng: Rng,
    names: Names,
    roads: Weighted,
    curps: IdSet,
    claves: IdSet,
    produced: u64,
}

impl fmt::Debug for ElectoralRoll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ElectoralRoll")
            .field("produced", &self.produced)
            .finish_non_exhaustive()
    }
}

impl ElectoralRoll {
    /// A generator whose rows are fully determined by `seed`.
    pub fn new(seed: u64) -> Self {
        ElectoralRoll {
            rng: Rng::new(seed, STREAM),
            names: Names::new(),
            roads: Weighted::new(data::ROAD_TYPES.iter().map(|&(_, w)| w)),
            curps: IdSet::default(),
            claves: IdSet::default(),
            produced: 0,
        }
    }

    /// The column names, [`ELECTORAL_ROLL_HEADERS`].
    pub fn headers() -> &'static [&'static str] {
        ELECTORAL_ROLL_HEADERS
    }

    /// Writes the next row into `row`, reusing its strings' buffers (the
    /// allocation-light alternative to [`Iterator::next`]; the rows are the
    /// same). `row` is resized to the number of columns.
    pub fn next_into(&mut self, row: &mut Vec<String>) {
        row.resize_with(ELECTORAL_ROLL_HEADERS.len(), String::new);
        row.iter_mut().for_each(String::clear);
        let state_index = self.rng.index(32);
        let (code, entidad) = STATE_CODES[state_index];
        let mut given = std::mem::take(&mut row[2]);
        let (person, curp, clave) = loop {
            let birth = random_date(&mut self.rng, BIRTH_FROM, BIRTH_TO);
            let person = self.names.person(&mut self.rng, FEMALE, birth, given);
            if let Some(curp) = issue_curp(&mut self.rng, &mut self.curps, &person, code) {
                if let Some(clave) = self.issue_clave(&person, code) {
                    break (person, curp, clave);
                }
            }
            given = person.given;
        };
        let (y, m, d) = person.birth;
        row[0] = clave;
        row[1] = curp;
        row[3].push_str(person.first_surname);
        row[4].push_str(person.second_surname);
        let _ = write!(row[5], "{d:02}/{m:02}/{y:04}");
        row[6].push(person.sex.as_char());
        row[2] = person.given;
        self.street(&mut row[7]);
        if self.rng.per_mille(NUM_EXT_SN) {
            row[8].push_str("S/N");
        } else {
            let _ = write!(row[8], "{}", self.rng.between(1, 3000));
        }
        self.interior(&mut row[9]);
        self.colonia(&mut row[10]);
        let places = &data::PLACES[state_index];
        let prefix = self.rng.between(places.cp_prefix.0, places.cp_prefix.1);
        let _ = write!(row[11], "{:05}", prefix * 1000 + self.rng.below(1000));
        row[12].push_str(self.rng.pick(places.municipios));
        row[13].push_str(entidad);
        let _ = write!(row[14], "{}", self.rng.between(1, MAX_SECCION));
        self.produced += 1;
    }

    /// A clave de elector for `person` not issued before, or `None` when all
    /// 1000 suffixes of its stem are taken.
    fn issue_clave(&mut self, person: &Person, state: &str) -> Option<String> {
        let input = person.curp_input(state);
        let start = self.rng.below(1000);
        for k in 0..1000 {
            let suffix = u16::try_from((start + k) % 1000).unwrap_or(0);
            let clave = build_clave_elector(&input, suffix)?;
            if self.claves.insert(&clave) {
                return Some(clave);
            }
        }
        None
    }

    /// `CALLE`: road type, optional direction, name.
    fn street(&mut self, out: &mut String) {
        let (road, _) = data::ROAD_TYPES[self.roads.sample(&mut self.rng)];
        out.push_str(road);
        out.push(' ');
        if road != "EJE VIAL" && self.rng.per_mille(DIRECTION) {
            out.push_str(if self.rng.below(2) == 0 {
                "NORTE "
            } else {
                "SUR "
            });
        }
        let name = match self.rng.below(3) {
            0 => self.rng.pick(data::STATE_LONG_NAMES),
            1 => self.rng.pick(data::COUNTRIES),
            _ => self.names.surname(&mut self.rng),
        };
        out.push_str(name);
    }

    /// `NUM_INT`: empty, `MZ a LT b`, `DEPTO n` or a number.
    fn interior(&mut self, out: &mut String) {
        if self.rng.per_mille(NUM_INT_EMPTY) {
            return;
        }
        let _ = match self.rng.below(3) {
            0 => write!(
                out,
                "MZ {} LT {}",
                self.rng.between(1, 90),
                self.rng.between(1, 60)
            ),
            1 => write!(out, "DEPTO {}", self.rng.between(1, 500)),
            _ => write!(out, "{}", self.rng.between(1, 40)),
        };
    }

    /// `COLONIA`: `COL. X` (a colonia name or a surname) or one of the
    /// `LOS ALTOS`/`LOS BAJOS`/`DE LA MONTAÑA` forms followed by a surname.
    fn colonia(&mut self, out: &mut String) {
        let r = self.rng.below(1000);
        let prefix = if r < COLONIA_COL {
            "COL. "
        } else if r < COLONIA_COL + COLONIA_ALTOS {
            "LOS ALTOS "
        } else if r < COLONIA_COL + COLONIA_ALTOS + COLONIA_BAJOS {
            "LOS BAJOS "
        } else {
            "DE LA MONTAÑA "
        };
        out.push_str(prefix);
        if r < COLONIA_COL && self.rng.per_mille(300) {
            out.push_str(self.rng.pick(data::COLONIA_NAMES));
        } else {
            out.push_str(self.names.surname(&mut self.rng));
        }
    }
}

impl Iterator for ElectoralRoll {
    type Item = Vec<String>;

    fn next(&mut self) -> Option<Vec<String>> {
        let mut row = Vec::with_capacity(ELECTORAL_ROLL_HEADERS.len());
        self.next_into(&mut row);
        Some(row)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}
