//! Acceptance tests against a leaker who has read the README and the code,
//! but not the key (issue "Attribution against a leaker who has read the
//! README"). One 150,000-row electoral roll issued to ten recipients under
//! the policy `watermark policy suggest` gives (canaries included), and one
//! pensioner roll issued with `--identity NSS`. Each test is one of the
//! issue's attacks: the leaker (a colluder, for coalitions) must be accused
//! and nobody else; the last test checks the printed bound over many small
//! doctored leaks of every kind.

use std::sync::OnceLock;

use rand::seq::index;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use watermark_core::{Attribution, DEFAULT_CANARY_RATE};
use watermark_suite::attack::{self, Merge};
use watermark_suite::eval::{coalition_leak, Calibration};
use watermark_suite::{Scenario, Table};
use watermark_synth::Kind;

const RECIPIENTS: usize = 10;
/// The columns a canary copies from the row it follows, as a leaker would
/// compare them.
const ADDRESS: [&str; 5] = ["CALLE", "NUM_EXT", "NUM_INT", "COLONIA", "CODIGO_POSTAL"];

fn roll() -> &'static Scenario {
    static ROLL: OnceLock<Scenario> = OnceLock::new();
    ROLL.get_or_init(|| {
        let s = Scenario::suggested(
            Kind::ElectoralRoll,
            150_000,
            RECIPIENTS,
            41,
            None,
            Some(DEFAULT_CANARY_RATE),
        );
        assert_eq!(s.policy.identity, ["CURP"]);
        assert!(s.canaries.is_some(), "the suggested policy has canaries");
        s
    })
}

fn pensioners() -> &'static Scenario {
    static ROLL: OnceLock<Scenario> = OnceLock::new();
    ROLL.get_or_init(|| {
        let identity = vec!["NSS".to_string()];
        let s = Scenario::suggested(
            Kind::Pensioners,
            50_000,
            RECIPIENTS,
            43,
            Some(&identity),
            Some(DEFAULT_CANARY_RATE),
        );
        assert_eq!(s.policy.identity, ["NSS"]);
        assert!(
            s.policy
                .carriers
                .iter()
                .any(|c| c.column == "MONTO_MENSUAL"),
            "the amount is a carrier"
        );
        s
    })
}

/// The pensioner roll under the policy `policy suggest` gives without
/// `--identity` (CURP): a leak of NSS and amount is attributed only by
/// `verify --master`, which matches it to the extract on the NSS.
fn pensioners_by_curp() -> &'static Scenario {
    static ROLL: OnceLock<Scenario> = OnceLock::new();
    ROLL.get_or_init(|| {
        let s = Scenario::suggested(
            Kind::Pensioners,
            50_000,
            RECIPIENTS,
            44,
            None,
            Some(DEFAULT_CANARY_RATE),
        );
        assert_eq!(s.policy.identity, ["CURP"]);
        s
    })
}

/// One line on an attribution: who was accused, the best leaker's and the
/// best innocent's bound, what was read. Ids and counts only: no key, no
/// value of the data.
fn summary(a: &Attribution, leakers: &[usize]) -> String {
    let accused: Vec<&str> = Scenario::accused(a);
    let best = |leaker: bool| {
        a.recipients
            .iter()
            .filter(|r| leakers.contains(&(r.slot as usize)) == leaker)
            .map(|r| format!("{} 10^{:.1}", r.recipient, r.false_accusation_bound_log10))
            .next()
            .unwrap_or_default()
    };
    format!(
        "accused {accused:?}; best leaker {}; best innocent {}; {} rows read, {} positions, \
         {} canaries found, normalised {:?}",
        best(true),
        best(false),
        a.rows_read,
        a.positions_read,
        a.canaries_found,
        a.columns_normalised
    )
}

/// The attribution's verdict, for the test log (`--nocapture`).
#[allow(clippy::print_stderr)]
fn note(what: &str, a: &Attribution, leakers: &[usize]) {
    eprintln!("{what}: {}", summary(a, leakers));
}

/// Nobody outside `leakers` is accused.
fn assert_no_innocent(a: &Attribution, leakers: &[usize], what: &str) {
    assert!(
        a.accused
            .iter()
            .all(|r| leakers.contains(&(r.slot as usize))),
        "{what}: innocent accused: {}",
        summary(a, leakers)
    );
}

/// Exactly recipient `r` is accused, or what went wrong.
fn names(s: &Scenario, a: &Attribution, r: usize, what: &str) -> Result<(), String> {
    note(what, a, &[r]);
    if Scenario::accused(a) == [s.recipients[r].id.as_str()] {
        Ok(())
    } else {
        Err(format!("{what}: {}", summary(a, &[r])))
    }
}

/// Exactly recipient `r` is accused.
fn assert_names(s: &Scenario, a: &Attribution, r: usize, what: &str) {
    assert_no_innocent(a, &[r], what);
    if let Err(e) = names(s, a, r, what) {
        panic!("{e}");
    }
}

