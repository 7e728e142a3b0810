//! Variant-token dictionaries: pairs of spellings that mean the same thing.
//!
//! Each group has two variants. Variant 0 is the full word, variant 1 the
//! abbreviation; each variant has a canonical spelling (written when marking)
//! and may have aliases (read, and left as they are when they already carry
//! the wanted variant). The built-in dictionaries: `mx-address`, the
//! road-type and address vocabulary of Mexican addresses; `mx-jobs`, the
//! words of job titles and positions; `mx-degrees`, the names of degrees.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::normalize::fold_token_into;
use watermark_text::{said, Msg, Said};

/// Where in a cell a group's tokens may be marked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TokenPlace {
    /// Only the first token of the cell (road types, "COL."): a street called
    /// "CALLE C" must not have its "C" read as an abbreviation.
    #[default]
    First,
    /// Any token of the cell.
    Any,
}

/// A group of equivalent spellings, as written in a policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantGroup {
    /// Spellings of the full form; the first is written when marking.
    pub full: Vec<String>,
    /// Spellings of the short form; the first is written when marking.
    pub short: Vec<String>,
    /// Where the token may stand in a cell.
    #[serde(default)]
    pub place: TokenPlace,
}

fn g(full: &[&str], short: &[&str], place: TokenPlace) -> VariantGroup {
    VariantGroup {
        full: full.iter().map(|s| s.to_string()).collect(),
        short: short.iter().map(|s| s.to_string()).collect(),
        place,
    }
}

/// The built-in dictionary named `mx-address`: Mexican road types (the
/// vocabulary of INEGI's street-type catalogue), settlement types, and the
/// interior-number and direction words of Mexican addresses.
pub fn mx_address() -> Vec<VariantGroup> {
    use TokenPlace::{Any, First};
    vec![
        // Road types.
        g(&["AVENIDA"], &["AV.", "AVE."], First),
        g(&["CALLE"], &["C."], First),
        g(&["PRIVADA"], &["PRIV.", "PVDA."], First),
        g(&["CERRADA"], &["CDA.", "CERR."], First),
        g(&["BOULEVARD", "BULEVAR"], &["BLVD.", "BLVR."], First),
        g(&["CALZADA"], &["CALZ."], First),
        g(&["CIRCUITO"], &["CTO.", "CIRC."], First),
        g(&["CIRCUNVALACION"], &["CIRCUNV."], First),
        g(&["PROLONGACION"], &["PROL."], First),
        g(&["CALLEJON"], &["CJON.", "CJÓN."], First),
        g(&["ANDADOR"], &["AND."], First),
        g(&["RETORNO"], &["RET."], First),
        g(&["DIAGONAL"], &["DIAG."], First),
        g(&["PERIFERICO"], &["PERIF."], First),
        g(&["VIADUCTO"], &["VIAD."], First),
        g(&["CONTINUACION"], &["CONT."], First),
        g(&["AMPLIACION"], &["AMPL."], First),
        g(&["CORREDOR"], &["CORR."], First),
        g(&["PASAJE"], &["PSJE."], First),
        g(&["PEATONAL"], &["PEAT."], First),
        g(&["CARRETERA"], &["CARR."], First),
        g(&["CAMINO"], &["CAM."], First),
        g(&["BRECHA"], &["BCHA."], First),
        g(&["VEREDA"], &["VDA."], First),
        g(&["GLORIETA"], &["GLTA."], First),
        g(&["AUTOPISTA"], &["AUT."], First),
        // Settlement types.
        g(&["COLONIA"], &["COL."], First),
        g(&["FRACCIONAMIENTO"], &["FRACC."], First),
        g(&["BARRIO"], &["BO."], First),
        g(&["RESIDENCIAL"], &["RES."], First),
        g(&["CONDOMINIO"], &["COND."], First),
        g(&["EJIDO"], &["EJ."], First),
        g(&["RANCHERIA"], &["RANCH."], First),
        // Numbers and interiors.
        g(&["S/N"], &["SN", "S.N."], Any),
        g(&["DEPARTAMENTO"], &["DEPTO", "DPTO.", "DEP."], Any),
        g(&["MANZANA"], &["MZ", "MZA.", "MZN."], Any),
        g(&["LOTE"], &["LT", "LTE."], Any),
        g(&["INTERIOR"], &["INT."], Any),
        g(&["EDIFICIO"], &["EDIF."], Any),
        g(&["NUMERO"], &["NUM.", "NO."], Any),
        g(&["KILOMETRO"], &["KM."], Any),
        // Directions.
        g(&["NORTE"], &["NTE."], Any),
        g(&["ORIENTE"], &["OTE."], Any),
        g(&["PONIENTE"], &["PTE."], Any),
    ]
}

