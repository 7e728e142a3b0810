//! Inferring a policy from a sample of an extract.
//!
//! Columns are recognised by their content, whatever their headers say: CURP
//! by its check digit, clave de elector by its structure, NSS by its Luhn
//! digit; address-like columns by how often their cells hold a word of the
//! address dictionary; amounts by their two decimal places.

use std::fmt::Write as _;
use std::io::{BufReader, Read};

use serde::Serialize;

use crate::carrier::Carrier;
use crate::csv_io::sniff;
use crate::dictionary::{mx_address, Dictionary};
use crate::error::{from_csv, Error, ErrorKind, Result};
use crate::ids;
use crate::policy::{CarrierKind, CarrierSpec, CodeParams, Policy, DEFAULT_THRESHOLD};

/// What a column was taken for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// Identifies rows; never modified.
    Identity,
    /// Carries marks in equivalent spellings.
    Variants,
    /// Carries marks in its last decimal place.
    Numeric,
    /// Copied as it is.
    Unmarked,
}

/// One column's role and why.
#[derive(Clone, Debug, Serialize)]
pub struct ColumnRole {
    /// The column's header.
    pub column: String,
    /// What it was taken for.
    pub role: Role,
    /// Why, in words.
    pub reason: String,
}

/// A suggested policy and the reasoning behind it.
#[derive(Clone, Debug, Serialize)]
pub struct Suggestion {
    /// The policy.
    pub policy: Policy,
    /// Every column's role.
    pub columns: Vec<ColumnRole>,
    /// Data rows examined.
    pub rows_examined: usize,
}

fn share(values: &[&str], mut pred: impl FnMut(&str) -> bool) -> f64 {
    let non_empty: Vec<&&str> = values.iter().filter(|v| !v.trim().is_empty()).collect();
    if non_empty.is_empty() {
        return 0.0;
    }
    non_empty.iter().filter(|v| pred(v.trim())).count() as f64 / non_empty.len() as f64
}

fn is_amount(v: &str) -> bool {
    let v = v.strip_prefix('$').unwrap_or(v).replace(',', "");
    let Some((int, frac)) = v.split_once('.') else {
        return false;
    };
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.len() == 2
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// Suggests a policy from a header and sample rows. `identity` overrides the
/// identity columns; otherwise CURP is preferred, then clave de elector, then
/// NSS.
pub fn suggest_policy(
    header: &[String],
    rows: &[Vec<String>],
    identity: Option<&[String]>,
) -> Result<Suggestion> {
    let column = |i: usize| -> Vec<&str> {
        rows.iter()
            .map(|r| r.get(i).map(String::as_str).unwrap_or(""))
            .collect()
    };
    let mut roles: Vec<ColumnRole> = header
        .iter()
        .map(|h| ColumnRole {
            column: h.clone(),
            role: Role::Unmarked,
            reason: "no carrier found in its values".into(),
        })
        .collect();

    let identity_cols: Vec<usize> = match identity {
        Some(names) => names
            .iter()
            .map(|n| {
                header
                    .iter()
                    .position(|h| crate::fold(h) == crate::fold(n))
                    .ok_or_else(|| {
                        Error::from(ErrorKind::MissingColumn {
                            column: n.clone(),
                            role: "identity",
                            available: header.join(", "),
                        })
                    })
            })
            .collect::<Result<_>>()?,
        None => {
            type Recogniser = (&'static str, fn(&str) -> bool);
            let kinds: [Recogniser; 3] = [
                ("CURP (valid check digit)", |v| {
                    ids::is_valid_curp(&v.to_uppercase())
                }),
                ("clave de elector (valid structure)", |v| {
                    ids::is_valid_clave_elector(&v.to_uppercase())
                }),
                ("NSS (valid check digit)", ids::is_valid_nss),
            ];
            let mut found = None;
            'kinds: for (name, pred) in kinds {
                for (i, role) in roles.iter_mut().enumerate() {
                    let s = share(&column(i), pred);
                    if s >= 0.9 {
                        role.reason = format!("{:.0}% of values are a {name}", s * 100.0);
                        found = Some(i);
                        break 'kinds;
                    }
                }
            }
            match found {
                Some(i) => vec![i],
                None => {
                    return Err(Error::policy(
                        "no identifier column found (CURP, clave de elector or NSS); name the identity columns explicitly",
                    ))
                }
            }
        }
    };
    for &i in &identity_cols {
        roles[i].role = Role::Identity;
        if identity.is_some() {
            roles[i].reason = "named as identity".into();
        }
    }

    let dict = Carrier::Variants(Box::new(Dictionary::compile(&mx_address())?));
    let mut carriers = Vec::new();
    let mut scratch = String::new();
    let mut slots = Vec::new();
    for i in 0..header.len() {
        if identity_cols.contains(&i) {
            continue;
        }
        let values = column(i);
        let with_slot = share(&values, |v| {
            dict.slots(v, &mut scratch, &mut slots);
            !slots.is_empty()
        });
        let amounts = share(&values, is_amount);
        if amounts >= 0.9 {
            roles[i].role = Role::Numeric;
            roles[i].reason = format!("{:.0}% of values are amounts with two decimals; may move by one unit of the last place", amounts * 100.0);
            carriers.push(CarrierSpec {
                column: header[i].clone(),
                kind: CarrierKind::Numeric,
                dictionary: None,
                decimals: Some(2),
            });
        } else if with_slot >= 0.1 {
            roles[i].role = Role::Variants;
            roles[i].reason = format!(
                "{:.0}% of values hold an address word with an equivalent spelling",
                with_slot * 100.0
            );
            carriers.push(CarrierSpec {
                column: header[i].clone(),
                kind: CarrierKind::Variants,
                dictionary: Some("mx-address".into()),
                decimals: None,
            });
        }
    }
    if carriers.is_empty() {
        return Err(Error::policy(
            "no column can carry marks: no address words with equivalent spellings and no amounts with cents",
        ));
    }
    let policy = Policy {
        version: 1,
        identity: identity_cols.iter().map(|&i| header[i].clone()).collect(),
        threshold: DEFAULT_THRESHOLD,
        code: CodeParams::default(),
        carriers,
        extra_variants: Vec::new(),
        canaries: None,
    };
    policy.validate()?;
    Ok(Suggestion {
        policy,
        columns: roles,
        rows_examined: rows.len(),
    })
}

/// Reads up to `max_rows` rows of a CSV extract and suggests a policy.
pub fn suggest_from_csv<R: Read>(
    input: R,
    max_rows: usize,
    identity: Option<&[String]>,
) -> Result<Suggestion> {
    let mut input = BufReader::new(input);
    let dialect = sniff(&mut input)?;
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(dialect.delimiter)
        .from_reader(input);
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| from_csv(e, None))?
        .iter()
        .map(|h| h.trim_start_matches('\u{FEFF}').to_string())
        .collect();
    if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
        return Err(ErrorKind::EmptyInput.into());
    }
    let mut rows = Vec::new();
    for rec in rdr.records().take(max_rows) {
        let rec = rec.map_err(|e| from_csv(e, Some(header.len())))?;
        rows.push(rec.iter().map(str::to_string).collect());
    }
    suggest_policy(&header, &rows, identity)
}

