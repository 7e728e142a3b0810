//! Columnar extracts: Parquet and Arrow IPC at the edge, issued and verified
//! like CSV.
//!
//! A columnar extract is read record batch by record batch (Parquet: row group
//! by row group, split into batches), never whole. Each row's cells are seen
//! in their text form, the form a CSV export shows: strings as they are,
//! integers as decimal digits, decimals with their scale (`6353.93`), dates as
//! `1985-03-02`; a null is an empty cell. The anchor and the slots are those of
//! the CSV path, so a copy converted to CSV reads the same, and the other way
//! round.
//!
//! A copy has the input's schema exactly (names, types, nullability, schema-
//! and field-level metadata) and differs from it only in the carrier cells a
//! recipient's bits change. Only those columns are rebuilt; every other column
//! of a copy's batch is the input's own array, shared. Carrier columns must be
//! text (`Utf8`, `LargeUtf8`, `Utf8View`), decimal or integer. A Parquet copy
//! keeps the input's row groups (each input row group is one in the copy, with
//! the canaries placed in it) and each column's compression codec; an Arrow
//! IPC copy keeps the input's batches and its format (file or stream).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex};

use arrow_array::builder::{GenericStringBuilder, StringViewBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowDictionaryKeyType, ArrowPrimitiveType, Date32Type, Date64Type, Decimal128Type,
    Decimal256Type, Decimal32Type, Decimal64Type, DecimalType, Float32Type, Float64Type, Int16Type,
    Int32Type, Int64Type, Int8Type, Time32MillisecondType, Time32SecondType, Time64MicrosecondType,
    Time64NanosecondType, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{
    Array, ArrayRef, BooleanArray, DictionaryArray, GenericStringArray, LargeStringArray,
    NullArray, OffsetSizeTrait, PrimitiveArray, RecordBatch, StringArray, StringViewArray,
    UInt32Array,
};
use arrow_buffer::ArrowNativeType as _;
use arrow_ipc::reader::{FileReader, StreamReader};
use arrow_ipc::writer::{FileWriter, IpcWriteOptions, StreamWriter};
use arrow_ipc::CompressionType;
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::metadata::{KeyValue, ParquetMetaData};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{ChunkReader, Length};

use crate::csv_io::Dialect;
use crate::csv_io::{field, header, reader, sniff, utf8_fields, IssueOptions, IssueSummary};
use watermark_core::{Attribution, Detector};
use watermark_core::{Embedder, RowMarker};
use watermark_core::{Progress, RowBatch, RowSource};
use watermark_text::{said, Msg, Said};
use {
    crate::csv_error::from_csv,
    watermark_core::{Error, ErrorKind, Result},
};

/// The Arrow and Parquet crates this module's API speaks, re-exported so
/// callers build and read batches with the same versions.
pub mod reexport {
    pub use arrow_array;
    pub use arrow_buffer;
    pub use arrow_ipc;
    pub use arrow_schema;
    pub use arrow_select;
    pub use bytes;
    pub use parquet;
}

/// The file formats an extract or a leak may come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Delimited text (see [`issue_csv`](crate::issue_csv)).
    Csv,
    /// Apache Parquet.
    Parquet,
    /// Arrow IPC, file (`.arrow`, Feather v2) or stream format.
    ArrowIpc,
}

/// Parquet files start (and end) with these bytes.
const PARQUET_MAGIC: &[u8] = b"PAR1";
/// Arrow IPC files start with these bytes (then two bytes of padding).
const ARROW_FILE_MAGIC: &[u8] = b"ARROW1";
/// Every message of an Arrow IPC stream starts with this marker.
const ARROW_CONTINUATION: &[u8] = &[0xFF; 4];

impl Format {
    /// The format of a file from its first bytes (8 are enough): Parquet by
    /// its magic `PAR1`, Arrow IPC by the file magic `ARROW1` or a stream's
    /// continuation marker `FF FF FF FF`; anything else is taken for CSV.
    pub fn sniff(first_bytes: &[u8]) -> Format {
        if first_bytes.starts_with(PARQUET_MAGIC) {
            Format::Parquet
        } else if first_bytes.starts_with(ARROW_FILE_MAGIC)
            || first_bytes.starts_with(ARROW_CONTINUATION)
        {
            Format::ArrowIpc
        } else {
            Format::Csv
        }
    }

    /// The format a file name's extension names (case ignored): `.csv`,
    /// `.tsv`, `.txt`; `.parquet`, `.parq`, `.pq`; `.arrow`, `.arrows`,
    /// `.ipc`, `.feather`. `None` for any other.
    pub fn from_extension(path: impl AsRef<Path>) -> Option<Format> {
        let ext = path.as_ref().extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "parquet" | "parq" | "pq" => Some(Format::Parquet),
            "arrow" | "arrows" | "ipc" | "feather" => Some(Format::ArrowIpc),
            _ => None,
        }
    }

    /// The usual extension of a file in this format, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
            Format::ArrowIpc => "arrow",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::Csv => "CSV",
            Format::Parquet => "Parquet",
            Format::ArrowIpc => "Arrow IPC",
        })
    }
}

// ---------------------------------------------------------------------------
// Errors

/// A read or write failure of the Arrow or Parquet layer. Their messages
/// describe structure (types, offsets, lengths), never cell values: the
/// conversions that could quote a value build their own errors.
fn format_error(context: impl Into<watermark_core::Message>, e: impl std::fmt::Display) -> Error {
    Error::io(
        context,
        io::Error::new(io::ErrorKind::InvalidData, e.to_string()),
    )
}

thread_local! {
    /// Whether this thread is inside a [`guarded`] call.
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Installs a panic hook that stays silent for the panics of the Arrow and
/// Parquet readers on damaged files (which the adaptors catch and turn into
/// errors naming the file) and passes every other panic to the hook that
/// was there before. A program calls it once at start; without it those
/// panics are still caught, and the default hook prints their message.
///
/// The library never installs it itself: the panic hook is the program's.
pub fn silence_reader_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !GUARDED.with(std::cell::Cell::get) {
            previous(info);
        }
    }));
}

/// Runs `f`, a call into the Arrow or Parquet reader, turning a panic into
/// an error: on some damaged files those readers panic (an offset past the
/// end of a buffer, say) instead of returning one, and a damaged leak must
/// be refused, not bring the program or the service down. (See
/// [`silence_reader_panics`] to keep such panics off stderr.)
fn guarded<T>(context: Msg, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let outer = GUARDED.with(|g| g.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(outer));
    result.unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no reason given".to_owned());
        Err(format_error(context, said!(Msg::CfReaderFailed, why)))
    })
}

/// The batches of a reader, each read under [`guarded`].
struct Guarded<I> {
    inner: I,
    context: Msg,
    failed: bool,
}

impl<I: Iterator<Item = Result<RecordBatch>>> Iterator for Guarded<I> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let inner = &mut self.inner;
        match guarded(self.context, || Ok(inner.next())) {
            Ok(item) => item,
            Err(e) => {
                // A reader that panicked is in no state to go on.
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

fn arrow_error(context: impl Into<watermark_core::Message>, e: ArrowError) -> Error {
    match e {
        ArrowError::IoError(_, source) => Error::io(context, source),
        ArrowError::ExternalError(inner) => match inner.downcast::<io::Error>() {
            Ok(source) => Error::io(context, *source),
            Err(other) => format_error(context, other),
        },
        other => format_error(context, other),
    }
}

fn parquet_error(context: impl Into<watermark_core::Message>, e: ParquetError) -> Error {
    match e {
        ParquetError::External(inner) => match inner.downcast::<io::Error>() {
            Ok(source) => Error::io(context, *source),
            Err(other) => format_error(context, other),
        },
        other => format_error(context, other),
    }
}

/// Places an error at a data row (1-based). A columnar file has no lines; the
/// line given is the one the row has in the extract's CSV form (header on
/// line 1), which is where a user converting it would look.
fn at_row(e: Error, row: u64) -> Error {
    e.at_row(row, row + 1)
}

// ---------------------------------------------------------------------------
// Reading: a shared `Read + Seek` as Parquet's `ChunkReader`

/// Counts the input bytes read, for progress reports.
#[derive(Clone, Debug, Default)]
struct ByteCount(Arc<AtomicU64>);

impl ByteCount {
    fn add(&self, n: usize) {
        self.0.fetch_add(n as u64, Ordering::Relaxed);
    }

    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Any `Read + Seek` as a Parquet [`ChunkReader`]: every reader it hands out
/// seeks the one shared input before each read.
struct SharedInput<R> {
    inner: Arc<Mutex<R>>,
    len: u64,
    count: ByteCount,
}

impl<R: Read + Seek> SharedInput<R> {
    fn new(mut input: R, count: ByteCount) -> Result<Self> {
        let len = input
            .seek(SeekFrom::End(0))
            .map_err(|e| Error::io(Msg::CfReadingParquet, e))?;
        Ok(SharedInput {
            inner: Arc::new(Mutex::new(input)),
            len,
            count,
        })
    }
}

fn poisoned() -> io::Error {
    io::Error::other("the input was poisoned by a panic")
}

impl<R> Length for SharedInput<R> {
    fn len(&self) -> u64 {
        self.len
    }
}

impl<R: Read + Seek + Send> ChunkReader for SharedInput<R> {
    // Page headers are read a few bytes at a time: buffer them.
    type T = io::BufReader<SharedRead<R>>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(io::BufReader::with_capacity(
            1 << 13,
            SharedRead {
                inner: Arc::clone(&self.inner),
                pos: start,
                count: self.count.clone(),
            },
        ))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<bytes::Bytes> {
        let end = start.checked_add(length as u64);
        if end.is_none_or(|end| end > self.len) {
            return Err(ParquetError::EOF(format!(
                "bytes {start}..+{length} are past the end of the file ({} bytes)",
                self.len
            )));
        }
        let mut input = self.inner.lock().map_err(|_| poisoned())?;
        input.seek(SeekFrom::Start(start))?;
        let mut buf = vec![0; length];
        input.read_exact(&mut buf)?;
        self.count.add(length);
        Ok(buf.into())
    }
}

/// A reader of a [`SharedInput`] from some offset on.
struct SharedRead<R> {
    inner: Arc<Mutex<R>>,
    pos: u64,
    count: ByteCount,
}

impl<R: Read + Seek> Read for SharedRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut input = self.inner.lock().map_err(|_| poisoned())?;
        input.seek(SeekFrom::Start(self.pos))?;
        let n = input.read(buf)?;
        self.pos += n as u64;
        self.count.add(n);
        Ok(n)
    }
}

/// A reader that counts what it reads.
struct Counting<R> {
    inner: R,
    count: ByteCount,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.add(n);
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

// ---------------------------------------------------------------------------
// Sources: an input as a schema and a stream of batches

type Batches = Box<dyn Iterator<Item = Result<RecordBatch>>>;

/// An opened columnar input.
struct Source {
    schema: SchemaRef,
    batches: Batches,
    /// Rows of each Parquet row group; empty for Arrow IPC.
    groups: Vec<u64>,
    count: ByteCount,
    kind: SourceKind,
}

enum SourceKind {
    Parquet(Arc<ParquetMetaData>),
    /// The file's custom metadata, and its batches' compression.
    IpcFile(Vec<(String, String)>, Option<CompressionType>),
    IpcStream(Option<CompressionType>),
    /// Record batches a caller holds (a table in memory, a stream).
    Memory,
}

fn open_parquet<R: Read + Seek + Send + 'static>(input: R, batch_rows: usize) -> Result<Source> {
    let count = ByteCount::default();
    let shared = SharedInput::new(input, count.clone())?;
    let context = Msg::CfReadingParquet;
    let builder = guarded(context, || {
        ParquetRecordBatchReaderBuilder::try_new(shared).map_err(|e| parquet_error(context, e))
    })?
    .with_batch_size(batch_rows.max(1));
    let metadata = Arc::clone(builder.metadata());
    let schema = Arc::clone(builder.schema());
    let groups = metadata
        .row_groups()
        .iter()
        .map(|g| g.num_rows().max(0) as u64)
        .collect();
    let reader = guarded(context, || {
        builder.build().map_err(|e| parquet_error(context, e))
    })?;
    Ok(Source {
        schema,
        batches: Box::new(Guarded {
            inner: reader.map(move |b| b.map_err(|e| arrow_error(context, e))),
            context,
            failed: false,
        }),
        groups,
        count,
        kind: SourceKind::Parquet(metadata),
    })
}

fn open_arrow_ipc<R: Read + Seek + 'static>(mut input: R) -> Result<Source> {
    let context = Msg::CfReadingArrow;
    let mut magic = [0u8; 6];
    let mut got = 0;
    while got < magic.len() {
        match input.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(context, e)),
        }
    }
    if got == 0 {
        return Err(ErrorKind::EmptyInput.into());
    }
    let file = magic[..got].starts_with(ARROW_FILE_MAGIC);
    let compression = ipc_layout(&mut input, file)?;
    input
        .seek(SeekFrom::Start(0))
        .map_err(|e| Error::io(context, e))?;
    let count = ByteCount::default();
    let input = Counting {
        inner: input,
        count: count.clone(),
    };
    if file {
        let reader = guarded(context, || {
            FileReader::try_new_buffered(input, None).map_err(|e| arrow_error(context, e))
        })?;
        let mut custom: Vec<(String, String)> = reader
            .custom_metadata()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        custom.sort();
        Ok(Source {
            schema: reader.schema(),
            batches: Box::new(Guarded {
                inner: reader.map(move |b| b.map_err(|e| arrow_error(context, e))),
                context,
                failed: false,
            }),
            groups: Vec::new(),
            count,
            kind: SourceKind::IpcFile(custom, compression),
        })
    } else {
        let reader = guarded(context, || {
            StreamReader::try_new_buffered(input, None).map_err(|e| arrow_error(context, e))
        })?;
        Ok(Source {
            schema: reader.schema(),
            batches: Box::new(Guarded {
                inner: reader.map(move |b| b.map_err(|e| arrow_error(context, e))),
                context,
                failed: false,
            }),
            groups: Vec::new(),
            count,
            kind: SourceKind::IpcStream(compression),
        })
    }
}

