//! The log's side of witnessing: submitting the state's checkpoints to its
//! witnesses (C2SP tlog-witness `add-checkpoint`) over HTTP, keeping their
//! cosignatures in `log/cosigned`, and refusing to issue or verify from a
//! state that is behind them ([`before_issue`], [`before_verify`]); then
//! submitting the checkpoint that follows ([`after_issue`],
//! [`after_verify`], [`log_witness`]).
//!
//! Every failure here is [`Fault::Server`](crate::Fault::Server): the
//! state, its log, its witness list or its witnesses. A state that its
//! witnesses show to be behind or forked fails with a [`Behind`], one that
//! too few witnesses vouch for with a [`TooFewCosignatures`]; the command
//! line gives each its own exit status ([`Error::find`](crate::Error::find)).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;
use watermark_log::tlog::{self, witness, AddCheckpoint, CosignatureStatus};

use crate::error::{fail, Blame as _};
use crate::messages::{count, tr, Msg, Said};
use crate::text::{int, quoted};
use crate::verify::LogSection;
use crate::{
    cosign_receipts, read_cosigned, store_cosigned, CosignedState, Error, IssuedCopy, Lang, Log,
    Reporter, Result, State, StateLock, WitnessConfig, WitnessEntry, COSIGNED_FILE,
};
use watermark_text::said;

/// The state is behind what a witness cosigned, or forked from it
/// (`watermark` exits with status 4 for it).
#[derive(Debug)]
pub struct Behind {
    /// What was found, and what to do.
    pub said: Said,
}

impl std::fmt::Display for Behind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.said.fmt(f)
    }
}

/// The sentence is the source, for a front end to write in its reader's
/// language.
impl std::error::Error for Behind {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.said)
    }
}

/// Fewer witnesses cosigned than required (`watermark` exits with status 5
/// for it).
#[derive(Debug)]
pub struct TooFewCosignatures {
    /// How many did, of which, and why the others did not.
    pub said: Said,
}

impl std::fmt::Display for TooFewCosignatures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.said.fmt(f)
    }
}

/// The sentence is the source, as [`Behind`]'s.
impl std::error::Error for TooFewCosignatures {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.said)
    }
}

/// Largest answer read from a witness.
const ANSWER_LIMIT: u64 = 64 * 1024;

/// What a witness answered one request.
enum Answer {
    Cosigned(String),
    Conflict(u64),
    Status(u16, String),
    Transport(String),
}

/// A blocking HTTP client for witnesses.
struct Client {
    agent: ureq::Agent,
}

impl Client {
    fn new() -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_global(Some(Duration::from_secs(20)))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("watermark/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Client { agent }
    }

    fn add_checkpoint(&self, w: &WitnessEntry, req: &AddCheckpoint) -> Answer {
        let url = format!("{}{}", w.url, witness::ADD_CHECKPOINT_PATH);
        let response = self
            .agent
            .post(&url)
            .header("Content-Type", "text/plain; charset=utf-8")
            .send(req.to_body());
        let mut response = match response {
            Ok(r) => r,
            Err(e) => return Answer::Transport(quoted(&e.to_string())),
        };
        let status = response.status().as_u16();
        let body = match response
            .body_mut()
            .with_config()
            .limit(ANSWER_LIMIT)
            .read_to_vec()
        {
            Ok(b) => b,
            Err(e) => return Answer::Transport(quoted(&format!("reading the answer: {e}"))),
        };
        let text = String::from_utf8_lossy(&body);
        match status {
            200 => Answer::Cosigned(text.into_owned()),
            409 => match witness::parse_size_body(&body) {
                Some(size) => Answer::Conflict(size),
                None => Answer::Status(
                    409,
                    format!("a 409 answer that is not a size: {}", quoted(&text)),
                ),
            },
            s => Answer::Status(s, quoted(&text)),
        }
    }
}

/// What became of one witness in a round.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    /// It cosigned the checkpoint.
    Cosigned,
    /// It holds a larger checkpoint of this log than the log itself.
    Behind {
        /// The size of the checkpoint it cosigned last.
        witness_size: u64,
    },
    /// It cosigned another root at a size the log has.
    Forked {
        /// That size.
        witness_size: u64,
    },
    /// It answered with another refusal (an unknown log, a bad signature...).
    Refused {
        /// The HTTP status of its answer (0: no request could be made).
        status: u16,
        /// What it answered, or why no request could be made.
        message: String,
    },
    /// It could not be reached, or did not answer as the protocol says.
    Unreachable {
        /// Why.
        message: String,
    },
}