/// The built-in dictionary named `mx-jobs`: the words of job titles and
/// positions (`AUXILIAR ADMINISTRATIVO` / `AUX. ADMVO.`, `JEFE DE
/// DEPARTAMENTO` / `JEFE DE DEPTO.`) that job portals, staff rosters and CV
/// free text write both ways. Only words whose short form stands for one
/// full word are in it: `ADMVO.` and `ADMVA.` are two groups, and words
/// whose abbreviation serves both genders (`ING.`, `LIC.`, `ENF.`, `SUP.`,
/// `COORD.`) are left out, since expanding one would have to guess the
/// person's gender, and so are short forms that stand for other words too
/// (`DIR.` for `DIRECTOR` and `DIRECCION`, `PROD.`, `ESP.`, `UNIV.`).
pub fn mx_jobs() -> Vec<VariantGroup> {
    use TokenPlace::Any;
    vec![
        g(&["AUXILIAR"], &["AUX."], Any),
        g(&["ADMINISTRATIVO"], &["ADMVO."], Any),
        g(&["ADMINISTRATIVA"], &["ADMVA."], Any),
        g(&["ADMINISTRACION"], &["ADMON."], Any),
        g(&["ASISTENTE"], &["ASIST."], Any),
        g(&["DEPARTAMENTO"], &["DEPTO.", "DPTO."], Any),
        g(&["GENERAL"], &["GRAL."], Any),
        g(&["GERENTE"], &["GTE."], Any),
        g(&["MANTENIMIENTO"], &["MTTO."], Any),
        g(&["SECRETARIA"], &["SRIA."], Any),
        g(&["CONTABILIDAD"], &["CONTAB."], Any),
    ]
}

/// The built-in dictionary named `mx-degrees`: the names of degrees and
/// schooling in job-portal registrations and CVs (`LICENCIATURA EN
/// DERECHO` / `LIC. EN DERECHO`, `INGENIERIA CIVIL` / `ING. CIVIL`). A
/// degree's name does not depend on who holds it, so `LIC.` expands to
/// `LICENCIATURA` and `ING.` to `INGENIERIA` whoever the person is; use it
/// for degree columns, not for titles before a name.
pub fn mx_degrees() -> Vec<VariantGroup> {
    use TokenPlace::{Any, First};
    vec![
        g(&["LICENCIATURA"], &["LIC."], First),
        g(&["INGENIERIA"], &["ING."], First),
        g(&["TECNICO"], &["TEC."], First),
        g(&["MAESTRIA"], &["MTRIA."], First),
        g(&["ADMINISTRACION"], &["ADMON."], Any),
        g(&["SISTEMAS"], &["SIST."], Any),
        g(&["COMPUTACIONALES"], &["COMPUT."], Any),
        g(&["INDUSTRIAL"], &["IND."], Any),
        g(&["INFORMATICA"], &["INFORM."], Any),
        g(&["TECNOLOGIAS"], &["TECNOL."], Any),
    ]
}

/// A compiled dictionary: folded spelling → (group, variant).
#[derive(Debug, Clone)]
pub(crate) struct Dictionary {
    /// Folded spellings packed into 16 bytes (see [`pack`]).
    lookup: SpellingTable,
    /// For each first byte (ASCII, upper-cased) of a spelling, a bitmask of
    /// the second bytes that follow it (bit 63: any non-letter).
    first_two: [u64; 256],
    /// Canonical spellings per group: [full, short].
    canonical: Vec<[String; 2]>,
    place: Vec<TokenPlace>,
    /// Whether each group's canonical short form ends in a dot.
    dotted: Vec<bool>,
    /// Longest folded spelling, to skip long tokens cheaply.
    max_len: usize,
}

