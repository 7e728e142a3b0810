//! `watermark init`

use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;
use watermark_app::State;

use crate::output::Printer;

#[derive(Debug, Serialize)]
struct Created<'a> {
    state: &'a Path,
    key_id: String,
    log_origin: String,
    log_public_key: String,
}

pub fn run(dir: &Path, log_origin: Option<&str>, printer: Printer) -> anyhow::Result<()> {
    let state = State::init_with_log_origin(dir, log_origin)
        .with_context(|| format!("initialising {}", dir.display()))?;
    let key_id = state.master_key()?.id().to_hex();
    let verifier = state.log_verifier()?;
    printer.text(&format!(
        "Created state {}\n  master key {key_id} in master.key (mode 0600)\n  \
         issuance log {} in log/, signed with log/signing.key (mode 0600)\n  \
         log public key, for auditors: {}\n\
         Keep this directory private and backed up: without its key no copy can be attributed.\n",
        dir.display(),
        verifier.name(),
        verifier.to_vkey()
    ))?;
    printer.json(&Created {
        state: dir,
        key_id,
        log_origin: verifier.name().to_owned(),
        log_public_key: verifier.to_vkey(),
    })?;
    Ok(())
}