/// Reads an Arrow IPC input's layout: its footer and batch blocks (file) or
/// its message headers (stream), without the data.
///
/// Refuses an input whose footer, batches or messages claim more bytes than
/// it holds: the reader allocates what they claim (gigabytes, for one
/// damaged length) before it finds out. Anything else wrong is left for the
/// reader to report.
///
/// Returns the compression of the first record (or dictionary) batch, read
/// from its message header: what the copies are written with. `None` when
/// uncompressed or not found.
fn ipc_layout<R: Read + Seek>(input: &mut R, file: bool) -> Result<Option<CompressionType>> {
    let context = Msg::CfReadingArrow;
    let io_error = |e| Error::io(context, e);
    let damaged = |what: String| Err(format_error(context, said!(Msg::CfDamaged, what)));
    /// A batch message's compression: `Some(None)` when it is uncompressed;
    /// `None` when the message is not a batch.
    fn of_message(message: &arrow_ipc::Message<'_>) -> Option<Option<CompressionType>> {
        let batch = message
            .header_as_record_batch()
            .or_else(|| message.header_as_dictionary_batch()?.data())?;
        Some(batch.compression().map(|c| c.codec()))
    }
    let size = input.seek(SeekFrom::End(0)).map_err(io_error)?;
    let mut read_at = |at: u64, len: u64| -> Result<Vec<u8>> {
        input.seek(SeekFrom::Start(at)).map_err(io_error)?;
        let mut buf = vec![0; len as usize];
        input.read_exact(&mut buf).map_err(io_error)?;
        Ok(buf)
    };
    if file {
        if size < 10 {
            return Ok(None);
        }
        let tail: [u8; 10] = read_at(size - 10, 10)?.try_into().expect("10 bytes");
        let Ok(footer_len) = arrow_ipc::reader::read_footer_length(tail) else {
            return Ok(None);
        };
        let footer_len = footer_len as u64;
        if footer_len + 10 > size {
            return damaged(format!(
                "its footer claims {footer_len} bytes, more than the file's {size}"
            ));
        }
        let footer = read_at(size - 10 - footer_len, footer_len)?;
        let Ok(footer) = arrow_ipc::root_as_footer(&footer) else {
            return Ok(None);
        };
        let blocks = footer
            .recordBatches()
            .into_iter()
            .chain(footer.dictionaries())
            .flat_map(|b| b.iter());
        for block in blocks {
            let end = [
                block.offset(),
                i64::from(block.metaDataLength()),
                block.bodyLength(),
            ]
            .into_iter()
            .try_fold(0u64, |sum, n| sum.checked_add(u64::try_from(n).ok()?));
            if end.is_none_or(|end| end > size) {
                return damaged(format!(
                    "a batch at byte {} claims bytes past the end of the file ({size} bytes)",
                    block.offset()
                ));
            }
        }
        // The first record batch's message: after the continuation marker
        // (or, in old files, none) and the length.
        let Some(block) = footer.recordBatches().and_then(|b| b.iter().next()) else {
            return Ok(None);
        };
        let meta = read_at(block.offset() as u64, block.metaDataLength() as u64)?;
        let skip = if meta.starts_with(ARROW_CONTINUATION) {
            8
        } else {
            4
        };
        let message = meta
            .get(skip..)
            .and_then(|m| arrow_ipc::root_as_message(m).ok());
        Ok(message.and_then(|m| of_message(&m)).flatten())
    } else {
        let mut at = 0u64;
        let mut compression = None;
        while size - at >= 8 {
            let head = read_at(at, 8)?;
            let (skip, len) = if head.starts_with(ARROW_CONTINUATION) {
                (
                    8,
                    u32::from_le_bytes(head[4..8].try_into().expect("4 bytes")),
                )
            } else {
                (
                    4,
                    u32::from_le_bytes(head[..4].try_into().expect("4 bytes")),
                )
            };
            if len == 0 || len > i32::MAX as u32 {
                // The end of the stream, or a length the reader refuses.
                break;
            }
            let meta_end = at + skip + u64::from(len);
            if meta_end > size {
                return damaged(format!(
                    "the message at byte {at} claims {len} bytes of metadata, past the end of \
                     the file ({size} bytes)"
                ));
            }
            let meta = read_at(at + skip, u64::from(len))?;
            let Ok(message) = arrow_ipc::root_as_message(&meta) else {
                break;
            };
            // The schema message, then perhaps dictionaries, then batches.
            if compression.is_none() {
                compression = of_message(&message);
            }
            let body = u64::try_from(message.bodyLength()).unwrap_or(u64::MAX);
            match meta_end.checked_add(body) {
                Some(end) if end <= size => at = end,
                _ => {
                    return damaged(format!(
                        "the message at byte {at} claims {} bytes of data, past the end of the \
                         file ({size} bytes)",
                        message.bodyLength()
                    ))
                }
            }
        }
        Ok(compression.flatten())
    }
}

impl Source {
    fn names(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// The batches, each cut where a Parquet row group ends, with whether a
    /// row group ends after it.
    fn pieces(self) -> Pieces {
        Pieces {
            batches: self.batches,
            groups: self.groups,
            group: 0,
            left_in_group: None,
            pending: None,
        }
    }
}

/// Batches cut at row-group ends.
struct Pieces {
    batches: Batches,
    groups: Vec<u64>,
    group: usize,
    /// Rows of the current group not yet returned.
    left_in_group: Option<u64>,
    pending: Option<RecordBatch>,
}

impl Iterator for Pieces {
    /// A batch and whether a row group ends with it.
    type Item = Result<(RecordBatch, bool)>;

    fn next(&mut self) -> Option<Self::Item> {
        let batch = match self.pending.take() {
            Some(b) => b,
            None => match self.batches.next()? {
                Ok(b) => b,
                Err(e) => return Some(Err(e)),
            },
        };
        if self.groups.is_empty() {
            return Some(Ok((batch, false)));
        }
        // Skip empty row groups: the reader gives them no rows.
        while self.left_in_group.is_none() || self.left_in_group == Some(0) {
            if self.left_in_group == Some(0) {
                self.group += 1;
            }
            match self.groups.get(self.group) {
                Some(&n) => self.left_in_group = Some(n),
                // More rows than the metadata says: keep them in the last group.
                None => {
                    self.left_in_group = Some(u64::MAX);
                    break;
                }
            }
        }
        let left = self.left_in_group.unwrap_or(u64::MAX);
        let rows = batch.num_rows() as u64;
        if rows < left {
            self.left_in_group = Some(left - rows);
            return Some(Ok((batch, false)));
        }
        let take = left as usize;
        if take < batch.num_rows() {
            self.pending = Some(batch.slice(take, batch.num_rows() - take));
        }
        self.left_in_group = Some(0);
        Some(Ok((batch.slice(0, take), true)))
    }
}

// ---------------------------------------------------------------------------
// Text: a column's cells as CSV would show them

/// One column of a batch as text.
enum Text {
    Utf8(StringArray),
    Large(LargeStringArray),
    View(StringViewArray),
    /// Every cell rendered: cell `k` is `buf[ends[k]..ends[k + 1]]`.
    Rendered {
        buf: String,
        ends: Vec<usize>,
    },
    /// A column nobody reads.
    Unused,
}

impl Text {
    /// The text of a column (see [`render`]); a null is empty.
    fn new(array: &ArrayRef, column: &str) -> Result<Text> {
        Ok(match array.data_type() {
            DataType::Utf8 => Text::Utf8(array.as_string::<i32>().clone()),
            DataType::LargeUtf8 => Text::Large(array.as_string::<i64>().clone()),
            DataType::Utf8View => Text::View(array.as_string_view().clone()),
            other => {
                let mut buf = String::with_capacity(array.len() * 8);
                let mut ends = Vec::with_capacity(array.len() + 1);
                ends.push(0);
                if render(array.as_ref(), &mut buf, &mut ends).is_none() {
                    return Err(Error::policy(said!(
                        Msg::FmNoTextForm,
                        format!("{column:?}"),
                        other
                    ))
                    .in_column(column));
                }
                Text::Rendered { buf, ends }
            }
        })
    }

    #[inline]
    fn get(&self, k: usize) -> &str {
        match self {
            Text::Utf8(a) => {
                if a.is_valid(k) {
                    a.value(k)
                } else {
                    ""
                }
            }
            Text::Large(a) => {
                if a.is_valid(k) {
                    a.value(k)
                } else {
                    ""
                }
            }
            Text::View(a) => {
                if a.is_valid(k) {
                    a.value(k)
                } else {
                    ""
                }
            }
            Text::Rendered { buf, ends } => &buf[ends[k]..ends[k + 1]],
            Text::Unused => "",
        }
    }
}

/// Whether cells of this type have a text form (see [`render`]).
fn has_text_form(dt: &DataType) -> bool {
    use DataType::*;
    match dt {
        Utf8 | LargeUtf8 | Utf8View | Boolean | Null => true,
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 => true,
        Float32 | Float64 => true,
        Decimal32(_, s) | Decimal64(_, s) | Decimal128(_, s) | Decimal256(_, s) => *s >= 0,
        Date32 | Date64 | Timestamp(..) => true,
        Time32(u) => matches!(u, TimeUnit::Second | TimeUnit::Millisecond),
        Time64(u) => matches!(u, TimeUnit::Microsecond | TimeUnit::Nanosecond),
        Dictionary(key, values) => key.is_dictionary_key_type() && has_text_form(values),
        _ => false,
    }
}

/// Whether marked text can be written back into cells of this type.
fn writable_carrier(dt: &DataType) -> bool {
    use DataType::*;
    match dt {
        Utf8 | LargeUtf8 | Utf8View => true,
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 => true,
        Decimal32(_, s) | Decimal64(_, s) | Decimal128(_, s) => *s >= 0,
        _ => false,
    }
}

/// Whether a canary's text can be turned into a cell of this type (and
/// renders back to the same text).
fn canary_type(dt: &DataType) -> bool {
    use DataType::*;
    match dt {
        Boolean | Null | Float32 | Float64 | Date32 | Date64 | Timestamp(..) => true,
        Time32(_) | Time64(_) => has_text_form(dt),
        Dictionary(key, values) => {
            key.is_dictionary_key_type() && matches!(**values, Utf8 | LargeUtf8 | Utf8View)
        }
        other => writable_carrier(other),
    }
}

/// Appends every cell of `array` to `buf`, pushing where each ends, in the
/// text form [`ColumnarRows`] describes. `None` for a type without one.
fn render(array: &dyn Array, buf: &mut String, ends: &mut Vec<usize>) -> Option<()> {
    use DataType::*;
    fn each<T: ArrowPrimitiveType>(
        a: &dyn Array,
        buf: &mut String,
        ends: &mut Vec<usize>,
        mut f: impl FnMut(T::Native, &mut String),
    ) {
        let a = a.as_primitive::<T>();
        for k in 0..a.len() {
            if a.is_valid(k) {
                f(a.value(k), buf);
            }
            ends.push(buf.len());
        }
    }
    let w = |buf: &mut String, v: &dyn std::fmt::Display| {
        let _ = write!(buf, "{v}");
    };
    match array.data_type() {
        Utf8 => {
            let a = array.as_string::<i32>();
            for k in 0..a.len() {
                if a.is_valid(k) {
                    buf.push_str(a.value(k));
                }
                ends.push(buf.len());
            }
        }
        LargeUtf8 => {
            let a = array.as_string::<i64>();
            for k in 0..a.len() {
                if a.is_valid(k) {
                    buf.push_str(a.value(k));
                }
                ends.push(buf.len());
            }
        }
        Utf8View => {
            let a = array.as_string_view();
            for k in 0..a.len() {
                if a.is_valid(k) {
                    buf.push_str(a.value(k));
                }
                ends.push(buf.len());
            }
        }
        Null => ends.extend(std::iter::repeat_n(buf.len(), array.len())),
        Boolean => {
            let a = array.as_boolean();
            for k in 0..a.len() {
                if a.is_valid(k) {
                    buf.push_str(if a.value(k) { "true" } else { "false" });
                }
                ends.push(buf.len());
            }
        }
        Int8 => each::<Int8Type>(array, buf, ends, |v, b| w(b, &v)),
        Int16 => each::<Int16Type>(array, buf, ends, |v, b| w(b, &v)),
        Int32 => each::<Int32Type>(array, buf, ends, |v, b| w(b, &v)),
        Int64 => each::<Int64Type>(array, buf, ends, |v, b| w(b, &v)),
        UInt8 => each::<UInt8Type>(array, buf, ends, |v, b| w(b, &v)),
        UInt16 => each::<UInt16Type>(array, buf, ends, |v, b| w(b, &v)),
        UInt32 => each::<UInt32Type>(array, buf, ends, |v, b| w(b, &v)),
        UInt64 => each::<UInt64Type>(array, buf, ends, |v, b| w(b, &v)),
        Float32 => each::<Float32Type>(array, buf, ends, |v, b| w(b, &v)),
        Float64 => each::<Float64Type>(array, buf, ends, |v, b| w(b, &v)),
        Decimal32(_, s) => each::<Decimal32Type>(array, buf, ends, |v, b| {
            write_decimal(&v.to_string(), *s, b)
        }),
        Decimal64(_, s) => each::<Decimal64Type>(array, buf, ends, |v, b| {
            write_decimal(&v.to_string(), *s, b)
        }),
        Decimal128(_, s) => each::<Decimal128Type>(array, buf, ends, |v, b| {
            write_decimal(&v.to_string(), *s, b)
        }),
        Decimal256(_, s) => each::<Decimal256Type>(array, buf, ends, |v, b| {
            write_decimal(&v.to_string(), *s, b)
        }),
        Date32 => each::<Date32Type>(array, buf, ends, |v, b| write_date(i64::from(v), b)),
        Date64 => each::<Date64Type>(array, buf, ends, |v, b| {
            if v.rem_euclid(MS_PER_DAY) == 0 {
                write_date(v.div_euclid(MS_PER_DAY), b)
            } else {
                write_datetime(i128::from(v) * 1_000_000, 3, b)
            }
        }),
        Timestamp(unit, tz) => {
            let (scale, digits) = unit_scale(unit);
            let zone = tz.is_some();
            let f = |v: i64, b: &mut String| {
                write_datetime(i128::from(v) * scale, digits, b);
                if zone {
                    b.push('Z');
                }
            };
            match unit {
                TimeUnit::Second => each::<TimestampSecondType>(array, buf, ends, f),
                TimeUnit::Millisecond => each::<TimestampMillisecondType>(array, buf, ends, f),
                TimeUnit::Microsecond => each::<TimestampMicrosecondType>(array, buf, ends, f),
                TimeUnit::Nanosecond => each::<TimestampNanosecondType>(array, buf, ends, f),
            }
        }
        Time32(TimeUnit::Second) => each::<Time32SecondType>(array, buf, ends, |v, b| {
            write_time(i128::from(v) * 1_000_000_000, 0, b)
        }),
        Time32(TimeUnit::Millisecond) => each::<Time32MillisecondType>(array, buf, ends, |v, b| {
            write_time(i128::from(v) * 1_000_000, 3, b)
        }),
        Time64(TimeUnit::Microsecond) => each::<Time64MicrosecondType>(array, buf, ends, |v, b| {
            write_time(i128::from(v) * 1_000, 6, b)
        }),
        Time64(TimeUnit::Nanosecond) => {
            each::<Time64NanosecondType>(array, buf, ends, |v, b| write_time(i128::from(v), 9, b))
        }
        Dictionary(..) => {
            let d = array.as_any_dictionary_opt()?;
            let mut vbuf = String::new();
            let mut vends = vec![0];
            render(d.values().as_ref(), &mut vbuf, &mut vends)?;
            let keys = d.normalized_keys();
            for (k, &key) in keys.iter().enumerate() {
                if array.is_valid(k) {
                    if let (Some(&a), Some(&b)) = (vends.get(key), vends.get(key + 1)) {
                        buf.push_str(&vbuf[a..b]);
                    }
                }
                ends.push(buf.len());
            }
        }
        _ => return None,
    }
    Some(())
}

const MS_PER_DAY: i64 = 86_400_000;
const NS_PER_DAY: i128 = 86_400_000_000_000;

/// Nanoseconds per unit, and the digits of a second's fraction it has.
fn unit_scale(unit: &TimeUnit) -> (i128, usize) {
    match unit {
        TimeUnit::Second => (1_000_000_000, 0),
        TimeUnit::Millisecond => (1_000_000, 3),
        TimeUnit::Microsecond => (1_000, 6),
        TimeUnit::Nanosecond => (1, 9),
    }
}

/// A decimal's unscaled digits (`-635393`) written at scale `s` (`-6353.93`).
fn write_decimal(unscaled: &str, s: i8, out: &mut String) {
    let (negative, digits) = match unscaled.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, unscaled),
    };
    if negative {
        out.push('-');
    }
    let s = usize::try_from(s).unwrap_or(0);
    if s == 0 {
        out.push_str(digits);
        return;
    }
    if digits.len() <= s {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', s - digits.len()));
        out.push_str(digits);
    } else {
        let (int, frac) = digits.split_at(digits.len() - s);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    }
}