/// Item 1: 200 rows whose CURP has a leading apostrophe, or spaces or dashes
/// inside, name the leaker as the clean rows do.
#[test]
fn formatted_identities_name_the_leaker() {
    let s = roll();
    let mut rng = ChaCha8Rng::seed_from_u64(101);
    for r in [0, 4, 9] {
        let leak = s.leak(r, 200, &mut rng);
        assert_names(s, &s.verify_table(&leak), r, "clean 200 rows");
        let formatted = attack::format_identity(&leak, "CURP", &mut rng);
        assert!(formatted
            .rows
            .iter()
            .any(|row| row[1].starts_with('\'') || row[1].contains('-')));
        let a = s.verify_table(&formatted);
        assert_names(s, &a, r, "200 rows, CURP formatted");
    }
}

/// Item 2: 5,000 rows with every dictionary token re-spelled at random name
/// the leaker.
#[test]
fn random_respelling_names_the_leaker() {
    let s = roll();
    let mut rng = ChaCha8Rng::seed_from_u64(102);
    for r in [1, 6] {
        let leak = s.leak(r, 5_000, &mut rng);
        let respelled = attack::respell_randomly(&leak, &s.carrier_columns(), &mut rng);
        assert_ne!(leak, respelled);
        let a = s.verify_table(&respelled);
        assert_names(s, &a, r, "5,000 rows re-spelled at random");
    }
}

/// Item 3: a whole copy with every row whose address equals the previous
/// row's dropped, and every token expanded, names the leaker.
#[test]
fn whole_copy_without_repeated_addresses_expanded_names_the_leaker() {
    let s = roll();
    let r = 3;
    let copy = s.copy(r);
    let kept = attack::drop_adjacent_duplicate_addresses(&copy, &ADDRESS);
    // Canaries no longer copy the row they follow: the rule removes (almost)
    // nothing, canaries included.
    assert!(kept.rows.len() <= copy.rows.len() && kept.rows.len() > s.rows() * 9 / 10);
    let expanded = attack::normalise_abbreviations(&kept, &s.carrier_columns(), true);
    drop((copy, kept));
    let a = s.verify_table(&expanded);
    assert_names(s, &a, r, "whole copy, repeated addresses dropped, expanded");
}

