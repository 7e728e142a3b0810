//! Numbers written for people: thousands separators as es-MX and English
//! both write them.

/// A count with thousands separators, as es-MX and English both write
/// it: `1,234,567`.
pub fn int(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A number with `places` decimals and thousands separators:
/// `-3,337,812.33`.
pub fn decimal(x: f64, places: usize) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let text = format!("{:.*}", places, x.abs());
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::new();
    if x < 0.0 && text.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        out.push('-');
    }
    match whole.parse::<u64>() {
        Ok(w) => out.push_str(&int(w)),
        Err(_) => out.push_str(whole),
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}
