//! A leak's rows split into any chunks, each read into a tally, and the
//! tallies merged in any order and grouping, give the attribution one
//! observer reading every row in order gives, to the last digit.

use std::sync::OnceLock;

use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use watermark_core::{Attribution, Detector, MasterKey, Recipient, Tally};
use watermark_suite::{attack, Scenario, Table};
use watermark_synth::Kind;

/// Recipients in the scenario; slot 6 is left out of one detector, so that
/// recipients' draws are read both in runs and by offset.
const RECIPIENTS: usize = 16;

fn scenario() -> &'static Scenario {
    static S: OnceLock<Scenario> = OnceLock::new();
    S.get_or_init(|| {
        Scenario::suggested(Kind::ElectoralRoll, 700, RECIPIENTS, 21, None, Some(0.03))
    })
}

fn detector(s: &Scenario, gap: bool) -> Detector {
    Detector::builder()
        .key(&s.key)
        .policy(&s.policy)
        .recipients(s.recipients.iter().filter(|r| !gap || r.slot != 6).cloned())
        .canaries(s.canaries.iter())
        .comparisons(RECIPIENTS as u64)
        .build()
        .unwrap()
}

/// A leak mixing two copies cell by cell, then rows of a third copy that
/// repeat earlier people (most positions read again with the same bit,
/// some with another), then exact repeats of earlier rows; canary rows
/// among them.
fn leak(s: &Scenario) -> &'static Table {
    static L: OnceLock<Table> = OnceLock::new();
    L.get_or_init(|| {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let rows: Vec<usize> = (0..s.rows()).collect();
        let pair: Vec<Table> = [3, 11].iter().map(|&r| s.extract_rows(r, &rows)).collect();
        let mut leak = attack::merge(&pair, attack::Merge::CellMix, &mut rng);
        leak.rows.truncate(400);
        // Canary rows of copy 3 (the rows whose identity the extract
        // lacks), as they stand in it.
        let id = s
            .header
            .iter()
            .position(|h| *h == s.policy.identity[0])
            .unwrap();
        let real: std::collections::HashSet<&str> =
            s.master().rows.iter().map(|r| r[id].as_str()).collect();
        let copy = s.copy(3);
        leak.rows.extend(
            copy.rows
                .iter()
                .filter(|r| !real.contains(r[id].as_str()))
                .take(8)
                .cloned(),
        );
        let again: Vec<usize> = (0..120).map(|_| rng.gen_range(0..400)).collect();
        leak.rows.extend(s.extract_rows(8, &again).rows);
        let exact: Vec<Vec<String>> = (0..60)
            .map(|_| leak.rows[rng.gen_range(0..leak.rows.len())].clone())
            .collect();
        leak.rows.extend(exact);
        leak
    })
}

fn sequential(det: &Detector, leak: &Table) -> Attribution {
    let mut observer = det.bind(&leak.header).unwrap();
    for (i, row) in leak.rows.iter().enumerate() {
        observer.observe(i as u64 + 1, |c| row[c].as_str()).unwrap();
    }
    observer.finish()
}

/// The tally of the rows `rows` (0-based indices into the leak).
fn tally_of(det: &Detector, leak: &Table, rows: &[usize]) -> Tally {
    let mut observer = det.bind(&leak.header).unwrap();
    for &i in rows {
        let row = &leak.rows[i];
        observer.observe(i as u64 + 1, |c| row[c].as_str()).unwrap();
    }
    observer.take()
}

#[test]
fn the_leak_has_repeats_conflicts_canaries_and_an_accused() {
    let s = scenario();
    let a = sequential(&detector(s, false), leak(s));
    assert!(a.repeated_positions > 100, "{}", a.repeated_positions);
    assert!(a.conflicting_positions > 0);
    assert!(a.canaries_found > 0);
    assert!(a.mixture_rows > 0 && a.mixture_rows < a.rows_used);
    let mut accused = Scenario::accused(&a);
    accused.sort_unstable();
    assert_eq!(accused, ["r03", "r11"]);
    assert!(a.accused.iter().all(|r| !r.evidence.is_empty()));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn tallies_merge_in_any_order_and_grouping(
        seed in any::<u64>(),
        chunks in 1usize..7,
        gap in any::<bool>(),
    ) {
        let s = scenario();
        let leak = leak(s);
        let det = detector(s, gap);
        let want = sequential(&det, leak);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // Each row to a random chunk: chunks interleave, and a repeat and
        // the row it repeats usually land in different chunks. Each chunk
        // reads its rows in a random order.
        let mut parts: Vec<Vec<usize>> = vec![Vec::new(); chunks];
        for i in 0..leak.rows.len() {
            parts[rng.gen_range(0..chunks)].push(i);
        }
        let mut pool: Vec<Tally> = parts
            .iter_mut()
            .map(|rows| {
                rows.shuffle(&mut rng);
                let t = tally_of(&det, leak, rows);
                if rng.gen_bool(0.5) {
                    // Travels as JSON.
                    serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap()
                } else {
                    t
                }
            })
            .collect();
        // Merged in a random grouping: two at random, until one is left.
        while pool.len() > 1 {
            let a = pool.swap_remove(rng.gen_range(0..pool.len()));
            let mut b = pool.swap_remove(rng.gen_range(0..pool.len()));
            b.merge(a).unwrap();
            pool.push(b);
        }
        let total = pool.pop().unwrap();
        prop_assert_eq!(total.rows_read(), leak.rows.len() as u64);
        let got = det.finish(total).unwrap();
        prop_assert_eq!(got, want);
    }
}

