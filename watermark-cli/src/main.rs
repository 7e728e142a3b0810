//! `watermark`: issue fingerprinted copies of registry extracts, attribute
//! leaks, audit issuance.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser as _;
use watermark_cli::{cli, commands};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // A closed pipe (`watermark verify ... | head`) is not an error.
            if err
                .chain()
                .filter_map(|e| e.downcast_ref::<std::io::Error>())
                .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "watermark: error: {}",
                    watermark_app::text::error_text(&err)
                );
            }
            // A report that does not verify is an answer, not a failure to
            // answer: its own status.
            if err
                .downcast_ref::<watermark_cli::report::Rejected>()
                .is_some()
            {
                return ExitCode::from(3);
            }
            // The state is behind its witnesses, or forked from what they saw.
            if err
                .downcast_ref::<watermark_cli::witnessing::Behind>()
                .is_some()
            {
                return ExitCode::from(4);
            }
            if err
                .downcast_ref::<watermark_cli::witnessing::TooFewCosignatures>()
                .is_some()
            {
                return ExitCode::from(5);
            }
            ExitCode::FAILURE
        }
    }
}
