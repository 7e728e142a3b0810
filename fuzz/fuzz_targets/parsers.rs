//! Policies, key files, signed notes and checkpoints from untrusted text:
//! parsed or refused, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use watermark_core::tlog::{Checkpoint, Verifier};
use watermark_core::{MasterKey, Policy};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Policy::from_toml(text);
    let _ = MasterKey::from_text(text);
    let _ = Checkpoint::parse(text);
    let _ = text.parse::<Verifier>();
    let verifier: Verifier = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        .parse()
        .unwrap();
    let _ = verifier.verify(data);
});
