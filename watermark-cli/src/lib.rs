//! The `watermark` command as a library: its arguments ([`cli`]), its
//! commands ([`commands`]) and its terminal output ([`output`]).
//!
//! The workflows the command shares with the verify service live in the
//! application layer, `watermark-app`: issuing (`watermark_app::issue`),
//! verifying (`watermark_app::verify`), the signed evidence report
//! (`watermark_app::report`), the witness round trips
//! (`watermark_app::witnessing`), the formats (`watermark_app::formats`)
//! and the text both show (`watermark_app::text`). Here each command turns
//! its arguments into a workflow's settings (for instance
//! `From<VerifyArgs>` for `watermark_app::verify::Settings`), runs it with
//! an [`output::Printer`] as its `Reporter` (notices and progress bars on
//! standard error), and prints the result as text or JSON. What only the
//! command line does stays here: `log`, `report verify`, `policy suggest`,
//! `init`, `demo`, `synth`, the witness server (`witness serve`), and the
//! `--pubkey` and `--witness-key` checks ([`commands::keys`]).
//!
//! The exit status comes from the error's typed causes: a report that does
//! not verify (`watermark_app::report::Rejected`) is 3, a state behind or
//! forked from its witnesses (`watermark_app::witnessing::Behind`) 4, too
//! few cosignatures (`watermark_app::witnessing::TooFewCosignatures`) 5,
//! tampering with the log or a file it binds (`watermark_core::Error::is_tampering`) 6,
//! anything else 1.
#![forbid(unsafe_code)]

pub mod cli;
pub mod commands;
pub mod help_es;
pub mod output;
