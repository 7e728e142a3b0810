//! How the toolkit's operators travel in plans: Ballista's codecs, with
//! the issuance, the leak's scan and the tally function added.
//!
//! An operator is written as `WMK1` and JSON of what it holds: an
//! [`IssueOrder`], a leak's files, a [`DetectorSpec`]. Neither holds the
//! master key; a process decoding them gives them its own key (an
//! executor's, loaded from its protected file), or none (a scheduler's).

use std::fmt;
use std::sync::Arc;

use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::TableReference;
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::datasource::TableProvider;
use datafusion::error::Result;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{AggregateUDF, Extension, LogicalPlan};
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use serde::{Deserialize, Serialize};
use watermark_core::MasterKey;
use watermark_formats::split::IssueOrder;

use crate::external;
use crate::issue::{IssueExec, IssueTable};
use crate::leak::{LeakExec, LeakFiles, LeakTable};
use crate::tally::{TallyFunction, NAME};

const MAGIC: &[u8] = b"WMK1";

/// A table provider of the toolkit, as it travels.
#[derive(Serialize, Deserialize)]
enum Table {
    Issue(IssueOrder),
    Leak(LeakFiles),
}

/// An operator of the toolkit, as it travels.
#[derive(Serialize, Deserialize)]
enum Node {
    Issue(IssueOrder),
    Leak {
        files: LeakFiles,
        projection: Vec<usize>,
    },
}

fn encode<T: Serialize>(value: &T, buf: &mut Vec<u8>) -> Result<()> {
    buf.extend_from_slice(MAGIC);
    serde_json::to_writer(buf, value).map_err(external)
}

fn decode<T: for<'de> Deserialize<'de>>(buf: &[u8]) -> Option<Result<T>> {
    buf.strip_prefix(MAGIC)
        .map(|json| serde_json::from_slice(json).map_err(external))
}

/// Ballista's logical codec with the toolkit's tables and function: for a
/// client's and a scheduler's session.
pub struct WatermarkLogicalCodec {
    inner: BallistaLogicalExtensionCodec,
    key: Option<Arc<MasterKey>>,
}

impl fmt::Debug for WatermarkLogicalCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatermarkLogicalCodec")
            .field("key_loaded", &self.key.is_some())
            .finish()
    }
}

impl WatermarkLogicalCodec {
    /// The codec of a process holding `key` (an executor), or none.
    pub fn new(key: Option<Arc<MasterKey>>) -> WatermarkLogicalCodec {
        WatermarkLogicalCodec {
            inner: BallistaLogicalExtensionCodec::default(),
            key,
        }
    }
}

impl LogicalExtensionCodec for WatermarkLogicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        self.inner.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        match decode::<Table>(buf) {
            Some(table) => Ok(match table? {
                Table::Issue(order) => Arc::new(IssueTable::new(order, self.key.clone())),
                Table::Leak(files) => Arc::new(LeakTable::from_files(files)?),
            }),
            None => self
                .inner
                .try_decode_table_provider(buf, table_ref, schema, ctx),
        }
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        if let Some(t) = node.downcast_ref::<IssueTable>() {
            return encode(&Table::Issue(t.order().clone()), buf);
        }
        if let Some(t) = node.downcast_ref::<LeakTable>() {
            return encode(&Table::Leak(t.files().clone()), buf);
        }
        self.inner.try_encode_table_provider(table_ref, node, buf)
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn FileFormatFactory>> {
        self.inner.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> Result<()> {
        self.inner.try_encode_file_format(buf, node)
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        decode_udaf(name, buf, &self.key)
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_udaf(node, buf)
    }
}

fn decode_udaf(name: &str, buf: &[u8], key: &Option<Arc<MasterKey>>) -> Result<Arc<AggregateUDF>> {
    match buf.strip_prefix(MAGIC) {
        Some(json) if name == NAME => Ok(Arc::new(
            TallyFunction::from_json(json, key.clone())?.udaf(),
        )),
        _ => Err(external(watermark_text::said!(
            watermark_text::Msg::ClUnknownFunction,
            name
        ))),
    }
}

fn encode_udaf(node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
    if let Some(t) = node.inner().downcast_ref::<TallyFunction>() {
        buf.extend_from_slice(MAGIC);
        buf.extend_from_slice(t.spec_json().as_bytes());
    }
    Ok(())
}

/// Ballista's physical codec with the toolkit's operators and function:
/// for a scheduler's and an executor's session.
pub struct WatermarkPhysicalCodec {
    inner: BallistaPhysicalExtensionCodec,
    key: Option<Arc<MasterKey>>,
}

impl fmt::Debug for WatermarkPhysicalCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatermarkPhysicalCodec")
            .field("key_loaded", &self.key.is_some())
            .finish()
    }
}

impl WatermarkPhysicalCodec {
    /// The codec of a process holding `key` (an executor), or none.
    pub fn new(key: Option<Arc<MasterKey>>) -> WatermarkPhysicalCodec {
        WatermarkPhysicalCodec {
            inner: BallistaPhysicalExtensionCodec::default(),
            key,
        }
    }
}

impl PhysicalExtensionCodec for WatermarkPhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match decode::<Node>(buf) {
            Some(node) => {
                let [input] = inputs else {
                    return Err(external(watermark_text::Said::new(
                        watermark_text::Msg::ClBadState,
                    )));
                };
                let input = Arc::clone(input);
                Ok(match node? {
                    Node::Issue(order) => {
                        Arc::new(IssueExec::new(Arc::new(order), self.key.clone(), input))
                    }
                    Node::Leak { files, projection } => {
                        Arc::new(LeakExec::new(Arc::new(files), projection, input)?)
                    }
                })
            }
            None => self.inner.try_decode(buf, inputs, ctx, proto_converter),
        }
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        if let Some(e) = node.downcast_ref::<IssueExec>() {
            return encode(&Node::Issue(e.order().as_ref().clone()), buf);
        }
        if let Some(e) = node.downcast_ref::<LeakExec>() {
            return encode(
                &Node::Leak {
                    files: e.files().clone(),
                    projection: e.projection().to_vec(),
                },
                buf,
            );
        }
        self.inner.try_encode(node, buf, proto_converter)
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        decode_udaf(name, buf, &self.key)
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_udaf(node, buf)
    }
}
