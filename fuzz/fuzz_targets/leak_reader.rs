//! Any bytes as a leaked file: verification answers or refuses, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use watermark_core::{Detector, MasterKey, Policy, Recipient};
use watermark_formats::verify_csv;

const POLICY: &str = "version = 1\nidentity = [\"CURP\"]\n\
    [[carrier]]\ncolumn = \"CALLE\"\nkind = \"variants\"\n\
    [[carrier]]\ncolumn = \"MONTO\"\nkind = \"numeric\"\ndecimals = 2\n";

fuzz_target!(|data: &[u8]| {
    let key = MasterKey::from_bytes([1; 32]);
    let policy = Policy::from_toml(POLICY).unwrap();
    let recipients = (0..40).map(|i| Recipient::new(format!("r{i}"), i).unwrap());
    let detector = Detector::builder()
        .key(&key)
        .policy(&policy)
        .recipients(recipients)
        .build()
        .unwrap();
    if let Ok(a) = verify_csv(&detector, data, &mut |_| {}) {
        assert!(a
            .recipients
            .iter()
            .all(|r| (0.0..=1.0).contains(&r.false_accusation_bound)));
        assert!(a.positions_read <= 64 * a.rows_read.max(1));
    }
});
