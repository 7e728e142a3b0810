//! Rows of text from any input format.
//!
//! Canary generation, policy suggestion and matching a leak to the master
//! extract read an extract as rows of text: they take a [`RowSource`], so an
//! input format needs one adaptor that yields rows to be usable by all of
//! them. A source gives its header, then [`RowBatch`]es of rows, each cell in
//! the text form a CSV export shows (the form issuance and verification read
//! identity and carrier cells in): text as it is, integers as digits,
//! decimals at their scale, dates as `1985-03-02`, a null as an empty cell.
//!
//! The trait does no I/O: sources are built by the format adaptors from
//! readers of `watermark-formats` (`CsvRows` for CSV,
//! `ColumnarRows` for Parquet and Arrow IPC). A batch
//! holds all its cells in one text buffer with each cell's place in it, and
//! is refilled in place, so filling it allocates nothing per cell or per row
//! once its buffers have grown.

use crate::error::{Error, Result};

/// Progress of a long operation, reported every few thousand rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Data rows done.
    pub rows: u64,
    /// Input bytes consumed.
    pub bytes: u64,
}

/// Rows a workflow asks a source for at a time.
pub(crate) const BATCH_ROWS: usize = 1024;

/// Rows between progress reports.
pub(crate) const PROGRESS_EVERY: u64 = 8192;

/// Where a row stands in its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowPosition {
    /// The 1-based data row, header excluded.
    pub row: u64,
    /// The 1-based physical line it starts on. A format without lines
    /// (Parquet, Arrow IPC) gives the line the row has in the extract's CSV
    /// form, header on line 1: `row + 1`.
    pub line: u64,
}

impl RowPosition {
    /// Places an error at this row (and line).
    pub(crate) fn place(self, e: Error) -> Error {
        e.at_row(self.row, self.line)
    }
}

/// Where a cell's text lies in its batch's buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
}

/// A batch of rows of text, refilled by [`RowSource::next_batch`].
///
/// Every row has one cell per column of the source's header. The cells' text
/// is held in one buffer and each cell is a span of it, so a batch can be
/// filled row by row ([`RowBatch::push_row`]) or column by column (as a
/// columnar adaptor renders a column at a time) without a `String` per cell.
/// Its `Debug` shows no cell: rows are personal data.
#[derive(Clone, Default)]
pub struct RowBatch {
    columns: usize,
    first_row: u64,
    rows: usize,
    text: String,
    /// Cell `i` of row `k` is `spans[k * columns + i]`.
    spans: Vec<Span>,
    /// Per row, the line it starts on.
    lines: Vec<u64>,
}

impl std::fmt::Debug for RowBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowBatch")
            .field("first_row", &self.first_row)
            .field("rows", &self.rows)
            .field("columns", &self.columns)
            .finish_non_exhaustive()
    }
}

impl RowBatch {
    /// An empty batch; buffers grow as it is filled and are kept.
    pub fn new() -> RowBatch {
        RowBatch::default()
    }

    /// Empties the batch for rows of `columns` cells, the first of them data
    /// row `first_row` (1-based). Keeps the buffers.
    pub fn start(&mut self, columns: usize, first_row: u64) {
        self.columns = columns;
        self.first_row = first_row;
        self.rows = 0;
        self.text.clear();
        self.spans.clear();
        self.lines.clear();
    }

