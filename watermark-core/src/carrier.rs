//! Finding, reading and writing the slots of carrier cells.

use crate::code::MAX_SLOTS_PER_CELL;
use crate::dictionary::{Dictionary, TokenPlace};
use crate::normalize::{fold_into, CaseStyle};

/// A carrier, compiled from its policy entry.
#[derive(Debug, Clone)]
pub(crate) enum Carrier {
    Variants(Box<Dictionary>),
    Numeric {
        decimals: u8,
    },
    /// How a telephone number's digit groups are separated (see
    /// [`phone_slot`]).
    Phone,
}

/// A slot found in a cell: the byte range of what carries it and the bit the
/// cell currently reads there.
///
/// A variant whose abbreviation is written with a trailing dot (AV., COL.)
/// carries a second bit in that dot wherever the short form stands: "AV." or
/// "AV". That *dot slot* is a position of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) value: bool,
    /// The variant group, for variant slots.
    pub(crate) group: u16,
    /// Whether the slot can be written (numeric cells in another format can
    /// only be read).
    pub(crate) writable: bool,
    /// Whether the group's short form takes a trailing dot, so the slot has a
    /// dot position.
    pub(crate) dotted: bool,
    /// Where the short form stands in a dotted group: whether it has the dot.
    pub(crate) dot: Option<bool>,
}

/// The bits to write into one slot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SlotBits {
    /// The variant (None: leave the slot as it is).
    pub(crate) main: Option<bool>,
    /// For the short form of a dotted group: whether to write the dot.
    pub(crate) dot: Option<bool>,
}

impl Carrier {
    /// Finds the slots of `cell`, in order, into `out` (cleared first).
    pub(crate) fn slots(&self, cell: &str, scratch: &mut String, out: &mut Vec<Slot>) {
        out.clear();
        match self {
            Carrier::Variants(dict) => variant_slots(dict, cell, scratch, out),
            Carrier::Numeric { decimals } => {
                if let Some(slot) = numeric_slot(cell, *decimals) {
                    out.push(slot);
                }
            }
            Carrier::Phone => {
                if let Some(slot) = phone_slot(cell) {
                    out.push(slot);
                }
            }
        }
    }

    /// Whether writing `bits` would change the slot.
    pub(crate) fn changes(slot: &Slot, bits: SlotBits) -> bool {
        let Some(main) = bits.main else { return false };
        if !slot.writable {
            return false;
        }
        main != slot.value || (main && slot.dotted && bits.dot.is_some() && bits.dot != slot.dot)
    }

    /// Appends to `out` the cell with every slot set to the given bits.
    /// Slots that already read the wanted bits keep their bytes.
    pub(crate) fn write(&self, cell: &str, slots: &[Slot], bits: &[SlotBits], out: &mut String) {
        let mut at = 0;
        for (slot, &bits) in slots.iter().zip(bits) {
            if !Carrier::changes(slot, bits) {
                continue;
            }
            let bit = bits.main.expect("a change has a main bit");
            out.push_str(&cell[at..slot.start]);
            let token = &cell[slot.start..slot.end];
            match self {
                Carrier::Variants(dict) => {
                    let canonical = dict.canonical(slot.group, u8::from(bit));
                    let canonical = match (bit && slot.dotted, bits.dot) {
                        (true, Some(false)) => canonical.trim_end_matches('.'),
                        _ => canonical,
                    };
                    CaseStyle::of(token).apply(canonical, out);
                }
                Carrier::Numeric { .. } => {
                    // The slot is the last digit of the number's units; flipping
                    // its low bit moves the value by exactly one unit and never
                    // carries (0<->1, ..., 8<->9).
                    let d = token.as_bytes()[0] - b'0';
                    out.push((b'0' + (d ^ 1)) as char);
                }
                Carrier::Phone => {
                    // Every separator between the digit groups at once: the
                    // number reads the same, in the other common style.
                    let to = if bit { '-' } else { ' ' };
                    out.extend(token.chars().map(|c| match c {
                        ' ' | '-' => to,
                        c => c,
                    }));
                }
            }
            at = slot.end;
        }
        out.push_str(&cell[at..]);
    }

