//! `watermark._watermark`: the Python package's native module.
//!
//! Tables come in through the Arrow C stream interface (PyArrow, pandas,
//! Polars, DuckDB: anything with `__arrow_c_stream__`) and are used where
//! they are: the batches share the caller's buffers, never copied; a copy's
//! batch without canary rows keeps the table's columns but the carriers. Every call releases the GIL
//! while it reads, marks, hashes or logs. Results are JSON documents (the
//! ones `watermark issue --json` and `watermark verify --json` print),
//! which the Python layer turns into dicts; errors are `WatermarkError`s
//! that carry the fault, the row and the column.

use std::path::PathBuf;
use std::sync::Mutex;

use arrow_pyarrow::{FromPyArrow, PyArrowType, Table};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use watermark_app::messages::{tr, Msg};
use watermark_app::tables::{self, InMemory, TableSource};
use watermark_app::{hidden, Fault, Lang, ProgressSink, Reporter};
use watermark_formats::reexport::arrow_array::ffi_stream::ArrowArrayStreamReader;
use watermark_formats::reexport::arrow_array::{RecordBatch, RecordBatchReader as _};
use watermark_formats::reexport::arrow_schema::SchemaRef;
use watermark_formats::{BatchStream, Deliver};
use watermark_text::{said, SaidContext as _};

/// The module's own allocations (batches, canary models, copies' columns)
/// go to mimalloc rather than to the Python process's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pyo3::create_exception!(
    _watermark,
    WatermarkError,
    PyException,
    "An issuance or a verification that could not be done. `fault` is \"input\" when the \
     table, policy, recipients or arguments are at fault and \"state\" when the state \
     directory, its key, log or witnesses are; `row` and `column` say where in the table, \
     when known."
);

/// Notices of a workflow (recovery, witnesses), kept for the caller.
#[derive(Default)]
struct Notices {
    lang: Option<Lang>,
    kept: Mutex<Vec<String>>,
}

impl Reporter for Notices {
    fn notice(&self, text: &str) -> std::io::Result<()> {
        self.kept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(text.to_owned());
        Ok(())
    }

    fn progress(&self, _: u64, _: &str) -> std::sync::Arc<dyn ProgressSink> {
        hidden()
    }

    fn lang(&self) -> Lang {
        self.lang.unwrap_or(Lang::En)
    }
}

impl Notices {
    fn new(lang: Option<&str>) -> PyResult<Notices> {
        Ok(Notices {
            lang: Some(parse_lang(lang)?),
            kept: Mutex::default(),
        })
    }

    fn take(self) -> Vec<String> {
        self.kept.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

fn parse_lang(lang: Option<&str>) -> PyResult<Lang> {
    match lang {
        None => Ok(Lang::from_env()),
        Some(tag) => Lang::parse(tag).ok_or_else(|| {
            pyo3::exceptions::PyValueError::new_err(format!(
                "lang must be \"en\" or \"es\", not {:?}",
                watermark_core::bounded(tag, 40)
            ))
        }),
    }
}

/// A workflow's error as a `WatermarkError`, with its fault, row and column,
/// in the caller's language. Never holds the key or a cell's value: the
/// workflows' messages do not.
fn py_error(py: Python<'_>, e: watermark_app::Error, lang: Lang) -> PyErr {
    let err = WatermarkError::new_err(e.message_in(lang));
    let core = e.find::<watermark_core::Error>();
    let value = err.value(py);
    let fault = match e.fault() {
        Fault::Input => "input",
        _ => "state",
    };
    let _ = value.setattr("fault", fault);
    let _ = value.setattr("row", core.and_then(|c| c.row()));
    let column = core.and_then(|c| match (c.column(), c.kind()) {
        (Some(column), _) => Some(column.to_owned()),
        (None, watermark_core::ErrorKind::MissingColumn { column, .. }) => Some(column.clone()),
        _ => None,
    });
    let _ = value.setattr("column", column);
    err
}

fn json<T: serde::Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))
}

