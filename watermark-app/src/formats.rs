//! CSV, Parquet and Arrow IPC for the workflows: telling a file's format
//! from its first bytes, issuing copies in any of the formats from an input
//! in any of them, and reading a leak or a master extract in any of them.
//!
//! Cells are compared in their text form (see
//! [`watermark_formats::ColumnarRows`]), which is the same in every
//! format, so a copy issued in one format and leaked in another still names
//! its recipient. Canaries, `policy suggest` and the master extract of
//! `verify --master` read any format as rows of that text
//! ([`watermark_core::RowSource`]): [`open_rows`], [`VerifyFile::open_rows`].
//!
//! | input → copies | how |
//! |---|---|
//! | same format | the library's issuing for that format: a columnar copy has the input's schema, row groups or batches and codecs |
//! | CSV → Parquet / Arrow | the CSV is converted once (one nullable `Utf8` column per CSV column, each value as written), then issued |
//! | Parquet / Arrow → CSV | the rows are read as CSV text (every cell in its text form, a null as an empty cell) and issued as CSV |
//! | Parquet ↔ Arrow, Arrow file ↔ stream | the input is converted once with its Arrow schema unchanged (checked), then issued |
//!
//! A conversion goes to an unnamed temporary file in the output directory,
//! which disappears when the issuance ends, whichever way it ends. The
//! input's BLAKE3 is always that of its own bytes.
//!
//! Errors in reading what the caller named (the extract, the leak, the
//! master extract: opening it, reading it, its content) are
//! [`Fault::Input`](crate::Fault::Input), an I/O error while reading
//! included, since a file cut short or damaged reads as one; temporary
//! files are the [`Fault::Server`](crate::Fault::Server)'s.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use serde::Serialize;
use watermark_core::{
    make_canaries_from_rows, Attribution, CanaryList, Detector, Embedder, Error, ErrorKind,
    MasterKey, Policy, Progress, RowBatch, RowSource,
};
use watermark_formats::reexport::arrow_schema::Schema;
use watermark_formats::{
    convert_columnar, csv_to_arrow_ipc, csv_to_parquet, issue_arrow_ipc, issue_csv, issue_parquet,
    verify_arrow_ipc, verify_csv, verify_parquet, ColumnarRows, ConvertOptions, CsvRows,
    DecodingReader, EncodingWriter, Format, HashingReader, IssueOptions, IssueSummary, Reading,
    ReceiveOptions, Received, TextEncoding,
};

use crate::error::{fail, Blame as _};
use crate::messages::{tr, Msg, Said};

use crate::{hidden, ProgressSink, Reporter, Result};
use watermark_text::{said, SaidContext as _};

/// The format of an extract, a copy or a leak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileFormat {
    /// Delimited text: copies are named ID.csv
    Csv,
    /// Apache Parquet: copies are named ID.parquet
    Parquet,
    /// Arrow IPC file format (Feather v2): copies are named ID.arrow
    Arrow,
    /// Arrow IPC stream format: copies are named ID.arrows
    ArrowStream,
}