/// Item 4: 100 pensioner rows (NSS and amount only) with one centavo added
/// to every amount name the leaker: issued with `--identity NSS`, read as
/// `verify` and as `verify --master` read them; and issued with the CURP
/// identity, read by `verify --master` (matched to the extract on NSS).
#[test]
fn amounts_shifted_by_one_centavo_name_the_leaker() {
    // Every part runs before the verdict, so a failure says which fail.
    let mut failed = Vec::new();
    let s = pensioners();
    let mut rng = ChaCha8Rng::seed_from_u64(104);
    for r in [0, 5, 8] {
        let leak = attack::project(&s.leak(r, 100, &mut rng), &["NSS", "MONTO_MENSUAL"]);
        let shifted = attack::shift_amounts(&leak, &["MONTO_MENSUAL"]);
        assert!(leak
            .rows
            .iter()
            .zip(&shifted.rows)
            .all(|(a, b)| a[1] != b[1]));
        let a = s.verify_table(&shifted);
        assert_no_innocent(&a, &[r], "+1 centavo");
        failed.extend(names(s, &a, r, "100 pensioner rows, +1 centavo").err());
        let (a, _) = s.verify_with_master(&shifted.to_csv());
        assert_no_innocent(&a, &[r], "+1 centavo, --master");
        failed.extend(names(s, &a, r, "100 pensioner rows, +1 centavo, --master").err());
    }
    let s = pensioners_by_curp();
    for r in [1, 6] {
        let leak = attack::project(&s.leak(r, 100, &mut rng), &["NSS", "MONTO_MENSUAL"]);
        let shifted = attack::shift_amounts(&leak, &["MONTO_MENSUAL"]);
        let (a, found) = s.verify_with_master(&shifted.to_csv());
        assert!(found.used, "the leak has no CURP: the extract is read");
        let what = format!(
            "100 pensioner rows (CURP policy), +1 centavo, --master ({} rows matched)",
            found.rows_matched
        );
        assert_no_innocent(&a, &[r], &what);
        failed.extend(names(s, &a, r, &what).err());
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

/// Item 5: 2,000 rows of which 10% come from one copy and 90% from the
/// unmarked extract name the leaker.
#[test]
fn a_copy_padded_with_nine_times_as_many_unmarked_rows_names_the_leaker() {
    let s = roll();
    let mut rng = ChaCha8Rng::seed_from_u64(105);
    for r in [2, 7] {
        let leak = s.leak(r, 200, &mut rng);
        let padded = attack::pad(&leak, s.master(), 1_800, &mut rng);
        assert_eq!(padded.rows.len(), 2_000);
        let a = s.verify_table(&padded);
        assert_names(s, &a, r, "200 rows of a copy among 1,800 unmarked");
    }
}

/// The leak without the identity columns, for `verify --master`.
fn without_identity(s: &Scenario, leak: &Table) -> Table {
    let cols: Vec<&str> = leak
        .header
        .iter()
        .map(String::as_str)
        .filter(|c| !s.policy.identity.iter().any(|i| i == c))
        .collect();
    attack::project(leak, &cols)
}

/// A coalition of 5 merges 20,000 rows `how`: a colluder must be accused,
/// by `verify` or else by `verify --master` (on the leak without its
/// identity column, which is what makes the master extract be read), and no
/// innocent by either.
fn coalition_of_five_is_caught(how: Merge, seed: u64) {
    let s = roll();
    let mut failed = Vec::new();
    for trial in 0..2u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed + trial);
        let colluders: Vec<usize> = index::sample(&mut rng, RECIPIENTS, 5).into_vec();
        let leak = coalition_leak(s, &colluders, 20_000, how, &mut rng);
        let what = format!("5 colluders {colluders:?}, {}, 20,000 rows", how.name());
        let a = s.verify_table(&leak);
        note(&what, &a, &colluders);
        assert_no_innocent(&a, &colluders, &what);
        if !a.accused.is_empty() {
            continue;
        }
        let (m, found) = s.verify_with_master(&without_identity(s, &leak).to_csv());
        let what = format!(
            "{what}, --master ({} of {} rows matched)",
            found.rows_matched, a.rows_read
        );
        note(&what, &m, &colluders);
        assert_no_innocent(&m, &colluders, &what);
        if m.accused.is_empty() {
            failed.push(format!("{what}: nobody accused"));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

/// Item 6a: coalitions of 5 taking the least common spelling wherever their
/// copies differ are caught from 20,000 rows.
#[test]
fn coalition_of_five_taking_the_minority_spelling_is_caught() {
    coalition_of_five_is_caught(Merge::Minority, 106);
}

/// Item 6b: coalitions of 5 taking the minority spelling, and deleting every
/// dictionary token their copies agree on, are caught from 20,000 rows.
#[test]
fn coalition_of_five_deleting_agreed_tokens_is_caught() {
    coalition_of_five_is_caught(Merge::MinorityDeleteAgreed, 206);
}

/// One small doctored leak of kind `k` (of 7): every attack above at a
/// small size. Returns the attribution and who leaked.
fn small_leak(k: usize, rng: &mut ChaCha8Rng) -> (Attribution, Vec<usize>, &'static str) {
    let s = roll();
    let r = rng.gen_range(0..RECIPIENTS);
    let n = rng.gen_range(10..60);
    match k {
        0 => {
            let leak = attack::format_identity(&s.leak(r, n, rng), "CURP", rng);
            (s.verify_table(&leak), vec![r], "identity formatted")
        }
        1 => {
            let leak = attack::respell_randomly(&s.leak(r, 4 * n, rng), &s.carrier_columns(), rng);
            (s.verify_table(&leak), vec![r], "re-spelled at random")
        }
        2 => {
            let start = rng.gen_range(0..s.copy_len(r) - 2 * n);
            let block = s.copy_rows(r, &(start..start + 2 * n).collect::<Vec<_>>());
            let kept = attack::drop_adjacent_duplicate_addresses(&block, &ADDRESS);
            let leak = attack::normalise_abbreviations(&kept, &s.carrier_columns(), true);
            (s.verify_table(&leak), vec![r], "repeated addresses dropped")
        }
        3 => {
            let leak = attack::pad(&s.leak(r, n / 4 + 1, rng), s.master(), 9 * (n / 4 + 1), rng);
            (s.verify_table(&leak), vec![r], "padded")
        }
        4 => {
            let p = pensioners();
            let leak = attack::project(&p.leak(r, n, rng), &["NSS", "MONTO_MENSUAL"]);
            let leak = attack::shift_amounts(&leak, &["MONTO_MENSUAL"]);
            (p.verify_table(&leak), vec![r], "amounts shifted")
        }
        _ => {
            let how = Merge::KNOWLEDGEABLE[k - 5];
            let colluders: Vec<usize> = index::sample(rng, RECIPIENTS, 5).into_vec();
            let leak = coalition_leak(s, &colluders, 2 * n, how, rng);
            (s.verify_table(&leak), colluders, how.name())
        }
    }
}

/// Item 7: over every attack above, no innocent recipient is accused, and
/// over more than 1,000 (leak, innocent recipient) pairs of small doctored
/// leaks the share of innocents whose bound is at most β stays under β
/// (plus three standard errors) for β = 0.5, 0.1, 0.01.
#[test]
fn innocents_are_accused_at_most_at_the_printed_rate() {
    let mut cal = Calibration::new(&[0.5, 0.1, 0.01]);
    let mut rng = ChaCha8Rng::seed_from_u64(107);
    for trial in 0..168 {
        let (a, leakers, what) = small_leak(trial % 7, &mut rng);
        cal.add(&a, &leakers, &format!("trial {trial}, {what}"));
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "{} innocent pairs; reported bound ≤ β: {:?}; per recipient: {:?}",
            cal.pairs, cal.reported, cal.per_recipient
        );
    }
    assert!(cal.pairs >= 1_000, "{} pairs", cal.pairs);
    assert!(
        cal.accused.is_empty(),
        "innocents accused: {:?}",
        cal.accused
    );
    if let Err(e) = cal.check() {
        panic!("{e}");
    }
}
