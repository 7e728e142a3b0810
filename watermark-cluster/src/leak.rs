//! A leak split into Parquet files, as a table whose rows are numbered
//! through the files in order.

use std::fmt;
use std::fs::File;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::ipc::convert::try_schema_from_flatbuffer_bytes;
use datafusion::arrow::ipc::writer::{DictionaryTracker, IpcDataGenerator, IpcWriteOptions};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::Session;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::TableProvider;
use datafusion::error::Result;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Expr, TableType};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::arrow::ProjectionMask;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
    SendableRecordBatchStream,
};
use serde::{Deserialize, Serialize};
use watermark_formats::split::{SplitExtract, SplitFile};
use watermark_text::{said, Msg};

use crate::{external, file_indices, indices_of};

/// The column holding each row's number in the whole leak (1-based).
pub const ROW_COLUMN: &str = "__row";

/// What travels of a leak: its files and their columns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LeakFiles {
    pub(crate) files: Vec<SplitFile>,
    /// The files' Arrow schema, as an IPC flatbuffer.
    pub(crate) schema: Vec<u8>,
}

impl LeakFiles {
    pub(crate) fn file_schema(&self) -> Result<SchemaRef> {
        Ok(Arc::new(try_schema_from_flatbuffer_bytes(&self.schema)?))
    }
}

/// The table's schema: `__row`, then the files' columns.
fn table_schema(files: &Schema) -> SchemaRef {
    let mut fields = vec![Arc::new(Field::new(ROW_COLUMN, DataType::UInt64, false))];
    fields.extend(files.fields().iter().cloned());
    Arc::new(Schema::new_with_metadata(fields, files.metadata().clone()))
}

/// A leak's Parquet files as one table: column `__row` numbers the rows
/// through the files in the order of their names, as
/// [`SplitExtract::row_source`] does, and the files' columns follow.
#[derive(Debug, Clone)]
pub struct LeakTable {
    files: Arc<LeakFiles>,
    schema: SchemaRef,
}

impl LeakTable {
    /// The leak whose files `split` lists.
    pub fn new(split: &SplitExtract) -> Result<LeakTable> {
        let first = split
            .files()
            .first()
            .ok_or_else(|| external(said!(Msg::SpNoParquet, split.dir().display())))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(
            File::open(&first.path)
                .map_err(|e| external(said!(Msg::CtxOpening, first.path.display()).because(e)))?,
        )?;
        let schema = builder.schema();
        let bytes = IpcDataGenerator::default()
            .schema_to_bytes_with_dictionary_tracker(
                schema,
                &mut DictionaryTracker::new(false),
                &IpcWriteOptions::default(),
            )
            .ipc_message;
        LeakTable::from_files(LeakFiles {
            files: split.files().to_vec(),
            schema: bytes,
        })
    }

    pub(crate) fn from_files(files: LeakFiles) -> Result<LeakTable> {
        let schema = table_schema(files.file_schema()?.as_ref());
        Ok(LeakTable {
            files: Arc::new(files),
            schema,
        })
    }

    pub(crate) fn files(&self) -> &LeakFiles {
        &self.files
    }
}

#[async_trait]
impl TableProvider for LeakTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let projection = projection
            .cloned()
            .unwrap_or_else(|| (0..self.schema.fields().len()).collect());
        Ok(Arc::new(LeakExec::new(
            Arc::clone(&self.files),
            projection,
            file_indices(self.files.files.len())?,
        )?))
    }
}

/// Reads a leak's files whose indices its input gives (partition `i` of
/// [`LeakTable`]'s scan holds file `i`), numbering rows as rows of the
/// whole leak: the scan of a [`LeakTable`].
pub struct LeakExec {
    files: Arc<LeakFiles>,
    /// Columns of the table's schema read (0 is `__row`).
    projection: Vec<usize>,
    input: Arc<dyn ExecutionPlan>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl fmt::Debug for LeakExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LeakExec")
            .field("files", &self.files.files.len())
            .field("projection", &self.projection)
            .finish()
    }
}

