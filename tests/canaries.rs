//! Canary rows: three-column lists, fully normalised leaks, and canaries that
//! pass the checks a suspicious recipient would run.

use std::collections::{HashMap, HashSet};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use watermark_core::ids::{self, CurpInput, Sex};
use watermark_core::{fold, Attribution, CanaryList, MasterKey, Policy};
use watermark_formats::{make_canaries, suggest_from_csv};
use watermark_suite::{attack, Scenario, Table};
use watermark_synth::Kind;

fn accused(a: &Attribution) -> Vec<&str> {
    let mut v: Vec<&str> = a.accused.iter().map(|r| r.recipient.as_str()).collect();
    v.sort_unstable();
    v
}

fn list(s: &Scenario) -> &CanaryList {
    s.canaries.as_ref().expect("the policy has canaries")
}

fn synth(kind: Kind, seed: u64, rows: usize) -> Vec<u8> {
    let mut out = Vec::new();
    watermark_synth::write_csv(kind, seed, rows, &mut out).unwrap();
    out
}

/// A 200,000-row name list sorted by section and name, as lists are printed.
fn sorted_name_list() -> Vec<u8> {
    let t = Table::from_csv(&synth(Kind::NameList, 11, 200_000));
    let mut rows = t.rows.clone();
    rows.sort_by(|a, b| {
        let s = |r: &Vec<String>| r[1].parse::<u32>().unwrap();
        s(a).cmp(&s(b)).then_with(|| fold(&a[0]).cmp(&fold(&b[0])))
    });
    t.with_rows(rows).to_csv()
}

const NAME_LIST_POLICY: &str = r#"
version = 1
identity = ["NOMBRE_COMPLETO", "SECCION"]

[canaries]
rate = 0.02
full_name = "NOMBRE_COMPLETO"
"#;

#[test]
fn three_column_list_names_its_leaker_and_both_of_a_pair() {
    let policy = Policy::from_toml(NAME_LIST_POLICY).unwrap();
    let s = Scenario::new(sorted_name_list(), policy, 10, 21);
    let master = Table::from_csv(&s.master_csv);
    assert_eq!(
        list(&s).sort_columns().last().map(String::as_str),
        Some("NOMBRE_COMPLETO"),
        "the sort order is found"
    );
    // Every copy keeps the order: canaries sit where the order puts them,
    // not at the ends of sections.
    for r in 0..10 {
        let copy = s.copy(r);
        assert_eq!(copy.rows.len(), master.rows.len() + copy_canaries(&s, r));
        for w in copy.rows.windows(2) {
            let key = |r: &Vec<String>| (r[1].parse::<u32>().unwrap(), fold(&r[0]));
            assert!(key(&w[0]) <= key(&w[1]), "{:?} before {:?}", w[0], w[1]);
        }
    }
    let real: HashSet<(String, String)> = master
        .rows
        .iter()
        .map(|r| (fold(&r[0]), r[1].clone()))
        .collect();
    let canaries: Vec<&[String]> = list(&s).rows().collect();
    assert!(canaries.len() > 7_000, "{}", canaries.len());
    for c in &canaries {
        assert!(
            !real.contains(&(fold(&c[0]), c[1].clone())),
            "{c:?} is real"
        );
    }

    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for r in [3, 8] {
        let a = s.verify_table(&s.leak(r, 20_000, &mut rng));
        assert_eq!(accused(&a), [s.recipients[r].id.as_str()], "{a:#?}");
        assert!(a.canaries_found > 100, "{}", a.canaries_found);
        assert!(a.accused[0].evidence.iter().all(|e| e.canary));
    }
    // Two copies mixed, 10,000 rows of each.
    let mut rows = s.leak(3, 10_000, &mut rng).rows;
    rows.extend(s.leak(7, 10_000, &mut rng).rows);
    rows.shuffle(&mut rng);
    let a = s.verify_table(&master.with_rows(rows));
    assert_eq!(accused(&a), ["r03", "r07"], "{a:#?}");
    // The real rows alone accuse no one.
    let a = s.verify_table(&s.unmarked(20_000, &mut rng));
    assert!(a.accused.is_empty() && a.canaries_found == 0, "{a:#?}");
}

