//! Property tests: for any subset, order and column projection of a copy
//! that keeps the identity and enough marked positions, its recipient is
//! named; nobody innocent is ever accused.

use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use watermark_suite::{Scenario, Table};
use watermark_synth::Kind;

fn roll() -> &'static Scenario {
    static ROLL: std::sync::OnceLock<Scenario> = std::sync::OnceLock::new();
    ROLL.get_or_init(|| Scenario::synthetic(Kind::ElectoralRoll, 20_000, 8, 41, None))
}

/// Enough distinct positions for the default threshold on a clean leak: the
/// single-leaker score needs about 60; this leaves a wide margin.
const ENOUGH: u64 = 120;

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn any_subset_order_and_projection_names_the_recipient(
        recipient in 0usize..8,
        rows in 1usize..400,
        keep in proptest::collection::vec(any::<bool>(), 15),
        seed in any::<u64>(),
    ) {
        let s = roll();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let leak = s.leak(recipient, rows, &mut rng);
        // Keep the identity, and any other columns, in a random order.
        let mut cols: Vec<&str> = leak
            .header
            .iter()
            .zip(&keep)
            .filter(|(h, &k)| k || *h == "CURP")
            .map(|(h, _)| h.as_str())
            .collect();
        cols.shuffle(&mut rng);
        let leak: Table = watermark_suite::attack::project(&leak, &cols);
        let a = s.verify_table(&leak);
        let accused = Scenario::accused(&a);
        let me = s.recipients[recipient].id.as_str();
        prop_assert!(accused.iter().all(|r| *r == me), "innocent accused: {accused:?}");
        if a.positions_read >= ENOUGH {
            prop_assert_eq!(accused, vec![me], "{} positions", a.positions_read);
        }
    }
}