    /// Appends to `out` a form of `cell` that marks cannot change: every copy
    /// of one master cell, and the master cell itself, give the same form, so
    /// leak rows can be matched to the master extract on it.
    ///
    /// The cell is folded (case, accents, white space, invisible characters);
    /// then, for variants, every word of the dictionary, wherever it stands,
    /// becomes its group's canonical full form (a leak whose abbreviations
    /// were all expanded, or contracted, reads the same), and for numbers the
    /// value is written plainly (no `$` or thousands separators, `decimals`
    /// places) with its last digit written as 0, so that neither a mark nor a
    /// leaker's shift of every amount by one unit changes it (but across a
    /// tens boundary). A cell that is not a number is only folded.
    ///
    /// This is not [`Carrier::write`] with every bit 0: that leaves a full
    /// form's alias (BULEVAR) as it is where a copy holding bit 1 at that slot
    /// reads BOULEVARD once folded back to the full form, and cannot write a
    /// number a spreadsheet shortened (`6353.9`).
    pub(crate) fn canonical(&self, cell: &str, scratch: &mut String, out: &mut String) {
        match self {
            Carrier::Variants(dict) => {
                scratch.clear();
                fold_into(cell, scratch);
                // Only used for non-ASCII words, so it rarely allocates.
                let mut word_scratch = String::new();
                for (k, token) in scratch.split(' ').enumerate() {
                    if k > 0 {
                        out.push(' ');
                    }
                    // Punctuation after a word, as `variant_slots` reads it.
                    let word = token.trim_end_matches([',', ';', ':']);
                    let found = if word.is_empty() {
                        None
                    } else {
                        dict.lookup(word, &mut word_scratch)
                    };
                    match found {
                        Some((group, _)) => {
                            fold_into(dict.canonical(group, 0), out);
                            out.push_str(&token[word.len()..]);
                        }
                        None => out.push_str(token),
                    }
                }
            }
            Carrier::Numeric { decimals } => {
                if !canonical_number(cell, *decimals, out) {
                    fold_into(cell, out);
                }
            }
            Carrier::Phone => {
                if !canonical_phone(cell, out) {
                    fold_into(cell, out);
                }
            }
        }
    }
}

/// Reads how a telephone number written in digit groups separates them:
/// `55 1234 5678` (spaces, 0) or `55-1234-5678` (hyphens, 1), after an
/// optional `+52 ` and with the area code optionally in parentheses
/// (`(55) 1234-5678`, whose space after the parenthesis is not read), and
/// before an optional extension (` EXT. 123`). The number has ten digits in
/// three groups (area code of two or three, then three or four, then four)
/// or two after a parenthesised area code. The slot spans the separators
/// between bare groups; a cell that mixes the two separators there, or
/// writes the digits together (`5512345678`), has no slot: marking never
/// makes either, and a plain number gains no separators.
///
/// Both styles are common wherever people type their own numbers (job
/// portals, contact forms), so a copy's choice is one of those the column
/// already shows; `policy suggest` offers the carrier only for a column
/// that shows both.
fn phone_slot(cell: &str) -> Option<Slot> {
    let b = cell.as_bytes();
    let mut i = if cell.starts_with("+52 ") { 4 } else { 0 };
    let digit_run = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut digits = 0;
    let mut lengths: &[(usize, usize)] = &[(2, 3), (3, 4), (4, 4)];
    if b.get(i) == Some(&b'(') {
        let n = digit_run(i + 1);
        if !(2..=3).contains(&n)
            || b.get(i + 1 + n) != Some(&b')')
            || b.get(i + 2 + n) != Some(&b' ')
        {
            return None;
        }
        digits += n;
        i += n + 3;
        lengths = &lengths[1..];
    }
    let (mut first, mut last, mut hyphen) = (None, 0, None);
    for (k, &(lo, hi)) in lengths.iter().enumerate() {
        let n = digit_run(i);
        if !(lo..=hi).contains(&n) {
            return None;
        }
        digits += n;
        i += n;
        if k + 1 < lengths.len() {
            let sep = *b.get(i)?;
            let is_hyphen = match sep {
                b' ' => false,
                b'-' => true,
                _ => return None,
            };
            if hyphen.is_some_and(|h| h != is_hyphen) {
                return None;
            }
            hyphen = Some(is_hyphen);
            first.get_or_insert(i);
            last = i;
            i += 1;
        }
    }
    // Nothing after the number but an extension or a note: a space and
    // then no digit.
    let rest = &b[i..];
    if digits != 10 || !(rest.is_empty() || (rest[0] == b' ' && !rest.get(1)?.is_ascii_digit())) {
        return None;
    }
    Some(Slot {
        start: first?,
        end: last + 1,
        value: hyphen?,
        group: 0,
        writable: true,
        dotted: false,
        dot: None,
    })
}