impl FileFormat {
    /// The extension of a copy in this format, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Parquet => "parquet",
            FileFormat::Arrow => "arrow",
            FileFormat::ArrowStream => "arrows",
        }
    }

    /// The library's format, for Parquet and Arrow IPC; `None` for CSV.
    pub fn columnar(self) -> Option<Format> {
        match self {
            FileFormat::Csv => None,
            FileFormat::Parquet => Some(Format::Parquet),
            FileFormat::Arrow | FileFormat::ArrowStream => Some(Format::ArrowIpc),
        }
    }

    /// The format the first bytes of a file (8 are enough) show: Parquet's
    /// `PAR1`, an Arrow IPC file's `ARROW1`, an Arrow IPC stream's
    /// continuation marker `FF FF FF FF`; CSV for anything else.
    pub fn from_first_bytes(first: &[u8]) -> FileFormat {
        match Format::sniff(first) {
            Format::Csv => FileFormat::Csv,
            Format::Parquet => FileFormat::Parquet,
            Format::ArrowIpc if first.starts_with(b"ARROW1") => FileFormat::Arrow,
            Format::ArrowIpc => FileFormat::ArrowStream,
        }
    }

    /// The IANA media type of the format.
    pub fn media_type(self) -> &'static str {
        match self {
            FileFormat::Csv => "text/csv",
            FileFormat::Parquet => "application/vnd.apache.parquet",
            FileFormat::Arrow => "application/vnd.apache.arrow.file",
            FileFormat::ArrowStream => "application/vnd.apache.arrow.stream",
        }
    }

    /// The format of the file at `path`, from its first bytes; when they
    /// show none, from its extension: a file named `.parquet` that does not
    /// start like one is refused, one named `.arrow`, `.arrows`, `.ipc` or
    /// `.feather` is read as an Arrow IPC stream (those written before Arrow
    /// 0.15 start with a length, not a marker); anything else is CSV. A
    /// Parquet or Arrow IPC file's schema is read too, so that a damaged one
    /// is refused here, before any other work.
    pub fn detect(path: &Path) -> Result<FileFormat> {
        let mut file = File::open(path)
            .said(|| said!(Msg::CtxOpening, path.display()))
            .input()?;
        let first = first_bytes(&mut file)
            .said(|| said!(Msg::CtxReading, path.display()))
            .input()?;
        let format = match FileFormat::from_first_bytes(&first) {
            FileFormat::Csv => match Format::from_extension(path) {
                Some(Format::Parquet) => fail!(Input, Msg::NotParquet, path.display()),
                Some(Format::ArrowIpc) => FileFormat::ArrowStream,
                _ => FileFormat::Csv,
            },
            sniffed => sniffed,
        };
        if let Some(columnar) = format.columnar() {
            file.seek(SeekFrom::Start(0))
                .said(|| said!(Msg::CtxReading, path.display()))
                .input()?;
            ColumnarRows::open(columnar, file)
                .said(|| said!(Msg::CannotReadAs, path.display(), format))
                .input()?;
        }
        Ok(format)
    }
}

impl std::fmt::Display for FileFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FileFormat::Csv => "CSV",
            FileFormat::Parquet => "Parquet",
            FileFormat::Arrow => "Arrow IPC file",
            FileFormat::ArrowStream => "Arrow IPC stream",
        })
    }
}

