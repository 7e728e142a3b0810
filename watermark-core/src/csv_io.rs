//! CSV at the edge: one pass over an extract writes every recipient's copy,
//! and a leaked CSV streams into a [`Detector`](crate::Detector).

use std::io::{self, BufRead, BufReader, Read, Write};

use crate::detect::{Attribution, Detector};
use crate::embed::Embedder;
use crate::error::{from_csv, Error, ErrorKind, Result};

/// The dialect of a CSV file, sniffed from its header line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dialect {
    /// Field delimiter: `,`, `;`, tab or `|`.
    pub delimiter: u8,
    /// Whether lines end in CRLF.
    pub crlf: bool,
}

impl Default for Dialect {
    fn default() -> Self {
        Dialect {
            delimiter: b',',
            crlf: false,
        }
    }
}

/// Sniffs the dialect from the start of a buffered input without consuming it.
pub fn sniff<R: BufRead>(input: &mut R) -> Result<Dialect> {
    let buf = input
        .fill_buf()
        .map_err(|e| Error::io("reading the input", e))?;
    let line_end = buf.iter().position(|&b| b == b'\n').unwrap_or(buf.len());
    let line = &buf[..line_end];
    let crlf = line.last() == Some(&b'\r');
    let mut counts = [0usize; 4];
    let candidates = [b',', b';', b'\t', b'|'];
    let mut quoted = false;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(k) = candidates.iter().position(|&c| c == b) {
                counts[k] += 1;
            }
        }
    }
    let best = (0..4).max_by_key(|&k| (counts[k], usize::from(k == 0))).unwrap_or(0);
    Ok(Dialect {
        delimiter: if counts[best] == 0 { b',' } else { candidates[best] },
        crlf,
    })
}

fn reader<R: Read>(input: R, dialect: Dialect) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .delimiter(dialect.delimiter)
        .has_headers(true)
        .flexible(false)
        .buffer_capacity(1 << 16)
        .from_reader(input)
}

/// A CSV writer in the given dialect.
pub fn writer<W: Write>(out: W, dialect: Dialect) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .delimiter(dialect.delimiter)
        .terminator(if dialect.crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .buffer_capacity(1 << 16)
        .from_writer(out)
}

/// Reads the header, refusing an empty file or a non-UTF-8 header.
fn header<R: Read>(rdr: &mut csv::Reader<R>) -> Result<(csv::ByteRecord, Vec<String>)> {
    let raw = rdr.byte_headers().map_err(|e| from_csv(e, None))?.clone();
    if raw.is_empty() || (raw.len() == 1 && raw[0].is_empty()) {
        return Err(ErrorKind::EmptyInput.into());
    }
    let names = raw
        .iter()
        .enumerate()
        .map(|(i, f)| {
            std::str::from_utf8(f)
                .map(|s| s.trim_start_matches('\u{FEFF}').to_string())
                .map_err(|_| Error::new(ErrorKind::Utf8).at_line(1).in_column(format!("#{}", i + 1)))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((raw, names))
}

/// Checks a record is UTF-8; on failure names the row and column.
fn utf8_fields<'r>(rec: &'r csv::ByteRecord, row: u64, names: &[String]) -> Result<&'r str> {
    match std::str::from_utf8(rec.as_slice()) {
        Ok(s) => Ok(s),
        Err(_) => {
            let line = rec.position().map(|p| p.line()).unwrap_or(0);
            let col = rec
                .iter()
                .position(|f| std::str::from_utf8(f).is_err())
                .unwrap_or(0);
            Err(Error::new(ErrorKind::Utf8)
                .at_row(row, line)
                .in_column(names.get(col).cloned().unwrap_or_default()))
        }
    }
}

/// The field `i` of a record whose bytes were checked to be UTF-8.
#[inline]
fn field<'r>(all: &'r str, rec: &csv::ByteRecord, i: usize) -> &'r str {
    let range = rec.range(i).expect("field index within the record");
    &all[range]
}

/// Progress of a long operation, reported every few thousand rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Data rows done.
    pub rows: u64,
    /// Input bytes consumed.
    pub bytes: u64,
}

const PROGRESS_EVERY: u64 = 8192;

/// What an issuance wrote.
#[derive(Debug)]
pub struct IssueSummary<W> {
    /// Data rows in the input (and in every copy).
    pub rows: u64,
    /// Carrier slots written in every copy.
    pub slots_marked: u64,
    /// The sniffed dialect, used for every copy.
    pub dialect: Dialect,
    /// The outputs, flushed, in recipient order.
    pub outputs: Vec<W>,
}

