//! A policy compiled under a key: what both embedding and detection share.

/// The version of the scheme this build marks copies with: the anchor, the
/// code's layout, the carriers, the canaries and the policy digest, as
/// pinned by the known-answer tests. Every log entry records it.
pub const SCHEME_VERSION: u32 = 1;

/// The scheme versions this build can verify: every one it ever issued.
pub const KNOWN_SCHEMES: &[u32] = &[1];

use crate::carrier::{Carrier, Slot};
use crate::code::{anchor, Anchor, Code, Position, RowHeads};
use crate::dictionary::{self, Dictionary};
use crate::error::{Error, ErrorKind, Result};
use watermark_text::{said, Msg};

use crate::key::{MasterKey, Subkeys};
use crate::normalize::{fold, identity_into};
use crate::policy::{CarrierKind, Policy};

/// A recipient of a copy: an id and the code slot it holds. A slot belongs to
/// one recipient for ever; the issuance record assigns them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Recipient {
    /// The recipient's id (also the copy's file name).
    pub id: String,
    /// The recipient's slot in the code.
    pub slot: u32,
}

impl Recipient {
    /// A recipient, checking that the id is safe as a file name.
    pub fn new(id: impl Into<String>, slot: u32) -> Result<Recipient> {
        let id = id.into();
        validate_recipient_id(&id)?;
        Ok(Recipient { id, slot })
    }
}

/// Checks that a recipient id is 1-64 characters of `A-Z a-z 0-9 . _ -`,
/// starting with a letter or digit, and not a name Windows reserves for a
/// device (`CON`, `NUL`, `COM1`, … with any extension, in any case), so it
/// is safe as a file name everywhere.
pub fn validate_recipient_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.as_bytes()[0].is_ascii_alphanumeric()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && !is_reserved_device_name(id);
    if ok {
        Ok(())
    } else {
        Err(ErrorKind::InvalidRecipient(id.to_string()).into())
    }
}

/// A registry identifier that a policy's identity column holds, read by its
/// structure (see [`crate::ids`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IdentifierKind {
    /// Clave Única de Registro de Población.
    Curp,
    /// The electoral institute's clave de elector.
    ClaveElector,
    /// The social-security institute's número de seguridad social.
    Nss,
}

impl IdentifierKind {
    /// The identifier's usual name.
    pub fn name(self) -> &'static str {
        match self {
            IdentifierKind::Curp => "CURP",
            IdentifierKind::ClaveElector => "clave de elector",
            IdentifierKind::Nss => "NSS",
        }
    }

    /// Whether a canonical identity value is a valid identifier of this kind.
    pub(crate) fn accepts(self, canonical: &str) -> bool {
        match self {
            IdentifierKind::Curp => crate::ids::is_valid_curp(canonical),
            IdentifierKind::ClaveElector => crate::ids::is_valid_clave_elector(canonical),
            IdentifierKind::Nss => crate::ids::is_valid_nss(canonical),
        }
    }

    /// The kind of the policy's single identity column: the canary role
    /// that names the same column, else its name.
    fn of_policy(policy: &Policy) -> Option<IdentifierKind> {
        let [column] = policy.identity.as_slice() else {
            return None;
        };
        let column = fold(column);
        let by_role = policy.canaries.as_ref().and_then(|c| {
            c.roles()
                .into_iter()
                .find(|(_, name)| fold(name) == column)
                .and_then(|(role, _)| match role {
                    "curp" => Some(IdentifierKind::Curp),
                    "clave_elector" => Some(IdentifierKind::ClaveElector),
                    "nss" => Some(IdentifierKind::Nss),
                    _ => None,
                })
        });
        by_role.or_else(|| {
            if column.contains("CURP") {
                Some(IdentifierKind::Curp)
            } else if column.contains("CLAVE") && column.contains("ELECTOR") {
                Some(IdentifierKind::ClaveElector)
            } else if column
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == "NSS")
            {
                Some(IdentifierKind::Nss)
            } else {
                None
            }
        })
    }
}

/// Whether a file named `id` would open a device on Windows: the part
/// before the first dot is CON, PRN, AUX, NUL, COM1-9 or LPT1-9.
fn is_reserved_device_name(id: &str) -> bool {
    let stem = id.split('.').next().unwrap_or(id).to_ascii_uppercase();
    matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && matches!(stem.as_bytes()[3], b'1'..=b'9'))
}

pub(crate) struct CarrierColumn {
    pub(crate) name: String,
    folded: String,
    pub(crate) carrier: Carrier,
}

