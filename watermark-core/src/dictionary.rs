//! Variant-token dictionaries: pairs of spellings that mean the same thing.
//!
//! Each group has two variants. Variant 0 is the full word, variant 1 the
//! abbreviation; each variant has a canonical spelling (written when marking)
//! and may have aliases (read, and left as they are when they already carry
//! the wanted variant). The built-in `mx-address` dictionary is the road-type
//! and address vocabulary of Mexican addresses.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::normalize::fold_token_into;

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

/// A compiled dictionary: folded spelling → (group, variant).
#[derive(Debug, Clone)]
pub(crate) struct Dictionary {
    lookup: HashMap<String, (u16, u8)>,
    /// Canonical spellings per group: [full, short].
    canonical: Vec<[String; 2]>,
    place: Vec<TokenPlace>,
    /// Longest folded spelling, to skip long tokens cheaply.
    max_len: usize,
}

impl Dictionary {
    pub(crate) fn compile(groups: &[VariantGroup]) -> Result<Dictionary> {
        let mut lookup = HashMap::new();
        let mut canonical = Vec::new();
        let mut place = Vec::new();
        let mut max_len = 0;
        let mut key = String::new();
        for (gi, group) in groups.iter().enumerate() {
            let gi = u16::try_from(gi).map_err(|_| Error::policy("too many variant groups"))?;
            let mut canon: [String; 2] = Default::default();
            for (vi, forms) in [&group.full, &group.short].into_iter().enumerate() {
                let first = forms.first().ok_or_else(|| {
                    Error::policy(format!(
                        "variant group {:?}/{:?} has an empty list of spellings",
                        group.full, group.short
                    ))
                })?;
                canon[vi] = first.to_uppercase();
                for form in forms {
                    fold_token_into(form, &mut key);
                    if key.is_empty() || key.contains(char::is_whitespace) {
                        return Err(Error::policy(format!(
                            "variant spelling {form:?} must be one word"
                        )));
                    }
                    match lookup.insert(key.clone(), (gi, vi as u8)) {
                        Some((og, ov)) if (og, ov) != (gi, vi as u8) => {
                            return Err(Error::policy(format!(
                                "spelling {form:?} is in two variant groups or both variants of one"
                            )))
                        }
                        _ => {}
                    }
                    max_len = max_len.max(key.len());
                }
            }
            canonical.push(canon);
            place.push(group.place);
        }
        Ok(Dictionary {
            lookup,
            canonical,
            place,
            max_len,
        })
    }

    /// The (group, variant) a folded token reads as.
    #[inline]
    pub(crate) fn lookup(&self, folded: &str) -> Option<(u16, u8)> {
        if folded.len() > self.max_len {
            return None;
        }
        self.lookup.get(folded).copied()
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

/// Looks up a built-in dictionary by name.
pub(crate) fn builtin(name: &str) -> Option<Vec<VariantGroup>> {
    match name {
        "mx-address" => Some(mx_address()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_compiles_without_ambiguity() {
        let d = Dictionary::compile(&mx_address()).unwrap();
        assert_eq!(d.lookup("AV"), d.lookup("AVE"));
        assert_eq!(d.lookup("AV").unwrap().1, 1);
        assert_eq!(d.lookup("AVENIDA").unwrap().1, 0);
        assert_eq!(d.lookup("S/N").unwrap().1, 0);
        assert_eq!(d.lookup("SN").unwrap().1, 1);
        assert!(d.lookup("REFORMA").is_none());
    }

    #[test]
    fn ambiguous_group_is_refused() {
        let groups = vec![g(&["AV."], &["AV"], TokenPlace::First)];
        assert!(Dictionary::compile(&groups).is_err());
    }
}