impl Dictionary {
    pub(crate) fn compile(groups: &[VariantGroup]) -> Result<Dictionary> {
        let mut lookup = FxHashMap::default();
        let mut first_two = [0u64; 256];
        let mut canonical = Vec::new();
        let mut place = Vec::new();
        let mut dotted = Vec::new();
        let mut max_len = 0;
        let mut key = String::new();
        for (gi, group) in groups.iter().enumerate() {
            let gi =
                u16::try_from(gi).map_err(|_| Error::policy(Said::new(Msg::CoTooManyGroups)))?;
            let mut canon: [String; 2] = Default::default();
            for (vi, forms) in [&group.full, &group.short].into_iter().enumerate() {
                let first = forms.first().ok_or_else(|| {
                    Error::policy(said!(
                        Msg::CoEmptySpellings,
                        format!("{:?}", group.full),
                        format!("{:?}", group.short)
                    ))
                })?;
                canon[vi] = first.to_uppercase();
                for form in forms {
                    fold_token_into(form, &mut key);
                    if key.is_empty() || key.contains(char::is_whitespace) {
                        return Err(Error::policy(said!(
                            Msg::CoSpellingOneWord,
                            format!("{form:?}")
                        )));
                    }
                    if key.contains('\0') {
                        return Err(Error::policy(said!(
                            Msg::CoSpellingNul,
                            format!("{form:?}")
                        )));
                    }
                    let packed = pack(key.as_bytes()).ok_or_else(|| {
                        Error::policy(said!(Msg::CoSpellingLong, format!("{form:?}")))
                    })?;
                    match lookup.insert(packed, (gi, vi as u8)) {
                        Some((og, ov)) if (og, ov) != (gi, vi as u8) => {
                            return Err(Error::policy(said!(
                                Msg::CoSpellingTwoGroups,
                                format!("{form:?}")
                            )))
                        }
                        _ => {}
                    }
                    max_len = max_len.max(key.len());
                    let k = key.as_bytes();
                    first_two[usize::from(k[0])] |= second_mask(k.get(1).copied());
                }
            }
            dotted.push(canon[1].ends_with('.') && canon[1].len() > 1);
            canonical.push(canon);
            place.push(group.place);
        }
        Ok(Dictionary {
            lookup: SpellingTable::new(&lookup),
            first_two,
            canonical,
            place,
            dotted,
            max_len,
        })
    }

    /// The (group, variant) a token reads as, folding it first (`scratch`
    /// is only used for non-ASCII tokens).
    #[inline]
    pub(crate) fn lookup(&self, token: &str, scratch: &mut String) -> Option<(u16, u8)> {
        let packed = match pack_plain(token.as_bytes()) {
            Some(packed) => packed,
            None if token.is_ascii() => {
                let mut buf = [0u8; 16];
                let mut n = 0;
                for &b in token.as_bytes() {
                    if b == b'.' {
                        continue;
                    }
                    // No spelling has a NUL, and packing would read one as
                    // the padding after a shorter word.
                    if n == 16 || b == 0 {
                        return None;
                    }
                    buf[n] = b.to_ascii_uppercase();
                    n += 1;
                }
                u128::from_le_bytes(buf)
            }
            None => {
                fold_token_into(token, scratch);
                pack(scratch.as_bytes())?
            }
        };
        self.lookup.get(packed)
    }

    /// A cheap test that rules out most tokens before folding them: false
    /// when no spelling starts like `token`.
    #[inline]
    pub(crate) fn may_match(&self, token: &[u8]) -> bool {
        let b = token[0];
        if !b.is_ascii() {
            return true;
        }
        let allowed = self.first_two[usize::from(b.to_ascii_uppercase())];
        match token.get(1) {
            Some(&c) if !c.is_ascii() => allowed != 0,
            // A '.' is dropped by folding, so the next letter may be second.
            Some(b'.') => allowed != 0,
            Some(&c) => allowed & SECOND_MASKS[usize::from(c)] != 0,
            None => allowed & second_mask(None) != 0,
        }
    }

