//! CSV at the edge: one pass over an extract writes every recipient's copy,
//! and a leaked CSV streams into a [`Detector`](crate::Detector).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::ops::Range;

use watermark_core::CanaryList;
use watermark_core::MasterKey;
use watermark_core::Policy;
use watermark_core::Suggestion;
use watermark_core::{Attribution, Detector, Observer, Tally};

/// Rows per batch a verification worker reads into one tally.
const VERIFY_BATCH_ROWS: usize = 1024;
use watermark_core::{Embedder, RowMarker};
use watermark_core::{ExtraRows, MasterError, MasterMatch};
use watermark_core::{Progress, RowBatch, RowSource};
use {
    crate::csv_error::from_csv,
    watermark_core::{Error, ErrorKind, Result},
    watermark_text::{said, Msg},
};

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
        .map_err(|e| Error::io(Msg::FmReadingInput, e))?;
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

pub(crate) fn reader<R: Read>(input: R, dialect: Dialect) -> csv::Reader<R> {
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
pub(crate) fn header<R: Read>(rdr: &mut csv::Reader<R>) -> Result<(csv::ByteRecord, Vec<String>)> {
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
pub(crate) fn utf8_fields<'r>(
    rec: &'r csv::ByteRecord,
    row: u64,
    names: &[String],
) -> Result<&'r str> {
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
pub(crate) fn field<'r>(all: &'r str, rec: &csv::ByteRecord, i: usize) -> &'r str {
    let range = rec.range(i).expect("field index within the record");
    &all[range]
}

/// A CSV extract as a [`RowSource`]: the dialect sniffed from the header
/// line, the header (a byte-order mark dropped), then the records, each
/// checked to be UTF-8 and to have as many fields as the header. Cells are
/// the fields as the CSV holds them, unquoted.
pub struct CsvRows<R: Read> {
    rdr: csv::Reader<BufReader<R>>,
    header: Vec<String>,
    dialect: Dialect,
    record: csv::ByteRecord,
    rows: u64,
}

impl<R: Read> std::fmt::Debug for CsvRows<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvRows")
            .field("dialect", &self.dialect)
            .field("columns", &self.header.len())
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl<R: Read> CsvRows<R> {
    /// Sniffs the dialect and reads the header, refusing an empty input or
    /// a header that is not UTF-8.
    pub fn new(input: R) -> Result<CsvRows<R>> {
        let mut input = BufReader::with_capacity(1 << 16, input);
        let dialect = sniff(&mut input)?;
        let mut rdr = reader(input, dialect);
        let (_, header) = header(&mut rdr)?;
        Ok(CsvRows {
            rdr,
            header,
            dialect,
            record: csv::ByteRecord::new(),
            rows: 0,
        })
    }

    /// The sniffed dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The reader the CSV is read from.
    pub fn get_ref(&self) -> &R {
        self.rdr.get_ref().get_ref()
    }
}

impl<R: Read> CsvRows<R> {
    fn fill(&mut self, batch: &mut RowBatch, limit: usize) -> Result<bool> {
        batch.start(self.header.len(), self.rows + 1);
        let rec = &mut self.record;
        while batch.len() < limit.max(1) {
            match self.rdr.read_byte_record(rec) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(from_csv(e, Some(self.header.len()))),
            }
            self.rows += 1;
            let all = utf8_fields(rec, self.rows, &self.header)?;
            let line = rec.position().map(|p| p.line());
            batch.push_joined(
                all,
                (0..rec.len()).map(|i| rec.range(i).map_or(0, |r| r.end)),
                line,
            );
        }
        Ok(!batch.is_empty())
    }
}

impl<R: Read> RowSource for CsvRows<R> {
    fn header(&self) -> &[String] {
        &self.header
    }

    fn next_batch(&mut self, batch: &mut RowBatch, limit: usize) -> Result<bool> {
        let filled = self.fill(batch, limit);
        if filled.is_err() {
            // No partial batch after an error.
            batch.start(self.header.len(), self.rows + 1);
        }
        filled
    }

    fn bytes_read(&self) -> u64 {
        self.rdr.position().byte()
    }
}

/// What an issuance wrote.
#[derive(Debug)]
pub struct IssueSummary<W> {
    /// Data rows in the input (and in every copy).
    pub rows: u64,
    /// Carrier slots written in every copy.
    pub slots_marked: u64,
    /// The sniffed dialect, used for every copy.
    pub dialect: Dialect,
    /// Canary rows added to each copy, in recipient order.
    pub canaries: Vec<u64>,
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

/// One field of a record in a [`Batch`].
#[derive(Clone, Default)]
struct FieldSpan {
    /// The field's bytes in `Batch::raw`, quotes included.
    raw: Range<usize>,
    /// The unescaped value: in `Batch::unescaped` when `quoted`, else in
    /// `Batch::raw`, where it is the field's bytes themselves.
    value: Range<usize>,
    quoted: bool,
}

/// Where a record's fields are.
#[derive(Clone)]
enum Fields {
    /// The record has no quotes: its fields are these bytes of `Batch::raw`
    /// split at the delimiter, which the worker does (see [`record_fields`]).
    Plain(Range<usize>),
    /// The record has quotes: its fields were found while it was read, and
    /// are these of `Batch::fields`.
    Split(Range<usize>),
}

/// One record of a [`Batch`].
#[derive(Clone)]
struct RecordSpan {
    /// Its bytes in `Batch::raw`, terminator included. It starts where the
    /// last record's parse stopped, so it may begin with the `\n` of a CRLF
    /// or with blank lines the parser skipped.
    raw: Range<usize>,
    fields: Fields,
    /// Input byte and line where its parse started, as `csv::Reader` counts
    /// them, so errors and progress read as they always have.
    byte: u64,
    line: u64,
}

/// Records read by the calling thread, marked by a worker, then written.
/// Recycled from batch to batch so its buffers are allocated once. No
/// `Debug`: it holds row data.
#[derive(Default)]
struct Batch {
    first_row: u64,
    /// Whether the input ends with this batch.
    last: bool,
    /// Whether the input before this batch ends with a line end.
    after_line_end: bool,
    /// Every input byte consumed for these records, in order: the copies are
    /// these bytes with changed cells swapped in. The last batch also holds
    /// whatever follows the last record.
    raw: Vec<u8>,
    records: Vec<RecordSpan>,
    fields: Vec<FieldSpan>,
    unescaped: Vec<u8>,
    /// Filled by the worker: every recipient's bytes for this batch.
    copies: Vec<Vec<u8>>,
}

impl Batch {
    /// Reports progress up to this batch's last record.
    fn report(&self, progress: &mut dyn FnMut(Progress)) {
        if let Some(last) = self.records.last() {
            progress(Progress {
                rows: self.first_row + self.records.len() as u64 - 1,
                bytes: last.byte,
            });
        }
    }