/// Parses text written by [`write_decimal`] (or any plain decimal with at
/// most `s` fraction digits) into its unscaled digits, checking `precision`.
fn parse_decimal(text: &str, precision: u8, s: i8) -> Option<String> {
    let s = usize::try_from(s).ok()?;
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) || frac.len() > s {
        return None;
    }
    let mut unscaled: String = int.trim_start_matches('0').to_string();
    unscaled.push_str(frac);
    unscaled.extend(std::iter::repeat_n('0', s - frac.len()));
    let unscaled = unscaled.trim_start_matches('0');
    if unscaled.len() > usize::from(precision) {
        return None;
    }
    Some(match (negative, unscaled.is_empty()) {
        (_, true) => "0".to_string(),
        (true, false) => format!("-{unscaled}"),
        (false, false) => unscaled.to_string(),
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day number (0 is 1970-01-01).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn write_date(days: i64, out: &mut String) {
    let (y, m, d) = civil_from_days(days);
    let _ = if y < 0 {
        write!(out, "-{:04}-{m:02}-{d:02}", -y)
    } else {
        write!(out, "{y:04}-{m:02}-{d:02}")
    };
}

/// `HH:MM:SS`, then `.` and `digits` digits of the fraction if it is not 0.
fn write_time(ns_of_day: i128, digits: usize, out: &mut String) {
    let secs = ns_of_day.div_euclid(1_000_000_000);
    let frac = ns_of_day.rem_euclid(1_000_000_000);
    let _ = write!(
        out,
        "{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if frac != 0 && digits > 0 {
        let scaled = frac / 10i128.pow(9 - digits as u32);
        let _ = write!(out, ".{scaled:0digits$}");
    }
}

fn write_datetime(ns: i128, digits: usize, out: &mut String) {
    let days = ns.div_euclid(NS_PER_DAY);
    write_date(days as i64, out);
    out.push('T');
    write_time(ns.rem_euclid(NS_PER_DAY), digits, out);
}

/// Parses `[-]YYYY-MM-DD` into a day number.
fn parse_date(text: &str) -> Option<i64> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, text),
    };
    let mut parts = body.splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    let num = |p: &str, len: std::ops::RangeInclusive<usize>| -> Option<i64> {
        (len.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    let y = num(y, 4..=6)?;
    let (m, d) = (num(m, 2..=2)? as u32, num(d, 2..=2)? as u32);
    let y = if negative { -y } else { y };
    if !(1..=12).contains(&m) || d == 0 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    // 31 February and the like do not come back as themselves.
    (civil_from_days(days) == (y, m, d)).then_some(days)
}

/// Parses `HH:MM:SS[.fraction]` into nanoseconds of the day.
fn parse_time(text: &str) -> Option<i128> {
    let (hms, frac) = text.split_once('.').unwrap_or((text, ""));
    let mut parts = hms.split(':');
    let mut field = |max: i128| -> Option<i128> {
        let p = parts.next()?;
        let v: i128 = (p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()?;
        (v < max).then_some(v)
    };
    let (h, m, s) = (field(24)?, field(60)?, field(60)?);
    if parts.next().is_some()
        || frac.len() > 9
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || (text.contains('.') && frac.is_empty())
    {
        return None;
    }
    let mut ns: i128 = 0;
    for (i, b) in frac.bytes().enumerate() {
        ns += i128::from(b - b'0') * 10i128.pow(8 - i as u32);
    }
    Some(((h * 60 + m) * 60 + s) * 1_000_000_000 + ns)
}

/// Parses `DATE` or `DATETHH:MM:SS[.fraction][Z]` into nanoseconds since
/// the epoch.
fn parse_datetime(text: &str) -> Option<i128> {
    let text = text.strip_suffix('Z').unwrap_or(text);
    // The date's own `-` signs come before any `T`.
    let (date, time) = match text.find(['T', ' ']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let days = i128::from(parse_date(date)?);
    let time = match time {
        Some(t) => parse_time(t)?,
        None => 0,
    };
    Some(days * NS_PER_DAY + time)
}

/// The columns of a batch as text, `Unused` where not `needed`.
fn texts(batch: &RecordBatch, names: &[String], needed: &[bool]) -> Result<Vec<Text>> {
    batch
        .columns()
        .iter()
        .zip(names)
        .zip(needed)
        .map(|((a, name), &need)| {
            if need {
                Text::new(a, name)
            } else {
                Ok(Text::Unused)
            }
        })
        .collect()
}

/// Reads Arrow columns into `observer`, cell by cell in the text form
/// issuance marks them in (see [`ColumnarRows`]): `columns[i]` is the
/// column named `names[i]`, the header the observer was bound with, and
/// `rows[k]` the number of the columns' row `k` in the whole leak. Only the
/// columns `detector` reads are rendered. For engines that hand a
/// verification its rows as record batches (a query's aggregate).
pub fn observe_columns(
    detector: &Detector,
    observer: &mut watermark_core::Observer<'_>,
    names: &[String],
    columns: &[ArrayRef],
    rows: &[u64],
) -> Result<()> {
    let mut needed = vec![false; names.len()];
    for i in detector.fields_read(names)? {
        needed[i] = true;
    }
    let texts = columns
        .iter()
        .zip(names)
        .zip(&needed)
        .map(|((a, name), &need)| {
            if need {
                Text::new(a, name)
            } else {
                Ok(Text::Unused)
            }
        })
        .collect::<Result<Vec<_>>>()?;
    for (k, &row) in rows.iter().enumerate() {
        observer
            .observe(row, |i| texts[i].get(k))
            .map_err(|e| at_row(e, row))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Rows of text: canaries, policy suggestion, matching to the master

/// A columnar extract read as rows of text: a [`RowSource`], streamed record
/// batch by record batch.
///
/// Each cell is in the text form a CSV export shows, which is also the form
/// issuance and verification read identity and carrier cells in (anchors
/// are computed on it, so it never changes):
///
/// - text as it is; a null, in any column, as an empty cell;
/// - integers as decimal digits, with `-` when negative;
/// - decimals with exactly their scale's digits after a `.` (`6353.93`,
///   `-0.05`; `12` at scale 0);
/// - floats as Rust's `Display` prints them: the shortest digits that read
///   back as the same number, never in exponent form (`0.1`, `1`, `-2.5`,
///   `NaN`, `inf`), so an NSS a spreadsheet turned into a float still reads
///   as its digits;
/// - booleans as `true` / `false`;
/// - dates as `YYYY-MM-DD`; timestamps (and a `Date64` that is not a whole
///   day) as `YYYY-MM-DDTHH:MM:SS`, with the fraction of a second when there
///   is one, and `Z` when the column has a time zone (the instant is always
///   written in UTC); times as `HH:MM:SS` and a fraction;
/// - a dictionary-encoded cell as its value.
///
/// Columns of other types (binary, nested, intervals, durations) have no
/// text form: an identity or carrier column of such a type is refused, and
/// [`ColumnarRows`] refuses to read rows of an extract that has one.
///
/// Cells are rendered straight from each batch's arrays into the
/// [`RowBatch`]'s text buffer, column by column. A row's line, in errors, is
/// the one it has in the extract's CSV form (`row + 1`).
pub struct ColumnarRows {
    header: Vec<String>,
    schema: SchemaRef,
    batches: Batches,
    count: ByteCount,
    /// The rest of a record batch cut at a caller's limit.
    pending: Option<RecordBatch>,
    /// Rows handed out so far.
    row: u64,
    failed: bool,
    /// Where each cell of the column being rendered ends.
    ends: Vec<usize>,
}

impl std::fmt::Debug for ColumnarRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The rows are personal data: only where the reader is.
        f.debug_struct("ColumnarRows")
            .field("columns", &self.header.len())
            .field("row", &self.row)
            .finish_non_exhaustive()
    }
}

impl ColumnarRows {
    /// Reads a Parquet extract.
    pub fn parquet<R: Read + Seek + Send + 'static>(input: R) -> Result<ColumnarRows> {
        Ok(Self::from_source(open_parquet(input, 8192)?))
    }

    /// Reads an Arrow IPC extract, file or stream format.
    pub fn arrow_ipc<R: Read + Seek + 'static>(input: R) -> Result<ColumnarRows> {
        Ok(Self::from_source(open_arrow_ipc(input)?))
    }

    /// Reads an extract in the given format (not CSV: see
    /// [`CsvRows`](crate::CsvRows)).
    pub fn open<R: Read + Seek + Send + 'static>(format: Format, input: R) -> Result<ColumnarRows> {
        match format {
            Format::Parquet => Self::parquet(input),
            Format::ArrowIpc => Self::arrow_ipc(input),
            Format::Csv => Err(Error::policy(Msg::FmCsvNotColumnar)),
        }
    }

    fn from_source(source: Source) -> ColumnarRows {
        ColumnarRows {
            header: source.names(),
            schema: Arc::clone(&source.schema),
            batches: source.batches,
            count: source.count,
            pending: None,
            row: 0,
            failed: false,
            ends: Vec::new(),
        }
    }

    /// The column names.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The extract's Arrow schema.
    pub fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    /// The next record batch with rows, at most `limit` of them (the rest is
    /// kept for the next call); `None` at the end.
    fn next_piece(&mut self, limit: usize) -> Result<Option<RecordBatch>> {
        let batch = loop {
            let batch = match self.pending.take() {
                Some(b) => b,
                None => match self.batches.next() {
                    Some(b) => b?,
                    None => return Ok(None),
                },
            };
            if batch.num_rows() > 0 {
                break batch;
            }
        };
        let limit = limit.max(1);
        if batch.num_rows() <= limit {
            return Ok(Some(batch));
        }
        self.pending = Some(batch.slice(limit, batch.num_rows() - limit));
        Ok(Some(batch.slice(0, limit)))
    }

    /// Renders every cell of `piece` into `out`, column by column.
    fn fill(&mut self, piece: &RecordBatch, out: &mut RowBatch) -> Result<()> {
        let rows = piece.num_rows();
        out.start_columns(self.header.len(), rows, self.row + 1);
        for (c, (array, name)) in piece.columns().iter().zip(&self.header).enumerate() {
            let ends = &mut self.ends;
            ends.clear();
            ends.push(out.text_mut().len());
            if render(array.as_ref(), out.text_mut(), ends).is_none() {
                return Err(Error::policy(said!(
                    Msg::FmNoTextForm,
                    format!("{name:?}"),
                    array.data_type()
                ))
                .in_column(name));
            }
            for (k, w) in ends.windows(2).enumerate() {
                out.set_cell(k, c, w[0], w[1]);
            }
        }
        Ok(())
    }

    /// The extract as CSV text (`,`-separated, every field quoted, `\n` line
    /// ends), produced batch by batch as it is read: what a CSV copy of a
    /// columnar extract is issued from.
    pub fn into_csv(self) -> ColumnarCsv {
        ColumnarCsv {
            rows: self,
            batch: RowBatch::new(),
            buf: Vec::new(),
            pos: 0,
            header_done: false,
            done: false,
        }
    }
}

/// An error found in a batch, with a row numbered within it, renumbered
/// from the rows before.
fn shift_row(e: Error, before: u64) -> Error {
    match e.row() {
        Some(r) => at_row(e, before + r),
        None => e,
    }
}

impl RowSource for ColumnarRows {
    fn header(&self) -> &[String] {
        &self.header
    }

    fn next_batch(&mut self, batch: &mut RowBatch, limit: usize) -> Result<bool> {
        batch.start(self.header.len(), self.row + 1);
        if self.failed {
            return Ok(false);
        }
        let filled = match self.next_piece(limit) {
            Ok(None) => return Ok(false),
            Ok(Some(piece)) => self.fill(&piece, batch).map(|()| piece.num_rows()),
            Err(e) => Err(e),
        };
        match filled {
            Ok(rows) => {
                self.row += rows as u64;
                Ok(true)
            }
            Err(e) => {
                self.failed = true;
                batch.start(self.header.len(), self.row + 1);
                Err(shift_row(e, self.row))
            }
        }
    }

    fn bytes_read(&self) -> u64 {
        self.count.get()
    }
}

/// A columnar extract as CSV text; see [`ColumnarRows::into_csv`].
pub struct ColumnarCsv {
    rows: ColumnarRows,
    batch: RowBatch,
    buf: Vec<u8>,
    pos: usize,
    header_done: bool,
    done: bool,
}

impl std::fmt::Debug for ColumnarCsv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ColumnarCsv")
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl ColumnarCsv {
    /// Refills `buf` with the header or the next batch's rows; false at the
    /// end.
    fn refill(&mut self) -> io::Result<bool> {
        self.buf.clear();
        self.pos = 0;
        let mut out = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::Always)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(std::mem::take(&mut self.buf));
        if !self.header_done {
            self.header_done = true;
            out.write_record(&self.rows.header)?;
        } else {
            // A record batch at a time, as it was read.
            match self.rows.next_batch(&mut self.batch, usize::MAX) {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    return Ok(false);
                }
                Err(e) => return Err(io::Error::other(e)),
            }
            for row in self.batch.rows() {
                out.write_record(row.iter())?;
            }
        }
        self.buf = out.into_inner().map_err(|e| e.into_error())?;
        Ok(true)
    }
}

