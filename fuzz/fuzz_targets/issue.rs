//! Any bytes as an extract: issuance writes copies or refuses, never panics,
//! and a copy keeps every non-carrier field.
#![no_main]

use libfuzzer_sys::fuzz_target;
use watermark_core::{Embedder, MasterKey, Policy, Recipient};
use watermark_formats::issue_csv;

const POLICY: &str = "version = 1\nidentity = [\"CURP\"]\n\
    [[carrier]]\ncolumn = \"CALLE\"\nkind = \"variants\"\n\
    [[carrier]]\ncolumn = \"MONTO\"\nkind = \"numeric\"\ndecimals = 2\n";

fuzz_target!(|data: &[u8]| {
    let key = MasterKey::from_bytes([2; 32]);
    let policy = Policy::from_toml(POLICY).unwrap();
    let embedder = Embedder::builder()
        .key(&key)
        .policy(&policy)
        .recipients((0..2).map(|i| Recipient::new(format!("r{i}"), i).unwrap()))
        .build()
        .unwrap();
    let _ = issue_csv(&embedder, data, vec![Vec::new(), Vec::new()], &mut |_| {});
});
