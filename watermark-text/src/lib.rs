//! The registry watermark's words, below every other layer so that each
//! can write for people:
//!
//! - [`Lang`]: the language people read, Spanish (es-MX) or English, from
//!   `--lang`, the locale or a browser's `Accept-Language`;
//! - [`messages`]: the one catalogue of every sentence the toolkit writes
//!   for people (the verify output, the evidence report, the upload page,
//!   notices, progress and errors), each in both languages, and [`Said`],
//!   a sentence of it as an error value: the layer that makes an error
//!   does not know the reader's language, the front end that prints it
//!   does;
//! - [`numbers`]: counts and decimals with thousands separators;
//! - [`html`]: escaping for the report and the page.
//!
//! No dependencies, no I/O beyond reading the locale's variables.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod html;
mod lang;
pub mod messages;
pub mod numbers;

pub use lang::Lang;
pub use messages::{Msg, Said, SaidContext};
