//! `watermark init`

use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;
use watermark_core::State;

use crate::output::Printer;

#[derive(Debug, Serialize)]
struct Created<'a> {
    state: &'a Path,
    key_id: String,
}

pub fn run(dir: &Path, printer: Printer) -> anyhow::Result<()> {
    let state = State::init(dir).with_context(|| format!("initialising {}", dir.display()))?;
    let key_id = state.master_key()?.id().to_hex();
    printer.text(&format!(
        "Created state {}\n  master key {key_id} in master.key (mode 0600)\n  empty issuance record in issuance.jsonl\n\
         Keep this directory private and backed up: without its key no copy can be attributed.\n",
        dir.display()
    ))?;
    printer.json(&Created { state: dir, key_id })?;
    Ok(())
}