    /// Appends a row of `columns` cells (as given to [`RowBatch::start`]),
    /// starting on `line` of the input (`None` for a format without lines).
    ///
    /// # Panics
    ///
    /// If the row has another number of cells: an adaptor checks its rows'
    /// lengths and reports a row that differs as an error of its input.
    pub fn push_row<'c>(&mut self, cells: impl IntoIterator<Item = &'c str>, line: Option<u64>) {
        let before = self.spans.len();
        for cell in cells {
            let start = self.text.len();
            self.text.push_str(cell);
            self.spans.push(Span {
                start,
                end: self.text.len(),
            });
        }
        assert_eq!(
            self.spans.len() - before,
            self.columns,
            "a row of a batch has one cell per column"
        );
        self.end_row(line);
    }

    /// Appends a row whose cells are written one after the other in `text`,
    /// cell `i` ending at byte `ends[i]` of it (a CSV record's layout): one
    /// copy for the whole row.
    ///
    /// # Panics
    ///
    /// If there are not `columns` ends, or they decrease, or one is not on a
    /// character boundary of `text`.
    pub fn push_joined(
        &mut self,
        text: &str,
        ends: impl IntoIterator<Item = usize>,
        line: Option<u64>,
    ) {
        let base = self.text.len();
        let before = self.spans.len();
        let mut start = 0;
        for end in ends {
            assert!(
                start <= end && text.is_char_boundary(end),
                "cell ends increase and fall on character boundaries"
            );
            self.spans.push(Span {
                start: base + start,
                end: base + end,
            });
            start = end;
        }
        assert_eq!(
            self.spans.len() - before,
            self.columns,
            "a row of a batch has one cell per column"
        );
        self.text.push_str(&text[..start]);
        self.end_row(line);
    }

    /// Renumbers the batch's rows `by` further on: a source that reads
    /// several files one after the other numbers each file's rows after
    /// the rows of the files before it.
    pub fn shift_rows(&mut self, by: u64) {
        self.first_row += by;
        for line in &mut self.lines {
            *line += by;
        }
    }

    fn end_row(&mut self, line: Option<u64>) {
        let row = self.first_row + self.rows as u64;
        self.lines.push(line.unwrap_or(row + 1));
        self.rows += 1;
    }

    /// Starts `rows` rows to be filled column by column: each cell is
    /// appended to [`RowBatch::text_mut`] and placed with
    /// [`RowBatch::set_cell`]. Cells not placed are empty.
    pub fn start_columns(&mut self, columns: usize, rows: usize, first_row: u64) {
        self.start(columns, first_row);
        self.rows = rows;
        self.spans.resize(rows * columns, Span::default());
        self.lines
            .extend((0..rows as u64).map(|k| first_row + k + 1));
    }

    /// The text buffer, to append cells to while filling column by column.
    pub fn text_mut(&mut self) -> &mut String {
        &mut self.text
    }

    /// Places cell `column` of row `k` at `start..end` of the text buffer,
    /// which must be on character boundaries.
    ///
    /// # Panics
    ///
    /// If `start..end` is not a span of the text on character boundaries,
    /// or the row or column is out of range.
    #[inline]
    pub fn set_cell(&mut self, k: usize, column: usize, start: usize, end: usize) {
        assert!(
            start <= end && self.text.is_char_boundary(start) && self.text.is_char_boundary(end),
            "a cell must be a span of the batch's text on character boundaries"
        );
        self.spans[k * self.columns + column] = Span { start, end };
    }

    /// Rows in the batch.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether the batch has no row.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Cells per row.
    pub fn columns(&self) -> usize {
        self.columns
    }

    /// Row `k` of the batch (0-based).
    ///
    /// # Panics
    ///
    /// If the batch has no row `k`.
    #[inline]
    pub fn row(&self, k: usize) -> Row<'_> {
        assert!(k < self.rows, "row {k} of a batch of {}", self.rows);
        Row {
            text: &self.text,
            spans: &self.spans[k * self.columns..(k + 1) * self.columns],
        }
    }

    /// The rows, in order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = Row<'_>> + '_ {
        (0..self.rows).map(|k| self.row(k))
    }

    /// Where row `k` of the batch (0-based) stands in the input.
    #[inline]
    pub fn position(&self, k: usize) -> RowPosition {
        RowPosition {
            row: self.first_row + k as u64,
            line: self.lines[k],
        }
    }
}

/// One row of a [`RowBatch`]: its cells' text. Its `Debug` shows no cell.
#[derive(Clone, Copy)]
pub struct Row<'b> {
    text: &'b str,
    spans: &'b [Span],
}

impl std::fmt::Debug for Row<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Row")
            .field("cells", &self.spans.len())
            .finish_non_exhaustive()
    }
}

