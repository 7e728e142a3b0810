//! `watermark issue`: the settings of the issue workflow
//! ([`watermark_app::issue`]) from the command line.

use watermark_app::formats::FileFormat;
use watermark_app::issue::Settings;

use crate::cli::IssueArgs;

impl From<IssueArgs> for Settings {
    fn from(a: IssueArgs) -> Self {
        Settings {
            state: a.state.state,
            policy: a.policy,
            input: a.input,
            recipients: a.to,
            out_dir: a.out_dir,
            force: a.force,
            format: a.format.map(FileFormat::from),
            witnesses: a.witnesses.witnesses,
            encoding: a
                .encoding
                .as_deref()
                .and_then(watermark_formats::TextEncoding::from_label),
        }
    }
}
