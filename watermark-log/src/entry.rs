//! Log entries and their canonical encoding.
//!
//! An entry is one line of compact JSON with its fields in a fixed order, as
//! `serde_json` writes the types below; the Merkle leaf is exactly those bytes
//! (without the newline). Parsing accepts only that canonical form, so every
//! entry has one encoding and one leaf hash. Numbers that are not integers
//! (code parameters, bounds) are stored as the shortest decimal strings that
//! read back to the same `f64`, so no float parser can change them.

use serde::{Deserialize, Serialize};

use watermark_core::CodeParams;

/// One entry of the issuance log: a copy issued or a leak verified.
///
/// No entry holds personal data or a secret: recipients and investigators by
/// id, files by BLAKE3 digest, counts, key id and policy digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Entry {
    /// A fingerprinted copy was made for a recipient.
    Issue(IssueEntry),
    /// A leaked file was verified.
    Verify(VerifyEntry),
}

/// A copy issued to one recipient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueEntry {
    /// The scheme version the copy was marked with
    /// ([`SCHEME_VERSION`](watermark_core::SCHEME_VERSION)).
    pub scheme: u32,
    /// UTC time of issue, RFC 3339, to the second.
    pub time: String,
    /// The recipient's id.
    pub recipient: String,
    /// The recipient's code slot.
    pub slot: u32,
    /// BLAKE3 of the input extract (hex).
    pub input_blake3: String,
    /// Data rows in the input.
    pub input_rows: u64,
    /// BLAKE3 of the copy (hex).
    pub output_blake3: String,
    /// Size of the copy in bytes.
    pub output_bytes: u64,
    /// Data rows in the copy.
    pub output_rows: u64,
    /// Canary rows added to the copy.
    pub canaries: u64,
    /// BLAKE3 (hex) of the canary list the copy was made with, as kept in
    /// the state (`canaries/INPUT-POLICY.json`); empty when the policy adds
    /// no canaries. Every later read of the list checks it.
    pub canary_list_blake3: String,
    /// Carrier slots written.
    pub slots_marked: u64,
    /// Id of the master key the marks derive from.
    pub key_id: String,
    /// Digest of the policy (stored in the state as `policies/DIGEST.toml`).
    pub policy_digest: String,
    /// The policy's code parameters.
    pub code: CodeRecord,
    /// The tool and version that made the copy.
    pub tool: String,
}

/// Code parameters as recorded: shortest round-trip decimal strings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRecord {
    /// Tardos bias cutoff `t`.
    pub cutoff: String,
    /// Share of carrier slots marked.
    pub active_fraction: String,
    /// Flip rate the single-leaker score expects.
    pub flip_rate: String,
}

impl From<&CodeParams> for CodeRecord {
    fn from(c: &CodeParams) -> Self {
        CodeRecord {
            cutoff: c.cutoff.to_string(),
            active_fraction: c.active_fraction.to_string(),
            flip_rate: c.flip_rate.to_string(),
        }
    }
}

/// A leaked file verified, and what was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyEntry {
    /// The scheme version the leak was read with.
    pub scheme: u32,
    /// UTC time of the verification, RFC 3339, to the second.
    pub time: String,
    /// Who ran it (a user name or an investigator's chosen id).
    pub investigator: String,
    /// BLAKE3 of the leaked file (hex).
    pub leak_blake3: String,
    /// Size of the leaked file in bytes.
    pub leak_bytes: u64,
    /// The format the leak was read as (`csv`, `csv.gz`, `xlsx`, `zip`,
    /// `ndjson`...), when recorded: entries written before it was are
    /// without it, and keep their encoding and hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leak_format: Option<String>,
    /// The text encoding the leak's text was read in (`utf-8`,
    /// `windows-1252`, `utf-16le`...), when it has text and it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leak_encoding: Option<String>,
    /// Data rows read.
    pub rows_read: u64,
    /// Distinct marked positions read.
    pub positions_read: u64,
    /// Recipients compared (the union bound's factor).
    pub comparisons: u64,
    /// The accusation threshold, as a shortest round-trip decimal.
    pub threshold: String,
    /// The accused, strongest evidence first; empty when no one is.
    pub accused: Vec<AccusedRecord>,
    /// The tool and version that verified.
    pub tool: String,
}