impl Outcome {
    fn describe(&self, lang: Lang, log_size: u64) -> String {
        match self {
            Outcome::Cosigned => tr(lang, Msg::WrCosigned, &[]),
            Outcome::Behind { witness_size } => tr(
                lang,
                Msg::WrBehind,
                &[&count(lang, Msg::Entries, *witness_size), &int(log_size)],
            ),
            Outcome::Forked { witness_size } => tr(
                lang,
                Msg::WrForked,
                &[&count(lang, Msg::Entries, *witness_size)],
            ),
            Outcome::Refused { status, message } => {
                let hint = match status {
                    404 => tr(lang, Msg::WrHint404, &[]),
                    403 => tr(lang, Msg::WrHint403, &[]),
                    _ => String::new(),
                };
                tr(lang, Msg::WrRefused, &[status, message, &hint])
            }
            Outcome::Unreachable { message } => tr(lang, Msg::WrUnreachable, &[message]),
        }
    }
}

/// One witness's part in a round.
#[derive(Debug, Clone, Serialize)]
pub struct WitnessResult {
    /// The witness's name in the list.
    pub name: String,
    /// Where it was reached.
    pub url: String,
    /// What became of it.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The size of the checkpoint it holds now, when known.
    pub holds: Option<u64>,
    /// Its signature lines, when it cosigned.
    #[serde(skip)]
    lines: Option<String>,
}

/// One submission of a checkpoint to every witness of the list.
#[derive(Debug, Serialize)]
pub struct Round {
    /// The witness list it used.
    pub witness_list: PathBuf,
    /// The log's origin.
    pub origin: String,
    /// The size of the checkpoint submitted (the log's latest).
    pub size: u64,
    /// Witnesses that cosigned the checkpoint in this round.
    pub cosignatures: usize,
    /// How many the list requires.
    pub required: usize,
    /// Each witness's part, in the list's order.
    pub witnesses: Vec<WitnessResult>,
    /// The checkpoint with the cosignatures it carries (this round's, and
    /// earlier ones of the same checkpoint), when it carries any.
    pub cosigned: Option<String>,
    /// Where it was kept.
    pub stored_in: Option<PathBuf>,
}

impl Round {
    fn refusals(&self) -> impl Iterator<Item = &WitnessResult> {
        self.witnesses
            .iter()
            .filter(|w| matches!(w.outcome, Outcome::Behind { .. } | Outcome::Forked { .. }))
    }

    /// The error for a state that a witness shows to be behind or forked.
    fn behind(&self, state: &Path) -> Option<Behind> {
        let w = self.refusals().next()?;
        let said = match w.outcome {
            Outcome::Behind { witness_size } => said!(
                Msg::BehindWitness,
                w.name,
                witness_size,
                self.origin,
                state.display(),
                self.size
            ),
            Outcome::Forked { witness_size } => said!(
                Msg::ForkedWitness,
                state.display(),
                w.name,
                witness_size,
                self.origin,
                self.size
            ),
            _ => return None,
        };
        Some(Behind { said })
    }

    fn shortfall(&self, lang: Lang) -> String {
        let failed: Vec<String> = self
            .witnesses
            .iter()
            .filter(|w| !matches!(w.outcome, Outcome::Cosigned))
            .map(|w| format!("{}: {}", w.name, w.outcome.describe(lang, self.size)))
            .collect();
        tr(
            lang,
            Msg::Shortfall,
            &[
                &self.cosignatures,
                &self.required,
                &self.size,
                &failed.join("; "),
            ],
        )
    }

    /// The round for people: each witness's answer, and how many cosigned.
    pub fn text(&self) -> String {
        self.text_in(Lang::En)
    }

    /// [`Round::text`] in `lang`.
    pub fn text_in(&self, lang: Lang) -> String {
        let mut s = tr(
            lang,
            Msg::WrHead,
            &[
                &count(lang, Msg::Entries, self.size),
                &self.origin,
                &self.witness_list.display(),
            ],
        );
        s.push('\n');
        for w in &self.witnesses {
            let _ = writeln!(
                s,
                "  {:<28} {}",
                w.name,
                w.outcome.describe(lang, self.size)
            );
        }
        s.push_str(&tr(
            lang,
            Msg::WrSummary,
            &[&self.cosignatures, &self.witnesses.len(), &self.required],
        ));
        match &self.stored_in {
            Some(p) => {
                s.push_str(&tr(lang, Msg::WrKept, &[&p.display()]));
                s.push('\n');
            }
            None => s.push_str(".\n"),
        }
        s
    }
}