impl<'b> Row<'b> {
    /// Cells in the row.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the row has no cell.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Cell `i`, `None` past the last.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&'b str> {
        let s = self.spans.get(i)?;
        Some(&self.text[s.start..s.end])
    }

    /// Cell `i`.
    ///
    /// # Panics
    ///
    /// If the row has no cell `i`.
    #[inline]
    pub fn cell(&self, i: usize) -> &'b str {
        let s = self.spans[i];
        &self.text[s.start..s.end]
    }

    /// The cells, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'b str> + 'b {
        let text = self.text;
        self.spans.iter().map(move |s| &text[s.start..s.end])
    }
}

/// An extract read as rows of text: a header, then batches of rows.
///
/// Implemented by the format adaptors (`CsvRows`,
/// `ColumnarRows`); taken by
/// [`make_canaries_from_rows`](crate::make_canaries_from_rows),
/// [`suggest_from_rows`](crate::suggest_from_rows) and
/// [`verify_rows_with_master`](crate::verify_rows_with_master). A workflow
/// that reads an extract more than once takes a function that opens it
/// afresh.
///
/// Errors name the data row (1-based), the line and the column where they
/// were found; the file name is the caller's to add. A source that returned
/// an error may return nothing more.
///
/// A new format is one more `RowSource`. Here, rows already in memory:
///
/// ```
/// use watermark_core::{Result, RowBatch, RowSource};
///
/// struct InMemory {
///     header: Vec<String>,
///     rows: Vec<Vec<String>>,
///     next: usize,
/// }
///
/// impl RowSource for InMemory {
///     fn header(&self) -> &[String] {
///         &self.header
///     }
///
///     fn next_batch(&mut self, batch: &mut RowBatch, limit: usize) -> Result<bool> {
///         batch.start(self.header.len(), self.next as u64 + 1);
///         for row in self.rows.iter().skip(self.next).take(limit) {
///             batch.push_row(row.iter().map(String::as_str), None);
///         }
///         self.next += batch.len();
///         Ok(!batch.is_empty())
///     }
/// }
///
/// let mut rows = InMemory {
///     header: vec!["CURP".into(), "CALLE".into()],
///     rows: vec![
///         vec!["ID1".into(), "AV. REFORMA 1".into()],
///         vec!["ID2".into(), String::new()],
///     ],
///     next: 0,
/// };
/// let mut batch = RowBatch::new();
/// let mut streets = Vec::new();
/// while rows.next_batch(&mut batch, 1)? {
///     for k in 0..batch.len() {
///         streets.push((batch.position(k).row, batch.row(k).cell(1).to_string()));
///     }
/// }
/// assert_eq!(streets, [(1, "AV. REFORMA 1".to_string()), (2, String::new())]);
/// # Ok::<(), watermark_core::Error>(())
/// ```
pub trait RowSource {
    /// The column names, in the order of every row's cells.
    fn header(&self) -> &[String];

    /// Refills `batch` with the next rows, at most `limit` of them (at least
    /// one, unless the input is done). Returns false, with `batch` empty,
    /// when there are no more rows.
    fn next_batch(&mut self, batch: &mut RowBatch, limit: usize) -> Result<bool>;

    /// Input bytes read so far, for progress reports; 0 when unknown.
    fn bytes_read(&self) -> u64 {
        0
    }

    /// The rows one at a time, each as its cells: a convenience for small
    /// inputs and tests (workflows read batches).
    fn into_rows(self) -> IntoRows<Self>
    where
        Self: Sized,
    {
        IntoRows {
            source: self,
            batch: RowBatch::new(),
            at: 0,
            done: false,
        }
    }
}

impl<S: RowSource + ?Sized> RowSource for &mut S {
    fn header(&self) -> &[String] {
        (**self).header()
    }

    fn next_batch(&mut self, batch: &mut RowBatch, limit: usize) -> Result<bool> {
        (**self).next_batch(batch, limit)
    }

    fn bytes_read(&self) -> u64 {
        (**self).bytes_read()
    }
}

impl<S: RowSource + ?Sized> RowSource for Box<S> {
    fn header(&self) -> &[String] {
        (**self).header()
    }

