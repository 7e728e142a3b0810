//! Verification spreads rows over threads; the attribution must not depend on
//! how many, nor on whether the recipients' slots are consecutive.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use watermark_core::{Attribution, Detector, Recipient};
use watermark_formats::{verify_csv_with, VerifyOptions};
use watermark_suite::{attack, Scenario, Table};
use watermark_synth::Kind;

fn verify(detector: &Detector, leak: &[u8], threads: usize) -> Attribution {
    verify_csv_with(detector, leak, VerifyOptions { threads }, &mut |_| {}).unwrap()
}

/// A leak of several thousand rows mixing three copies, with repeated rows
/// (some read again with another bit): it spans many batches of rows, and
/// counting each position once crosses batch boundaries.
fn mixed_leak(s: &Scenario) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let copies: Vec<Table> = [3, 17, 29].iter().map(|&r| s.copy(r)).collect();
    let mixed = attack::merge(&copies, attack::Merge::CellMix, &mut rng);
    let mut rows = attack::sample(&mixed, 6000, &mut rng);
    let again = attack::sample(&s.copy(17), 3000, &mut rng);
    rows.rows.extend(again.rows);
    rows.to_csv()
}

#[test]
fn attribution_is_the_same_whatever_the_threads() {
    let s = Scenario::synthetic(Kind::ElectoralRoll, 8000, 40, 5, None);
    let leak = mixed_leak(&s);
    let detector = Detector::builder()
        .key(&s.key)
        .policy(&s.policy)
        .recipients(s.recipients.iter().cloned())
        .build()
        .unwrap();
    let one = verify(&detector, &leak, 1);
    assert!(one.repeated_positions > 1000, "{}", one.repeated_positions);
    assert!(one.conflicting_positions > 0);
    for threads in [2, 3, 5] {
        assert_eq!(verify(&detector, &leak, threads), one, "{threads} threads");
    }
    let mut accused = Scenario::accused(&one);
    accused.sort_unstable();
    assert_eq!(accused, ["r03", "r17", "r29"]);
}

#[test]
fn scores_do_not_depend_on_which_other_recipients_are_scored() {
    // Slots 0..40 are read in runs straight from the stream; with slot 20
    // left out, through each recipient's offset. Every other recipient's
    // scores must be the same, digit for digit.
    let s = Scenario::synthetic(Kind::ElectoralRoll, 8000, 40, 5, None);
    let leak = mixed_leak(&s);
    let detector = |keep: &dyn Fn(&Recipient) -> bool| {
        Detector::builder()
            .key(&s.key)
            .policy(&s.policy)
            .recipients(s.recipients.iter().filter(|r| keep(r)).cloned())
            .comparisons(40)
            .build()
            .unwrap()
    };
    let all = verify(&detector(&|_| true), &leak, 2);
    let gap = verify(&detector(&|r| r.slot != 20), &leak, 2);
    assert_eq!(gap.recipients.len(), 39);
    for r in &gap.recipients {
        let same = all
            .recipients
            .iter()
            .find(|a| a.recipient == r.recipient)
            .unwrap();
        assert_eq!(
            (r.score, r.single_leaker_score, r.matching_positions),
            (
                same.score,
                same.single_leaker_score,
                same.matching_positions
            ),
            "{}",
            r.recipient
        );
    }
}