    /// An empty batch starting at data row `first_row`: one of `spare`,
    /// emptied, so its buffers are reused, or a new one.
    fn reuse(spare: &std::cell::RefCell<Vec<Batch>>, first_row: u64) -> Batch {
        let mut batch = spare.borrow_mut().pop().unwrap_or_default();
        batch.raw.clear();
        batch.records.clear();
        batch.fields.clear();
        batch.unescaped.clear();
        batch.first_row = first_row;
        batch
    }
}

/// A worker's result.
struct Marked {
    batch: Batch,
    slots_marked: u64,
    /// Canaries placed in this batch (whoever got them), and per copy, how
    /// many it got.
    canaries_placed: u64,
    canaries: Vec<u64>,
}

/// Bytes per write of a copy. Much larger writes cost the kernel more per
/// byte (it allocates large page-cache folios for them); 64 KiB is what a
/// buffered writer such as `csv::Writer` with 64 KiB buffers hands it.
const WRITE_PIECE: usize = 1 << 16;

/// Input read per call; large so most records are parsed from one chunk.
const CHUNK: usize = 1 << 18;

/// Splits raw input into records, keeping the bytes so the copies can reuse
/// them. It parses exactly as `csv::Reader` does, so the values, errors and
/// positions are the same: a record without quotes that ends within the
/// buffered input is split directly (its fields are the bytes between
/// delimiters, as `csv_core` would find them), and every other record, and
/// the header, goes through `csv_core`.
struct Scanner<R> {
    input: R,
    core: csv_core::Reader,
    delimiter: u8,
    chunk: Vec<u8>,
    pos: usize,
    len: usize,
    input_done: bool,
    /// Input bytes consumed.
    consumed: u64,
    /// The line the next parse starts on, counted as `csv_core` counts it
    /// (one more than the `\n` bytes consumed); handed to `csv_core` when it
    /// parses a record.
    line: u64,
    /// The last record's values back to back, and where each ends.
    out: Vec<u8>,
    ends: Vec<usize>,
    nfields: usize,
    /// Whether the last record ended with the input rather than a line end.
    at_eof: bool,
}

impl<R: Read> Scanner<R> {
    fn new(input: R, dialect: Dialect) -> Self {
        Scanner::with_chunk(input, dialect, CHUNK)
    }

    /// A scanner that reads `chunk` bytes at a time.
    fn with_chunk(input: R, dialect: Dialect, chunk: usize) -> Self {
        Scanner {
            input,
            core: csv_core::ReaderBuilder::new()
                .delimiter(dialect.delimiter)
                .build(),
            delimiter: dialect.delimiter,
            chunk: vec![0; chunk],
            pos: 0,
            len: 0,
            input_done: false,
            consumed: 0,
            line: 1,
            out: vec![0; 1 << 10],
            ends: vec![0; 64],
            nfields: 0,
            at_eof: false,
        }
    }

    /// Where the next record's parse starts: `(byte, line)`.
    fn position(&self) -> (u64, u64) {
        (self.consumed, self.line)
    }

    /// Buffers more input once the buffered input is used up.
    fn refill(&mut self) -> Result<()> {
        if self.pos == self.len && !self.input_done {
            self.pos = 0;
            self.len = loop {
                match self.input.read(&mut self.chunk) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(Error::io(Msg::FmReadingCsv, e)),
                }
            };
            self.input_done = self.len == 0;
        }
        Ok(())
    }

    /// Takes the next record directly if it has no quote and its line end
    /// is buffered: appends the bytes consumed (blank lines before it and its
    /// terminator included) to `raw` and returns where its fields lie in
    /// `raw`. `None` leaves everything as it was, for [`Scanner::next_record`].
    fn next_plain(&mut self, raw: &mut Vec<u8>) -> Result<Option<Range<usize>>> {
        self.refill()?;
        let input = &self.chunk[self.pos..self.len];
        // csv_core skips line ends before a record (blank lines, and the
        // `\n` of a CRLF whose `\r` ended the last record).
        let lead = input
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        let end = match memchr::memchr3(b'"', b'\r', b'\n', &input[lead..]) {
            Some(i) if input[lead + i] != b'"' => lead + i,
            _ => return Ok(None),
        };
        let newlines = input[..lead].iter().filter(|&&b| b == b'\n').count()
            + usize::from(input[end] == b'\n');
        let at = raw.len();
        raw.extend_from_slice(&input[..=end]);
        self.pos += end + 1;
        self.consumed += end as u64 + 1;
        self.line += newlines as u64;
        self.at_eof = false;
        Ok(Some(at + lead..at + end))
    }

    /// Parses the next record with `csv_core`, appending every byte consumed
    /// to `raw`; at the end of input, appends what followed the last record
    /// and returns false.
    fn next_record(&mut self, raw: &mut Vec<u8>) -> Result<bool> {
        use csv_core::ReadRecordResult as R;
        let (mut nout, mut nend) = (0, 0);
        self.core.set_line(self.line);
        loop {
            self.refill()?;
            let input = &self.chunk[self.pos..self.len];
            let (res, nin, o, e) =
                self.core
                    .read_record(input, &mut self.out[nout..], &mut self.ends[nend..]);
            let eof = input.is_empty();
            raw.extend_from_slice(&input[..nin]);
            self.pos += nin;
            self.consumed += nin as u64;
            nout += o;
            nend += e;
            match res {
                R::InputEmpty => {}
                R::OutputFull => {
                    let n = self.out.len() * 2;
                    self.out.resize(n, 0);
                }
                R::OutputEndsFull => {
                    let n = self.ends.len() * 2;
                    self.ends.resize(n, 0);
                }
                R::Record => {
                    self.nfields = nend;
                    self.at_eof = eof;
                    self.line = self.core.line();
                    return Ok(true);
                }
                R::End => {
                    self.line = self.core.line();
                    return Ok(false);
                }
            }
        }
    }

    /// Reads the header into `raw` (BOM and all) and returns its names,
    /// refusing an empty file or a non-UTF-8 header.
    fn header(&mut self, raw: &mut Vec<u8>) -> Result<Vec<String>> {
        if !self.next_record(raw)? {
            return Err(ErrorKind::EmptyInput.into());
        }
        let ends = &self.ends[..self.nfields];
        if ends == [0] {
            return Err(ErrorKind::EmptyInput.into());
        }
        let mut start = 0;
        ends.iter()
            .enumerate()
            .map(|(i, &end)| {
                let value = &self.out[start..end];
                start = end;
                std::str::from_utf8(value)
                    .map(|s| s.trim_start_matches('\u{FEFF}').to_string())
                    .map_err(|_| {
                        Error::new(ErrorKind::Utf8)
                            .at_line(1)
                            .in_column(format!("#{}", i + 1))
                    })
            })
            .collect()
    }

    /// Adds records to `batch` (whose `first_row` is set) until it has
    /// `rows` of them or the input ends; false at the end of the input.
    /// Records with quotes are split into fields here; the others are split
    /// by the worker that reads them, and each record's number of fields is
    /// checked there (see [`record_fields`]), so that the main thread only
    /// finds where records end.
    fn fill(&mut self, batch: &mut Batch, rows: usize) -> Result<bool> {
        while batch.records.len() < rows {
            let start = batch.raw.len();
            let (byte, line) = self.position();
            if let Some(content) = self.next_plain(&mut batch.raw)? {
                batch.records.push(RecordSpan {
                    raw: start..batch.raw.len(),
                    fields: Fields::Plain(content),
                    byte,
                    line,
                });
                continue;
            }
            if !self.next_record(&mut batch.raw)? {
                return Ok(false);
            }
            self.push_record(batch, start, (byte, line))?;
        }
        Ok(true)
    }