/// A state's witness list, ready to submit to.
struct Witnesses {
    path: PathBuf,
    config: WitnessConfig,
    client: Client,
}

impl std::fmt::Debug for Witnesses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Witnesses")
            .field("path", &self.path)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The state's witness list: `explicit` (`--witnesses`, `WATERMARK_WITNESSES`)
/// or `STATE/witnesses.toml`; `None` if neither exists.
fn load(state: &State, log: &Log, explicit: Option<&Path>) -> anyhow::Result<Option<Witnesses>> {
    let Some((path, config)) = WitnessConfig::find(state.dir(), explicit)? else {
        return Ok(None);
    };
    config
        .check_log(log.verifier())
        .with_context(|| path.display().to_string())?;
    Ok(Some(Witnesses {
        path,
        config,
        client: Client::new(),
    }))
}

/// Submits the log's latest checkpoint to one witness, which was last seen
/// to hold `last_seen` entries (if known): first with that old size, and,
/// on a conflict, once more with the size the witness says it holds.
fn submit(client: &Client, w: &WitnessEntry, log: &Log, last_seen: Option<u64>) -> WitnessResult {
    let size = log.size();
    let request = |old: u64| -> anyhow::Result<AddCheckpoint> {
        let old_note = log
            .checkpoint_at(old)
            .ok_or_else(|| said!(Msg::WgNoCheckpointOf, old))?;
        Ok(AddCheckpoint {
            old_size: old,
            proof: log.consistency(old_note)?.proof,
            checkpoint: log.checkpoint().to_owned(),
        })
    };
    let result = |outcome, holds, lines| WitnessResult {
        name: w.name.clone(),
        url: w.url.clone(),
        outcome,
        holds,
        lines,
    };
    let accept = |lines: String| match tlog::merge_cosignatures(log.checkpoint(), &w.key, &lines) {
        Ok(_) => result(Outcome::Cosigned, Some(size), Some(lines)),
        Err(e) => result(
            Outcome::Unreachable {
                message: format!("it answered 200 without a valid cosignature: {e}"),
            },
            None,
            None,
        ),
    };
    let other =
        |status: u16, message: String| result(Outcome::Refused { status, message }, None, None);
    let mut old = last_seen.filter(|&s| s <= size).unwrap_or(0);
    for attempt in 0..2 {
        let req = match request(old) {
            Ok(r) => r,
            Err(e) => return other(0, format!("no consistency proof from {old}: {e:#}")),
        };
        match client.add_checkpoint(w, &req) {
            Answer::Cosigned(lines) => return accept(lines),
            Answer::Conflict(held) if held > size => {
                return result(Outcome::Behind { witness_size: held }, Some(held), None)
            }
            // The old size was the one it holds: the conflict is the root.
            Answer::Conflict(held) if held == old => {
                return result(Outcome::Forked { witness_size: held }, Some(held), None)
            }
            Answer::Conflict(held) if attempt == 0 => old = held,
            Answer::Conflict(held) => {
                return result(
                    Outcome::Unreachable {
                        message: format!(
                            "it said it holds {old} entries, then {held}: another client is \
                             submitting this log"
                        ),
                    },
                    Some(held),
                    None,
                )
            }
            // Our own tree's proof from the size it holds does not lead
            // from its root: it saw another log.
            Answer::Status(422, _) => {
                return result(Outcome::Forked { witness_size: old }, Some(old), None)
            }
            Answer::Status(s, m) if (400..500).contains(&s) => return other(s, m),
            Answer::Status(s, m) => {
                return result(
                    Outcome::Unreachable {
                        message: format!("it answered {s}: {m}"),
                    },
                    None,
                    None,
                )
            }
            Answer::Transport(m) => return result(Outcome::Unreachable { message: m }, None, None),
        }
    }
    unreachable!("the second attempt always returns")
}

/// Sizes each witness of the list was last seen to hold: those whose
/// cosignature `log/cosigned` carries hold its size.
fn last_seen(witnesses: &Witnesses, cosigned: &CosignedState) -> Vec<Option<u64>> {
    let CosignedState::Matches(c) = cosigned else {
        return vec![None; witnesses.config.witnesses.len()];
    };
    witnesses
        .config
        .witnesses
        .iter()
        .map(|w| {
            let ok = tlog::check_cosignatures(c.note.as_bytes(), std::slice::from_ref(&w.key))
                .map(|v| matches!(v[0].status, CosignatureStatus::Valid { .. }))
                .unwrap_or(false);
            ok.then_some(c.checkpoint.size)
        })
        .collect()
}