/// A policy compiled under a master key.
pub(crate) struct Scheme {
    pub(crate) keys: Subkeys,
    pub(crate) policy: Policy,
    pub(crate) code: Code,
    identity_folded: Vec<String>,
    /// The registry identifier the identity column holds, if it is one.
    pub(crate) identifier: Option<IdentifierKind>,
    pub(crate) carriers: Vec<CarrierColumn>,
}

impl std::fmt::Debug for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheme")
            .field("key_id", &self.keys.key_id())
            .field("policy", &self.policy.digest())
            .finish_non_exhaustive()
    }
}

impl Scheme {
    pub(crate) fn new(key: &MasterKey, policy: &Policy) -> Result<Scheme> {
        policy.validate()?;
        let mut carriers = Vec::new();
        for spec in &policy.carriers {
            let carrier = match spec.kind {
                CarrierKind::Variants => {
                    let mut groups =
                        dictionary::builtin(spec.dictionary.as_deref().unwrap_or("mx-address"))
                            .unwrap_or_default();
                    groups.extend(policy.extra_variants.iter().cloned());
                    Carrier::Variants(Box::new(Dictionary::compile(&groups)?))
                }
                CarrierKind::Numeric => Carrier::Numeric {
                    decimals: spec.decimals.unwrap_or(2),
                },
                CarrierKind::Phone => Carrier::Phone,
            };
            let folded = fold(&spec.column);
            carriers.push(CarrierColumn {
                name: spec.column.clone(),
                folded,
                carrier,
            });
        }
        Ok(Scheme {
            keys: key.subkeys(),
            code: Code::new(policy.code.cutoff, policy.code.active_fraction),
            identity_folded: policy.identity.iter().map(|c| fold(c)).collect(),
            identifier: IdentifierKind::of_policy(policy),
            policy: policy.clone(),
            carriers,
        })
    }

    /// Maps the policy's columns to an input's header; every identity column
    /// must be present.
    pub(crate) fn bind<S: AsRef<str>>(&self, header: &[S]) -> Result<Binding> {
        self.bind_with(header, true)
    }

    /// Maps the policy's columns to an input's header. Without
    /// `require_identity`, missing identity columns leave
    /// [`Binding::identity`] empty (the caller supplies identities).
    pub(crate) fn bind_with<S: AsRef<str>>(
        &self,
        header: &[S],
        require_identity: bool,
    ) -> Result<Binding> {
        let folded: Vec<String> = header.iter().map(|h| fold(h.as_ref())).collect();
        let available = || {
            header
                .iter()
                .map(|h| h.as_ref())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let find = |name: &str, folded_name: &str| -> Result<Option<usize>> {
            let mut hits = folded.iter().enumerate().filter(|(_, h)| *h == folded_name);
            let first = hits.next().map(|(i, _)| i);
            if hits.next().is_some() {
                return Err(Error::policy(said!(
                    Msg::CoDuplicateColumn,
                    format!("{name:?}")
                )));
            }
            Ok(first)
        };
        let mut identity = Vec::new();
        let mut missing_identity = Vec::new();
        for (name, f) in self.policy.identity.iter().zip(&self.identity_folded) {
            match find(name, f)? {
                Some(i) => identity.push(i),
                None => missing_identity.push(name.clone()),
            }
        }
        let mut carriers = Vec::new();
        for c in &self.carriers {
            carriers.push(find(&c.name, &c.folded)?);
        }
        if !require_identity && !missing_identity.is_empty() {
            identity.clear();
        } else if let Some(name) = missing_identity.first() {
            return Err(ErrorKind::MissingColumn {
                column: name.clone(),
                role: "identity",
                available: available(),
            }
            .into());
        }
        Ok(Binding {
            header: header.iter().map(|h| h.as_ref().to_string()).collect(),
            identity,
            carriers,
        })
    }

    /// The row's anchor from its identity fields, or an error naming the
    /// empty identity column.
    pub(crate) fn row_anchor<'r>(
        &self,
        binding: &Binding,
        field: impl Fn(usize) -> &'r str,
        scratch: &mut String,
    ) -> Result<Anchor> {
        scratch.clear();
        for (k, &i) in binding.identity.iter().enumerate() {
            if k > 0 {
                scratch.push('\u{1F}');
            }
            let before = scratch.len();
            identity_into(field(i), scratch);
            if scratch.len() == before {
                return Err(Error::new(ErrorKind::EmptyIdentity).in_column(&binding.header[i]));
            }
        }
        Ok(anchor(&self.keys, scratch.as_bytes()))
    }