    /// Files the record just parsed, whose bytes are `batch.raw[start..]`.
    /// A quoted field still open where the file ends is an error naming the
    /// line the record starts on: `csv_core` would take the rest of the file
    /// as its value, and a file cut short is not an extract to issue or a
    /// leak to read as it stands.
    fn push_record(&self, batch: &mut Batch, start: usize, (byte, line): (u64, u64)) -> Result<()> {
        let end = batch.raw.len();
        let lead = batch.raw[start..end]
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        let content = start + lead..end - usize::from(!self.at_eof);
        let ends = &self.ends[..self.nfields];
        let first = batch.fields.len();
        let values = ends.last().copied().unwrap_or(0);
        let fields = if content.len() == values + self.nfields.saturating_sub(1) {
            // Nothing but the delimiters was dropped, so there are no quotes
            // and each field's bytes are its value.
            Fields::Plain(content)
        } else {
            let open = split_quoted(
                &batch.raw,
                content,
                self.delimiter,
                &mut batch.fields,
                &mut batch.unescaped,
            );
            if open && self.at_eof {
                return Err(Error::new(ErrorKind::Csv(
                    "a quoted field is still open where the file ends: the file is cut short"
                        .into(),
                ))
                .at_line(line));
            }
            #[cfg(debug_assertions)]
            {
                let mut prev = 0;
                assert_eq!(batch.fields.len() - first, ends.len());
                for (f, &e) in batch.fields[first..].iter().zip(ends) {
                    let value = if f.quoted {
                        &batch.unescaped[f.value.clone()]
                    } else {
                        &batch.raw[f.value.clone()]
                    };
                    assert_eq!(value, &self.out[prev..e]);
                    prev = e;
                }
            }
            Fields::Split(first..batch.fields.len())
        };
        batch.records.push(RecordSpan {
            raw: start..end,
            fields,
            byte,
            line,
        });
        Ok(())
    }
}

/// Finds each field's bytes in a record that has quotes, splitting as
/// `csv_core` does (quote `"`, doubled to escape, no escape character), and
/// unescapes the quoted fields into `unescaped`. Returns whether the record
/// ends inside a quoted field.
fn split_quoted(
    raw: &[u8],
    content: Range<usize>,
    delimiter: u8,
    fields: &mut Vec<FieldSpan>,
    unescaped: &mut Vec<u8>,
) -> bool {
    #[derive(Clone, Copy)]
    enum S {
        Start,
        Plain,
        Quoted,
        /// A quote inside a quoted field: a closing quote or half of `""`.
        Quote,
    }
    let mut state = S::Start;
    let mut field_start = content.start;
    let mut value_start = unescaped.len();
    let mut quoted = false;
    let push =
        |fields: &mut Vec<FieldSpan>, raw: Range<usize>, quoted: bool, v: usize, u: &Vec<u8>| {
            fields.push(FieldSpan {
                value: if quoted { v..u.len() } else { raw.clone() },
                raw,
                quoted,
            })
        };
    for p in content.clone() {
        let b = raw[p];
        state = match state {
            S::Start if b == b'"' => {
                quoted = true;
                S::Quoted
            }
            S::Start | S::Plain | S::Quote if b == delimiter => {
                push(fields, field_start..p, quoted, value_start, unescaped);
                field_start = p + 1;
                value_start = unescaped.len();
                quoted = false;
                S::Start
            }
            S::Quoted if b == b'"' => S::Quote,
            S::Quoted => {
                unescaped.push(b);
                S::Quoted
            }
            S::Quote if b == b'"' => {
                unescaped.push(b);
                S::Quoted
            }
            S::Start | S::Plain | S::Quote => {
                if quoted {
                    unescaped.push(b);
                }
                S::Plain
            }
        };
    }
    push(
        fields,
        field_start..content.end,
        quoted,
        value_start,
        unescaped,
    );
    matches!(state, S::Quoted)
}

/// [`issue_csv`] with explicit options. The calling thread splits the input
/// into records and writes the outputs; worker threads split records into
/// fields, mark rows and build each copy from the input's own bytes,
/// re-encoding only the changed cells, in batches taken from a shared queue
/// and written back in order, so the output does not depend on the number
/// of threads.
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
    let mut scan = Scanner::new(input, dialect);
    let mut head = Vec::new();
    let names = scan.header(&mut head)?;
    // Bind once here so a header problem is reported before any thread starts.
    drop(embedder.bind(&names)?);
    if let Some(list) = embedder.canary_list() {
        if list.header() != names.as_slice() {
            return Err(Error::state(Msg::FmCanaryColumns));
        }
    }
    let mut outputs = outputs;
    let write_err = |r: usize, e: io::Error| {
        Error::io(said!(Msg::CfWritingCopy, embedder.recipients()[r].id), e)
    };
    for (r, out) in outputs.iter_mut().enumerate() {
        out.write_all(&head).map_err(|e| write_err(r, e))?;
    }
    let threads = crate::pipeline::threads(options.threads);
    let batch_rows = options.batch_rows.max(1);
    let names = &names;
    let markers = (0..threads)
        .map(|_| embedder.bind(names))
        .collect::<Result<Vec<_>>>()?;
    let mut rows = 0u64;
    let mut slots_marked = 0u64;
    let mut canaries = vec![0u64; embedder.recipients().len()];
    let mut canaries_placed = 0u64;
    let mut line_end = head.last() == Some(&b'\n');
    let spare = std::cell::RefCell::new(Vec::<Batch>::new());
    let mut eof = false;
    crate::pipeline::ordered(
        Msg::FmMarkingRows,
        markers,
        |marker, batch: Batch| mark_batch(marker, embedder, batch, names, dialect),
        || {
            if eof {
                return Ok(None);
            }
            let mut batch = Batch::reuse(&spare, rows + 1);
            batch.last = false;
            batch.after_line_end = line_end;
            if !scan.fill(&mut batch, batch_rows)? {
                eof = true;
                batch.last = true;
            }
            // Bytes after the last record, and canaries after it, still go
            // out, in a batch of their own if need be.
            let trailing_canaries = embedder
                .placed_canaries()
                .is_some_and(|c| c.list.placed().last().is_some_and(|l| l.after_row == rows));
            if batch.records.is_empty() && batch.raw.is_empty() && !trailing_canaries {
                spare.borrow_mut().push(batch);
                return Ok(None);
            }
            rows += batch.records.len() as u64;
            if let Some(&b) = batch.raw.last() {
                line_end = b == b'\n';
            }
            Ok(Some(batch))
        },
        |marked: Marked| {
            let batch = marked.batch;
            for (r, (out, bytes)) in outputs.iter_mut().zip(&batch.copies).enumerate() {
                for piece in bytes.chunks(WRITE_PIECE) {
                    out.write_all(piece).map_err(|e| write_err(r, e))?;
                }
            }
            slots_marked += marked.slots_marked;
            canaries_placed += marked.canaries_placed;
            for (total, n) in canaries.iter_mut().zip(&marked.canaries) {
                *total += n;
            }
            batch.report(progress);
            spare.borrow_mut().push(batch);
            Ok(())
        },
    )?;
    if let Some(list) = embedder.canary_list() {
        if canaries_placed != list.len() as u64 || rows != list.input_rows() {
            return Err(Error::state(said!(
                Msg::FmCanaryRows,
                list.input_rows(),
                rows
            )));
        }
    }
    for (r, out) in outputs.iter_mut().enumerate() {
        out.flush().map_err(|e| write_err(r, e))?;
    }
    Ok(IssueSummary {
        rows,
        slots_marked,
        dialect,
        canaries,
        outputs,
    })
}

/// The fields of a record that are read: field `i` if `i <= last` and, for
/// `i < 64`, bit `i` of `mask` is set. Splitting a record skips the others'
/// spans and only counts the fields past `last`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Wanted {
    mask: u64,
    last: usize,
}

impl Wanted {
    /// Every field.
    const ALL: Wanted = Wanted {
        mask: u64::MAX,
        last: usize::MAX,
    };

    /// The fields `indices`.
    fn of(indices: impl IntoIterator<Item = usize>) -> Wanted {
        indices
            .into_iter()
            .fold(Wanted { mask: 0, last: 0 }, |w, i| Wanted {
                mask: w.mask | 1u64.checked_shl(i as u32).unwrap_or(0),
                last: w.last.max(i),
            })
    }