impl LeakExec {
    pub(crate) fn new(
        files: Arc<LeakFiles>,
        projection: Vec<usize>,
        input: Arc<dyn ExecutionPlan>,
    ) -> Result<LeakExec> {
        let table = table_schema(files.file_schema()?.as_ref());
        let schema = Arc::new(table.project(&projection)?);
        let partitions = input.properties().output_partitioning().partition_count();
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(partitions),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Ok(LeakExec {
            files,
            projection,
            input,
            schema,
            properties,
        })
    }

    pub(crate) fn files(&self) -> &LeakFiles {
        &self.files
    }

    pub(crate) fn projection(&self) -> &[usize] {
        &self.projection
    }
}

impl DisplayAs for LeakExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "LeakExec: files={}, projection={:?}",
            self.files.files.len(),
            self.projection
        )
    }
}

/// Sends file `file`'s rows, projected, numbered through the whole leak.
fn read_file(
    file: &SplitFile,
    projection: &[usize],
    schema: &SchemaRef,
    batch_size: usize,
    tx: &tokio::sync::mpsc::Sender<Result<RecordBatch>>,
) -> Result<bool> {
    let opened = File::open(&file.path)
        .map_err(|e| external(said!(Msg::CtxOpening, file.path.display()).because(e)))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(opened)?;
    // Table column c > 0 is the file's column c - 1; the reader gives the
    // projected columns in the file's order.
    let mut columns: Vec<usize> = projection
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| c - 1)
        .collect();
    columns.sort_unstable();
    columns.dedup();
    let mask = ProjectionMask::roots(builder.parquet_schema(), columns.clone());
    let reader = builder
        .with_projection(mask)
        .with_batch_size(batch_size.max(1))
        .build()?;
    let mut next_row = file.first_row;
    for batch in reader {
        let batch = batch?;
        let n = batch.num_rows() as u64;
        let rows: ArrayRef = Arc::new(UInt64Array::from_iter_values(next_row..next_row + n));
        next_row += n;
        let out: Vec<ArrayRef> = projection
            .iter()
            .map(|&c| {
                if c == 0 {
                    Arc::clone(&rows)
                } else {
                    let at = columns.binary_search(&(c - 1)).expect("projected");
                    Arc::clone(batch.column(at))
                }
            })
            .collect();
        let batch = RecordBatch::try_new(Arc::clone(schema), out)?;
        if tx.blocking_send(Ok(batch)).is_err() {
            return Ok(false);
        }
    }
    if next_row - file.first_row != file.rows {
        return Err(external(said!(
            Msg::SpRowsChanged,
            file.path.display(),
            file.rows,
            next_row - file.first_row
        )));
    }
    Ok(true)
}

impl ExecutionPlan for LeakExec {
    fn name(&self) -> &str {
        "LeakExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let input = children
            .into_iter()
            .next()
            .unwrap_or_else(|| Arc::clone(&self.input));
        Ok(Arc::new(LeakExec::new(
            Arc::clone(&self.files),
            self.projection.clone(),
            input,
        )?))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let schema = Arc::clone(&self.schema);
        let batch_size = context.session_config().batch_size();
        let indices = self.input.execute(partition, context)?;
        let files = Arc::clone(&self.files);
        let projection = self.projection.clone();
        let out_schema = Arc::clone(&schema);
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<RecordBatch>>(2);
        tokio::spawn(async move {
            let indices = match indices_of(indices).await {
                Ok(i) => i,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            let _ = tokio::task::spawn_blocking(move || {
                for i in indices {
                    let Some(file) = files.files.get(i) else {
                        let _ = tx.blocking_send(Err(external(said!(
                            Msg::SpNoSuchPart,
                            i,
                            files.files.len()
                        ))));
                        return;
                    };
                    match read_file(file, &projection, &out_schema, batch_size, &tx) {
                        Ok(true) => {}
                        Ok(false) => return,
                        Err(e) => {
                            let _ = tx.blocking_send(Err(e));
                            return;
                        }
                    }
                }
            })
            .await;
        });
        let stream =
            futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }
}
