//! Extracts split into several Parquet files, as data lakes keep them: a
//! directory whose `*.parquet` files, in the order of their names, are the
//! extract's rows.
//!
//! Marking a row is a pure function of the key, the policy, the recipient
//! and the row, and each canary's place is a row number of the whole
//! extract, so every file can be marked on its own, on any machine, once it
//! knows the number of its first row ([`Part`]). An [`IssueOrder`] is what a
//! worker needs for that, except the master key, which each worker loads
//! from its own protected file: the policy's text, the recipients, where
//! the canary list is (with its digest) and where the files and the
//! copies go. [`issue_part`] marks one file of an order into each
//! recipient's directory and returns its [`PartDone`], from which the
//! copies' [`Manifest`]s are made: the copy as a whole is its manifest,
//! the names, sizes, rows and BLAKE3 of its files, and the manifest's
//! digest is what the issuance log records.

use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use watermark_core::{
    CanaryList, Embedder, Error, MasterKey, Policy, Recipient, Result, RowBatch, RowSource,
};
use watermark_text::{said, Msg};

use crate::columnar::{issue_parquet_part, ColumnarRows, Part};
use crate::csv_io::{HashingWriter, IssueOptions};
use crate::reexport::parquet::file::reader::{FileReader, SerializedFileReader};

/// The first line of a manifest.
pub const MANIFEST_HEADER: &str = "watermark manifest v1";

/// One file of a split extract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitFile {
    /// Its name in the directory.
    pub name: String,
    /// Where it is.
    pub path: PathBuf,
    /// Its rows, from its footer.
    pub rows: u64,
    /// Its size in bytes.
    pub bytes: u64,
    /// The number of its first row in the whole extract (1-based).
    pub first_row: u64,
}

/// A directory of Parquet files read as one extract.
#[derive(Clone, Debug)]
pub struct SplitExtract {
    dir: PathBuf,
    files: Vec<SplitFile>,
    header: Vec<String>,
}

fn io_error(context: watermark_text::Said, e: std::io::Error) -> Error {
    Error::io(context, e)
}

/// An error of one file's rows (their numbers are the file's own), said of
/// the file.
fn in_file(e: Error, path: &Path) -> Error {
    Error::io(
        said!(Msg::CtxReading, path.display()),
        std::io::Error::other(e),
    )
}