/// One accused recipient in a [`VerifyEntry`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccusedRecord {
    /// The recipient's id.
    pub recipient: String,
    /// The recipient's code slot.
    pub slot: u32,
    /// The false-accusation bound, as a shortest round-trip decimal
    /// (`3.6e-34`); one below the smallest 64-bit float is written from its
    /// logarithm, rounded up (`2.1e-144000`).
    pub bound: String,
}

impl AccusedRecord {
    /// A record of an accused recipient with its bound.
    pub fn new(recipient: impl Into<String>, slot: u32, bound: f64) -> Self {
        AccusedRecord {
            recipient: recipient.into(),
            slot,
            bound: format!("{bound:e}"),
        }
    }

    /// The record of an accused recipient's score: its bound is written by
    /// [`RecipientScore::bound_decimal`], so one too small for a 64-bit
    /// float is still recorded (`2.1e-144000`), not as 0.
    pub fn of(score: &watermark_core::RecipientScore) -> Self {
        AccusedRecord {
            recipient: score.recipient.clone(),
            slot: score.slot,
            bound: score.bound_decimal(),
        }
    }
}

/// Why a line is not a valid entry, with the 0-based byte within the line
/// where that is known.
#[derive(Debug)]
pub struct EntryError {
    /// The 0-based byte within the line, when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl Entry {
    /// The canonical encoding: compact JSON, fields in declaration order,
    /// no trailing newline. This is the Merkle leaf.
    pub fn to_canonical(&self) -> String {
        serde_json::to_string(self).expect("log entries serialise")
    }

    /// Parses the canonical encoding, refusing anything else (other spacing,
    /// field order, escapes or number forms, unknown or missing fields).
    pub fn from_canonical(text: &str) -> Result<Entry, watermark_core::Error> {
        Self::parse_line(text).map_err(|e| {
            watermark_core::Error::state(watermark_text::said!(
                watermark_text::Msg::LgBadEntry,
                e.message
            ))
        })
    }

    /// [`Entry::from_canonical`], saying where in the line it fails.
    pub fn parse_line(text: &str) -> Result<Entry, EntryError> {
        let entry: Entry = serde_json::from_str(text).map_err(|e| EntryError {
            column: line_offset(text, e.line(), e.column()),
            message: format!("not a log entry: {e}"),
        })?;
        let canonical = entry.to_canonical();
        if canonical != text {
            let at = canonical
                .bytes()
                .zip(text.bytes())
                .position(|(a, b)| a != b)
                .unwrap_or(canonical.len().min(text.len()));
            return Err(EntryError {
                column: Some(at),
                message: "not in canonical form (the log writes each entry as compact JSON \
                          with its fields in a fixed order)"
                    .into(),
            });
        }
        entry.check().map_err(|message| EntryError {
            column: None,
            message,
        })?;
        Ok(entry)
    }

    /// Checks the values an entry must have to be written: digests in hex,
    /// ids without control characters.
    pub fn check(&self) -> Result<(), String> {
        fn digest(name: &str, v: &str) -> Result<(), String> {
            if v.len() == 64 && v.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                Ok(())
            } else {
                Err(format!(
                    "{name} is not a BLAKE3 digest (64 lower-case hex digits)"
                ))
            }
        }
        fn text(name: &str, v: &str) -> Result<(), String> {
            if v.is_empty() || v.chars().count() > 64 || v.chars().any(char::is_control) {
                Err(format!(
                    "{name} must be 1 to 64 characters without control characters"
                ))
            } else {
                Ok(())
            }
        }
        let scheme = match self {
            Entry::Issue(e) => e.scheme,
            Entry::Verify(e) => e.scheme,
        };
        if !watermark_core::KNOWN_SCHEMES.contains(&scheme) {
            return Err(format!(
                "made with scheme version {scheme}, which this build of watermark does not know \
                 (it knows {:?}): read this log with a newer watermark",
                watermark_core::KNOWN_SCHEMES
            ));
        }
        match self {
            Entry::Issue(e) => {
                watermark_core::validate_recipient_id(&e.recipient)
                    .map_err(|err| err.to_string())?;
                digest("input_blake3", &e.input_blake3)?;
                digest("output_blake3", &e.output_blake3)?;
                if !e.canary_list_blake3.is_empty() {
                    digest("canary_list_blake3", &e.canary_list_blake3)?;
                }
                text("key_id", &e.key_id)?;
                text("policy_digest", &e.policy_digest)?;
                text("time", &e.time)?;
                text("tool", &e.tool)
            }
            Entry::Verify(e) => {
                text("investigator", &e.investigator)?;
                digest("leak_blake3", &e.leak_blake3)?;
                for a in &e.accused {
                    watermark_core::validate_recipient_id(&a.recipient)
                        .map_err(|err| err.to_string())?;
                }
                text("time", &e.time)?;
                text("tool", &e.tool)
            }
        }
    }

    /// The entry's time.
    pub fn time(&self) -> &str {
        match self {
            Entry::Issue(e) => &e.time,
            Entry::Verify(e) => &e.time,
        }
    }
}

