//! Leaks as investigators receive them: a table in a text encoding other
//! than UTF-8, compressed, in a JSON document, in a zip archive, in a
//! spreadsheet, or without its header row.
//!
//! [`Received::prepare`] looks at a file once, tells what it holds, and
//! sets aside what has to be decoded (decompressed or transcoded to UTF-8)
//! in unnamed-on-close temporary files; [`Received::open`] then reads its
//! tables as one [`RowSource`], as often as needed. Nothing here hashes the
//! file: its digest is that of its bytes as received, the caller's to take.
//!
//! | what | how it is told | how it is read |
//! |---|---|---|
//! | gzip (multi-member), zstd | magic bytes | decompressed to a temporary file, bounded, then read as what it holds |
//! | zip archive | `PK\x03\x04`, no workbook inside | every member that is a table (by extension) is read; others are skipped and named; archives inside are not opened |
//! | XLSX, XLSB, ODS (zips), XLS | workbook parts; the OLE signature | every sheet whose header names one of the policy's columns; others are skipped and named |
//! | JSON array of objects, NDJSON | first character `[` or `{` | keys become columns (their union, first seen first) |
//! | Parquet, Arrow IPC | magic bytes | as [`ColumnarRows`] |
//! | delimited text | anything else | as [`CsvRows`], after decoding |
//!
//! Text is UTF-8 (with or without a byte-order mark), UTF-16 LE or BE
//! (with a byte-order mark, or told by its zero bytes), or else
//! Windows-1252; or as forced by [`ReceiveOptions::encoding`]. Latin-1 is
//! read as Windows-1252, its superset for every printable character.
//!
//! Archive bombs are refused by [`Limits`]: a zip's declared sizes are
//! checked before anything is decompressed, and every decompression counts
//! the bytes it writes and stops at the limit whatever the archive
//! declares, so memory stays at a few buffers and the disk at the limit.
//! Member names that climb out of the archive (`../`, absolute paths) are
//! refused.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use calamine::Reader as _;
use serde::Serialize;
use serde_json::value::RawValue;
use watermark_core::{Error, ErrorKind, Result, RowBatch, RowSource};

use crate::{ColumnarRows, CsvRows, Format};
use watermark_text::{said, Msg, Said};

/// A text encoding of a delimited or JSON table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TextEncoding {
    /// UTF-8, with or without a byte-order mark.
    Utf8,
    /// UTF-16, little-endian.
    Utf16Le,
    /// UTF-16, big-endian.
    Utf16Be,
    /// Windows-1252 (read also for Latin-1, ISO-8859-1).
    Windows1252,
}

impl TextEncoding {
    /// The encoding a label names: `utf-8`, `utf-16le`, `utf-16be`,
    /// `windows-1252`, `cp1252`, `latin-1`, `iso-8859-1` (any case, `_` for
    /// `-`).
    pub fn from_label(label: &str) -> Option<TextEncoding> {
        let l = label.trim().to_ascii_lowercase().replace('_', "-");
        Some(match l.as_str() {
            "utf-8" | "utf8" => TextEncoding::Utf8,
            "utf-16le" | "utf16le" | "utf-16-le" => TextEncoding::Utf16Le,
            "utf-16be" | "utf16be" | "utf-16-be" => TextEncoding::Utf16Be,
            "windows-1252" | "cp1252" | "win1252" | "latin-1" | "latin1" | "iso-8859-1"
            | "iso8859-1" => TextEncoding::Windows1252,
            _ => return None,
        })
    }

    /// The encoding's name as reports give it: `utf-8`, `utf-16le`,
    /// `utf-16be`, `windows-1252`.
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf16Le => "utf-16le",
            TextEncoding::Utf16Be => "utf-16be",
            TextEncoding::Windows1252 => "windows-1252",
        }
    }

    /// The encoding of the text file at `path`, told by its bytes: a
    /// byte-order mark; else UTF-16 if every other byte is zero; else
    /// UTF-8 if the whole file is valid UTF-8; else Windows-1252.
    pub fn detect(path: &Path) -> Result<TextEncoding> {
        detect_encoding(path)
    }

    /// The `encoding_rs` encoding.
    pub fn encoding(self) -> &'static encoding_rs::Encoding {
        match self {
            TextEncoding::Utf8 => encoding_rs::UTF_8,
            TextEncoding::Utf16Le => encoding_rs::UTF_16LE,
            TextEncoding::Utf16Be => encoding_rs::UTF_16BE,
            TextEncoding::Windows1252 => encoding_rs::WINDOWS_1252,
        }
    }
}

impl std::fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Bounds on what decompression may produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes all the decompressed data of one file may reach, declared or
    /// actual.
    pub max_bytes: u64,
    /// Bytes a workbook's parts may reach, uncompressed: a sheet is held in
    /// memory to be read.
    pub max_workbook_bytes: u64,
    /// The ratio of decompressed to compressed bytes allowed past
    /// [`Limits::ratio_floor`].
    pub max_ratio: u64,
    /// Decompressed bytes always allowed, whatever the ratio.
    pub ratio_floor: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 16 << 30,
            max_workbook_bytes: 256 << 20,
            max_ratio: 100,
            ratio_floor: 16 << 20,
        }
    }
}

impl Limits {
    fn allowed(&self, compressed: u64) -> u64 {
        self.ratio_floor
            .saturating_add(compressed.saturating_mul(self.max_ratio))
            .min(self.max_bytes)
    }
}

/// How to read a received file.
#[derive(Clone, Debug, Default)]
pub struct ReceiveOptions {
    /// The text encoding, instead of telling it from the bytes.
    pub encoding: Option<TextEncoding>,
    /// Bounds on decompression.
    pub limits: Limits,
    /// The columns the policies read (identity and carriers): a sheet or
    /// archive member whose header names none of them is skipped, and a
    /// table whose first row names none of them is tried as a table
    /// without its header. Empty: every table is read with its header.
    pub columns: Vec<String>,
    /// Headers of the extracts copies were issued from: a table without
    /// its header row is read with the one of these it matches.
    pub known_headers: Vec<Vec<String>>,
    /// The policies' identity columns: a table read with a supplied header
    /// must hold them where their content says (see [`Reading::header_check`]).
    pub identity: Vec<String>,
}

/// A table, sheet or member that was not read, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The member or sheet.
    pub name: String,
    /// Why it was not read.
    pub reason: SkipReason,
}

/// Why a member of an archive or a sheet of a workbook was not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SkipReason {
    /// Not a table (a text note, an image).
    NotATable,
    /// An archive inside the archive: not opened.
    NestedArchive,
    /// Empty.
    Empty,
    /// A sheet whose header names none of the policy's columns.
    NoPolicyColumns,
}