impl Read for ColumnarCsv {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.buf.len() {
            if self.done || !self.refill()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.buf.len() - self.pos);
        buf[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

// ---------------------------------------------------------------------------
// Issuing

/// Which columns the marker reads, and which it may change.
struct Plan {
    names: Vec<String>,
    schema: SchemaRef,
    /// Columns the marker reads: identity and carriers.
    needed: Vec<bool>,
    /// Per column, its index among the carriers.
    carrier_of: Vec<Option<usize>>,
    /// The carrier columns, in column order.
    carriers: Vec<usize>,
}

/// A column name no policy uses, to find each column's role.
const PROBE: &str = "\u{1F}watermark probe\u{1F}";

impl Plan {
    fn for_embedder(embedder: &Embedder, schema: &SchemaRef) -> Result<Plan> {
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        // Bind once, so a header problem is reported as it is for CSV.
        drop(embedder.bind(&names)?);
        // A column is the policy's when the header without it does not bind.
        let mut identity = vec![false; names.len()];
        let mut carrier = vec![false; names.len()];
        let mut probe = names.clone();
        for j in 0..names.len() {
            probe[j] = PROBE.to_string();
            match embedder.bind(&probe) {
                Ok(_) => {}
                Err(e) => match e.kind() {
                    ErrorKind::MissingColumn { role, .. } if *role == "identity" => {
                        identity[j] = true
                    }
                    ErrorKind::MissingColumn { role, .. } if *role == "carrier" => {
                        carrier[j] = true
                    }
                    _ => return Err(e),
                },
            }
            probe[j] = names[j].clone();
        }
        for (j, field) in schema.fields().iter().enumerate() {
            let dt = field.data_type();
            if identity[j] && !has_text_form(dt) {
                return Err(Error::policy(said!(
                    Msg::FmIdentityNoText,
                    format!("{:?}", field.name()),
                    dt
                ))
                .in_column(field.name()));
            }
            if carrier[j] && !writable_carrier(dt) {
                return Err(Error::policy(said!(
                    Msg::FmCarrierType,
                    format!("{:?}", field.name()),
                    dt
                ))
                .in_column(field.name()));
            }
        }
        let carriers: Vec<usize> = (0..names.len()).filter(|&j| carrier[j]).collect();
        let mut carrier_of = vec![None; names.len()];
        for (c, &j) in carriers.iter().enumerate() {
            carrier_of[j] = Some(c);
        }
        Ok(Plan {
            needed: identity
                .iter()
                .zip(&carrier)
                .map(|(a, b)| *a || *b)
                .collect(),
            names,
            schema: Arc::clone(schema),
            carrier_of,
            carriers,
        })
    }
}

/// One recipient's changed cells in one carrier column of a batch.
#[derive(Default)]
struct Changes {
    rows: Vec<u32>,
    text: String,
    ends: Vec<usize>,
}

impl Changes {
    fn push(&mut self, row: usize, value: &str) {
        self.rows.push(row as u32);
        self.text.push_str(value);
        self.ends.push(self.text.len());
    }

    fn get(&self, k: usize) -> &str {
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        &self.text[start..self.ends[k]]
    }

    fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Marks every row of `batch` and collects each recipient's changed cells:
/// `changes[r][c]` for carrier `c`. `first_row` numbers the rows for errors;
/// `None` for canary rows.
fn mark_rows(
    marker: &mut RowMarker<'_>,
    plan: &Plan,
    batch: &RecordBatch,
    first_row: Option<u64>,
    changes: &mut [Vec<Changes>],
) -> Result<()> {
    let texts = texts(batch, &plan.names, &plan.needed).map_err(|e| match first_row {
        Some(first) => shift_row(e, first - 1),
        None => e.in_column("canary row"),
    })?;
    let needed = &plan.needed;
    for k in 0..batch.num_rows() {
        marker
            .mark(|i| {
                debug_assert!(needed[i], "the marker reads column {i}, not the policy's");
                texts[i].get(k)
            })
            .map_err(|e| match first_row {
                Some(first) => at_row(e, first + k as u64),
                None => e.in_column("canary row"),
            })?;
        for (r, per_carrier) in changes.iter_mut().enumerate() {
            for (i, value) in marker.changes(r) {
                if value == texts[i].get(k) {
                    continue;
                }
                let c = plan.carrier_of[i].expect("changed fields are carriers");
                per_carrier[c].push(k, value);
            }
        }
    }
    Ok(())
}

/// A copy's columns for a batch: the input's arrays, with each changed
/// carrier column rebuilt.
fn copy_columns(plan: &Plan, batch: &RecordBatch, changes: &[Changes]) -> Result<Vec<ArrayRef>> {
    let mut columns = batch.columns().to_vec();
    for (c, &j) in plan.carriers.iter().enumerate() {
        if changes[c].is_empty() {
            continue;
        }
        columns[j] = rebuild(&columns[j], &changes[c], &plan.names[j])?;
    }
    Ok(columns)
}

/// A column with the changed cells replaced; nulls stay null.
fn rebuild(array: &ArrayRef, changes: &Changes, column: &str) -> Result<ArrayRef> {
    Ok(match array.data_type() {
        DataType::Utf8 => rebuild_strings(array.as_string::<i32>(), changes),
        DataType::LargeUtf8 => rebuild_strings(array.as_string::<i64>(), changes),
        DataType::Utf8View => {
            let a = array.as_string_view();
            let mut b = StringViewBuilder::with_capacity(a.len());
            let mut next = 0;
            for k in 0..a.len() {
                if changes.rows.get(next) == Some(&(k as u32)) {
                    b.append_value(changes.get(next));
                    next += 1;
                } else if a.is_valid(k) {
                    b.append_value(a.value(k));
                } else {
                    b.append_null();
                }
            }
            Arc::new(b.finish())
        }
        DataType::Decimal32(..) => rebuild_decimal::<Decimal32Type>(array, changes, column)?,
        DataType::Decimal64(..) => rebuild_decimal::<Decimal64Type>(array, changes, column)?,
        DataType::Decimal128(..) => rebuild_decimal::<Decimal128Type>(array, changes, column)?,
        DataType::Int8 => rebuild_integers::<Int8Type>(array, changes, column)?,
        DataType::Int16 => rebuild_integers::<Int16Type>(array, changes, column)?,
        DataType::Int32 => rebuild_integers::<Int32Type>(array, changes, column)?,
        DataType::Int64 => rebuild_integers::<Int64Type>(array, changes, column)?,
        DataType::UInt8 => rebuild_integers::<UInt8Type>(array, changes, column)?,
        DataType::UInt16 => rebuild_integers::<UInt16Type>(array, changes, column)?,
        DataType::UInt32 => rebuild_integers::<UInt32Type>(array, changes, column)?,
        DataType::UInt64 => rebuild_integers::<UInt64Type>(array, changes, column)?,
        other => {
            return Err(Error::policy(said!(
                Msg::FmCarrierUnwritable,
                format!("{column:?}"),
                other
            ))
            .in_column(column))
        }
    })
}

fn rebuild_strings<O: OffsetSizeTrait>(a: &GenericStringArray<O>, changes: &Changes) -> ArrayRef {
    let bytes = a.value_data().len() + changes.text.len();
    let mut b = GenericStringBuilder::<O>::with_capacity(a.len(), bytes);
    let mut next = 0;
    for k in 0..a.len() {
        if changes.rows.get(next) == Some(&(k as u32)) {
            b.append_value(changes.get(next));
            next += 1;
        } else if a.is_valid(k) {
            b.append_value(a.value(k));
        } else {
            b.append_null();
        }
    }
    Arc::new(b.finish())
}

/// A marked value that does not parse back into its column's type: never
/// expected (marks move a number by one unit of its last digit), and never
/// quoting the value.
fn unwritable(column: &str, dt: &DataType) -> Error {
    Error::policy(said!(Msg::FmMarkedMisfit, format!("{column:?}"), dt)).in_column(column)
}

fn rebuild_decimal<T>(array: &ArrayRef, changes: &Changes, column: &str) -> Result<ArrayRef>
where
    T: DecimalType,
    T::Native: std::str::FromStr,
{
    let a = array.as_primitive::<T>();
    let (precision, scale) = (a.precision(), a.scale());
    let mut values = a.values().to_vec();
    for (k, &row) in changes.rows.iter().enumerate() {
        values[row as usize] = parse_decimal(changes.get(k), precision, scale)
            .and_then(|digits| digits.parse().ok())
            .ok_or_else(|| unwritable(column, array.data_type()))?;
    }
    let out = PrimitiveArray::<T>::new(values.into(), a.nulls().cloned())
        .with_data_type(array.data_type().clone());
    Ok(Arc::new(out))
}

fn rebuild_integers<T>(array: &ArrayRef, changes: &Changes, column: &str) -> Result<ArrayRef>
where
    T: ArrowPrimitiveType,
    T::Native: std::str::FromStr,
{
    let a = array.as_primitive::<T>();
    let mut values = a.values().to_vec();
    for (k, &row) in changes.rows.iter().enumerate() {
        values[row as usize] = changes
            .get(k)
            .parse()
            .map_err(|_| unwritable(column, array.data_type()))?;
    }
    let out = PrimitiveArray::<T>::new(values.into(), a.nulls().cloned())
        .with_data_type(array.data_type().clone());
    Ok(Arc::new(out))
}

/// A column of canary cells from their text (see [`render`]): an empty
/// text is a null except in text columns. `None` if a text does not parse as
/// the column's type, or the type takes no canaries.
fn canary_column(dt: &DataType, values: &[&str]) -> Option<ArrayRef> {
    use DataType::*;
    fn prim<T: ArrowPrimitiveType>(
        dt: &DataType,
        values: &[&str],
        parse: impl Fn(&str) -> Option<T::Native>,
    ) -> Option<ArrayRef> {
        let cells = values
            .iter()
            .map(|v| {
                if v.is_empty() {
                    Some(None)
                } else {
                    parse(v).map(Some)
                }
            })
            .collect::<Option<Vec<Option<T::Native>>>>()?;
        let array = PrimitiveArray::<T>::from_iter(cells).with_data_type(dt.clone());
        Some(Arc::new(array))
    }
    fn dictionary<K: ArrowDictionaryKeyType>(values: ArrayRef) -> Option<ArrayRef> {
        let keys = (0..values.len())
            .map(K::Native::from_usize)
            .collect::<Option<Vec<_>>>()?;
        let keys = PrimitiveArray::<K>::new(keys.into(), None);
        Some(Arc::new(DictionaryArray::<K>::try_new(keys, values).ok()?))
    }
    fn parsed<N: std::str::FromStr>(v: &str) -> Option<N> {
        v.parse().ok()
    }
    fn exact(ns: i128, per: i128) -> Option<i64> {
        (ns % per == 0)
            .then(|| i64::try_from(ns / per).ok())
            .flatten()
    }
    Some(match dt {
        Utf8 => Arc::new(values.iter().map(Some).collect::<StringArray>()),
        LargeUtf8 => Arc::new(values.iter().map(Some).collect::<LargeStringArray>()),
        Utf8View => Arc::new(values.iter().map(Some).collect::<StringViewArray>()),
        Null => Arc::new(NullArray::new(values.len())),
        Boolean => {
            let cells = values
                .iter()
                .map(|v| match *v {
                    "" => Some(None),
                    "true" => Some(Some(true)),
                    "false" => Some(Some(false)),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()?;
            Arc::new(BooleanArray::from(cells))
        }
        Int8 => prim::<Int8Type>(dt, values, parsed)?,
        Int16 => prim::<Int16Type>(dt, values, parsed)?,
        Int32 => prim::<Int32Type>(dt, values, parsed)?,
        Int64 => prim::<Int64Type>(dt, values, parsed)?,
        UInt8 => prim::<UInt8Type>(dt, values, parsed)?,
        UInt16 => prim::<UInt16Type>(dt, values, parsed)?,
        UInt32 => prim::<UInt32Type>(dt, values, parsed)?,
        UInt64 => prim::<UInt64Type>(dt, values, parsed)?,
        Float32 => prim::<Float32Type>(dt, values, parsed)?,
        Float64 => prim::<Float64Type>(dt, values, parsed)?,
        Decimal32(p, s) => {
            prim::<Decimal32Type>(dt, values, |v| parse_decimal(v, *p, *s)?.parse().ok())?
        }
        Decimal64(p, s) => {
            prim::<Decimal64Type>(dt, values, |v| parse_decimal(v, *p, *s)?.parse().ok())?
        }
        Decimal128(p, s) => {
            prim::<Decimal128Type>(dt, values, |v| parse_decimal(v, *p, *s)?.parse().ok())?
        }
        Date32 => prim::<Date32Type>(dt, values, |v| i32::try_from(parse_date(v)?).ok())?,
        Date64 => prim::<Date64Type>(dt, values, |v| exact(parse_datetime(v)?, 1_000_000))?,
        Timestamp(unit, _) => {
            let (per, _) = unit_scale(unit);
            let parse = |v: &str| exact(parse_datetime(v)?, per);
            match unit {
                TimeUnit::Second => prim::<TimestampSecondType>(dt, values, parse)?,
                TimeUnit::Millisecond => prim::<TimestampMillisecondType>(dt, values, parse)?,
                TimeUnit::Microsecond => prim::<TimestampMicrosecondType>(dt, values, parse)?,
                TimeUnit::Nanosecond => prim::<TimestampNanosecondType>(dt, values, parse)?,
            }
        }
        Time32(unit) | Time64(unit) => {
            let (per, _) = unit_scale(unit);
            let parse = |v: &str| exact(parse_time(v)?, per);
            match (dt, unit) {
                (Time32(_), TimeUnit::Second) => {
                    prim::<Time32SecondType>(dt, values, |v| i32::try_from(parse(v)?).ok())?
                }
                (Time32(_), TimeUnit::Millisecond) => {
                    prim::<Time32MillisecondType>(dt, values, |v| i32::try_from(parse(v)?).ok())?
                }
                (Time64(_), TimeUnit::Microsecond) => {
                    prim::<Time64MicrosecondType>(dt, values, parse)?
                }
                (Time64(_), TimeUnit::Nanosecond) => {
                    prim::<Time64NanosecondType>(dt, values, parse)?
                }
                _ => return None,
            }
        }
        Dictionary(key, value_type) => {
            let values = canary_column(value_type, values)?;
            match **key {
                Int8 => dictionary::<Int8Type>(values)?,
                Int16 => dictionary::<Int16Type>(values)?,
                Int32 => dictionary::<Int32Type>(values)?,
                Int64 => dictionary::<Int64Type>(values)?,
                UInt8 => dictionary::<UInt8Type>(values)?,
                UInt16 => dictionary::<UInt16Type>(values)?,
                UInt32 => dictionary::<UInt32Type>(values)?,
                UInt64 => dictionary::<UInt64Type>(values)?,
                _ => return None,
            }
        }
        _ => return None,
    })
}

/// Canary rows as a batch of the input's schema, each text value converted
/// to its column's type. Errors name the column, never the value (canaries
/// are secret).
fn canary_batch(plan: &Plan, canaries: &[&[String]]) -> Result<RecordBatch> {
    let mut columns = Vec::with_capacity(plan.names.len());
    let mut values: Vec<&str> = Vec::with_capacity(canaries.len());
    for (j, field) in plan.schema.fields().iter().enumerate() {
        let dt = field.data_type();
        let name = field.name();
        if !canary_type(dt) {
            return Err(
                Error::policy(said!(Msg::FmCanaryType, format!("{name:?}"), dt)).in_column(name),
            );
        }
        values.clear();
        values.extend(canaries.iter().map(|c| c[j].as_str()));
        let column = canary_column(dt, &values).ok_or_else(|| {
            Error::policy(said!(Msg::FmCanaryValue, format!("{name:?}"), dt)).in_column(name)
        })?;
        if !field.is_nullable() && column.null_count() > 0 {
            return Err(
                Error::policy(said!(Msg::FmCanaryNull, format!("{name:?}"))).in_column(name)
            );
        }
        columns.push(column);
    }
    let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(canaries.len()));
    RecordBatch::try_new_with_options(Arc::clone(&plan.schema), columns, &options)
        .map_err(|e| arrow_error(Msg::CfBuildingCanaries, e))
}

/// One batch of the input, handed to a marking thread.
struct Job {
    batch: RecordBatch,
    /// Its first row's number (1-based).
    first_row: u64,
    /// Whether the input ends with it.
    last: bool,
    /// Whether a Parquet row group ends with it.
    end_group: bool,
    /// Input bytes read when it was.
    bytes: u64,
}

/// A marked batch: every copy's pieces, in order.
struct Marked {
    /// Per recipient, its batches (input rows and canaries in place).
    pieces: Vec<Vec<RecordBatch>>,
    end_group: bool,
    rows: u64,
    last_row: u64,
    bytes: u64,
    slots_marked: u64,
    canaries_placed: u64,
    canaries: Vec<u64>,
}

fn mark_job(
    marker: &mut RowMarker<'_>,
    embedder: &Embedder,
    plan: &Plan,
    job: Job,
) -> Result<Marked> {
    let n = marker.recipients();
    let k = plan.carriers.len();
    let batch = &job.batch;
    let len = batch.num_rows();
    let first_row = job.first_row;
    let before = marker.slots_marked();
    let mut changes: Vec<Vec<Changes>> = (0..n)
        .map(|_| (0..k).map(|_| Changes::default()).collect())
        .collect();
    mark_rows(marker, plan, batch, Some(first_row), &mut changes)?;
    let slots_marked = marker.slots_marked() - before;
    let mut copies = Vec::with_capacity(n);
    for per_carrier in &changes {
        let columns = copy_columns(plan, batch, per_carrier)?;
        copies.push(
            RecordBatch::try_new(batch.schema(), columns)
                .map_err(|e| arrow_error(Msg::CfBuildingCopy, e))?,
        );
    }

    // The canaries placed in this batch: those before one of its rows, and,
    // in the last batch, those after the last row (as the CSV path places
    // them).
    let placed = embedder.placed_canaries();
    let all = placed.map_or(&[][..], |p| p.list.placed());
    let lo = all.partition_point(|c| c.after_row + 1 < first_row);
    let end_row = first_row + len as u64 - 1;
    let hi = if job.last {
        all.partition_point(|c| c.after_row <= end_row)
    } else {
        all.partition_point(|c| c.after_row < end_row)
    };
    let hi = hi.max(lo);
    let mut canaries = vec![0u64; n];
    let pieces = if lo == hi {
        copies.into_iter().map(|c| vec![c]).collect()
    } else {
        let present = &placed.expect("canaries come from a list").present;
        // Only canaries some copy holds are built and marked.
        let chosen: Vec<usize> = (lo..hi)
            .filter(|&c| present[c * n..(c + 1) * n].iter().any(|&p| p))
            .collect();
        let values: Vec<&[String]> = chosen.iter().map(|&c| all[c].values.as_slice()).collect();
        let canary_rows = canary_batch(plan, &values)?;
        let mut canary_changes: Vec<Vec<Changes>> = (0..n)
            .map(|_| (0..k).map(|_| Changes::default()).collect())
            .collect();
        mark_rows(marker, plan, &canary_rows, None, &mut canary_changes)?;
        let mut pieces = Vec::with_capacity(n);
        for (r, copy) in copies.into_iter().enumerate() {
            let columns = copy_columns(plan, &canary_rows, &canary_changes[r])?;
            let marked = RecordBatch::try_new(batch.schema(), columns)
                .map_err(|e| arrow_error(Msg::CfBuildingCanaries, e))?;
            let mut out = Vec::new();
            let mut cursor = 0usize;
            let mut g = 0;
            while g < chosen.len() {
                // Canaries inserted at the same place, in list order.
                let at = (all[chosen[g]].after_row + 1 - first_row) as usize;
                let mut idx = Vec::new();
                while g < chosen.len() && (all[chosen[g]].after_row + 1 - first_row) as usize == at
                {
                    if present[chosen[g] * n + r] {
                        idx.push(g as u32);
                    }
                    g += 1;
                }
                if idx.is_empty() {
                    continue;
                }
                let at = at.min(len);
                if at > cursor {
                    out.push(copy.slice(cursor, at - cursor));
                    cursor = at;
                }
                canaries[r] += idx.len() as u64;
                let rows = arrow_select::take::take_record_batch(&marked, &UInt32Array::from(idx))
                    .map_err(|e| arrow_error(Msg::CfPlacingCanaries, e))?;
                out.push(rows);
            }
            if cursor < len || out.is_empty() {
                out.push(copy.slice(cursor, len - cursor));
            }
            pieces.push(out);
        }
        pieces
    };
    Ok(Marked {
        pieces,
        end_group: job.end_group,
        rows: len as u64,
        last_row: end_row,
        bytes: job.bytes,
        slots_marked,
        canaries_placed: (hi - lo) as u64,
        canaries,
    })
}

/// Where a copy goes.
enum SinkKind<W: Write + Send> {
    Parquet(ArrowWriter<W>),
    IpcFile(FileWriter<BufWriter<W>>),
    IpcStream(StreamWriter<BufWriter<W>>),
}

/// Where a copy's marked batches go, in input order: a file being
/// written ([`Sink`]), or a caller's table ([`TableSink`]).
trait CopySink: Send {
    /// What the copy is once finished.
    type Out: Send;
    /// The recipient's index.
    fn recipient(&self) -> usize;
    /// The next pieces of the copy: an input batch's rows, marked, with
    /// the canaries placed among them.
    fn write(&mut self, pieces: &[RecordBatch]) -> Result<()>;
    /// A Parquet row group of the input ends here.
    fn end_group(&mut self) -> Result<()>;
    /// Every batch is written.
    fn finish(self) -> Result<Self::Out>;
}

/// A copy being written, and whose it is (for errors).
struct Sink<W: Write + Send> {
    recipient: usize,
    id: String,
    kind: SinkKind<W>,
}

impl<W: Write + Send> Sink<W> {
    fn context(&self) -> Said {
        said!(Msg::CfWritingCopy, self.id)
    }
}

impl<W: Write + Send> CopySink for Sink<W> {
    type Out = W;

    fn recipient(&self) -> usize {
        self.recipient
    }

    fn write(&mut self, pieces: &[RecordBatch]) -> Result<()> {
        let context = || said!(Msg::CfWritingCopy, self.id);
        match &mut self.kind {
            SinkKind::Parquet(w) => {
                for p in pieces {
                    w.write(p).map_err(|e| parquet_error(context(), e))?;
                }
            }
            SinkKind::IpcFile(_) | SinkKind::IpcStream(_) => {
                // One batch in, one batch out.
                let joined;
                let batch = match pieces {
                    [one] => one,
                    _ => {
                        let schema = pieces[0].schema();
                        joined = arrow_select::concat::concat_batches(&schema, pieces)
                            .map_err(|e| arrow_error(context(), e))?;
                        &joined
                    }
                };
                match &mut self.kind {
                    SinkKind::IpcFile(w) => w.write(batch),
                    SinkKind::IpcStream(w) => w.write(batch),
                    SinkKind::Parquet(_) => unreachable!("handled above"),
                }
                .map_err(|e| arrow_error(context(), e))?;
            }
        }
        Ok(())
    }

    fn end_group(&mut self) -> Result<()> {
        let context = self.context();
        if let SinkKind::Parquet(w) = &mut self.kind {
            w.flush().map_err(|e| parquet_error(context, e))?;
        }
        Ok(())
    }

    fn finish(self) -> Result<W> {
        let context = self.context();
        let buffered = match self.kind {
            SinkKind::Parquet(w) => return w.into_inner().map_err(|e| parquet_error(context, e)),
            SinkKind::IpcFile(w) => w.into_inner().map_err(|e| arrow_error(&context, e))?,
            SinkKind::IpcStream(w) => w.into_inner().map_err(|e| arrow_error(&context, e))?,
        };
        let mut out = buffered
            .into_inner()
            .map_err(|e| Error::io(&context, e.into_error()))?;
        out.flush().map_err(|e| Error::io(context, e))?;
        Ok(out)
    }
}

/// Parquet writer settings that keep the input's layout: each column's codec
/// (from the first row group), the file's key/value metadata, and row groups
/// cut only where the input's end.
fn parquet_properties(metadata: &ParquetMetaData) -> WriterProperties {
    let file = metadata.file_metadata();
    let mut props = WriterProperties::builder()
        .set_max_row_group_row_count(None)
        .set_max_row_group_bytes(None);
    if let Some(first) = metadata.row_groups().first() {
        if let Some(c) = first.columns().first() {
            props = props.set_compression(c.compression());
        }
        for c in first.columns() {
            props = props.set_column_compression(c.column_path().clone(), c.compression());
        }
    }
    let kv: Vec<KeyValue> = file
        .key_value_metadata()
        .map(|kv| {
            kv.iter()
                .filter(|kv| kv.key != parquet::arrow::ARROW_SCHEMA_META_KEY)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if !kv.is_empty() {
        props = props.set_key_value_metadata(Some(kv));
    }
    props.build()
}

fn open_sinks<W: Write + Send>(
    embedder: &Embedder,
    source: &Source,
    outputs: Vec<W>,
) -> Result<Vec<Sink<W>>> {
    let schema = &source.schema;
    outputs
        .into_iter()
        .enumerate()
        .map(|(r, out)| {
            let id = embedder.recipients()[r].id.clone();
            let context = said!(Msg::CfWritingCopy, id);
            let kind = match &source.kind {
                SourceKind::Parquet(metadata) => {
                    let props = parquet_properties(metadata);
                    // The input's own Parquet schema, so physical and logical
                    // types are kept as they were.
                    let options = ArrowWriterOptions::new()
                        .with_properties(props)
                        .with_parquet_schema(metadata.file_metadata().schema_descr().clone());
                    SinkKind::Parquet(
                        ArrowWriter::try_new_with_options(out, Arc::clone(schema), options)
                            .map_err(|e| parquet_error(context, e))?,
                    )
                }
                SourceKind::IpcFile(custom, compression) => {
                    let out = BufWriter::with_capacity(1 << 16, out);
                    let mut w = ipc_options(*compression)
                        .and_then(|o| FileWriter::try_new_with_options(out, schema, o))
                        .map_err(|e| arrow_error(context, e))?;
                    for (k, v) in custom {
                        w.write_metadata(k, v);
                    }
                    SinkKind::IpcFile(w)
                }
                // A table in memory is written as an Arrow IPC stream.
                SourceKind::IpcStream(_) | SourceKind::Memory => {
                    let compression = match &source.kind {
                        SourceKind::IpcStream(c) => *c,
                        _ => None,
                    };
                    let out = BufWriter::with_capacity(1 << 16, out);
                    SinkKind::IpcStream(
                        ipc_options(compression)
                            .and_then(|o| StreamWriter::try_new_with_options(out, schema, o))
                            .map_err(|e| arrow_error(context, e))?,
                    )
                }
            };
            Ok(Sink {
                recipient: r,
                id,
                kind,
            })
        })
        .collect()
}

fn ipc_options(compression: Option<CompressionType>) -> Result<IpcWriteOptions, ArrowError> {
    IpcWriteOptions::default().try_with_compression(compression)
}

fn worker_stopped() -> Error {
    Error::io(
        Msg::FmMarkingRows,
        io::Error::other(watermark_text::Said::new(Msg::FmWorkerStopped)),
    )
}

/// Running totals of an issuance.
#[derive(Default)]
struct Totals {
    rows: u64,
    slots_marked: u64,
    canaries_placed: u64,
    canaries: Vec<u64>,
}

impl Totals {
    fn add(&mut self, m: &Marked) {
        self.rows += m.rows;
        self.slots_marked += m.slots_marked;
        self.canaries_placed += m.canaries_placed;
        for (t, c) in self.canaries.iter_mut().zip(&m.canaries) {
            *t += c;
        }
    }
}

/// Writes one marked batch to some of the copies.
fn write_marked<S: CopySink>(sinks: &mut [S], marked: &Marked) -> Result<()> {
    for sink in sinks.iter_mut() {
        sink.write(&marked.pieces[sink.recipient()])?;
        if marked.end_group {
            sink.end_group()?;
        }
    }
    Ok(())
}

/// The shared issuing loop: reads `source` on the calling thread, marks
/// batches on `threads` workers that take them from one queue (the ordered
/// pipeline the CSV path uses too), and writes each copy on writer threads,
/// batches in input order, so the bytes do not depend on the number of
/// threads.
fn issue<S: CopySink>(
    embedder: &Embedder,
    source: Source,
    open: impl FnOnce(&Source) -> Result<Vec<S>>,
    options: IssueOptions,
    part: Option<Part>,
    progress: &mut dyn FnMut(Progress),
) -> Result<IssueSummary<S::Out>> {
    let n = embedder.recipients().len();
    let plan = Plan::for_embedder(embedder, &source.schema)?;
    if let Some(list) = embedder.canary_list() {
        if list.header() != plan.names.as_slice() {
            return Err(Error::state(Msg::FmCanaryColumns));
        }
    }
    let sinks = open(&source)?;
    assert_eq!(sinks.len(), n, "one output per recipient");
    let count = source.count.clone();
    let mut pieces = source.pieces();
    let threads = crate::pipeline::threads(options.threads);
    let mut totals = Totals {
        canaries: vec![0; n],
        ..Totals::default()
    };
    let plan = &plan;

    // Reads the next job, looking one batch ahead to know the last.
    let mut ahead = pieces.next().transpose()?;
    let (first_row, last_part) = part.map_or((1, true), |p| (p.first_row, p.last));
    let mut next_row = first_row;
    let next_job = move || -> Result<Option<Job>> {
        let Some((batch, end_group)) = ahead.take() else {
            return Ok(None);
        };
        ahead = pieces.next().transpose()?;
        let first_row = next_row;
        next_row += batch.num_rows() as u64;
        Ok(Some(Job {
            batch,
            first_row,
            last: ahead.is_none() && last_part,
            end_group,
            bytes: count.get(),
        }))
    };
    let mut report = |m: &Marked| {
        progress(Progress {
            rows: m.last_row,
            bytes: m.bytes,
        })
    };

    let mut sinks = sinks;
    let markers = (0..threads)
        .map(|_| embedder.bind(&plan.names))
        .collect::<Result<Vec<_>>>()?;
    let mark = |marker: &mut RowMarker<'_>, job: Job| mark_job(marker, embedder, plan, job);
    let outputs = if threads <= 1 {
        crate::pipeline::ordered(Msg::FmMarkingRows, markers, mark, next_job, |marked| {
            write_marked(&mut sinks, &marked)?;
            totals.add(&marked);
            report(&marked);
            Ok(())
        })?;
        finish_all(sinks)?
    } else {
        // Marking threads take batches from one queue (the pipeline); writer
        // threads encode the copies, copy r on writer r % writers, each
        // batch as the pipeline hands them back, in input order.
        let writers = threads.min(n).max(1);
        std::thread::scope(|scope| -> Result<Finished<S>> {
            let mut groups: Vec<Vec<S>> = (0..writers).map(|_| Vec::new()).collect();
            for sink in sinks.drain(..) {
                groups[sink.recipient() % writers].push(sink);
            }
            let mut to_writers: Vec<SyncSender<Option<Arc<Marked>>>> = Vec::with_capacity(writers);
            let mut handles = Vec::with_capacity(writers);
            for mut group in groups {
                let (tx, rx) = sync_channel::<Option<Arc<Marked>>>(crate::pipeline::DEPTH);
                to_writers.push(tx);
                handles.push(scope.spawn(move || -> Result<Option<Finished<S>>> {
                    for marked in rx {
                        match marked {
                            Some(marked) => write_marked(&mut group, &marked)?,
                            // Every batch is written: finish the copies.
                            None => return finish_all(group).map(Some),
                        }
                    }
                    // The reading thread gave up: leave the copies unfinished.
                    Ok(None)
                }));
            }
            let to_writers_ref = &to_writers;
            let result =
                crate::pipeline::ordered(Msg::FmMarkingRows, markers, mark, next_job, |marked| {
                    totals.add(&marked);
                    report(&marked);
                    let marked = Arc::new(marked);
                    for tx in to_writers_ref {
                        tx.send(Some(Arc::clone(&marked)))
                            .map_err(|_| worker_stopped())?;
                    }
                    Ok(())
                })
                .and_then(|()| {
                    for tx in to_writers_ref {
                        tx.send(None).map_err(|_| worker_stopped())?;
                    }
                    Ok(())
                });
            // Closing the channels ends every writer, on success or error.
            drop(to_writers);
            let mut outputs = Vec::with_capacity(n);
            let mut writer_error = None;
            for h in handles {
                match h.join() {
                    Ok(Ok(done)) => outputs.extend(done.into_iter().flatten()),
                    Ok(Err(e)) => writer_error = writer_error.or(Some(e)),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            // A writer's own error explains a send that failed.
            if let Some(e) = writer_error {
                return Err(e);
            }
            result?;
            if outputs.len() != n {
                return Err(worker_stopped());
            }
            Ok(outputs)
        })?
    };
    if let (Some(list), Some(_)) = (embedder.canary_list(), part) {
        // A part places the canaries that fall among its rows (before one
        // of them, or after the extract's last row in the last part).
        let all = list.placed();
        let lo = all.partition_point(|c| c.after_row + 1 < first_row);
        let end_row = first_row + totals.rows;
        let hi = if last_part {
            all.len()
        } else {
            all.partition_point(|c| c.after_row + 1 < end_row)
        };
        if totals.canaries_placed != hi.saturating_sub(lo) as u64
            || end_row - 1 > list.input_rows()
            || (last_part && end_row - 1 != list.input_rows())
        {
            return Err(Error::state(said!(
                Msg::FmCanaryRows,
                list.input_rows(),
                end_row - 1
            )));
        }
    } else if let Some(list) = embedder.canary_list() {
        if totals.canaries_placed != list.len() as u64 || totals.rows != list.input_rows() {
            return Err(Error::state(said!(
                Msg::FmCanaryRows,
                list.input_rows(),
                totals.rows
            )));
        }
    }
    let mut outputs = outputs;
    outputs.sort_by_key(|(r, _)| *r);
    Ok(IssueSummary {
        rows: totals.rows,
        slots_marked: totals.slots_marked,
        dialect: Dialect::default(),
        canaries: totals.canaries,
        outputs: outputs.into_iter().map(|(_, w)| w).collect(),
    })
}

/// Finished copies, each with its recipient's index.
type Finished<S> = Vec<(usize, <S as CopySink>::Out)>;

fn finish_all<S: CopySink>(sinks: Vec<S>) -> Result<Finished<S>> {
    sinks
        .into_iter()
        .map(|s| {
            let r = s.recipient();
            s.finish().map(|w| (r, w))
        })
        .collect()
}

/// Reads a Parquet extract once and writes each recipient's copy, in
/// Parquet, to the matching output (`outputs[r]` for
/// `embedder.recipients()[r]`). Each copy has the input's schema (Arrow and
/// Parquet), key/value metadata, row groups (each with the canaries placed
/// in it) and column codecs; only the carrier cells its recipient's bits
/// change differ from the input. The input is read page by page into
/// batches of `options.batch_rows`; memory holds a few batches and, for each
/// copy, the row group being written: it grows with the input's row-group
/// size, not with its number of rows. The copies are the same bytes
/// whatever `options.threads`.
///
/// Identity and carrier columns are found by name as in a CSV header.
/// Identity values are read in their text form (an `Int64` NSS as its
/// digits; see [`ColumnarRows`]); a null identity is an empty one,
/// refused as in CSV. Carrier columns must be text, decimal or integer; a
/// null carrier cell stays null. With a canary list, the canaries' text
/// values are converted to the columns' types.
pub fn issue_parquet<R, W>(
    embedder: &Embedder,
    input: R,
    outputs: Vec<W>,
    options: IssueOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<IssueSummary<W>>
where
    R: Read + Seek + Send + 'static,
    W: Write + Send,
{
    let source = open_parquet(input, options.batch_rows)?;
    issue(
        embedder,
        source,
        |s| open_sinks(embedder, s, outputs),
        options,
        None,
        progress,
    )
}

/// Where a file sits in an extract split into several files (a directory
/// of Parquet files, as data lakes keep them): the number its first row
/// has in the whole extract, and whether it is the extract's last file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Part {
    /// The number of the file's first row in the whole extract (1-based):
    /// one more than the rows of the files before it.
    pub first_row: u64,
    /// Whether the file is the extract's last: the canaries placed after
    /// the extract's last row go at its end.
    pub last: bool,
}

/// [`issue_parquet`] for one file of an extract split into several: its
/// rows are marked as rows `part.first_row...` of the whole extract, and
/// each copy gets the canaries of the embedder's list that fall among them
/// (before one of its rows; after its last row only in the last file, as
/// the next file's first row takes the others). Issuing every file this
/// way, in any order and on any machine, gives copies that hold, file by
/// file, the rows one copy of the files read one after another would hold.
pub fn issue_parquet_part<R, W>(
    embedder: &Embedder,
    input: R,
    outputs: Vec<W>,
    options: IssueOptions,
    part: Part,
    progress: &mut dyn FnMut(Progress),
) -> Result<IssueSummary<W>>
where
    R: Read + Seek + Send + 'static,
    W: Write + Send,
{
    let source = open_parquet(input, options.batch_rows)?;
    issue(
        embedder,
        source,
        |s| open_sinks(embedder, s, outputs),
        options,
        Some(part),
        progress,
    )
}

/// [`issue_parquet`] for an Arrow IPC extract: the file format (`.arrow`,
/// Feather v2) or the stream format. Each copy is in the input's format,
/// with its schema, custom metadata (file footer) and buffer compression
/// (zstd or LZ4, as its first batch has it), and one batch for each of the
/// input's (with the canaries placed in it): `options.batch_rows` does not
/// apply, and memory grows with the input's largest batch.
pub fn issue_arrow_ipc<R, W>(
    embedder: &Embedder,
    input: R,
    outputs: Vec<W>,
    options: IssueOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<IssueSummary<W>>
where
    R: Read + Seek + 'static,
    W: Write + Send,
{
    let source = open_arrow_ipc(input)?;
    issue(
        embedder,
        source,
        |s| open_sinks(embedder, s, outputs),
        options,
        None,
        progress,
    )
}

// ---------------------------------------------------------------------------
// Tables a caller holds

/// Record batches a caller hands over, all of one schema: a table in
/// memory, or a stream of batches from another library (read once, in
/// order). The batches are used as they are, never copied.
pub type BatchStream = Box<dyn Iterator<Item = std::result::Result<RecordBatch, ArrowError>>>;

/// Rows of a caller's batch worked on at once: a larger batch (a data
/// frame converted whole is one) is cut into slices of this many rows,
/// which share its buffers, so that memory for its text and its marked
/// columns stays bounded and the marking threads share the work.
const TABLE_SLICE_ROWS: usize = 16_384;

fn memory_source(schema: SchemaRef, batches: BatchStream) -> Source {
    let count = ByteCount::default();
    let counted = count.clone();
    let expected = Arc::clone(&schema);
    let context = Msg::CfReadingTable;
    let mut row = 0u64;
    let batches = batches.flat_map(move |b| {
        let checked = b.map_err(|e| arrow_error(context, e)).and_then(|b| {
            if b.schema().fields() != expected.fields() {
                return Err(format_error(context, said!(Msg::CfBatchSchema, row + 1)));
            }
            row += b.num_rows() as u64;
            counted.add(b.get_array_memory_size());
            Ok(b)
        });
        let slices: Vec<Result<RecordBatch>> = match checked {
            Ok(b) => (0..b.num_rows())
                .step_by(TABLE_SLICE_ROWS)
                .map(|at| Ok(b.slice(at, TABLE_SLICE_ROWS.min(b.num_rows() - at))))
                .collect(),
            Err(e) => vec![Err(e)],
        };
        slices
    });
    Source {
        schema,
        batches: Box::new(batches),
        groups: Vec::new(),
        count,
        kind: SourceKind::Memory,
    }
}

impl ColumnarRows {
    /// Reads a caller's record batches as rows of text.
    pub fn from_batches(schema: SchemaRef, batches: BatchStream) -> ColumnarRows {
        Self::from_source(memory_source(schema, batches))
    }
}

/// A table's CSV form, written batch by batch: a header of the column
/// names, then every row's cells in their text form (see
/// [`ColumnarRows`]), `,`-separated, quoted only where a field needs it,
/// each line ended by `\n`. These are the bytes of a plain CSV export of
/// the same cells, so a table read from such a file (every column as text)
/// has the file's bytes as its CSV form: the digest of a table, in the log
/// and in reports, is the BLAKE3 of its CSV form.
pub struct CsvForm<W: Write> {
    out: W,
    header: Vec<String>,
    /// Lines not yet handed to `out`.
    buf: Vec<u8>,
    row: u64,
}

impl<W: Write> std::fmt::Debug for CsvForm<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvForm")
            .field("columns", &self.header.len())
            .field("rows", &self.row)
            .finish_non_exhaustive()
    }
}

/// Bytes that make a CSV field need quotes: the delimiter, the quote and
/// line ends (the `csv` crate's `QuoteStyle::Necessary`).
const NEEDS_QUOTES: [bool; 256] = {
    let mut t = [false; 256];
    t[b',' as usize] = true;
    t[b'"' as usize] = true;
    t[b'\n' as usize] = true;
    t[b'\r' as usize] = true;
    t
};

/// Appends one line of the CSV form: the fields, quoted where needed, `,`
/// between them, `\n` after; a line of one empty field is `""`, as the
/// `csv` crate writes it, so that it is not an empty line.
fn csv_line<'a>(buf: &mut Vec<u8>, fields: impl Iterator<Item = &'a str>) {
    let start = buf.len();
    for (j, field) in fields.enumerate() {
        if j > 0 {
            buf.push(b',');
        }
        let bytes = field.as_bytes();
        if bytes.iter().any(|&b| NEEDS_QUOTES[b as usize]) {
            buf.push(b'"');
            for (i, part) in bytes.split(|&b| b == b'"').enumerate() {
                if i > 0 {
                    buf.extend_from_slice(b"\"\"");
                }
                buf.extend_from_slice(part);
            }
            buf.push(b'"');
        } else {
            buf.extend_from_slice(bytes);
        }
    }
    if buf.len() == start {
        buf.extend_from_slice(b"\"\"");
    }
    buf.push(b'\n');
}

/// Bytes of lines gathered before they are handed to the writer.
const CSV_FORM_CHUNK: usize = 1 << 16;

impl<W: Write> CsvForm<W> {
    /// Starts the CSV form of a table with these columns: writes the header.
    pub fn new(header: Vec<String>, out: W) -> Result<Self> {
        let mut buf = Vec::with_capacity(CSV_FORM_CHUNK + 4096);
        csv_line(&mut buf, header.iter().map(String::as_str));
        Ok(CsvForm {
            out,
            header,
            buf,
            row: 0,
        })
    }

    /// Writes the rows of `batch`.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let all = vec![true; self.header.len()];
        let texts = texts(batch, &self.header, &all).map_err(|e| shift_row(e, self.row))?;
        for k in 0..batch.num_rows() {
            csv_line(&mut self.buf, texts.iter().map(|t| t.get(k)));
            if self.buf.len() >= CSV_FORM_CHUNK {
                self.out
                    .write_all(&self.buf)
                    .map_err(|e| Error::io(Msg::CfReadingTable, e))?;
                self.buf.clear();
            }
        }
        self.row += batch.num_rows() as u64;
        Ok(())
    }

    /// Data rows written.
    pub fn rows(&self) -> u64 {
        self.row
    }

    /// Flushes the form and hands back its writer.
    pub fn finish(mut self) -> Result<W> {
        self.out
            .write_all(&self.buf)
            .and_then(|()| self.out.flush())
            .map_err(|e| Error::io(Msg::CfReadingTable, e))?;
        Ok(self.out)
    }
}

/// A table's digest: the BLAKE3 of its [`CsvForm`] in hex, the form's size
/// in bytes, and the table's rows. One pass over the batches.
pub fn table_blake3(
    schema: SchemaRef,
    batches: BatchStream,
    progress: &mut dyn FnMut(Progress),
) -> Result<(String, u64, u64)> {
    let header = schema.fields().iter().map(|f| f.name().clone()).collect();
    let mut source = memory_source(schema, batches);
    let mut form = CsvForm::new(header, crate::HashingWriter::new(io::sink()))?;
    for batch in source.batches.by_ref() {
        let batch = batch?;
        form.write(&batch)?;
        progress(Progress {
            rows: form.rows(),
            bytes: source.count.get(),
        });
    }
    let rows = form.rows();
    let (blake3, bytes) = form.finish()?.digest();
    Ok((blake3, bytes, rows))
}

/// Where a copy of a table goes, batch by batch, in order.
pub trait Deliver: Send {
    /// Takes the copy's next batch.
    fn deliver(&mut self, batch: RecordBatch) -> Result<()>;
}

/// A copy kept in memory, as its batches.
impl Deliver for Vec<RecordBatch> {
    fn deliver(&mut self, batch: RecordBatch) -> Result<()> {
        self.push(batch);
        Ok(())
    }
}

/// A copy of a table issued by [`issue_table`]: where it went, and its
/// digest (the BLAKE3 of its [`CsvForm`]).
#[derive(Debug)]
pub struct TableCopy<D> {
    /// Where the copy's batches went.
    pub delivered: D,
    /// The BLAKE3 of the copy's CSV form, in hex.
    pub blake3: String,
    /// The size of the copy's CSV form in bytes.
    pub bytes: u64,
    /// The copy's data rows (the table's and the canaries).
    pub rows: u64,
}

struct TableSink<D> {
    recipient: usize,
    form: CsvForm<crate::HashingWriter<io::Sink>>,
    deliver: D,
}

impl<D: Deliver> CopySink for TableSink<D> {
    type Out = TableCopy<D>;

    fn recipient(&self) -> usize {
        self.recipient
    }

    fn write(&mut self, pieces: &[RecordBatch]) -> Result<()> {
        // One batch in, one batch out: a batch without canaries is the
        // input's own columns (carriers rebuilt); one with canaries placed
        // in it is joined into one new batch, rather than handed over as
        // a slice per run of rows between canaries (a hundred rows apart
        // at the default rate), whose arrays' bookkeeping outweighed the
        // data.
        let joined;
        let batch = match pieces {
            [] => return Ok(()),
            [one] => one,
            _ => {
                joined = arrow_select::concat::concat_batches(&pieces[0].schema(), pieces)
                    .map_err(|e| arrow_error(Msg::CfPlacingCanaries, e))?;
                &joined
            }
        };
        if batch.num_rows() == 0 {
            return Ok(());
        }
        self.form.write(batch)?;
        self.deliver.deliver(batch.clone())
    }

    fn end_group(&mut self) -> Result<()> {
        Ok(())
    }

    fn finish(self) -> Result<TableCopy<D>> {
        let rows = self.form.rows();
        let (blake3, bytes) = self.form.finish()?.digest();
        Ok(TableCopy {
            delivered: self.deliver,
            blake3,
            bytes,
            rows,
        })
    }
}

/// [`issue_parquet`] for a table a caller holds: reads `batches` once and
/// hands each recipient's copy, batch by batch, to `deliveries[r]` (for
/// `embedder.recipients()[r]`): one batch for each of the input's (cut to
/// at most 16,384 rows). A batch without canaries shares every column but
/// the carriers with the input's; one in which canary rows are placed is
/// built new, whole. Each copy's digest is taken from its CSV form as
/// it is delivered. With `part`, the batches are rows `part.first_row...`
/// of a larger extract, as in [`issue_parquet_part`].
pub fn issue_table<D: Deliver>(
    embedder: &Embedder,
    schema: SchemaRef,
    batches: BatchStream,
    deliveries: Vec<D>,
    options: IssueOptions,
    part: Option<Part>,
    progress: &mut dyn FnMut(Progress),
) -> Result<IssueSummary<TableCopy<D>>> {
    let header: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let source = memory_source(schema, batches);
    let open = |_: &Source| -> Result<Vec<TableSink<D>>> {
        deliveries
            .into_iter()
            .enumerate()
            .map(|(r, deliver)| {
                Ok(TableSink {
                    recipient: r,
                    form: CsvForm::new(header.clone(), crate::HashingWriter::new(io::sink()))?,
                    deliver,
                })
            })
            .collect()
    };
    issue(embedder, source, open, options, part, progress)
}

// ---------------------------------------------------------------------------
// Verifying

/// Rows a verification worker reads into one tally: a record batch, or a
/// slice of a larger one.
const VERIFY_ROWS: usize = 8192;

/// Verifies a columnar leak on one thread per core: the calling thread
/// reads record batches (cut to at most [`VERIFY_ROWS`] rows); worker
/// threads render the columns detection reads as text and read the rows
/// into a [`watermark_core::Tally`] each, which the calling thread merges.
/// The attribution is the same whatever the number of threads.
fn verify(
    detector: &Detector,
    source: Source,
    threads: usize,
    progress: &mut dyn FnMut(Progress),
) -> Result<Attribution> {
    let names = source.names();
    let mut needed = vec![false; names.len()];
    for i in detector.fields_read(&names)? {
        needed[i] = true;
    }
    let threads = crate::pipeline::threads(threads);
    let observers = (0..threads)
        .map(|_| detector.bind(&names))
        .collect::<Result<Vec<_>>>()?;
    let mut total = detector.bind(&names)?.take();
    let count = source.count.clone();
    let mut batches = source.batches;
    let mut pending: Option<RecordBatch> = None;
    let mut rows = 0u64;
    let mut since_report = 0u64;
    let (names, needed) = (&names, &needed);
    crate::pipeline::ordered(
        Msg::FmVerifyingRows,
        observers,
        |observer, (batch, before): (RecordBatch, u64)| {
            let texts = texts(&batch, names, needed).map_err(|e| shift_row(e, before))?;
            for k in 0..batch.num_rows() {
                let row = before + 1 + k as u64;
                observer
                    .observe(row, |i| texts[i].get(k))
                    .map_err(|e| at_row(e, row))?;
            }
            Ok((observer.take(), batch.num_rows() as u64))
        },
        || {
            let batch = match pending.take() {
                Some(batch) => batch,
                None => match batches.next().transpose()? {
                    Some(batch) => batch,
                    None => return Ok(None),
                },
            };
            let batch = if batch.num_rows() > VERIFY_ROWS {
                pending = Some(batch.slice(VERIFY_ROWS, batch.num_rows() - VERIFY_ROWS));
                batch.slice(0, VERIFY_ROWS)
            } else {
                batch
            };
            let before = rows;
            rows += batch.num_rows() as u64;
            Ok(Some((batch, before)))
        },
        |(tally, read)| {
            total.merge(tally)?;
            since_report += read;
            if since_report >= 8192 {
                since_report = 0;
                progress(Progress {
                    rows: total.rows_read(),
                    bytes: count.get(),
                });
            }
            Ok(())
        },
    )?;
    detector.finish_with(total, &|jobs| crate::pipeline::run_jobs(threads, jobs))
}

/// Reads a caller's table into a detector and returns its attribution, as
/// [`verify_parquet`] does a file.
pub fn verify_table(
    detector: &Detector,
    schema: SchemaRef,
    batches: BatchStream,
) -> Result<Attribution> {
    verify(detector, memory_source(schema, batches), 0, &mut |_| {})
}

/// Streams a leaked Parquet file into a detector and returns its
/// attribution. Columns may come in any order and any subset that keeps the
/// identity; names are matched ignoring case, accents and surrounding space;
/// cells are read in their text form, as [`issue_parquet`] marks them.
pub fn verify_parquet<R: Read + Seek + Send + 'static>(
    detector: &Detector,
    input: R,
    progress: &mut dyn FnMut(Progress),
) -> Result<Attribution> {
    verify(detector, open_parquet(input, 8192)?, 0, progress)
}

/// [`verify_parquet`] for a leaked Arrow IPC file or stream.
pub fn verify_arrow_ipc<R: Read + Seek + 'static>(
    detector: &Detector,
    input: R,
    progress: &mut dyn FnMut(Progress),
) -> Result<Attribution> {
    verify(detector, open_arrow_ipc(input)?, 0, progress)
}

// ---------------------------------------------------------------------------
// Converting CSV

/// A compression codec for [`csv_to_parquet`] and [`csv_to_arrow_ipc`]
/// (which compresses with [`Codec::Zstd`] and [`Codec::Lz4`] only, and
/// writes the others uncompressed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Codec {
    /// No compression.
    Uncompressed,
    /// Snappy, what most writers use.
    #[default]
    Snappy,
    /// Zstandard at its default level.
    Zstd,
    /// LZ4 (raw blocks).
    Lz4,
}

impl Codec {
    /// Arrow IPC compresses with zstd or LZ4 (frames) only.
    fn ipc(self) -> Option<CompressionType> {
        match self {
            Codec::Zstd => Some(CompressionType::ZSTD),
            Codec::Lz4 => Some(CompressionType::LZ4_FRAME),
            Codec::Uncompressed | Codec::Snappy => None,
        }
    }

    fn parquet(self) -> Compression {
        match self {
            Codec::Uncompressed => Compression::UNCOMPRESSED,
            Codec::Snappy => Compression::SNAPPY,
            Codec::Zstd => Compression::ZSTD(Default::default()),
            Codec::Lz4 => Compression::LZ4_RAW,
        }
    }
}

/// How [`csv_to_parquet`] and [`csv_to_arrow_ipc`] write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvertOptions {
    /// Rows per record batch (Arrow IPC: per batch in the file).
    pub batch_rows: usize,
    /// Rows per Parquet row group.
    pub row_group_rows: usize,
    /// The codec of every column (Arrow IPC: of every batch).
    pub codec: Codec,
    /// Arrow IPC: write the stream format rather than the file format.
    pub ipc_stream: bool,
    /// Key/value metadata of the schema (sorted by key when written).
    pub metadata: BTreeMap<String, String>,
}

impl Default for ConvertOptions {
    fn default() -> Self {
        ConvertOptions {
            batch_rows: 8192,
            row_group_rows: 65_536,
            codec: Codec::Snappy,
            ipc_stream: false,
            metadata: BTreeMap::new(),
        }
    }
}

/// Reads a CSV (dialect sniffed) batch by batch as nullable `Utf8` columns.
fn csv_batches<R: Read>(
    csv: R,
    options: &ConvertOptions,
    mut each: impl FnMut(&SchemaRef, RecordBatch) -> Result<()>,
) -> Result<(SchemaRef, u64)> {
    let mut input = io::BufReader::with_capacity(1 << 16, csv);
    let dialect = sniff(&mut input)?;
    let mut rdr = reader(input, dialect);
    let (_, names) = header(&mut rdr)?;
    let fields: Vec<Field> = names
        .iter()
        .map(|n| Field::new(n, DataType::Utf8, true))
        .collect();
    let schema = Arc::new(Schema::new_with_metadata(
        fields,
        options.metadata.clone().into_iter().collect(),
    ));
    let batch_rows = options.batch_rows.max(1);
    let mut builders: Vec<GenericStringBuilder<i32>> = Vec::new();
    let fresh = |names: &[String]| -> Vec<GenericStringBuilder<i32>> {
        names
            .iter()
            .map(|_| GenericStringBuilder::<i32>::with_capacity(batch_rows, batch_rows * 16))
            .collect()
    };
    builders.extend(fresh(&names));
    let flush = |builders: &mut Vec<GenericStringBuilder<i32>>| -> Result<RecordBatch> {
        let columns: Vec<ArrayRef> = builders
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        RecordBatch::try_new(Arc::clone(&schema), columns)
            .map_err(|e| arrow_error(Msg::FmConvertingCsv, e))
    };
    let mut rec = csv::ByteRecord::new();
    let mut rows = 0u64;
    let mut in_batch = 0usize;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(from_csv(e, Some(names.len()))),
        }
        rows += 1;
        let all = utf8_fields(&rec, rows, &names)?;
        for (i, b) in builders.iter_mut().enumerate() {
            b.append_value(field(all, &rec, i));
        }
        in_batch += 1;
        if in_batch == batch_rows {
            let batch = flush(&mut builders)?;
            each(&schema, batch)?;
            in_batch = 0;
        }
    }
    if in_batch > 0 {
        let batch = flush(&mut builders)?;
        each(&schema, batch)?;
    }
    Ok((schema, rows))
}

