//! `watermark`: issue fingerprinted copies of registry extracts, attribute
//! leaks, audit issuance.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use watermark_app::report::Rejected;
use watermark_app::witnessing::{Behind, TooFewCosignatures};
use watermark_cli::{commands, help_es};

fn main() -> ExitCode {
    // `--help` and clap's errors are in the language of the rest of the
    // output, decided before clap parses (`--lang` may follow the
    // subcommand).
    let cli = help_es::parse(help_es::lang_from_env());
    // A damaged Parquet or Arrow file is refused with an error naming it;
    // the reader's own panic message would only be noise.
    watermark_formats::silence_reader_panics();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // A closed pipe (`watermark verify ... | head`) is not an error.
            if causes(&err)
                .filter_map(|e| e.downcast_ref::<std::io::Error>())
                .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "watermark: error: {}",
                    watermark_app::error_text_in(watermark_cli::output::lang(), &err)
                );
            }
            // A report that does not verify is an answer, not a failure to
            // answer: its own status.
            if has::<Rejected>(&err) {
                return ExitCode::from(3);
            }
            // The state is behind its witnesses, or forked from what they saw.
            if has::<Behind>(&err) {
                return ExitCode::from(4);
            }
            if has::<TooFewCosignatures>(&err) {
                return ExitCode::from(5);
            }
            // The log, or a file it binds, was altered: evidence of
            // tampering, not a file that could not be read.
            if causes(&err)
                .filter_map(|e| e.downcast_ref::<watermark_core::Error>())
                .any(watermark_core::Error::is_tampering)
            {
                return ExitCode::from(6);
            }
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, with those of a workflow's error
/// ([`watermark_app::Error::causes`]), outermost first.
fn causes(err: &anyhow::Error) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
    err.chain().flat_map(|e| {
        let workflow = e
            .downcast_ref::<watermark_app::Error>()
            .into_iter()
            .flat_map(watermark_app::Error::causes);
        std::iter::once(e).chain(workflow)
    })
}

/// Whether the error or one of its causes is a `T`.
fn has<T: std::error::Error + 'static>(err: &anyhow::Error) -> bool {
    causes(err).any(|e| e.is::<T>())
}