impl SkipReason {
    /// The reason in words, a sentence of the catalogue.
    pub fn msg(&self) -> Msg {
        match self {
            SkipReason::NotATable => Msg::SkipNotATable,
            SkipReason::NestedArchive => Msg::SkipNestedArchive,
            SkipReason::Empty => Msg::SkipEmpty,
            SkipReason::NoPolicyColumns => Msg::SkipNoPolicyColumns,
        }
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.msg().template(watermark_text::Lang::En))
    }
}

/// How a header-less table's columns were checked against the extract's
/// header by their content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "found")]
#[non_exhaustive]
pub enum HeaderCheck {
    /// Column `column` (1-based) holds identifiers by its values, and the
    /// extract's header names it as the identity column `name`.
    Identity {
        /// The column, 1-based.
        column: usize,
        /// The extract's name for it.
        name: String,
    },
    /// No column holds identifiers by its values: nothing to check by.
    NoIdentifier,
    /// More than one column holds identifiers: none to check by alone.
    SeveralIdentifiers,
}

impl std::fmt::Display for HeaderCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeaderCheck::Identity { column, name } => write!(
                f,
                "column {column} holds identifiers by its values, and is the extract's identity \
                 column {name}"
            ),
            HeaderCheck::NoIdentifier => {
                f.write_str("the columns' content shows no identifier to check them by")
            }
            HeaderCheck::SeveralIdentifiers => f.write_str(
                "the columns' content shows no single identifier column to check them by",
            ),
        }
    }
}

/// What a received file was read as.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Reading {
    /// The format: `csv`, `json`, `ndjson`, `parquet`, `arrow`,
    /// `arrow-stream`, `xlsx`, `xlsb`, `xls`, `ods`, `zip`; a compressed
    /// file adds `.gz` or `.zst` (`csv.gz`).
    pub format: String,
    /// The text encoding of its text tables, when it has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// The tables read: archive members and sheets (`book.xlsx#Sheet1`);
    /// empty for a file that is one table.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<String>,
    /// Members and sheets not read, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
    /// When a table had no header row: the header it was read with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_supplied: Option<Vec<String>>,
    /// How the supplied header was checked against the table's content:
    /// which columns hold the identity by their values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_check: Option<HeaderCheck>,
}

/// One table of a received file.
#[derive(Debug)]
struct Part {
    name: String,
    path: PathBuf,
    kind: PartKind,
    header: Vec<String>,
    /// The file's first row is data, and `header` was supplied.
    headerless: bool,
}

#[derive(Debug, Clone)]
enum PartKind {
    Csv,
    Json { ndjson: bool },
    Columnar(Format),
    Sheet(String),
}

/// A received file, looked at: see the [module](self) documentation.
#[derive(Debug)]
pub struct Received {
    reading: Reading,
    parts: Vec<Part>,
    header: Vec<String>,
    direct: bool,
    _temps: Vec<tempfile::NamedTempFile>,
}

/// A refusal: what was being done, and why it cannot go on.
fn fail(context: Said, why: Said) -> Error {
    Error::io(context, io::Error::other(why))
}

fn io_err(context: Msg) -> impl FnOnce(io::Error) -> Error {
    move |e| Error::io(Said::new(context), e)
}

const GZIP: &[u8] = &[0x1f, 0x8b];
const ZSTD: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
const ZIP: &[u8] = b"PK\x03\x04";
const ZIP_EMPTY: &[u8] = b"PK\x05\x06";
const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn first_bytes(path: &Path, n: usize) -> Result<Vec<u8>> {
    let mut f = File::open(path).map_err(io_err(Msg::RfOpening))?;
    let mut buf = vec![0u8; n];
    let mut got = 0;
    while got < n {
        match f.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(Said::new(Msg::RfReading), e)),
        }
    }
    buf.truncate(got);
    Ok(buf)
}

/// Whether the file's first bytes show compression or a container this
/// module reads (gzip, zstd, zip, OLE): such a file is not read as text.
pub fn is_container(first: &[u8]) -> bool {
    first.starts_with(GZIP)
        || first.starts_with(ZSTD)
        || first.starts_with(ZIP)
        || first.starts_with(ZIP_EMPTY)
        || first.starts_with(OLE)
}

/// Copies at most `limit` bytes from `from` to `to`; more is an error
/// built by `over`.
fn bounded_copy(
    from: &mut impl Read,
    to: &mut impl Write,
    limit: u64,
    context: &Said,
    over: impl FnOnce() -> Said,
) -> Result<u64> {
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(context.clone(), e)),
        };
        total += n as u64;
        if total > limit {
            return Err(fail(context.clone(), over()));
        }
        to.write_all(&buf[..n])
            .map_err(io_err(Msg::CtxWritingTemp))?;
    }
    to.flush().map_err(io_err(Msg::CtxWritingTemp))?;
    Ok(total)
}

fn temp() -> Result<tempfile::NamedTempFile> {
    tempfile::NamedTempFile::new().map_err(io_err(Msg::CtxTempFile))
}

impl Received {
    /// Looks at the file at `path`: its compression, container, format
    /// and text encoding, and the header of each table. A gzip or zstd
    /// stream, an archive member, or text not in UTF-8 is decoded into a
    /// temporary file, removed when the `Received` is dropped.
    pub fn prepare(path: &Path, options: &ReceiveOptions) -> Result<Received> {
        let mut r = Received {
            reading: Reading {
                format: String::new(),
                encoding: None,
                tables: Vec::new(),
                skipped: Vec::new(),
                header_supplied: None,
                header_check: None,
            },
            parts: Vec::new(),
            header: Vec::new(),
            direct: false,
            _temps: Vec::new(),
        };
        let (inner, suffix) = r.decompress(path, options)?;
        let inner = inner.unwrap_or_else(|| path.to_path_buf());
        let first = first_bytes(&inner, 8)?;
        let format = if first.starts_with(ZIP) || first.starts_with(ZIP_EMPTY) {
            r.zip(&inner, path, options)?
        } else {
            r.table(&inner, String::new(), &first, options, true)?
        };
        r.reading.format = format + suffix;
        if r.parts.is_empty() {
            let skipped = r
                .reading
                .skipped
                .iter()
                .map(|s| said!(Msg::RfSkipped, s.name).sentence(Said::new(s.reason.msg())))
                .collect::<Vec<_>>();
            return Err(fail(
                Said::new(Msg::RfReading),
                if skipped.is_empty() {
                    Said::new(Msg::RfNoTable)
                } else {
                    Said::new(Msg::RfNoReadableTable).list(skipped, "; ")
                },
            ));
        }
        // The union of the tables' columns, first seen first.
        for p in &r.parts {
            for c in &p.header {
                if !r.header.contains(c) {
                    r.header.push(c.clone());
                }
            }
        }
        r.direct = suffix.is_empty()
            && r.parts.len() == 1
            && !r.parts[0].headerless
            && r.parts[0].path == path
            && matches!(r.parts[0].kind, PartKind::Csv | PartKind::Columnar(_))
            && r.reading.encoding.as_deref().is_none_or(|e| e == "utf-8");
        Ok(r)
    }