/// Up to the first 8 bytes of a reader.
pub fn first_bytes(input: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut first = [0u8; 8];
    let mut got = 0;
    while got < first.len() {
        match input.read(&mut first[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(first[..got].to_vec())
}

/// A reader that moves a progress meter by the bytes it reads; seeks do not
/// move it, so a reader that seeks (Parquet's) shows the bytes it read.
pub struct Progressed<R> {
    inner: R,
    bar: Arc<dyn ProgressSink>,
}

impl<R> Progressed<R> {
    /// `inner`, moving `bar` as it is read.
    pub fn new(inner: R, bar: Arc<dyn ProgressSink>) -> Self {
        Progressed { inner, bar }
    }
}

impl<R: std::fmt::Debug> std::fmt::Debug for Progressed<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progressed")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<R: Read> Read for Progressed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

impl<R: Seek> Seek for Progressed<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// A file the caller named, opened, and its size.
fn open(path: &Path) -> Result<(File, u64)> {
    let file = File::open(path)
        .said(|| said!(Msg::CtxOpening, path.display()))
        .input()?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    Ok((file, size))
}

/// The BLAKE3 of a file's bytes and their number, with a progress meter.
pub fn blake3_file(path: &Path, reporter: impl Reporter) -> Result<(String, u64)> {
    let (file, size) = open(path)?;
    let bar = reporter.progress(size, &tr(reporter.lang(), Msg::ProgressHashing, &[]));
    let mut reader = HashingReader::new(Progressed::new(file, bar.clone()));
    io::copy(&mut reader, &mut io::sink())
        .said(|| said!(Msg::CtxReading, path.display()))
        .input()?;
    bar.finish();
    Ok(reader.digest())
}

/// An extract in any format as rows of text (see [`RowSource`]), for the
/// workflows that read rows: canaries, `policy suggest`, the master extract.
/// `bar` follows the bytes read.
///
/// A CSV's text encoding is told from its bytes (see
/// [`TextEncoding::detect`]); [`open_rows_in`] takes it.
pub fn open_rows(
    path: &Path,
    format: FileFormat,
    bar: &Arc<dyn ProgressSink>,
) -> watermark_core::Result<Box<dyn RowSource>> {
    let encoding = match format {
        FileFormat::Csv => TextEncoding::detect(path)?,
        _ => TextEncoding::Utf8,
    };
    open_rows_in(path, format, encoding, bar)
}

/// [`open_rows`], a CSV read in `encoding`.
pub fn open_rows_in(
    path: &Path,
    format: FileFormat,
    encoding: TextEncoding,
    bar: &Arc<dyn ProgressSink>,
) -> watermark_core::Result<Box<dyn RowSource>> {
    let file = File::open(path).map_err(|source| {
        Error::from(ErrorKind::Io {
            context: format!("opening {}", path.display()).into(),
            source,
        })
    })?;
    Ok(match format.columnar() {
        None if encoding != TextEncoding::Utf8 => Box::new(CsvRows::new(DecodingReader::new(
            Progressed::new(file, bar.clone()),
            encoding,
        ))?),
        None => Box::new(CsvRows::new(Progressed::new(file, bar.clone()))?),
        Some(columnar) => Box::new(ColumnarRows::open(
            columnar,
            Progressed::new(file, bar.clone()),
        )?),
    })
}

/// The canary list of an extract in any format: four passes over it (and
/// one to tell a CSV's text encoding).
pub fn make_canaries_of(
    key: &MasterKey,
    policy: &Policy,
    input_blake3: &str,
    input: &Path,
    format: FileFormat,
    reporter: impl Reporter,
) -> Result<CanaryList> {
    let encoding = match format {
        FileFormat::Csv => TextEncoding::detect(input)
            .with_context(|| input.display().to_string())
            .input()?,
        _ => TextEncoding::Utf8,
    };
    make_canaries_in(key, policy, input_blake3, input, format, encoding, reporter)
}

/// [`make_canaries_of`], a CSV read in `encoding`.
pub fn make_canaries_in(
    key: &MasterKey,
    policy: &Policy,
    input_blake3: &str,
    input: &Path,
    format: FileFormat,
    encoding: TextEncoding,
    reporter: impl Reporter,
) -> Result<CanaryList> {
    let (_, size) = open(input)?;
    let bar = reporter.progress(4 * size, &tr(reporter.lang(), Msg::ProgressCanaries, &[]));
    // Each pass moves the bar over a quarter of it, by the bytes read.
    let hidden = hidden();
    let list = make_canaries_from_rows(
        key,
        policy,
        input_blake3,
        || open_rows_in(input, format, encoding, &hidden),
        &mut |pass, progress| {
            bar.set_position(u64::from(pass - 1) * size + progress.bytes.min(size))
        },
    )
    .with_context(|| input.display().to_string())
    .input()?;
    bar.finish();
    Ok(list)
}

/// What `issue` should say about how the copies were made, when their
/// format is not the input's.
pub fn conversion_note(lang: crate::Lang, from: FileFormat, to: FileFormat) -> Option<String> {
    if from == to {
        return None;
    }
    Some(match (from.columnar(), to.columnar()) {
        (None, Some(_)) => tr(lang, Msg::ConvertedFromCsv, &[&to]),
        (Some(_), None) => tr(lang, Msg::ConvertedToCsv, &[&from]),
        _ => tr(lang, Msg::ConvertedKeepingSchema, &[&to, &from]),
    })
}

/// Writes every recipient's copy of `input` (in `from`, a CSV's text in
/// `encoding`) in `to` into `outputs`, in the order of
/// `embedder.recipients()`. CSV copies of a CSV are written in its
/// encoding (a character the encoding cannot write is an error). Returns the summary
/// and the input's BLAKE3 over its bytes: `known_blake3` if given (the
/// caller hashed the file already), else computed, in its own pass for
/// Parquet and Arrow IPC inputs (their readers seek). A conversion is
/// written to an unnamed temporary file in `scratch_dir`.
///
/// An error in reading or marking the extract, or in writing `outputs`,
/// is [`Fault::Input`](crate::Fault::Input): the library does not tell the
/// disk the copies go to from the extract there. Temporary files are the
/// server's.
#[allow(clippy::too_many_arguments)]
pub fn issue_copies<W: Write + Send>(
    embedder: &Embedder,
    input: &Path,
    from: FileFormat,
    to: FileFormat,
    encoding: TextEncoding,
    known_blake3: Option<String>,
    scratch_dir: &Path,
    outputs: Vec<W>,
    reporter: impl Reporter,
) -> Result<(IssueSummary<W>, String)> {
    let reporter: &dyn Reporter = &reporter;
    let name = || input.display().to_string();
    let digest = |known: Option<String>| -> Result<String> {
        match known {
            Some(d) => Ok(d),
            None => Ok(blake3_file(input, reporter)?.0),
        }
    };
    let scratch = || {
        tempfile::tempfile_in(scratch_dir)
            .with_context(|| {
                format!(
                    "creating a temporary file in {} for the conversion",
                    scratch_dir.display()
                )
            })
            .server()
    };
    match (from.columnar(), to.columnar()) {
        (None, None) if encoding != TextEncoding::Utf8 => {
            let (file, size) = open(input)?;
            let bar = reporter.progress(size, &tr(reporter.lang(), Msg::ProgressIssuing, &[]));
            let mut reader = DecodingReader::new(
                HashingReader::new(Progressed::new(file, bar.clone())),
                encoding,
            );
            let outputs = outputs
                .into_iter()
                .map(|w| EncodingWriter::new(w, encoding))
                .collect();
            let summary = issue_csv(embedder, &mut reader, outputs, &mut |_| {})
                .with_context(name)
                .input()?;
            bar.finish();
            let outputs = summary
                .outputs
                .into_iter()
                .map(EncodingWriter::finish)
                .collect::<io::Result<Vec<W>>>()
                .with_context(name)
                .input()?;
            let summary = IssueSummary {
                rows: summary.rows,
                slots_marked: summary.slots_marked,
                dialect: summary.dialect,
                canaries: summary.canaries,
                outputs,
            };
            Ok((summary, reader.get_ref().digest().0))
        }
        (None, None) => {
            let (file, size) = open(input)?;
            let bar = reporter.progress(size, &tr(reporter.lang(), Msg::ProgressIssuing, &[]));
            let mut reader = HashingReader::new(Progressed::new(file, bar.clone()));
            let summary = issue_csv(embedder, &mut reader, outputs, &mut |_| {})
                .with_context(name)
                .input()?;
            bar.finish();
            Ok((summary, reader.digest().0))
        }
        (None, Some(target)) => {
            // Convert once, hashing the CSV as it is read.
            let (file, size) = open(input)?;
            let bar =
                reporter.progress(size, &tr(reporter.lang(), Msg::ProgressConverting, &[&to]));
            let mut reader = HashingReader::new(Progressed::new(file, bar.clone()));
            let mut decoded;
            let text: &mut dyn Read = if encoding == TextEncoding::Utf8 {
                &mut reader
            } else {
                decoded = DecodingReader::new(&mut reader, encoding);
                &mut decoded
            };
            let mut converted = scratch()?;
            let options = ConvertOptions {
                ipc_stream: to == FileFormat::ArrowStream,
                ..ConvertOptions::default()
            };
            match target {
                Format::Parquet => csv_to_parquet(&mut *text, &mut converted, options),
                _ => csv_to_arrow_ipc(&mut *text, &mut converted, options),
            }
            .with_context(name)
            .input()?;
            // The CSV reader stops at the end of the file; make sure of it.
            io::copy(text, &mut io::sink()).with_context(name).input()?;
            bar.finish();
            let summary = issue_columnar(embedder, target, converted, outputs, reporter)
                .with_context(name)
                .input()?;
            Ok((summary, reader.digest().0))
        }
        (Some(source), None) => {
            let blake3 = digest(known_blake3)?;
            let (file, size) = open(input)?;
            let bar = reporter.progress(size, &tr(reporter.lang(), Msg::ProgressIssuing, &[]));
            let rows = ColumnarRows::open(source, Progressed::new(file, bar.clone()))
                .with_context(name)
                .input()?;
            let summary = issue_csv(embedder, rows.into_csv(), outputs, &mut |_| {})
                .map_err(carried)
                .with_context(name)
                .input()?;
            bar.finish();
            Ok((summary, blake3))
        }
        (Some(source), Some(_)) if from == to => {
            let blake3 = digest(known_blake3)?;
            let (file, _) = open(input)?;
            let summary = issue_columnar(embedder, source, file, outputs, reporter)
                .with_context(name)
                .input()?;
            Ok((summary, blake3))
        }
        (Some(source), Some(target)) => {
            let blake3 = digest(known_blake3)?;
            let (file, size) = open(input)?;
            let bar =
                reporter.progress(size, &tr(reporter.lang(), Msg::ProgressConverting, &[&to]));
            let mut converted = scratch()?;
            let options = ConvertOptions {
                ipc_stream: to == FileFormat::ArrowStream,
                ..ConvertOptions::default()
            };
            convert_columnar(
                Progressed::new(file, bar.clone()),
                source,
                &mut converted,
                target,
                &options,
            )
            .with_context(name)
            .input()?;
            bar.finish();
            // The copies must have the input's schema: check that the
            // conversion kept it.
            let want = ColumnarRows::open(source, open(input)?.0)
                .with_context(name)
                .input()?
                .schema();
            let got = ColumnarRows::open(target, rewound(&converted).server()?)
                .with_context(name)
                .input()?
                .schema();
            if let Some(change) = schema_change(&want, &got) {
                fail!(Input, Msg::SchemaChange, name(), to, from, change);
            }
            let summary = issue_columnar(embedder, target, converted, outputs, reporter)
                .with_context(name)
                .input()?;
            Ok((summary, blake3))
        }
    }
}

/// An error of the CSV path, or the one it carries: a columnar file read
/// as CSV text reports a cell it cannot render as an I/O error holding the
/// error, placed at its row and column, which is what to show.
fn carried(e: Error) -> anyhow::Error {
    if let ErrorKind::Io { source, .. } = e.kind() {
        if let Some(inner) = source.get_ref().and_then(|i| i.downcast_ref::<Error>()) {
            return anyhow::Error::new(crate::text::said_of(inner));
        }
    }
    anyhow::Error::new(e)
}

/// Another handle on `file`, at its start.
fn rewound(file: &File) -> anyhow::Result<File> {
    let mut other = file
        .try_clone()
        .said(|| Said::new(Msg::FmReadingConverted))?;
    other
        .seek(SeekFrom::Start(0))
        .said(|| Said::new(Msg::FmReadingConverted))?;
    Ok(other)
}

/// Issues copies of a Parquet or Arrow IPC file in its own format.
fn issue_columnar<W: Write + Send>(
    embedder: &Embedder,
    format: Format,
    mut file: File,
    outputs: Vec<W>,
    reporter: &dyn Reporter,
) -> anyhow::Result<IssueSummary<W>> {
    file.seek(SeekFrom::Start(0))
        .said(|| Said::new(Msg::FmReadingExtract))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = reporter.progress(size, &tr(reporter.lang(), Msg::ProgressIssuing, &[]));
    let mut progress = |p: Progress| bar.set_position(p.bytes);
    let options = IssueOptions::default();
    let summary = match format {
        Format::Parquet => issue_parquet(embedder, file, outputs, options, &mut progress)?,
        Format::ArrowIpc => issue_arrow_ipc(embedder, file, outputs, options, &mut progress)?,
        Format::Csv => return Err(Said::new(Msg::FmCsvIssuedAsCsv).into()),
    };
    bar.finish();
    Ok(summary)
}

/// How schema `b` differs from `a`, in words; `None` when they are equal.
pub fn schema_change(a: &Schema, b: &Schema) -> Option<String> {
    if a == b {
        return None;
    }
    if a.fields().len() != b.fields().len() {
        return Some(format!(
            "it has {} columns and would have {}",
            a.fields().len(),
            b.fields().len()
        ));
    }
    for (x, y) in a.fields().iter().zip(b.fields().iter()) {
        let name = x.name();
        if x.name() != y.name() {
            return Some(format!("column {name:?} would be named {:?}", y.name()));
        }
        if x.data_type() != y.data_type() {
            return Some(format!(
                "column {name:?} has type {} and would have {}",
                x.data_type(),
                y.data_type()
            ));
        }
        if x.is_nullable() != y.is_nullable() {
            return Some(format!(
                "column {name:?} would {}",
                if y.is_nullable() {
                    "become nullable"
                } else {
                    "no longer be nullable"
                }
            ));
        }
        if x.metadata() != y.metadata() {
            return Some(format!("the metadata of column {name:?} would change"));
        }
    }
    if a.metadata() != b.metadata() {
        return Some("the schema's metadata would change".to_string());
    }
    Some("the schema would change".to_string())
}

// ---------------------------------------------------------------------------
// Verifying

/// A leaked file or a master extract as `verify` reads it: its format, from
/// its first bytes, and for Parquet and Arrow IPC (whose readers seek) the
/// BLAKE3 of its bytes, computed once beforehand. A file that is not one
/// UTF-8 CSV with its header nor one columnar file (compressed, in another
/// text encoding, JSON, an archive, a workbook, a table without its header)
/// is read through [`Received`], and hashed beforehand too: its digest is
/// always that of the bytes received.
#[derive(Debug)]
pub struct VerifyFile {
    format: FileFormat,
    blake3: Option<(String, u64)>,
    received: Option<Received>,
    reading: Reading,
}

impl VerifyFile {
    /// Tells the file's format, and hashes a columnar one.
    pub fn new(path: &Path, reporter: impl Reporter) -> Result<VerifyFile> {
        Self::with_options(path, &ReceiveOptions::default(), reporter)
    }

    /// [`VerifyFile::new`], reading the file as `options` say (its text
    /// encoding, the policies' columns, the issued extracts' headers).
    pub fn with_options(
        path: &Path,
        options: &ReceiveOptions,
        reporter: impl Reporter,
    ) -> Result<VerifyFile> {
        let first = {
            let (mut file, _) = open(path)?;
            first_bytes(&mut file)
                .said(|| said!(Msg::CtxReading, path.display()))
                .input()?
        };
        if !watermark_formats::is_container(&first) {
            let format = FileFormat::detect(path)?;
            if format.columnar().is_some() {
                let label = serde_json::to_value(format)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                return Ok(VerifyFile {
                    format,
                    blake3: Some(blake3_file(path, reporter)?),
                    received: None,
                    reading: Reading {
                        format: label,
                        ..Reading::default()
                    },
                });
            }
        }
        let received = Received::prepare(path, options)
            .with_context(|| path.display().to_string())
            .input()?;
        let reading = received.reading().clone();
        if received.is_direct() && reading.format == "csv" {
            return Ok(VerifyFile {
                format: FileFormat::Csv,
                blake3: None,
                received: None,
                reading,
            });
        }
        Ok(VerifyFile {
            format: FileFormat::Csv,
            blake3: Some(blake3_file(path, reporter)?),
            received: Some(received),
            reading,
        })
    }

    /// The file's format (CSV for anything read as rows of text).
    pub fn format(&self) -> FileFormat {
        self.format
    }

    /// What the file was read as: format, encoding, tables.
    pub fn reading(&self) -> &Reading {
        &self.reading
    }

    fn columnar_blake3(&self) -> (String, u64) {
        self.blake3.clone().unwrap_or_default()
    }

    /// `file`, opened on this file, to verify: a CSV is hashed as it is
    /// read, a columnar file read with the library's own reader.
    pub fn open(&self, file: File, bar: &Arc<dyn ProgressSink>) -> watermark_core::Result<Input> {
        if let Some(received) = &self.received {
            return Ok(Input(InputKind::Rows {
                rows: received.open()?,
                blake3: self.columnar_blake3(),
            }));
        }
        Ok(match self.format.columnar() {
            None => csv_input(file, bar),
            Some(format) => Input(InputKind::Columnar {
                format,
                file: Some(Progressed::new(file, bar.clone())),
                blake3: self.columnar_blake3(),
            }),
        })
    }

    /// `file`, opened on this file, as rows of text (see [`RowSource`]): a
    /// CSV hashed as it is read, a columnar file's cells in their text form.
    pub fn open_rows(
        &self,
        file: File,
        bar: &Arc<dyn ProgressSink>,
    ) -> watermark_core::Result<Input> {
        if let Some(received) = &self.received {
            return Ok(Input(InputKind::Rows {
                rows: received.open()?,
                blake3: self.columnar_blake3(),
            }));
        }
        Ok(match self.format.columnar() {
            None => Input(InputKind::CsvRows(Box::new(CsvRows::new(
                HashingReader::new(Box::new(Progressed::new(file, bar.clone())) as Box<dyn Read>),
            )?))),
            Some(format) => Input(InputKind::ColumnarRows {
                rows: ColumnarRows::open(format, Progressed::new(file, bar.clone()))?,
                blake3: self.columnar_blake3(),
            }),
        })
    }
}

/// A CSV file to verify, hashed as it is read.
fn csv_input(file: File, bar: &Arc<dyn ProgressSink>) -> Input {
    Input(InputKind::Csv(Box::new(HashingReader::new(
        Box::new(Progressed::new(file, bar.clone())) as Box<dyn Read>,
    ))))
}

/// A file being read by `verify`; see [`VerifyFile`].
#[derive(Debug)]
pub struct Input(InputKind);

enum InputKind {
    Csv(Box<HashingReader<Box<dyn Read>>>),
    Columnar {
        format: Format,
        file: Option<Progressed<File>>,
        blake3: (String, u64),
    },
    CsvRows(Box<CsvRows<HashingReader<Box<dyn Read>>>>),
    ColumnarRows {
        rows: ColumnarRows,
        blake3: (String, u64),
    },
    Rows {
        rows: Box<dyn RowSource>,
        blake3: (String, u64),
    },
}

impl std::fmt::Debug for InputKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputKind::Csv(_) => f.write_str("Csv"),
            InputKind::Columnar { format, .. } => write!(f, "Columnar({format})"),
            InputKind::CsvRows(_) => f.write_str("CsvRows"),
            InputKind::ColumnarRows { .. } => f.write_str("ColumnarRows"),
            InputKind::Rows { .. } => f.write_str("Rows"),
        }
    }
}