    /// Whether the group's short form carries a dot slot.
    pub(crate) fn dotted(&self, group: u16) -> bool {
        self.dotted[group as usize]
    }

    pub(crate) fn place(&self, group: u16) -> TokenPlace {
        self.place[group as usize]
    }

    pub(crate) fn canonical(&self, group: u16, variant: u8) -> &str {
        &self.canonical[group as usize][variant as usize]
    }

    pub(crate) fn max_len(&self) -> usize {
        self.max_len
    }
}

/// The common case of [`Dictionary::lookup`]'s folding, eight bytes at a
/// time: an ASCII token of at most 16 bytes with no dot but perhaps a final
/// one, not ending in NUL, upper-cased and packed as [`pack`] does; `None`
/// for other tokens.
#[inline]
fn pack_plain(token: &[u8]) -> Option<u128> {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const ONES: u64 = 0x0101_0101_0101_0101;
    let body = token.strip_suffix(b".").unwrap_or(token);
    // A NUL at the end would read as padding; one inside makes a word no
    // spelling packs to.
    if body.len() > 16 || body.last() == Some(&0) {
        return None;
    }
    // Little-endian words of the token, zero-padded (a short token's bytes
    // shifted in: cheaper than a copy into a buffer).
    let word = |bytes: &[u8]| bytes.iter().rev().fold(0u64, |w, &b| w << 8 | u64::from(b));
    let (lo, hi) = body.split_at(body.len().min(8));
    let (lo, hi) = (word(lo), word(hi));
    // A byte of an ASCII word is below 0x80, so adding to it never carries
    // into the next byte: the high bit of `x + (0x80 - c)` is set exactly
    // where the byte is at least `c`.
    let at_least = |x: u64, c: u8| x.wrapping_add(ONES * u64::from(0x80 - c)) & HIGH;
    let is_dot = |x: u64| at_least(x, b'.') & !at_least(x, b'.' + 1);
    if (lo | hi) & HIGH != 0 || (is_dot(lo) | is_dot(hi)) != 0 {
        return None;
    }
    let upper = |x: u64| x - ((at_least(x, b'a') & !at_least(x, b'z' + 1)) >> 2);
    Some(u128::from(upper(lo)) | u128::from(upper(hi)) << 64)
}

/// Packed spellings and what they read as: an open-addressing table probed
/// linearly, for the one lookup per word of every carrier cell. (With it and
/// [`pack_plain`], a lookup took 153 instructions under callgrind, against
/// 225 with a general hash map.)
#[derive(Debug, Clone)]
struct SpellingTable {
    /// A power of two of slots; 0 marks an empty one (no spelling packs to
    /// 0: spellings are not empty and fold to no NUL byte).
    keys: Vec<u128>,
    values: Vec<(u16, u8)>,
    shift: u32,
}

impl SpellingTable {
    fn new(entries: &FxHashMap<u128, (u16, u8)>) -> SpellingTable {
        let slots = (entries.len() * 4).next_power_of_two().max(16);
        let mut table = SpellingTable {
            keys: vec![0; slots],
            values: vec![(0, 0); slots],
            shift: 64 - slots.trailing_zeros(),
        };
        for (&key, &value) in entries {
            let mut i = table.slot(key);
            while table.keys[i] != 0 {
                i = (i + 1) & (slots - 1);
            }
            table.keys[i] = key;
            table.values[i] = value;
        }
        table
    }

