//! Detection as an aggregate: `watermark_tally(__row, COLUMN...)`.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, UInt64Type};
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};
use datafusion::scalar::ScalarValue;
use watermark_core::{Detector, MasterKey, Tally};
use watermark_formats::split::DetectorSpec;

use crate::{external, no_key};

/// The aggregate's name in SQL.
pub const NAME: &str = "watermark_tally";

/// `watermark_tally(__row, COLUMN...)`: reads the rows (each numbered by
/// its first argument, the columns named as the arguments that follow)
/// into a detection [`Tally`] under the detector a [`DetectorSpec`]
/// describes, and returns the tally of every row as JSON. Partial tallies
/// travel between stages as JSON too (they hold no row, key or canary
/// value) and merge in any order to the same tally.
pub struct TallyFunction {
    spec: Arc<DetectorSpec>,
    /// The spec as JSON: what the function is, for equality, hashing and
    /// the codec.
    spec_json: String,
    key: Option<Arc<MasterKey>>,
    detector: OnceLock<Arc<Detector>>,
    signature: Signature,
}

impl std::fmt::Debug for TallyFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TallyFunction")
            .field("key_id", &self.spec.key_id)
            .field("recipients", &self.spec.recipients.len())
            .field("key_loaded", &self.key.is_some())
            .finish()
    }
}

impl PartialEq for TallyFunction {
    fn eq(&self, other: &Self) -> bool {
        self.spec_json == other.spec_json
    }
}

impl Eq for TallyFunction {}

impl Hash for TallyFunction {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.spec_json.hash(state);
    }
}

impl TallyFunction {
    /// The function for `spec`, with the process's key if it has one.
    pub fn new(spec: DetectorSpec, key: Option<Arc<MasterKey>>) -> TallyFunction {
        let spec_json = serde_json::to_string(&spec).expect("specs serialise");
        TallyFunction {
            spec: Arc::new(spec),
            spec_json,
            key,
            detector: OnceLock::new(),
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }

    /// The function for a spec as [`TallyFunction::spec_json`] wrote it.
    pub(crate) fn from_json(json: &[u8], key: Option<Arc<MasterKey>>) -> Result<TallyFunction> {
        let spec: DetectorSpec = serde_json::from_slice(json).map_err(external)?;
        Ok(TallyFunction::new(spec, key))
    }

    /// The spec, as JSON.
    pub(crate) fn spec_json(&self) -> &str {
        &self.spec_json
    }

    /// As a DataFusion aggregate, to call in a query.
    pub fn udaf(self) -> AggregateUDF {
        AggregateUDF::new_from_impl(self)
    }

    fn detector(&self) -> Result<Arc<Detector>> {
        if let Some(d) = self.detector.get() {
            return Ok(Arc::clone(d));
        }
        let key = self.key.as_ref().ok_or_else(no_key)?;
        let d = Arc::new(self.spec.detector(key).map_err(external)?);
        Ok(Arc::clone(self.detector.get_or_init(|| d)))
    }
}

impl AggregateUDFImpl for TallyFunction {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let names: Vec<String> = args
            .expr_fields
            .iter()
            .skip(1)
            .map(|f| f.name().clone())
            .collect();
        let detector = self.detector()?;
        // Binding checks the columns now: a leak without the identity
        // columns is refused before any row is read.
        let tally = detector.bind(&names).map_err(external)?.take();
        Ok(Box::new(TallyAccumulator {
            detector,
            names,
            tally,
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format!("{}[tally]", args.name),
            DataType::Binary,
            true,
        ))])
    }
}

/// One partition's tally.
struct TallyAccumulator {
    detector: Arc<Detector>,
    names: Vec<String>,
    tally: Tally,
}

impl std::fmt::Debug for TallyAccumulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TallyAccumulator")
            .field("columns", &self.names)
            .field("rows_read", &self.tally.rows_read())
            .finish()
    }
}

impl Accumulator for TallyAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some((rows, columns)) = values.split_first() else {
            return Ok(());
        };
        let rows = rows.as_primitive_opt::<UInt64Type>().ok_or_else(|| {
            external(watermark_text::Said::new(watermark_text::Msg::ClRowNumbers))
        })?;
        if rows.null_count() > 0 {
            return Err(external(watermark_text::Said::new(
                watermark_text::Msg::ClRowNumbers,
            )));
        }
        let mut observer = self.detector.bind(&self.names).map_err(external)?;
        watermark_formats::observe_columns(
            &self.detector,
            &mut observer,
            &self.names,
            columns,
            rows.values(),
        )
        .map_err(external)?;
        self.tally.merge(observer.take()).map_err(external)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let json = serde_json::to_string(&self.tally).map_err(external)?;
        Ok(ScalarValue::Utf8(Some(json)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + 64 * self.tally.rows_read() as usize
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let json = serde_json::to_vec(&self.tally).map_err(external)?;
        Ok(vec![ScalarValue::Binary(Some(json))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let Some(states) = states.first() else {
            return Ok(());
        };
        let states = states
            .as_binary_opt::<i32>()
            .ok_or_else(|| external(watermark_text::Said::new(watermark_text::Msg::ClBadState)))?;
        for state in states.iter().flatten() {
            let tally: Tally = serde_json::from_slice(state).map_err(external)?;
            self.tally.merge(tally).map_err(external)?;
        }
        Ok(())
    }
}