/// Byte offset in a one-line text of serde_json's 1-based line and column.
fn line_offset(text: &str, line: usize, column: usize) -> Option<usize> {
    if line != 1 || column == 0 {
        return None;
    }
    Some((column - 1).min(text.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(recipient: &str, slot: u32) -> Entry {
        Entry::Issue(IssueEntry {
            scheme: watermark_core::SCHEME_VERSION,
            time: "2026-05-01T10:00:00Z".into(),
            recipient: recipient.into(),
            slot,
            input_blake3: "a".repeat(64),
            input_rows: 10,
            output_blake3: "b".repeat(64),
            output_bytes: 100,
            output_rows: 10,
            canaries: 0,
            canary_list_blake3: String::new(),
            slots_marked: 12,
            key_id: "0123456789abcdef".into(),
            policy_digest: "c".repeat(32),
            code: CodeRecord::from(&CodeParams::default()),
            tool: "watermark 0.1.0".into(),
        })
    }

    #[test]
    fn canonical_form_is_the_only_form() {
        let e = issue("PAN", 3);
        let line = e.to_canonical();
        assert!(line.starts_with(
            r#"{"type":"issue","scheme":1,"time":"2026-05-01T10:00:00Z","recipient":"PAN","slot":3,"#
        ));
        let code = CodeRecord::from(&CodeParams {
            cutoff: 0.1,
            active_fraction: 1.0,
            flip_rate: 0.05,
        });
        assert_eq!(
            serde_json::to_string(&code).unwrap(),
            r#"{"cutoff":"0.1","active_fraction":"1","flip_rate":"0.05"}"#
        );
        assert_eq!(Entry::parse_line(&line).unwrap(), e);
        let spaced = line.replacen(":", ": ", 1);
        assert!(Entry::parse_line(&spaced).is_err());
        let reordered = line.replacen(
            r#""type":"issue","scheme":1"#,
            r#""scheme":1,"type":"issue""#,
            1,
        );
        assert_ne!(reordered, line);
        assert!(Entry::parse_line(&reordered).is_err());
        // A scheme this build does not know is refused, saying so.
        let later = line.replacen(r#""scheme":1"#, r#""scheme":2"#, 1);
        let err = Entry::parse_line(&later).unwrap_err();
        assert!(err.message.contains("scheme version 2"), "{}", err.message);
        let extra = line.replacen('}', r#","more":1}"#, 1);
        assert!(Entry::parse_line(&extra).is_err());
        let escaped = line.replacen("PAN", r"P\u0041N", 1);
        assert!(Entry::parse_line(&escaped).is_err());
        let bad_digest = line.replacen(&"b".repeat(64), &"B".repeat(64), 1);
        assert!(Entry::parse_line(&bad_digest).is_err());
    }

    #[test]
    fn verification_entries_round_trip() {
        let v = Entry::Verify(VerifyEntry {
            scheme: watermark_core::SCHEME_VERSION,
            time: "2026-05-02T10:00:00Z".into(),
            investigator: "Ana Pérez".into(),
            leak_blake3: "d".repeat(64),
            leak_bytes: 5000,
            leak_format: None,
            leak_encoding: None,
            rows_read: 60,
            positions_read: 144,
            comparisons: 3,
            threshold: format!("{:e}", 1e-9),
            accused: vec![AccusedRecord::new("PRI", 1, 3.6108e-34)],
            tool: "watermark 0.1.0".into(),
        });
        let line = v.to_canonical();
        assert!(line.contains(r#""threshold":"1e-9""#), "{line}");
        assert!(line.contains(r#""bound":"3.6108e-34""#), "{line}");
        assert_eq!(Entry::parse_line(&line).unwrap(), v);
    }
}