impl Input {
    /// Streams the file into `detector`. Once only.
    pub fn verify(&mut self, detector: &Detector) -> watermark_core::Result<Attribution> {
        let read_already = || {
            Error::from(ErrorKind::Io {
                context: "verifying".into(),
                source: io::Error::other("the file was read already"),
            })
        };
        match &mut self.0 {
            InputKind::Csv(reader) => verify_csv(detector, reader, &mut |_| {}),
            InputKind::Columnar { format, file, .. } => {
                let Some(file) = file.take() else {
                    return Err(read_already());
                };
                match format {
                    Format::Parquet => verify_parquet(detector, file, &mut |_| {}),
                    _ => verify_arrow_ipc(detector, file, &mut |_| {}),
                }
            }
            InputKind::Rows { rows, .. } => {
                watermark_core::verify_rows(detector, &mut **rows, &mut |_| {})
            }
            InputKind::CsvRows(_) | InputKind::ColumnarRows { .. } => Err(read_already()),
        }
    }

    /// The BLAKE3 of the file's bytes and their number: for a CSV, of the
    /// bytes read so far; for a columnar file, of the whole file.
    pub fn digest(&self) -> (String, u64) {
        match &self.0 {
            InputKind::Csv(reader) => reader.digest(),
            InputKind::CsvRows(rows) => rows.get_ref().digest(),
            InputKind::Columnar { blake3, .. }
            | InputKind::ColumnarRows { blake3, .. }
            | InputKind::Rows { blake3, .. } => blake3.clone(),
        }
    }
}

