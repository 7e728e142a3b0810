//! Policies, key files, signed notes, checkpoints, log entries and receipts
//! from untrusted text: parsed or refused, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use watermark_log::tlog::{Checkpoint, Verifier};
use watermark_core::{MasterKey, Policy};
use watermark_log::{Entry, Receipt};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Policy::from_toml(text);
    let _ = MasterKey::from_text(text);
    let _ = Checkpoint::parse(text);
    let _ = Entry::from_canonical(text);
    if let Ok(receipt) = Receipt::from_json(text) {
        let verifier: Verifier = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
            .parse()
            .unwrap();
        let _ = receipt.verify(&verifier);
    }
    let _ = text.parse::<Verifier>();
    let verifier: Verifier = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        .parse()
        .unwrap();
    let _ = verifier.verify(data);
});
