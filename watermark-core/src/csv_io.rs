//! CSV at the edge: one pass over an extract writes every recipient's copy,
//! and a leaked CSV streams into a [`Detector`](crate::Detector).

use std::io::{self, BufRead, BufReader, Read, Write};

use crate::detect::{Attribution, Detector};
use crate::embed::{Embedder, RowMarker};
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
    let best = (0..4)
        .max_by_key(|&k| (counts[k], usize::from(k == 0)))
        .unwrap_or(0);
    Ok(Dialect {
        delimiter: if counts[best] == 0 {
            b','
        } else {
            candidates[best]
        },
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
                .map_err(|_| {
                    Error::new(ErrorKind::Utf8)
                        .at_line(1)
                        .in_column(format!("#{}", i + 1))
                })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((raw, names))
}

/// Checks a record is UTF-8; on failure names the row and column.
fn utf8_fields<'r>(rec: &'r csv::ByteRecord, row: u64, names: &[String]) -> Result<&'r str> {
    let bad_column = |col: usize| {
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        Err(Error::new(ErrorKind::Utf8)
            .at_row(row, line)
            .in_column(names.get(col).cloned().unwrap_or_default()))
    };
    let Ok(all) = std::str::from_utf8(rec.as_slice()) else {
        let col = rec.iter().position(|f| std::str::from_utf8(f).is_err());
        return bad_column(col.unwrap_or(0));
    };
    // Two fields that are each invalid can join into valid UTF-8 (0xDA | 0xB8):
    // every field must also start on a character boundary.
    for i in 1..rec.len() {
        let start = rec.range(i).expect("field index within the record").start;
        if !all.is_char_boundary(start) {
            return bad_column(i - 1);
        }
    }
    Ok(all)
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

/// How [`issue_csv_with`] spreads its work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IssueOptions {
    /// Marking threads; 0 means one per available core. The copies are the
    /// same bytes whatever the number.
    pub threads: usize,
    /// Rows per batch handed to a thread.
    pub batch_rows: usize,
}

impl Default for IssueOptions {
    fn default() -> Self {
        IssueOptions {
            threads: 0,
            batch_rows: 2048,
        }
    }
}

/// Reads a CSV extract once and writes each recipient's copy to the matching
/// output (`outputs[r]` for `embedder.recipients()[r]`). Every field that is
/// not a carrier slot is copied as it is; the dialect is kept. Uses every
/// core; see [`issue_csv_with`].
pub fn issue_csv<R: Read, W: Write>(
    embedder: &Embedder,
    input: R,
    outputs: Vec<W>,
    progress: &mut dyn FnMut(Progress),
) -> Result<IssueSummary<W>> {
    issue_csv_with(embedder, input, outputs, IssueOptions::default(), progress)
}

/// Rows parsed by the reading thread, marked by a worker.
struct Batch {
    first_row: u64,
    records: Vec<csv::ByteRecord>,
    len: usize,
}

/// A worker's result: every recipient's rows as CSV bytes.
struct Marked {
    batch: Batch,
    copies: Vec<Vec<u8>>,
    slots_marked: u64,
}

/// Batches in flight per worker; with channels of this capacity both ways,
/// no send can block while the reading thread waits, so the pipeline cannot
/// deadlock.
const DEPTH: usize = 4;

