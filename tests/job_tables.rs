//! The job portal's registrations and a staff roster shared with
//! contractors: leaks of the columns a fraudster keeps (names, phones, job
//! titles, contract numbers) name their recipient through the job-title
//! and telephone carriers, matched to the extract with `verify --master`.

use std::sync::OnceLock;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use watermark_core::{Attribution, CarrierKind};
use watermark_suite::attack;
use watermark_suite::Scenario;
use watermark_synth::Kind;

/// What a fraudster keeps of a job seeker: name, phone and job title.
const NAME_PHONE_TITLE: [&str; 5] = [
    "NOMBRE",
    "APELLIDO_PATERNO",
    "APELLIDO_MATERNO",
    "TELEFONO",
    "PUESTO_SOLICITADO",
];

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

fn job_seekers() -> &'static Scenario {
    static S: OnceLock<Scenario> = OnceLock::new();
    S.get_or_init(|| Scenario::synthetic(Kind::JobSeekers, 200_000, 20, 61, None))
}

/// No one but the leaker `r` is accused (the leaker may or may not be).
#[allow(clippy::print_stderr)]
fn assert_no_innocent(s: &Scenario, a: &Attribution, r: usize, what: &str) {
    eprintln!("{what}: {} positions; {}", a.positions_read, summary(a));
    let leaker = s.recipients[r].id.as_str();
    let innocents: Vec<&str> = Scenario::accused(a)
        .into_iter()
        .filter(|id| *id != leaker)
        .collect();
    assert!(
        innocents.is_empty(),
        "{what}: innocents accused {innocents:?}"
    );
}

#[test]
fn job_seekers_name_phone_and_title_name_the_recipient() {
    let s = job_seekers();
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
        let leak = attack::project(&s.leak(r, 50, &mut rng), &NAME_PHONE_TITLE);
        let (a, found) = s.verify_with_master(&leak.to_csv());
        assert!(found.used && found.rows_matched >= 45, "{found:?}");
        assert_names(s, &a, r, "50 rows of name, phone and title");
        // 30 rows with every column.
        let a = s.verify_table(&s.leak(r, 30, &mut rng));
        assert_names(s, &a, r, "30 rows, every column");
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

/// A leaker who has read the code rewrites every carrier the job portal's
/// copies have: titles and degrees all expanded (or all abbreviated), or
/// re-spelled at random word by word; phones written with their digits
/// together, or with separators drawn at random. No innocent is accused
/// in any case; what is left to name the leaker is said in the test log.
#[test]
fn a_knowledgeable_leaker_of_the_job_portal_accuses_no_innocent() {
    let s = job_seekers();
    let mut rng = ChaCha8Rng::seed_from_u64(65);
    let titles = ["PUESTO_SOLICITADO", "EXPERIENCIA"];
    for r in [2, 11] {
        let leak = s.leak(r, 400, &mut rng);
        for expand in [true, false] {
            let t = attack::normalise_abbreviations_in(
                &leak,
                &titles,
                watermark_core::mx_jobs(),
                expand,
            );
            let t = attack::normalise_abbreviations_in(
                &t,
                &["TITULO"],
                watermark_core::mx_degrees(),
                expand,
            );
            let t = attack::phones_digits_only(&t, &["TELEFONO"]);
            let a = s.verify_table(&t);
            assert_no_innocent(s, &a, r, &format!("400 rows normalised (expand {expand})"));
        }
        let t = attack::respell_randomly_in(&leak, &titles, watermark_core::mx_jobs(), &mut rng);
        let t =
            attack::respell_randomly_in(&t, &["TITULO"], watermark_core::mx_degrees(), &mut rng);
        let t = attack::respell_phones_randomly(&t, &["TELEFONO"], &mut rng);
        let a = s.verify_table(&t);
        assert_no_innocent(s, &a, r, "400 rows re-spelled at random");
        // Every carrier re-spelled but the salaries': the amounts still
        // name the leaker.
        assert_names(s, &a, r, "400 rows re-spelled at random, amounts kept");
        // Padded with nine times as many unmarked rows of the extract.
        let small = attack::project(&s.leak(r, 60, &mut rng), &NAME_PHONE_TITLE);
        let padded = attack::pad(
            &small,
            &attack::project(s.master(), &NAME_PHONE_TITLE),
            540,
            &mut rng,
        );
        let (a, _) = s.verify_with_master(&padded.to_csv());
        assert_no_innocent(
            s,
            &a,
            r,
            "60 name/phone/title rows padded with 540 unmarked",
        );
    }
}
