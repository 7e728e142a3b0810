//! Where the files of a split extract are marked and a split leak is read:
//! this machine ([`Local`]), or a cluster whose workers hold the master
//! key themselves (the cluster crate's runner). The workflows are in
//! [`split`](crate::split) and [`verify`](crate::verify).

use std::sync::Arc;

use watermark_core::{MasterKey, RowBatch, RowSource as _, Tally};
use watermark_formats::split::{issue_part, DetectorSpec, IssueOrder, PartDone, SplitExtract};

use crate::error::Blame as _;
use crate::messages::{tr, Msg};
use crate::{Reporter, Result};

/// Marks the files of a split extract, and reads a split leak: on this
/// machine, or on a cluster whose workers hold the master key themselves.
pub trait SplitRunner {
    /// Where the work runs, as people name it (`df://HOST:PORT`).
    fn name(&self) -> String;

    /// Marks every file of `order` into every recipient's directory (see
    /// [`issue_part`]); returns one [`PartDone`] per file, in any order.
    fn issue(&self, order: &IssueOrder, reporter: &dyn Reporter) -> Result<Vec<PartDone>>;

    /// The detection tally of the leak's rows, numbered through its files
    /// in order, under the detector `spec` describes: the caller, who holds
    /// the key, finishes it into the attribution.
    fn tally(
        &self,
        spec: &DetectorSpec,
        leak: &SplitExtract,
        reporter: &dyn Reporter,
    ) -> Result<Tally>;
}

/// This machine: every file in turn, marked on every core.
#[derive(Debug)]
pub struct Local {
    key: Arc<MasterKey>,
}

impl Local {
    /// Runs with `key` (the state's).
    pub fn new(key: Arc<MasterKey>) -> Local {
        Local { key }
    }
}

impl SplitRunner for Local {
    fn name(&self) -> String {
        "local".into()
    }

    fn issue(&self, order: &IssueOrder, reporter: &dyn Reporter) -> Result<Vec<PartDone>> {
        let embedder = order.embedder(&self.key).input()?;
        let total: u64 = order.files.iter().map(|f| f.bytes).sum();
        let bar = reporter.progress(total, &tr(reporter.lang(), Msg::ProgressIssuing, &[]));
        let mut done = Vec::with_capacity(order.files.len());
        let mut bytes = 0;
        for (i, f) in order.files.iter().enumerate() {
            done.push(issue_part(&embedder, order, i, 0).input()?);
            bytes += f.bytes;
            bar.set_position(bytes);
        }
        bar.finish();
        Ok(done)
    }

    fn tally(
        &self,
        spec: &DetectorSpec,
        leak: &SplitExtract,
        reporter: &dyn Reporter,
    ) -> Result<Tally> {
        let detector = spec.detector(&self.key).server()?;
        let bar = reporter.progress(
            leak.bytes(),
            &tr(reporter.lang(), Msg::ProgressVerifying, &[]),
        );
        let mut rows = leak.row_source().input()?;
        let mut observer = detector.bind(leak.header()).input()?;
        let mut batch = RowBatch::new();
        while rows.next_batch(&mut batch, 8192).input()? {
            for k in 0..batch.len() {
                let row = batch.row(k);
                observer
                    .observe(batch.position(k).row, |i| row.cell(i))
                    .input()?;
            }
            bar.set_position(rows.bytes_read());
        }
        bar.finish();
        Ok(observer.take())
    }
}
