//! The `watermark` command as a library: its argument types, its commands
//! and its output helpers, so that other front ends (the `verify-service`
//! HTTP service) run exactly the same code as the command line.
//!
//! Every command resolves its arguments into settings and returns a
//! serialisable result; for instance
//! [`commands::verify::run`] takes [`commands::verify::Settings`] and a
//! [`output::Printer`] (quiet, for a service) and returns the
//! [`commands::verify::Report`] that `watermark verify --json` prints;
//! [`report`] renders that report as a signed HTML evidence report and
//! checks one.
#![forbid(unsafe_code)]

pub mod cli;
pub mod commands;
pub mod output;