/// Canary rows in recipient `r`'s copy.
fn copy_canaries(s: &Scenario, r: usize) -> usize {
    let canaries: HashSet<&[String]> = list(s).rows().collect();
    s.copy(r)
        .rows
        .iter()
        .filter(|row| canaries.contains(row.as_slice()))
        .count()
}

fn roll() -> &'static Scenario {
    static ROLL: std::sync::OnceLock<Scenario> = std::sync::OnceLock::new();
    ROLL.get_or_init(|| {
        let roll = synth(Kind::ElectoralRoll, 12, 100_000);
        // The policy `watermark policy suggest` proposes, canaries and all.
        let policy = suggest_from_csv(&roll[..], 10_000, None, Some(0.01))
            .unwrap()
            .policy;
        let c = policy.canaries.as_ref().expect("suggested canaries");
        assert_eq!(c.curp.as_deref(), Some("CURP"));
        assert_eq!(c.clave_elector.as_deref(), Some("CLAVE_ELECTOR"));
        assert_eq!(c.birth_date.as_deref(), Some("FECHA_NACIMIENTO"));
        assert_eq!(c.given_names.as_deref(), Some("NOMBRE"));
        Scenario::new(roll, policy, 10, 22)
    })
}

#[test]
fn a_fully_normalised_roll_leak_names_its_recipient_through_canaries() {
    let s = roll();
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let leak = s.leak(2, 20_000, &mut rng);
    let carriers = s.carrier_columns();
    let leak = attack::strip_accents(&attack::normalise_abbreviations(&leak, &carriers, true));
    let a = s.verify_table(&leak);
    assert_eq!(accused(&a), ["r02"], "{a:#?}");
    assert!(a.canaries_found > 50, "{}", a.canaries_found);
    // The expanded columns read one spelling throughout and are left out.
    assert!(
        a.columns_normalised.contains(&"CALLE".to_string()),
        "{a:#?}"
    );
}

/// The upper tail of the chi-square distribution with `k` degrees of freedom
/// at `x` (Wilson-Hilferty: accurate to a few per cent for k >= 3).
fn chi_square_p(x: f64, k: usize) -> f64 {
    let k = k as f64;
    let z = ((x / k).cbrt() - (1.0 - 2.0 / (9.0 * k))) / (2.0 / (9.0 * k)).sqrt();
    // Normal upper tail via erfc, by Abramowitz-Stegun 7.1.26.
    let t = 1.0 / (1.0 + 0.3275911 * z.abs() / 2f64.sqrt());
    let poly = t
        * (0.254829592
            + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    let tail = 0.5 * poly * (-(z * z) / 2.0).exp();
    if z >= 0.0 {
        tail
    } else {
        1.0 - tail
    }
}

/// Whether canaries' values of one column could come from the real rows'
/// distribution: a chi-square test over the most common values (the rest
/// pooled), each bin expecting at least 5 canaries.
fn chi_square(real: &[&str], canaries: &[&str]) -> (f64, usize, f64) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for v in real {
        *counts.entry(v).or_default() += 1;
    }
    let mut common: Vec<(&str, usize)> = counts.into_iter().collect();
    common.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let n_real = real.len() as f64;
    let n_can = canaries.len() as f64;
    let mut bins: Vec<(&str, f64)> = Vec::new();
    let mut pooled = 1.0;
    for (v, c) in common {
        let share = c as f64 / n_real;
        if share * n_can < 5.0 {
            break;
        }
        bins.push((v, share));
        pooled -= share;
    }
    let index: HashMap<&str, usize> = bins.iter().enumerate().map(|(i, b)| (b.0, i)).collect();
    let mut observed = vec![0.0; bins.len() + 1];
    for v in canaries {
        observed[index.get(v).copied().unwrap_or(bins.len())] += 1.0;
    }
    let expected: Vec<f64> = bins
        .iter()
        .map(|b| b.1 * n_can)
        .chain(std::iter::once(pooled * n_can))
        .collect();
    let used: Vec<(f64, f64)> = observed
        .iter()
        .zip(&expected)
        .filter(|(_, &e)| e > 1e-9)
        .map(|(&o, &e)| (o, e))
        .collect();
    let stat: f64 = used.iter().map(|(o, e)| (o - e) * (o - e) / e).sum();
    let df = used.len() - 1;
    (stat, df, chi_square_p(stat, df))
}

