//! `watermark synth`: a deterministic synthetic extract.

use std::io::Write as _;

use watermark_synth::Kind;

use crate::cli::SynthArgs;
use watermark_text::Msg;
use watermark_text::{said, SaidContext as _};

pub fn run(args: SynthArgs) -> anyhow::Result<()> {
    let kind: Kind = args
        .kind
        .parse()
        .map_err(|_| anyhow::Error::new(said!(Msg::UnknownKind, format!("{:?}", args.kind))))?;
    match &args.output {
        Some(path) => {
            let file =
                std::fs::File::create(path).said(|| said!(Msg::CtxCreating, path.display()))?;
            let mut out = std::io::BufWriter::new(file);
            watermark_synth::write_csv(kind, args.seed, args.rows, &mut out)
                .and_then(|_| out.flush())
                .said(|| said!(Msg::CtxWriting, path.display()))?;
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            watermark_synth::write_csv(kind, args.seed, args.rows, &mut out)
                .and_then(|_| out.flush())?;
        }
    }
    Ok(())
}
