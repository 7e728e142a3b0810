//! `verify-service`: attribution of leaked extracts over HTTP.
//!
//! The HTTP service is not part of this release. Investigators verify leaks
//! with the `watermark verify` command, which produces the same report.
#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "verify-service: the HTTP service is not available in this release; \
             use `watermark verify --state DIR LEAKED [--json]`"
        );
    }
    ExitCode::from(2)
}