/// An error of the table's stream (its producer's), as an input error.
fn stream_error(e: impl std::fmt::Display) -> watermark_core::Error {
    watermark_core::Error::io(Msg::CfReadingTable, std::io::Error::other(e.to_string()))
}

/// A table read once from its stream into batches (no cell is copied).
fn read_table(reader: ArrowArrayStreamReader, name: String) -> watermark_app::Result<InMemory> {
    let schema = reader.schema();
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow_error(stream_error(e), &name))?;
    Ok(InMemory {
        schema,
        batches,
        name,
    })
}

fn anyhow_error(e: watermark_core::Error, name: &str) -> watermark_app::Error {
    watermark_app::Error::input(anyhow::Error::new(e).context(name.to_owned()))
}

fn stream_of(table: &Bound<'_, PyAny>, lang: Lang) -> PyResult<ArrowArrayStreamReader> {
    if !table.hasattr("__arrow_c_stream__")? {
        return Err(pyo3::exceptions::PyTypeError::new_err(tr(
            lang,
            Msg::TbNotATable,
            &[&table.get_type().name()?],
        )));
    }
    ArrowArrayStreamReader::from_pyarrow_bound(table)
}

fn in_memory(
    py: Python<'_>,
    table: &Bound<'_, PyAny>,
    name: String,
    lang: Lang,
) -> PyResult<InMemory> {
    let reader = stream_of(table, lang)?;
    py.detach(|| read_table(reader, name))
        .map_err(|e| py_error(py, e, lang))
}

/// Creates a state directory (master key, empty signed log); returns its
/// description as JSON.
#[pyfunction]
#[pyo3(signature = (state, log_origin=None))]
fn init(py: Python<'_>, state: PathBuf, log_origin: Option<String>) -> PyResult<String> {
    let created = py.detach(|| -> watermark_app::Result<serde_json::Value> {
        let s = watermark_app::State::init_with_log_origin(&state, log_origin.as_deref())
            .map_err(watermark_app::Error::server)?;
        describe_state(&s)
    });
    created
        .map_err(|e| py_error(py, e, Lang::from_env()))
        .and_then(|v| json(&v))
}

/// Describes an existing state directory as JSON.
#[pyfunction]
fn open_state(py: Python<'_>, state: PathBuf) -> PyResult<String> {
    py.detach(|| {
        let s = watermark_app::State::open(&state).map_err(watermark_app::Error::server)?;
        describe_state(&s)
    })
    .map_err(|e| py_error(py, e, Lang::from_env()))
    .and_then(|v| json(&v))
}

fn describe_state(s: &watermark_app::State) -> watermark_app::Result<serde_json::Value> {
    let key_id = s
        .master_key()
        .map_err(watermark_app::Error::server)?
        .id()
        .to_hex();
    let log = s.log().map_err(watermark_app::Error::server)?;
    Ok(serde_json::json!({
        "state": s.dir(),
        "key_id": key_id,
        "log_origin": log.origin(),
        "log_public_key": log.verifier().to_vkey(),
        "log_size": log.size(),
    }))
}

/// Suggests a marking policy for a table; returns commented TOML.
#[pyfunction]
#[pyo3(signature = (table, name, rows=10_000, identity=None, canaries=true, canary_rate=None))]
fn suggest_policy(
    py: Python<'_>,
    table: &Bound<'_, PyAny>,
    name: String,
    rows: usize,
    identity: Option<Vec<String>>,
    canaries: bool,
    canary_rate: Option<f64>,
) -> PyResult<String> {
    let rate = canary_rate.unwrap_or(watermark_core::DEFAULT_CANARY_RATE);
    if canaries && !(rate > 0.0 && rate <= 0.2) {
        return Err(pyo3::exceptions::PyValueError::new_err(tr(
            Lang::from_env(),
            Msg::TbCanaryRate,
            &[&rate],
        )));
    }
    let canary_rate = canaries.then_some(rate);
    let source = Streamed::of(table, name, Lang::from_env())?;
    py.detach(|| tables::suggest_policy(&source, rows, identity.as_deref(), canary_rate))
        .map_err(|e| py_error(py, e, Lang::from_env()))
}

