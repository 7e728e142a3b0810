//! Signed evidence reports: the result of `watermark verify` as one
//! self-contained HTML file, signed with the issuance log's Ed25519 key, that
//! anyone holding the log's public key can check (`watermark report verify`).
//!
//! # The signed bytes
//!
//! A report is UTF-8 text. Its last line is the signature line, and nothing
//! follows its newline:
//!
//! ```text
//! <!-- watermark-evidence-signature v1 ed25519 key=NAME+KEYID sig=SIG -->\n
//! ```
//!
//! where `NAME` is the log's origin (its key name, with `%`, `&`, `<`, `>`
//! and any byte outside printable ASCII written as `%XX`), `KEYID` the key
//! id in 8 lower-case hex digits, and `SIG` the 64-byte Ed25519 signature in
//! 128 lower-case hex digits. The *payload* is every byte before that line:
//! from the first byte of the file up to and including the newline that
//! ends the line before it; it starts with `<!DOCTYPE html>`. The signature
//! is over
//!
//! ```text
//! "watermark evidence report v1\n" || payload
//! ```
//!
//! (see [`watermark_log::tlog::Signer::sign_detached`]: the context line
//! contains a space, so no report signature is a checkpoint signature of the
//! same key, or the reverse).
//!
//! A verifier takes the key from outside the report, splits the file at its
//! last line, requires that line to be *exactly* the signature line the
//! trusted key and the signature bytes give, and checks the signature over
//! the payload. So any change to any single byte fails: in the payload the
//! signature no longer matches; in the signature line the line is no longer
//! the canonical one for the trusted key, or the signature bytes change; the
//! newline before the signature line, or the final one, changed makes the
//! last line something else.
//!
//! Nothing secret goes into a report: it is made from the
//! [`Report`] of `watermark verify --json`,
//! which holds digests, counts, scores and log receipts, never the master
//! key, the log's signing key or a service token.
//!
//! A report file name that is taken, or in no directory, is
//! [`Fault::Input`](crate::Fault::Input); signing it and writing it are
//! [`Fault::Server`](crate::Fault::Server). A report that does not verify
//! is a [`Rejected`].

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use watermark_log::tlog::{Signer, Verifier};
use watermark_log::{hash_hex, Entry};

use crate::error::{fail, Blame as _};
use crate::messages::{count, tr, tr_html, trn_html, Msg};
use crate::text::{bound, decimal, describe_score, int, score_bound, score_odds};
use crate::verify::Report;
use crate::{Error, Lang, Result};
use watermark_text::{said, SaidContext as _};

/// The context line signed before the payload (domain separation).
pub const CONTEXT: &str = "watermark evidence report v1\n";
/// How every report's payload starts.
pub const DOCTYPE: &str = "<!DOCTYPE html>\n";
/// The signature line up to the key.
const SIG_START: &str = "<!-- watermark-evidence-signature v1 ed25519 key=";
/// Between the key and the signature.
const SIG_MIDDLE: &str = " sig=";
/// After the signature.
const SIG_END: &str = " -->";
/// The id of the element holding the embedded JSON report.
pub const JSON_ELEMENT_ID: &str = "watermark-report";
/// The opening tag of that element, exactly as written.
const JSON_OPEN: &str = "<script type=\"application/json\" id=\"watermark-report\">\n";

/// Recipients drawn in the chart (the ranking table lists them all).
const CHART_MAX: usize = 40;
/// Evidence rows listed per accused (the JSON holds them all).
const EVIDENCE_MAX: usize = 300;

/// A report that does not verify: changed, unsigned, signed by another key,
/// or carrying something that does not check out. `watermark` exits with
/// status 3 for it.
#[derive(Debug)]
pub struct Rejected {
    /// What failed, in words.
    pub reason: String,
}

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Rejected {}

fn rejected(reason: impl Into<String>) -> Rejected {
    Rejected {
        reason: reason.into(),
    }
}

pub use crate::html::escape;

