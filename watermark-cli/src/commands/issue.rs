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

impl From<IssueArgs> for watermark_app::split::Settings {
    fn from(a: IssueArgs) -> Self {
        watermark_app::split::Settings {
            state: a.state.state,
            policy: a.policy,
            input: a.input,
            recipients: a.to,
            out_dir: a.out_dir,
            force: a.force,
            witnesses: a.witnesses.witnesses,
        }
    }
}

/// Whether the arguments name an extract split into Parquet files: a
/// directory, or a cluster to issue on. Such an extract's copies are
/// Parquet, in no other encoding.
pub fn split(a: &IssueArgs) -> watermark_app::Result<bool> {
    if a.cluster.is_none() && !a.input.is_dir() {
        return Ok(false);
    }
    if a.format
        .is_some_and(|f| f != crate::cli::FormatArg::Parquet)
        || a.encoding.is_some()
    {
        return Err(watermark_app::Error::new(
            watermark_app::Fault::Input,
            watermark_text::said!(watermark_app::messages::Msg::SplitParquetOnly),
        ));
    }
    Ok(true)
}