    #[inline]
    fn slot(&self, key: u128) -> usize {
        let x = (key as u64) ^ ((key >> 64) as u64).rotate_left(31);
        (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    #[inline]
    fn get(&self, key: u128) -> Option<(u16, u8)> {
        let mut i = self.slot(key);
        loop {
            match self.keys[i] {
                0 => return None,
                k if k == key => return Some(self.values[i]),
                _ => i = (i + 1) & (self.keys.len() - 1),
            }
        }
    }
}

/// A folded spelling of at most 16 bytes as a number (zero-padded).
fn pack(folded: &[u8]) -> Option<u128> {
    if folded.len() > 16 {
        return None;
    }
    let mut buf = [0u8; 16];
    buf[..folded.len()].copy_from_slice(folded);
    Some(u128::from_le_bytes(buf))
}

/// [`second_mask`] of every byte, upper-cased: what [`Dictionary::may_match`]
/// looks up for every word of every carrier cell.
const SECOND_MASKS: [u64; 256] = {
    let mut masks = [0; 256];
    let mut b = 0;
    while b < 256 {
        masks[b] = second_mask(Some((b as u8).to_ascii_uppercase()));
        b += 1;
    }
    masks
};

/// The bit for a folded spelling's second byte.
const fn second_mask(b: Option<u8>) -> u64 {
    match b {
        Some(c @ b'A'..=b'Z') => 1 << (c - b'A'),
        _ => 1 << 63,
    }
}

/// Looks up a built-in dictionary by name.
pub(crate) fn builtin(name: &str) -> Option<Vec<VariantGroup>> {
    match name {
        "mx-address" => Some(mx_address()),
        "mx-jobs" => Some(mx_jobs()),
        "mx-degrees" => Some(mx_degrees()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The fast packing and the table read a token as folding it and
        /// looking the folded spelling up in a map does.
        #[test]
        fn lookup_reads_tokens_as_folding_does(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "AV", "av", "Ave", ".", "COL", "col", "S/N", "s", "n", "/", "DEPTO", "Ó",
                "ó", "a", "z", "A", "Z", "@", "[", "`", "{", "-", "0", "9", "CALLE",
                "BOULEVARD", "MZ", "LT", "Cjón", "\u{0}", "\u{7f}",
            ]), 1..6),
        ) {
            let token: String = parts.concat();
            let groups = mx_address();
            let d = Dictionary::compile(&groups).unwrap();
            let mut reference = std::collections::HashMap::new();
            let mut key = String::new();
            for (g, group) in groups.iter().enumerate() {
                for (v, forms) in [&group.full, &group.short].into_iter().enumerate() {
                    for form in forms {
                        fold_token_into(form, &mut key);
                        reference.insert(key.clone(), (g as u16, v as u8));
                    }
                }
            }
            fold_token_into(&token, &mut key);
            let expected = reference.get(&key).copied();
            proptest::prop_assert_eq!(d.lookup(&token, &mut String::new()), expected);
            if let Some(packed) = pack_plain(token.as_bytes()) {
                proptest::prop_assert_eq!(Some(packed), pack(key.as_bytes()));
            }
        }
    }

    #[test]
    fn a_spelling_with_a_nul_is_refused() {
        let groups = [g(&["CALLE\0"], &["C."], TokenPlace::First)];
        let e = Dictionary::compile(&groups).unwrap_err();
        assert!(e.to_string().contains("NUL"), "{e}");
    }

    #[test]
    fn builtin_compiles_without_ambiguity() {
        let d = Dictionary::compile(&mx_address()).unwrap();
        let s = &mut String::new();
        assert_eq!(d.lookup("AV", s), d.lookup("Ave.", s));
        assert_eq!(d.lookup("av.", s).unwrap().1, 1);
        assert_eq!(d.lookup("AVENIDA", s).unwrap().1, 0);
        assert_eq!(d.lookup("S/N", s).unwrap().1, 0);
        assert_eq!(d.lookup("SN", s).unwrap().1, 1);
        assert_eq!(d.lookup("Cjón.", s), d.lookup("CJON", s));
        assert!(d.lookup("CJON", s).is_some());
        assert!(d.lookup("REFORMA", s).is_none());
        assert!(d.lookup("CIRCUNVALACIONES-Y-MAS", s).is_none());
        for word in ["AV.", "av", "S/N", "Sn", "C.", "Mz", "Ñ", "CJÓN."] {
            assert!(d.may_match(word.as_bytes()), "{word}");
        }
        for word in ["HIDALGO", "ZAMUDIO", "XOLA", "12", "GUTIERREZ"] {
            assert!(!d.may_match(word.as_bytes()), "{word}");
        }
    }

    #[test]
    fn ambiguous_group_is_refused() {
        let groups = vec![g(&["AV."], &["AV"], TokenPlace::First)];
        assert!(Dictionary::compile(&groups).is_err());
    }
}

#[cfg(test)]
mod job_dictionaries {
    use super::*;

