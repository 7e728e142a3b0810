//! Text both front ends show: bounds and odds in words, wrapped lines,
//! scores described, errors and their causes, and text from elsewhere made
//! safe to quote.

use watermark_core::RecipientScore;

use crate::messages::{tr, Msg, Said};
pub use crate::numbers::{decimal, int};
use crate::Lang;

/// A probability in words an investigator can read aloud: "less than 1 in
/// 3 billion", "menos de 1 en 3 mil millones", "less than 1 in 10^54". A
/// bound of 1% or more is no evidence against anyone, and says so rather
/// than print a percentage that reads like certainty.
pub fn odds_in_words(lang: Lang, p: f64) -> String {
    if p >= 0.01 || p.is_nan() {
        return tr(lang, Msg::NoEvidence, &[]);
    }
    // Nudged up so that 1/5e-7 reads as 2 million, not 1.999… million.
    let one_in = (1.0 / p) * (1.0 + 1e-12);
    if one_in >= 1e21 {
        return one_in_ten_to(lang, one_in.log10().floor());
    }
    for (scale, one, many) in scale_names(lang) {
        if one_in >= scale {
            let v = (one_in / scale).floor() as u64;
            let name = if v == 1 { one } else { many };
            return tr(lang, Msg::LessThanOneIn, &[&format!("{} {name}", int(v))]);
        }
    }
    tr(lang, Msg::LessThanOneIn, &[&int(one_in.floor() as u64)])
}

/// The words for large numbers, largest first, singular and plural: the
/// short scale in English (a billion is 10^9), the long scale in Spanish
/// (mil millones is 10^9, un billón 10^12).
pub fn scale_names(lang: Lang) -> [(f64, &'static str, &'static str); 5] {
    match lang {
        Lang::En => [
            (1e18, "quintillion", "quintillion"),
            (1e15, "quadrillion", "quadrillion"),
            (1e12, "trillion", "trillion"),
            (1e9, "billion", "billion"),
            (1e6, "million", "million"),
        ],
        Lang::Es => [
            (1e18, "trillón", "trillones"),
            (1e15, "mil billones", "mil billones"),
            (1e12, "billón", "billones"),
            (1e9, "mil millones", "mil millones"),
            (1e6, "millón", "millones"),
        ],
    }
}

/// "less than 1 in 10^N".
fn one_in_ten_to(lang: Lang, exponent: f64) -> String {
    tr(lang, Msg::LessThanOneIn, &[&format!("10^{exponent}")])
}

/// A bound printed compactly: `3.1e-17`, or `1` when nothing is known.
pub fn bound(p: f64) -> String {
    if p >= 0.9995 {
        "1".into()
    } else if p >= 0.001 {
        format!("{p:.3}")
    } else {
        // 3.1e-17; a round mantissa prints as 1e-9, not 1.0e-9.
        format!("{p:.1e}").replace(".0e", "e")
    }
}

/// A recipient's bound printed compactly, even when it is too small for a
/// 64-bit float (a whole leaked copy): `2.1e-144000`.
pub fn score_bound(r: &RecipientScore) -> String {
    if r.false_accusation_bound >= f64::MIN_POSITIVE {
        bound(r.false_accusation_bound)
    } else {
        r.bound_decimal()
    }
}

/// A recipient's bound in words, even when it is too small for a 64-bit
/// float.
pub fn score_odds(lang: Lang, r: &RecipientScore) -> String {
    if r.false_accusation_bound >= f64::MIN_POSITIVE {
        odds_in_words(lang, r.false_accusation_bound)
    } else {
        one_in_ten_to(lang, (-r.false_accusation_bound_log10).floor())
    }
}

/// A bound as the issuance log records it, printed compactly; one below
/// the smallest 64-bit float is printed as recorded.
pub fn recorded_bound(recorded: &str) -> String {
    match recorded.parse::<f64>() {
        Ok(p) if p >= f64::MIN_POSITIVE => bound(p),
        _ => recorded.to_string(),
    }
}