#[test]
fn canaries_pass_a_suspicious_recipients_checks() {
    let s = roll();
    let master = Table::from_csv(&s.master_csv);
    let h = |name: &str| master.column(name).unwrap();
    let (clave, curp, given, first, second, birth, sex) = (
        h("CLAVE_ELECTOR"),
        h("CURP"),
        h("NOMBRE"),
        h("APELLIDO_PATERNO"),
        h("APELLIDO_MATERNO"),
        h("FECHA_NACIMIENTO"),
        h("SEXO"),
    );
    let canaries: Vec<&[String]> = list(s).rows().collect();
    assert!(canaries.len() >= 1_900, "{}", canaries.len());
    let real_curps: HashSet<&str> = master.rows.iter().map(|r| r[curp].as_str()).collect();
    let real_claves: HashSet<&str> = master.rows.iter().map(|r| r[clave].as_str()).collect();
    let real_people: HashSet<(&str, &str, &str, &str)> = master
        .rows
        .iter()
        .map(|r| {
            (
                r[given].as_str(),
                r[first].as_str(),
                r[second].as_str(),
                r[birth].as_str(),
            )
        })
        .collect();
    for c in &canaries {
        // Identifiers valid and consistent with the canary's own fields.
        assert!(ids::is_valid_curp(&c[curp]), "{c:?}");
        assert!(ids::is_valid_clave_elector(&c[clave]), "{c:?}");
        let (d, m, y) = {
            let p: Vec<&str> = c[birth].split('/').collect();
            (
                p[0].parse().unwrap(),
                p[1].parse().unwrap(),
                p[2].parse().unwrap(),
            )
        };
        let sex_of = Sex::from_char(c[sex].chars().next().unwrap()).unwrap();
        let state: String = c[curp].chars().skip(11).take(2).collect();
        let homonym = c[curp].chars().nth(16).unwrap();
        let person = CurpInput {
            given_names: &c[given],
            first_surname: &c[first],
            second_surname: &c[second],
            birth: (y, m, d),
            sex: sex_of,
            state: &state,
        };
        assert_eq!(ids::build_curp(&person, homonym), c[curp], "{c:?}");
        let clave_state: String = c[clave].chars().skip(12).take(2).collect();
        let clave_code = ids::STATE_CODES
            .iter()
            .map(|(code, _)| *code)
            .find(|code| {
                ids::state_number(code).map(|n| format!("{n:02}")) == Some(clave_state.clone())
            })
            .unwrap();
        let suffix: u16 = c[clave][15..].parse().unwrap();
        let person = CurpInput {
            state: clave_code,
            ..person
        };
        assert_eq!(
            ids::build_clave_elector(&person, suffix).unwrap(),
            c[clave],
            "{c:?}"
        );
        // No duplicate of a real identity.
        assert!(!real_curps.contains(c[curp].as_str()), "{c:?}");
        assert!(!real_claves.contains(c[clave].as_str()), "{c:?}");
        assert!(
            !real_people.contains(&(
                c[given].as_str(),
                c[first].as_str(),
                c[second].as_str(),
                c[birth].as_str()
            )),
            "{c:?}"
        );
    }
    // Frequencies: given names, surnames, sex, sections, birth years.
    let column = |rows: &mut dyn Iterator<Item = &[String]>, i: usize| -> Vec<String> {
        rows.map(|r| r[i].clone()).collect()
    };
    let year = |v: &String| v.rsplit('/').next().unwrap().to_string();
    // Sections in runs of 300, about a district each.
    let district = |v: &String| (v.parse::<u32>().unwrap() / 300).to_string();
    let section = h("SECCION");
    for (name, i, map) in [
        ("given names", given, None),
        ("first surnames", first, None),
        ("sex", sex, None),
        (
            "sections",
            section,
            Some(&district as &dyn Fn(&String) -> String),
        ),
        (
            "birth years",
            birth,
            Some(&year as &dyn Fn(&String) -> String),
        ),
    ] {
        let mut real = column(&mut master.rows.iter().map(|r| r.as_slice()), i);
        let mut can = column(&mut canaries.iter().copied(), i);
        if let Some(f) = map {
            real = real.iter().map(f).collect();
            can = can.iter().map(f).collect();
        }
        let real: Vec<&str> = real.iter().map(String::as_str).collect();
        let can: Vec<&str> = can.iter().map(String::as_str).collect();
        let (stat, df, p) = chi_square(&real, &can);
        assert!(df >= 1, "{name}: too few bins");
        assert!(
            p > 0.001,
            "{name}: chi-square {stat:.1} on {df} df, p = {p:.2e}"
        );
    }
}

