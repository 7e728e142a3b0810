//! Finding, reading and writing the slots of carrier cells.

use crate::code::MAX_SLOTS_PER_CELL;
use crate::dictionary::{Dictionary, TokenPlace};
use crate::normalize::CaseStyle;

/// A carrier, compiled from its policy entry.
#[derive(Debug, Clone)]
pub(crate) enum Carrier {
    Variants(Box<Dictionary>),
    Numeric { decimals: u8 },
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
            }
            at = slot.end;
        }
        out.push_str(&cell[at..]);
    }
}

fn variant_slots(dict: &Dictionary, cell: &str, scratch: &mut String, out: &mut Vec<Slot>) {
    let bytes = cell.as_bytes();
    let mut i = 0;
    let mut token_index = 0usize;
    // Accented spellings fold to shorter ASCII; allow for that before folding.
    let longest = dict.max_len() * 4 + 4;
    while i < bytes.len() && out.len() < MAX_SLOTS_PER_CELL {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == bytes.len() {
            break;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
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
