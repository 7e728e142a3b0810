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

use anyhow::Context as _;
use watermark_log::tlog::{Signer, Verifier};
use watermark_log::{hash_hex, Entry};

use crate::error::{fail, Blame as _};
use crate::text::{bound, describe_score, score_bound, score_odds};
use crate::verify::Report;
use crate::{Error, Result};

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

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

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

/// Renders and signs `report` with the log's signing key, which must be the
/// key the report's log section names. Returns the whole file.
pub fn sign(report: &Report, signer: &Signer) -> Result<String> {
    let key = signer.verifier();
    if key.to_vkey() != report.log.public_key {
        fail!(
            Server,
            "the signing key {}+{:08x} is not the key of the log the report names ({})",
            key.name(),
            key.key_id(),
            report.log.public_key
        );
    }
    let mut file = render(report, &key);
    let signature = signer
        .sign_detached(CONTEXT, file.as_bytes())
        .context("signing the report")
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
        fail!(
            Input,
            "{} already exists; a report is evidence and is never replaced: give another file name",
            path.display()
        );
    }
    let dir = parent_dir(path);
    if !dir.is_dir() {
        fail!(
            Input,
            "cannot write the report {}: {} is not a directory",
            path.display(),
            dir.display()
        );
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
        .with_context(|| format!("creating a temporary file in {}", dir.display()))
        .server()?;
    tmp.write_all(contents)
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("writing {}", tmp.path().display()))
        .server()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))
            .with_context(|| format!("setting the mode of {}", tmp.path().display()))
            .server()?;
    }
    tmp.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            Error::input(anyhow::anyhow!(
                "{} already exists; a report is evidence and is never replaced: give another \
                 file name",
                path.display()
            ))
        } else {
            Error::server(
                anyhow::Error::new(e.error).context(format!("writing {}", path.display())),
            )
        }
    })?;
    Ok(())
}