/// Writes a CSV extract (dialect sniffed) as Parquet with one nullable
/// `Utf8` column per CSV column, every value as it is (an empty field is an
/// empty string, not a null). Returns the number of data rows. Streams.
pub fn csv_to_parquet<R: Read, W: Write + Send>(
    csv: R,
    out: W,
    options: ConvertOptions,
) -> Result<u64> {
    // The schema is only known once the header is read: open the writer then.
    let mut writer: Option<ArrowWriter<W>> = None;
    let mut out = Some(out);
    let props = WriterProperties::builder()
        .set_compression(options.codec.parquet())
        .set_max_row_group_row_count(Some(options.row_group_rows.max(1)))
        .set_max_row_group_bytes(None)
        .build();
    let mut open = |schema: &SchemaRef, writer: &mut Option<ArrowWriter<W>>| -> Result<()> {
        if writer.is_none() {
            let out = out.take().expect("opened once");
            *writer = Some(
                ArrowWriter::try_new(out, Arc::clone(schema), Some(props.clone()))
                    .map_err(|e| parquet_error(Msg::CfWritingParquet, e))?,
            );
        }
        Ok(())
    };
    let (schema, rows) = csv_batches(csv, &options, |schema, batch| {
        open(schema, &mut writer)?;
        writer
            .as_mut()
            .expect("opened")
            .write(&batch)
            .map_err(|e| parquet_error(Msg::CfWritingParquet, e))
    })?;
    open(&schema, &mut writer)?;
    writer
        .expect("opened")
        .into_inner()
        .map_err(|e| parquet_error(Msg::CfWritingParquet, e))?;
    Ok(rows)
}