    /// Whether the file is one UTF-8 CSV with its header, or one Parquet or
    /// Arrow IPC file: what the CSV and columnar functions read as it is.
    pub fn is_direct(&self) -> bool {
        self.direct
    }

    /// What the file was read as.
    pub fn reading(&self) -> &Reading {
        &self.reading
    }

    /// The columns of the file's tables, first seen first.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The file's tables as one source of rows, their columns the union
    /// of the tables' (a cell a table lacks is empty).
    pub fn open(&self) -> Result<Box<dyn RowSource>> {
        let mut sources = Vec::new();
        for p in &self.parts {
            let src = p.open()?;
            let map = p
                .header
                .iter()
                .map(|c| self.header.iter().position(|h| h == c).unwrap_or(0))
                .collect::<Vec<_>>();
            sources.push((src, map));
        }
        if sources.len() == 1 && sources[0].1.iter().enumerate().all(|(i, &j)| i == j) {
            return Ok(sources.pop().expect("one source").0);
        }
        Ok(Box::new(Chain {
            header: self.header.clone(),
            sources: sources.into_iter().collect(),
            batch: RowBatch::new(),
            rows: 0,
            cells: Vec::new(),
        }))
    }

    /// A gzip or zstd file decompressed to a temporary file, and the
    /// suffix it adds to the format's name.
    fn decompress(
        &mut self,
        path: &Path,
        options: &ReceiveOptions,
    ) -> Result<(Option<PathBuf>, &'static str)> {
        let first = first_bytes(path, 4)?;
        let (name, suffix) = if first.starts_with(GZIP) {
            ("gzip", ".gz")
        } else if first.starts_with(ZSTD) {
            ("zstd", ".zst")
        } else {
            return Ok((None, ""));
        };
        let file = File::open(path).map_err(io_err(Msg::RfOpening))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let limits = options.limits;
        let allowed = limits.allowed(size);
        let mut out = temp()?;
        let context = said!(Msg::RfDecompressing, name);
        let over = || said!(Msg::RfStreamBomb, allowed, size);
        let result = if name == "gzip" {
            let mut d = flate2::read::MultiGzDecoder::new(BufReader::new(file));
            bounded_copy(&mut d, out.as_file_mut(), allowed, &context, over)
        } else {
            let mut d = zstd::stream::read::Decoder::new(file)
                .map_err(|e| Error::io(context.clone(), e))?;
            bounded_copy(&mut d, out.as_file_mut(), allowed, &context, over)
        };
        if let Err(e) = result {
            if let ErrorKind::Io { source, .. } = e.kind() {
                if source.kind() == io::ErrorKind::UnexpectedEof {
                    return Err(fail(context, Said::new(Msg::RfTruncated)));
                }
            }
            return Err(e);
        }
        let inner = out.path().to_path_buf();
        self._temps.push(out);
        let again = first_bytes(&inner, 4)?;
        if again.starts_with(GZIP) || again.starts_with(ZSTD) {
            return Err(fail(context, Said::new(Msg::RfDoublyCompressed)));
        }
        Ok((Some(inner), suffix))
    }

    /// Checks a zip's member names and declared sizes against the limits;
    /// returns the archive.
    fn check_zip(
        path: &Path,
        limit: u64,
        limits: &Limits,
        what: Msg,
    ) -> Result<zip::ZipArchive<BufReader<File>>> {
        let context = Said::new(what);
        let file = File::open(path).map_err(io_err(Msg::RfOpening))?;
        let mut archive = zip::ZipArchive::new(BufReader::new(file))
            .map_err(|e| fail(context.clone(), said!(Msg::RfNotAZip, e)))?;
        let mut total = 0u64;
        for i in 0..archive.len() {
            let m = archive
                .by_index_raw(i)
                .map_err(|e| fail(context.clone(), said!(Msg::RfMember, i, e)))?;
            let name = m
                .name()
                .map_err(|e| fail(context.clone(), said!(Msg::RfMember, i, e)))?
                .to_string();
            let unsafe_name = m.enclosed_name().is_none()
                || name.starts_with('/')
                || name.starts_with('\\')
                || name.split(['/', '\\']).any(|c| c == "..")
                || name.contains(':');
            if unsafe_name {
                return Err(fail(
                    context,
                    said!(
                        Msg::RfPathTrick,
                        format!("{:?}", watermark_core::bounded(&name, 200))
                    ),
                ));
            }
            total = total.saturating_add(m.size());
            if total > limit {
                return Err(fail(context, said!(Msg::RfZipBomb, limit)));
            }
            if m.size() > limits.ratio_floor
                && m.size() / m.compressed_size().max(1) > limits.max_ratio
            {
                return Err(fail(
                    context,
                    said!(
                        Msg::RfRatioBomb,
                        format!("{:?}", watermark_core::bounded(&name, 200)),
                        m.size(),
                        m.compressed_size(),
                        limits.max_ratio
                    ),
                ));
            }
        }
        Ok(archive)
    }

