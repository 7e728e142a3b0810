//! The witness and log keys a verifying command is given (`--pubkey`,
//! `--witness-key`, `--require`), and the cosignatures they find on a
//! checkpoint.

use serde::Serialize;
use watermark_app::messages::{tr, Msg, Said};
use watermark_app::read_cosigned;
use watermark_app::text::quoted;
use watermark_app::witnessing::TooFewCosignatures;
use watermark_app::{CosignedState, Log, State, COSIGNED_FILE};
use watermark_log::tlog::{self, CosignatureStatus, Verifier};
use watermark_text::said;

use crate::cli::WitnessKeysArg;

/// The `--witness-key` keys and `--require` count of a verifying command.
#[derive(Debug)]
pub struct KeyCheck {
    keys: Vec<Verifier>,
    require: usize,
}

/// A verifier key given on the command line as `what`: the key itself
/// (`NAME+ID+BASE64`), or a file holding it. Errors never quote what may be
/// a key: a private key given by mistake is not printed again.
pub fn parse_key(arg: &str, what: &str) -> anyhow::Result<Verifier> {
    const PRIVATE: &str = "PRIVATE+KEY";
    let key = match Verifier::from_vkey(arg) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    if arg.trim_start().starts_with(PRIVATE) {
        return Err(said!(Msg::KyPrivateOnLine, what, PRIVATE).into());
    }
    let text = match std::fs::read_to_string(arg) {
        Ok(text) => text,
        // Shaped like a key (or long enough to be a secret): said to be
        // wrong, not quoted.
        Err(_) if arg.contains('+') || arg.len() >= 32 => {
            return Err(said!(Msg::KyNotAKey, what, unquoted(key)).into());
        }
        Err(e) => {
            return Err(said!(Msg::KyNeither, what, format!("{:?}", quoted(arg)))
                .because(e)
                .into())
        }
    };
    if text.trim_start().starts_with(PRIVATE) {
        return Err(said!(
            Msg::KyFilePrivate,
            what,
            format!("{:?}", quoted(arg)),
            PRIVATE
        )
        .into());
    }
    // The file's text is never quoted.
    Verifier::from_vkey(text.trim_end_matches('\n')).map_err(|e| {
        anyhow::Error::new(said!(
            Msg::KyFileNotOne,
            what,
            format!("{:?}", quoted(arg)),
            unquoted(e)
        ))
    })
}

/// Why a string is not a verifier key, without quoting any of it.
fn unquoted(e: tlog::TlogError) -> String {
    match e {
        tlog::TlogError::InvalidKeyName { reason, .. } => reason.to_owned(),
        e => e.to_string(),
    }
}

/// Reads `--witness-key` and `--require`; `None` when no key is given.
/// A witness key may not be the log's own key.
pub fn key_check(arg: &WitnessKeysArg, log: &Verifier) -> anyhow::Result<Option<KeyCheck>> {
    if arg.witness_keys.is_empty() {
        return Ok(None);
    }
    let mut keys: Vec<Verifier> = Vec::new();
    for k in &arg.witness_keys {
        let v = parse_key(k, "--witness-key")?;
        if v.public_key() == log.public_key() {
            return Err(said!(Msg::KyOwnKey, v.name()).into());
        }
        if !keys.iter().any(|o| o.public_key() == v.public_key()) {
            keys.push(v);
        }
    }
    let require = arg.require.unwrap_or(keys.len());
    if require == 0 || require > keys.len() {
        return Err(said!(Msg::KyRequire, require, keys.len()).into());
    }
    Ok(Some(KeyCheck { keys, require }))
}

/// One witness's cosignature on a checkpoint, for `--json`.
#[derive(Debug, Serialize)]
pub struct WitnessDoc {
    pub name: String,
    pub key: String,
    /// `valid`, `invalid` (a line by its key that does not verify) or `absent`.
    pub cosignature: &'static str,
    /// The time of its cosignature/v1, seconds since the Unix epoch.
    pub timestamp: Option<u64>,
}