    /// The anchor of a row whose identity values (in the policy's identity
    /// order) are given rather than read from the row.
    pub(crate) fn anchor_of<'v>(
        &self,
        identity: impl IntoIterator<Item = &'v str>,
        scratch: &mut String,
    ) -> Result<Anchor> {
        scratch.clear();
        for (k, value) in identity.into_iter().enumerate() {
            if k > 0 {
                scratch.push('\u{1F}');
            }
            let before = scratch.len();
            identity_into(value, scratch);
            if scratch.len() == before {
                return Err(Error::new(ErrorKind::EmptyIdentity)
                    .in_column(&self.policy.identity[k.min(self.policy.identity.len() - 1)]));
            }
        }
        Ok(anchor(&self.keys, scratch.as_bytes()))
    }

    /// Finds the slots of every carrier cell the input has, and their
    /// positions; `slots[c]` and `positions[c]` are carrier `c`'s. Slot `k`
    /// of a cell is position index `2k`, and its dot slot (for dotted
    /// abbreviations) `2k + 1`; carrier `c`'s index `i` is `q = i·C + c`.
    pub(crate) fn row_positions<'r>(
        &self,
        binding: &Binding,
        anchor: &Anchor,
        field: &impl Fn(usize) -> &'r str,
        buf: &mut RowBuffers,
    ) {
        let n = self.carriers.len();
        let mut max_q = None;
        for (c, idx) in binding.carriers.iter().enumerate() {
            buf.slots[c].clear();
            buf.positions[c].clear();
            buf.dot_positions[c].clear();
            let Some(i) = *idx else { continue };
            self.carriers[c]
                .carrier
                .slots(field(i), &mut buf.token, &mut buf.slots[c]);
            if let Some(last) = buf.slots[c].last() {
                let k = buf.slots[c].len() - 1;
                let index = 2 * k + usize::from(last.dotted);
                max_q = max_q.max(Some(index * n + c));
            }
        }
        let Some(max_q) = max_q else {
            buf.heads.clear();
            return;
        };
        buf.heads.fill(&self.keys, anchor, max_q);
        for c in 0..n {
            for (k, slot) in buf.slots[c].iter().enumerate() {
                let main = self.code.position(anchor, 2 * k * n + c, &buf.heads);
                buf.positions[c].push(main);
                let dot = slot
                    .dotted
                    .then(|| self.code.position(anchor, (2 * k + 1) * n + c, &buf.heads));
                buf.dot_positions[c].push(dot);
            }
        }
    }
}

/// Per-row working memory, reused from row to row.
#[derive(Default)]
pub(crate) struct RowBuffers {
    pub(crate) token: String,
    pub(crate) heads: RowHeads,
    pub(crate) slots: Vec<Vec<Slot>>,
    pub(crate) positions: Vec<Vec<Position>>,
    /// Per slot, its dot position if the slot has one.
    pub(crate) dot_positions: Vec<Vec<Option<Position>>>,
}

impl RowBuffers {
    pub(crate) fn new(carriers: usize) -> RowBuffers {
        RowBuffers {
            slots: vec![Vec::new(); carriers],
            positions: vec![Vec::new(); carriers],
            dot_positions: vec![Vec::new(); carriers],
            ..RowBuffers::default()
        }
    }
}

/// The policy's columns located in one input's header.
#[derive(Debug, Clone)]
pub(crate) struct Binding {
    pub(crate) header: Vec<String>,
    pub(crate) identity: Vec<usize>,
    /// Index of each policy carrier in the input, if present.
    pub(crate) carriers: Vec<Option<usize>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipient_ids_are_safe_file_names() {
        for ok in ["partido-a", "PRI", "morena.2026", "x_1"] {
            assert!(validate_recipient_id(ok).is_ok(), "{ok}");
        }
        for ok in ["CONSEJO", "NULO", "COM10", "LPT0", "console"] {
            assert!(validate_recipient_id(ok).is_ok(), "{ok}");
        }
        for bad in [
            "CON",
            "con",
            "NUL",
            "nul.csv",
            "Aux",
            "PRN.txt",
            "COM1",
            "lpt9.receipt",
            "",
            "../etc",
            "a/b",
            ".hidden",
            "-rf",
            "a b",
            "ñ",
            &"x".repeat(65),
        ] {
            assert!(validate_recipient_id(bad).is_err(), "{bad}");
        }
    }
}