/// Whether a cell is a ten-digit telephone number, in any presentation
/// (`5512345678`, `(55) 1234-5678`, `+52 55 1234 5678`), perhaps with an
/// extension after it.
pub(crate) fn is_phone(cell: &str) -> bool {
    canonical_phone(cell, &mut String::new())
}

/// Appends the digits of a telephone number [`phone_slot`] reads, the `52`
/// of a `+52 ` prefix left out, and what follows the number (an extension)
/// folded; returns false, appending nothing, for any other cell. Every copy
/// of one master cell gives the same form, and so does the number written
/// with its digits together.
fn canonical_phone(cell: &str, out: &mut String) -> bool {
    let bare = cell.strip_prefix("+52 ").unwrap_or(cell);
    let mut digits = 0;
    let mut end = bare.len();
    for (i, c) in bare.char_indices() {
        match c {
            '0'..='9' => digits += 1,
            ' ' | '-' | '(' | ')' => {}
            _ => {
                end = i;
                break;
            }
        }
    }
    if digits != 10 {
        return false;
    }
    out.extend(bare[..end].chars().filter(char::is_ascii_digit));
    let rest = bare[end..].trim();
    if !rest.is_empty() {
        out.push(' ');
        fold_into(rest, out);
    }
    true
}

/// Appends the canonical form of a number (see [`Carrier::canonical`]), or
/// returns false, appending nothing, if `cell` is not one that
/// [`numeric_slot`] reads or a copy could hold (it also takes an integer
/// where decimals are expected, as a spreadsheet may write `6353.00`).
fn canonical_number(cell: &str, decimals: u8, out: &mut String) -> bool {
    let s = cell.trim_matches(' ');
    let s = s.strip_prefix('$').unwrap_or(s);
    let (negative, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let int_ok = int.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && int.bytes().all(|b| b.is_ascii_digit() || b == b',');
    let frac_ok = frac.len() <= usize::from(decimals) && frac.bytes().all(|b| b.is_ascii_digit());
    if !int_ok || !frac_ok {
        return false;
    }
    let mut digits: Vec<u8> = int.bytes().filter(u8::is_ascii_digit).collect();
    let leading = digits.iter().take_while(|&&d| d == b'0').count();
    digits.drain(..leading.min(digits.len() - 1));
    let int_len = digits.len();
    digits.extend(frac.bytes());
    digits.resize(int_len + usize::from(decimals), b'0');
    // The slot's digit is left out: a copy flips its low bit, and a leaker
    // who shifts every amount by one unit moves it within its tens (but
    // for a 9 shifted up or a 0 down), so neither changes the form.
    let last = digits.len() - 1;
    digits[last] = b'0';
    if negative && digits.iter().any(|&d| d != b'0') {
        out.push('-');
    }
    for (i, &d) in digits.iter().enumerate() {
        if i == int_len {
            out.push('.');
        }
        out.push(char::from(d));
    }
    true
}

/// `u8::is_ascii_whitespace` (tab, line feed, form feed, carriage return,
/// space) as one bit test: asked of every byte of every carrier cell.
#[inline]
fn is_ascii_space(b: u8) -> bool {
    const SPACES: u64 = 1 << b'\t' | 1 << b'\n' | 1 << 0x0C | 1 << b'\r' | 1 << b' ';
    b <= b' ' && SPACES >> b & 1 == 1
}

fn variant_slots(dict: &Dictionary, cell: &str, scratch: &mut String, out: &mut Vec<Slot>) {
    let bytes = cell.as_bytes();
    let mut i = 0;
    let mut token_index = 0usize;
    // Accented spellings fold to shorter ASCII; allow for that before folding.
    let longest = dict.max_len() * 4 + 4;
    while i < bytes.len() && out.len() < MAX_SLOTS_PER_CELL {
        while i < bytes.len() && is_ascii_space(bytes[i]) {
            i += 1;
        }
        if i == bytes.len() {
            break;
        }
        let start = i;
        while i < bytes.len() && !is_ascii_space(bytes[i]) {
            i += 1;
        }
        let mut end = i;
        while end > start && matches!(bytes[end - 1], b',' | b';' | b':') {
            end -= 1;
        }
        if end > start && end - start <= longest && dict.may_match(&bytes[start..end]) {
            if let Some((group, variant)) = dict.lookup(&cell[start..end], scratch) {
                if token_index == 0 || dict.place(group) == TokenPlace::Any {
                    let dotted = dict.dotted(group);
                    out.push(Slot {
                        start,
                        end,
                        value: variant == 1,
                        group,
                        writable: true,
                        dotted,
                        dot: (dotted && variant == 1).then(|| bytes[end - 1] == b'.'),
                    });
                }
            }
        }
        token_index += 1;
    }
}

/// Reads a number such as `6353.93`, `$6,353.93`, `-12.5`: the slot is the last
/// digit of its value in units of `10^-decimals`, and reads that digit's
/// parity. Only a cell written with exactly `decimals` places is writable;
/// one that a spreadsheet shortened (`6353.9`) is still read, as `6353.90`.
fn numeric_slot(cell: &str, decimals: u8) -> Option<Slot> {
    let bytes = cell.as_bytes();
    let mut i = 0;
    let n = bytes.len();
    while i < n && bytes[i] == b' ' {
        i += 1;
    }
    if i < n && bytes[i] == b'$' {
        i += 1;
    }
    if i < n && (bytes[i] == b'-' || bytes[i] == b'+') {
        i += 1;
    }
    let int_start = i;
    let mut last_digit = None;
    while i < n && (bytes[i].is_ascii_digit() || (bytes[i] == b',' && i > int_start)) {
        if bytes[i].is_ascii_digit() {
            last_digit = Some(i);
        }
        i += 1;
    }
    last_digit?;
    let mut frac_digits = 0u8;
    if i < n && bytes[i] == b'.' {
        i += 1;
        while i < n && bytes[i].is_ascii_digit() {
            last_digit = Some(i);
            frac_digits = frac_digits.saturating_add(1);
            i += 1;
        }
    }
    while i < n && bytes[i] == b' ' {
        i += 1;
    }
    if i != n || frac_digits > decimals || (decimals > 0 && frac_digits == 0) {
        return None;
    }
    let at = last_digit?;
    let value = if frac_digits == decimals {
        (bytes[at] - b'0') & 1 == 1
    } else {
        false // implicit trailing zero
    };
    Some(Slot {
        start: at,
        end: at + 1,
        value,
        group: 0,
        writable: frac_digits == decimals,
        dotted: false,
        dot: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionary::mx_address;

    fn written(c: &Carrier, cell: &str, bit: bool) -> String {
        let s = slots(c, cell);
        let bits = vec![
            SlotBits {
                main: Some(bit),
                dot: None,
            };
            s.len()
        ];
        let mut out = String::new();
        c.write(cell, &s, &bits, &mut out);
        out
    }

    fn canonical(c: &Carrier, cell: &str) -> String {
        let mut out = String::new();
        c.canonical(cell, &mut String::new(), &mut out);
        out
    }

    #[test]
    fn phone_separators_carry_one_bit_and_the_digits_never_change() {
        let c = Carrier::Phone;
        for (cell, bit, other) in [
            ("55 1234 5678", false, "55-1234-5678"),
            ("667-320-4911", true, "667 320 4911"),
            ("(55) 1234-5678", true, "(55) 1234 5678"),
            ("(667) 320 4911", false, "(667) 320-4911"),
            ("+52 55 1234 5678", false, "+52 55-1234-5678"),
            ("938 247 1946 EXT. 85467", false, "938-247-1946 EXT. 85467"),
        ] {
            let s = slots(&c, cell);
            assert_eq!(s.len(), 1, "{cell}");
            assert_eq!(s[0].value, bit, "{cell}");
            assert_eq!(written(&c, cell, bit), cell, "{cell}: same bit, same bytes");
            assert_eq!(written(&c, cell, !bit), other, "{cell}");
            assert_eq!(slots(&c, other)[0].value, !bit, "{other}");
            // Both copies, and the number with its digits together, match
            // the master cell.
            assert_eq!(canonical(&c, cell), canonical(&c, other));
            let digits: String = cell
                .split(" EXT")
                .next()
                .unwrap()
                .trim_start_matches("+52 ")
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            assert!(canonical(&c, cell).starts_with(&digits), "{cell}");
            assert_eq!(canonical(&c, &digits), digits);
        }
        // No slot: digits together, mixed separators, other lengths, other
        // text. Marking never creates these, nor turns them into phones.
        for cell in [
            "5512345678",
            "55 1234-5678",
            "55 1234 567",
            "55 1234 56789",
            "555 1234 5678",
            "(55)1234-5678",
            "55.1234.5678",
            "55 1234 5678 9",
            "AV. REFORMA 55 1234 5678",
            "",
            "+52 5512345678",
        ] {
            assert!(slots(&c, cell).is_empty(), "{cell}");
            assert_eq!(written(&c, cell, true), cell);
        }
    }

    #[test]
    fn spaces_are_the_ascii_white_space() {
        for b in 0..=255u8 {
            assert_eq!(is_ascii_space(b), b.is_ascii_whitespace(), "{b:#04x}");
        }
    }

    fn dict() -> Carrier {
        Carrier::Variants(Box::new(Dictionary::compile(&mx_address()).unwrap()))
    }

    fn slots(c: &Carrier, cell: &str) -> Vec<Slot> {
        let mut out = Vec::new();
        c.slots(cell, &mut String::new(), &mut out);
        out
    }

    #[test]
    fn road_types_only_first_but_interiors_anywhere() {
        let c = dict();
        let s = slots(&c, "AV. REFORMA NTE.");
        assert_eq!(s.len(), 2);
        assert!(s[0].value && s[1].value);
        assert!(slots(&c, "REFORMA CALLE").is_empty());
        assert_eq!(slots(&c, "MZ 40 LT 55").len(), 2);
        assert_eq!(slots(&c, "S/N").len(), 1);
        assert!(slots(&c, "").is_empty());
    }

    #[test]
    fn writes_keep_case_and_bytes_elsewhere() {
        let c = dict();
        let bits = |main: bool, dot: Option<bool>| SlotBits {
            main: Some(main),
            dot,
        };
        let cell = "Av.  Reforma Pte.";
        let s = slots(&c, cell);
        assert_eq!((s[0].dot, s[1].dot), (Some(true), Some(true)));
        let mut out = String::new();
        c.write(
            cell,
            &s,
            &[bits(false, None), bits(true, Some(true))],
            &mut out,
        );
        assert_eq!(out, "Avenida  Reforma Pte.");
        out.clear();
        let short = [bits(true, Some(false)), bits(true, Some(true))];
        c.write(cell, &s, &short, &mut out);
        assert_eq!(out, "Av  Reforma Pte.");
        assert_eq!(slots(&c, &out)[0].dot, Some(false));
        out.clear();
        c.write(
            "CALLE 5",
            &slots(&c, "CALLE 5"),
            &[bits(true, Some(false))],
            &mut out,
        );
        assert_eq!(out, "C 5");
        out.clear();
        let mz = slots(&c, "mz 4 lt 5");
        assert!(!mz[0].dotted && mz[0].dot.is_none());
        let keep = [bits(false, None), SlotBits::default()];
        c.write("mz 4 lt 5", &mz, &keep, &mut out);
        assert_eq!(out, "manzana 4 lt 5");
    }

    #[test]
    fn numeric_moves_one_unit_at_most() {
        let c = Carrier::Numeric { decimals: 2 };
        for cell in ["6353.93", "$6,353.90", "0.09", "-12.48"] {
            let s = slots(&c, cell);
            assert_eq!(s.len(), 1, "{cell}");
            let mut out = String::new();
            let flip = SlotBits {
                main: Some(!s[0].value),
                dot: None,
            };
            c.write(cell, &s, &[flip], &mut out);
            let parse = |x: &str| x.replace(['$', ','], "").parse::<f64>().unwrap();
            assert!(
                (parse(&out) - parse(cell)).abs() < 0.0100001,
                "{cell} -> {out}"
            );
            assert_eq!(slots(&c, &out)[0].value, !s[0].value);
        }
        assert!(slots(&c, "6353").is_empty());
        assert!(slots(&c, "12.345").is_empty());
        assert!(slots(&c, "abc").is_empty());
        let short = slots(&c, "6353.9");
        assert!(!short[0].value && !short[0].writable);
    }
}
