//! Acceptance tests of robustness: coalitions, single-leaker attacks, and
//! the reduced evaluation. The full evaluation is
//! `cargo run --release --example eval`.

use rand::seq::index;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use watermark_suite::attack::Merge;
use watermark_suite::eval::{self, coalition_leak, single_leak, Attack, Config};
use watermark_suite::Scenario;
use watermark_synth::Kind;

fn roll() -> &'static Scenario {
    static ROLL: std::sync::OnceLock<Scenario> = std::sync::OnceLock::new();
    ROLL.get_or_init(|| Scenario::synthetic(Kind::ElectoralRoll, 100_000, 10, 31, None))
}

/// Coalitions of 2 and of 3, each merging strategy, 1,000 leaked rows of a
/// 100,000-row roll, 20 trials each: a colluder is named every time and no
/// innocent recipient ever is.
#[test]
fn coalitions_of_two_and_three_are_named_and_no_innocent_is() {
    let s = roll();
    for c in [2, 3] {
        for (mi, how) in Merge::ALL.iter().enumerate() {
            for trial in 0..20u64 {
                let mut rng = ChaCha8Rng::seed_from_u64(1000 * c as u64 + 100 * mi as u64 + trial);
                let colluders: Vec<usize> = index::sample(&mut rng, 10, c).into_vec();
                let leak = coalition_leak(s, &colluders, 1000, *how, &mut rng);
                let a = s.verify_table(&leak);
                let accused: Vec<usize> = a.accused.iter().map(|r| r.slot as usize).collect();
                assert!(
                    accused.iter().any(|r| colluders.contains(r)),
                    "{c} colluders {colluders:?}, {}, trial {trial}: nobody named ({} positions)",
                    how.name(),
                    a.positions_read
                );
                assert!(
                    accused.iter().all(|r| colluders.contains(r)),
                    "{c} colluders {colluders:?}, {}, trial {trial}: innocent accused: {accused:?}",
                    how.name()
                );
            }
        }
    }
}

/// A single leaker is named from 50 rows after a re-save, after 30% of
/// carrier cells are altered, and after a projection to identity plus
/// addresses.
#[test]
fn single_leaker_is_named_from_fifty_rows_after_each_attack() {
    let s = roll();
    for (k, attack) in [
        Attack::Resave,
        Attack::Alter(0.3),
        Attack::IdentityAndCarriers,
    ]
    .iter()
    .enumerate()
    {
        for trial in 0..20u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(77 + 1000 * k as u64 + trial);
            let r = (trial % 10) as usize;
            let a = s.verify(&single_leak(s, r, 50, attack, &mut rng));
            let accused: Vec<&str> = Scenario::accused(&a);
            assert_eq!(
                accused,
                [s.recipients[r].id.as_str()],
                "{attack:?}, trial {trial}"
            );
        }
    }
}

/// The evaluation at reduced size: every attack runs, nobody innocent is
/// accused in any trial, and the Markdown report says what was run.
#[test]
fn reduced_evaluation_accuses_no_innocent() {
    let mut cfg = Config::quick();
    cfg.trials = 3;
    for j in &mut cfg.job_tables {
        j.trials = 3;
    }
    let report = eval::run(&cfg, &mut |_| {});
    assert_eq!(report.innocent_accusations(), 0, "{}", report.to_text());
    assert!(report.trials() > 200);
    // Plain leaks are named at the larger sizes.
    assert_eq!(report.rows_for_95("random rows, shuffled", 1), Some(20));
    let md = report.to_markdown();
    assert!(md.contains("N = 10 recipients") && md.contains("Rows needed"));
    assert!(md.contains("| coalition: majority vote | 3 |"));
    // The job-portal tables: random rows and the columns a fraudster
    // keeps (matched with the master) name the leaker within the sizes
    // tried, and each table says what it ran.
    assert_eq!(report.job_tables.len(), 2);
    for j in &report.job_tables {
        let (columns, _) = eval::fraudster_columns(j.config.kind);
        for attack in [
            "random rows, shuffled".to_string(),
            format!("{columns} only, matched with the master"),
        ] {
            assert!(
                j.rows_for_95(&attack, 1).is_some(),
                "{}: {attack}\n{}",
                j.title(),
                report.to_text()
            );
        }
        assert!(md.contains(&format!("## {}", j.title())));
        assert!(md.contains(&format!("N = {} recipients", j.config.recipients)));
    }
}