/// [`issue_csv`] with explicit options. The calling thread parses the input
/// and writes the outputs; worker threads mark rows and serialise them, in
/// batches dealt round-robin and written back in order, so the output does
/// not depend on the number of threads.
pub fn issue_csv_with<R: Read, W: Write>(
    embedder: &Embedder,
    input: R,
    outputs: Vec<W>,
    options: IssueOptions,
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
    // Bind once here so a header problem is reported before any thread starts.
    drop(embedder.bind(&names)?);
    let mut outputs = outputs;
    let write_err = |r: usize, e: io::Error| {
        Error::io(
            format!("writing the copy for {}", embedder.recipients()[r].id),
            e,
        )
    };
    {
        let mut head = writer(Vec::new(), dialect);
        head.write_byte_record(&raw_header)
            .map_err(|e| write_err(0, csv_io(e)))?;
        let head = head
            .into_inner()
            .map_err(|e| write_err(0, e.into_error()))?;
        for (r, out) in outputs.iter_mut().enumerate() {
            out.write_all(&head).map_err(|e| write_err(r, e))?;
        }
    }
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let batch_rows = options.batch_rows.max(1);
    let names = &names;

    std::thread::scope(|scope| {
        let mut to_workers = Vec::with_capacity(threads);
        let mut from_workers = Vec::with_capacity(threads);
        for _ in 0..threads {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(DEPTH);
            let (rtx, rrx) = std::sync::mpsc::sync_channel::<Result<Marked>>(DEPTH);
            to_workers.push(tx);
            from_workers.push(rrx);
            scope.spawn(move || {
                let mut marker = match embedder.bind(names) {
                    Ok(m) => m,
                    Err(e) => {
                        let _ = rtx.send(Err(e));
                        return;
                    }
                };
                for batch in rx {
                    let result = mark_batch(&mut marker, batch, names, dialect);
                    let failed = result.is_err();
                    if rtx.send(result).is_err() || failed {
                        return;
                    }
                }
            });
        }

        let mut rows = 0u64;
        let mut slots_marked = 0u64;
        let mut sent = 0usize;
        let mut received = 0usize;
        let mut spare: Vec<Vec<csv::ByteRecord>> = Vec::new();
        let mut eof = false;
        // Receives the oldest batch in flight and writes it out.
        let mut drain_one = |received: &mut usize,
                             spare: &mut Vec<Vec<csv::ByteRecord>>,
                             outputs: &mut Vec<W>|
         -> Result<()> {
            let marked = from_workers[*received % threads].recv().map_err(|_| {
                Error::io("marking rows", io::Error::other("a worker thread stopped"))
            })??;
            *received += 1;
            for (r, (out, bytes)) in outputs.iter_mut().zip(&marked.copies).enumerate() {
                out.write_all(bytes).map_err(|e| write_err(r, e))?;
            }
            slots_marked += marked.slots_marked;
            let done = marked.batch.first_row + marked.batch.len as u64 - 1;
            let byte = marked.batch.records[..marked.batch.len]
                .last()
                .and_then(|r| r.position())
                .map_or(0, |p| p.byte());
            spare.push(marked.batch.records);
            progress(Progress {
                rows: done,
                bytes: byte,
            });
            Ok(())
        };
        let result = (|| -> Result<()> {
            while !eof {
                let mut records = spare.pop().unwrap_or_default();
                records.resize_with(batch_rows, csv::ByteRecord::new);
                let mut len = 0;
                while len < batch_rows {
                    match rdr.read_byte_record(&mut records[len]) {
                        Ok(true) => len += 1,
                        Ok(false) => {
                            eof = true;
                            break;
                        }
                        Err(e) => return Err(from_csv(e, Some(names.len()))),
                    }
                }
                if len == 0 {
                    spare.push(records);
                    break;
                }
                let batch = Batch {
                    first_row: rows + 1,
                    records,
                    len,
                };
                rows += len as u64;
                if sent - received == threads * DEPTH {
                    drain_one(&mut received, &mut spare, &mut outputs)?;
                }
                to_workers[sent % threads].send(batch).map_err(|_| {
                    Error::io("marking rows", io::Error::other("a worker thread stopped"))
                })?;
                sent += 1;
            }
            while received < sent {
                drain_one(&mut received, &mut spare, &mut outputs)?;
            }
            Ok(())
        })();
        // Closing the channels ends the workers, on success or error.
        drop(to_workers);
        result?;
        for (r, out) in outputs.iter_mut().enumerate() {
            out.flush().map_err(|e| write_err(r, e))?;
        }
        Ok(IssueSummary {
            rows,
            slots_marked,
            dialect,
            outputs,
        })
    })
}

/// Marks one batch and serialises every recipient's rows.
fn mark_batch(
    marker: &mut RowMarker<'_>,
    batch: Batch,
    names: &[String],
    dialect: Dialect,
) -> Result<Marked> {
    let n = marker.recipients();
    let before = marker.slots_marked();
    let mut writers: Vec<csv::Writer<Vec<u8>>> = (0..n)
        .map(|_| {
            csv::WriterBuilder::new()
                .delimiter(dialect.delimiter)
                .terminator(if dialect.crlf {
                    csv::Terminator::CRLF
                } else {
                    csv::Terminator::Any(b'\n')
                })
                .buffer_capacity(1 << 14)
                .from_writer(Vec::with_capacity(batch.len * 160))
        })
        .collect();
    for (k, rec) in batch.records[..batch.len].iter().enumerate() {
        let row = batch.first_row + k as u64;
        let all = utf8_fields(rec, row, names)?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        marker
            .mark(|i| field(all, rec, i))
            .map_err(|e| e.at_row(row, line))?;
        for (r, w) in writers.iter_mut().enumerate() {
            marker
                .write_row(r, rec, w)
                .map_err(|e| Error::io("serialising a copy", csv_io(e)))?;
        }
    }
    let copies = writers
        .into_iter()
        .map(|w| {
            w.into_inner()
                .map_err(|e| Error::io("serialising a copy", e.into_error()))
        })
        .collect::<Result<_>>()?;
    Ok(Marked {
        slots_marked: marker.slots_marked() - before,
        batch,
        copies,
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
        assert_eq!(
            d,
            Dialect {
                delimiter: b';',
                crlf: true
            }
        );
        let d = sniff(&mut &b"A,B\n"[..]).unwrap();
        assert_eq!(d, Dialect::default());
        let d = sniff(&mut &b"CURP\n"[..]).unwrap();
        assert_eq!(d.delimiter, b',');
    }
}
