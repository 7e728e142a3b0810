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

/// Appends the canonical form of an identity value to `out`: the value
/// folded (as [`fold`]), then only its letters and digits. A CURP typed with a
/// spreadsheet's leading apostrophe, in quotes, with spaces or dashes between
/// its parts, in full-width characters or lower case reads the same as the
/// clean value. Where what is left is not 11 or 18 characters long and holds
/// a valid CURP, NSS or clave de elector (`CURP: BAKZ770628MHGRKZ06`), that
/// identifier is the canonical form.
pub fn identity_into(s: &str, out: &mut String) {
    let start = out.len();
    if s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        // The common value, a clean CURP or NSS: only upper-cased.
        out.push_str(s);
        out[start..].make_ascii_uppercase();
    } else {
        let mut folded = String::with_capacity(s.len());
        fold_into(s, &mut folded);
        out.extend(folded.chars().filter(|c| c.is_alphanumeric()));
    }
    let len = out.len() - start;
    if len > 11 && len != 18 {
        if let Some(range) = embedded_identifier(&out[start..]) {
            let found = out[start + range.start..start + range.end].to_string();
            out.truncate(start);
            out.push_str(&found);
        }
    }
}

/// The canonical identity of `s` (see [`identity_into`]): what a row's
/// anchor is computed from.
pub fn canonical_identity(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    identity_into(s, &mut out);
    out
}

/// Where a valid CURP, NSS or clave de elector stands in `s` (letters and
/// digits only), preferring a CURP; an NSS must be a whole run of 11 digits.
fn embedded_identifier(s: &str) -> Option<std::ops::Range<usize>> {
    if !s.is_ascii() {
        return None;
    }
    let windows = |len: usize| 0..(s.len() + 1).saturating_sub(len);
    if let Some(i) = windows(18).find(|&i| crate::ids::is_valid_curp(&s[i..i + 18])) {
        return Some(i..i + 18);
    }
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let run = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if run == 11 && crate::ids::is_valid_nss(&s[i..i + 11]) {
            return Some(i..i + 11);
        }
        i += run.max(1);
    }
    windows(18)
        .find(|&i| crate::ids::is_valid_clave_elector(&s[i..i + 18]))
        .map(|i| i..i + 18)
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

    #[test]
    fn identities_read_the_same_however_they_are_typed() {
        let clean = "BAKZ770628MHGRKZ06";
        assert_eq!(canonical_identity(clean), clean);
        for typed in [
            "'BAKZ770628MHGRKZ06",
            " bakz770628mhgrkz06 ",
            "BAKZ 7706 28MH GRKZ 06",
            "BAKZ-770628-MHGRKZ-06",
            "\"BAKZ770628MHGRKZ06\"",
            "ＢＡＫＺ７７０６２８ＭＨＧＲＫＺ０６",
            "BAKZ.770628.MHGRKZ.06",
            "B\u{200B}AKZ770628MHGRKZ06",
        ] {
            assert_eq!(canonical_identity(typed), clean, "{typed:?}");
        }
        // Embedded in a label, the valid identifier is the identity.
        assert_eq!(canonical_identity("CURP: BAKZ770628MHGRKZ06"), clean);
        assert_eq!(canonical_identity("NSS 5905607481-4"), "59056074814");
        // Names keep their letters, whatever the spacing and punctuation.
        assert_eq!(
            canonical_identity("María  de la O'Brien"),
            "MARIADELAOBRIEN"
        );
        // A 16-digit account number is not cut to an NSS inside it.
        assert_eq!(canonical_identity("1234567890123456"), "1234567890123456");
    }

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