/// JSON text made safe inside a `<script>` element: `<`, `>` and `&` only
/// occur inside JSON strings, where `\u003c` and the like mean the same.
fn json_for_script(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// A key name as the signature line writes it: `%`, `&`, `<`, `>` and bytes
/// outside printable ASCII as `%XX`, so that the line stays one HTML
/// comment whatever the name. One name, one spelling.
fn comment_safe(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if (0x21..0x7f).contains(&b) && !matches!(b, b'%' | b'&' | b'<' | b'>') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2)
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// `NAME+KEYID` as the signature line writes it.
fn key_label(key: &Verifier) -> String {
    format!("{}+{:08x}", comment_safe(key.name()), key.key_id())
}

/// The signature line for `key` and `signature`, without its newline.
pub fn signature_line(key: &Verifier, signature: &[u8]) -> String {
    format!(
        "{SIG_START}{}{SIG_MIDDLE}{}{SIG_END}",
        key_label(key),
        hex(signature)
    )
}

/// Renders in English and signs `report` with the log's signing key, which
/// must be the key the report's log section names. Returns the whole file.
pub fn sign(report: &Report, signer: &Signer) -> Result<String> {
    sign_in(report, signer, Lang::En)
}

/// [`sign`], the report rendered in `lang`. The signature covers the
/// rendered bytes, whichever the language: both verify alike.
pub fn sign_in(report: &Report, signer: &Signer, lang: Lang) -> Result<String> {
    let key = signer.verifier();
    if key.to_vkey() != report.log.public_key {
        fail!(
            Server,
            Msg::SigningKeyNotLogs,
            format!("{}+{:08x}", key.name(), key.key_id()),
            report.log.public_key
        );
    }
    let mut file = render_in(report, &key, lang);
    let signature = signer
        .sign_detached(CONTEXT, file.as_bytes())
        .said(|| said!(Msg::CtxSigningReport))
        .server()?;
    file.push_str(&signature_line(&key, &signature));
    file.push('\n');
    Ok(file)
}

/// The file split into its payload and its last line (without the final
/// newline).
pub fn split(file: &[u8]) -> Result<(&[u8], &[u8]), Rejected> {
    let Some(body) = file.strip_suffix(b"\n") else {
        return Err(rejected(
            "it does not end with a newline after its signature line: it was cut or changed \
             after signing",
        ));
    };
    let start = body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    Ok((&file[..start], &body[start..]))
}

/// Checks the signature of a whole report file with a key obtained from
/// outside it. Returns the payload (the signed bytes after the context).
pub fn check_signature<'a>(file: &'a [u8], key: &Verifier) -> Result<&'a [u8], Rejected> {
    let (payload, line) = split(file)?;
    let Some(rest) = line
        .strip_prefix(SIG_START.as_bytes())
        .and_then(|r| r.strip_suffix(SIG_END.as_bytes()))
    else {
        return Err(rejected(
            "its last line is not a watermark evidence signature: the file is not a signed \
             report, or it was changed after signing",
        ));
    };
    let text = std::str::from_utf8(rest)
        .map_err(|_| rejected("its signature line is not valid UTF-8: it was changed"))?;
    let Some((label, sig_hex)) = text.rsplit_once(SIG_MIDDLE) else {
        return Err(rejected("its signature line is malformed: it was changed"));
    };
    if label != key_label(key) {
        let shown: String = label
            .chars()
            .filter(|c| !c.is_control())
            .take(120)
            .collect();
        return Err(rejected(format!(
            "it is signed by key {shown}, not by the key given ({}+{:08x}), or its signature \
             line was changed",
            comment_safe(key.name()),
            key.key_id()
        )));
    }
    let signature = match unhex(sig_hex) {
        Some(s) if s.len() == 64 => s,
        _ => {
            return Err(rejected(
                "its signature is not 128 lower-case hex digits: it was changed",
            ))
        }
    };
    if line != signature_line(key, &signature).as_bytes() {
        return Err(rejected("its signature line is malformed: it was changed"));
    }
    if !payload.starts_with(DOCTYPE.as_bytes()) {
        return Err(rejected(
            "it does not start with <!DOCTYPE html> and a newline: it was changed",
        ));
    }
    key.verify_detached(CONTEXT, payload, &signature)
        .map_err(|_| {
            rejected(format!(
                "the Ed25519 signature does not verify with key {}+{:08x}: a byte of the report \
                 was changed after signing",
                comment_safe(key.name()),
                key.key_id()
            ))
        })?;
    Ok(payload)
}

/// The JSON report embedded in a payload.
pub fn embedded_json(payload: &[u8]) -> Result<serde_json::Value, Rejected> {
    let text = std::str::from_utf8(payload).map_err(|e| {
        rejected(format!(
            "it is not UTF-8 (byte {}), so not a report this tool wrote",
            e.valid_up_to()
        ))
    })?;
    let start = text
        .find(JSON_OPEN)
        .map(|i| i + JSON_OPEN.len())
        .ok_or_else(|| rejected("it carries no embedded JSON report"))?;
    let len = text[start..]
        .find("</script>")
        .ok_or_else(|| rejected("its embedded JSON report is not closed"))?;
    serde_json::from_str(&text[start..start + len])
        .map_err(|e| rejected(format!("its embedded JSON report does not parse: {e}")))
}

/// Checks that a report can be written to `path`: not there yet, in a
/// directory that exists. Done before verifying, so that a verification is
/// not logged for a report that cannot be written.
pub fn check_destination(path: &Path) -> Result<()> {
    if path.exists() {
        fail!(Input, Msg::ReportExists, path.display());
    }
    let dir = parent_dir(path);
    if !dir.is_dir() {
        fail!(Input, Msg::ReportDirMissing, path.display(), dir.display());
    }
    Ok(())
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Writes a report to `path` through a temporary file in the same
/// directory, renamed into place only if `path` still does not exist; mode
/// 0644 (a report is meant to be handed over).
pub fn write_new(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = parent_dir(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(".watermark-report-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .said(|| said!(Msg::CtxTempFileIn, dir.display()))
        .server()?;
    tmp.write_all(contents)
        .and_then(|_| tmp.as_file().sync_all())
        .said(|| said!(Msg::CtxWriting, tmp.path().display()))
        .server()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))
            .said(|| said!(Msg::ApSettingMode, tmp.path().display()))
            .server()?;
    }
    tmp.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            Error::input(said!(Msg::ReportExists, path.display()))
        } else {
            Error::server(
                anyhow::Error::new(e.error).context(said!(Msg::CtxWriting, path.display())),
            )
        }
    })?;
    Ok(())
}

