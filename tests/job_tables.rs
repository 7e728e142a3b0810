//! The job portal's registrations and a staff roster shared with
//! contractors: leaks of the columns a fraudster keeps (names, phones, job
//! titles, contract numbers) name their recipient through the job-title
//! and telephone carriers, matched to the extract with `verify --master`.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use watermark_core::{Attribution, CarrierKind};
use watermark_suite::attack;
use watermark_suite::Scenario;
use watermark_synth::Kind;

fn summary(a: &Attribution) -> String {
    let ranked: Vec<String> = a
        .recipients
        .iter()
        .take(3)
        .map(|r| format!("{} 10^{:.1}", r.recipient, r.false_accusation_bound_log10))
        .collect();
    format!(
        "{}; {} rows read, normalised {:?}",
        ranked.join(", "),
        a.rows_read,
        a.columns_normalised
    )
}

/// Recipient `r`, and only them, is accused (the verdict goes to the test
/// log, `--nocapture`).
#[allow(clippy::print_stderr)]
fn assert_names(s: &Scenario, a: &Attribution, r: usize, what: &str) {
    eprintln!("{what}: {} positions; {}", a.positions_read, summary(a));
    let want = s.recipients[r].id.clone();
    assert_eq!(
        Scenario::accused(a),
        [want.as_str()],
        "{what}: {} positions read; {}",
        a.positions_read,
        summary(a)
    );
}

#[test]
fn job_seekers_name_phone_and_title_name_the_recipient() {
    let s = Scenario::synthetic(Kind::JobSeekers, 200_000, 20, 61, None);
    let kinds: Vec<(&str, CarrierKind)> = s
        .policy
        .carriers
        .iter()
        .map(|c| (c.column.as_str(), c.kind))
        .collect();
    assert!(
        kinds.contains(&("TELEFONO", CarrierKind::Phone)),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("PUESTO_SOLICITADO", CarrierKind::Variants)),
        "{kinds:?}"
    );
    let mut rng = ChaCha8Rng::seed_from_u64(62);
    for r in [0, 7, 19] {
        // 50 rows of name, phone and job title: no CURP, so the rows are
        // matched to the extract on what survived.
        let leak = attack::project(
            &s.leak(r, 50, &mut rng),
            &[
                "NOMBRE",
                "APELLIDO_PATERNO",
                "APELLIDO_MATERNO",
                "TELEFONO",
                "PUESTO_SOLICITADO",
            ],
        );
        let (a, found) = s.verify_with_master(&leak.to_csv());
        assert!(found.used && found.rows_matched >= 45, "{found:?}");
        assert_names(&s, &a, r, "50 rows of name, phone and title");
        // 30 rows with every column.
        let a = s.verify_table(&s.leak(r, 30, &mut rng));
        assert_names(&s, &a, r, "30 rows, every column");
    }
}

#[test]
fn a_roster_leak_of_name_contract_and_position_names_the_contractor() {
    let s = Scenario::synthetic(Kind::StaffRoster, 50_000, 8, 63, None);
    let mut rng = ChaCha8Rng::seed_from_u64(64);
    for r in [0, 3, 7] {
        let leak = attack::project(
            &s.leak(r, 100, &mut rng),
            &[
                "NOMBRE",
                "APELLIDO_PATERNO",
                "APELLIDO_MATERNO",
                "NUM_CONTRATO",
                "PUESTO",
            ],
        );
        let (a, found) = s.verify_with_master(&leak.to_csv());
        assert!(found.used && found.rows_matched >= 95, "{found:?}");
        assert_names(&s, &a, r, "100 rows of name, contract number and position");
    }
}
