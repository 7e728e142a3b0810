//! The client: issuing and verifying on a Ballista cluster.

use std::sync::Arc;

use ballista::prelude::SessionContextExt as _;
use ballista_core::extension::SessionConfigExt as _;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::error::Result as DfResult;
use datafusion::execution::SessionStateBuilder;
use datafusion::logical_expr::{col, ident};
use datafusion::prelude::{SessionConfig, SessionContext};
use watermark_app::split::SplitRunner;
use watermark_app::{Error, Fault, Reporter, Result};
use watermark_core::Tally;
use watermark_formats::split::{DetectorSpec, IssueOrder, PartDone, SplitExtract};
use watermark_text::{said, Msg};

use crate::codec::{WatermarkLogicalCodec, WatermarkPhysicalCodec};
use crate::issue::IssueTable;
use crate::leak::{LeakTable, ROW_COLUMN};
use crate::tally::TallyFunction;

/// A session on the Ballista scheduler at `url` (`df://HOST:PORT`), with
/// the toolkit's codecs: its plans carry issuances, leaks and tallies, and
/// never a key.
pub async fn connect(url: &str) -> DfResult<SessionContext> {
    let config = SessionConfig::new_with_ballista()
        .with_ballista_logical_extension_codec(Arc::new(WatermarkLogicalCodec::new(None)))
        .with_ballista_physical_extension_codec(Arc::new(WatermarkPhysicalCodec::new(None)));
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .build();
    SessionContext::remote_with_state(url, state).await
}

/// Issues and verifies on a Ballista cluster whose executors are this
/// crate's (`watermark-executor`): the [`SplitRunner`] of
/// `watermark issue --cluster` and `watermark verify --cluster`.
#[derive(Debug)]
pub struct ClusterRunner {
    url: String,
    runtime: tokio::runtime::Runtime,
}

impl ClusterRunner {
    /// A runner for the scheduler at `url` (`df://HOST:PORT`); nothing is
    /// connected until work is given.
    pub fn new(url: &str) -> Result<ClusterRunner> {
        if !url.starts_with("df://") {
            return Err(Error::new(Fault::Input, said!(Msg::ClBadUrl, url)));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::new(Fault::Server, said!(Msg::ClRuntime).because(e)))?;
        Ok(ClusterRunner {
            url: url.to_owned(),
            runtime,
        })
    }

    fn failed(&self, e: impl std::fmt::Display) -> Error {
        Error::new(
            Fault::Server,
            said!(
                Msg::ClJobFailed,
                self.url,
                watermark_core::bounded(&e.to_string(), 2000)
            ),
        )
    }
}

impl SplitRunner for ClusterRunner {
    fn name(&self) -> String {
        self.url.clone()
    }

    fn issue(&self, order: &IssueOrder, _reporter: &dyn Reporter) -> Result<Vec<PartDone>> {
        let batches = self
            .runtime
            .block_on(async {
                let ctx = connect(&self.url).await?;
                ctx.read_table(Arc::new(IssueTable::new(order.clone(), None)))?
                    .collect()
                    .await
            })
            .map_err(|e| self.failed(e))?;
        // A file's result can come more than once (a task run again after
        // its executor was lost, the same output read through more than
        // one of the stage's partitions): each is kept once, and copies of
        // it must agree, as marking a file again writes the same bytes.
        let mut done: Vec<Option<PartDone>> = vec![None; order.files.len()];
        for b in &batches {
            let json = b.column(1).as_string::<i32>();
            for k in 0..b.num_rows() {
                let part: PartDone =
                    serde_json::from_str(json.value(k)).map_err(|e| self.failed(e))?;
                let Some(slot) = done.get_mut(part.index) else {
                    return Err(self.failed(said!(
                        Msg::SpNoSuchPart,
                        part.index,
                        order.files.len()
                    )));
                };
                match slot {
                    Some(seen) if *seen != part => {
                        return Err(
                            self.failed(said!(Msg::ClPartsDisagree, order.files[part.index].name))
                        )
                    }
                    Some(_) => {}
                    None => *slot = Some(part),
                }
            }
        }
        Ok(done.into_iter().flatten().collect())
    }

    fn tally(
        &self,
        spec: &DetectorSpec,
        leak: &SplitExtract,
        _reporter: &dyn Reporter,
    ) -> Result<Tally> {
        let json = self
            .runtime
            .block_on(async {
                let ctx = connect(&self.url).await?;
                let table = LeakTable::new(leak)?;
                let mut args = vec![col(ROW_COLUMN)];
                args.extend(leak.header().iter().map(ident));
                let tally = TallyFunction::new(spec.clone(), None).udaf();
                let batches = ctx
                    .read_table(Arc::new(table))?
                    .aggregate(vec![], vec![tally.call(args)])?
                    .collect()
                    .await?;
                let mut out = None;
                for b in &batches {
                    let column = b.column(0).as_string::<i32>();
                    if b.num_rows() > 0 && column.is_valid(0) {
                        out = Some(column.value(0).to_owned());
                    }
                }
                Ok::<_, datafusion::error::DataFusionError>(out)
            })
            .map_err(|e| self.failed(e))?;
        let json = json.ok_or_else(|| self.failed(said!(Msg::ClNoTally)))?;
        serde_json::from_str(&json).map_err(|e| self.failed(e))
    }
}