impl SplitExtract {
    /// The `*.parquet` files of `dir` (not its subdirectories, nor hidden
    /// files), in the byte order of their names, with their rows read from
    /// their footers. Every file must have the first one's columns.
    pub fn open(dir: &Path) -> Result<SplitExtract> {
        if !dir.is_dir() {
            return Err(Error::state(said!(Msg::SpNotDirectory, dir.display())));
        }
        let mut names = Vec::new();
        for entry in
            fs::read_dir(dir).map_err(|e| io_error(said!(Msg::CtxReading, dir.display()), e))?
        {
            let entry = entry.map_err(|e| io_error(said!(Msg::CtxReading, dir.display()), e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with('.') || !name.ends_with(".parquet") {
                continue;
            }
            if entry.path().is_file() {
                names.push(name.to_owned());
            }
        }
        names.sort();
        if names.is_empty() {
            return Err(Error::state(said!(Msg::SpNoParquet, dir.display())));
        }
        let mut files = Vec::with_capacity(names.len());
        let mut header: Option<Vec<String>> = None;
        let mut next_row = 1u64;
        for name in names {
            let path = dir.join(&name);
            let file = File::open(&path)
                .map_err(|e| io_error(said!(Msg::CtxOpening, path.display()), e))?;
            let bytes = file
                .metadata()
                .map_err(|e| io_error(said!(Msg::CtxReading, path.display()), e))?
                .len();
            let reader = SerializedFileReader::new(file).map_err(|e| {
                Error::state(said!(Msg::SpNotParquet, path.display(), e.to_string()))
            })?;
            let rows = reader.metadata().file_metadata().num_rows().max(0) as u64;
            let columns: Vec<String> = ColumnarRows::parquet(
                File::open(&path)
                    .map_err(|e| io_error(said!(Msg::CtxOpening, path.display()), e))?,
            )?
            .header()
            .to_vec();
            match &header {
                None => header = Some(columns),
                Some(first) if *first != columns => {
                    return Err(Error::state(said!(
                        Msg::SpOtherColumns,
                        path.display(),
                        files
                            .first()
                            .map_or(String::new(), |f: &SplitFile| f.name.clone())
                    )));
                }
                Some(_) => {}
            }
            files.push(SplitFile {
                name,
                path,
                rows,
                bytes,
                first_row: next_row,
            });
            next_row += rows;
        }
        Ok(SplitExtract {
            dir: dir.to_path_buf(),
            files,
            header: header.unwrap_or_default(),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The files, in order.
    pub fn files(&self) -> &[SplitFile] {
        &self.files
    }

    /// The column names.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// Rows in all the files.
    pub fn rows(&self) -> u64 {
        self.files.iter().map(|f| f.rows).sum()
    }

    /// Bytes in all the files.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    /// The rows of every file, one file after the other, numbered as rows
    /// of the whole extract.
    pub fn row_source(&self) -> Result<SplitRows> {
        SplitRows::new(self.files.clone(), self.header.clone())
    }

    /// The extract's manifest: each file's name, size, rows and BLAKE3 (one
    /// read of every file). `progress` gets the bytes hashed so far.
    pub fn manifest(&self, progress: &mut dyn FnMut(u64)) -> Result<Manifest> {
        let mut done = 0u64;
        let mut files = Vec::with_capacity(self.files.len());
        for f in &self.files {
            let (blake3, bytes) = hash_file(&f.path, &mut |n| progress(done + n))?;
            done += bytes;
            files.push(ManifestFile {
                name: f.name.clone(),
                blake3,
                bytes,
                rows: f.rows,
            });
        }
        Ok(Manifest { files })
    }
}

/// The BLAKE3 (hex) and size of a file.
pub fn hash_file(path: &Path, progress: &mut dyn FnMut(u64)) -> Result<(String, u64)> {
    let mut file =
        File::open(path).map_err(|e| io_error(said!(Msg::CtxOpening, path.display()), e))?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| io_error(said!(Msg::CtxReading, path.display()), e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
        progress(total);
    }
    Ok((hasher.finalize().to_hex().to_string(), total))
}

/// The rows of a split extract's files, one after the other.
#[derive(Debug)]
pub struct SplitRows {
    files: Vec<SplitFile>,
    header: Vec<String>,
    next: usize,
    current: Option<ColumnarRows>,
    /// Rows of the files before the current one.
    before: u64,
    /// Bytes of the files done.
    bytes_done: u64,
}

impl SplitRows {
    fn new(files: Vec<SplitFile>, header: Vec<String>) -> Result<SplitRows> {
        Ok(SplitRows {
            files,
            header,
            next: 0,
            current: None,
            before: 0,
            bytes_done: 0,
        })
    }
}

impl RowSource for SplitRows {
    fn header(&self) -> &[String] {
        &self.header
    }

    fn next_batch(&mut self, batch: &mut RowBatch, limit: usize) -> Result<bool> {
        loop {
            if self.current.is_none() {
                let Some(f) = self.files.get(self.next) else {
                    batch.start(self.header.len(), self.before + 1);
                    return Ok(false);
                };
                let file = File::open(&f.path)
                    .map_err(|e| io_error(said!(Msg::CtxOpening, f.path.display()), e))?;
                self.before = f.first_row - 1;
                self.current = Some(ColumnarRows::parquet(file)?);
                self.next += 1;
            }
            let current = self.current.as_mut().expect("opened above");
            let name = &self.files[self.next - 1];
            let more = current
                .next_batch(batch, limit)
                .map_err(|e| in_file(e, &name.path))?;
            if more {
                batch.shift_rows(self.before);
                return Ok(true);
            }
            self.bytes_done += name.bytes;
            self.current = None;
        }
    }

    fn bytes_read(&self) -> u64 {
        self.bytes_done + self.current.as_ref().map_or(0, |c| c.bytes_read())
    }
}

/// A file of a manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Its name in the directory.
    pub name: String,
    /// The BLAKE3 of its bytes, in hex.
    pub blake3: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its rows.
    pub rows: u64,
}

/// The files of a split extract or of a copy of one: what the issuance log
/// records (by the manifest's digest) for an extract or copy of several
/// files.
///
/// Its text is one line `watermark manifest v1`, then one line per file,
/// in order: `BLAKE3 BYTES ROWS NAME`, each ending in a line feed. Anyone
/// can check a copy against it with `b3sum` and a Parquet reader.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The files, in order.
    pub files: Vec<ManifestFile>,
}

impl Manifest {
    /// The manifest's text.
    pub fn to_text(&self) -> String {
        let mut out = format!("{MANIFEST_HEADER}\n");
        for f in &self.files {
            out.push_str(&format!("{} {} {} {}\n", f.blake3, f.bytes, f.rows, f.name));
        }
        out
    }

    /// The BLAKE3 of the manifest's text, in hex: the digest the log
    /// records.
    pub fn blake3(&self) -> String {
        blake3::hash(self.to_text().as_bytes()).to_hex().to_string()
    }

    /// Rows in all the files.
    pub fn rows(&self) -> u64 {
        self.files.iter().map(|f| f.rows).sum()
    }

    /// Bytes in all the files.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    /// Reads a manifest's text.
    pub fn parse(text: &str) -> Result<Manifest> {
        let mut lines = text.split_inclusive('\n');
        let bad = |line: usize| Error::state(said!(Msg::SpBadManifest, line));
        match lines.next() {
            Some(l) if l == format!("{MANIFEST_HEADER}\n") => {}
            _ => return Err(bad(1)),
        }
        let mut files = Vec::new();
        for (i, line) in lines.enumerate() {
            let line = line.strip_suffix('\n').ok_or_else(|| bad(i + 2))?;
            let mut parts = line.splitn(4, ' ');
            let (Some(blake3), Some(bytes), Some(rows), Some(name)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(bad(i + 2));
            };
            if blake3.len() != 64 || !blake3.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad(i + 2));
            }
            files.push(ManifestFile {
                name: name.to_owned(),
                blake3: blake3.to_owned(),
                bytes: bytes.parse().map_err(|_| bad(i + 2))?,
                rows: rows.parse().map_err(|_| bad(i + 2))?,
            });
        }
        Ok(Manifest { files })
    }
}

/// A file named with its digest, read and checked by a worker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    /// Where it is, as the workers see it.
    pub path: PathBuf,
    /// The BLAKE3 of its bytes, in hex.
    pub blake3: String,
}