/// Renders the report's payload in English: everything the signature
/// covers.
pub fn render(r: &Report, key: &Verifier) -> String {
    render_in(r, key, Lang::En)
}

/// Renders the report's payload in `lang`. The embedded JSON is the same
/// in both languages.
pub fn render_in(r: &Report, key: &Verifier, lang: Lang) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let file = r.leak.file.display().to_string();
    let verification = match Entry::from_canonical(&r.log.verification.entry) {
        Ok(Entry::Verify(v)) => Some(v),
        _ => None,
    };
    h.push_str(DOCTYPE);
    let _ = writeln!(
        h,
        "<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">",
        lang.html_tag()
    );
    // Nothing in a report runs or loads, even if opened from disk.
    h.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'\">\n",
    );
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        h,
        "<meta name=\"generator\" content=\"{}\">",
        escape(r.tool)
    );
    let _ = writeln!(
        h,
        "<title>{}</title>",
        tr_html(lang, Msg::ReportTitle, &[&escape(&file)])
    );
    h.push_str(STYLE);
    h.push_str("</head>\n<body>\n");

    // Header.
    let _ = writeln!(
        h,
        "<header>\n<p class=\"kicker\">{}</p>",
        tr_html(lang, Msg::Kicker, &[])
    );
    let _ = writeln!(
        h,
        "<h1>{}</h1>",
        tr_html(lang, Msg::H1LeakedFile, &[&id(&file)])
    );
    let meta = match &verification {
        Some(v) => tr_html(
            lang,
            Msg::VerifiedBy,
            &[
                &escape(&v.time),
                &escape(&v.investigator),
                &escape(r.tool),
                &r.log.verification.index,
                &id(&r.log.origin),
            ],
        ),
        None => tr_html(
            lang,
            Msg::VerifiedWith,
            &[
                &escape(r.tool),
                &r.log.verification.index,
                &id(&r.log.origin),
            ],
        ),
    };
    let _ = writeln!(h, "<p class=\"meta\">{meta}</p>");
    h.push_str("</header>\n");

    conclusion(&mut h, r, lang);
    what_was_read(&mut h, r, &file, lang);
    method(&mut h, r, lang);
    ranking(&mut h, r, lang);
    evidence(&mut h, r, lang);
    log_section(&mut h, r, lang);
    recheck(&mut h, r, &file, key, lang);
    signature_section(&mut h, key, lang);

    // The machine-readable report.
    h.push_str(JSON_OPEN);
    let json = serde_json::to_string_pretty(r).expect("reports serialise");
    h.push_str(&json_for_script(&json));
    h.push_str("\n</script>\n</body>\n</html>\n");
    h
}

/// Text as an identifier: escaped, in the monospaced style.
fn id(text: &str) -> String {
    format!("<span class=\"id\">{}</span>", escape(text))
}