/// A table read from a stream exactly once.
struct Streamed {
    schema: SchemaRef,
    reader: Mutex<Option<ArrowArrayStreamReader>>,
    name: String,
}

impl Streamed {
    /// The stream `table.__arrow_c_stream__()` gives.
    fn of(table: &Bound<'_, PyAny>, name: String, lang: Lang) -> PyResult<Streamed> {
        let reader = stream_of(table, lang)?;
        Ok(Streamed {
            schema: reader.schema(),
            reader: Mutex::new(Some(reader)),
            name,
        })
    }
}

impl TableSource for Streamed {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn open(&self) -> watermark_app::Result<BatchStream> {
        let reader = self
            .reader
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(|| {
                watermark_app::Error::input(
                    anyhow::Error::new(said!(Msg::TbStreamOnce)).context(self.name.clone()),
                )
            })?;
        Ok(Box::new(reader))
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}

/// A table read from the start each time by calling a Python function
/// that returns a fresh stream (`lambda: pq.ParquetFile(p).iter_batches()`
/// wrapped in a reader, a dataset's scanner...).
struct Reopened {
    schema: SchemaRef,
    open: Py<PyAny>,
    name: String,
}

impl TableSource for Reopened {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn open(&self) -> watermark_app::Result<BatchStream> {
        let reader = Python::attach(|py| -> PyResult<ArrowArrayStreamReader> {
            let stream = self.open.call0(py)?;
            stream_of(stream.bind(py), Lang::from_env())
        })
        .map_err(|e| {
            watermark_app::Error::input(
                anyhow::Error::new(said!(Msg::TbOpenFailed, e)).context(self.name.clone()),
            )
        })?;
        if reader.schema().fields() != self.schema.fields() {
            return Err(watermark_app::Error::input(
                anyhow::Error::new(said!(Msg::TbOpenSchema)).context(self.name.clone()),
            ));
        }
        Ok(Box::new(reader))
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}

/// A copy handed to a Python function, batch by batch, as
/// `sink(recipient, pyarrow.RecordBatch)`.
struct PySink {
    recipient: String,
    sink: Py<PyAny>,
}

impl Deliver for PySink {
    fn deliver(&mut self, batch: RecordBatch) -> watermark_core::Result<()> {
        Python::attach(|py| {
            self.sink
                .call1(py, (self.recipient.as_str(), PyArrowType(batch)))
                .map(|_| ())
        })
        .map_err(|e| {
            watermark_core::Error::io(
                Msg::CfReadingTable,
                std::io::Error::other(said!(Msg::TbSinkFailed, self.recipient, e)),
            )
        })
    }
}

/// Issues a table held in memory to every recipient; returns the report
/// (JSON), each copy as a `pyarrow.Table` (in the recipients' order), and
/// the notices.
#[pyfunction]
#[pyo3(signature = (table, name, state, policy, recipients, witnesses=None, lang=None))]
#[allow(clippy::too_many_arguments)]
fn issue(
    py: Python<'_>,
    table: &Bound<'_, PyAny>,
    name: String,
    state: PathBuf,
    policy: PathBuf,
    recipients: Vec<String>,
    witnesses: Option<PathBuf>,
    lang: Option<&str>,
) -> PyResult<(String, Vec<PyArrowType<Table>>, Vec<String>)> {
    let notices = Notices::new(lang)?;
    let lang = notices.lang();
    let source = in_memory(py, table, name, lang)?;
    let settings = tables::IssueSettings {
        state,
        policy,
        recipients,
        witnesses,
    };
    let deliveries = vec![Vec::<RecordBatch>::new(); settings.recipients.len()];
    let (report, copies) = py
        .detach(|| tables::issue(&settings, &source, deliveries, &notices))
        .map_err(|e| py_error(py, e, lang))?;
    let tables = copies
        .into_iter()
        .map(|batches| {
            Table::try_new(batches, source.schema.clone())
                .map(PyArrowType)
                .map_err(|e| WatermarkError::new_err(e.to_string()))
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok((json(&report)?, tables, notices.take()))
}

/// Issues a table read through `open()` (called once per pass) to every
/// recipient, handing each copy's batches to `sink(recipient, batch)` as
/// they are marked; returns the report (JSON) and the notices.
#[pyfunction]
#[pyo3(signature = (open, sink, name, state, policy, recipients, witnesses=None, lang=None))]
#[allow(clippy::too_many_arguments)]
fn issue_stream(
    py: Python<'_>,
    open: Py<PyAny>,
    sink: Py<PyAny>,
    name: String,
    state: PathBuf,
    policy: PathBuf,
    recipients: Vec<String>,
    witnesses: Option<PathBuf>,
    lang: Option<&str>,
) -> PyResult<(String, Vec<String>)> {
    let notices = Notices::new(lang)?;
    let lang = notices.lang();
    let schema = {
        let first = open.call0(py)?;
        stream_of(first.bind(py), lang)?.schema()
    };
    let source = Reopened { schema, open, name };
    let settings = tables::IssueSettings {
        state,
        policy,
        recipients,
        witnesses,
    };
    let deliveries = settings
        .recipients
        .iter()
        .map(|r| PySink {
            recipient: r.clone(),
            sink: sink.clone_ref(py),
        })
        .collect();
    let (report, _) = py
        .detach(|| tables::issue(&settings, &source, deliveries, &notices))
        .map_err(|e| py_error(py, e, lang))?;
    Ok((json(&report)?, notices.take()))
}

/// Verifies a leaked table; returns the report (JSON, what `watermark
/// verify --json` prints) and the notices. With `html`, also writes the
/// signed HTML evidence report there (refusing to overwrite a file).
#[pyfunction]
#[pyo3(signature = (table, name, state, investigator, master=None, threshold=None, witnesses=None, html=None, lang=None))]
#[allow(clippy::too_many_arguments)]
fn verify(
    py: Python<'_>,
    table: &Bound<'_, PyAny>,
    name: String,
    state: PathBuf,
    investigator: String,
    master: Option<PathBuf>,
    threshold: Option<f64>,
    witnesses: Option<PathBuf>,
    html: Option<PathBuf>,
    lang: Option<&str>,
) -> PyResult<(String, Vec<String>)> {
    let notices = Notices::new(lang)?;
    let lang = notices.lang();
    let source = Streamed::of(table, name, lang)?;
    let settings = tables::VerifySettings {
        state: state.clone(),
        threshold,
        investigator: investigator.trim().to_owned(),
        master,
        witnesses,
    };
    let report = py
        .detach(|| -> watermark_app::Result<_> {
            if let Some(path) = &html {
                // Before anything is logged: a report that cannot be
                // written is found out first.
                watermark_app::report::check_destination(path)?;
            }
            let report = tables::verify(&settings, &source, &notices)?;
            if let Some(path) = &html {
                let signer = watermark_app::State::open(&state)
                    .and_then(|s| s.log_signer())
                    .map_err(watermark_app::Error::server)?;
                let page = watermark_app::report::sign_in(&report, &signer, lang)?;
                watermark_app::report::write_new(path, page.as_bytes())?;
            }
            Ok(report)
        })
        .map_err(|e| py_error(py, e, lang))?;
    Ok((json(&report)?, notices.take()))
}

/// A table given as a table, or as a function that returns a fresh stream
/// of it each time it is called.
fn table_or_open(
    py: Python<'_>,
    table: &Bound<'_, PyAny>,
    name: String,
    lang: Lang,
) -> PyResult<Box<dyn TableSource + Send + Sync>> {
    if table.hasattr("__arrow_c_stream__")? || !table.is_callable() {
        return Ok(Box::new(in_memory(py, table, name, lang)?));
    }
    let first = table.call0()?;
    let schema = stream_of(&first, lang)?.schema();
    Ok(Box::new(Reopened {
        schema,
        open: table.clone().unbind(),
        name,
    }))
}

/// Prepares an issuance of a table to be marked elsewhere (Spark tasks);
/// returns the prepared issuance (JSON: no secret) and the notices.
#[pyfunction]
#[pyo3(signature = (table, name, state, policy, recipients, witnesses=None, lang=None))]
#[allow(clippy::too_many_arguments)]
fn prepare_issue(
    py: Python<'_>,
    table: &Bound<'_, PyAny>,
    name: String,
    state: PathBuf,
    policy: PathBuf,
    recipients: Vec<String>,
    witnesses: Option<PathBuf>,
    lang: Option<&str>,
) -> PyResult<(String, Vec<String>)> {
    let notices = Notices::new(lang)?;
    let lang = notices.lang();
    let source = table_or_open(py, table, name, lang)?;
    let settings = tables::IssueSettings {
        state,
        policy,
        recipients,
        witnesses,
    };
    let prepared = py
        .detach(|| tables::prepare(&settings, source.as_ref(), &notices))
        .map_err(|e| py_error(py, e, lang))?;
    Ok((json(&prepared)?, notices.take()))
}

fn parse_prepared(prepared: &str) -> PyResult<tables::Prepared> {
    serde_json::from_str(prepared).map_err(|e| {
        pyo3::exceptions::PyValueError::new_err(tr(Lang::from_env(), Msg::TbNotPrepared, &[&e]))
    })
}

/// Marks a part of a prepared table (rows `first_row...`; `last` when it
/// holds the table's last row) with the state's key; returns each
/// recipient's batches, in the order's recipients' order, and the slots
/// marked in each copy's part.
#[pyfunction]
#[pyo3(signature = (prepared, state, batches, first_row=1, last=true))]
fn mark_part(
    py: Python<'_>,
    prepared: &str,
    state: PathBuf,
    batches: &Bound<'_, PyAny>,
    first_row: u64,
    last: bool,
) -> PyResult<(Vec<Vec<PyArrowType<RecordBatch>>>, u64)> {
    let prepared = parse_prepared(prepared)?;
    let lang = Lang::from_env();
    let reader = stream_of(batches, lang)?;
    let n = prepared.order.recipients.len();
    let summary = py
        .detach(|| -> watermark_app::Result<_> {
            let key = watermark_app::State::open(&state)
                .and_then(|s| s.master_key())
                .map_err(watermark_app::Error::server)?;
            let part = watermark_formats::Part {
                first_row: first_row.max(1),
                last,
            };
            tables::mark(
                &prepared,
                &key,
                reader.schema(),
                Box::new(reader),
                vec![Vec::<RecordBatch>::new(); n],
                Some(part),
            )
        })
        .map_err(|e| py_error(py, e, lang))?;
    let slots = summary.slots_marked;
    let copies = summary
        .outputs
        .into_iter()
        .map(|c| c.delivered.into_iter().map(PyArrowType).collect())
        .collect();
    Ok((copies, slots))
}

/// Logs the copies of a prepared issuance, given as tables in the order's
/// recipients' order; returns the report (JSON) and the notices.
#[pyfunction]
#[pyo3(signature = (prepared, copies, slots_marked, state, witnesses=None, lang=None))]
fn commit_issue(
    py: Python<'_>,
    prepared: &str,
    copies: Vec<Bound<'_, PyAny>>,
    slots_marked: u64,
    state: PathBuf,
    witnesses: Option<PathBuf>,
    lang: Option<&str>,
) -> PyResult<(String, Vec<String>)> {
    let notices = Notices::new(lang)?;
    let lang = notices.lang();
    let prepared = parse_prepared(prepared)?;
    let readers = copies
        .iter()
        .map(|c| stream_of(c, lang))
        .collect::<PyResult<Vec<_>>>()?;
    let settings = tables::IssueSettings {
        state,
        policy: PathBuf::new(),
        recipients: Vec::new(),
        witnesses,
    };
    let report = py
        .detach(|| -> watermark_app::Result<_> {
            let key = watermark_app::State::open(&settings.state)
                .and_then(|s| s.master_key())
                .map_err(watermark_app::Error::server)?;
            let mut marked = Vec::with_capacity(readers.len());
            for (i, (reader, r)) in readers
                .into_iter()
                .zip(&prepared.order.recipients)
                .enumerate()
            {
                let source = read_table(reader, format!("{}'s copy", r.id))?;
                tables::check_copy(&prepared, &key, i, &source)?;
                let (blake3, bytes, rows) = tables::digest_of(&source)?;
                marked.push(tables::Marked {
                    blake3,
                    bytes,
                    rows,
                });
            }
            tables::commit(&settings, &prepared, &marked, slots_marked, &notices)
        })
        .map_err(|e| py_error(py, e, lang))?;
    Ok((json(&report)?, notices.take()))
}

/// The digest of a table: the BLAKE3 of its CSV form, in hex.
#[pyfunction]
fn digest(py: Python<'_>, table: &Bound<'_, PyAny>, name: String) -> PyResult<String> {
    let source = Streamed::of(table, name, Lang::from_env())?;
    py.detach(|| tables::digest(&source))
        .map_err(|e| py_error(py, e, Lang::from_env()))
}

/// Writes a table's CSV form to a new file; returns its data rows.
#[pyfunction]
fn write_csv(
    py: Python<'_>,
    table: &Bound<'_, PyAny>,
    name: String,
    path: PathBuf,
) -> PyResult<u64> {
    let source = Streamed::of(table, name, Lang::from_env())?;
    py.detach(|| -> watermark_app::Result<u64> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .said(|| said!(Msg::CtxCreating, path.display()))
            .map_err(watermark_app::Error::input)?;
        tables::write_csv_form(&source, std::io::BufWriter::new(file))
    })
    .map_err(|e| py_error(py, e, Lang::from_env()))
}

/// A sentence of the Python layer's own errors, in the caller's language
/// (the locale's when `lang` is omitted).
#[pyfunction]
#[pyo3(signature = (what, arg, lang=None))]
fn say(what: &str, arg: &str, lang: Option<&str>) -> PyResult<String> {
    let msg = match what {
        "state_closed" => Msg::TbStateClosed,
        "no_copy_for" => Msg::TbNoCopyFor,
        _ => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "no sentence {what:?}"
            )))
        }
    };
    Ok(tr(parse_lang(lang)?, msg, &[&arg]))
}

/// The package's version and the scheme version it marks under.
fn versions(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("SCHEME_VERSION", watermark_core::SCHEME_VERSION)?;
    Ok(())
}

#[pymodule]
fn _watermark(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("WatermarkError", m.py().get_type::<WatermarkError>())?;
    m.add_function(wrap_pyfunction!(init, m)?)?;
    m.add_function(wrap_pyfunction!(open_state, m)?)?;
    m.add_function(wrap_pyfunction!(suggest_policy, m)?)?;
    m.add_function(wrap_pyfunction!(issue, m)?)?;
    m.add_function(wrap_pyfunction!(issue_stream, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(digest, m)?)?;
    m.add_function(wrap_pyfunction!(prepare_issue, m)?)?;
    m.add_function(wrap_pyfunction!(mark_part, m)?)?;
    m.add_function(wrap_pyfunction!(commit_issue, m)?)?;
    m.add_function(wrap_pyfunction!(say, m)?)?;
    m.add_function(wrap_pyfunction!(write_csv, m)?)?;
    versions(m)
}