impl FileRef {
    /// The canary list it names, checked against the digest.
    pub fn canary_list(&self) -> Result<CanaryList> {
        let text = fs::read_to_string(&self.path)
            .map_err(|e| io_error(said!(Msg::CtxReading, self.path.display()), e))?;
        let list = CanaryList::from_json(&text)?;
        if list.file_blake3() != self.blake3 {
            return Err(Error::altered(said!(
                Msg::SpDigestDiffers,
                self.path.display(),
                self.blake3
            )));
        }
        Ok(list)
    }
}

/// What a work order's tag covers: its JSON with the tag (the field
/// `tag` gives) left empty.
fn unsigned_text<T: Serialize + Clone>(order: &T, tag: fn(&mut T) -> &mut String) -> String {
    let mut unsigned = order.clone();
    tag(&mut unsigned).clear();
    serde_json::to_string(&unsigned).expect("work orders serialise")
}

/// Refuses a work order for another key, or not authorised under `key`
/// (or changed since).
fn check_authorized(key: &MasterKey, key_id: &str, text: &str, tag: &str) -> Result<()> {
    if key.id().to_hex() != key_id {
        return Err(Error::key(said!(Msg::SpOtherKey, key_id, key.id())));
    }
    if !key.is_authorized(text, tag) {
        return Err(Error::key(Msg::SpUnauthorized));
    }
    Ok(())
}

/// A recipient of an order, and where their copy's files go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecipient {
    /// The recipient's id.
    pub id: String,
    /// Their code slot.
    pub slot: u32,
    /// The directory their copy's files are written to.
    pub out_dir: PathBuf,
}