    #[test]
    fn job_and_degree_dictionaries_compile_and_read_both_spellings() {
        let s = &mut String::new();
        let jobs = Dictionary::compile(&mx_jobs()).unwrap();
        assert_eq!(jobs.lookup("AUX.", s).map(|x| x.1), Some(1));
        assert_eq!(jobs.lookup("Auxiliar", s).map(|x| x.1), Some(0));
        assert_eq!(jobs.lookup("ADMVO", s), jobs.lookup("admvo.", s));
        assert_ne!(
            jobs.lookup("ADMVO.", s).map(|x| x.0),
            jobs.lookup("ADMVA.", s).map(|x| x.0)
        );
        // Gendered or ambiguous short forms are not read at all.
        for word in ["ING.", "LIC.", "ENF.", "SUP.", "COORD.", "DIR.", "MED."] {
            assert!(jobs.lookup(word, s).is_none(), "{word}");
        }
        let degrees = Dictionary::compile(&mx_degrees()).unwrap();
        assert_eq!(degrees.lookup("LIC.", s).map(|x| x.1), Some(1));
        assert_eq!(degrees.lookup("LICENCIATURA", s).map(|x| x.1), Some(0));
        assert_eq!(
            degrees.lookup("ING", s),
            degrees.lookup("INGENIERIA", s).map(|(g, _)| (g, 1))
        );
        // Every built-in dictionary also compiles with the address one's
        // policy-wide extra variants absent, and no spelling of it is
        // longer than a lookup key.
        for name in ["mx-address", "mx-jobs", "mx-degrees"] {
            let groups = builtin(name).unwrap();
            assert!(!groups.is_empty());
            Dictionary::compile(&groups).unwrap();
        }
    }
}

#[cfg(test)]
mod job_capacity {
    use super::*;
    use crate::carrier::{Carrier, Slot};
    use watermark_synth::{JobSeekers, StaffRoster, JOB_SEEKERS_HEADERS, STAFF_ROSTER_HEADERS};

    /// Mean slots per row of a column under a dictionary, over `rows`.
    fn slots_per_row(rows: &[Vec<String>], column: usize, groups: Vec<VariantGroup>) -> f64 {
        let carrier = Carrier::Variants(Box::new(Dictionary::compile(&groups).unwrap()));
        let (mut scratch, mut out) = (String::new(), Vec::<Slot>::new());
        let mut total = 0usize;
        for row in rows {
            carrier.slots(&row[column], &mut scratch, &mut out);
            // A dotted short form carries its dot too.
            total += out.len() + out.iter().filter(|s| s.dot.is_some()).count();
        }
        total as f64 / rows.len() as f64
    }

    /// The capacity `docs/robustness.md` reports for the job-portal and
    /// staff-roster carriers, measured on 20,000 generated rows each.
    #[test]
    fn titles_degrees_and_histories_carry_marks() {
        let col = |h: &[&str], name: &str| h.iter().position(|c| *c == name).unwrap();
        let seekers: Vec<_> = JobSeekers::new(7).take(20_000).collect();
        let h = JOB_SEEKERS_HEADERS;
        let titulo = slots_per_row(&seekers, col(h, "TITULO"), mx_degrees());
        let puesto = slots_per_row(&seekers, col(h, "PUESTO_SOLICITADO"), mx_jobs());
        let historia = slots_per_row(&seekers, col(h, "EXPERIENCIA"), mx_jobs());
        let staff: Vec<_> = StaffRoster::new(7).take(20_000).collect();
        let position = slots_per_row(&staff, col(STAFF_ROSTER_HEADERS, "PUESTO"), mx_jobs());
        let measured = format!(
            "slots per row: TITULO {titulo:.2}, PUESTO_SOLICITADO {puesto:.2}, \
             EXPERIENCIA {historia:.2}, staff PUESTO {position:.2}"
        );
        // The figures of the dictionaries' documentation, to two places.
        let near = |got: f64, want: f64| (got - want).abs() < 0.05;
        assert!(
            near(titulo, 0.70)
                && near(puesto, 0.57)
                && near(historia, 1.04)
                && near(position, 0.93),
            "{measured}"
        );
    }
}
