//! Policies: which columns identify a row, which carry marks, and the code's
//! parameters. A policy is a TOML file; its digest is recorded with every
//! issuance so verification uses exactly the policy a copy was made with.

use serde::{Deserialize, Serialize};

use crate::dictionary::{self, VariantGroup};
use crate::error::{Error, Result};
use watermark_text::{said, Msg, Said};

/// The first line of what a policy digest hashes: names the encoding, so a
/// later one cannot give a v1 digest.
const DIGEST_DOMAIN: &str = "watermark policy digest v1\n";

/// JSON with object keys sorted by their bytes and no whitespace, whatever
/// order the value's maps keep.
fn write_canonical_json(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical_json(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical_json(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The default false-accusation threshold: accuse only when the chance that an
/// innocent recipient scores as high is at most this.
pub const DEFAULT_THRESHOLD: f64 = 1e-9;

/// The share of canary rows `policy suggest` puts in each copy.
pub const DEFAULT_CANARY_RATE: f64 = 0.01;

/// A marking policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Format version; currently 1.
    pub version: u32,
    /// The columns whose values identify a row. Never modified. Several columns
    /// form a composite identity (for lists with no identifier column).
    pub identity: Vec<String>,
    /// Accuse only when the false-accusation bound is at most this.
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    /// Parameters of the fingerprinting code.
    #[serde(default)]
    pub code: CodeParams,
    /// Columns that carry marks, and how.
    #[serde(default, rename = "carrier")]
    pub carriers: Vec<CarrierSpec>,
    /// Extra variant groups, added to every variant carrier's dictionary.
    #[serde(default, rename = "variants", skip_serializing_if = "Vec::is_empty")]
    pub extra_variants: Vec<VariantGroup>,
    /// Canary rows: synthetic people added to each copy (see [`Canaries`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canaries: Option<Canaries>,
}

/// Canary rows: synthetic records built from the extract's own rows, each a
/// position of the code, present in a recipient's copy iff the recipient's
/// bit there is 1. They survive normalisation of every cell and work on lists
/// that have no cell that may change.
///
/// The column roles say how a canary is made: its names, sex and birth date
/// are drawn from real rows (given names with their sex), its identifiers
/// are built from them by the registry's rules, and every other column
/// (address, section, district) is drawn from real rows, column groups that
/// real rows tie together drawn together. At least one name role is
/// required.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Canaries {
    /// The expected share of canary rows in each copy (0.01: about one row in
    /// a hundred). The canary list holds about three times as many: each
    /// canary is in a copy with its bias, at most 1/2 and 0.32 on average
    /// at the default cutoff.
    pub rate: f64,
    /// Given names (`NOMBRE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_names: Option<String>,
    /// First (paternal) surname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_surname: Option<String>,
    /// Second (maternal) surname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_surname: Option<String>,
    /// One column with the whole name, given names first
    /// (`MARIA GUADALUPE HERNANDEZ LOPEZ`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// Sex, `H` or `M`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    /// Birth date, in the extract's own format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// CURP, built from the canary's names, birth date, sex and birth state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curp: Option<String>,
    /// Clave de elector, built likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clave_elector: Option<String>,
    /// IMSS NSS, built with a valid check digit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nss: Option<String>,
    /// E-mail address, built from the canary's own names in the shapes the
    /// column's addresses take (`nombre.apellido87`, initials and a year),
    /// at a domain drawn as the column's are (or from `contact_domains`),
    /// and absent from the extract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Telephone number, with an area code of the canary's place (or a
    /// block of `phone_prefixes`), new subscriber digits absent from the
    /// column, written as a real row of the column writes its number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Unique codes the registry issues (staff numbers, contract numbers
    /// such as `B-09-2014-004512`): each part that repeats another column
    /// (the hiring kind, the delegation, the year of a date) is taken from
    /// the canary's own columns, the serial digits are new, and the code is
    /// absent from the extract.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<String>,
    /// Mail domains the registry controls, for canaries' e-mail addresses
    /// instead of the column's own domains: a message to a canary then
    /// reaches the registry, but a domain few real rows have is easier to
    /// spot.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contact_domains: Vec<String>,
    /// Leading digits of number blocks the registry holds (`"5550"`), for
    /// canaries' telephone numbers instead of an area code of their place:
    /// a call reaches the registry, but the block is easier to spot.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phone_prefixes: Vec<String>,
}

impl Canaries {
    /// Every `(role, column)` the policy names, in a fixed order.
    pub fn roles(&self) -> Vec<(&'static str, &str)> {
        [
            ("given_names", &self.given_names),
            ("first_surname", &self.first_surname),
            ("second_surname", &self.second_surname),
            ("full_name", &self.full_name),
            ("sex", &self.sex),
            ("birth_date", &self.birth_date),
            ("curp", &self.curp),
            ("clave_elector", &self.clave_elector),
            ("nss", &self.nss),
            ("email", &self.email),
            ("phone", &self.phone),
        ]
        .into_iter()
        .filter_map(|(role, c)| c.as_deref().map(|c| (role, c)))
        .chain(self.codes.iter().map(|c| ("codes", c.as_str())))
        .collect()
    }
}

fn default_threshold() -> f64 {
    DEFAULT_THRESHOLD
}

/// Parameters of the Tardos code and of the scores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CodeParams {
    /// Bias cutoff `t`: each position's bias is drawn from the arcsine density
    /// restricted to `[t, 1-t]`. Smaller values resist larger coalitions;
    /// larger values name a single leaker from fewer rows.
    pub cutoff: f64,
    /// Share of carrier slots that are marked (the rest keep the original).
    pub active_fraction: f64,
    /// Share of positions the single-leaker score expects a leaker's edits to
    /// have changed. Only affects power, never the bound.
    pub flip_rate: f64,
}