/// The first letter upper-case: a message that starts a sentence.
fn sentence(text: &str) -> String {
    let mut c = text.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

const STYLE: &str = "<style>
  :root { color-scheme: light; }
  body { font: 15px/1.5 Georgia, 'Times New Roman', serif; color: #1a1a1a; margin: 2em auto; max-width: 54em; padding: 0 1.2em; }
  h1, h2, h3 { font-family: system-ui, 'Helvetica Neue', Arial, sans-serif; line-height: 1.25; }
  h1 { font-size: 1.55em; margin: .2em 0; }
  h2 { font-size: 1.2em; margin: 1.8em 0 .5em; border-bottom: 1px solid #bbb; padding-bottom: .15em; }
  h3 { font-size: 1.02em; margin: 1.2em 0 .3em; }
  .kicker { font: 600 .8em system-ui, sans-serif; letter-spacing: .08em; text-transform: uppercase; color: #555; margin: 0; }
  .meta, .muted { color: #555; }
  .id, code, pre { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: .88em; overflow-wrap: anywhere; }
  pre { white-space: pre-wrap; background: #f5f5f5; border: 1px solid #ddd; padding: .6em .8em; }
  .verdict { border-left: 6px solid #999; background: #f4f4f4; padding: .5em 1.1em; margin: 1em 0; }
  .verdict.accused { border-color: #a40000; background: #fbf1f1; }
  .verdict .big { font: 600 1.25em system-ui, sans-serif; margin: .3em 0; }
  table { border-collapse: collapse; margin: .5em 0; width: 100%; }
  th, td { border: 1px solid #ccc; padding: .2em .5em; text-align: left; vertical-align: top; }
  th { background: #f0f0f0; font: 600 .9em system-ui, sans-serif; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  tr.accused td { background: #fbf1f1; font-weight: 600; }
  table.facts th { width: 13em; }
  ol li { margin: .4em 0; }
  svg text { font: 12px system-ui, sans-serif; fill: #1a1a1a; }
  @media print {
    body { margin: 0; max-width: none; font-size: 11pt; }
    h2 { break-after: avoid; }
    tr, .verdict, pre, svg { break-inside: avoid; }
    pre { background: none; }
  }
  @page { margin: 16mm; }
</style>
";

fn conclusion(h: &mut String, r: &Report, lang: Lang) {
    let _ = writeln!(
        h,
        "<section id=\"conclusion\">\n<h2>{}</h2>",
        tr_html(lang, Msg::HConclusion, &[])
    );
    if r.accused.is_empty() {
        h.push_str("<div class=\"verdict\">\n");
        let _ = write!(
            h,
            "<p class=\"big\">{}</p>\n<p>{}",
            tr_html(lang, Msg::NoOneIsAccused, &[]),
            tr_html(lang, Msg::NoCopyMatches, &[&bound(r.threshold)])
        );
        if let Some(best) = r.recipients.first() {
            h.push_str(&tr_html(
                lang,
                Msg::Closest,
                &[
                    &id(&best.recipient),
                    &score_bound(best),
                    &escape(&score_odds(lang, best)),
                ],
            ));
        }
        h.push_str("</p>\n");
        if r.positions_read < 100 {
            let _ = writeln!(
                h,
                "<p>{}</p>",
                trn_html(
                    lang,
                    Msg::OnlyFew,
                    r.positions_read,
                    &[&int(r.positions_read)]
                )
            );
        }
        h.push_str("</div>\n");
    }
    for a in &r.accused {
        h.push_str("<div class=\"verdict accused\">\n");
        let _ = writeln!(
            h,
            "<p class=\"big\">{}</p>",
            tr_html(lang, Msg::AccusedBig, &[&id(&a.recipient)])
        );
        let _ = writeln!(
            h,
            "<p>{}</p>",
            tr_html(
                lang,
                Msg::AccusedPara,
                &[
                    &escape(&a.recipient),
                    &int(a.matching_positions),
                    &escape(&count(lang, Msg::DistinctPositions, r.positions_read)),
                    &format!("<strong>{}</strong>", score_bound(a)),
                    &escape(&score_odds(lang, a)),
                    &escape(&count(lang, Msg::Recipients, r.comparisons)),
                    &escape(&count(lang, Msg::Scores, u64::from(r.scores_per_recipient))),
                    &bound(r.threshold),
                    &escape(&describe_score(lang, &a.decided_by)),
                ],
            )
        );
        h.push_str("</div>\n");
    }
    h.push_str("</section>\n");
}

fn fact(h: &mut String, lang: Lang, name: Msg, value_html: &str) {
    let _ = writeln!(
        h,
        "<tr><th>{}</th><td>{value_html}</td></tr>",
        tr_html(lang, name, &[])
    );
}

fn list(items: &[String]) -> String {
    items.iter().map(|s| id(s)).collect::<Vec<_>>().join(", ")
}

fn what_was_read(h: &mut String, r: &Report, file: &str, lang: Lang) {
    let n = |m: Msg, v: u64| escape(&count(lang, m, v));
    let _ = writeln!(
        h,
        "<section id=\"read\">\n<h2>{}</h2>\n<table class=\"facts\">",
        tr_html(lang, Msg::HWhatWasRead, &[])
    );
    fact(h, lang, Msg::FactFile, &id(file));
    fact(h, lang, Msg::FactBlake3, &id(&r.leak.blake3));
    fact(h, lang, Msg::FactSize, &n(Msg::Bytes, r.leak.bytes));
    let mut rows = tr_html(
        lang,
        Msg::RowsFact,
        &[&n(Msg::Rows, r.rows_read), &int(r.rows_used)],
    );
    if r.rows_without_identity > 0 {
        rows.push_str(&trn_html(
            lang,
            Msg::NoIdentitySkipped,
            r.rows_without_identity,
            &[&int(r.rows_without_identity)],
        ));
    }
    fact(h, lang, Msg::FactRows, &rows);
    if let Some(ident) = &r.identifier {
        let mut text = tr_html(
            lang,
            Msg::IdentityFact,
            &[
                &int(ident.rows_valid),
                &n(Msg::Rows, r.rows_read),
                &escape(ident.kind.name()),
            ],
        );
        if ident.warning {
            let _ = write!(
                text,
                ": <strong>{}</strong>; {}",
                tr_html(lang, Msg::IdentityAltered, &[]),
                tr_html(lang, Msg::IdentityNoMark, &[])
            );
        }
        fact(h, lang, Msg::FactIdentity, &text);
    }
    let columns: Vec<String> = r
        .groups
        .iter()
        .flat_map(|g| g.positions_by_column.iter())
        .map(|c| format!("{} {}", id(&c.column), int(c.positions)))
        .collect();
    fact(
        h,
        lang,
        Msg::FactMarkedPositions,
        &tr_html(
            lang,
            Msg::PositionsFact,
            &[
                &n(Msg::DistinctPositions, r.positions_read),
                &if columns.is_empty() {
                    tr_html(lang, Msg::NoCarrierColumn, &[])
                } else {
                    columns.join(", ")
                },
            ],
        ),
    );
    fact(
        h,
        lang,
        Msg::FactCanaryRows,
        &if r.canaries_known > 0 {
            tr_html(
                lang,
                Msg::CanariesFound,
                &[
                    &int(r.canaries_found),
                    &n(Msg::CanaryRows, r.canaries_known),
                ],
            )
        } else {
            tr_html(lang, Msg::NoCanaries, &[])
        },
    );
    if r.repeated_positions > 0 {
        let mut text = trn_html(
            lang,
            Msg::Repeated,
            r.repeated_positions,
            &[&int(r.repeated_positions)],
        );
        if r.conflicting_positions > 0 {
            text.push_str(&tr_html(
                lang,
                Msg::Disagreed,
                &[&int(r.conflicting_positions)],
            ));
        }
        fact(h, lang, Msg::FactRepeats, &text);
    }
    fact(
        h,
        lang,
        Msg::FactColumnsLeftOut,
        &if r.columns_normalised.is_empty() {
            tr_html(lang, Msg::NoneOf, &[])
        } else {
            tr_html(lang, Msg::LeftOutWhy, &[&list(&r.columns_normalised)])
        },
    );
    let missing: Vec<String> = r
        .groups
        .iter()
        .flat_map(|g| g.columns_missing.iter().cloned())
        .collect();
    if !missing.is_empty() {
        fact(h, lang, Msg::FactNotInFile, &list(&missing));
    }
    if let Some(m) = &r.master {
        let mut text = format!(
            "{}, BLAKE3 {}. ",
            id(&m.file.display().to_string()),
            id(&m.blake3)
        );
        if m.used {
            text.push_str(&sentence(&tr_html(
                lang,
                Msg::MatchedToMaster,
                &[
                    &int(m.rows_matched),
                    &n(Msg::Rows, r.rows_read),
                    &list(&m.columns),
                ],
            )));
            if m.rows_unmatched + m.rows_ambiguous > 0 {
                text.push_str(&tr_html(
                    lang,
                    Msg::NotUsed,
                    &[&int(m.rows_unmatched), &int(m.rows_ambiguous)],
                ));
            }
            text.push('.');
        } else {
            text.push_str(&sentence(&tr_html(lang, Msg::MasterNotNeeded, &[])));
            text.push('.');
        }
        fact(h, lang, Msg::FactMaster, &text);
    }
    let groups: Vec<String> = r
        .groups
        .iter()
        .map(|g| {
            tr_html(
                lang,
                Msg::GroupLine,
                &[
                    &n(Msg::Recipients, g.recipients as u64),
                    &id(&g.key_id),
                    &id(&g.policy_digest),
                    &n(Msg::Positions, g.positions_read),
                ],
            )
        })
        .collect();
    fact(h, lang, Msg::FactCopiesCompared, &groups.join("<br>"));
    for nc in &r.not_compared {
        fact(
            h,
            lang,
            Msg::FactNotCompared,
            &tr_html(
                lang,
                Msg::NotComparedWhy,
                &[
                    &list(&nc.recipients),
                    &id(&nc.policy_digest),
                    &escape(&nc.reason),
                ],
            ),
        );
    }
    h.push_str("</table>\n</section>\n");
}

fn method(h: &mut String, r: &Report, lang: Lang) {
    let _ = writeln!(
        h,
        "<section id=\"method\">\n<h2>{}</h2>",
        tr_html(lang, Msg::HMethod, &[])
    );
    let _ = writeln!(h, "<p>{}</p>", tr_html(lang, Msg::Method, &[]));
    let _ = writeln!(
        h,
        "<p>{}</p>",
        trn_html(
            lang,
            Msg::InNumbers,
            r.comparisons,
            &[
                &escape(&count(lang, Msg::Recipients, r.comparisons)),
                &escape(&count(lang, Msg::Scores, u64::from(r.scores_per_recipient))),
                &bound(r.threshold),
            ],
        )
    );
    h.push_str("</section>\n");
}

fn ranking(h: &mut String, r: &Report, lang: Lang) {
    let _ = writeln!(
        h,
        "<section id=\"ranking\">\n<h2>{}</h2>",
        tr_html(lang, Msg::HRanking, &[])
    );
    let _ = writeln!(
        h,
        "<p class=\"muted\">{}</p>",
        tr_html(
            lang,
            Msg::RankingNote,
            &[&int(r.positions_read), &bound(r.threshold)]
        )
    );
    chart(h, r, lang);
    h.push_str("<table>\n<thead><tr>");
    for m in [
        Msg::ThRank,
        Msg::ThRecipient,
        Msg::ThScore,
        Msg::ThSingleScore,
        Msg::ThMatching,
        Msg::ThBound,
        Msg::ThInWords,
    ] {
        let _ = write!(h, "<th>{}</th>", tr_html(lang, m, &[]));
    }
    h.push_str("<th></th></tr></thead>\n<tbody>\n");
    let accused = tr_html(lang, Msg::AccusedMark, &[]);
    let of = int(r.positions_read);
    for (i, x) in r.recipients.iter().enumerate() {
        let _ = writeln!(
            h,
            "<tr{}><td class=\"num\">{}</td><td>{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}/{of}</td>\
             <td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            if x.accused { " class=\"accused\"" } else { "" },
            int(i as u64 + 1),
            id(&x.recipient),
            decimal(x.score, 2),
            decimal(x.single_leaker_score, 2),
            int(x.matching_positions),
            score_bound(x),
            escape(&score_odds(lang, x)),
            if x.accused { accused.as_str() } else { "" }
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}
/// A horizontal bar per recipient (the first [`CHART_MAX`] by rank), from a
/// zero line: Tardos scores can be negative.
fn chart(h: &mut String, r: &Report, lang: Lang) {
    let shown = &r.recipients[..r.recipients.len().min(CHART_MAX)];
    if shown.is_empty() {
        return;
    }
    let (label_w, bar_w, value_w, row_h, top) = (190.0, 400.0, 70.0, 20.0, 6.0);
    let width = label_w + bar_w + value_w;
    let height = top * 2.0 + row_h * shown.len() as f64;
    let finite = |v: f64| if v.is_finite() { v } else { 0.0 };
    let lo = shown.iter().map(|x| finite(x.score)).fold(0.0f64, f64::min);
    let mut hi = shown.iter().map(|x| finite(x.score)).fold(0.0f64, f64::max);
    if hi - lo < 1e-9 {
        hi = lo + 1.0;
    }
    let x_of = |v: f64| label_w + bar_w * (finite(v) - lo) / (hi - lo);
    let zero = x_of(0.0);
    let _ = writeln!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 {width} {height}\" \
         width=\"100%\" aria-labelledby=\"chart-title\"><title id=\"chart-title\">{}</title>",
        tr_html(
            lang,
            Msg::ChartTitle,
            &[&escape(&count(lang, Msg::Recipients, shown.len() as u64))]
        )
    );
    for (i, x) in shown.iter().enumerate() {
        let y = top + row_h * i as f64;
        let (a, b) = (zero.min(x_of(x.score)), zero.max(x_of(x.score)));
        let name: String = if x.recipient.chars().count() > 26 {
            x.recipient.chars().take(25).collect::<String>() + "\u{2026}"
        } else {
            x.recipient.clone()
        };
        let _ = writeln!(
            h,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{a:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{:.2}</text>",
            label_w - 8.0,
            y + row_h * 0.7,
            escape(&name),
            y + 3.0,
            (b - a).max(0.5),
            row_h - 6.0,
            if x.accused { "#a40000" } else { "#8a9bb0" },
            label_w + bar_w + 6.0,
            y + row_h * 0.7,
            x.score
        );
    }
    let _ = writeln!(
        h,
        "<line x1=\"{zero:.1}\" x2=\"{zero:.1}\" y1=\"0\" y2=\"{height}\" stroke=\"#333\" \
         stroke-width=\"1\"/></svg>"
    );
    if r.recipients.len() > shown.len() {
        let _ = writeln!(
            h,
            "<p class=\"muted\">{}</p>",
            tr_html(
                lang,
                Msg::ChartFirst,
                &[
                    &int(shown.len() as u64),
                    &escape(&count(lang, Msg::Recipients, r.recipients.len() as u64))
                ]
            )
        );
    }
}

fn evidence(h: &mut String, r: &Report, lang: Lang) {
    let with: Vec<_> = r
        .accused
        .iter()
        .filter(|a| !a.evidence.is_empty())
        .collect();
    if with.is_empty() {
        return;
    }
    let _ = writeln!(
        h,
        "<section id=\"evidence\">\n<h2>{}</h2>\n<p class=\"muted\">{}</p>",
        tr_html(lang, Msg::HEvidence, &[]),
        tr_html(lang, Msg::EvidenceNote, &[])
    );
    let canary = tr(lang, Msg::CanaryHeld, &[]);
    for a in with {
        let mut rows: Vec<(u64, Vec<String>)> = Vec::new();
        for e in &a.evidence {
            let what = if e.canary {
                canary.clone()
            } else {
                e.column.clone()
            };
            match rows.last_mut() {
                Some((row, cols)) if *row == e.row => {
                    if !cols.contains(&what) {
                        cols.push(what);
                    }
                }
                _ => rows.push((e.row, vec![what])),
            }
        }
        // What agrees in all, and what the report keeps of it.
        let kept = a.evidence.len() as u64;
        let in_rows = escape(&count(lang, Msg::Rows, rows.len() as u64));
        let counts = if kept >= a.matching_positions {
            tr_html(
                lang,
                Msg::EvidenceCountsAll,
                &[&escape(&count(lang, Msg::Positions, kept)), &in_rows],
            )
        } else {
            tr_html(
                lang,
                Msg::EvidenceCounts,
                &[
                    &escape(&count(lang, Msg::Positions, a.matching_positions)),
                    &int(kept),
                    &in_rows,
                ],
            )
        };
        let _ = writeln!(
            h,
            "<h3>{}</h3>",
            tr_html(lang, Msg::AgreeingWith, &[&id(&a.recipient), &counts])
        );
        let _ = writeln!(
            h,
            "<table>\n<thead><tr><th>{}</th><th>{}</th></tr></thead>\n<tbody>",
            tr_html(lang, Msg::ThLeakRow, &[]),
            tr_html(lang, Msg::ThMarks, &[])
        );
        for (row, cols) in rows.iter().take(EVIDENCE_MAX) {
            let _ = writeln!(
                h,
                "<tr><td class=\"num\">{}</td><td>{}</td></tr>",
                int(*row),
                list(cols)
            );
        }
        h.push_str("</tbody>\n</table>\n");
        if rows.len() > EVIDENCE_MAX {
            let _ = writeln!(
                h,
                "<p class=\"muted\">{}</p>",
                tr_html(
                    lang,
                    Msg::EvidenceFirstRows,
                    &[&int(EVIDENCE_MAX as u64), &int(rows.len() as u64)]
                )
            );
        }
    }
    h.push_str("</section>\n");
}

fn receipt_block(
    h: &mut String,
    lang: Lang,
    title: &str,
    receipt: &watermark_log::Receipt,
    latest: &str,
) {
    let n = |m: Msg, v: u64| escape(&count(lang, m, v));
    let _ = writeln!(h, "<h3>{title}</h3>\n<table class=\"facts\">");
    fact(h, lang, Msg::FactEntry, &receipt.index.to_string());
    match Entry::from_canonical(&receipt.entry) {
        Ok(Entry::Issue(e)) => {
            fact(h, lang, Msg::FactTime, &escape(&e.time));
            fact(
                h,
                lang,
                Msg::FactRecipient,
                &tr_html(lang, Msg::SlotOf, &[&id(&e.recipient), &e.slot]),
            );
            fact(
                h,
                lang,
                Msg::FactCopy,
                &format!(
                    "BLAKE3 {}, {}, {}, {}",
                    id(&e.output_blake3),
                    n(Msg::Rows, e.output_rows),
                    n(Msg::Bytes, e.output_bytes),
                    n(Msg::CanaryRows, e.canaries)
                ),
            );
            fact(
                h,
                lang,
                Msg::FactMadeFrom,
                &tr_html(
                    lang,
                    Msg::MadeFrom,
                    &[
                        &id(&e.input_blake3),
                        &n(Msg::Rows, e.input_rows),
                        &id(&e.key_id),
                        &id(&e.policy_digest),
                    ],
                ),
            );
        }
        Ok(Entry::Verify(v)) => {
            fact(h, lang, Msg::FactTime, &escape(&v.time));
            fact(h, lang, Msg::FactInvestigator, &escape(&v.investigator));
            fact(
                h,
                lang,
                Msg::FactLeakedFile,
                &format!(
                    "BLAKE3 {}, {}{}, {}, {}",
                    id(&v.leak_blake3),
                    n(Msg::Bytes, v.leak_bytes),
                    match (&v.leak_format, &v.leak_encoding) {
                        (Some(f), Some(e)) => tr_html(
                            lang,
                            Msg::ReadAs,
                            &[&format!("{} ({})", escape(f), escape(e))]
                        ),
                        (Some(f), None) => tr_html(lang, Msg::ReadAs, &[&escape(f)]),
                        _ => String::new(),
                    },
                    n(Msg::Rows, v.rows_read),
                    n(Msg::Positions, v.positions_read)
                ),
            );
            let accused: Vec<String> = v
                .accused
                .iter()
                .map(|a| {
                    tr_html(
                        lang,
                        Msg::AccusedItem,
                        &[&id(&a.recipient), &a.slot, &escape(&a.bound)],
                    )
                })
                .collect();
            let compared = n(Msg::Recipients, v.comparisons);
            fact(
                h,
                lang,
                Msg::FactResult,
                &if accused.is_empty() {
                    trn_html(
                        lang,
                        Msg::ResultNone,
                        v.comparisons,
                        &[&compared, &escape(&v.threshold)],
                    )
                } else {
                    trn_html(
                        lang,
                        Msg::ResultAccused,
                        v.comparisons,
                        &[&accused.join(", "), &compared, &escape(&v.threshold)],
                    )
                },
            );
        }
        _ => {}
    }
    fact(
        h,
        lang,
        Msg::FactEntryAsLogged,
        &format!("<code>{}</code>", escape(&receipt.entry)),
    );
    fact(
        h,
        lang,
        Msg::FactLeafHash,
        &tr_html(
            lang,
            Msg::LeafHashNote,
            &[&format!(
                "<code>{}</code>",
                hash_hex(&watermark_log::tlog::leaf_hash(receipt.entry.as_bytes()))
            )],
        ),
    );
    let proof: Vec<String> = receipt
        .inclusion_proof
        .iter()
        .map(|p| format!("<code>{}</code>", hash_hex(p)))
        .collect();
    fact(
        h,
        lang,
        Msg::FactInclusionProof,
        &if proof.is_empty() {
            tr_html(lang, Msg::ProofNone, &[])
        } else {
            format!(
                "{}<br>{}",
                tr_html(lang, Msg::ProofSome, &[&n(Msg::Hashes, proof.len() as u64)]),
                proof.join("<br>")
            )
        },
    );
    if receipt.checkpoint != latest {
        fact(
            h,
            lang,
            Msg::FactCheckpoint,
            &format!("<pre>{}</pre>", escape(&receipt.checkpoint)),
        );
    } else {
        fact(
            h,
            lang,
            Msg::FactCheckpoint,
            &tr_html(lang, Msg::CheckpointBelow, &[]),
        );
    }
    h.push_str("</table>\n");
}

fn log_section(h: &mut String, r: &Report, lang: Lang) {
    let log = &r.log;
    let _ = writeln!(
        h,
        "<section id=\"log\">\n<h2>{}</h2>\n<p>{}</p>",
        tr_html(lang, Msg::HLog, &[]),
        tr_html(lang, Msg::LogIntro, &[&id(&log.origin)])
    );
    h.push_str("<table class=\"facts\">\n");
    fact(
        h,
        lang,
        Msg::FactEntries,
        &tr_html(lang, Msg::EntriesRoot, &[&int(log.size), &id(&log.root)]),
    );
    fact(
        h,
        lang,
        Msg::FactPublicKey,
        &tr_html(lang, Msg::PublicKeyNote, &[&id(&log.public_key)]),
    );
    h.push_str("</table>\n");
    receipt_block(
        h,
        lang,
        &tr_html(lang, Msg::HThisVerification, &[]),
        &log.verification,
        &log.checkpoint,
    );
    for a in &log.accused {
        if a.copies.is_empty() {
            let _ = writeln!(
                h,
                "<p>{}</p>",
                tr_html(lang, Msg::NoIssueFor, &[&id(&a.recipient)])
            );
        }
        for (i, c) in a.copies.iter().enumerate() {
            let title = tr_html(
                lang,
                Msg::CopyIssuedTo,
                &[
                    &id(&a.recipient),
                    &if a.copies.len() > 1 {
                        tr_html(lang, Msg::OfN, &[&(i + 1), &a.copies.len()])
                    } else {
                        String::new()
                    },
                ],
            );
            receipt_block(h, lang, &title, c, &log.checkpoint);
        }
    }
    let _ = writeln!(
        h,
        "<h3>{}</h3>\n<p class=\"muted\">{}</p>\n<pre>{}</pre>",
        tr_html(lang, Msg::HSignedCheckpoint, &[]),
        tr_html(lang, Msg::CheckpointNote, &[]),
        escape(&log.checkpoint)
    );
    h.push_str("</section>\n");
}

fn recheck(h: &mut String, r: &Report, file: &str, key: &Verifier, lang: Lang) {
    let entries: Vec<u64> = std::iter::once(r.log.verification.index)
        .chain(
            r.log
                .accused
                .iter()
                .flat_map(|a| a.copies.iter().map(|c| c.index)),
        )
        .collect();
    let _ = writeln!(
        h,
        "<section id=\"recheck\">\n<h2>{}</h2>\n<ol>",
        tr_html(lang, Msg::HRecheck, &[])
    );
    let _ = writeln!(
        h,
        "<li><p>{}</p>\n<pre>watermark report verify REPORT.html --pubkey KEY</pre></li>",
        tr_html(
            lang,
            Msg::RecheckStep1,
            &[
                &"<code>watermark log pubkey --state STATE</code>",
                &format!(
                    "<span class=\"id\">{}+{:08x}</span>",
                    escape(key.name()),
                    key.key_id()
                ),
            ],
        )
    );
    let _ = writeln!(
        h,
        "<li><p>{}</p>\n<pre>watermark report verify REPORT.html --pubkey KEY --save-receipts \
         receipts\n{}</pre></li>",
        tr_html(
            lang,
            Msg::RecheckStep2,
            &[&"<code>--copy FILE</code>", &"<code>ID.receipt</code>"],
        ),
        entries
            .iter()
            .map(|i| format!(
                "watermark log verify-receipt receipts/entry-{i}.receipt --pubkey KEY"
            ))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let _ = writeln!(
        h,
        "<li><p>{}</p>\n<pre>watermark log consistency --state STATE receipts/checkpoint</pre></li>",
        tr_html(lang, Msg::RecheckStep3, &[])
    );
    let master = r
        .master
        .as_ref()
        .map(|m| tr_html(lang, Msg::AndMasterHtml, &[&id(&m.blake3)]))
        .unwrap_or_default();
    let _ = writeln!(
        h,
        "<li><p>{}</p>\n<pre>{}\nwatermark report verify REPORT.html --pubkey KEY --leaked FILE   \
         {}</pre></li>",
        tr_html(
            lang,
            Msg::RecheckStep4,
            &[&id(&r.leak.blake3), &master, &id(file)]
        ),
        escape(&r.recheck),
        tr_html(lang, Msg::RecheckComment, &[])
    );
    h.push_str("</ol>\n</section>\n");
}

fn signature_section(h: &mut String, key: &Verifier, lang: Lang) {
    let _ = writeln!(
        h,
        "<section id=\"signature\">\n<h2>{}</h2>",
        tr_html(lang, Msg::HSignature, &[])
    );
    let _ = writeln!(
        h,
        "<p>{}</p>\n<pre>{}NAME+KEYID{}{}{}</pre>\n<p>{}</p>",
        tr_html(
            lang,
            Msg::SigPara1,
            &[
                &id(key.name()),
                &format!("<span class=\"id\">{:08x}</span>", key.key_id())
            ],
        ),
        escape(SIG_START),
        escape(SIG_MIDDLE),
        tr_html(lang, Msg::HexDigits, &[]),
        escape(SIG_END),
        tr_html(
            lang,
            Msg::SigPara2,
            &[
                &format!("<code>{}</code>", escape(CONTEXT.trim_end())),
                &"<code>&lt;!DOCTYPE html&gt;</code>",
                &"<code>&lt;/html&gt;</code>",
            ],
        )
    );
    let _ = writeln!(
        h,
        "<p>{}</p>",
        tr_html(
            lang,
            Msg::SigPara3,
            &[
                &"<code>watermark verify --json</code>",
                &format!("<code>{JSON_ELEMENT_ID}</code>"),
            ],
        )
    );
    h.push_str("</section>\n");
}

#[cfg(test)]
mod tests;
