//! Text normalisation that survives a spreadsheet round trip.
//!
//! Identity values and variant tokens are compared after folding: surrounding
//! and repeated white space removed, invisible characters dropped, accents
//! stripped, upper-cased. A re-save that trims, changes case, or strips accents
//! does not change what the folded form reads.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Characters a leaker might insert or strip that carry no meaning.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' // soft hyphen
            | '\u{200B}'..='\u{200F}' // zero-width space, joiners, marks
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{FEFF}' // byte-order mark / zero-width no-break space
            | '\u{180E}'
    )
}

/// Appends the folded form of `s` to `out`: trimmed, runs of white space
/// collapsed to one space, invisible characters removed, compatibility forms
/// (NFKC) and accents folded, upper-cased.
pub fn fold_into(s: &str, out: &mut String) {
    let start = out.len();
    let mut pending_space = false;
    // The common identity value (a CURP, an NSS): printable ASCII without
    // spaces, which folding only upper-cases.
    if s.bytes().all(|b| b.is_ascii_graphic()) {
        out.push_str(s);
        out[start..].make_ascii_uppercase();
        return;
    }
    if s.is_ascii() {
        for b in s.bytes() {
            // White space as the general path has it (`u8`'s leaves out U+000B).
            if char::from(b).is_whitespace() {
                pending_space = out.len() > start;
                continue;
            }
            // Control characters carry no meaning, and U+001F separates the
            // parts of a composite identity: folding never produces one.
            if b.is_ascii_control() {
                continue;
            }
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(b.to_ascii_uppercase() as char);
        }
        return;
    }
    fold_chars(s, out);
}

/// [`fold_into`] character by character, for any text; the fast paths above
/// must agree with it.
fn fold_chars(s: &str, out: &mut String) {
    let start = out.len();
    let mut pending_space = false;
    for c in s.nfkd() {
        if is_combining_mark(c) || is_invisible(c) || (c.is_control() && !c.is_whitespace()) {
            continue;
        }
        if c.is_whitespace() {
            pending_space = out.len() > start;
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        for u in c.to_uppercase() {
            out.push(u);
        }
    }
}

/// The folded form of `s`: trimmed, runs of white space collapsed to one
/// space, invisible characters removed, compatibility forms (NFKC) and accents
/// folded, upper-cased.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(s, &mut out);
    out
}

/// Folds a single token for dictionary lookup: like [`fold`], and also drops
/// every '.', so that "AV." and "AV" read the same.
pub(crate) fn fold_token_into(s: &str, out: &mut String) {
    out.clear();
    if s.is_ascii() {
        out.extend(
            s.bytes()
                .filter(|&b| b != b'.')
                .map(|b| b.to_ascii_uppercase() as char),
        );
        return;
    }
    fold_into(s, out);
    out.retain(|c| c != '.');
}

/// The case style of a token, kept when a variant replaces it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CaseStyle {
    Upper,
    Lower,
    Title,
}

impl CaseStyle {
    pub(crate) fn of(token: &str) -> CaseStyle {
        if token.is_ascii() {
            return CaseStyle::of_ascii(token.as_bytes());
        }
        CaseStyle::of_chars(token)
    }

    /// [`CaseStyle::of`] for an ASCII token, byte by byte: the letters,
    /// upper and lower case are the ASCII ones.
    fn of_ascii(token: &[u8]) -> CaseStyle {
        let mut letters = token.iter().filter(|b| b.is_ascii_alphabetic());
        let Some(first) = letters.next() else {
            return CaseStyle::Upper;
        };
        let (mut upper, mut lower) = (false, false);
        for b in letters {
            upper |= b.is_ascii_uppercase();
            lower |= b.is_ascii_lowercase();
        }
        match (first.is_ascii_uppercase(), upper, lower) {
            (true, _, false) => CaseStyle::Upper,
            (true, false, true) => CaseStyle::Title,
            (false, false, _) => CaseStyle::Lower,
            _ => CaseStyle::Upper,
        }
    }

    /// [`CaseStyle::of`] for any token.
    fn of_chars(token: &str) -> CaseStyle {
        let mut letters = token.chars().filter(|c| c.is_alphabetic());
        let Some(first) = letters.next() else {
            return CaseStyle::Upper;
        };
        let rest_lower = letters.clone().all(|c| !c.is_uppercase());
        let rest_upper = letters.all(|c| !c.is_lowercase());
        match (first.is_uppercase(), rest_upper, rest_lower) {
            (true, true, _) => CaseStyle::Upper,
            (true, false, true) => CaseStyle::Title,
            (false, _, true) => CaseStyle::Lower,
            _ => CaseStyle::Upper,
        }
    }

    /// Writes `canonical` (upper-case) in this style.
    pub(crate) fn apply(self, canonical: &str, out: &mut String) {
        match self {
            CaseStyle::Upper => out.push_str(canonical),
            CaseStyle::Lower => out.extend(canonical.chars().flat_map(char::to_lowercase)),
            CaseStyle::Title => {
                let mut first = true;
                for c in canonical.chars() {
                    if first && c.is_alphabetic() {
                        out.push(c);
                        first = false;
                    } else {
                        out.extend(c.to_lowercase());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn ascii_case_styles_are_the_general_ones(token in "[a-cA-C.0-9 /-]{0,8}") {
            proptest::prop_assert_eq!(
                CaseStyle::of_ascii(token.as_bytes()),
                CaseStyle::of_chars(&token)
            );
        }
    }

    #[test]
    fn folding_drops_control_characters() {
        // U+001F joins the parts of a composite identity; no value may forge it.
        assert_eq!(fold("ana\u{1F}b"), "ANAB");
        assert_eq!(fold("añá\u{1F}\u{7}b"), "ANAB");
        assert_eq!(fold("a\tb"), "A B");
    }

    #[test]
    fn folds_what_a_resave_changes() {
        assert_eq!(fold("  bakz770628mhgrkz06 "), "BAKZ770628MHGRKZ06");
        assert_eq!(fold("Peña  Ñuñez\u{200B}"), "PENA NUNEZ");
        assert_eq!(fold("ﬁ Ｃａｌｌｅ"), "FI CALLE");
        assert_eq!(fold("\u{FEFF}CURP"), "CURP");
        assert_eq!(fold(""), "");
    }

    proptest::proptest! {
        #[test]
        fn fast_paths_fold_as_the_general_one(
            s in "[ -~]{0,24}|[\\x00-\\x7f]{0,24}|[a-zñáé \\t\\u{200B}\\x1f]{0,24}",
        ) {
            let mut general = String::from("x");
            fold_chars(&s, &mut general);
            let mut fast = String::from("x");
            fold_into(&s, &mut fast);
            proptest::prop_assert_eq!(fast, general);
        }
    }

    #[test]
    fn token_fold_drops_dots() {
        let mut s = String::new();
        fold_token_into("Av.", &mut s);
        assert_eq!(s, "AV");
        fold_token_into("Priv.", &mut s);
        assert_eq!(s, "PRIV");
        fold_token_into("Cañada", &mut s);
        assert_eq!(s, "CANADA");
    }

    #[test]
    fn case_style_round_trip() {
        for (tok, style) in [
            ("AV.", CaseStyle::Upper),
            ("av.", CaseStyle::Lower),
            ("Av.", CaseStyle::Title),
            ("S/N", CaseStyle::Upper),
        ] {
            assert_eq!(CaseStyle::of(tok), style, "{tok}");
        }
        let mut out = String::new();
        CaseStyle::Title.apply("AVENIDA", &mut out);
        assert_eq!(out, "Avenida");
    }
}
