//! Per-recipient fingerprints for registry extracts.
#![forbid(unsafe_code)]

pub mod ids;
pub mod tlog;
