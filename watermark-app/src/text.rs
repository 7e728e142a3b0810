//! Text both front ends show: bounds and odds in words, wrapped lines,
//! scores described, errors and their causes, and text from elsewhere made
//! safe to quote.

use watermark_core::RecipientScore;

/// A probability in words an investigator can read aloud.
pub fn odds_in_words(p: f64) -> String {
    if p >= 0.01 {
        return format!("{:.0}%", p * 100.0);
    }
    let one_in = 1.0 / p;
    let names = [
        (1e18, "quintillion"),
        (1e15, "quadrillion"),
        (1e12, "trillion"),
        (1e9, "billion"),
        (1e6, "million"),
        (1e3, "thousand"),
    ];
    if one_in >= 1e21 {
        return format!("less than 1 in 10^{}", one_in.log10().floor() as i64);
    }
    for (scale, name) in names {
        if one_in >= scale {
            let v = one_in / scale;
            let shown = if v >= 100.0 {
                format!("{v:.0}")
            } else {
                format!("{:.0}", v.floor())
            };
            return format!("less than 1 in {shown} {name}");
        }
    }
    format!("less than 1 in {:.0}", one_in.floor())
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
pub fn score_odds(r: &RecipientScore) -> String {
    if r.false_accusation_bound >= f64::MIN_POSITIVE {
        odds_in_words(r.false_accusation_bound)
    } else {
        let exponent = (-r.false_accusation_bound_log10).floor();
        format!("less than 1 in 10^{exponent}")
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
pub fn describe_score(t: &watermark_core::ScoreTried) -> String {
    use watermark_core::ScoreName;
    let over = match t.evidence.as_str() {
        "all" => "all the evidence".to_string(),
        "canaries" => "the canary rows alone".to_string(),
        column => format!("column {column} alone"),
    };
    let score = match t.score {
        ScoreName::Tardos => "Tardos score",
        ScoreName::SingleLeaker => "single-leaker score",
        ScoreName::SingleLeakerStrict => "single-leaker score without edits",
        ScoreName::TardosComplemented => "Tardos score of the flipped marks",
        ScoreName::SingleLeakerComplemented => "single-leaker score of the flipped marks",
        ScoreName::Mixture => "mixture score (rows from elsewhere tolerated)",
        ScoreName::Minority3 => "minority-vote score (a coalition of 3)",
        ScoreName::Minority5 => "minority-vote score (a coalition of 5)",
        _ => "score",
    };
    format!("{over}, {score}")
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;

    #[test]
    fn odds_read_aloud() {
        assert_eq!(odds_in_words(0.5), "50%");
        assert_eq!(odds_in_words(3e-10), "less than 1 in 3 billion");
        assert_eq!(odds_in_words(1e-30), "less than 1 in 10^30");
        assert_eq!(bound(1.0), "1");
        assert_eq!(bound(3.14e-17), "3.1e-17");
        assert_eq!(bound(1e-9), "1e-9");
        assert_eq!(wrap("a bb ccc dddd", 8, "  "), "  a bb\n  ccc\n  dddd\n");
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
        assert_eq!(score_odds(&r), "less than 1 in 10^33");
        // 10^-96002.9129 = 1.2224e-96003: the first digits rounded up.
        let r = scored(0.0, -96002.9129);
        assert_eq!(score_bound(&r), "1.3e-96003");
        assert_eq!(score_odds(&r), "less than 1 in 10^96002");
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