/// Submits the log's latest checkpoint to every witness and keeps what
/// they cosigned in `log/cosigned`, with the cosignatures it already had
/// for the same checkpoint. `seen` is what each witness was last seen to
/// hold (from an earlier round); by default, what `log/cosigned` says.
/// Hold the state's lock.
fn round(
    state: &State,
    lock: &StateLock,
    log: &Log,
    witnesses: &Witnesses,
    seen: Option<Vec<Option<u64>>>,
) -> anyhow::Result<Round> {
    let previous = read_cosigned(state, log)?;
    let seen = seen.unwrap_or_else(|| last_seen(witnesses, &previous));
    let results: Vec<WitnessResult> = std::thread::scope(|s| {
        let handles: Vec<_> = witnesses
            .config
            .witnesses
            .iter()
            .zip(seen)
            .map(|(w, seen)| s.spawn(move || submit(&witnesses.client, w, log, seen)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a submission does not panic"))
            .collect()
    });
    let mut note = match &previous {
        CosignedState::Matches(c) if c.checkpoint.size == log.size() => c.note.clone(),
        _ => log.checkpoint().to_owned(),
    };
    let mut merged = false;
    for (w, r) in witnesses.config.witnesses.iter().zip(&results) {
        if let Some(lines) = &r.lines {
            note = tlog::merge_cosignatures(&note, &w.key, lines)
                .context(Said::new(Msg::WgAddingCosignature))?;

            merged = true;
        }
    }
    // Counted from this round's answers: an older cosignature of the same
    // checkpoint is kept in the note, but a witness that refuses now does
    // not vouch for it now.
    let cosignatures = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Cosigned))
        .count();
    let carried = tlog::count_cosignatures(note.as_bytes(), &witnesses.config.keys())?;
    let stored_in = if merged {
        store_cosigned(state, lock, log, &note)?;
        Some(state.dir().join("log").join(COSIGNED_FILE))
    } else {
        None
    };
    Ok(Round {
        witness_list: witnesses.path.clone(),
        origin: log.origin().to_owned(),
        size: log.size(),
        cosignatures,
        required: witnesses.config.required,
        witnesses: results,
        cosigned: (carried > 0).then_some(note),
        stored_in,
    })
}

/// What `log/cosigned` itself shows when it is ahead of the log or
/// diverges from it.
fn behind_own_record(state: &State, log: &Log, cosigned: &CosignedState) -> Option<Behind> {
    let path = state.dir().join("log").join(COSIGNED_FILE);
    let said = match cosigned {
        CosignedState::Ahead(c) => said!(
            Msg::BehindOwnRecord,
            path.display(),
            c.checkpoint.size,
            log.origin(),
            log.size()
        ),
        CosignedState::Diverges(c) => said!(
            Msg::ForkedOwnRecord,
            state.dir().display(),
            path.display(),
            c.checkpoint.size
        ),
        _ => return None,
    };
    Some(Behind { said })
}

/// What `issue` learnt from the witnesses before assigning slots, for
/// [`after_issue`].
#[derive(Debug)]
pub struct BeforeIssue {
    witnesses: Witnesses,
    /// What each witness holds now.
    seen: Vec<Option<u64>>,
}

/// Before any slot is assigned: the state's latest checkpoint goes to its
/// witnesses, and issuing is refused if one of them holds a larger
/// checkpoint of this log or another root ([`Behind`]), or if fewer than
/// the list requires vouch for it ([`TooFewCosignatures`]). `None` when
/// the state has no witness list. Hold the state's lock.
pub fn before_issue(
    state: &State,
    lock: &StateLock,
    explicit: Option<&Path>,
    reporter: impl Reporter,
) -> Result<Option<BeforeIssue>> {
    before(state, lock, explicit, &reporter, Msg::NothingIssuedOnly)
}

