//! Attacks on fingerprinted extracts, and a harness that issues copies and
//! attributes leaks in memory. The acceptance tests, the examples and the
//! robustness evaluation share it.
//!
//! Every attack is a plain function on a [`Table`] and a seeded random
//! generator, so a failing trial can be replayed exactly.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod attack;
pub mod distinguish;
pub mod eval;
pub mod scenario;
mod table;

pub use scenario::Scenario;
pub use table::Table;