    #[inline]
    fn has(self, i: usize) -> bool {
        i <= self.last && (i >= 64 || self.mask >> i & 1 == 1)
    }
}

/// The fields of record `rec` (its `row`-th of the input) of a batch whose
/// bytes are `raw` and split fields `split`: a plain record's are found
/// here, into `scratch`, and of those only the `wanted` ones are set (the
/// others hold stale spans: not to be read). An error unless there are
/// `expected` fields.
fn record_fields<'a>(
    raw: &[u8],
    split: &'a [FieldSpan],
    rec: &RecordSpan,
    (delimiter, expected, row): (u8, usize, u64),
    wanted: Wanted,
    scratch: &'a mut Vec<FieldSpan>,
) -> Result<&'a [FieldSpan]> {
    let (fields, found) = match &rec.fields {
        Fields::Split(range) => (&split[range.clone()], range.len()),
        Fields::Plain(content) => {
            if scratch.len() != expected {
                scratch.clear();
                scratch.resize(expected, FieldSpan::default());
            }
            let plain = |span: Range<usize>| FieldSpan {
                raw: span.clone(),
                value: span,
                quoted: false,
            };
            let mut from = content.start;
            let delimiters = find_bytes(&raw[content.clone()], delimiter, wanted.last, |k, i| {
                let end = content.start + i;
                if wanted.has(k) {
                    if let Some(field) = scratch.get_mut(k) {
                        *field = plain(from..end);
                    }
                }
                from = end + 1;
            });
            // `from` is where the last field starts if every delimiter
            // before it was seen, which is so whenever it is wanted.
            if wanted.has(delimiters) {
                if let Some(field) = scratch.get_mut(delimiters) {
                    *field = plain(from..content.end);
                }
            }
            (&scratch[..], delimiters + 1)
        }
    };
    if found != expected {
        return Err(Error::new(ErrorKind::UnequalLengths {
            expected: expected as u64,
            found: found as u64,
        })
        .at_row(row, rec.line));
    }
    Ok(fields)
}

/// Calls `f(k, i)` for the `k`-th `byte` in `hay`, found at index `i`, for
/// every `k <= last`, in order, and returns how many `byte`s `hay` holds. A
/// record is short (a hundred or so bytes, a delimiter every ten): this
/// finds them eight bytes at a time into one bit mask per 64 bytes, then
/// walks the mask's bits, so that the loops' branches follow the mask and
/// not where in each eight bytes a delimiter falls; past `last` the bytes
/// are only counted. It beats `memchr_iter`, a call per field, here.
#[inline]
fn find_bytes(hay: &[u8], byte: u8, last: usize, mut f: impl FnMut(usize, usize)) -> usize {
    let mut k = 0;
    for (n, window) in hay.chunks(64).enumerate() {
        let mut mask = byte_mask(window, byte);
        if k > last {
            k += mask.count_ones() as usize;
            continue;
        }
        while mask != 0 {
            if k <= last {
                f(k, 64 * n + mask.trailing_zeros() as usize);
            }
            k += 1;
            mask &= mask - 1;
        }
    }
    k
}

/// Bit `i` set where `window[i] == byte`, for a window of at most 64 bytes.
#[inline]
fn byte_mask(window: &[u8], byte: u8) -> u64 {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let pattern = u64::from_le_bytes([byte; 8]);
    let mut mask = 0u64;
    let mut words = window.chunks_exact(8);
    for (w, word) in (&mut words).enumerate() {
        let x = u64::from_le_bytes(word.try_into().expect("8 bytes")) ^ pattern;
        // The high bit of each byte of `x` that is zero, exactly: the
        // addition cannot carry out of a byte.
        let zeros = !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7);
        // Bit 7 of byte j moved to bit j of the top byte: the products of
        // the lanes land on distinct bits, so nothing carries.
        let bits = ((zeros >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56;
        mask |= bits << (8 * w);
    }
    let done = window.len() - words.remainder().len();
    for (i, &b) in words.remainder().iter().enumerate() {
        mask |= u64::from(b == byte) << (done + i);
    }
    mask
}

/// The values of a batch's records as text. The batch's bytes are checked
/// as UTF-8 once; when they are, a value is sliced from them only when asked
/// for (marking reads a handful of a record's fields). Otherwise each record
/// is checked field by field, to name the column that is not UTF-8.
struct Values<'b> {
    raw: &'b [u8],
    unescaped: &'b [u8],
    /// `raw` and `unescaped` as text, when both are UTF-8.
    text: Option<(&'b str, &'b str)>,
    /// Otherwise, the current record's values, checked.
    checked: Vec<&'b str>,
}

impl<'b> Values<'b> {
    fn new(raw: &'b [u8], unescaped: &'b [u8]) -> Self {
        Values {
            raw,
            unescaped,
            text: std::str::from_utf8(raw)
                .ok()
                .zip(std::str::from_utf8(unescaped).ok()),
            checked: Vec::new(),
        }
    }

    /// Readies the values of record `rec` (the input's `row`-th, with columns
    /// `names`), whose fields are `fields`, or an error naming its first
    /// field that is not UTF-8.
    fn record(
        &mut self,
        rec: &RecordSpan,
        fields: &[FieldSpan],
        row: u64,
        names: &[String],
    ) -> Result<()> {
        self.check(rec, fields).map_err(|col| {
            Error::new(ErrorKind::Utf8)
                .at_row(row, rec.line)
                .in_column(names.get(col).cloned().unwrap_or_default())
        })
    }

    /// [`Values::record`], failing with the index of the first field that
    /// is not UTF-8.
    fn check(&mut self, rec: &RecordSpan, fields: &[FieldSpan]) -> std::result::Result<(), usize> {
        if self.text.is_some() {
            return Ok(());
        }
        let (raw, unescaped) = (self.raw, self.unescaped);
        let bytes = |f: &FieldSpan| {
            if f.quoted {
                &unescaped[f.value.clone()]
            } else {
                &raw[f.value.clone()]
            }
        };
        self.checked.clear();
        // Delimiters and quotes are ASCII, so the record's bytes are UTF-8
        // exactly when every field is; checking per field also catches two
        // invalid halves that would join into a character (0xDA | 0xB8).
        let Ok(text) = std::str::from_utf8(&raw[rec.raw.clone()]) else {
            let bad = fields
                .iter()
                .position(|f| std::str::from_utf8(bytes(f)).is_err());
            return Err(bad.unwrap_or(0));
        };
        for (i, f) in fields.iter().enumerate() {
            self.checked.push(if f.quoted {
                std::str::from_utf8(bytes(f)).map_err(|_| i)?
            } else {
                // Unquoted fields lie between ASCII bytes, so on char
                // boundaries.
                &text[f.value.start - rec.raw.start..f.value.end - rec.raw.start]
            });
        }
        Ok(())
    }

    /// Field `i` of the record last readied, whose fields are `fields`.
    #[inline]
    fn get(&self, fields: &[FieldSpan], i: usize) -> &'b str {
        match self.text {
            // Fields lie between ASCII bytes (delimiters, quotes, line ends)
            // of valid UTF-8, and unescaped values are such fields with ASCII
            // quotes taken out, back to back: every range is on char
            // boundaries.
            Some((raw, unescaped)) => {
                let f = &fields[i];
                if f.quoted {
                    &unescaped[f.value.clone()]
                } else {
                    &raw[f.value.clone()]
                }
            }
            None => self.checked[i],
        }
    }
}