impl Default for CodeParams {
    fn default() -> Self {
        CodeParams {
            // Measured in docs/robustness.md: 0.15 names a lone leaker from 50
            // rows after 30% of carrier cells are altered, and keeps coalitions
            // of 2 and 3 named from 1,000 rows.
            cutoff: 0.15,
            active_fraction: 1.0,
            flip_rate: 0.1,
        }
    }
}

/// How a carrier column is marked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum CarrierKind {
    /// Tokens with equivalent spellings (AVENIDA / AV.).
    Variants,
    /// The last decimal place of a number moves by at most one unit.
    Numeric,
    /// A telephone number's digit groups are separated by spaces or by
    /// hyphens (`55 1234 5678` / `55-1234-5678`); the digits never change.
    Phone,
}

/// A carrier column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarrierSpec {
    /// The column's name.
    pub column: String,
    /// How it carries marks.
    pub kind: CarrierKind,
    /// For `variants`: the built-in dictionary, `mx-address` (the default),
    /// `mx-jobs` or `mx-degrees`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dictionary: Option<String>,
    /// For `numeric`: decimal places of the unit that may move (2: one centavo).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u8>,
}

impl Policy {
    /// Parses and validates a policy from TOML.
    pub fn from_toml(text: &str) -> Result<Policy> {
        let policy: Policy =
            toml::from_str(text).map_err(|e| Error::policy(said!(Msg::RfVerbatim, e)))?;
        policy.validate()?;
        Ok(policy)
    }