#[test]
fn canaries_are_a_function_of_key_policy_and_input() {
    let s = roll();
    let digest = blake3::hash(&s.master_csv).to_hex().to_string();
    let again = make_canaries(
        &s.key,
        &s.policy,
        &digest,
        || Ok(&s.master_csv[..]),
        &mut |_, _| {},
    )
    .unwrap();
    assert!(&again == list(s));
    let other = MasterKey::from_bytes([9; 32]);
    let theirs = make_canaries(
        &other,
        &s.policy,
        &digest,
        || Ok(&s.master_csv[..]),
        &mut |_, _| {},
    )
    .unwrap();
    assert!(theirs.rows().zip(list(s).rows()).all(|(a, b)| a != b));
}

#[test]
fn canary_list_round_trips_and_keeps_secrets_out_of_debug() {
    let s = roll();
    let back = CanaryList::from_json(&list(s).to_json()).unwrap();
    assert!(&back == list(s));
    let debug = format!("{:?}", list(s));
    let first = list(s).rows().next().unwrap();
    assert!(!debug.contains(&first[1]), "{debug}");
    assert!(CanaryList::from_json("{\"version\": 1}").is_err());
}

/// Canaries are read only where a leak holds them, always as 1: the printed
/// bound must still be a valid p-value for innocent recipients. Small leaks
/// of a list with many canaries, from one copy or mixed from two, over 40
/// recipients.
#[test]
fn bound_is_honest_with_canaries_read_only_where_present() {
    let policy = Policy::from_toml(&NAME_LIST_POLICY.replace("0.02", "0.1")).unwrap();
    let recipients = 40;
    let s = Scenario::new(synth(Kind::NameList, 13, 20_000), policy, recipients, 23);
    let master = Table::from_csv(&s.master_csv);
    let mut rng = ChaCha8Rng::seed_from_u64(14);
    let factor = (recipients * 2) as f64;
    let betas = [0.2, 0.05, 0.01];
    let (mut below, mut pairs) = ([0usize; 3], 0usize);
    for trial in 0..120 {
        let (x, y) = (trial % recipients, (trial * 7 + 3) % recipients);
        let n = 40 + trial % 80;
        let mut rows = s.leak(x, n, &mut rng).rows;
        if trial % 2 == 1 && x != y {
            rows.extend(s.leak(y, n, &mut rng).rows);
        }
        let a = s.verify_table(&master.with_rows(rows));
        for r in &a.recipients {
            if r.slot as usize == x || (trial % 2 == 1 && r.slot as usize == y) {
                continue;
            }
            pairs += 1;
            let p = r.false_accusation_bound / factor;
            for (k, &beta) in betas.iter().enumerate() {
                below[k] += usize::from(r.false_accusation_bound < 1.0 && p <= beta);
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
        assert!(
            below[k] as f64 <= expected + 3.0 * expected.sqrt(),
            "β = {beta}: {} of {pairs} innocent pairs had bound ≤ β",
            below[k]
        );
    }
    // The test has teeth: innocents' bounds reach down to β = 0.01 often
    // enough that an anti-conservative bound would show (a bound of 1 after
    // the union factor is a p-value of at least 1/80).
    assert!(
        below[2] as f64 >= 0.1 * 0.01 * pairs as f64,
        "{below:?} of {pairs}"
    );
}