/// Writes a changed cell, quoted only where the dialect needs it.
fn write_field(out: &mut Vec<u8>, value: &str, delimiter: u8, only_field: bool) {
    let bytes = value.as_bytes();
    let special = |b: &u8| matches!(*b, b'"' | b'\r' | b'\n') || *b == delimiter;
    // A lone empty field would read back as a blank line, which is skipped.
    let quote = bytes.iter().any(special) || (only_field && bytes.is_empty());
    if !quote {
        out.extend_from_slice(bytes);
        return;
    }
    out.push(b'"');
    for part in bytes.split_inclusive(|&b| b == b'"') {
        out.extend_from_slice(part);
        if part.last() == Some(&b'"') {
            out.push(b'"');
        }
    }
    out.push(b'"');
}

/// Marks one batch and builds every recipient's bytes for it: the input's
/// bytes, with each changed cell re-encoded in place, and the canaries each
/// copy holds inserted before the record they precede.
fn mark_batch(
    marker: &mut RowMarker<'_>,
    embedder: &Embedder,
    mut batch: Batch,
    names: &[String],
    dialect: Dialect,
) -> Result<Marked> {
    let n = marker.recipients();
    let before = marker.slots_marked();
    let Batch {
        first_row,
        last,
        after_line_end,
        raw,
        records,
        fields,
        unescaped,
        copies,
    } = &mut batch;
    let mut values = Values::new(raw, unescaped);
    copies.resize_with(n, Vec::new);
    for c in copies.iter_mut() {
        c.clear();
        c.reserve(raw.len() + raw.len() / 16);
    }
    // The canaries placed in this batch: those before one of its records,
    // and, in the last batch, those after the last row.
    let placed = embedder.placed_canaries();
    let all = placed.map_or(&[][..], |p| p.list.placed());
    let lo = all.partition_point(|c| c.after_row + 1 < *first_row);
    let end_row = *first_row + records.len() as u64 - 1;
    let hi = if *last {
        all.partition_point(|c| c.after_row <= end_row)
    } else {
        all.partition_point(|c| c.after_row < end_row)
    };
    let mut next_canary = lo;
    let mut canary_slots = 0u64;
    let mut canaries = vec![0u64; n];
    let terminator: &[u8] = if dialect.crlf { b"\r\n" } else { b"\n" };
    // Writes canaries `from..to` into every copy that holds them, at `at`.
    let mut insert = |marker: &mut RowMarker<'_>,
                      copies: &mut Vec<Vec<u8>>,
                      cursors: &mut [usize],
                      at: Option<usize>,
                      from: usize,
                      to: usize|
     -> Result<()> {
        for (k, canary) in all.iter().enumerate().take(to).skip(from) {
            let present = &placed.expect("canaries come from a list").present[k * n..(k + 1) * n];
            if !present.iter().any(|&p| p) {
                continue;
            }
            let marked_before = marker.slots_marked();
            marker.mark(|i| canary.values[i].as_str())?;
            canary_slots += marker.slots_marked() - marked_before;
            for (r, out) in copies.iter_mut().enumerate() {
                if !present[r] {
                    continue;
                }
                match at {
                    Some(at) => {
                        out.extend_from_slice(&raw[cursors[r]..at]);
                        cursors[r] = at;
                    }
                    None => {
                        out.extend_from_slice(&raw[cursors[r]..]);
                        cursors[r] = raw.len();
                        if !out.last().map_or(*after_line_end, |&b| b == b'\n') {
                            out.extend_from_slice(terminator);
                        }
                    }
                }
                for (i, value) in canary.values.iter().enumerate() {
                    if i > 0 {
                        out.push(dialect.delimiter);
                    }
                    write_field(
                        out,
                        &marker.cell(r, i, value),
                        dialect.delimiter,
                        names.len() == 1,
                    );
                }
                out.extend_from_slice(terminator);
                canaries[r] += 1;
            }
        }
        Ok(())
    };
    // Per copy, the first input byte not yet written to it: unchanged runs
    // of rows go out in one piece.
    let mut cursors = vec![0usize; n];
    let mut scratch = Vec::with_capacity(names.len());
    // The fields marking reads, and the first (canaries go before it); all
    // of them if some bytes are not UTF-8, to name the column that is not.
    let wanted = if values.text.is_some() {
        Wanted::of(marker.fields_read().chain([0]))
    } else {
        Wanted::ALL
    };
    for (k, rec) in records.iter().enumerate() {
        let row = *first_row + k as u64;
        let fields = record_fields(
            raw,
            fields,
            rec,
            (dialect.delimiter, names.len(), row),
            wanted,
            &mut scratch,
        )?;
        if next_canary < hi && all[next_canary].after_row + 1 == row {
            let to = next_canary + all[next_canary..hi].partition_point(|c| c.after_row + 1 == row);
            // Before the record's first byte, after the line end before it.
            let at = fields.first().map_or(rec.raw.end, |f| f.raw.start);
            insert(marker, copies, &mut cursors, Some(at), next_canary, to)
                .map_err(|e| e.in_column("canary row"))?;
            next_canary = to;
        }
        values.record(rec, fields, row, names)?;
        marker
            .mark(|i| values.get(fields, i))
            .map_err(|e| e.at_row(row, rec.line))?;
        for (r, out) in copies.iter_mut().enumerate() {
            for (i, value) in marker.changes(r) {
                // An unchanged value keeps its bytes, quoting and all.
                if value == values.get(fields, i) {
                    continue;
                }
                let span = &fields[i].raw;
                out.extend_from_slice(&raw[cursors[r]..span.start]);
                write_field(out, value, dialect.delimiter, fields.len() == 1);
                cursors[r] = span.end;
            }
        }
    }
    if next_canary < hi {
        insert(marker, copies, &mut cursors, None, next_canary, hi)
            .map_err(|e| e.in_column("canary row"))?;
    }
    for (out, &cursor) in copies.iter_mut().zip(&cursors) {
        out.extend_from_slice(&raw[cursor..]);
    }
    Ok(Marked {
        slots_marked: marker.slots_marked() - before - canary_slots,
        canaries_placed: (hi - lo) as u64,
        canaries,
        batch,
    })
}

/// Streams a leaked CSV into a detector and returns its attribution. Columns
/// may come in any order and any subset that keeps the identity; names are
/// matched ignoring case, accents and surrounding space. Uses one thread per
/// core: see [`verify_csv_with`].
pub fn verify_csv<R: Read>(
    detector: &Detector,
    input: R,
    progress: &mut dyn FnMut(Progress),
) -> Result<Attribution> {
    verify_csv_with(detector, input, VerifyOptions::default(), progress)
}

/// How [`verify_csv_with`] runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Scoring threads; 0 means one per available core. The attribution is
    /// the same, digit for digit, whatever the number.
    pub threads: usize,
}