#[test]
fn tallies_of_other_detectors_are_not_merged() {
    let s = scenario();
    let leak = leak(s);
    let rows: Vec<usize> = (0..leak.rows.len()).collect();
    let (first, second) = rows.split_at(300);
    let det = detector(s, false);
    let mine = || tally_of(&det, leak, first);
    let other_key = MasterKey::from_bytes([9; 32]);
    let others = [
        // Another key.
        Detector::builder()
            .key(&other_key)
            .policy(&s.policy)
            .recipients(s.recipients.iter().cloned())
            .build()
            .unwrap(),
        // Another policy: the carriers' flip rate changed.
        {
            let mut policy = s.policy.clone();
            policy.code.flip_rate /= 2.0;
            Detector::builder()
                .key(&s.key)
                .policy(&policy)
                .recipients(s.recipients.iter().cloned())
                .build()
                .unwrap()
        },
        // Other recipients, and the same ones under other names.
        detector(s, true),
        Detector::builder()
            .key(&s.key)
            .policy(&s.policy)
            .recipients(
                s.recipients
                    .iter()
                    .map(|r| Recipient::new(format!("x{}", r.id), r.slot).unwrap()),
            )
            .canaries(s.canaries.iter())
            .build()
            .unwrap(),
        // No canary list.
        Detector::builder()
            .key(&s.key)
            .policy(&s.policy)
            .recipients(s.recipients.iter().cloned())
            .build()
            .unwrap(),
    ];
    for other in &others {
        let theirs = tally_of(other, leak, second);
        let mut t = mine();
        let e = t.merge(theirs.clone()).unwrap_err();
        assert!(e.to_string().contains("different detectors"), "{e}");
        // Refused either way round, and at the finish.
        let mut t2 = theirs;
        assert!(t2.merge(mine()).is_err());
        let e = other.finish(mine()).unwrap_err();
        assert!(e.to_string().contains("another detector"), "{e}");
    }
    // The same detector, a header without a carrier column.
    let carrier = s.policy.carriers[0].column.as_str();
    let narrow = attack::project(
        leak,
        &leak
            .header
            .iter()
            .map(String::as_str)
            .filter(|h| *h != carrier)
            .collect::<Vec<_>>(),
    );
    let theirs = tally_of(&det, &narrow, second);
    let e = mine().merge(theirs).unwrap_err();
    assert!(e.to_string().contains("carrier columns"), "{e}");
    // A row read into two tallies.
    let e = mine()
        .merge(tally_of(&det, leak, &rows[299..]))
        .unwrap_err();
    assert!(e.to_string().contains("row 300"), "{e}");
    // Refusals leave the tally as it was.
    let mut t = mine();
    let _ = t.merge(tally_of(&others[0], leak, second));
    t.merge(tally_of(&det, leak, second)).unwrap();
    assert_eq!(det.finish(t).unwrap(), sequential(&det, leak));
}

#[test]
fn a_tally_holds_no_cell_value() {
    let s = scenario();
    let leak = leak(s);
    let det = detector(s, false);
    let rows: Vec<usize> = (0..leak.rows.len()).collect();
    let json = serde_json::to_string(&tally_of(&det, leak, &rows)).unwrap();
    let canaries = s.canaries.as_ref().unwrap();
    let values = leak
        .rows
        .iter()
        .flatten()
        .chain(canaries.rows().flatten())
        .filter(|v| v.len() >= 6);
    for v in values {
        assert!(!json.contains(v.as_str()), "{v}");
    }
    assert!(!json.contains(&s.key.id().to_hex()));
}