/// The witnesses' cosignatures on a checkpoint, for `--json`.
#[derive(Debug, Serialize)]
pub struct CosignaturesDoc {
    pub ok: bool,
    /// The size of the checkpoint checked.
    pub size: Option<u64>,
    pub valid: usize,
    pub required: usize,
    pub witnesses: Vec<WitnessDoc>,
    pub problem: Option<String>,
    /// The problem, for people.
    #[serde(skip)]
    pub problem_said: Option<Said>,
}

impl CosignaturesDoc {
    /// One line for people: "witnesses: 2 of the 2 required cosigned it
    /// (a, b)".
    pub fn text(&self) -> String {
        let lang = crate::output::lang();
        tr(lang, Msg::KeysWitnesses, &[&self.summary()])
    }

    /// [`CosignaturesDoc::text`] without its label.
    pub fn summary(&self) -> String {
        let valid: Vec<&str> = self
            .witnesses
            .iter()
            .filter(|w| w.cosignature == "valid")
            .map(|w| w.name.as_str())
            .collect();
        match &self.problem_said {
            Some(p) => p.in_lang(crate::output::lang()),
            None => tr(
                crate::output::lang(),
                Msg::KeysCosigned,
                &[&self.valid, &self.required, &valid.join(", ")],
            ),
        }
    }

    /// The error for a check that failed.
    pub fn failure(&self, what: Said) -> TooFewCosignatures {
        let why = self
            .problem_said
            .clone()
            .unwrap_or_else(|| said!(Msg::OnlyCosignedIt, self.valid, self.required));
        TooFewCosignatures {
            said: Said::new(Msg::WhatWhy).sentence(what).sentence(why),
        }
    }
}

impl KeyCheck {
    /// The cosignatures on `note`, a checkpoint whose log signature the
    /// caller has verified.
    pub fn check(&self, note: &str, size: Option<u64>) -> CosignaturesDoc {
        let checks = match tlog::check_cosignatures(note.as_bytes(), &self.keys) {
            Ok(c) => c,
            Err(e) => return self.problem(said!(Msg::NotASignedNote, e)),
        };
        let witnesses: Vec<WitnessDoc> = checks
            .iter()
            .map(|c| {
                let (cosignature, timestamp) = match c.status {
                    CosignatureStatus::Valid { timestamp } => ("valid", timestamp),
                    CosignatureStatus::Invalid => ("invalid", None),
                    _ => ("absent", None),
                };
                WitnessDoc {
                    name: c.witness.name().to_owned(),
                    key: c.witness.to_vkey(),
                    cosignature,
                    timestamp,
                }
            })
            .collect();
        let valid = witnesses
            .iter()
            .filter(|w| w.cosignature == "valid")
            .count();
        CosignaturesDoc {
            ok: valid >= self.require,
            size,
            valid,
            required: self.require,
            witnesses,
            problem: None,
            problem_said: None,
        }
    }

    /// A failed check that found no checkpoint to count on.
    pub fn problem(&self, problem: Said) -> CosignaturesDoc {
        CosignaturesDoc {
            ok: false,
            size: None,
            valid: 0,
            required: self.require,
            witnesses: Vec::new(),
            problem: Some(problem.to_string()),
            problem_said: Some(problem),
        }
    }

    /// The cosignatures on the state's latest checkpoint (`log/cosigned`,
    /// which must be of the log's latest checkpoint).
    pub fn check_state(&self, state: &State, log: &Log) -> anyhow::Result<CosignaturesDoc> {
        let path = state.dir().join("log").join(COSIGNED_FILE);
        Ok(match read_cosigned(state, log)? {
            CosignedState::Matches(c) if c.checkpoint.size == log.size() => {
                self.check(&c.note, Some(c.checkpoint.size))
            }
            CosignedState::Matches(c) => self.problem(said!(
                Msg::LatestNotCosigned,
                log.size(),
                path.display(),
                c.checkpoint.size
            )),
            CosignedState::Absent => self.problem(said!(Msg::NeverCosigned, path.display())),
            CosignedState::Ahead(c) => self.problem(said!(
                Msg::CosignedAhead,
                path.display(),
                c.checkpoint.size,
                log.size()
            )),
            _ => self.problem(said!(Msg::CosignedRewritten, path.display())),
        })
    }
}