/// [`verify_csv`] with explicit options. The calling thread splits the input
/// into records; worker threads each read batches of rows into a
/// [`Tally`] (finding the rows' positions and scoring every recipient),
/// which the calling thread merges; the merged tally is finished with the
/// bounds computed on the worker threads too.
pub fn verify_csv_with<R: Read>(
    detector: &Detector,
    input: R,
    options: VerifyOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Attribution> {
    let mut input = BufReader::with_capacity(1 << 16, input);
    let dialect = sniff(&mut input)?;
    let mut scan = Scanner::new(input, dialect);
    let names = scan.header(&mut Vec::new())?;
    let threads = crate::pipeline::threads(options.threads);
    let observers = (0..threads)
        .map(|_| detector.bind(&names))
        .collect::<watermark_core::Result<Vec<_>>>()?;
    let mut total = detector.bind(&names)?.take();
    let spare = std::cell::RefCell::new(Vec::<Batch>::new());
    let mut rows = 0u64;
    let mut eof = false;
    let names = &names;
    crate::pipeline::ordered(
        Msg::FmVerifyingRows,
        observers,
        |observer, batch: Batch| {
            let tally = read_batch(observer, &batch, names, dialect.delimiter)?;
            Ok((batch, tally))
        },
        || {
            if eof {
                return Ok(None);
            }
            let mut batch = Batch::reuse(&spare, rows + 1);
            eof = !scan.fill(&mut batch, VERIFY_BATCH_ROWS)?;
            if batch.records.is_empty() {
                return Ok(None);
            }
            rows += batch.records.len() as u64;
            Ok(Some(batch))
        },
        |(batch, tally)| {
            total.merge(tally)?;
            batch.report(progress);
            spare.borrow_mut().push(batch);
            Ok(())
        },
    )?;
    detector.finish_with(total, &|jobs| crate::pipeline::run_jobs(threads, jobs))
}

/// Reads a batch of leak rows into a tally: a verification worker's job.
fn read_batch(
    observer: &mut Observer<'_>,
    batch: &Batch,
    names: &[String],
    delimiter: u8,
) -> Result<Tally> {
    let mut values = Values::new(&batch.raw, &batch.unescaped);
    let mut scratch = Vec::with_capacity(names.len());
    for (k, rec) in batch.records.iter().enumerate() {
        let row = batch.first_row + k as u64;
        let fields = record_fields(
            &batch.raw,
            &batch.fields,
            rec,
            (delimiter, names.len(), row),
            Wanted::ALL,
            &mut scratch,
        )?;
        values.record(rec, fields, row, names)?;
        observer
            .observe(row, |i| values.get(fields, i))
            .map_err(|e| e.at_row(row, rec.line))?;
    }
    Ok(observer.take())
}

// ---------------------------------------------------------------------------
// The row workflows on CSV

/// [`make_canaries_from_rows`](watermark_core::make_canaries_from_rows) for a CSV
/// extract: `open` opens it afresh for each of the four passes.
pub fn make_canaries<R: Read>(
    key: &MasterKey,
    policy: &Policy,
    input_blake3: &str,
    mut open: impl FnMut() -> io::Result<R>,
    progress: &mut dyn FnMut(u8, Progress),
) -> Result<CanaryList> {
    watermark_core::make_canaries_from_rows(
        key,
        policy,
        input_blake3,
        || CsvRows::new(open().map_err(|e| Error::io(Msg::FmOpeningExtract, e))?),
        progress,
    )
}

/// [`suggest_from_rows`](watermark_core::suggest_from_rows) for a CSV extract: reads
/// up to `max_rows` rows and suggests a policy.
pub fn suggest_from_csv<R: Read>(
    input: R,
    max_rows: usize,
    identity: Option<&[String]>,
    canary_rate: Option<f64>,
) -> Result<Suggestion> {
    watermark_core::suggest_from_rows(CsvRows::new(input)?, max_rows, identity, canary_rate)
}

/// [`verify_rows_with_master`](watermark_core::verify_rows_with_master) for a CSV leak
/// and a CSV master extract; the master is read only if the leak lacks an
/// identity column.
// The error of `verify_rows_with_master`, returned once per verification:
// its size costs nothing.
#[allow(clippy::result_large_err)]
pub fn verify_csv_with_master<L: Read, M: Read>(
    detector: &Detector,
    leak: L,
    master: M,
    extra: &[ExtraRows],
    progress: &mut dyn FnMut(Progress),
) -> std::result::Result<(Attribution, MasterMatch), MasterError> {
    let leak = CsvRows::new(leak).map_err(MasterError::Leak)?;
    watermark_core::verify_rows_with_master(
        detector,
        leak,
        || CsvRows::new(master),
        extra,
        progress,
    )
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

    #[test]
    fn suggest_from_csv_reads_canary_roles() {
        use watermark_synth::Kind;
        let mut csv = Vec::new();
        watermark_synth::write_csv(Kind::NameList, 3, 300, &mut csv).unwrap();
        let on = Some(watermark_core::DEFAULT_CANARY_RATE);
        let sug = suggest_from_csv(&csv[..], 10_000, None, on).unwrap();
        assert_eq!(sug.policy.identity, ["NOMBRE_COMPLETO", "SECCION"]);
        assert!(suggest_from_csv(&csv[..], 10_000, None, None).is_err());
    }
    use super::*;
    use watermark_core::RowPosition;

    proptest::proptest! {
        #[test]
        fn finds_every_delimiter_as_memchr_does(
            hay in proptest::collection::vec(proptest::sample::select(
                vec![b',', b';', b'\t', b'a', 0u8, 0x80, 0xFF, 0x7F, 0x2B, 0x2D],
            ), 0..200),
            byte in proptest::sample::select(vec![b',', b';', b'\t', 0u8, 0x80, 0xFF]),
            last in proptest::sample::select(vec![0, 1, 2, 5, 9, 30, usize::MAX]),
        ) {
            let mut found = Vec::new();
            let count = find_bytes(&hay, byte, last, |k, i| found.push((k, i)));
            let expected: Vec<usize> = memchr::memchr_iter(byte, &hay).collect();
            proptest::prop_assert_eq!(count, expected.len());
            let expected: Vec<(usize, usize)> =
                expected.into_iter().enumerate().take_while(|&(k, _)| k <= last).collect();
            proptest::prop_assert_eq!(found, expected);
        }
    }

    #[test]
    fn csv_rows_give_the_cells_and_where_each_row_starts() {
        let input = "\u{FEFF}CURP;CALLE\nA1;\"AV. X\nY\"\nB2;C. Z\nC3;\n";
        let mut rows = CsvRows::new(input.as_bytes()).unwrap();
        assert_eq!(rows.header(), ["CURP", "CALLE"]);
        assert_eq!(rows.dialect().delimiter, b';');
        let mut batch = RowBatch::new();
        assert!(rows.next_batch(&mut batch, 1).unwrap());
        assert_eq!(batch.len(), 1);
        assert_eq!(batch.row(0).iter().collect::<Vec<_>>(), ["A1", "AV. X\nY"]);
        assert_eq!(batch.position(0), RowPosition { row: 1, line: 2 });
        assert!(rows.next_batch(&mut batch, 10).unwrap());
        let got: Vec<Vec<&str>> = batch.rows().map(|r| r.iter().collect()).collect();
        assert_eq!(got, [["B2", "C. Z"], ["C3", ""]]);
        // The quoted line end counts as a line.
        assert_eq!(batch.position(0), RowPosition { row: 2, line: 4 });
        assert_eq!(batch.position(1), RowPosition { row: 3, line: 5 });
        assert!(!rows.next_batch(&mut batch, 10).unwrap());
        assert!(batch.is_empty());
        assert_eq!(rows.bytes_read(), input.len() as u64);
        // The same rows one at a time.
        let all: Vec<Vec<String>> = CsvRows::new(input.as_bytes())
            .unwrap()
            .into_rows()
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0], ["A1", "AV. X\nY"]);
    }

    #[test]
    fn csv_rows_errors_name_the_row_line_and_column() {
        let drain = |input: &[u8]| -> Error {
            let mut rows = match CsvRows::new(input) {
                Ok(rows) => rows,
                Err(e) => return e,
            };
            let mut batch = RowBatch::new();
            loop {
                match rows.next_batch(&mut batch, 2) {
                    Ok(true) => {}
                    Ok(false) => panic!("no error"),
                    Err(e) => {
                        assert!(batch.is_empty(), "no partial batch after an error");
                        return e;
                    }
                }
            }
        };
        let e = drain(b"A,B\n1,2\n3,4\n5,6\n7\n");
        assert!(matches!(
            e.kind(),
            ErrorKind::UnequalLengths {
                expected: 2,
                found: 1
            }
        ));
        assert_eq!((e.row(), e.line()), (Some(4), Some(5)));
        let e = drain(b"A,B\n1,2\n3,\xFF\n");
        assert!(matches!(e.kind(), ErrorKind::Utf8));
        assert_eq!(
            (e.row(), e.line(), e.column()),
            (Some(2), Some(3), Some("B"))
        );
        assert!(matches!(drain(b"").kind(), ErrorKind::EmptyInput));
    }

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

    use watermark_core::{MasterKey, Policy, Recipient};

    const POLICY: &str = r#"