    /// The policy as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("policy serialises")
    }

    /// A digest of the policy's meaning (not of its formatting, nor of the
    /// order its fields are declared in), recorded with every issuance:
    /// the first 128 bits, in hex, of BLAKE3 over the line
    /// `watermark policy digest v1` and its newline, then the policy's JSON
    /// with every object's keys in byte order and no spaces (numbers as
    /// their shortest round-trip decimals). Fields left at a value that is
    /// not written (no canaries, no extra variants) are absent.
    pub fn digest(&self) -> String {
        let value = serde_json::to_value(self).expect("policy serialises");
        let mut canonical = String::from(DIGEST_DOMAIN);
        write_canonical_json(&value, &mut canonical);
        blake3::hash(canonical.as_bytes()).to_hex()[..32].to_string()
    }

    /// Checks the policy for mistakes a user can make.
    pub fn validate(&self) -> Result<()> {
        if self.version != 1 {
            return Err(Error::policy(said!(Msg::PoVersion, self.version)));
        }
        if self.identity.is_empty() {
            return Err(Error::policy(Said::new(Msg::PoNoIdentity)));
        }
        if !(self.threshold > 0.0 && self.threshold < 1.0) {
            return Err(Error::policy(Said::new(Msg::PoThreshold)));
        }
        let c = &self.code;
        if !(c.cutoff > 0.0 && c.cutoff < 0.5) {
            return Err(Error::policy(Said::new(Msg::PoCutoff)));
        }
        if !(c.active_fraction > 0.0 && c.active_fraction <= 1.0) {
            return Err(Error::policy(Said::new(Msg::PoActiveFraction)));
        }
        if !(c.flip_rate > 0.0 && c.flip_rate < 0.5) {
            return Err(Error::policy(Said::new(Msg::PoFlipRate)));
        }
        let mut seen = std::collections::HashSet::new();
        for carrier in &self.carriers {
            let folded = crate::normalize::fold(&carrier.column);
            if self
                .identity
                .iter()
                .any(|i| crate::normalize::fold(i) == folded)
            {
                return Err(Error::policy(said!(
                    Msg::PoIdentityCarrier,
                    format!("{:?}", carrier.column)
                )));
            }
            if !seen.insert(folded) {
                return Err(Error::policy(said!(
                    Msg::PoTwoCarriers,
                    format!("{:?}", carrier.column)
                )));
            }
            match carrier.kind {
                CarrierKind::Variants => {
                    let name = carrier.dictionary.as_deref().unwrap_or("mx-address");
                    if dictionary::builtin(name).is_none() {
                        return Err(Error::policy(said!(
                            Msg::PoUnknownDictionary,
                            format!("{name:?}"),
                            format!("{:?}", carrier.column)
                        )));
                    }
                    if carrier.decimals.is_some() {
                        return Err(Error::policy(said!(
                            Msg::PoDecimalsNotNumeric,
                            format!("{:?}", carrier.column)
                        )));
                    }
                }
                CarrierKind::Numeric => match carrier.decimals {
                    Some(0..=6) => {}
                    _ => {
                        return Err(Error::policy(said!(
                            Msg::PoDecimalsRange,
                            format!("{:?}", carrier.column)
                        )))
                    }
                },
                CarrierKind::Phone => {
                    if carrier.decimals.is_some() || carrier.dictionary.is_some() {
                        return Err(Error::policy(said!(
                            Msg::PoPhoneOptions,
                            format!("{:?}", carrier.column)
                        )));
                    }
                }
            }
        }
        if let Some(c) = &self.canaries {
            if !(c.rate > 0.0 && c.rate <= 0.2) {
                return Err(Error::policy(Said::new(Msg::PoCanaryRate)));
            }
            if c.given_names.is_none() && c.full_name.is_none() {
                return Err(Error::policy(Said::new(Msg::PoCanaryNames)));
            }
            let mut seen = std::collections::HashSet::new();
            for (role, column) in c.roles() {
                let folded = crate::normalize::fold(column);
                if !seen.insert(folded.clone()) {
                    return Err(Error::policy(said!(
                        Msg::PoTwoCanaryRoles,
                        format!("{column:?}"),
                        role
                    )));
                }
                // A canary's telephone number is built, then marked like
                // any row's by the separators its copy gives it.
                if self.carriers.iter().any(|k| {
                    crate::normalize::fold(&k.column) == folded
                        && !(role == "phone" && k.kind == CarrierKind::Phone)
                }) {
                    return Err(Error::policy(said!(
                        Msg::PoCarrierAndCanary,
                        format!("{column:?}"),
                        role
                    )));
                }
            }
        }
        if let Some(c) = &self.canaries {
            if !c.contact_domains.is_empty() && c.email.is_none() {
                return Err(Error::policy(Said::new(Msg::PoDomainsNeedEmail)));
            }
            if let Some(d) = c.contact_domains.iter().find(|d| {
                d.contains('@')
                    || !d.contains('.')
                    || d.starts_with('.')
                    || d.ends_with('.')
                    || d.contains(char::is_whitespace)
            }) {
                return Err(Error::policy(said!(Msg::PoNotADomain, format!("{d:?}"))));
            }
            if !c.phone_prefixes.is_empty() && c.phone.is_none() {
                return Err(Error::policy(Said::new(Msg::PoPrefixesNeedPhone)));
            }
            if let Some(p) = c
                .phone_prefixes
                .iter()
                .find(|p| !(2..=8).contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(Error::policy(said!(Msg::PoNotAPrefix, format!("{p:?}"))));
            }
        }
        if self.carriers.is_empty() && self.canaries.is_none() {
            return Err(Error::policy(Said::new(Msg::PoNothingMarked)));
        }
        // Compile the dictionaries once to catch ambiguous extra variants.
        for carrier in &self.carriers {
            if carrier.kind == CarrierKind::Variants {
                let mut groups =
                    dictionary::builtin(carrier.dictionary.as_deref().unwrap_or("mx-address"))
                        .unwrap_or_default();
                groups.extend(self.extra_variants.iter().cloned());
                crate::dictionary::Dictionary::compile(&groups)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLL: &str = r#"
version = 1
identity = ["CURP"]

[[carrier]]
column = "CALLE"
kind = "variants"

[[carrier]]
column = "MONTO"
kind = "numeric"
decimals = 2
"#;

    #[test]
    fn parses_and_round_trips() {
        let p = Policy::from_toml(ROLL).unwrap();
        assert_eq!(p.threshold, DEFAULT_THRESHOLD);
        assert_eq!(p.carriers.len(), 2);
        let back = Policy::from_toml(&p.to_toml()).unwrap();
        assert_eq!(back, p);
        assert_eq!(back.digest(), p.digest());
    }

    #[test]
    fn the_digest_is_of_sorted_keys_under_a_versioned_domain() {
        let a: serde_json::Value =
            serde_json::from_str(r#"{"b":[1,{"z":0.1,"a":"x"}],"a":true}"#).unwrap();
        let b: serde_json::Value =
            serde_json::from_str(r#"{"a":true,"b":[1,{"a":"x","z":0.1}]}"#).unwrap();
        let (mut sa, mut sb) = (String::new(), String::new());
        write_canonical_json(&a, &mut sa);
        write_canonical_json(&b, &mut sb);
        assert_eq!(sa, r#"{"a":true,"b":[1,{"a":"x","z":0.1}]}"#);
        assert_eq!(sa, sb);
        // Pinned: a change to the encoding changes every digest, and so
        // every copy's entry; it needs a new scheme version.
        let p = Policy::from_toml(ROLL).unwrap();
        let mut text = String::from(DIGEST_DOMAIN);
        write_canonical_json(&serde_json::to_value(&p).unwrap(), &mut text);
        assert_eq!(
            p.digest(),
            blake3::hash(text.as_bytes()).to_hex()[..32].to_string()
        );
        assert_eq!(p.digest(), POLICY_DIGEST_V1);
    }

    /// The digest of `ROLL` under the v1 encoding.
    const POLICY_DIGEST_V1: &str = "2aa821460b2249022aa30a7a7f3857d7";

    #[test]
    fn rejects_mistakes() {
        let bad = ROLL.replace("\"CALLE\"", "\"CURP\"");
        assert!(Policy::from_toml(&bad)
            .unwrap_err()
            .to_string()
            .contains("identity column"));
        let bad = ROLL.replace("decimals = 2", "");
        assert!(Policy::from_toml(&bad).is_err());
        let bad = ROLL.replace("version = 1", "version = 7");
        assert!(Policy::from_toml(&bad).is_err());
        let bad = format!("{ROLL}\nsurprise = 1\n");
        assert!(Policy::from_toml(&bad).is_err());
    }
}