/// Writes a CSV extract as Arrow IPC (file format, or stream format with
/// [`ConvertOptions::ipc_stream`]), one nullable `Utf8` column per CSV column.
/// Returns the number of data rows. Streams.
pub fn csv_to_arrow_ipc<R: Read, W: Write>(csv: R, out: W, options: ConvertOptions) -> Result<u64> {
    enum Ipc<W: Write> {
        File(FileWriter<BufWriter<W>>),
        Stream(StreamWriter<BufWriter<W>>),
    }
    let context = Msg::CfWritingArrow;
    let mut writer: Option<Ipc<W>> = None;
    let mut out = Some(out);
    let stream = options.ipc_stream;
    let compression = options.codec.ipc();
    let mut open = |schema: &SchemaRef, writer: &mut Option<Ipc<W>>| -> Result<()> {
        if writer.is_none() {
            let out = BufWriter::with_capacity(1 << 16, out.take().expect("opened once"));
            let ipc = ipc_options(compression).and_then(|o| {
                Ok(if stream {
                    Ipc::Stream(StreamWriter::try_new_with_options(out, schema, o)?)
                } else {
                    Ipc::File(FileWriter::try_new_with_options(out, schema, o)?)
                })
            });
            *writer = Some(ipc.map_err(|e| arrow_error(context, e))?);
        }
        Ok(())
    };
    let (schema, rows) = csv_batches(csv, &options, |schema, batch| {
        open(schema, &mut writer)?;
        match writer.as_mut().expect("opened") {
            Ipc::File(w) => w.write(&batch),
            Ipc::Stream(w) => w.write(&batch),
        }
        .map_err(|e| arrow_error(context, e))
    })?;
    open(&schema, &mut writer)?;
    let buffered = match writer.expect("opened") {
        Ipc::File(w) => w.into_inner(),
        Ipc::Stream(w) => w.into_inner(),
    }
    .map_err(|e| arrow_error(context, e))?;
    buffered
        .into_inner()
        .map_err(|e| Error::io(context, e.into_error()))?;
    Ok(rows)
}