    /// A zip: a workbook, or an archive of tables.
    fn zip(&mut self, path: &Path, shown: &Path, options: &ReceiveOptions) -> Result<String> {
        let limits = &options.limits;
        let names: Vec<String> = {
            let archive = Self::check_zip(path, limits.max_bytes, limits, Msg::RfZip)?;
            zip_names(&archive)
        };
        if let Some(kind) = workbook_kind(&names) {
            let _ = shown;
            self.workbook(path, String::new(), kind, options)?;
            return Ok(kind.to_string());
        }
        let mut archive = Self::check_zip(path, limits.max_bytes, limits, Msg::RfZip)?;
        let mut budget = limits.max_bytes;
        for i in 0..archive.len() {
            let mut m = archive
                .by_index(i)
                .map_err(|e| fail(Said::new(Msg::RfZip), said!(Msg::RfMember, i, e)))?;
            if m.is_dir() {
                continue;
            }
            let name = m
                .name()
                .map_err(|e| fail(Said::new(Msg::RfZip), said!(Msg::RfMember, i, e)))?
                .to_string();
            let ext = extension(&name);
            if !TABLE_EXTENSIONS.contains(&ext.as_str()) {
                self.reading.skipped.push(Skipped {
                    name,
                    reason: SkipReason::NotATable,
                });
                continue;
            }
            if ext == "zip" {
                self.reading.skipped.push(Skipped {
                    name,
                    reason: SkipReason::NestedArchive,
                });
                continue;
            }
            let declared = m.size();
            let allowed = limits
                .allowed(m.compressed_size())
                .min(budget)
                .min(declared);
            let mut out = temp()?;
            let context = said!(Msg::RfZipMember, format!("{name:?}"));
            let written = bounded_copy(&mut m, out.as_file_mut(), allowed, &context, || {
                said!(Msg::RfMemberBomb, allowed, declared)
            })?;
            budget -= written;
            drop(m);
            let member_path = out.path().to_path_buf();
            self._temps.push(out);
            let (inner, suffix) = self.decompress(&member_path, options)?;
            let inner = inner.unwrap_or(member_path);
            let first = first_bytes(&inner, 8)?;
            if first.starts_with(ZIP) || first.starts_with(ZIP_EMPTY) {
                let names: Vec<String> = {
                    let a = Self::check_zip(
                        &inner,
                        limits.max_workbook_bytes,
                        limits,
                        Msg::RfWorkbook,
                    )?;
                    zip_names(&a)
                };
                match workbook_kind(&names) {
                    Some(kind) => self.workbook(&inner, name, kind, options)?,
                    None => self.reading.skipped.push(Skipped {
                        name,
                        reason: SkipReason::NestedArchive,
                    }),
                }
                continue;
            }
            let _ = suffix;
            self.table(&inner, name, &first, options, false)?;
        }
        Ok("zip".into())
    }

    /// A workbook's sheets: those whose header names one of the columns.
    fn workbook(
        &mut self,
        path: &Path,
        name: String,
        kind: &str,
        options: &ReceiveOptions,
    ) -> Result<()> {
        if kind != "xls" {
            Self::check_zip(
                path,
                options.limits.max_workbook_bytes,
                &options.limits,
                Msg::RfWorkbook,
            )?;
        } else {
            let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            if size > options.limits.max_workbook_bytes {
                return Err(fail(
                    Said::new(Msg::RfWorkbook),
                    said!(
                        Msg::RfWorkbookTooBig,
                        size,
                        options.limits.max_workbook_bytes
                    ),
                ));
            }
        }
        let mut book = open_book(path)?;
        for sheet in book.sheet_names() {
            let shown = if name.is_empty() {
                sheet.clone()
            } else {
                format!("{name}#{sheet}")
            };
            let range = book.worksheet_range(&sheet).map_err(|e| {
                fail(
                    Said::new(Msg::RfWorkbook),
                    said!(Msg::RfSheet, format!("{sheet:?}"), e),
                )
            })?;
            let mut rows = SheetRows::new(range, Vec::new());
            let Some(first) = rows.next_nonempty() else {
                self.reading.skipped.push(Skipped {
                    name: shown,
                    reason: SkipReason::Empty,
                });
                continue;
            };
            self.add(
                Part {
                    name: shown,
                    path: path.to_path_buf(),
                    kind: PartKind::Sheet(sheet.clone()),
                    header: first,
                    headerless: false,
                },
                options,
            )?;
        }
        Ok(())
    }

    /// One table (not an archive): a workbook, columnar, or text.
    fn table(
        &mut self,
        path: &Path,
        name: String,
        first: &[u8],
        options: &ReceiveOptions,
        top: bool,
    ) -> Result<String> {
        if first.starts_with(OLE) {
            self.workbook(path, name, "xls", options)?;
            return Ok("xls".into());
        }
        if first.starts_with(ZIP) || first.starts_with(ZIP_EMPTY) {
            return Err(fail(Said::new(Msg::RfReading), Said::new(Msg::RfNested)));
        }
        let sniffed = Format::sniff(first);
        let by_name = if top {
            Format::from_extension(path)
        } else {
            Format::from_extension(&name)
        };
        let columnar = match sniffed {
            Format::Csv
                if by_name == Some(Format::ArrowIpc) && !first.is_empty() && first[0] < 9 =>
            {
                Some(Format::ArrowIpc)
            }
            Format::Csv => None,
            other => Some(other),
        };
        if let Some(format) = columnar {
            let file = File::open(path).map_err(io_err(Msg::RfOpening))?;
            let rows = ColumnarRows::open(format, file)?;
            let label = match format {
                Format::Parquet => "parquet",
                _ if first.starts_with(b"ARROW1") => "arrow",
                _ => "arrow-stream",
            };
            self.add(
                Part {
                    name,
                    path: path.to_path_buf(),
                    kind: PartKind::Columnar(format),
                    header: RowSource::header(&rows).to_vec(),
                    headerless: false,
                },
                options,
            )?;
            return Ok(label.into());
        }
        // Text: decode it to UTF-8 unless it is.
        let encoding = match options.encoding {
            Some(e) => e,
            None => detect_encoding(path)?,
        };
        let utf8 = if encoding == TextEncoding::Utf8 {
            if options.encoding.is_some() {
                check_utf8(path)?;
            }
            path.to_path_buf()
        } else {
            let mut out = temp()?;
            transcode(path, encoding, out.as_file_mut())?;
            let p = out.path().to_path_buf();
            self._temps.push(out);
            p
        };
        match &self.reading.encoding {
            None => self.reading.encoding = Some(encoding.name().into()),
            Some(e) if e != encoding.name() => {
                self.reading.encoding = Some(format!("{e}, {}", encoding.name()))
            }
            Some(_) => {}
        }
        // JSON or NDJSON by the first character that is not blank.
        let lead = {
            let mut r = BufReader::new(File::open(&utf8).map_err(io_err(Msg::RfOpening))?);
            skip_bom(&mut r)?;
            skip_blank(&mut r)?;
            peek(&mut r)?
        };
        let ext = extension(&name);
        let (kind, label) = match lead {
            Some(b'[') => (PartKind::Json { ndjson: false }, "json"),
            Some(b'{') => (PartKind::Json { ndjson: true }, "ndjson"),
            _ if ext == "json" || ext == "ndjson" || ext == "jsonl" => {
                return Err(fail(Said::new(Msg::RfJson), Said::new(Msg::RfNotJsonTable)))
            }
            _ => (PartKind::Csv, "csv"),
        };
        let header = match kind {
            PartKind::Json { ndjson } => JsonRows::keys(&utf8, ndjson)?,
            _ => {
                let file = File::open(&utf8).map_err(io_err(Msg::RfOpening))?;
                CsvRows::new(file)?.header().to_vec()
            }
        };
        self.add(
            Part {
                name,
                path: utf8,
                kind,
                header,
                headerless: false,
            },
            options,
        )?;
        Ok(label.into())
    }