/// Everything marking the files of a split extract needs but the master
/// key: it holds no secret (the canary list is named, not carried) and
/// travels in query plans.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueOrder {
    /// The id of the master key the copies are marked under; a worker
    /// holding another key refuses the order.
    pub key_id: String,
    /// The policy's canonical text.
    pub policy: String,
    /// The recipients, one copy each.
    pub recipients: Vec<OrderRecipient>,
    /// The extract's canary list, when the policy adds canaries.
    pub canaries: Option<FileRef>,
    /// The extract's files, in order.
    pub files: Vec<SplitFile>,
    /// [`MasterKey::authorize`]'s tag of the rest of the order
    /// ([`IssueOrder::authorize`]): a worker marks nothing for an order
    /// without it.
    #[serde(default)]
    pub authorization: String,
}

impl IssueOrder {
    /// Authorises the order under `key` (the state's, where it is made).
    pub fn authorize(&mut self, key: &MasterKey) {
        self.authorization = key.authorize(&unsigned_text(self, |o| &mut o.authorization));
    }

    /// The embedder the order describes, under `key`: refused if the key
    /// is not the one the order names, the order was not authorised under
    /// it (or changed since), or the canary list's digest differs.
    pub fn embedder(&self, key: &MasterKey) -> Result<Embedder> {
        check_authorized(
            key,
            &self.key_id,
            &unsigned_text(self, |o| &mut o.authorization),
            &self.authorization,
        )?;
        let policy = Policy::from_toml(&self.policy)?;
        let recipients = self
            .recipients
            .iter()
            .map(|r| Recipient::new(r.id.clone(), r.slot))
            .collect::<Result<Vec<_>>>()?;
        let mut builder = Embedder::builder()
            .key(key)
            .policy(&policy)
            .recipients(recipients);
        if let Some(list) = &self.canaries {
            builder = builder.canaries(list.canary_list()?);
        }
        builder.build()
    }
}

/// A copy's file, as marked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyFile {
    /// The file in the manifest.
    #[serde(flatten)]
    pub file: ManifestFile,
    /// Canary rows in it.
    pub canaries: u64,
}

/// One file of an order, marked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartDone {
    /// The file's index in the order.
    pub index: usize,
    /// The input file as read.
    pub input: ManifestFile,
    /// Carrier slots written in every copy of it.
    pub slots_marked: u64,
    /// Each recipient's copy of it, in the order's recipient order.
    pub copies: Vec<CopyFile>,
}

/// Marks file `index` of `order` into each recipient's directory, as
/// `OUT_DIR/NAME`, with `embedder` (from [`IssueOrder::embedder`]). Each
/// copy is written to a temporary file in the directory and renamed to its
/// name once whole and synced, so a worker that dies leaves no copy under
/// that name, and marking a file again (on another worker) writes the same
/// bytes. `threads`: marking threads, 0 for one per core.
pub fn issue_part(
    embedder: &Embedder,
    order: &IssueOrder,
    index: usize,
    threads: usize,
) -> Result<PartDone> {
    let f = order
        .files
        .get(index)
        .ok_or_else(|| Error::state(said!(Msg::SpNoSuchPart, index, order.files.len())))?;
    let (input_blake3, input_bytes) = hash_file(&f.path, &mut |_| {})?;
    let input =
        File::open(&f.path).map_err(|e| io_error(said!(Msg::CtxOpening, f.path.display()), e))?;
    let mut temps = Vec::with_capacity(order.recipients.len());
    for r in &order.recipients {
        fs::create_dir_all(&r.out_dir)
            .map_err(|e| io_error(said!(Msg::CtxCreating, r.out_dir.display()), e))?;
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{}.", f.name))
            .suffix(".partial")
            .tempfile_in(&r.out_dir)
            .map_err(|e| io_error(said!(Msg::CtxFileIn, r.out_dir.display()), e))?;
        temps.push(tmp);
    }
    let writers = temps
        .iter()
        .map(|t| {
            t.reopen()
                .map(|file| HashingWriter::new(BufWriter::with_capacity(1 << 16, file)))
                .map_err(|e| io_error(said!(Msg::CtxWriting, t.path().display()), e))
        })
        .collect::<Result<Vec<_>>>()?;
    let summary = issue_parquet_part(
        embedder,
        BufReader::with_capacity(1 << 16, input),
        writers,
        IssueOptions {
            threads,
            ..IssueOptions::default()
        },
        Part {
            first_row: f.first_row,
            last: index + 1 == order.files.len(),
        },
        &mut |_| {},
    )
    .map_err(|e| in_file(e, &f.path))?;
    if summary.rows != f.rows {
        return Err(Error::state(said!(
            Msg::SpRowsChanged,
            f.path.display(),
            f.rows,
            summary.rows
        )));
    }
    let mut copies = Vec::with_capacity(temps.len());
    for (((w, tmp), r), canaries) in summary
        .outputs
        .into_iter()
        .zip(temps)
        .zip(&order.recipients)
        .zip(summary.canaries)
    {
        let (blake3, bytes) = w.digest();
        let mut inner = w.into_inner();
        inner
            .flush()
            .map_err(|e| io_error(said!(Msg::CtxWriting, tmp.path().display()), e))?;
        let file = inner
            .into_inner()
            .map_err(|e| io_error(said!(Msg::CtxWriting, tmp.path().display()), e.into_error()))?;
        file.sync_all()
            .map_err(|e| io_error(said!(Msg::CtxWriting, tmp.path().display()), e))?;
        let dest = r.out_dir.join(&f.name);
        tmp.persist(&dest)
            .map_err(|e| io_error(said!(Msg::CtxWriting, dest.display()), e.error))?;
        copies.push(CopyFile {
            file: ManifestFile {
                name: f.name.clone(),
                blake3,
                bytes,
                rows: f.rows + canaries,
            },
            canaries,
        });
    }
    Ok(PartDone {
        index,
        input: ManifestFile {
            name: f.name.clone(),
            blake3: input_blake3,
            bytes: input_bytes,
            rows: f.rows,
        },
        slots_marked: summary.slots_marked,
        copies,
    })
}

