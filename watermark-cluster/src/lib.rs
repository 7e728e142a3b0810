//! The registry watermark on Apache DataFusion and Ballista: issuing and
//! verifying extracts split into Parquet files inside the engine, on one
//! process or on a cluster.
//!
//! Marking a row is a pure function of the key, the policy, the recipient
//! and the row, and detection's partial results ([`Tally`]) merge in any
//! order to the same answer, so both run as the engine's own operators:
//!
//! - [`IssueTable`]: a table whose scan is an [`IssueExec`], one partition
//!   per file of the extract. Each partition marks its file into every
//!   recipient's directory, canary rows included at the places the whole
//!   extract's canary list gives them (see
//!   [`issue_part`](watermark_formats::split::issue_part)), and yields one
//!   row: the file's [`PartDone`](watermark_formats::split::PartDone), as
//!   JSON. `SELECT * FROM issuance` issues.
//! - [`LeakTable`]: a leak's files as one table, with its rows numbered
//!   through the files in order (column `__row`), and the aggregate
//!   [`watermark_tally`](TallyFunction): `SELECT watermark_tally(__row,
//!   "CURP", "CALLE") FROM leak` reads the rows into tallies, one per
//!   partition, merges them in whatever order the engine's stages deliver
//!   them, and returns the merged [`Tally`] as JSON, which
//!   [`Detector::finish`](watermark_core::Detector::finish) turns into the
//!   attribution a single pass over the rows would give, to the last digit.
//!
//! **The master key never travels.** An [`IssueOrder`] and a
//! [`DetectorSpec`] hold everything but the key, and the codecs
//! ([`WatermarkLogicalCodec`], [`WatermarkPhysicalCodec`]) that carry them
//! in plans between client, scheduler and executors write nothing else.
//! Each executor loads the key from its own protected file
//! ([`executor`]) and its codec gives it to the operators it decodes; an
//! operator that reaches a process without the key, or with another one,
//! refuses to run.
//!
//! [`ClusterRunner`] is the
//! [`SplitRunner`](watermark_app::split::SplitRunner) that
//! `watermark issue --cluster df://HOST:PORT` and `watermark verify --cluster`
//! use: it connects to a Ballista scheduler ([`scheduler`]) whose
//! executors are this crate's ([`executor`]), and runs the queries above.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod codec;
pub mod executor;
mod issue;
mod leak;
mod runner;
pub mod scheduler;
mod tally;

pub use codec::{WatermarkLogicalCodec, WatermarkPhysicalCodec};
pub use issue::{IssueExec, IssueTable};
pub use leak::{LeakExec, LeakTable, ROW_COLUMN};
pub use runner::{connect, ClusterRunner};
pub use tally::TallyFunction;
pub use watermark_core::Tally;
pub use watermark_formats::split::{DetectorSpec, IssueOrder};

use datafusion::error::DataFusionError;

/// A scheme or format error as DataFusion carries it: its text only (which
/// names files, rows and columns, never a key or a cell of a secret list).
pub(crate) fn external(e: impl std::fmt::Display) -> DataFusionError {
    DataFusionError::Execution(e.to_string())
}

/// The error of an operator that reached a process without the master key.
pub(crate) fn no_key() -> DataFusionError {
    external(watermark_text::Said::new(watermark_text::Msg::ClNoKey))
}

/// The files of an order or a leak as the engine's own scan: partition `i`
/// holds one row, file index `i`. The toolkit's operators read their files
/// from it, so an engine that gives each task a slice of a stage's
/// partitions (Ballista does, for its own scans) gives each task its files,
/// and a file is worked on by the task that holds its index.
pub(crate) fn file_indices(
    files: usize,
) -> datafusion::error::Result<std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>> {
    use datafusion::arrow::array::UInt64Array;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use std::sync::Arc;
    let schema = Arc::new(Schema::new(vec![Field::new(
        "file",
        DataType::UInt64,
        false,
    )]));
    let partitions = (0..files)
        .map(|i| {
            RecordBatch::try_new(
                Arc::clone(&schema),
                vec![Arc::new(UInt64Array::from(vec![i as u64]))],
            )
            .map(|b| vec![b])
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(
        datafusion::datasource::memory::MemorySourceConfig::try_new_exec(
            &partitions,
            schema,
            None,
        )?,
    )
}

/// The file indices a partition of [`file_indices`] (or what the engine
/// made of it) holds.
pub(crate) async fn indices_of(
    stream: datafusion::physical_plan::SendableRecordBatchStream,
) -> datafusion::error::Result<Vec<usize>> {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::UInt64Type;
    use futures::TryStreamExt;
    let batches: Vec<_> = stream.try_collect().await?;
    let mut out = Vec::new();
    for b in batches {
        let Some(column) = b.columns().first() else {
            continue;
        };
        let Some(values) = column.as_primitive_opt::<UInt64Type>() else {
            return Err(external(watermark_text::Said::new(
                watermark_text::Msg::ClBadState,
            )));
        };
        out.extend(values.values().iter().map(|&v| v as usize));
    }
    Ok(out)
}
