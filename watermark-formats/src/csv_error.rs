//! `csv` errors made into the toolkit's error, keeping their position.

use watermark_core::{Error, ErrorKind};

/// The toolkit's own error carried in an I/O error, or the I/O error.
fn into_crate_error(e: std::io::Error) -> std::result::Result<Error, std::io::Error> {
    if !e.get_ref().is_some_and(|inner| inner.is::<Error>()) {
        return Err(e);
    }
    let kind = e.kind();
    match e.into_inner().map(|inner| inner.downcast::<Error>()) {
        Some(Ok(inner)) => Ok(*inner),
        Some(Err(other)) => Err(std::io::Error::new(kind, other)),
        None => Err(std::io::Error::from(kind)),
    }
}

/// Converts a `csv` error into ours, keeping the position.
pub(crate) fn from_csv(err: csv::Error, header_len: Option<usize>) -> Error {
    let line = err.position().map(|p| p.line());
    let record = err.position().map(|p| p.record());
    let mut out = match err.into_kind() {
        csv::ErrorKind::Io(e) => match into_crate_error(e) {
            // A reader that makes CSV out of another format
            // (`ColumnarRows::into_csv`) reports its own errors, placed at
            // their row and column: pass them on as they are.
            Ok(inner) => return inner,
            Err(e) => Error::io(watermark_text::Msg::FmReadingCsv, e),
        },
        csv::ErrorKind::Utf8 { err, .. } => {
            let _ = err;
            Error::new(ErrorKind::Utf8)
        }
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => Error::new(ErrorKind::UnequalLengths {
            expected: header_len.map(|h| h as u64).unwrap_or(expected_len),
            found: len,
        }),
        other => Error::new(ErrorKind::Csv(format!("{other:?}"))),
    };
    if let Some(line) = line {
        out = match record {
            // Record 0 is the header.
            Some(r) if r > 0 => out.at_row(r, line),
            _ => out.at_line(line),
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_carried_through_a_csv_reader_comes_out_as_it_was() {
        let inner = Error::new(ErrorKind::EmptyIdentity)
            .at_row(5, 6)
            .in_column("CURP");
        let e = from_csv(csv::Error::from(std::io::Error::other(inner)), Some(3));
        assert_eq!(
            e.to_string(),
            "row 5 (line 6), column CURP: identity value is empty"
        );
        let plain = from_csv(csv::Error::from(std::io::Error::other("disk")), None);
        assert_eq!(plain.to_string(), "reading CSV: disk");
    }
}