/// The rows of a file opened with [`VerifyFile::open_rows`]; a file opened
/// to verify has none.
impl RowSource for Input {
    fn header(&self) -> &[String] {
        match &self.0 {
            InputKind::CsvRows(rows) => rows.header(),
            InputKind::ColumnarRows { rows, .. } => RowSource::header(rows),
            InputKind::Rows { rows, .. } => rows.header(),
            InputKind::Csv(_) | InputKind::Columnar { .. } => &[],
        }
    }

    fn next_batch(&mut self, batch: &mut RowBatch, limit: usize) -> watermark_core::Result<bool> {
        match &mut self.0 {
            InputKind::CsvRows(rows) => rows.next_batch(batch, limit),
            InputKind::ColumnarRows { rows, .. } => rows.next_batch(batch, limit),
            InputKind::Rows { rows, .. } => rows.next_batch(batch, limit),
            InputKind::Csv(_) | InputKind::Columnar { .. } => Err(Error::from(ErrorKind::Io {
                context: "reading rows".into(),
                source: io::Error::other("a file opened to verify is not read as rows"),
            })),
        }
    }

    fn bytes_read(&self) -> u64 {
        match &self.0 {
            InputKind::CsvRows(rows) => rows.bytes_read(),
            InputKind::ColumnarRows { rows, .. } => rows.bytes_read(),
            InputKind::Rows { rows, .. } => rows.bytes_read(),
            InputKind::Csv(_) | InputKind::Columnar { .. } => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_first_bytes() {
        assert_eq!(
            FileFormat::from_first_bytes(b"PAR1\x15\x04"),
            FileFormat::Parquet
        );
        assert_eq!(
            FileFormat::from_first_bytes(b"ARROW1\0\0"),
            FileFormat::Arrow
        );
        assert_eq!(
            FileFormat::from_first_bytes(&[0xFF, 0xFF, 0xFF, 0xFF, 8, 1, 0, 0]),
            FileFormat::ArrowStream
        );
        assert_eq!(FileFormat::from_first_bytes(b"CURP,CAL"), FileFormat::Csv);
        assert_eq!(FileFormat::from_first_bytes(b""), FileFormat::Csv);
        for f in [
            FileFormat::Csv,
            FileFormat::Parquet,
            FileFormat::Arrow,
            FileFormat::ArrowStream,
        ] {
            assert!(crate::COPY_EXTENSIONS.contains(&f.extension()));
        }
    }
}