version = 1
identity = ["CURP"]
[[carrier]]
column = "CALLE"
kind = "variants"
[[carrier]]
column = "MONTO"
kind = "numeric"
decimals = 2
"#;

    fn embedder(policy: &Policy) -> Embedder {
        Embedder::builder()
            .key(&MasterKey::from_bytes([3; 32]))
            .policy(policy)
            .recipients((0..3).map(|i| Recipient::new(format!("r{i}"), i * 5).unwrap()))
            .build()
            .unwrap()
    }

    /// Per recipient, per row: every value as the old path wrote it (parsed
    /// by `csv::Reader`, marked through `RowMarker::cell`), and which fields
    /// got a different value.
    type Reference = Vec<Vec<(Vec<String>, Vec<bool>)>>;

    fn reference(embedder: &Embedder, input: &[u8]) -> Reference {
        let mut input = BufReader::new(input);
        let dialect = sniff(&mut input).unwrap();
        let mut rdr = reader(input, dialect);
        let (_, names) = header(&mut rdr).unwrap();
        let mut marker = embedder.bind(&names).unwrap();
        let n = embedder.recipients().len();
        let mut out = vec![Vec::new(); n];
        let mut rec = csv::StringRecord::new();
        while rdr.read_record(&mut rec).unwrap() {
            marker.mark(|i| &rec[i]).unwrap();
            for (r, rows) in out.iter_mut().enumerate() {
                let cells: Vec<String> = (0..rec.len())
                    .map(|i| marker.cell(r, i, &rec[i]).into_owned())
                    .collect();
                let changed = cells.iter().zip(&rec).map(|(a, b)| a != b).collect();
                rows.push((cells, changed));
            }
        }
        out
    }

    /// Each record's bytes (where `csv::Reader` starts and stops parsing
    /// it, header first), then what follows the last record.
    fn raw_records(bytes: &[u8], delimiter: u8) -> (Vec<&[u8]>, &[u8]) {
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .from_reader(bytes);
        let mut rec = csv::ByteRecord::new();
        let mut out = Vec::new();
        let mut end = 0;
        while rdr.read_byte_record(&mut rec).unwrap() {
            let start = rec.position().unwrap().byte() as usize;
            end = rdr.position().byte() as usize;
            out.push(&bytes[start..end]);
        }
        (out, &bytes[end..])
    }

    /// A record's bytes cut into leading line ends, raw fields and the
    /// terminator, by a splitter independent of the one under test.
    fn split_raw(raw: &[u8], delimiter: u8) -> (&[u8], Vec<&[u8]>, &[u8]) {
        let lead = raw
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        let mut fields = Vec::new();
        let (mut start, mut quoted) = (lead, false);
        let mut end = raw.len();
        for (p, &b) in raw.iter().enumerate().skip(lead) {
            if b == b'"' {
                quoted = !quoted;
            } else if !quoted && b == delimiter {
                fields.push(&raw[start..p]);
                start = p + 1;
            } else if !quoted && (b == b'\r' || b == b'\n') {
                end = p;
                break;
            }
        }
        fields.push(&raw[start..end]);
        (&raw[..lead], fields, &raw[end..])
    }

    fn encode(value: &str, delimiter: u8) -> Vec<u8> {
        if value
            .bytes()
            .any(|b| b == delimiter || b == b'"' || b == b'\r' || b == b'\n')
        {
            format!("\"{}\"", value.replace('"', "\"\"")).into_bytes()
        } else {
            value.as_bytes().to_vec()
        }
    }

    /// Issues `input` with 1, 2 and 3 threads and checks the copies are the
    /// same bytes, read back to the reference values, and keep every input
    /// byte outside the changed cells. Returns the number of changed cells.
    fn check(embedder: &Embedder, input: &[u8]) -> usize {
        let n = embedder.recipients().len();
        let copies: Vec<Vec<Vec<u8>>> = (1..=3)
            .map(|threads| {
                let options = IssueOptions {
                    threads,
                    batch_rows: 7,
                };
                issue_csv_with(embedder, input, vec![Vec::new(); n], options, &mut |_| {})
                    .unwrap()
                    .outputs
            })
            .collect();
        assert_eq!(copies[0], copies[1], "1 and 2 threads");
        assert_eq!(copies[0], copies[2], "1 and 3 threads");
        let expected = reference(embedder, input);
        let delimiter = sniff(&mut &input[..]).unwrap().delimiter;
        let (inputs, in_tail) = raw_records(input, delimiter);
        let mut changed_cells = 0;
        for (copy, expected) in copies[0].iter().zip(&expected) {
            let (outs, out_tail) = raw_records(copy, delimiter);
            assert_eq!(outs.len(), inputs.len());
            assert_eq!(outs[0], inputs[0], "the header is copied as it is");
            assert_eq!(out_tail, in_tail);
            for ((out, inp), (values, changed)) in outs[1..].iter().zip(&inputs[1..]).zip(expected)
            {
                let (in_lead, in_fields, in_term) = split_raw(inp, delimiter);
                let (out_lead, out_fields, out_term) = split_raw(out, delimiter);
                assert_eq!((in_lead, in_term), (out_lead, out_term));
                assert_eq!(in_fields.len(), out_fields.len());
                for i in 0..in_fields.len() {
                    if changed[i] {
                        changed_cells += 1;
                        assert_eq!(out_fields[i], encode(&values[i], delimiter));
                    } else {
                        assert_eq!(out_fields[i], in_fields[i]);
                    }
                }
            }
            // And read as values, the copy is what the old path wrote.
            let mut rdr = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .from_reader(&copy[..]);
            let got: Vec<Vec<String>> = rdr
                .records()
                .map(|r| r.unwrap().iter().map(str::to_string).collect())
                .collect();
            let want: Vec<Vec<String>> = expected.iter().map(|(v, _)| v.clone()).collect();
            assert_eq!(got, want);
        }
        changed_cells
    }

    /// An extract with quoting of every kind, in the given dialect.
    fn extract(delimiter: char, eol: &str) -> Vec<u8> {
        let d = delimiter;
        let mut s = format!("CURP{d}CALLE{d}MONTO{d}NOTA{eol}");
        let streets = [
            "AV. REFORMA".to_string(),
            "\"CALLE HIDALGO\"".to_string(),
            format!("\"AV. JUAREZ{d} INT. 4\""),
            "\"PRIV. \"\"LA LUZ\"\"\"".to_string(),
            "\"CDA. DEL\nRIO\"".to_string(),
            "\"BLVD. NORTE\r\nSUR\"".to_string(),
            "CALZ. DE TLALPAN".to_string(),
        ];
        for i in 0..400 {
            let street = &streets[i % streets.len()];
            let nota = match i % 5 {
                0 => String::new(),
                1 => "\"\"".to_string(),
                2 => format!("\"a{d}b\""),
                3 => "x\"y".to_string(),
                _ => "ñandú".to_string(),
            };
            s.push_str(&format!(
                "CURP{i:06}{d}{street}{d}{}.{:02}{d}{nota}{eol}",
                i * 37 % 1000,
                i % 100
            ));
        }
        s.into_bytes()
    }

    #[test]
    fn copies_keep_the_input_bytes_outside_changed_cells() {
        let policy = Policy::from_toml(POLICY).unwrap();
        let e = embedder(&policy);
        for (name, input) in [
            ("quoted, LF", extract(',', "\n")),
            ("CRLF", extract(',', "\r\n")),
            ("CR only", extract(',', "\r")),
            ("semicolon", extract(';', "\n")),
            (
                "BOM",
                [&b"\xEF\xBB\xBF"[..], &extract(',', "\r\n")].concat(),
            ),
            ("no final line end", {
                let mut v = extract(',', "\n");
                v.pop();
                v
            }),
            ("blank lines", {
                let mut v = extract(',', "\n");
                v.extend_from_slice(b"\n\n");
                v.splice(0..0, b"\n".iter().copied());
                v
            }),
        ] {
            let changed =
                std::panic::catch_unwind(|| check(&e, &input)).unwrap_or_else(|_| panic!("{name}"));
            assert!(changed > 0, "{name}: nothing was marked");
        }
    }

    #[test]
    fn copies_of_a_generated_roll_keep_the_input_bytes() {
        let mut input = Vec::new();
        watermark_synth::write_csv(watermark_synth::Kind::ElectoralRoll, 9, 3000, &mut input)
            .unwrap();
        let policy = crate::suggest_from_csv(
            &input[..],
            3000,
            None,
            Some(watermark_core::DEFAULT_CANARY_RATE),
        )
        .unwrap()
        .policy;
        assert!(check(&embedder(&policy), &input) > 0);
    }

    #[test]
    fn changed_cells_are_quoted_only_when_needed() {
        let mut out = Vec::new();
        write_field(&mut out, "AV. X", b',', false);
        write_field(&mut out, "AV, X", b',', false);
        write_field(&mut out, "AV; X", b',', false);
        write_field(&mut out, "AV; X", b';', false);
        write_field(&mut out, "\"A\"", b',', false);
        write_field(&mut out, "A\r\nB", b'\t', false);
        write_field(&mut out, "", b',', false);
        write_field(&mut out, "", b',', true);
        assert_eq!(
            out,
            [
                &b"AV. X"[..],
                b"\"AV, X\"",
                b"AV; X",
                b"\"AV; X\"",
                b"\"\"\"A\"\"\"",
                b"\"A\r\nB\"",
                b"",
                b"\"\"",
            ]
            .concat()
        );
    }

    #[test]
    fn quoted_records_split_like_csv_core() {
        let raw = b"\"a,b\",c\"d,\"e\"\"f\"g,,\"\"";
        let (mut fields, mut unescaped) = (Vec::new(), Vec::new());
        split_quoted(raw, 0..raw.len(), b',', &mut fields, &mut unescaped);
        let values: Vec<&[u8]> = fields
            .iter()
            .map(|f| {
                if f.quoted {
                    &unescaped[f.value.clone()]
                } else {
                    &raw[f.value.clone()]
                }
            })
            .collect();
        let raws: Vec<&[u8]> = fields.iter().map(|f| &raw[f.raw.clone()]).collect();
        assert_eq!(values, [&b"a,b"[..], b"c\"d", b"e\"fg", b"", b""]);
        assert_eq!(
            raws,
            [&b"\"a,b\""[..], b"c\"d", b"\"e\"\"f\"g", b"", b"\"\""]
        );
    }

    /// Whether `input` ends inside a quoted field, by `csv_core`'s rules
    /// (quote `"`, doubled inside a quoted field, literal elsewhere).
    fn ends_in_open_quote(input: &[u8]) -> bool {
        #[derive(PartialEq)]
        enum S {
            Start,
            Plain,
            Quoted,
            Quote,
        }
        let mut state = S::Start;
        for &b in input {
            state = match (state, b) {
                (S::Start, b'"') => S::Quoted,
                (S::Quoted, b'"') => S::Quote,
                (S::Quoted, _) => S::Quoted,
                (S::Quote, b'"') => S::Quoted,
                (_, b',' | b'\n' | b'\r') => S::Start,
                _ => S::Plain,
            };
        }
        state == S::Quoted
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]

        /// Records, their values, where they start (byte and line) and a
        /// wrong field count are what `csv::Reader` finds, wherever the
        /// input's reads are cut, and every input byte lands in a batch.
        #[test]
        fn the_scanner_splits_records_like_csv_reader(
            body in proptest::collection::vec(
                proptest::sample::select(&b"ab,,\"\r\n\n"[..]), 0..120),
            chunk in 1usize..48,
            rows in 1usize..5,
        ) {
            let input = [&b"H1,H2\n"[..], &body].concat();
            let mut want = Vec::new();
            let mut rdr = csv::ReaderBuilder::new().from_reader(&input[..]);
            let mut rec = csv::ByteRecord::new();
            let want_err = loop {
                match rdr.read_byte_record(&mut rec) {
                    Ok(true) => {
                        let pos = rec.position().unwrap();
                        let values: Vec<Vec<u8>> = rec.iter().map(<[u8]>::to_vec).collect();
                        want.push((values, pos.byte(), pos.line()));
                    }
                    Ok(false) => break None,
                    Err(e) => match e.kind() {
                        csv::ErrorKind::UnequalLengths { len, .. } => break Some(*len),
                        other => panic!("{other:?}"),
                    },
                }
            };

            // A quoted field open at the end: `csv::Reader` takes the rest
            // as its value, the scanner refuses the file.
            let open = ends_in_open_quote(&input);
            let mut scan = Scanner::with_chunk(&input[..], Dialect::default(), chunk);
            let mut all = Vec::new();
            let names = scan.header(&mut all).unwrap();
            proptest::prop_assert_eq!(names, ["H1", "H2"]);
            let mut got = Vec::new();
            let mut scratch = Vec::new();
            let got_err = 'read: loop {
                let mut batch = Batch { first_row: got.len() as u64 + 1, ..Batch::default() };
                let more = match scan.fill(&mut batch, rows) {
                    Ok(more) => more,
                    Err(e) => {
                        proptest::prop_assert!(open, "{e}");
                        proptest::prop_assert!(e.to_string().contains("still open"), "{e}");
                        return Ok(());
                    }
                };
                for rec in &batch.records {
                    let row = got.len() as u64 + 1;
                    let fields = match record_fields(
                        &batch.raw,
                        &batch.fields,
                        rec,
                        (b',', 2, row),
                        Wanted::ALL,
                        &mut scratch,
                    ) {
                        Ok(fields) => fields,
                        Err(e) => match e.kind() {
                            ErrorKind::UnequalLengths { found, .. } => break 'read Some(*found),
                            other => panic!("{other:?}"),
                        },
                    };
                    let values: Vec<Vec<u8>> = fields
                        .iter()
                        .map(|f| if f.quoted {
                            batch.unescaped[f.value.clone()].to_vec()
                        } else {
                            batch.raw[f.value.clone()].to_vec()
                        })
                        .collect();
                    got.push((values, rec.byte, rec.line));
                }
                all.extend_from_slice(&batch.raw);
                if !more {
                    break None;
                }
            };
            proptest::prop_assert!(!open || got_err.is_some(), "an open quote at the end was accepted");
            proptest::prop_assert_eq!(&got, &want);
            proptest::prop_assert_eq!(got_err, want_err);
            if want_err.is_none() {
                proptest::prop_assert_eq!(all, input);
            }
        }
    }
}