/// Reads a CSV extract once and writes each recipient's copy to the matching
/// output (`outputs[r]` for `embedder.recipients()[r]`). Every field that is
/// not a carrier slot is copied as it is; the dialect is kept.
pub fn issue_csv<R: Read, W: Write>(
    embedder: &Embedder,
    input: R,
    outputs: Vec<W>,
    progress: &mut dyn FnMut(Progress),
) -> Result<IssueSummary<W>> {
    assert_eq!(
        outputs.len(),
        embedder.recipients().len(),
        "one output per recipient"
    );
    let mut input = BufReader::with_capacity(1 << 16, input);
    let dialect = sniff(&mut input)?;
    let mut rdr = reader(input, dialect);
    let (raw_header, names) = header(&mut rdr)?;
    let mut marker = embedder.bind(&names)?;
    let mut writers: Vec<csv::Writer<W>> =
        outputs.into_iter().map(|w| writer(w, dialect)).collect();
    for (w, r) in writers.iter_mut().zip(embedder.recipients()) {
        w.write_byte_record(&raw_header)
            .map_err(|e| Error::io(format!("writing the copy for {}", r.id), csv_io(e)))?;
    }
    let mut rec = csv::ByteRecord::new();
    let mut out = csv::ByteRecord::new();
    let mut rows = 0u64;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(from_csv(e, Some(names.len()))),
        }
        rows += 1;
        let all = utf8_fields(&rec, rows, &names)?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        marker
            .mark(|i| field(all, &rec, i))
            .map_err(|e| e.at_row(rows, line))?;
        for (r, w) in writers.iter_mut().enumerate() {
            marker.write_record(r, &rec, &mut out);
            w.write_byte_record(&out).map_err(|e| {
                Error::io(
                    format!("writing the copy for {}", embedder.recipients()[r].id),
                    csv_io(e),
                )
            })?;
        }
        if rows.is_multiple_of(PROGRESS_EVERY) {
            progress(Progress {
                rows,
                bytes: rec.position().map(|p| p.byte()).unwrap_or(0),
            });
        }
    }
    let mut outputs = Vec::with_capacity(writers.len());
    for (w, r) in writers.into_iter().zip(embedder.recipients()) {
        let inner = w.into_inner().map_err(|e| {
            Error::io(format!("writing the copy for {}", r.id), e.into_error())
        })?;
        outputs.push(inner);
    }
    Ok(IssueSummary {
        rows,
        slots_marked: marker.slots_marked(),
        dialect,
        outputs,
    })
}

fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Streams a leaked CSV into a detector and returns its attribution. Columns
/// may come in any order and any subset that keeps the identity; names are
/// matched ignoring case, accents and surrounding space.
pub fn verify_csv<R: Read>(
    detector: &Detector,
    input: R,
    progress: &mut dyn FnMut(Progress),
) -> Result<Attribution> {
    let mut input = BufReader::with_capacity(1 << 16, input);
    let dialect = sniff(&mut input)?;
    let mut rdr = reader(input, dialect);
    let (_, names) = header(&mut rdr)?;
    let mut observer = detector.bind(&names)?;
    let mut rec = csv::ByteRecord::new();
    let mut rows = 0u64;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(from_csv(e, Some(names.len()))),
        }
        rows += 1;
        let all = utf8_fields(&rec, rows, &names)?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        observer
            .observe(rows, |i| field(all, &rec, i))
            .map_err(|e| e.at_row(rows, line))?;
        if rows.is_multiple_of(PROGRESS_EVERY) {
            progress(Progress {
                rows,
                bytes: rec.position().map(|p| p.byte()).unwrap_or(0),
            });
        }
    }
    Ok(observer.finish())
}

/// A reader that computes the BLAKE3 digest of what passes through it.
#[derive(Debug)]
pub struct HashingReader<R> {
    inner: R,
    hasher: blake3::Hasher,
    bytes: u64,
}

impl<R> HashingReader<R> {
    /// Wraps a reader.
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: blake3::Hasher::new(),
            bytes: 0,
        }
    }

    /// The digest (hex) and byte count of everything read so far.
    pub fn digest(&self) -> (String, u64) {
        (self.hasher.finalize().to_hex().to_string(), self.bytes)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// A writer that computes the BLAKE3 digest of what passes through it.
#[derive(Debug)]
pub struct HashingWriter<W> {
    inner: W,
    hasher: blake3::Hasher,
    bytes: u64,
}

impl<W> HashingWriter<W> {
    /// Wraps a writer.
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: blake3::Hasher::new(),
            bytes: 0,
        }
    }

    /// The digest (hex) and byte count of everything written so far.
    pub fn digest(&self) -> (String, u64) {
        (self.hasher.finalize().to_hex().to_string(), self.bytes)
    }

    /// The wrapped writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_delimiter_and_line_end() {
        let d = sniff(&mut &b"A;B;\"C;D\"\r\n1;2;3\r\n"[..]).unwrap();
        assert_eq!(d, Dialect { delimiter: b';', crlf: true });
        let d = sniff(&mut &b"A,B\n"[..]).unwrap();
        assert_eq!(d, Dialect::default());
        let d = sniff(&mut &b"CURP\n"[..]).unwrap();
        assert_eq!(d.delimiter, b',');
    }
}
