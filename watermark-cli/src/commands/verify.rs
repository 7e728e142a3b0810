//! `watermark verify`: the settings of the verify workflow
//! ([`watermark_app::verify`]) from the command line.

use watermark_app::verify::Settings;

use crate::cli::VerifyArgs;

impl From<VerifyArgs> for Settings {
    fn from(a: VerifyArgs) -> Self {
        // No default: the log names who is answerable for a verification,
        // so it is given (`--investigator`) or configured
        // (`WATERMARK_INVESTIGATOR`), never guessed from the account. The
        // workflow refuses an empty name before anything is read or logged.
        let investigator = a
            .investigator
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        Settings {
            state: a.state.state,
            leaked: a.leaked,
            threshold: a.threshold,
            investigator,
            master: a.master,
            encoding: a
                .encoding
                .as_deref()
                .and_then(watermark_formats::TextEncoding::from_label),
        }
    }
}
