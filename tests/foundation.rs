//! Acceptance tests of the foundation: issue copies of a 100,000-row roll to
//! ten recipients and attribute small, doctored leaks; the bound is honest.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use watermark_suite::{attack, Scenario, Table};
use watermark_synth::Kind;

const ADDRESS: [&str; 4] = ["CALLE", "NUM_EXT", "NUM_INT", "COLONIA"];

fn roll() -> &'static Scenario {
    static ROLL: std::sync::OnceLock<Scenario> = std::sync::OnceLock::new();
    ROLL.get_or_init(|| Scenario::synthetic(Kind::ElectoralRoll, 100_000, 10, 7, None))
}

fn assert_names(s: &Scenario, leak_csv: &[u8], r: usize, what: &str) {
    let a = s.verify(leak_csv);
    let accused = Scenario::accused(&a);
    assert_eq!(accused, [s.recipients[r].id.as_str()], "{what}: {a:#?}");
    assert!(a.accused[0].false_accusation_bound <= 1e-9, "{what}");
}

#[test]
fn suggested_policy_marks_the_address_columns_and_keys_on_curp() {
    let s = roll();
    assert_eq!(s.policy.identity, ["CURP"]);
    let carriers = s.carrier_columns();
    for c in ADDRESS {
        assert!(carriers.contains(&c), "{c} not in {carriers:?}");
    }
}

#[test]
fn every_fifty_row_sample_names_exactly_its_recipient() {
    let s = roll();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for trial in 0..100 {
        let r = trial % 10;
        let leak = s.leak(r, 50, &mut rng);
        assert_names(s, &leak.to_csv(), r, &format!("trial {trial}"));
    }
}

#[test]
fn unmarked_rows_accuse_no_one() {
    let s = roll();
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let leak = s.unmarked(2000, &mut rng);
    let a = s.verify_table(&leak);
    // Columns the unmarked extract writes in one spelling throughout read
    // like a normalised leak and are left out; the rest are still scored.
    assert!(a.positions_read > 2000, "{}", a.positions_read);
    assert!(a.accused.is_empty(), "{:#?}", a.accused);
}

#[test]
fn spreadsheet_resave_keeps_the_attribution() {
    let s = roll();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for r in [0, 4, 9] {
        let leak = s.leak(r, 200, &mut rng);
        let bytes = attack::spreadsheet_resave(&leak, r == 4);
        assert!(bytes.windows(2).any(|w| w == b"\r\n"));
        assert_names(s, &bytes, r, "re-saved");
    }
}

#[test]
fn swapping_thirty_percent_of_address_cells_keeps_the_attribution() {
    let s = roll();
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    for r in [1, 5, 8] {
        let leak = s.leak(r, 300, &mut rng);
        let swapped = attack::swap_cells(&leak, &ADDRESS, 0.3, &mut rng);
        assert_names(s, &swapped.to_csv(), r, "swapped");
    }
}

#[test]
fn projection_to_curp_and_address_keeps_the_attribution() {
    let s = roll();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for r in [2, 6] {
        let leak = s.leak(r, 100, &mut rng);
        let projected = attack::project(&leak, &["COLONIA", "CURP", "NUM_INT", "CALLE", "NUM_EXT"]);
        assert_names(s, &projected.to_csv(), r, "projected");
    }
}

#[test]
fn repeating_rows_adds_no_evidence() {
    let s = roll();
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let leak = s.leak(3, 30, &mut rng);
    let once = s.verify_table(&leak);
    let tenfold = s.verify_table(&attack::duplicate(&leak, 10, &mut rng));
    assert_eq!(once.positions_read, tenfold.positions_read);
    assert_eq!(tenfold.repeated_positions, 9 * once.positions_read);
    for (a, b) in once.recipients.iter().zip(&tenfold.recipients) {
        assert_eq!(a.recipient, b.recipient);
        // Equal up to the rounding of summing in another order.
        assert!((a.score - b.score).abs() < 1e-9);
        let (x, y) = (a.false_accusation_bound, b.false_accusation_bound);
        assert!((x - y).abs() <= 1e-9 * x.max(y), "{x} vs {y}");
    }
}

/// The printed bound is a valid p-value: over many (leak, innocent
/// recipient) pairs, the share whose per-recipient bound is at most β stays
/// at most β. An anti-conservative bound (say, one that counted repeated or
/// correlated positions, or had a wrong variance) fails this.
#[test]
fn bound_is_honest_for_innocent_recipients() {
    let mut master = Vec::new();
    watermark_synth::write_csv(Kind::ElectoralRoll, 11, 20_000, &mut master).unwrap();
    let policy = watermark_formats::suggest_from_csv(&master[..], 10_000, None, None)
        .unwrap()
        .policy;
    let recipients = 60;
    let s = Scenario::new(master, policy, recipients, 11);
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let factor = (recipients * 2) as f64;
    let betas = [0.2, 0.05, 0.01];
    let mut below = [0usize; 3];
    let mut pairs = 0usize;
    for trial in 0..150 {
        // Small, doctored leaks keep the innocent bounds away from 1, where
        // a miscalibration would show.
        let leaker = trial % recipients;
        let leak = s.leak(leaker, 8 + trial % 12, &mut rng);
        let leak = attack::alter_cells(&leak, &ADDRESS, 0.2, &mut rng);
        let a = s.verify_table(&leak);
        for r in a.recipients.iter().filter(|r| r.slot as usize != leaker) {
            pairs += 1;
            let p = r.false_accusation_bound / factor;
            for (k, &beta) in betas.iter().enumerate() {
                if r.false_accusation_bound < 1.0 && p <= beta {
                    below[k] += 1;
                }
            }
            assert!(
                !r.accused,
                "innocent {} accused in trial {trial}",
                r.recipient
            );
        }
    }
    for (k, &beta) in betas.iter().enumerate() {
        let expected = beta * pairs as f64;
        let slack = 3.0 * expected.sqrt();
        assert!(
            below[k] as f64 <= expected + slack,
            "β = {beta}: {} of {pairs} innocent pairs had bound ≤ β (expected at most {expected:.0})",
            below[k]
        );
    }
}

#[test]
fn pensioner_leak_of_nss_and_amount_names_its_recipient() {
    let identity = vec!["NSS".to_string()];
    let s = Scenario::synthetic(Kind::Pensioners, 20_000, 10, 21, Some(&identity));
    assert!(s
        .policy
        .carriers
        .iter()
        .any(|c| c.column == "MONTO_MENSUAL" && c.kind == watermark_core::CarrierKind::Numeric));
    let mut rng = ChaCha8Rng::seed_from_u64(22);
    for r in [0, 3, 7] {
        let leak = attack::project(&s.leak(r, 100, &mut rng), &["NSS", "MONTO_MENSUAL"]);
        assert_names(&s, &leak.to_csv(), r, "NSS + amount");
    }
    // No amount moves by more than one centavo in any copy.
    let master = Table::from_csv(&s.master_csv);
    let col = master.column("MONTO_MENSUAL").unwrap();
    let all: Vec<usize> = (0..s.rows()).collect();
    for r in 0..10 {
        let copy = s.copy_rows(r, &all);
        for (m, c) in master.rows.iter().zip(&copy.rows) {
            let (a, b): (f64, f64) = (m[col].parse().unwrap(), c[col].parse().unwrap());
            assert!((a - b).abs() <= 0.010_000_1, "{} -> {}", m[col], c[col]);
            for (i, (x, y)) in m.iter().zip(c).enumerate() {
                if i != col {
                    assert_eq!(x, y, "only the amount may change");
                }
            }
        }
    }
}