    /// Adds a table, skipping one that names none of the columns (in an
    /// archive or workbook), or reading one without its header row.
    fn add(&mut self, mut part: Part, options: &ReceiveOptions) -> Result<()> {
        // Named as the verification matches names: ignoring case, accents
        // and surrounding space.
        let folded: Vec<String> = options
            .columns
            .iter()
            .map(|c| watermark_core::fold(c))
            .collect();
        let names_one = options.columns.is_empty()
            || part
                .header
                .iter()
                .any(|h| folded.contains(&watermark_core::fold(h)));
        if names_one {
            if part.name.is_empty() {
                self.parts.push(part);
            } else {
                self.reading.tables.push(part.name.clone());
                self.parts.push(part);
            }
            return Ok(());
        }
        let several = !part.name.is_empty();
        let headerless_ok = matches!(part.kind, PartKind::Csv | PartKind::Sheet(_));
        // A table whose first row is data: read it with the header of the
        // extract it came from, told by its number of columns.
        if headerless_ok {
            let fits: Vec<&Vec<String>> = options
                .known_headers
                .iter()
                .filter(|h| h.len() == part.header.len())
                .collect();
            let first_is_data = !part.header.iter().any(|c| {
                let c = watermark_core::fold(c);
                options
                    .known_headers
                    .iter()
                    .any(|h| h.iter().any(|n| watermark_core::fold(n) == c))
            });
            let distinct = fits.windows(2).all(|w| w[0] == w[1]);
            if first_is_data && !fits.is_empty() && distinct {
                part.header = fits[0].clone();
                part.headerless = true;
                self.reading.header_check = Some(check_by_content(&part, options)?);
                self.reading.header_supplied = Some(part.header.clone());
                if several {
                    self.reading.tables.push(part.name.clone());
                }
                self.parts.push(part);
                return Ok(());
            }
            // A first row that looks like data (most of its cells hold a
            // digit, as identifiers, dates and amounts do) cannot be a header:
            // say why its columns cannot be told. Any other first row is a
            // header naming other columns, and reading it as one lets the
            // verification say which columns are missing (and suggest a
            // master extract).
            let filled: Vec<&String> = part.header.iter().filter(|c| !c.is_empty()).collect();
            let digits = filled
                .iter()
                .filter(|c| c.bytes().any(|b| b.is_ascii_digit()))
                .count();
            let looks_like_data = !filled.is_empty() && digits * 2 > filled.len();
            if !several && looks_like_data {
                let widths: Vec<String> = options
                    .known_headers
                    .iter()
                    .map(|h| h.len().to_string())
                    .collect();
                return Err(fail(
                    Said::new(Msg::RfTable),
                    if widths.is_empty() {
                        said!(
                            Msg::RfHeaderlessUnrecorded,
                            options.columns.join(", "),
                            part.header.len()
                        )
                    } else {
                        said!(
                            Msg::RfHeaderless,
                            options.columns.join(", "),
                            part.header.len(),
                            widths.join(" / ")
                        )
                    },
                ));
            }
        }
        if several {
            self.reading.skipped.push(Skipped {
                name: part.name,
                reason: SkipReason::NoPolicyColumns,
            });
        } else {
            self.parts.push(part);
        }
        Ok(())
    }
}

/// Checks a header supplied to a table without one against its content:
/// the columns `policy suggest` takes for identifiers by their values
/// (CURP, clave de elector, NSS) must be the policy's identity columns in
/// the supplied header. Says what was found; refuses a table whose columns
/// are in another order than the extract's.
fn check_by_content(part: &Part, options: &ReceiveOptions) -> Result<HeaderCheck> {
    let mut source = part.open()?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut batch = RowBatch::new();
    while rows.len() < 500 && source.next_batch(&mut batch, 500)? {
        rows.extend(batch.rows().map(|r| r.iter().map(str::to_string).collect()));
    }
    // Neutral names, so that only the values count.
    let neutral: Vec<String> = (1..=part.header.len()).map(|i| format!("c{i}")).collect();
    let Ok(found) = watermark_core::suggest_policy(&neutral, &rows, None, None) else {
        return Ok(HeaderCheck::NoIdentifier);
    };
    let by_content: Vec<usize> = found
        .policy
        .identity
        .iter()
        .filter_map(|n| neutral.iter().position(|c| c == n))
        .collect();
    let identifier_like = by_content.len() == 1;
    if !identifier_like {
        return Ok(HeaderCheck::SeveralIdentifiers);
    }
    let i = by_content[0];
    let name = &part.header[i];
    let folded = watermark_core::fold(name);
    if options
        .identity
        .iter()
        .any(|id| watermark_core::fold(id) == folded)
    {
        Ok(HeaderCheck::Identity {
            column: i + 1,
            name: name.clone(),
        })
    } else {
        Err(fail(
            Said::new(Msg::RfTable),
            said!(
                Msg::RfColumnsOutOfOrder,
                i + 1,
                name,
                options.identity.join(", ")
            ),
        ))
    }
}

/// Extensions of archive members read as tables.
const TABLE_EXTENSIONS: &[&str] = &[
    "csv", "tsv", "tab", "psv", "json", "ndjson", "jsonl", "parquet", "parq", "pq", "arrow",
    "arrows", "ipc", "feather", "xlsx", "xlsm", "xlsb", "xls", "ods", "gz", "zst", "zip",
];

fn extension(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    match base.rsplit_once('.') {
        Some((_, ext)) => ext.to_ascii_lowercase(),
        None => String::new(),
    }
}

fn zip_names(archive: &zip::ZipArchive<BufReader<File>>) -> Vec<String> {
    archive
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.to_string()))
        .collect()
}

fn workbook_kind(names: &[String]) -> Option<&'static str> {
    if names.iter().any(|n| n == "xl/workbook.xml") {
        Some("xlsx")
    } else if names.iter().any(|n| n == "xl/workbook.bin") {
        Some("xlsb")
    } else if names.iter().any(|n| n == "content.xml") && names.iter().any(|n| n == "mimetype") {
        Some("ods")
    } else {
        None
    }
}

/// A workbook, read into memory (its size was checked against the limits).
fn open_book(path: &Path) -> Result<calamine::Sheets<io::Cursor<Vec<u8>>>> {
    let bytes = std::fs::read(path).map_err(io_err(Msg::RfWorkbook))?;
    calamine::open_workbook_auto_from_rs(io::Cursor::new(bytes))
        .map_err(|e| fail(Said::new(Msg::RfWorkbook), said!(Msg::RfVerbatim, e)))
}