/// A logged verification as every front end runs it: [`before_verify`]
/// (refused if the state is behind or forked from what its witnesses saw),
/// [`verify::run_in`](crate::verify::run_in), then [`after_verify`] (the
/// new checkpoint shown to the witnesses, their cosignatures put in the
/// report). `explicit` is the witness list given outside the state, if any.
pub fn verify(
    state: &State,
    settings: &crate::verify::Settings,
    explicit: Option<&Path>,
    reporter: impl Reporter,
) -> Result<crate::verify::Report> {
    verify_with(state, explicit, reporter, |r| {
        crate::verify::run_in(state, settings, r)
    })
}

/// [`verify`] with the verification `run` makes (for instance
/// [`verify::run_split_in`](crate::verify::run_split_in) for a leak split
/// into files), between the same witness round trips.
pub fn verify_with(
    state: &State,
    explicit: Option<&Path>,
    reporter: impl Reporter,
    run: impl FnOnce(&dyn Reporter) -> Result<crate::verify::Report>,
) -> Result<crate::verify::Report> {
    {
        let lock = state.lock().server()?;
        before_verify(state, &lock, explicit, &reporter)?;
    }
    let mut report = run(&reporter)?;
    after_verify(state, explicit, &mut report.log, &reporter)?;
    Ok(report)
}

/// [`before_issue`] for a verification: refused on the same grounds, as
/// its entry would fork a log that is behind, and a leak of a copy an older
/// backup forgot would be read without it.
pub fn before_verify(
    state: &State,
    lock: &StateLock,
    explicit: Option<&Path>,
    reporter: impl Reporter,
) -> Result<()> {
    before(state, lock, explicit, &reporter, Msg::NothingVerifiedOnly).map(|_| ())
}

/// [`before_issue`] and [`before_verify`]: nothing is `what` (issued,
/// verified) unless the witnesses vouch for the state.
fn before(
    state: &State,
    lock: &StateLock,
    explicit: Option<&Path>,
    reporter: &dyn Reporter,
    nothing_done: Msg,
) -> Result<Option<BeforeIssue>> {
    let lang = reporter.lang();
    let log = state.log().server()?;
    let Some(witnesses) = load(state, &log, explicit).server()? else {
        if !matches!(read_cosigned(state, &log).server()?, CosignedState::Absent) {
            fail!(
                Server,
                Msg::WitnessedNoList,
                state.dir().join("log").join(COSIGNED_FILE).display(),
                state.dir().join(crate::WITNESSES_FILE).display(),
                COSIGNED_FILE
            );
        }
        return Ok(None);
    };
    if let Some(b) = behind_own_record(state, &log, &read_cosigned(state, &log).server()?) {
        return Err(Error::server(b));
    }
    let round = round(state, lock, &log, &witnesses, None).server()?;
    if let Some(b) = round.behind(state.dir()) {
        return Err(Error::server(b));
    }
    if round.cosignatures < round.required {
        return Err(Error::server(TooFewCosignatures {
            said: said!(
                nothing_done,
                round.shortfall(lang),
                witnesses.path.display()
            ),
        }));
    }
    reporter
        .notice(&tr(
            lang,
            Msg::NoteWitnessesConfirm,
            &[
                &round.cosignatures,
                &witnesses.config.witnesses.len(),
                &round.size,
            ],
        ))
        .server()?;
    let seen = round.witnesses.iter().map(|w| w.holds).collect();
    Ok(Some(BeforeIssue { witnesses, seen }))
}

/// After the copies are logged: the new checkpoint goes to the witnesses,
/// `log/cosigned` keeps their cosignatures and the copies' receipts carry
/// them. The copies are issued whatever happens here: a failure is a
/// warning, and `watermark log witness` catches up. Returns the cosigned
/// checkpoint, if the latest one was cosigned. Hold the state's lock.
pub fn after_issue(
    before: Option<BeforeIssue>,
    state: &State,
    lock: &StateLock,
    issued: &[IssuedCopy],
    reporter: impl Reporter,
) -> Result<Option<String>> {
    let Some(BeforeIssue { witnesses, seen }) = before else {
        return Ok(None);
    };
    let done = (|| -> anyhow::Result<(Round, usize)> {
        let log = state.log()?;
        let round = round(state, lock, &log, &witnesses, Some(seen))?;
        let rewritten = match (&round.cosigned, read_cosigned(state, &log)?) {
            (Some(_), CosignedState::Matches(c)) if c.checkpoint.size == log.size() => {
                cosign_receipts(issued, &c)?
            }
            _ => 0,
        };
        Ok((round, rewritten))
    })();
    let lang = reporter.lang();
    let warn = |why: String| {
        reporter
            .notice(&tr(
                lang,
                Msg::WarnIssuedNotWitnessed,
                &[&why, &state.dir().display()],
            ))
            .server()
    };
    match done {
        Err(e) => {
            warn(tr(
                lang,
                Msg::WhyNotWitnessed,
                &[&crate::error_text_in(lang, &e)],
            ))?;
            Ok(None)
        }
        Ok((round, rewritten)) => {
            if let Some(b) = round.behind(state.dir()) {
                warn(b.said.in_lang(lang))?;
            } else if round.cosignatures < round.required {
                warn(tr(lang, Msg::WhyOnly, &[&round.shortfall(lang)]))?;
            } else {
                reporter
                    .notice(&tr(
                        lang,
                        Msg::NoteCosignedReceipts,
                        &[
                            &round.cosignatures,
                            &round.size,
                            &count(lang, Msg::Copies, rewritten as u64),
                        ],
                    ))
                    .server()?;
            }
            Ok(round.cosigned)
        }
    }
}

