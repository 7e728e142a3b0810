//! `watermark policy suggest`

use anyhow::Context as _;
use watermark_core::suggest_from_rows;

use watermark_app::formats::{self, FileFormat};

use crate::cli::SuggestArgs;
use crate::output::Printer;
use watermark_text::{said, Msg, SaidContext as _};

pub fn suggest(args: SuggestArgs, printer: Printer) -> anyhow::Result<()> {
    let format = FileFormat::detect(&args.input)?;
    let identity = (!args.identity.is_empty()).then_some(args.identity.as_slice());
    let rate_ok = args.canary_rate > 0.0 && args.canary_rate <= 0.2;
    if !args.no_canaries && !rate_ok {
        return Err(said!(Msg::CanaryRateRange, args.canary_rate).into());
    }
    let canary_rate = (!args.no_canaries).then_some(args.canary_rate);
    // Any format is examined as rows of its cells' text form, the form
    // issuance reads them in.
    let input = formats::open_rows(&args.input, format, &watermark_app::hidden())
        .with_context(|| format!("{}", args.input.display()))?;
    let suggestion = suggest_from_rows(input, args.rows, identity, canary_rate)
        .with_context(|| format!("{}", args.input.display()))?;
    let text = if args.json {
        serde_json::to_string_pretty(&suggestion)? + "\n"
    } else {
        suggestion.to_commented_toml()
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, &text).said(|| said!(Msg::CtxWriting, path.display()))?;
            printer.text(&format!(
                "{}\n",
                watermark_app::messages::tr(
                    crate::output::lang(),
                    watermark_app::messages::Msg::PolicyWrote,
                    &[&path.display()]
                )
            ))?;
        }
        None => {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(())
}
