//! `watermark init`

use std::path::Path;

use serde::Serialize;
use watermark_app::messages::{tr, Msg};
use watermark_app::State;

use crate::output::Printer;
use watermark_text::{said, SaidContext as _};

#[derive(Debug, Serialize)]
struct Created<'a> {
    state: &'a Path,
    key_id: String,
    log_origin: String,
    log_public_key: String,
}

pub fn run(dir: &Path, log_origin: Option<&str>, printer: Printer) -> anyhow::Result<()> {
    let state = State::init_with_log_origin(dir, log_origin)
        .said(|| said!(Msg::CtxInitialising, dir.display()))?;
    let key_id = state.master_key()?.id().to_hex();
    let verifier = state.log_verifier()?;
    let lang = crate::output::lang();
    let t = |m: Msg, arg: &dyn std::fmt::Display| tr(lang, m, &[arg]);
    printer.text(&format!(
        "{}\n  {}\n  {}\n  {}\n{}\n",
        t(Msg::InitCreated, &dir.display()),
        t(Msg::InitMasterKey, &key_id),
        t(Msg::InitLog, &verifier.name()),
        t(Msg::InitPubkey, &verifier.to_vkey()),
        tr(lang, Msg::InitKeep, &[])
    ))?;
    printer.json(&Created {
        state: dir,
        key_id,
        log_origin: verifier.name().to_owned(),
        log_public_key: verifier.to_vkey(),
    })?;
    Ok(())
}