/// Wraps text at `width` columns, each line starting with `indent`.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(indent);
    for word in text.split_whitespace() {
        if line.len() > indent.len() && line.len() + 1 + word.len() > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(indent);
        }
        if line.len() > indent.len() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if line.len() > indent.len() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// An error and its causes, `: `-separated as `{:#}` writes them, leaving
/// out a cause whose text the one before it already ends with: the
/// library's I/O errors write their source into their own text.
pub fn error_text(err: &anyhow::Error) -> String {
    let mut out = String::new();
    let mut before = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !before.is_empty() && before.ends_with(&text) {
            before = text;
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
        before = text;
    }
    out
}

/// An error and its sources in `lang`, as
/// [`error_text_in`](crate::error_text_in) writes them.
pub fn error_in(lang: Lang, err: &(dyn std::error::Error + 'static)) -> String {
    causes_in(
        lang,
        std::iter::successors(Some(err), |e| e.source()),
        &|_| None,
    )
}

/// Causes, outermost first, in `lang`, each said once: each cause that is
/// a sentence of the catalogue ([`Said`], or one inside the scheme's error
/// or an I/O error), each of the scheme's errors and its place (row, line,
/// column), and the common I/O failures are written in `lang`; text from
/// elsewhere (a library's own message, a file's name) is quoted as it is.
/// `whole` writes a cause that says its own causes already (and ends the
/// chain), or declines with `None`.
pub fn causes_in<'a>(
    lang: Lang,
    causes: impl Iterator<Item = &'a (dyn std::error::Error + 'static)>,
    whole: &dyn Fn(&(dyn std::error::Error + 'static)) -> Option<String>,
) -> String {
    let mut out = String::new();
    let mut before = String::new();
    for cause in causes {
        let english = cause.to_string();
        if !before.is_empty() && before.ends_with(&english) {
            before = english;
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        if let Some(text) = whole(cause) {
            out.push_str(&text);
            break;
        }
        // A typed error (a witness's refusal, say) that says a sentence of
        // the catalogue has it as its source: the sentence, once.
        if let Some(said) = cause.source().and_then(|c| c.downcast_ref::<Said>()) {
            if said.to_string() == english {
                out.push_str(&said.in_lang(lang));
                before = english;
                continue;
            }
        }
        if lang == Lang::En {
            out.push_str(&english);
        } else {
            out.push_str(&cause_in(lang, cause));
        }
        before = english;
    }
    out
}

/// One cause in `lang`, without its own causes.
fn cause_in(lang: Lang, cause: &(dyn std::error::Error + 'static)) -> String {
    if let Some(s) = cause.downcast_ref::<Said>() {
        return s.in_lang(lang);
    }
    if let Some(e) = cause.downcast_ref::<watermark_core::Error>() {
        return watermark_core::bounded(&core_error_in(lang, e), 1000).into_owned();
    }
    if let Some(e) = cause.downcast_ref::<std::io::Error>() {
        return io_error_in(lang, e);
    }
    cause.to_string()
}

/// The sentence a state's, a key's or a tampering error says, to quote in
/// another sentence (`{0}: {1}`); any other error as its text.
pub(crate) fn said_of(e: &watermark_core::Error) -> Said {
    use watermark_core::ErrorKind as K;
    let said = match e.kind() {
        K::State(m) | K::Key(m) | K::Altered(m) if e.row().is_none() && e.line().is_none() => {
            m.inner().downcast_ref::<Said>().cloned()
        }
        _ => None,
    };
    said.unwrap_or_else(|| Said::new(Msg::RfVerbatim).arg(e))
}

/// A message of the scheme's errors in `lang`.
fn message_in(lang: Lang, m: &watermark_core::Message) -> String {
    cause_in(lang, m.inner())
}

/// The scheme's error in `lang`: its place, then what went wrong.
fn core_error_in(lang: Lang, e: &watermark_core::Error) -> String {
    use watermark_core::ErrorKind as K;
    let mut place = match (e.row(), e.line()) {
        (Some(r), Some(l)) => tr(lang, Msg::ErrAtRowLine, &[&int(r), &int(l)]),
        (None, Some(l)) => tr(lang, Msg::ErrAtLine, &[&int(l)]),
        (Some(r), None) => tr(lang, Msg::ErrAtRow, &[&int(r)]),
        (None, None) => String::new(),
    };
    if let Some(c) = e.column() {
        if !place.is_empty() {
            place.push_str(", ");
        }
        place.push_str(&tr(lang, Msg::ErrInColumn, &[&c]));
    }
    let what = match e.kind() {
        K::Io { context, source } => format!(
            "{}: {}",
            message_in(lang, context),
            io_error_in(lang, source)
        ),
        K::Csv(detail) => tr(lang, Msg::ErrCsv, &[detail]),
        K::UnequalLengths { expected, found } => tr(
            lang,
            Msg::ErrUnequalLengths,
            &[&int(*found), &int(*expected)],
        ),
        K::Utf8 => tr(lang, Msg::ErrUtf8, &[]),
        K::EmptyInput => tr(lang, Msg::ErrEmptyInput, &[]),
        K::MissingColumn {
            column,
            role,
            available,
        } => {
            let role = match *role {
                "identity" => tr(lang, Msg::RoleIdentity, &[]),
                "carrier" => tr(lang, Msg::RoleCarrier, &[]),
                "canary" => tr(lang, Msg::RoleCanary, &[]),
                "matching" => tr(lang, Msg::RoleMatching, &[]),
                other => (*other).to_owned(),
            };
            tr(
                lang,
                Msg::ErrMissingColumn,
                &[&role, &format!("{column:?}"), available],
            )
        }
        K::EmptyIdentity => tr(lang, Msg::ErrEmptyIdentity, &[]),
        K::Policy(m) => tr(lang, Msg::ErrPolicy, &[&message_in(lang, m)]),
        K::KeyPermissions { path, mode } => tr(
            lang,
            Msg::ErrKeyPermissions,
            &[path, &format!("{mode:03o}")],
        ),
        K::InvalidRecipient(id) => tr(lang, Msg::ErrInvalidRecipient, &[&format!("{id:?}")]),
        K::Key(m) | K::State(m) | K::Altered(m) => message_in(lang, m),
        K::Log(damage) => log_damage_in(lang, damage),
        other => other.to_string(),
    };
    if place.is_empty() {
        what
    } else {
        format!("{place}: {what}")
    }
}

/// Damage to a file of the log in `lang`: the file, where in it, and what
/// is wrong (in the log's own words, which name the parts of its formats).
fn log_damage_in(lang: Lang, d: &watermark_core::LogDamage) -> String {
    let mut where_ = Vec::new();
    if let Some(l) = d.line {
        where_.push(tr(lang, Msg::ErrAtLine, &[&int(l)]));
    }
    if let Some(b) = d.byte {
        where_.push(tr(lang, Msg::ErrAtByte, &[&int(b)]));
    }
    let head = match (d.entry, d.checkpoint) {
        (Some(e), _) => Some(tr(lang, Msg::ErrAtEntry, &[&e])),
        (None, Some(c)) => Some(tr(lang, Msg::ErrAtCheckpoint, &[&c])),
        (None, None) => None,
    };
    let place = match (head, where_.is_empty()) {
        (Some(h), true) => format!("{h}: "),
        (Some(h), false) => format!("{h} ({}): ", where_.join(", ")),
        (None, false) => format!("{}: ", where_.join(", ")),
        (None, true) => String::new(),
    };
    format!(
        "{}: {}{}",
        d.file.display(),
        place,
        message_in(lang, &d.message)
    )
}

/// An I/O error in `lang`: a sentence of the catalogue it carries, or the
/// common failures in words, or the system's own text.
fn io_error_in(lang: Lang, e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    if let Some(inner) = e.get_ref() {
        if let Some(s) = inner.downcast_ref::<Said>() {
            return s.in_lang(lang);
        }
    }
    if lang == Lang::En {
        return e.to_string();
    }
    let msg = match e.kind() {
        K::NotFound => Msg::IoNotFound,
        K::PermissionDenied => Msg::IoPermissionDenied,
        K::AlreadyExists => Msg::IoAlreadyExists,
        K::IsADirectory => Msg::IoIsADirectory,
        K::NotADirectory => Msg::IoNotADirectory,
        K::StorageFull => Msg::IoStorageFull,
        K::UnexpectedEof => Msg::IoUnexpectedEof,
        K::ConnectionRefused => Msg::IoConnectionRefused,
        K::TimedOut => Msg::IoTimedOut,
        K::ReadOnlyFilesystem => Msg::IoReadOnly,
        K::DirectoryNotEmpty => Msg::IoDirectoryNotEmpty,
        K::AddrInUse => Msg::IoAddrInUse,
        _ => return e.to_string(),
    };
    tr(lang, msg, &[])
}

/// Text from elsewhere (a witness, a request, an argument), for a message:
/// printable, and at most 200 characters.
pub fn quoted(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = clean.trim();
    match clean.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &clean[..cut]),
        None => clean.to_owned(),
    }
}

/// A score in words: "the canary rows alone, single-leaker score".
pub fn describe_score(lang: Lang, t: &watermark_core::ScoreTried) -> String {
    use watermark_core::ScoreName;
    let over = match t.evidence.as_str() {
        "all" => tr(lang, Msg::OverAll, &[]),
        "canaries" => tr(lang, Msg::OverCanaries, &[]),
        column => tr(lang, Msg::OverColumn, &[&column]),
    };
    let score = match t.score {
        ScoreName::Tardos => Msg::ScoreTardos,
        ScoreName::SingleLeaker => Msg::ScoreSingle,
        ScoreName::SingleLeakerStrict => Msg::ScoreSingleStrict,
        ScoreName::TardosComplemented => Msg::ScoreTardosFlipped,
        ScoreName::SingleLeakerComplemented => Msg::ScoreSingleFlipped,
        ScoreName::Mixture => Msg::ScoreMixture,
        ScoreName::Minority3 => Msg::ScoreMinority3,
        ScoreName::Minority5 => Msg::ScoreMinority5,
        _ => Msg::ScoreOther,
    };
    tr(lang, Msg::ScoreOver, &[&over, &tr(lang, score, &[])])
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;

    #[test]
    fn odds_read_aloud() {
        assert_eq!(odds_in_words(Lang::En, 0.5), "no evidence against them");
        assert_eq!(odds_in_words(Lang::En, 1.0), "no evidence against them");
        assert_eq!(odds_in_words(Lang::Es, 0.02), "sin evidencia en su contra");
        assert_eq!(odds_in_words(Lang::En, 3e-10), "less than 1 in 3 billion");
        assert_eq!(odds_in_words(Lang::En, 1e-30), "less than 1 in 10^30");
        assert_eq!(bound(1.0), "1");
        assert_eq!(bound(3.14e-17), "3.1e-17");
        assert_eq!(bound(1e-9), "1e-9");
        assert_eq!(wrap("a bb ccc dddd", 8, "  "), "  a bb\n  ccc\n  dddd\n");
    }

    #[test]
    fn numbers_for_people() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(1_000), "1,000");
        assert_eq!(int(1_234_567), "1,234,567");
        assert_eq!(int(u64::MAX), "18,446,744,073,709,551,615");
        assert_eq!(decimal(1_234_567.891, 2), "1,234,567.89");
        assert_eq!(decimal(-3_337_812.333, 2), "-3,337,812.33");
        assert_eq!(decimal(-0.001, 2), "0.00");
        assert_eq!(decimal(999.999, 2), "1,000.00");
        assert_eq!(decimal(12.5, 0), "12");
        assert_eq!(decimal(f64::INFINITY, 2), "inf");
    }

    #[test]
    fn bounds_in_words_in_both_languages() {
        assert_eq!(odds_in_words(Lang::En, 1e-54), "less than 1 in 10^54");
        assert_eq!(odds_in_words(Lang::Es, 1e-54), "menos de 1 en 10^54");
        assert_eq!(odds_in_words(Lang::En, 4e-4), "less than 1 in 2,500");
        assert_eq!(odds_in_words(Lang::Es, 4e-4), "menos de 1 en 2,500");
        assert_eq!(odds_in_words(Lang::En, 5e-7), "less than 1 in 2 million");
        assert_eq!(odds_in_words(Lang::Es, 5e-7), "menos de 1 en 2 millones");
        assert_eq!(odds_in_words(Lang::Es, 9e-7), "menos de 1 en 1 millón");
        assert_eq!(
            odds_in_words(Lang::Es, 3e-10),
            "menos de 1 en 3 mil millones"
        );
        assert_eq!(odds_in_words(Lang::En, 3e-13), "less than 1 in 3 trillion");
        assert_eq!(odds_in_words(Lang::Es, 3e-13), "menos de 1 en 3 billones");
        assert_eq!(odds_in_words(Lang::Es, 9e-13), "menos de 1 en 1 billón");
        assert_eq!(
            odds_in_words(Lang::Es, 2e-16),
            "menos de 1 en 5 mil billones"
        );
        assert_eq!(odds_in_words(Lang::Es, 2e-19), "menos de 1 en 5 trillones");
        assert_eq!(
            odds_in_words(Lang::En, 2e-19),
            "less than 1 in 5 quintillion"
        );
        assert_eq!(
            odds_in_words(Lang::En, 1e-9 / 250.0),
            "less than 1 in 250 billion"
        );
    }

    fn scored(p: f64, log10: f64) -> RecipientScore {
        RecipientScore {
            recipient: "PRI".into(),
            slot: 1,
            score: 0.0,
            single_leaker_score: 0.0,
            matching_positions: 0,
            false_accusation_bound: p,
            false_accusation_bound_log10: log10,
            decided_by: watermark_core::ScoreTried {
                evidence: "all".into(),
                score: watermark_core::ScoreName::Tardos,
                weight: 0.35,
            },
            accused: true,
            evidence: Vec::new(),
        }
    }

    #[test]
    fn bounds_below_the_float_range_come_from_their_logarithm() {
        let r = scored(3.6e-34, 3.6e-34f64.log10());
        assert_eq!(
            (score_bound(&r), r.bound_decimal()),
            ("3.6e-34".into(), "3.6e-34".into())
        );
        assert_eq!(score_odds(Lang::En, &r), "less than 1 in 10^33");
        // 10^-96002.9129 = 1.2224e-96003: the first digits rounded up.
        let r = scored(0.0, -96002.9129);
        assert_eq!(score_bound(&r), "1.3e-96003");
        assert_eq!(score_odds(Lang::En, &r), "less than 1 in 10^96002");
        assert_eq!(score_odds(Lang::Es, &r), "menos de 1 en 10^96002");
        // 9.99999e-1001 rounds up to 1e-1000, not to "10e-1001".
        let r = scored(0.0, -1_000.000_000_1);
        assert_eq!(score_bound(&r), "1e-1000");
        assert_eq!(recorded_bound(&r.bound_decimal()), "1e-1000");
        assert_eq!(recorded_bound("3.6108e-34"), "3.6e-34");
        // The library's short form rounds up at every size.
        assert_eq!(
            scored(3.519e-36, 3.519e-36f64.log10()).bound_short(),
            "3.6e-36"
        );
        assert_eq!(scored(1.0, 0.0).bound_short(), "1e0");
        assert_eq!(scored(0.0, -96002.9129).bound_short(), "1.3e-96003");
    }

    #[test]
    fn error_text_says_each_cause_once() {
        #[derive(Debug)]
        struct Wraps(std::io::Error);
        impl std::fmt::Display for Wraps {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "reading Parquet: {}", self.0)
            }
        }
        impl std::error::Error for Wraps {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let err =
            anyhow::Error::new(Wraps(io::Error::other("corrupt footer"))).context("a.parquet");
        assert_eq!(
            format!("{err:#}"),
            "a.parquet: reading Parquet: corrupt footer: corrupt footer"
        );
        assert_eq!(
            error_text(&err),
            "a.parquet: reading Parquet: corrupt footer"
        );
        let plain = anyhow::anyhow!("row 3").context("roll.csv");
        assert_eq!(error_text(&plain), "roll.csv: row 3");
    }
}