/// A recipient a detector compares a leak with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecRecipient {
    /// The recipient's id.
    pub id: String,
    /// Their code slot.
    pub slot: u32,
}

/// Everything a [`Detector`](watermark_core::Detector) needs but the master
/// key: the copies made under one key and policy, their canary lists (named,
/// with their digests), how many recipients the whole verification compares
/// (for the bound), and the threshold. Like an [`IssueOrder`], it holds no
/// secret and travels in query plans.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectorSpec {
    /// The id of the master key the copies were marked under.
    pub key_id: String,
    /// The policy's canonical text.
    pub policy: String,
    /// The recipients of copies made under it.
    pub recipients: Vec<SpecRecipient>,
    /// The canary lists of the extracts copied under it.
    pub canaries: Vec<FileRef>,
    /// Recipients compared in the whole verification.
    pub comparisons: u64,
    /// Accuse only below this bound instead of the policy's threshold,
    /// written as Rust writes an `f64` (the shortest text that reads back
    /// as the same number), so that the spec's text is the same wherever
    /// it is read.
    pub threshold: Option<String>,
    /// [`MasterKey::authorize`]'s tag of the rest of the spec
    /// ([`DetectorSpec::authorize`]): a worker reads nothing for a spec
    /// without it.
    #[serde(default)]
    pub authorization: String,
}

impl DetectorSpec {
    /// Authorises the spec under `key` (the state's, where it is made).
    pub fn authorize(&mut self, key: &MasterKey) {
        self.authorization = key.authorize(&unsigned_text(self, |s| &mut s.authorization));
    }

    /// The detector the spec describes, under `key`: refused if the key is
    /// not the one the spec names, the spec was not authorised under it (or
    /// changed since), or a canary list's digest differs.
    pub fn detector(&self, key: &MasterKey) -> Result<watermark_core::Detector> {
        check_authorized(
            key,
            &self.key_id,
            &unsigned_text(self, |s| &mut s.authorization),
            &self.authorization,
        )?;
        let policy = Policy::from_toml(&self.policy)?;
        let recipients = self
            .recipients
            .iter()
            .map(|r| Recipient::new(r.id.clone(), r.slot))
            .collect::<Result<Vec<_>>>()?;
        let lists = self
            .canaries
            .iter()
            .map(FileRef::canary_list)
            .collect::<Result<Vec<_>>>()?;
        let mut builder = watermark_core::Detector::builder()
            .key(key)
            .policy(&policy)
            .recipients(recipients)
            .canaries(&lists)
            .comparisons(self.comparisons);
        if let Some(t) = &self.threshold {
            let t: f64 = t
                .parse()
                .map_err(|_| Error::policy(said!(Msg::SpBadThreshold, t)))?;
            builder = builder.threshold(t);
        }
        builder.build()
    }
}
