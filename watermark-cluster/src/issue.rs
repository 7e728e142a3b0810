//! Issuing as a scan: one partition per file of the extract.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{StringArray, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::Session;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::TableProvider;
use datafusion::error::Result;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Expr, TableType};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
    SendableRecordBatchStream,
};
use watermark_core::MasterKey;
use watermark_formats::split::{issue_part, IssueOrder};

use crate::{external, file_indices, indices_of, no_key};

/// The schema of an issuance's result: per file, its index in the order
/// and its [`PartDone`](watermark_formats::split::PartDone) as JSON.
pub fn result_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("file", DataType::UInt64, false),
        Field::new("done", DataType::Utf8, false),
    ]))
}

/// An issuance as a table: scanning it marks the order's files (see the
/// [crate](crate) documentation). It holds the order, never the key.
#[derive(Debug, Clone)]
pub struct IssueTable {
    order: Arc<IssueOrder>,
    key: Option<Arc<MasterKey>>,
}

impl IssueTable {
    /// The issuance of `order`. `key` is the master key where the scan runs
    /// in this process (a local session); `None` on a cluster's client,
    /// whose executors hold it.
    pub fn new(order: IssueOrder, key: Option<Arc<MasterKey>>) -> IssueTable {
        IssueTable {
            order: Arc::new(order),
            key,
        }
    }

    /// The order.
    pub fn order(&self) -> &IssueOrder {
        &self.order
    }
}

#[async_trait]
impl TableProvider for IssueTable {
    fn schema(&self) -> SchemaRef {
        result_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let exec = IssueExec::new(
            Arc::clone(&self.order),
            self.key.clone(),
            file_indices(self.order.files.len())?,
        );
        match projection {
            Some(p) if *p != [0, 1] => Err(external(watermark_text::Said::new(
                watermark_text::Msg::ClWholeResult,
            ))),
            _ => Ok(Arc::new(exec)),
        }
    }
}

/// Marks the files of an [`IssueOrder`] whose indices its input gives
/// (partition `i` of [`IssueTable`]'s scan holds file `i`), each into every
/// recipient's directory, and yields one row per file. The key comes from
/// the process it runs in (the executor's codec, or a local session),
/// never from the plan.
pub struct IssueExec {
    order: Arc<IssueOrder>,
    key: Option<Arc<MasterKey>>,
    input: Arc<dyn ExecutionPlan>,
    properties: Arc<PlanProperties>,
}

impl fmt::Debug for IssueExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssueExec")
            .field("files", &self.order.files.len())
            .field("recipients", &self.order.recipients.len())
            .field("key_id", &self.order.key_id)
            .field("key_loaded", &self.key.is_some())
            .finish()
    }
}

impl IssueExec {
    /// The operator for `order` over `input` (the file indices), with the
    /// process's key if it has one.
    pub fn new(
        order: Arc<IssueOrder>,
        key: Option<Arc<MasterKey>>,
        input: Arc<dyn ExecutionPlan>,
    ) -> IssueExec {
        let partitions = input.properties().output_partitioning().partition_count();
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(result_schema()),
            Partitioning::UnknownPartitioning(partitions),
            EmissionType::Final,
            Boundedness::Bounded,
        ));
        IssueExec {
            order,
            key,
            input,
            properties,
        }
    }

    /// The order.
    pub fn order(&self) -> &Arc<IssueOrder> {
        &self.order
    }
}

impl DisplayAs for IssueExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IssueExec: files={}, recipients={}, key_id={}",
            self.order.files.len(),
            self.order.recipients.len(),
            self.order.key_id
        )
    }
}

impl ExecutionPlan for IssueExec {
    fn name(&self) -> &str {
        "IssueExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        // One file per partition, as the scan gives them: never spread.
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
        Ok(Arc::new(IssueExec::new(
            Arc::clone(&self.order),
            self.key.clone(),
            input,
        )))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let key = self.key.clone().ok_or_else(no_key)?;
        let order = Arc::clone(&self.order);
        let indices = self.input.execute(partition, context)?;
        let schema = result_schema();
        let batch_schema = Arc::clone(&schema);
        let work = async move {
            let indices = indices_of(indices).await?;
            tokio::task::spawn_blocking(move || -> Result<RecordBatch> {
                // Each task marks on one thread: an executor runs as many
                // tasks at once as it has cores.
                let embedder = order.embedder(&key).map_err(external)?;
                let mut files = Vec::with_capacity(indices.len());
                let mut done = Vec::with_capacity(indices.len());
                for i in indices {
                    let part = issue_part(&embedder, &order, i, 1).map_err(external)?;
                    files.push(i as u64);
                    done.push(serde_json::to_string(&part).map_err(external)?);
                }
                RecordBatch::try_new(
                    batch_schema,
                    vec![
                        Arc::new(UInt64Array::from(files)),
                        Arc::new(StringArray::from(done)),
                    ],
                )
                .map_err(Into::into)
            })
            .await
            .map_err(external)?
        };
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            schema,
            futures::stream::once(work),
        )))
    }
}