impl Part {
    fn open(&self) -> Result<Box<dyn RowSource>> {
        let file = || File::open(&self.path).map_err(io_err(Msg::RfOpening));
        Ok(match &self.kind {
            PartKind::Csv => {
                let rows = CsvRows::new(file()?)?;
                if self.headerless {
                    let first = rows.header().to_vec();
                    Box::new(Prepended {
                        inner: Box::new(rows),
                        header: self.header.clone(),
                        first: Some(first),
                        tmp: RowBatch::new(),
                        rows: 0,
                    })
                } else {
                    Box::new(rows)
                }
            }
            PartKind::Json { ndjson } => Box::new(JsonRows::new(file()?, &self.header, *ndjson)?),
            PartKind::Columnar(format) => Box::new(ColumnarRows::open(*format, file()?)?),
            PartKind::Sheet(sheet) => {
                let mut book = open_book(&self.path)?;
                let range = book.worksheet_range(sheet).map_err(|e| {
                    fail(
                        Said::new(Msg::RfWorkbook),
                        said!(Msg::RfSheet, format!("{sheet:?}"), e),
                    )
                })?;
                let mut rows = SheetRows::new(range, self.header.clone());
                if !self.headerless {
                    rows.next_nonempty();
                }
                Box::new(rows)
            }
        })
    }
}

// ---------------------------------------------------------------------------
// Text encodings

fn detect_encoding(path: &Path) -> Result<TextEncoding> {
    let head = first_bytes(path, 4096)?;
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Ok(TextEncoding::Utf8);
    }
    if head.starts_with(&[0xFF, 0xFE]) {
        return Ok(TextEncoding::Utf16Le);
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return Ok(TextEncoding::Utf16Be);
    }
    // UTF-16 without a byte-order mark: text of ASCII characters has a zero
    // in every other byte.
    if head.len() >= 4 {
        let even = head.iter().step_by(2).filter(|&&b| b == 0).count();
        let odd = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
        let half = head.len() / 2;
        if odd * 10 >= half * 9 && even * 10 < half {
            return Ok(TextEncoding::Utf16Le);
        }
        if even * 10 >= half * 9 && odd * 10 < half {
            return Ok(TextEncoding::Utf16Be);
        }
    }
    // Text that is not UTF-8 throughout is Windows-1252, unless it also
    // holds UTF-8 characters of more than one byte: then it is UTF-8 that
    // was damaged, read as UTF-8 so that the error names where.
    let (multibyte, invalid) = utf8_census(path)?;
    Ok(if invalid == 0 || multibyte > 0 {
        TextEncoding::Utf8
    } else {
        TextEncoding::Windows1252
    })
}

/// The UTF-8 characters of more than one byte in a file, and the byte
/// sequences that are not UTF-8.
fn utf8_census(path: &Path) -> Result<(u64, u64)> {
    let mut f = BufReader::new(File::open(path).map_err(io_err(Msg::RfOpening))?);
    let mut carry: Vec<u8> = Vec::new();
    let (mut multibyte, mut invalid) = (0u64, 0u64);
    let count = |b: &[u8]| b.iter().filter(|&&c| c >= 0xC0).count() as u64;
    loop {
        let buf = f.fill_buf().map_err(io_err(Msg::RfReading))?;
        let end = buf.is_empty();
        let n = buf.len();
        carry.extend_from_slice(buf);
        f.consume(n);
        loop {
            match std::str::from_utf8(&carry) {
                Ok(_) => {
                    multibyte += count(&carry);
                    carry.clear();
                    break;
                }
                Err(e) => {
                    let good = e.valid_up_to();
                    multibyte += count(&carry[..good]);
                    match e.error_len() {
                        Some(bad) => {
                            invalid += 1;
                            carry.drain(..good + bad);
                        }
                        None if end => {
                            invalid += 1;
                            carry.clear();
                            break;
                        }
                        None => {
                            carry.drain(..good);
                            break;
                        }
                    }
                }
            }
        }
        if end {
            return Ok((multibyte, invalid));
        }
    }
}

/// Checks that a file is UTF-8 throughout.
fn check_utf8(path: &Path) -> Result<()> {
    let mut f = BufReader::new(File::open(path).map_err(io_err(Msg::RfOpening))?);
    let mut carry: Vec<u8> = Vec::new();
    let mut offset = 0u64;
    loop {
        let buf = f.fill_buf().map_err(io_err(Msg::RfReading))?;
        if buf.is_empty() {
            break;
        }
        let n = buf.len();
        carry.extend_from_slice(buf);
        f.consume(n);
        match std::str::from_utf8(&carry) {
            Ok(_) => {
                offset += carry.len() as u64;
                carry.clear();
            }
            Err(e) if e.error_len().is_none() => {
                let good = e.valid_up_to();
                offset += good as u64;
                carry.drain(..good);
            }
            Err(e) => {
                return Err(fail(
                    Said::new(Msg::RfReading),
                    said!(Msg::RfByteNotUtf8, offset + e.valid_up_to() as u64),
                ))
            }
        }
    }
    if !carry.is_empty() {
        return Err(fail(
            Said::new(Msg::RfReading),
            Said::new(Msg::RfEndsInsideUtf8),
        ));
    }
    Ok(())
}

/// Writes the text of `path`, in `encoding`, as UTF-8 to `out` (a
/// byte-order mark dropped).
fn transcode(path: &Path, encoding: TextEncoding, out: &mut File) -> Result<()> {
    let mut input = File::open(path).map_err(io_err(Msg::RfOpening))?;
    let mut out = io::BufWriter::new(out);
    let mut decoder = encoding.encoding().new_decoder_with_bom_removal();
    let mut inbuf = vec![0u8; 1 << 16];
    let mut outbuf = vec![0u8; (1 << 18) + 16];
    let context = said!(Msg::RfReadingAs, encoding);
    let mut offset = 0u64;
    loop {
        let n = match input.read(&mut inbuf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(context.clone(), e)),
        };
        let last = n == 0;
        let mut src = &inbuf[..n];
        loop {
            let (result, read, written) =
                decoder.decode_to_utf8_without_replacement(src, &mut outbuf, last);
            out.write_all(&outbuf[..written])
                .map_err(io_err(Msg::CtxWritingTemp))?;
            src = &src[read..];
            offset += read as u64;
            match result {
                encoding_rs::DecoderResult::InputEmpty => break,
                encoding_rs::DecoderResult::OutputFull => {}
                encoding_rs::DecoderResult::Malformed(_, _) => {
                    return Err(fail(context, said!(Msg::RfByteNotIn, offset, encoding)))
                }
            }
        }
        if last {
            break;
        }
    }
    out.flush().map_err(io_err(Msg::CtxWritingTemp))?;
    Ok(())
}