    fn next_batch(&mut self, batch: &mut RowBatch, limit: usize) -> Result<bool> {
        (**self).next_batch(batch, limit)
    }

    fn bytes_read(&self) -> u64 {
        (**self).bytes_read()
    }
}

/// The rows of a [`RowSource`] one at a time; see [`RowSource::into_rows`].
pub struct IntoRows<S> {
    source: S,
    batch: RowBatch,
    at: usize,
    done: bool,
}

impl<S> std::fmt::Debug for IntoRows<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntoRows")
            .field("batch", &self.batch)
            .finish_non_exhaustive()
    }
}

impl<S: RowSource> Iterator for IntoRows<S> {
    type Item = Result<Vec<String>>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.at == self.batch.len() {
            if self.done {
                return None;
            }
            self.at = 0;
            match self.source.next_batch(&mut self.batch, BATCH_ROWS) {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    self.batch.start(0, 0);
                    return Some(Err(e));
                }
            }
        }
        let row = self.batch.row(self.at);
        self.at += 1;
        Some(Ok(row.iter().map(str::to_string).collect()))
    }
}

/// Reads every row of `source` in batches of `batch`'s buffers, handing each
/// to `f` with its position; an error from `f` is placed at the row.
/// `progress` is called every [`PROGRESS_EVERY`] rows.
pub(crate) fn for_each_row<S: RowSource + ?Sized>(
    source: &mut S,
    batch: &mut RowBatch,
    mut f: impl FnMut(RowPosition, Row<'_>) -> Result<()>,
    progress: &mut dyn FnMut(Progress),
) -> Result<u64> {
    let mut rows = 0u64;
    while source.next_batch(batch, BATCH_ROWS)? {
        for k in 0..batch.len() {
            let at = batch.position(k);
            f(at, batch.row(k)).map_err(|e| at.place(e))?;
            rows += 1;
            if rows.is_multiple_of(PROGRESS_EVERY) {
                progress(Progress {
                    rows,
                    bytes: source.bytes_read(),
                });
            }
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_filled_by_row_or_by_column_read_the_same() {
        let rows = [["ANA", "", "Ñandú"], ["", "2", "ü"]];
        let mut by_row = RowBatch::new();
        by_row.start(3, 7);
        by_row.push_row(rows[0], Some(9));
        let joined = rows[1].concat();
        let mut end = 0;
        let ends: Vec<usize> = rows[1]
            .iter()
            .map(|c| {
                end += c.len();
                end
            })
            .collect();
        by_row.push_joined(&joined, ends, None);

        let mut by_column = RowBatch::new();
        by_column.start_columns(3, 2, 7);
        for c in (0..3).rev() {
            for (k, row) in rows.iter().enumerate() {
                let start = by_column.text_mut().len();
                by_column.text_mut().push_str(row[c]);
                let end = by_column.text_mut().len();
                by_column.set_cell(k, c, start, end);
            }
        }
        for batch in [&by_row, &by_column] {
            assert_eq!(batch.len(), 2);
            let got: Vec<Vec<&str>> = batch.rows().map(|r| r.iter().collect()).collect();
            assert_eq!(got, [rows[0].to_vec(), rows[1].to_vec()]);
            assert_eq!(batch.row(1).get(3), None);
            assert_eq!(batch.position(1), RowPosition { row: 8, line: 9 });
        }
        assert_eq!(by_row.position(0), RowPosition { row: 7, line: 9 });
        assert_eq!(by_column.position(0), RowPosition { row: 7, line: 8 });
        // Refilling keeps nothing of the rows before.
        by_row.start(1, 1);
        assert!(by_row.is_empty());
        by_row.push_row(["x"], None);
        assert_eq!(by_row.row(0).iter().collect::<Vec<_>>(), ["x"]);
        assert_eq!(format!("{:?}", by_row.row(0)), "Row { cells: 1, .. }");
    }

    #[test]
    #[should_panic(expected = "one cell per column")]
    fn a_row_of_the_wrong_length_is_refused() {
        let mut batch = RowBatch::new();
        batch.start(2, 1);
        batch.push_row(["only one"], None);
    }
}