/// Writes a Parquet or Arrow IPC extract (file or stream) in a columnar
/// format: Parquet (`to` is [`Format::Parquet`]: `options.codec` for every
/// column, row groups of `options.row_group_rows`) or Arrow IPC (the file
/// format, or the stream format with [`ConvertOptions::ipc_stream`];
/// `options.codec`). Batch by batch, never whole. Returns the number of rows.
///
/// The Arrow schema is written as it is: names, types, nullability, schema-
/// and field-level metadata (a Parquet file's key/value metadata is part of
/// it; `options.metadata` is not used). What lies outside the schema is not
/// carried over: an Arrow IPC file's footer metadata, a Parquet file's row
/// groups and codecs. Arrow types Parquet cannot store make the Parquet
/// writer fail with an error that names them. A caller that needs the schema
/// unchanged reads the output's back ([`ColumnarRows::schema`]) and compares.
pub fn convert_columnar<R, W>(
    input: R,
    from: Format,
    out: W,
    to: Format,
    options: &ConvertOptions,
) -> Result<u64>
where
    R: Read + Seek + Send + 'static,
    W: Write + Send,
{
    let not_columnar = || {
        Error::io(
            Msg::FmConverting,
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "CSV is converted with csv_to_parquet or csv_to_arrow_ipc",
            ),
        )
    };
    let source = match from {
        Format::Parquet => open_parquet(input, options.batch_rows)?,
        Format::ArrowIpc => open_arrow_ipc(input)?,
        Format::Csv => return Err(not_columnar()),
    };
    let schema = Arc::clone(&source.schema);
    let mut rows = 0u64;
    match to {
        Format::Parquet => {
            let context = Msg::CfWritingParquet;
            let props = WriterProperties::builder()
                .set_compression(options.codec.parquet())
                .set_max_row_group_row_count(Some(options.row_group_rows.max(1)))
                .set_max_row_group_bytes(None)
                .build();
            let mut writer = ArrowWriter::try_new(out, schema, Some(props))
                .map_err(|e| parquet_error(context, e))?;
            for batch in source.batches {
                let batch = batch?;
                rows += batch.num_rows() as u64;
                writer
                    .write(&batch)
                    .map_err(|e| parquet_error(context, e))?;
            }
            writer.into_inner().map_err(|e| parquet_error(context, e))?;
        }
        Format::ArrowIpc => {
            let context = Msg::CfWritingArrow;
            let out = BufWriter::with_capacity(1 << 16, out);
            let ipc = ipc_options(options.codec.ipc()).map_err(|e| arrow_error(context, e))?;
            let buffered = if options.ipc_stream {
                let mut writer = StreamWriter::try_new_with_options(out, &schema, ipc)
                    .map_err(|e| arrow_error(context, e))?;
                for batch in source.batches {
                    let batch = batch?;
                    rows += batch.num_rows() as u64;
                    writer.write(&batch).map_err(|e| arrow_error(context, e))?;
                }
                writer.into_inner()
            } else {
                let mut writer = FileWriter::try_new_with_options(out, &schema, ipc)
                    .map_err(|e| arrow_error(context, e))?;
                for batch in source.batches {
                    let batch = batch?;
                    rows += batch.num_rows() as u64;
                    writer.write(&batch).map_err(|e| arrow_error(context, e))?;
                }
                writer.into_inner()
            }
            .map_err(|e| arrow_error(context, e))?;
            let mut out = buffered
                .into_inner()
                .map_err(|e| Error::io(context, e.into_error()))?;
            out.flush().map_err(|e| Error::io(context, e))?;
        }
        Format::Csv => return Err(not_columnar()),
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CSV form is what the `csv` crate writes for the same cells
    /// (minimal quoting, LF): quotes, delimiters, line ends, empty cells,
    /// nulls, a one-column table with an empty cell, non-ASCII, numbers.
    #[test]
    fn the_csv_form_is_what_the_csv_crate_writes() {
        let nasty = [
            "",
            "plain",
            "a,b",
            "say \"hi\"",
            "\"",
            "line\nbreak",
            "cr\rhere",
            "\r\n",
            " lead",
            "trail ",
            "PEÑA, NIÑO",
            "\"\"",
            ",",
            "#hash",
            "tab\there",
        ];
        let mut cells = Vec::new();
        for a in nasty {
            for b in nasty {
                cells.push((a, b));
            }
        }
        let left: StringArray = cells.iter().map(|(a, _)| Some(*a)).collect();
        let right: LargeStringArray = cells
            .iter()
            .enumerate()
            .map(|(i, (_, b))| (i % 7 != 3).then_some(*b))
            .collect();
        let n: arrow_array::Int64Array = (0..cells.len() as i64).map(|i| Some(i - 100)).collect();
        let schema = Arc::new(Schema::new(vec![
            Field::new("a,\"name\"", DataType::Utf8, false),
            Field::new("b", DataType::LargeUtf8, true),
            Field::new("n", DataType::Int64, false),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![Arc::new(left), Arc::new(right), Arc::new(n)],
        )
        .unwrap();
        let mut form = CsvForm::new(
            schema.fields().iter().map(|f| f.name().clone()).collect(),
            Vec::new(),
        )
        .unwrap();
        form.write(&batch.slice(0, 100)).unwrap();
        form.write(&batch.slice(100, batch.num_rows() - 100))
            .unwrap();
        let mine = form.finish().unwrap();

        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        w.write_record(schema.fields().iter().map(|f| f.name()))
            .unwrap();
        for (i, (a, b)) in cells.iter().enumerate() {
            let b = if i % 7 != 3 { *b } else { "" };
            w.write_record([*a, b, &(i as i64 - 100).to_string()])
                .unwrap();
        }
        assert_eq!(
            String::from_utf8(mine).unwrap(),
            String::from_utf8(w.into_inner().unwrap()).unwrap()
        );

        // One column: an empty cell is `""`, not an empty line.
        let one = Arc::new(Schema::new(vec![Field::new("x", DataType::Utf8, true)]));
        let col: StringArray = vec![Some("a"), Some(""), None, Some("b")]
            .into_iter()
            .collect();
        let batch = RecordBatch::try_new(Arc::clone(&one), vec![Arc::new(col)]).unwrap();
        let mut form = CsvForm::new(vec!["x".into()], Vec::new()).unwrap();
        form.write(&batch).unwrap();
        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        for v in ["x", "a", "", "", "b"] {
            w.write_record([v]).unwrap();
        }
        assert_eq!(form.finish().unwrap(), w.into_inner().unwrap());
    }

    fn rendered(array: ArrayRef) -> Vec<String> {
        let text = Text::new(&array, "c").unwrap();
        (0..array.len()).map(|k| text.get(k).to_string()).collect()
    }

    #[test]
    fn dates_round_trip_through_the_civil_calendar() {
        for (days, text) in [
            (0, "1970-01-01"),
            (-1, "1969-12-31"),
            (11_016, "2000-02-29"),
            (-719_468, "0000-03-01"),
            (2_932_896, "9999-12-31"),
            (-719_529, "-0001-12-31"),
        ] {
            let mut s = String::new();
            write_date(days, &mut s);
            assert_eq!(s, text);
            assert_eq!(parse_date(text), Some(days), "{text}");
        }
        // Every day of four centuries, both ways.
        for days in -200_000..-54_000 {
            let mut s = String::new();
            write_date(days, &mut s);
            assert_eq!(parse_date(&s), Some(days), "{s}");
        }
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2023-13-01"), None);
        assert_eq!(parse_date("23-01-01"), None);
        assert_eq!(parse_date("2023-1-01"), None);
    }

    #[test]
    fn times_and_timestamps_round_trip() {
        let ns = 1_700_000_000_123_000_000i128;
        let mut s = String::new();
        write_datetime(ns, 3, &mut s);
        assert_eq!(s, "2023-11-14T22:13:20.123");
        assert_eq!(parse_datetime(&s), Some(ns));
        assert_eq!(parse_datetime(&format!("{s}Z")), Some(ns));
        let mut s = String::new();
        write_datetime(-1_000_000_000, 9, &mut s);
        assert_eq!(s, "1969-12-31T23:59:59");
        assert_eq!(parse_datetime(&s), Some(-1_000_000_000));
        assert_eq!(parse_time("23:59:59.000000001"), Some(86_399_000_000_001));
        assert_eq!(parse_time("24:00:00"), None);
        assert_eq!(parse_time("12:00:00."), None);
    }

    #[test]
    fn decimals_are_written_at_their_scale_and_read_back() {
        for (unscaled, scale, text) in [
            ("635393", 2, "6353.93"),
            ("-5", 2, "-0.05"),
            ("0", 2, "0.00"),
            ("12", 0, "12"),
            ("-120", 1, "-12.0"),
        ] {
            let mut s = String::new();
            write_decimal(unscaled, scale, &mut s);
            assert_eq!(s, text);
            assert_eq!(parse_decimal(text, 10, scale).as_deref(), Some(unscaled));
        }
        assert_eq!(parse_decimal("6353.9", 10, 2).as_deref(), Some("635390"));
        assert_eq!(parse_decimal("6353.931", 10, 2), None);
        assert_eq!(parse_decimal("123456.78", 7, 2), None, "precision");
        assert_eq!(parse_decimal("1e5", 10, 2), None);
        assert_eq!(parse_decimal("", 10, 2), None);
    }

    #[test]
    fn cells_are_rendered_as_csv_shows_them_and_canaries_parse_back() {
        let cases: Vec<(ArrayRef, Vec<&str>)> = vec![
            (
                Arc::new(arrow_array::Int64Array::from(vec![
                    Some(12345678901),
                    None,
                    Some(-7),
                ])),
                vec!["12345678901", "", "-7"],
            ),
            (
                Arc::new(
                    arrow_array::Decimal128Array::from(vec![Some(635_393), Some(-5), None])
                        .with_precision_and_scale(12, 2)
                        .unwrap(),
                ),
                vec!["6353.93", "-0.05", ""],
            ),
            (
                Arc::new(arrow_array::Date32Array::from(vec![Some(5_539), None])),
                vec!["1985-03-02", ""],
            ),
            (
                Arc::new(arrow_array::BooleanArray::from(vec![
                    Some(true),
                    Some(false),
                    None,
                ])),
                vec!["true", "false", ""],
            ),
            (
                Arc::new(arrow_array::Float64Array::from(vec![0.1, 2.0, -1.5])),
                vec!["0.1", "2", "-1.5"],
            ),
            (
                Arc::new(
                    arrow_array::TimestampMillisecondArray::from(vec![Some(1_000), None])
                        .with_timezone("America/Mexico_City"),
                ),
                vec!["1970-01-01T00:00:01Z", ""],
            ),
            (
                Arc::new(
                    vec![Some("AV. REFORMA"), None, Some("AV. REFORMA")]
                        .into_iter()
                        .collect::<arrow_array::DictionaryArray<Int32Type>>(),
                ),
                vec!["AV. REFORMA", "", "AV. REFORMA"],
            ),
        ];
        for (array, want) in cases {
            let dt = array.data_type().clone();
            assert_eq!(rendered(Arc::clone(&array)), want, "{dt}");
            if canary_type(&dt) {
                let back = canary_column(&dt, &want).unwrap();
                assert_eq!(back.data_type(), &dt);
                assert_eq!(rendered(back), want, "{dt}");
            }
        }
        let binary: ArrayRef = Arc::new(arrow_array::BinaryArray::from(vec![&b"x"[..]]));
        assert!(Text::new(&binary, "FOTO").is_err());
        assert!(canary_column(&DataType::Int32, &["x"]).is_none());
    }

    #[test]
    fn changed_cells_replace_the_input_and_keep_nulls() {
        let input: ArrayRef = Arc::new(StringArray::from(vec![
            Some("A"),
            None,
            Some("C"),
            Some("D"),
        ]));
        let mut changes = Changes::default();
        changes.push(0, "AV.");
        changes.push(3, "DD");
        let out = rebuild(&input, &changes, "CALLE").unwrap();
        assert_eq!(rendered(out.clone()), ["AV.", "", "C", "DD"]);
        assert!(out.is_null(1));
        let amounts: ArrayRef = Arc::new(
            arrow_array::Decimal64Array::from(vec![Some(100), None, Some(-251)])
                .with_precision_and_scale(9, 2)
                .unwrap(),
        );
        let mut changes = Changes::default();
        changes.push(2, "-2.50");
        let out = rebuild(&amounts, &changes, "MONTO").unwrap();
        assert_eq!(out.data_type(), amounts.data_type());
        assert_eq!(rendered(out), ["1.00", "", "-2.50"]);
        let mut changes = Changes::default();
        changes.push(0, "1.001");
        assert!(rebuild(&amounts, &changes, "MONTO").is_err());
    }

    #[test]
    fn conversions_between_columnar_formats_keep_the_schema_and_the_cells() {
        let fields = vec![
            Field::new("NSS", DataType::Int64, false)
                .with_metadata([("unit".to_owned(), "imss".to_owned())].into()),
            Field::new("MONTO", DataType::Decimal128(12, 2), true),
            Field::new("CALLE", DataType::Utf8, true),
            Field::new("ALTA", DataType::Date32, true),
        ];
        let schema = Arc::new(Schema::new_with_metadata(
            fields,
            [("registro".to_owned(), "pensiones".to_owned())].into(),
        ));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(arrow_array::Int64Array::from(vec![12345678901, 2, 3])),
            Arc::new(
                arrow_array::Decimal128Array::from(vec![Some(635_393), None, Some(-5)])
                    .with_precision_and_scale(12, 2)
                    .unwrap(),
            ),
            Arc::new(StringArray::from(vec![
                Some("AV. REFORMA 1"),
                None,
                Some(""),
            ])),
            Arc::new(arrow_array::Date32Array::from(vec![
                Some(5_539),
                Some(0),
                None,
            ])),
        ];
        let batch = RecordBatch::try_new(Arc::clone(&schema), columns).unwrap();
        let mut parquet = Vec::new();
        let mut w = ArrowWriter::try_new(&mut parquet, Arc::clone(&schema), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let read = |format: Format, bytes: &[u8]| {
            let rows = ColumnarRows::open(format, io::Cursor::new(bytes.to_vec())).unwrap();
            let schema = rows.schema();
            (
                schema,
                rows.into_rows().map(|r| r.unwrap()).collect::<Vec<_>>(),
            )
        };
        let (in_schema, in_rows) = read(Format::Parquet, &parquet);
        assert_eq!(in_schema, schema);
        assert_eq!(
            in_rows[0],
            ["12345678901", "6353.93", "AV. REFORMA 1", "1985-03-02"]
        );
        // Parquet -> Arrow IPC stream -> Arrow IPC file -> Parquet.
        let mut hops = vec![(Format::Parquet, parquet)];
        for (to, stream) in [
            (Format::ArrowIpc, true),
            (Format::ArrowIpc, false),
            (Format::Parquet, false),
        ] {
            let (from, bytes) = hops.last().unwrap().clone();
            let options = ConvertOptions {
                ipc_stream: stream,
                codec: Codec::Zstd,
                ..ConvertOptions::default()
            };
            let mut out = Vec::new();
            let rows =
                convert_columnar(io::Cursor::new(bytes), from, &mut out, to, &options).unwrap();
            assert_eq!(rows, 3);
            assert_eq!(Format::sniff(&out), to);
            assert_eq!(out.starts_with(ARROW_CONTINUATION), stream);
            let (out_schema, out_rows) = read(to, &out);
            assert_eq!(out_schema, schema, "{from} -> {to}");
            assert_eq!(out_rows, in_rows, "{from} -> {to}");
            hops.push((to, out));
        }
        let csv = b"A,B\n1,2\n".to_vec();
        assert!(convert_columnar(
            io::Cursor::new(csv),
            Format::Csv,
            Vec::new(),
            Format::Parquet,
            &ConvertOptions::default()
        )
        .is_err());
    }

    /// Every row of a columnar file read through [`RowSource`] with batches
    /// of at most `limit` rows, with its position.
    fn rows_in_batches(
        format: Format,
        bytes: &[u8],
        limit: usize,
    ) -> (Vec<(watermark_core::RowPosition, Vec<String>)>, u64) {
        let mut rows = ColumnarRows::open(format, io::Cursor::new(bytes.to_vec())).unwrap();
        let mut batch = RowBatch::new();
        let mut out = Vec::new();
        while rows.next_batch(&mut batch, limit).unwrap() {
            assert!(!batch.is_empty() && batch.len() <= limit);
            for k in 0..batch.len() {
                out.push((
                    batch.position(k),
                    batch.row(k).iter().map(str::to_string).collect(),
                ));
            }
        }
        assert!(batch.is_empty());
        (out, rows.bytes_read())
    }

    #[test]
    fn rows_of_text_come_straight_from_the_batches_as_csv_shows_them() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("CURP", DataType::Utf8, true),
            Field::new("NOMBRE", DataType::LargeUtf8, true),
            Field::new("NSS", DataType::Int64, true),
            Field::new("MONTO", DataType::Decimal128(12, 2), true),
            Field::new("NACIMIENTO", DataType::Date32, true),
            Field::new(
                "CALLE",
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                true,
            ),
            Field::new("ACTIVO", DataType::Boolean, true),
        ]));
        let batch = |from: i64, n: i64| {
            let ids: Vec<Option<String>> = (from..from + n)
                .map(|i| (i % 5 != 3).then(|| format!("ID{i:03}")))
                .collect();
            let columns: Vec<ArrayRef> = vec![
                Arc::new(StringArray::from(ids)),
                Arc::new(LargeStringArray::from_iter(
                    (from..from + n).map(|i| (i % 4 != 1).then(|| format!("Ñoño \"{i}\",\n"))),
                )),
                Arc::new(arrow_array::Int64Array::from_iter(
                    (from..from + n).map(|i| (i % 6 != 2).then_some(i * 1_000_000_007 - 3)),
                )),
                Arc::new(
                    arrow_array::Decimal128Array::from_iter(
                        (from..from + n).map(|i| Some(i128::from(i) * 37 - 50)),
                    )
                    .with_precision_and_scale(12, 2)
                    .unwrap(),
                ),
                Arc::new(arrow_array::Date32Array::from_iter(
                    (from..from + n).map(|i| (i % 7 != 0).then_some(i as i32 * 97)),
                )),
                // One dictionary for every batch, as an IPC file needs.
                Arc::new(
                    arrow_array::DictionaryArray::<Int32Type>::try_new(
                        arrow_array::Int32Array::from_iter(
                            (from..from + n).map(|i| (i % 3 != 0).then_some((i % 2) as i32)),
                        ),
                        Arc::new(StringArray::from(vec!["AV. X", "C. Y"])),
                    )
                    .unwrap(),
                ),
                Arc::new(arrow_array::BooleanArray::from_iter(
                    (from..from + n).map(|i| (i % 2 == 0).then_some(i % 4 == 0)),
                )),
            ];
            RecordBatch::try_new(Arc::clone(&schema), columns).unwrap()
        };
        // Batches of 7, 0 and 9 rows.
        let batches = [batch(0, 7), batch(7, 0), batch(7, 9)];
        let mut parquet = Vec::new();
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(5))
            .build();
        let mut w = ArrowWriter::try_new(&mut parquet, Arc::clone(&schema), Some(props)).unwrap();
        for b in &batches {
            w.write(b).unwrap();
        }
        w.close().unwrap();
        let mut file = Vec::new();
        let mut w = FileWriter::try_new(&mut file, &schema).unwrap();
        for b in &batches {
            w.write(b).unwrap();
        }
        w.finish().unwrap();
        drop(w);
        let mut stream = Vec::new();
        let mut w = StreamWriter::try_new(&mut stream, &schema).unwrap();
        for b in &batches {
            w.write(b).unwrap();
        }
        w.finish().unwrap();
        drop(w);

        let row_8 = [
            "",
            "Ñoño \"8\",\n",
            "",
            "2.46",
            "1972-02-16",
            "AV. X",
            "true",
        ];
        let row_9 = ["ID009", "", "9000000060", "2.83", "1972-05-23", "", ""];
        for (format, bytes) in [
            (Format::Parquet, &parquet),
            (Format::ArrowIpc, &file),
            (Format::ArrowIpc, &stream),
        ] {
            // What a CSV export of the file holds, read back as CSV.
            let csv_rows: Vec<Vec<String>> = csv::Reader::from_reader(
                ColumnarRows::open(format, io::Cursor::new(bytes.clone()))
                    .unwrap()
                    .into_csv(),
            )
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
            assert_eq!(csv_rows.len(), 16);
            assert_eq!(csv_rows[8], row_8);
            assert_eq!(csv_rows[9], row_9);
            assert_eq!(csv_rows[3][0], "", "a null is an empty cell");
            assert_eq!(csv_rows[0][1], "Ñoño \"0\",\n");
            for limit in [1, 3, 1024, usize::MAX] {
                let (rows, bytes_read) = rows_in_batches(format, bytes, limit);
                let cells: Vec<Vec<String>> = rows.iter().map(|(_, r)| r.clone()).collect();
                assert_eq!(cells, csv_rows, "{format}, batches of {limit}");
                for (n, (at, _)) in rows.iter().enumerate() {
                    let row = n as u64 + 1;
                    assert_eq!(*at, watermark_core::RowPosition { row, line: row + 1 });
                }
                assert!(bytes_read > 0);
            }
        }
    }

    #[test]
    fn a_column_without_text_form_is_an_error_placed_at_its_column() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("CURP", DataType::Utf8, false),
            Field::new("FOTO", DataType::Binary, false),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(StringArray::from(vec!["A", "B"])),
                Arc::new(arrow_array::BinaryArray::from(vec![&b"x"[..], &b"y"[..]])),
            ],
        )
        .unwrap();
        let mut file = Vec::new();
        let mut w = FileWriter::try_new(&mut file, &schema).unwrap();
        w.write(&batch).unwrap();
        w.finish().unwrap();
        drop(w);
        let mut rows = ColumnarRows::arrow_ipc(io::Cursor::new(file)).unwrap();
        assert_eq!(RowSource::header(&rows), ["CURP", "FOTO"]);
        let mut batch = RowBatch::new();
        let e = rows.next_batch(&mut batch, 10).unwrap_err();
        assert_eq!(e.column(), Some("FOTO"));
        assert!(e.to_string().contains("Binary"), "{e}");
        assert!(batch.is_empty());
        // Nothing more after an error.
        assert!(!rows.next_batch(&mut batch, 10).unwrap());
    }

    /// Reads every batch of a columnar file; the error, if any.
    fn drain(bytes: &[u8], parquet: bool) -> Option<Error> {
        let source = if parquet {
            open_parquet(io::Cursor::new(bytes.to_vec()), 64)
        } else {
            open_arrow_ipc(io::Cursor::new(bytes.to_vec()))
        };
        match source {
            Err(e) => Some(e),
            Ok(source) => source.batches.filter_map(|b| b.err()).next(),
        }
    }

    #[test]
    fn damaged_columnar_files_are_errors_never_panics() {
        let mut csv = String::from("CURP,NOMBRE,EDAD\n");
        for i in 0..40 {
            csv.push_str(&format!("CURP{i:04},Nombre {i},{}\n", 20 + i));
        }
        let mut parquet = Vec::new();
        csv_to_parquet(csv.as_bytes(), &mut parquet, ConvertOptions::default()).unwrap();
        let mut arrow = Vec::new();
        let mut stream = Vec::new();
        for (out, ipc_stream) in [(&mut arrow, false), (&mut stream, true)] {
            convert_columnar(
                io::Cursor::new(parquet.clone()),
                Format::Parquet,
                out,
                Format::ArrowIpc,
                &ConvertOptions {
                    ipc_stream,
                    ..ConvertOptions::default()
                },
            )
            .unwrap();
        }
        let mut reader_failed = 0;
        for (bytes, is_parquet) in [(&parquet, true), (&arrow, false), (&stream, false)] {
            assert!(drain(bytes, is_parquet).is_none());
            // Every byte with every bit flipped at once, and with its low
            // bit: each read either succeeds or is an error.
            for at in 0..bytes.len() {
                for xor in [0xFF, 0x01] {
                    let mut damaged = bytes.clone();
                    damaged[at] ^= xor;
                    let started = std::time::Instant::now();
                    let error = drain(&damaged, is_parquet);
                    // No damaged length makes a reader allocate (and fill)
                    // what it claims: that took seconds and gigabytes.
                    assert!(
                        started.elapsed() < std::time::Duration::from_secs(2),
                        "byte {at} ^ {xor:#x}: {:?}",
                        started.elapsed()
                    );
                    if let Some(e) = error {
                        let text = e.to_string();
                        assert!(text.starts_with("reading "), "{text}");
                        if text.contains("the reader failed on it") {
                            reader_failed += 1;
                        }
                    }
                }
            }
        }
        // Some of those made a reader panic: the guard is what stood
        // between them and a crash.
        assert!(reader_failed > 0);
    }

    #[test]
    fn batches_are_cut_at_row_group_ends() {
        let batch = |n: usize| {
            RecordBatch::try_from_iter([(
                "x",
                Arc::new(arrow_array::Int32Array::from_iter_values(0..n as i32)) as ArrayRef,
            )])
            .map_err(|e| arrow_error("test", e))
        };
        let batches: Vec<Result<RecordBatch>> = vec![batch(4), batch(4), batch(4), batch(1)];
        let pieces = Pieces {
            batches: Box::new(batches.into_iter()),
            groups: vec![3, 0, 6, 4],
            group: 0,
            left_in_group: None,
            pending: None,
        };
        let cut: Vec<(usize, bool)> = pieces
            .map(|p| p.map(|(b, end)| (b.num_rows(), end)).unwrap())
            .collect();
        assert_eq!(
            cut,
            [
                (3, true),
                (1, false),
                (4, false),
                (1, true),
                (3, false),
                (1, true)
            ]
        );
    }
}