fn skip_bom(r: &mut impl BufRead) -> Result<()> {
    let buf = r.fill_buf().map_err(io_err(Msg::RfReading))?;
    if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
        r.consume(3);
    }
    Ok(())
}

fn skip_blank(r: &mut impl BufRead) -> Result<()> {
    loop {
        let buf = r.fill_buf().map_err(io_err(Msg::RfReading))?;
        if buf.is_empty() {
            return Ok(());
        }
        let n = buf
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            .count();
        let all = n == buf.len();
        r.consume(n);
        if !all {
            return Ok(());
        }
    }
}

fn peek(r: &mut impl BufRead) -> Result<Option<u8>> {
    let buf = r.fill_buf().map_err(io_err(Msg::RfReading))?;
    Ok(buf.first().copied())
}

// ---------------------------------------------------------------------------
// JSON

/// A JSON object's members in their order, values as their JSON text.
struct Object(Vec<(String, Box<RawValue>)>);

impl<'de> serde::Deserialize<'de> for Object {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Object;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Object, A::Error> {
                let mut members = Vec::new();
                while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                    members.push(entry);
                }
                Ok(Object(members))
            }
        }
        d.deserialize_map(V)
    }
}

/// A JSON array of objects or NDJSON, read one object at a time.
struct JsonRows {
    reader: BufReader<File>,
    ndjson: bool,
    header: Vec<String>,
    index: HashMap<String, usize>,
    started: bool,
    done: bool,
    rows: u64,
    cells: Vec<String>,
}

impl JsonRows {
    fn new(file: File, header: &[String], ndjson: bool) -> Result<JsonRows> {
        let mut reader = BufReader::with_capacity(1 << 16, file);
        skip_bom(&mut reader)?;
        Ok(JsonRows {
            reader,
            ndjson,
            header: header.to_vec(),
            index: header
                .iter()
                .enumerate()
                .map(|(i, h)| (h.clone(), i))
                .collect(),
            started: false,
            done: false,
            rows: 0,
            cells: vec![String::new(); header.len()],
        })
    }

    /// The union of the objects' keys, first seen first.
    fn keys(path: &Path, ndjson: bool) -> Result<Vec<String>> {
        let file = File::open(path).map_err(io_err(Msg::RfOpening))?;
        let mut rows = JsonRows::new(file, &[], ndjson)?;
        let mut keys = Vec::new();
        let mut seen = std::collections::HashSet::new();
        while let Some(obj) = rows.next_object()? {
            for (k, _) in obj.0 {
                if seen.insert(k.clone()) {
                    keys.push(k);
                }
            }
        }
        if keys.is_empty() {
            return Err(fail(Said::new(Msg::RfJson), Said::new(Msg::RfNoKeys)));
        }
        Ok(keys)
    }

    fn error(&self, msg: impl std::fmt::Display) -> Error {
        fail(
            Said::new(Msg::RfJson),
            said!(Msg::RfObject, self.rows + 1, msg),
        )
    }

    fn next_object(&mut self) -> Result<Option<Object>> {
        if self.done {
            return Ok(None);
        }
        skip_blank(&mut self.reader)?;
        if !self.ndjson {
            if !self.started {
                if peek(&mut self.reader)? != Some(b'[') {
                    return Err(self.error("the file does not start with ["));
                }
                self.reader.consume(1);
                self.started = true;
                skip_blank(&mut self.reader)?;
            } else {
                match peek(&mut self.reader)? {
                    Some(b',') => {
                        self.reader.consume(1);
                        skip_blank(&mut self.reader)?;
                    }
                    Some(b']') => {}
                    None => return Err(self.error("the array is cut short (no closing ])")),
                    Some(c) => {
                        return Err(self.error(format!(
                            "expected , or ] between objects, found {:?}",
                            c as char
                        )))
                    }
                }
            }
            if peek(&mut self.reader)? == Some(b']') {
                self.reader.consume(1);
                skip_blank(&mut self.reader)?;
                if peek(&mut self.reader)?.is_some() {
                    return Err(self.error("text after the closing ]"));
                }
                self.done = true;
                return Ok(None);
            }
        } else if peek(&mut self.reader)?.is_none() {
            self.done = true;
            return Ok(None);
        }
        if peek(&mut self.reader)? != Some(b'{') {
            return Err(self.error("not an object"));
        }
        let mut de = serde_json::Deserializer::from_reader(&mut self.reader);
        let obj =
            <Object as serde::Deserialize>::deserialize(&mut de).map_err(|e| self.error(e))?;
        Ok(Some(obj))
    }
}

/// A JSON value as a cell's text: a string as it is, a number as its
/// JSON text, null as empty, true or false, and anything else as compact
/// JSON.
fn json_cell(raw: &RawValue, out: &mut String) -> std::result::Result<(), serde_json::Error> {
    out.clear();
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'"') => out.push_str(&serde_json::from_str::<String>(text)?),
        Some(b'n') => {}
        Some(b'{') | Some(b'[') => {
            out.push_str(&serde_json::from_str::<serde_json::Value>(text)?.to_string())
        }
        _ => out.push_str(text),
    }
    Ok(())
}

impl RowSource for JsonRows {
    fn header(&self) -> &[String] {
        &self.header
    }

    fn next_batch(&mut self, batch: &mut RowBatch, limit: usize) -> Result<bool> {
        batch.start(self.header.len(), self.rows + 1);
        while batch.len() < limit.max(1) {
            let Some(obj) = self.next_object()? else {
                break;
            };
            for c in &mut self.cells {
                c.clear();
            }
            for (k, v) in &obj.0 {
                let Some(&i) = self.index.get(k) else {
                    return Err(self.error(format!("key {k:?} was not seen before")));
                };
                let mut text = String::new();
                json_cell(v, &mut text).map_err(|e| self.error(e))?;
                self.cells[i] = text;
            }
            self.rows += 1;
            batch.push_row(self.cells.iter().map(String::as_str), None);
        }
        Ok(!batch.is_empty())
    }
}

// ---------------------------------------------------------------------------
// Sheets

/// A sheet's rows as the text a user sees.
struct SheetRows {
    range: calamine::Range<calamine::Data>,
    next: usize,
    header: Vec<String>,
    rows: u64,
}

impl SheetRows {
    fn new(range: calamine::Range<calamine::Data>, header: Vec<String>) -> SheetRows {
        SheetRows {
            range,
            next: 0,
            header,
            rows: 0,
        }
    }