/// Renders the report's payload: everything the signature covers.
pub fn render(r: &Report, key: &Verifier) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let file = r.leak.file.display().to_string();
    let verification = match Entry::from_canonical(&r.log.verification.entry) {
        Ok(Entry::Verify(v)) => Some(v),
        _ => None,
    };
    h.push_str(DOCTYPE);
    h.push_str("<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
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
    let _ = writeln!(h, "<title>Evidence report: {}</title>", escape(&file));
    h.push_str(STYLE);
    h.push_str("</head>\n<body>\n");

    // Header.
    h.push_str("<header>\n<p class=\"kicker\">Signed evidence report</p>\n");
    let _ = writeln!(
        h,
        "<h1>Leaked file <span class=\"id\">{}</span></h1>",
        escape(&file)
    );
    match &verification {
        Some(v) => {
            let _ = writeln!(
                h,
                "<p class=\"meta\">Verified {} by {} with {}; recorded as entry {} of the \
                 issuance log <span class=\"id\">{}</span>.</p>",
                escape(&v.time),
                escape(&v.investigator),
                escape(r.tool),
                r.log.verification.index,
                escape(&r.log.origin)
            );
        }
        None => {
            let _ = writeln!(
                h,
                "<p class=\"meta\">Verified with {}; recorded as entry {} of the issuance log \
                 <span class=\"id\">{}</span>.</p>",
                escape(r.tool),
                r.log.verification.index,
                escape(&r.log.origin)
            );
        }
    }
    h.push_str("</header>\n");

    conclusion(&mut h, r);
    what_was_read(&mut h, r, &file);
    method(&mut h, r);
    ranking(&mut h, r);
    evidence(&mut h, r);
    log_section(&mut h, r);
    recheck(&mut h, r, &file, key);
    signature_section(&mut h, key);

    // The machine-readable report.
    h.push_str(JSON_OPEN);
    let json = serde_json::to_string_pretty(r).expect("reports serialise");
    h.push_str(&json_for_script(&json));
    h.push_str("\n</script>\n</body>\n</html>\n");
    h
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

fn conclusion(h: &mut String, r: &Report) {
    h.push_str("<section id=\"conclusion\">\n<h2>Conclusion</h2>\n");
    if r.accused.is_empty() {
        h.push_str("<div class=\"verdict\">\n");
        let _ = writeln!(
            h,
            "<p class=\"big\">No one is accused.</p>\n<p>No recipient&#39;s copy matches this \
             file strongly enough for the threshold of {}.",
            bound(r.threshold)
        );
        if let Some(best) = r.recipients.first() {
            let _ = write!(
                h,
                " The closest is <span class=\"id\">{}</span>, with a bound of {} ({}).",
                escape(&best.recipient),
                score_bound(best),
                score_odds(best)
            );
        }
        h.push_str("</p>\n");
        if r.positions_read < 100 {
            let _ = writeln!(
                h,
                "<p>Only {} marked positions were found; a larger sample may decide.</p>",
                r.positions_read
            );
        }
        h.push_str("</div>\n");
    }
    for a in &r.accused {
        h.push_str("<div class=\"verdict accused\">\n");
        let _ = writeln!(
            h,
            "<p class=\"big\">Accused: <span class=\"id\">{}</span></p>",
            escape(&a.recipient)
        );
        let _ = writeln!(
            h,
            "<p>The file matches {}&#39;s copy at {} of {} distinct marked positions. The chance \
             that a recipient who did not leak would match this well is at most \
             <strong>{}</strong> ({}), counting all {} recipients compared and {} score{} each. \
             A recipient is accused when this chance is at most {}. Decided by {}.</p>",
            escape(&a.recipient),
            a.matching_positions,
            r.positions_read,
            score_bound(a),
            score_odds(a),
            r.comparisons,
            r.scores_per_recipient,
            if r.scores_per_recipient == 1 { "" } else { "s" },
            bound(r.threshold),
            escape(&describe_score(&a.decided_by))
        );
        h.push_str("</div>\n");
    }
    h.push_str("</section>\n");
}

fn fact(h: &mut String, name: &str, value_html: &str) {
    let _ = writeln!(h, "<tr><th>{name}</th><td>{value_html}</td></tr>");
}

fn list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("<span class=\"id\">{}</span>", escape(s)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn what_was_read(h: &mut String, r: &Report, file: &str) {
    h.push_str("<section id=\"read\">\n<h2>What was read</h2>\n<table class=\"facts\">\n");
    fact(
        h,
        "File",
        &format!("<span class=\"id\">{}</span>", escape(file)),
    );
    fact(
        h,
        "BLAKE3",
        &format!("<span class=\"id\">{}</span>", escape(&r.leak.blake3)),
    );
    fact(h, "Size", &format!("{} bytes", r.leak.bytes));
    let mut rows = format!(
        "{} rows read; {} of them carried marks not seen in an earlier row",
        r.rows_read, r.rows_used
    );
    if r.rows_without_identity > 0 {
        let _ = write!(
            rows,
            "; {} had no identity and were skipped",
            r.rows_without_identity
        );
    }
    fact(h, "Rows", &rows);
    if let Some(id) = &r.identifier {
        let _ = writeln!(
            h,
            "<tr><th>Identity</th><td>{} of {} rows have a valid {}{}</td></tr>",
            id.rows_valid,
            r.rows_read,
            escape(id.kind.name()),
            if id.warning {
                ": <strong>the identity column may have been altered or replaced</strong>; \
                 rows whose identity differs from the extract&#39;s carry no readable mark"
            } else {
                ""
            }
        );
    }
    let columns: Vec<String> = r
        .groups
        .iter()
        .flat_map(|g| g.positions_by_column.iter())
        .map(|c| {
            format!(
                "<span class=\"id\">{}</span> {}",
                escape(&c.column),
                c.positions
            )
        })
        .collect();
    fact(
        h,
        "Marked positions",
        &format!(
            "{} distinct positions, each counted once ({})",
            r.positions_read,
            if columns.is_empty() {
                "no carrier column".to_string()
            } else {
                columns.join(", ")
            }
        ),
    );
    fact(
        h,
        "Canary rows",
        &if r.canaries_known > 0 {
            format!(
                "{} found, of {} made (synthetic people that only some copies hold)",
                r.canaries_found, r.canaries_known
            )
        } else {
            "none were made for these copies".to_string()
        },
    );
    if r.repeated_positions > 0 {
        let mut text = format!(
            "{} positions repeated in the file were counted once",
            r.repeated_positions
        );
        if r.conflicting_positions > 0 {
            let _ = write!(
                text,
                " ({} disagreed: copies were mixed)",
                r.conflicting_positions
            );
        }
        fact(h, "Repeats", &text);
    }
    fact(
        h,
        "Columns left out",
        &if r.columns_normalised.is_empty() {
            "none".to_string()
        } else {
            format!(
                "{}: the file writes every slot in one spelling (the leaker normalised the \
                 column), so it says nothing about who leaked",
                list(&r.columns_normalised)
            )
        },
    );
    let missing: Vec<String> = r
        .groups
        .iter()
        .flat_map(|g| g.columns_missing.iter().cloned())
        .collect();
    if !missing.is_empty() {
        fact(h, "Not in the file", &list(&missing));
    }
    if let Some(m) = &r.master {
        let mut text = format!(
            "<span class=\"id\">{}</span>, BLAKE3 <span class=\"id\">{}</span>. ",
            escape(&m.file.display().to_string()),
            escape(&m.blake3)
        );
        if m.used {
            let _ = write!(
                text,
                "{} of {} rows matched to it on {}",
                m.rows_matched,
                r.rows_read,
                list(&m.columns)
            );
            if m.rows_unmatched + m.rows_ambiguous > 0 {
                let _ = write!(
                    text,
                    "; not used: {} matching no row, {} matching rows of different people",
                    m.rows_unmatched, m.rows_ambiguous
                );
            }
            text.push('.');
        } else {
            text.push_str("Not needed: the file has the identity columns.");
        }
        fact(h, "Master extract", &text);
    }
    let groups: Vec<String> = r
        .groups
        .iter()
        .map(|g| {
            format!(
                "{} recipient{} under key <span class=\"id\">{}</span>, policy <span \
                 class=\"id\">{}</span> ({} positions)",
                g.recipients,
                if g.recipients == 1 { "" } else { "s" },
                escape(&g.key_id),
                escape(&g.policy_digest),
                g.positions_read
            )
        })
        .collect();
    fact(h, "Copies compared", &groups.join("<br>"));
    for n in &r.not_compared {
        fact(
            h,
            "Not compared",
            &format!(
                "{} (copies under policy <span class=\"id\">{}</span>): {}",
                list(&n.recipients),
                escape(&n.policy_digest),
                escape(&n.reason)
            ),
        );
    }
    h.push_str("</table>\n</section>\n");
}

fn method(h: &mut String, r: &Report) {
    h.push_str("<section id=\"method\">\n<h2>How the attribution works</h2>\n");
    let _ = writeln!(h, "<p>{}</p>", escape(r.method));
    let _ = writeln!(
        h,
        "<p>In numbers: {} recipients were compared, with {} score{} each; every bound below \
         already counts all of them. A recipient is accused only when their bound is at most \
         {}. The bound holds whatever the leaker did to the file: an innocent recipient is \
         accused with at most that chance.</p>",
        r.comparisons,
        r.scores_per_recipient,
        if r.scores_per_recipient == 1 { "" } else { "s" },
        bound(r.threshold)
    );
    h.push_str("</section>\n");
}

fn ranking(h: &mut String, r: &Report) {
    h.push_str("<section id=\"ranking\">\n<h2>Every recipient</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"muted\">Ranked by bound. Score: the symmetric Tardos score (0 on average \
         for a recipient who did not leak). Matching: positions where the file reads this \
         recipient&#39;s bit, of {}. Accused when the bound is at most {}.</p>",
        r.positions_read,
        bound(r.threshold)
    );
    chart(h, r);
    h.push_str(
        "<table>\n<thead><tr><th>Rank</th><th>Recipient</th><th>Score</th>\
         <th>Single-leaker score</th><th>Matching</th><th>Bound</th><th>In words</th>\
         <th></th></tr></thead>\n<tbody>\n",
    );
    for (i, x) in r.recipients.iter().enumerate() {
        let _ = writeln!(
            h,
            "<tr{}><td class=\"num\">{}</td><td><span class=\"id\">{}</span></td>\
             <td class=\"num\">{:.2}</td><td class=\"num\">{:.2}</td><td class=\"num\">{}/{}</td>\
             <td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            if x.accused { " class=\"accused\"" } else { "" },
            i + 1,
            escape(&x.recipient),
            x.score,
            x.single_leaker_score,
            x.matching_positions,
            r.positions_read,
            score_bound(x),
            score_odds(x),
            if x.accused { "accused" } else { "" }
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

/// A horizontal bar per recipient (the first [`CHART_MAX`] by rank), from a
/// zero line: Tardos scores can be negative.
fn chart(h: &mut String, r: &Report) {
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
         width=\"100%\" aria-labelledby=\"chart-title\"><title id=\"chart-title\">Score of \
         {} recipient{}, highest bound last</title>",
        shown.len(),
        if shown.len() == 1 { "" } else { "s" }
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
            "<p class=\"muted\">The chart shows the first {} of {} recipients; the table lists \
             them all.</p>",
            shown.len(),
            r.recipients.len()
        );
    }
}

fn evidence(h: &mut String, r: &Report) {
    let with: Vec<_> = r
        .accused
        .iter()
        .filter(|a| !a.evidence.is_empty())
        .collect();
    if with.is_empty() {
        return;
    }
    h.push_str("<section id=\"evidence\">\n<h2>Evidence rows</h2>\n");
    h.push_str(
        "<p class=\"muted\">Rows of the leaked file (1 is the first data row) whose marks agree \
         with the accused&#39;s copy: a carrier column whose spelling or last digit is the \
         copy&#39;s, or a canary row the copy holds.</p>\n",
    );
    for a in with {
        let mut rows: Vec<(u64, Vec<String>)> = Vec::new();
        for e in &a.evidence {
            let what = if e.canary {
                "a canary row this copy holds".to_string()
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
        let _ = writeln!(
            h,
            "<h3>Agreeing with <span class=\"id\">{}</span>&#39;s copy: {} row{}</h3>",
            escape(&a.recipient),
            rows.len(),
            if rows.len() == 1 { "" } else { "s" }
        );
        h.push_str("<table>\n<thead><tr><th>Leak row</th><th>Marks</th></tr></thead>\n<tbody>\n");
        for (row, cols) in rows.iter().take(EVIDENCE_MAX) {
            let _ = writeln!(
                h,
                "<tr><td class=\"num\">{row}</td><td>{}</td></tr>",
                list(cols)
            );
        }
        h.push_str("</tbody>\n</table>\n");
        if rows.len() > EVIDENCE_MAX {
            let _ = writeln!(
                h,
                "<p class=\"muted\">The first {EVIDENCE_MAX} rows; the embedded JSON report \
                 lists all {}.</p>",
                rows.len()
            );
        }
    }
    h.push_str("</section>\n");
}

fn receipt_block(h: &mut String, title: &str, receipt: &watermark_log::Receipt, latest: &str) {
    let _ = writeln!(h, "<h3>{title}</h3>\n<table class=\"facts\">");
    fact(h, "Entry", &format!("{}", receipt.index));
    match Entry::from_canonical(&receipt.entry) {
        Ok(Entry::Issue(e)) => {
            fact(h, "Time", &escape(&e.time));
            fact(
                h,
                "Recipient",
                &format!(
                    "<span class=\"id\">{}</span>, slot {}",
                    escape(&e.recipient),
                    e.slot
                ),
            );
            fact(
                h,
                "Copy",
                &format!(
                    "BLAKE3 <span class=\"id\">{}</span>, {} rows, {} bytes, {} canary rows",
                    escape(&e.output_blake3),
                    e.output_rows,
                    e.output_bytes,
                    e.canaries
                ),
            );
            fact(
                h,
                "Made from",
                &format!(
                    "input BLAKE3 <span class=\"id\">{}</span> ({} rows) under key <span \
                     class=\"id\">{}</span>, policy <span class=\"id\">{}</span>",
                    escape(&e.input_blake3),
                    e.input_rows,
                    escape(&e.key_id),
                    escape(&e.policy_digest)
                ),
            );
        }
        Ok(Entry::Verify(v)) => {
            fact(h, "Time", &escape(&v.time));
            fact(h, "Investigator", &escape(&v.investigator));
            fact(
                h,
                "Leaked file",
                &format!(
                    "BLAKE3 <span class=\"id\">{}</span>, {} bytes{}, {} rows, {} positions",
                    escape(&v.leak_blake3),
                    v.leak_bytes,
                    match (&v.leak_format, &v.leak_encoding) {
                        (Some(f), Some(e)) => format!(", read as {} ({})", escape(f), escape(e)),
                        (Some(f), None) => format!(", read as {}", escape(f)),
                        _ => String::new(),
                    },
                    v.rows_read,
                    v.positions_read
                ),
            );
            let accused: Vec<String> = v
                .accused
                .iter()
                .map(|a| {
                    format!(
                        "<span class=\"id\">{}</span> (slot {}, bound {})",
                        escape(&a.recipient),
                        a.slot,
                        escape(&a.bound)
                    )
                })
                .collect();
            fact(
                h,
                "Result",
                &if accused.is_empty() {
                    format!(
                        "no one accused ({} compared, threshold {})",
                        v.comparisons,
                        escape(&v.threshold)
                    )
                } else {
                    format!(
                        "accused {} ({} compared, threshold {})",
                        accused.join(", "),
                        v.comparisons,
                        escape(&v.threshold)
                    )
                },
            );
        }
        _ => {}
    }
    fact(
        h,
        "Entry as logged",
        &format!("<code>{}</code>", escape(&receipt.entry)),
    );
    fact(
        h,
        "Leaf hash",
        &format!(
            "<code>{}</code> (SHA-256 of 0x00 and the entry)",
            hash_hex(&watermark_log::tlog::leaf_hash(receipt.entry.as_bytes()))
        ),
    );
    let proof: Vec<String> = receipt
        .inclusion_proof
        .iter()
        .map(|p| format!("<code>{}</code>", hash_hex(p)))
        .collect();
    fact(
        h,
        "Inclusion proof",
        &if proof.is_empty() {
            "no hashes: the entry is the whole tree".to_string()
        } else {
            format!(
                "{} hash{} (RFC 9162), leaf to root:<br>{}",
                proof.len(),
                if proof.len() == 1 { "" } else { "es" },
                proof.join("<br>")
            )
        },
    );
    if receipt.checkpoint != latest {
        fact(
            h,
            "Checkpoint",
            &format!("<pre>{}</pre>", escape(&receipt.checkpoint)),
        );
    } else {
        fact(h, "Checkpoint", "the signed checkpoint below");
    }
    h.push_str("</table>\n");
}

fn log_section(h: &mut String, r: &Report) {
    let log = &r.log;
    h.push_str("<section id=\"log\">\n<h2>The issuance log</h2>\n");
    let _ = writeln!(
        h,
        "<p>Every copy issued and every verification is an entry of the append-only issuance \
         log <span class=\"id\">{}</span>, hashed into a Merkle tree (RFC 6962) whose root is \
         signed after every entry. An inclusion proof shows that an entry is in the tree a \
         signed checkpoint names, so it cannot have been changed or removed since without the \
         signature failing.</p>",
        escape(&log.origin)
    );
    h.push_str("<table class=\"facts\">\n");
    fact(
        h,
        "Entries",
        &format!(
            "{}, root <span class=\"id\">{}</span>",
            log.size,
            escape(&log.root)
        ),
    );
    fact(
        h,
        "Public key",
        &format!(
            "<span class=\"id\">{}</span> (as the report states it: check it against the key \
             the registry publishes, not against this page)",
            escape(&log.public_key)
        ),
    );
    h.push_str("</table>\n");
    receipt_block(h, "This verification", &log.verification, &log.checkpoint);
    for a in &log.accused {
        if a.copies.is_empty() {
            let _ = writeln!(
                h,
                "<p>No issuance entry was found for <span class=\"id\">{}</span>.</p>",
                escape(&a.recipient)
            );
        }
        for (i, c) in a.copies.iter().enumerate() {
            let title = format!(
                "Copy issued to <span class=\"id\">{}</span>{}",
                escape(&a.recipient),
                if a.copies.len() > 1 {
                    format!(" ({} of {})", i + 1, a.copies.len())
                } else {
                    String::new()
                }
            );
            receipt_block(h, &title, c, &log.checkpoint);
        }
    }
    h.push_str("<h3>Signed checkpoint</h3>\n");
    let _ = writeln!(
        h,
        "<p class=\"muted\">The log&#39;s latest checkpoint when the report was made (C2SP \
         tlog-checkpoint, signed note): origin, number of entries, root (base64), and the \
         signature.</p>\n<pre>{}</pre>",
        escape(&log.checkpoint)
    );
    h.push_str("</section>\n");
}

fn recheck(h: &mut String, r: &Report, file: &str, key: &Verifier) {
    let entries: Vec<u64> = std::iter::once(r.log.verification.index)
        .chain(
            r.log
                .accused
                .iter()
                .flat_map(|a| a.copies.iter().map(|c| c.index)),
        )
        .collect();
    h.push_str("<section id=\"recheck\">\n<h2>How anyone can check this report</h2>\n<ol>\n");
    let _ = writeln!(
        h,
        "<li><p>Get the issuance log&#39;s public key from the registry, not from this page \
         (the registry prints it with <code>watermark log pubkey --state STATE</code>). The \
         key this report names is <span class=\"id\">{}+{:08x}</span>. Then check the \
         signature and the log receipts the report carries (save this file as \
         REPORT.html):</p>\n<pre>watermark report verify REPORT.html --pubkey KEY</pre></li>",
        escape(key.name()),
        key.key_id()
    );
    let _ = writeln!(
        h,
        "<li><p>Check each log entry on its own: save the receipts and the checkpoint, then \
         verify each receipt (give <code>--copy FILE</code> with a recipient&#39;s copy to \
         check that it is the copy the entry names; each copy&#39;s receipt was also written \
         beside it when it was issued, as <code>ID.receipt</code>):</p>\n<pre>watermark report verify \
         REPORT.html --pubkey KEY --save-receipts receipts\n{}</pre></li>",
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
        "<li><p>Check that the log has not been rewritten since (whoever holds the log):</p>\n\
         <pre>watermark log consistency --state STATE receipts/checkpoint</pre></li>"
    );
    let master = r
        .master
        .as_ref()
        .map(|m| {
            format!(
                " and the master extract whose BLAKE3 is <span class=\"id\">{}</span>",
                escape(&m.blake3)
            )
        })
        .unwrap_or_default();
    let _ = writeln!(
        h,
        "<li><p>Re-run the attribution (whoever holds the state directory) on the file whose \
         BLAKE3 is <span class=\"id\">{}</span>{master}; the same key and policy give the same \
         numbers, and the run is logged as a new verification. The file given here was \
         <span class=\"id\">{}</span>:</p>\n<pre>{}\nwatermark report verify REPORT.html \
         --pubkey KEY --leaked FILE   # FILE is the file this report is about</pre></li>",
        escape(&r.leak.blake3),
        escape(file),
        escape(&r.recheck)
    );
    h.push_str("</ol>\n</section>\n");
}

fn signature_section(h: &mut String, key: &Verifier) {
    h.push_str("<section id=\"signature\">\n<h2>Signature</h2>\n");
    let _ = writeln!(
        h,
        "<p>This file is signed with Ed25519 by the issuance log&#39;s key <span \
         class=\"id\">{}</span>, key id <span class=\"id\">{:08x}</span>: the key that signs \
         the log&#39;s checkpoints. The signature is the last line of the file, an HTML comment \
         of the form</p>\n<pre>{}NAME+KEYID{}128 HEX DIGITS{}</pre>\n<p>followed by a newline \
         and nothing else. It covers the context line <code>{}</code> and a newline, followed by \
         every byte of this file before that last line, from <code>&lt;!DOCTYPE html&gt;</code> \
         to the newline after <code>&lt;/html&gt;</code>. Changing any byte of the file, the \
         signature line included, makes the check fail; so does re-saving it with other line \
         ends or another encoding. Keep it as it was received.</p>",
        escape(key.name()),
        key.key_id(),
        escape(SIG_START),
        escape(SIG_MIDDLE),
        escape(SIG_END),
        escape(CONTEXT.trim_end())
    );
    let _ = writeln!(
        h,
        "<p>The data of this report is also embedded, signed with the rest, as the JSON \
         document of <code>watermark verify --json</code> in the element with id <code>{}</code>. \
         The report holds no secret: no master key, signing key or access token.</p>",
        JSON_ELEMENT_ID
    );
    h.push_str("</section>\n");
}

#[cfg(test)]
mod tests;