impl Suggestion {
    /// The policy as TOML, with a comment for every column.
    pub fn to_commented_toml(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# Policy suggested from {} rows. Review it before issuing copies:",
            self.rows_examined
        );
        let _ = writeln!(out, "# copies made under it can only be verified with it.");
        for c in &self.columns {
            let role = match c.role {
                Role::Identity => "identity",
                Role::Variants => "carrier (variant spellings)",
                Role::Numeric => "carrier (last decimal place)",
                Role::Unmarked => "unmarked",
            };
            let _ = writeln!(out, "#   {:<20} {role}: {}", c.column, c.reason);
        }
        out.push('\n');
        out.push_str(&self.policy.to_toml());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn recognises_columns_by_content_not_name() {
        let header = s(&["A", "B", "C", "D"]);
        let rows = vec![
            s(&["BAKZ770628MHGRKZ06", "AV. REFORMA", "6353.93", "ZUSEJ"]),
            s(&["GINB650902HCMLNB21", "CALLE 5", "120.00", "PEDRO"]),
            s(&["SXMZ990812MCHDMZ06", "PRIV. X", "1.50", "ANA"]),
        ];
        let sug = suggest_policy(&header, &rows, None).unwrap();
        assert_eq!(sug.policy.identity, ["A"]);
        let kinds: Vec<_> = sug
            .policy
            .carriers
            .iter()
            .map(|c| (c.column.as_str(), c.kind))
            .collect();
        assert_eq!(
            kinds,
            [("B", CarrierKind::Variants), ("C", CarrierKind::Numeric)]
        );
        assert!(Policy::from_toml(&sug.to_commented_toml()).is_ok());
    }

    #[test]
    fn identity_can_be_named_and_must_exist() {
        let header = s(&["NSS", "MONTO"]);
        let rows = vec![s(&["59056074814", "13147.55"])];
        let sug = suggest_policy(&header, &rows, Some(&s(&["nss"]))).unwrap();
        assert_eq!(sug.policy.identity, ["NSS"]);
        assert!(suggest_policy(&header, &rows, Some(&s(&["CURP"]))).is_err());
    }
}