    /// The next row with a cell that is not empty, as text.
    fn next_nonempty(&mut self) -> Option<Vec<String>> {
        let height = self.range.height();
        while self.next < height {
            let k = self.next;
            self.next += 1;
            let row: Vec<String> = (0..self.range.width())
                .map(|j| self.range.get((k, j)).map(sheet_cell).unwrap_or_default())
                .collect();
            if row.iter().any(|c| !c.is_empty()) {
                return Some(row);
            }
        }
        None
    }
}

/// A cell as a spreadsheet shows it: integral numbers without `.0`, dates
/// as `YYYY-MM-DD` (with the time when it has one), booleans as TRUE and
/// FALSE.
fn sheet_cell(d: &calamine::Data) -> String {
    use calamine::Data;
    match d {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                format!("{f}")
            }
        }
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{m:02}-{d:02}")
            } else {
                format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        Data::DateTime(dt) => format!("{}", dt.as_f64()),
        Data::Error(e) => e.to_string(),
    }
}

impl RowSource for SheetRows {
    fn header(&self) -> &[String] {
        &self.header
    }

    fn next_batch(&mut self, batch: &mut RowBatch, limit: usize) -> Result<bool> {
        let columns = self.header.len();
        batch.start(columns, self.rows + 1);
        while batch.len() < limit.max(1) {
            let Some(mut row) = self.next_nonempty() else {
                break;
            };
            row.resize(columns, String::new());
            self.rows += 1;
            batch.push_row(row.iter().map(String::as_str), None);
        }
        Ok(!batch.is_empty())
    }
}

// ---------------------------------------------------------------------------
// Combining sources

/// A source whose header row is data, read with a supplied header.
struct Prepended {
    inner: Box<dyn RowSource>,
    header: Vec<String>,
    first: Option<Vec<String>>,
    tmp: RowBatch,
    rows: u64,
}

impl RowSource for Prepended {
    fn header(&self) -> &[String] {
        &self.header
    }

    fn next_batch(&mut self, batch: &mut RowBatch, limit: usize) -> Result<bool> {
        let columns = self.header.len();
        batch.start(columns, self.rows + 1);
        if let Some(first) = self.first.take() {
            batch.push_row(first.iter().map(String::as_str), None);
            self.rows += 1;
        }
        let want = limit.max(1).saturating_sub(batch.len()).max(1);
        if self.inner.next_batch(&mut self.tmp, want)? {
            for row in self.tmp.rows() {
                batch.push_row(row.iter(), None);
                self.rows += 1;
            }
        }
        Ok(!batch.is_empty())
    }

    fn bytes_read(&self) -> u64 {
        self.inner.bytes_read()
    }
}

/// Several sources as one, over the union of their columns.
struct Chain {
    header: Vec<String>,
    sources: std::collections::VecDeque<(Box<dyn RowSource>, Vec<usize>)>,
    batch: RowBatch,
    rows: u64,
    cells: Vec<String>,
}

impl RowSource for Chain {
    fn header(&self) -> &[String] {
        &self.header
    }

    fn next_batch(&mut self, batch: &mut RowBatch, limit: usize) -> Result<bool> {
        let columns = self.header.len();
        batch.start(columns, self.rows + 1);
        while let Some((src, map)) = self.sources.front_mut() {
            if !src.next_batch(&mut self.batch, limit)? {
                self.sources.pop_front();
                continue;
            }
            self.cells.resize(columns, String::new());
            for row in self.batch.rows() {
                for c in &mut self.cells {
                    c.clear();
                }
                for (i, cell) in row.iter().enumerate() {
                    self.cells[map[i]].push_str(cell);
                }
                batch.push_row(self.cells.iter().map(String::as_str), None);
                self.rows += 1;
            }
            break;
        }
        Ok(!batch.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    fn rows(r: &Received) -> Vec<Vec<String>> {
        let mut src = r.open().unwrap();
        let mut batch = RowBatch::new();
        let mut out = Vec::new();
        while src.next_batch(&mut batch, 2).unwrap() {
            out.extend(batch.rows().map(|r| r.iter().map(str::to_string).collect()));
        }
        out
    }

    #[test]
    fn encodings_are_told_by_their_bytes() {
        let cases: [(&[u8], TextEncoding); 6] = [
            (b"CURP,CALLE\nA,B\n", TextEncoding::Utf8),
            ("CURP,CALLE\nPEÑA,B\n".as_bytes(), TextEncoding::Utf8),
            (b"\xEF\xBB\xBFCURP\n", TextEncoding::Utf8),
            (b"CURP;CALLE\r\nPE\xD1A;B\r\n", TextEncoding::Windows1252),
            (b"\xFF\xFEC\0U\0", TextEncoding::Utf16Le),
            // UTF-8 with one damaged byte stays UTF-8, to be refused where.
            (b"CURP,CALLE\nPE\xC3\x91A,B\xFF\n", TextEncoding::Utf8),
        ];
        for (bytes, want) in cases {
            assert_eq!(
                TextEncoding::detect(file(bytes).path()).unwrap(),
                want,
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn json_values_become_the_text_a_csv_would_hold() {
        let f = file(
            br#"[{"CURP":"A1","N":1.50,"X":null,"B":true},
                {"CURP":"A2","Z":{"k": [1, 2]},"N":-3}]"#,
        );
        let r = Received::prepare(f.path(), &ReceiveOptions::default()).unwrap();
        assert_eq!(r.reading().format, "json");
        assert_eq!(r.header(), ["CURP", "N", "X", "B", "Z"]);
        assert_eq!(
            rows(&r),
            [
                vec!["A1", "1.50", "", "true", ""],
                vec!["A2", "-3", "", "", r#"{"k":[1,2]}"#],
            ]
        );
    }

    #[test]
    fn a_cut_short_json_array_is_refused() {
        let f = file(br#"[{"CURP":"A1"},{"CURP":"A2"}"#);
        let e = Received::prepare(f.path(), &ReceiveOptions::default()).unwrap_err();
        assert!(e.to_string().contains("cut short"), "{e}");
    }

    #[test]
    fn sheet_cells_read_as_a_spreadsheet_shows_them() {
        use calamine::Data;
        assert_eq!(sheet_cell(&Data::Float(1234.0)), "1234");
        assert_eq!(sheet_cell(&Data::Float(12.5)), "12.5");
        assert_eq!(sheet_cell(&Data::String("00123".into())), "00123");
        assert_eq!(sheet_cell(&Data::Bool(true)), "TRUE");
        let date =
            calamine::ExcelDateTime::new(31_108.0, calamine::ExcelDateTimeType::DateTime, false);
        assert_eq!(sheet_cell(&Data::DateTime(date)), "1985-03-02");
    }
}