/// After a verification is logged: when the state has witnesses, the new
/// checkpoint goes to them, and the report's checkpoint and receipts carry
/// their cosignatures when they cosigned the checkpoint the report was
/// made against. Failures are warnings: the verification stands.
pub fn after_verify(
    state: &State,
    explicit: Option<&Path>,
    report_log: &mut LogSection,
    reporter: impl Reporter,
) -> Result<()> {
    let state_dir = state.dir();
    let lang = reporter.lang();
    let done = (|| -> anyhow::Result<Option<Round>> {
        let lock = state.lock()?;
        let log = state.log()?;
        let Some(witnesses) = load(state, &log, explicit)? else {
            return Ok(None);
        };
        round(state, &lock, &log, &witnesses, None).map(Some)
    })();
    let round = match done {
        Ok(None) => return Ok(()),
        Ok(Some(r)) => r,
        Err(e) => {
            reporter
                .notice(&tr(
                    lang,
                    Msg::WarnVerifyNotWitnessed,
                    &[&crate::error_text_in(lang, &e)],
                ))
                .server()?;
            return Ok(());
        }
    };
    if let Some(b) = round.behind(state_dir) {
        reporter
            .notice(&tr(lang, Msg::WarnVerifyBut, &[&b.said.in_lang(lang)]))
            .server()?;
    } else if round.cosignatures < round.required {
        reporter
            .notice(&tr(lang, Msg::WarnVerifyOnly, &[&round.shortfall(lang)]))
            .server()?;
    }
    if let Some(note) = &round.cosigned {
        let text = |n: &str| n.rfind("\n\n").map(|at| n[..at].to_owned());
        if text(note) == text(&report_log.checkpoint) {
            report_log.checkpoint = note.clone();
            for r in std::iter::once(&mut report_log.verification).chain(
                report_log
                    .accused
                    .iter_mut()
                    .flat_map(|a| a.copies.iter_mut()),
            ) {
                if text(&r.checkpoint) == text(note) {
                    r.checkpoint = note.clone();
                }
            }
        }
    }
    Ok(())
}

/// `watermark log witness`: submits the log's latest checkpoint to the
/// state's witnesses and keeps their cosignatures. Returns the round, to
/// show, and its verdict: a [`Behind`] when a witness, or `log/cosigned`
/// itself, shows the state to be behind or forked; a
/// [`TooFewCosignatures`] when fewer witnesses cosigned than the list
/// requires.
pub fn log_witness(
    state_dir: &Path,
    explicit: Option<&Path>,
    lang: Lang,
) -> Result<(Round, Result<()>)> {
    let state = State::open_for_audit(state_dir).server()?;
    let lock = state.lock().server()?;
    let log = state.log().server()?;
    let Some(witnesses) = load(&state, &log, explicit).server()? else {
        fail!(
            Server,
            Msg::NoWitnessList,
            state.dir().join(crate::WITNESSES_FILE).display()
        );
    };
    let own = behind_own_record(&state, &log, &read_cosigned(&state, &log).server()?);
    let round = round(&state, &lock, &log, &witnesses, None).server()?;
    let verdict = if let Some(b) = round.behind(state.dir()).or(own) {
        Err(Error::server(b))
    } else if round.cosignatures < round.required {
        Err(Error::server(TooFewCosignatures {
            said: said!(Msg::WhyOnly, round.shortfall(lang)),
        }))
    } else {
        Ok(())
    };
    Ok((round, verdict))
}
