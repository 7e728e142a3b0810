//! Can a leaker tell canaries from real rows on one copy?
//!
//! A 150,000-row electoral roll is issued under the policy `policy suggest`
//! proposes. On one copy, the rules a leaker would try (adjacent and repeated
//! addresses, rare names and places, rows out of order, identifier oddities, locality
//! tuples shared with one other row) and a logistic regression trained on a
//! second issuance whose canaries are known each drop rows; for each, the
//! share of the copy's canaries dropped is compared with the share of its
//! real rows dropped. A rule that finds canaries drops a much larger share
//! of them; none may drop more than twice the share.
//!
//! Only counts are printed: the canaries are the secret.

// The report is the test's output.
#![allow(clippy::print_stdout)]

use std::collections::{HashMap, HashSet};

use watermark_core::fold;
use watermark_core::ids::{self, CurpInput, Sex};
use watermark_formats::suggest_from_csv;
use watermark_suite::distinguish::{Dropped, Logistic};
use watermark_suite::{attack, Scenario, Table};
use watermark_synth::Kind;

const ROWS: usize = 150_000;
/// Canaries a rule must remove before its ratio is judged.
const MIN_EVIDENCE: usize = 10;

/// A roll issued to one recipient: the copy, as a leaker would read it
/// (abbreviations expanded, accents stripped), and which rows are canaries.
struct Issued {
    copy: Table,
    canary: Vec<bool>,
}

fn issue(seed: u64) -> Issued {
    let mut roll = Vec::new();
    watermark_synth::write_csv(Kind::ElectoralRoll, seed, ROWS, &mut roll).unwrap();
    let policy = suggest_from_csv(&roll[..], 10_000, None, Some(0.01))
        .unwrap()
        .policy;
    assert!(
        policy.canaries.is_some(),
        "the suggested policy has canaries"
    );
    let s = Scenario::new(roll, policy, 1, seed);
    let list = s.canaries.as_ref().unwrap();
    let curp = s.header.iter().position(|h| h == "CURP").unwrap();
    let canaries: HashSet<String> = list.rows().map(|r| fold(&r[curp])).collect();
    let carriers = s.carrier_columns();
    let copy = attack::strip_accents(&attack::normalise_abbreviations(
        &s.copy(0),
        &carriers,
        true,
    ));
    let canary = copy
        .rows
        .iter()
        .map(|r| canaries.contains(&fold(&r[curp])))
        .collect();
    Issued { copy, canary }
}

/// Column indices of the roll.
struct Cols {
    clave: usize,
    curp: usize,
    given: usize,
    first: usize,
    second: usize,
    birth: usize,
    sex: usize,
    calle: usize,
    ext: usize,
    int: usize,
    colonia: usize,
    cp: usize,
    municipio: usize,
    entidad: usize,
    seccion: usize,
}

impl Cols {
    fn of(t: &Table) -> Cols {
        let c = |n: &str| t.column(n).unwrap();
        Cols {
            clave: c("CLAVE_ELECTOR"),
            curp: c("CURP"),
            given: c("NOMBRE"),
            first: c("APELLIDO_PATERNO"),
            second: c("APELLIDO_MATERNO"),
            birth: c("FECHA_NACIMIENTO"),
            sex: c("SEXO"),
            calle: c("CALLE"),
            ext: c("NUM_EXT"),
            int: c("NUM_INT"),
            colonia: c("COLONIA"),
            cp: c("CODIGO_POSTAL"),
            municipio: c("MUNICIPIO"),
            entidad: c("ENTIDAD"),
            seccion: c("SECCION"),
        }
    }
}

/// The folded values of some columns, joined.
fn key(row: &[String], cols: &[usize]) -> String {
    cols.iter()
        .map(|&i| fold(&row[i]))
        .collect::<Vec<_>>()
        .join("\u{1F}")
}

/// For each row, how many rows of the table share its key.
fn counts(t: &Table, cols: &[usize]) -> Vec<usize> {
    let keys: Vec<String> = t.rows.iter().map(|r| key(r, cols)).collect();
    let mut n: HashMap<&str, usize> = HashMap::new();
    for k in &keys {
        *n.entry(k).or_default() += 1;
    }
    keys.iter().map(|k| n[k.as_str()]).collect()
}

fn address(c: &Cols) -> [usize; 4] {
    [c.calle, c.ext, c.int, c.colonia]
}

/// Whether the row's CURP is the one its name, birth date and sex give (with
/// the CURP's own birth state and differentiator).
fn curp_consistent(c: &Cols, r: &[String]) -> bool {
    let curp = fold(&r[c.curp]);
    if !ids::is_valid_curp(&curp) {
        return false;
    }
    let p: Vec<&str> = r[c.birth].split('/').collect();
    let Some((d, m, y)) = (p.len() == 3)
        .then(|| Some((p[0].parse().ok()?, p[1].parse().ok()?, p[2].parse().ok()?)))
        .flatten()
    else {
        return false;
    };
    let Some(sex) = r[c.sex].chars().next().and_then(Sex::from_char) else {
        return false;
    };
    let chars: Vec<char> = curp.chars().collect();
    let state: String = chars[11..13].iter().collect();
    let person = CurpInput {
        given_names: &r[c.given],
        first_surname: &r[c.first],
        second_surname: &r[c.second],
        birth: (y, m, d),
        sex,
        state: &state,
    };
    ids::build_curp(&person, chars[16]) == curp
}

/// Whether the clave de elector is valid and agrees with the CURP (same
/// letters, birth date, sex and state).
fn clave_consistent(c: &Cols, r: &[String]) -> bool {
    let clave = fold(&r[c.clave]);
    let curp = fold(&r[c.curp]);
    if !ids::is_valid_clave_elector(&clave) || curp.chars().count() != 18 {
        return false;
    }
    let state: String = curp.chars().skip(11).take(2).collect();
    let number = ids::state_number(&state).map(|n| format!("{n:02}"));
    let clave_state: String = clave.chars().skip(12).take(2).collect();
    number.as_deref() == Some(clave_state.as_str())
}

/// Whether the CURP's birth state is the row's ENTIDAD.
fn born_here(c: &Cols, r: &[String]) -> bool {
    let state: String = fold(&r[c.curp]).chars().skip(11).take(2).collect();
    ids::state_code_for(&r[c.entidad]) == Some(state.as_str())
}

/// The column whose adjacent values most often ascend (or descend), and the
/// direction: the file's apparent sort order.
fn majority_order(t: &Table, cols: &[usize]) -> (usize, bool) {
    let cmp = |a: &str, b: &str| match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => fold(a).cmp(&fold(b)),
    };
    let mut best = (cols[0], true, 0.0);
    for &c in cols {
        let (mut up, mut down) = (0usize, 0usize);
        for w in t.rows.windows(2) {
            match cmp(&w[0][c], &w[1][c]) {
                std::cmp::Ordering::Less => up += 1,
                std::cmp::Ordering::Greater => down += 1,
                std::cmp::Ordering::Equal => {}
            }
        }
        let total = (up + down).max(1) as f64;
        let bias = (up.max(down) as f64) / total;
        if bias > best.2 {
            best = (c, up >= down, bias);
        }
    }
    (best.0, best.1)
}

/// Rows that break the file's apparent order: smaller than the row before
/// (for an ascending file).
fn out_of_order(t: &Table, cols: &[usize]) -> Vec<bool> {
    let (c, up) = majority_order(t, cols);
    let cmp = |a: &str, b: &str| match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => fold(a).cmp(&fold(b)),
    };
    let mut out = vec![false];
    out.extend(t.rows.windows(2).map(|w| {
        let o = cmp(&w[0][c], &w[1][c]);
        if up {
            o.is_gt()
        } else {
            o.is_lt()
        }
    }));
    out.truncate(t.rows.len());
    out
}

/// Rows whose value of `col` differs from both neighbours' while the
/// neighbours agree: an island in a run.
fn islands(t: &Table, col: usize) -> Vec<bool> {
    let n = t.rows.len();
    (0..n)
        .map(|i| {
            i > 0
                && i + 1 < n
                && t.rows[i - 1][col] == t.rows[i + 1][col]
                && t.rows[i][col] != t.rows[i - 1][col]
        })
        .collect()
}

/// How many columns the row shares with its closer neighbour.
fn shared_with_neighbour(t: &Table, i: usize) -> usize {
    let same = |j: usize| {
        t.rows[i]
            .iter()
            .zip(&t.rows[j])
            .filter(|(a, b)| fold(a) == fold(b))
            .count()
    };
    let before = if i > 0 { same(i - 1) } else { 0 };
    let after = if i + 1 < t.rows.len() { same(i + 1) } else { 0 };
    before.max(after)
}

/// Per-row features a leaker can compute on one copy.
fn features(t: &Table) -> Vec<Vec<f64>> {
    let c = Cols::of(t);
    let ln = |n: usize| (n as f64).ln();
    let count_sets: Vec<Vec<usize>> = [
        address(&c).to_vec(),
        vec![c.calle, c.colonia],
        vec![c.colonia, c.cp, c.seccion],
        vec![c.municipio, c.cp],
        vec![c.seccion, c.municipio],
        vec![c.cp],
        vec![c.seccion],
        vec![c.colonia],
        vec![c.calle],
        vec![c.given],
        vec![c.first],
        vec![c.second],
        vec![c.given, c.first],
        vec![c.first, c.second],
        vec![c.ext, c.int],
    ]
    .iter()
    .map(|cols| counts(t, cols))
    .collect();
    let order = out_of_order(t, &[c.seccion, c.entidad, c.cp, c.first, c.curp]);
    let island = islands(t, c.seccion);
    let addr_keys: Vec<String> = t.rows.iter().map(|r| key(r, &address(&c))).collect();
    (0..t.rows.len())
        .map(|i| {
            let r = &t.rows[i];
            let mut f: Vec<f64> = count_sets.iter().map(|v| ln(v[i])).collect();
            let adjacent = (i > 0 && addr_keys[i - 1] == addr_keys[i])
                || (i + 1 < t.rows.len() && addr_keys[i + 1] == addr_keys[i]);
            let year: f64 = r[c.birth]
                .rsplit('/')
                .next()
                .and_then(|y| y.parse().ok())
                .unwrap_or(1975.0);
            f.extend([
                f64::from(u8::from(adjacent)),
                f64::from(u8::from(curp_consistent(&c, r))),
                f64::from(u8::from(clave_consistent(&c, r))),
                f64::from(u8::from(born_here(&c, r))),
                f64::from(u8::from(order[i])),
                f64::from(u8::from(island[i])),
                shared_with_neighbour(t, i) as f64,
                (year - 1977.0) / 16.0,
                f64::from(u8::from(r[c.ext] == "S/N")),
                f64::from(u8::from(r[c.int].is_empty())),
                f64::from(u8::from(r[c.sex] == "M")),
                r[c.given].split(' ').count() as f64,
            ]);
            f
        })
        .collect()
}

/// One line of the report; whether the rule stays within twice the share.
fn report(name: &str, removed: &[bool], canary: &[bool]) -> bool {
    let d = Dropped::count(removed, canary);
    let (k, n, kc, kr) = (d.canaries, d.real, d.canaries_dropped, d.real_dropped);
    let (sc, sr, ratio) = (d.canary_share(), d.real_share(), d.ratio());
    // Fewer than ten canaries cannot show a factor of two over chance.
    let ok = ratio <= 2.0 || kc < MIN_EVIDENCE;
    println!(
        "{name:<46} canaries {kc:>5}/{k} ({:>6.2}%)  real {kr:>6}/{n} ({:>6.2}%)  ratio {ratio:>6.2}{}",
        100.0 * sc,
        100.0 * sr,
        if kc < MIN_EVIDENCE && ratio > 2.0 {
            "  (too few to judge)"
        } else if ok {
            ""
        } else {
            "  FAIL"
        }
    );
    ok
}

#[test]
fn no_rule_or_classifier_tells_canaries_from_real_rows() {
    let test = issue(41);
    let t = &test.copy;
    let c = Cols::of(t);
    let canary = &test.canary;
    let n = t.rows.len();
    let k = canary.iter().filter(|&&v| v).count();
    assert!(k > 1_000, "{k} canaries in the copy");
    println!("copy: {n} rows, {k} canaries");

    let addr_keys: Vec<String> = t.rows.iter().map(|r| key(r, &address(&c))).collect();
    let once = |cols: &[usize]| -> Vec<bool> { counts(t, cols).iter().map(|&m| m == 1).collect() };
    let shared = |cols: &[usize]| -> Vec<bool> { counts(t, cols).iter().map(|&m| m > 1).collect() };
    let by_row =
        |f: &dyn Fn(&[String]) -> bool| -> Vec<bool> { t.rows.iter().map(|r| f(r)).collect() };
    let mut rules: Vec<(&str, Vec<bool>)> = vec![
        (
            "(a) address equals the previous row's",
            (0..n)
                .map(|i| i > 0 && addr_keys[i] == addr_keys[i - 1])
                .collect(),
        ),
        ("(b) address appears more than once", shared(&address(&c))),
        (
            "(b) street and colonia appear more than once",
            shared(&[c.calle, c.colonia]),
        ),
        (
            "(b) colonia, CP and section appear more than once",
            shared(&[c.colonia, c.cp, c.seccion]),
        ),
        (
            "(b) municipio and CP appear more than once",
            shared(&[c.municipio, c.cp]),
        ),
        (
            "(c) given name and first surname unique",
            once(&[c.given, c.first]),
        ),
        ("(c) surname pair unique", once(&[c.first, c.second])),
        ("(c) full name unique", once(&[c.given, c.first, c.second])),
        ("(c) given name unique", once(&[c.given])),
        // A canary whose value is copied from a real row is never alone
        // with it: values chosen leave-one-out must be alone as often as
        // real rows' are.
        ("(c) postal code unique", once(&[c.cp])),
        ("(c) section unique", once(&[c.seccion])),
        ("(c) street unique", once(&[c.calle])),
        ("(c) colonia unique", once(&[c.colonia])),
        ("(c) house number unique", once(&[c.ext])),
        (
            "(d) out of the majority order",
            out_of_order(t, &[c.seccion, c.entidad, c.cp, c.first, c.curp]),
        ),
        (
            "(d) section differs from both neighbours'",
            islands(t, c.seccion),
        ),
        (
            "(d) shares 5+ columns with a neighbour",
            (0..n).map(|i| shared_with_neighbour(t, i) >= 5).collect(),
        ),
        (
            "(e) CURP not the one name/birth/sex give",
            by_row(&|r| !curp_consistent(&c, r)),
        ),
        (
            "(e) clave de elector inconsistent with CURP",
            by_row(&|r| !clave_consistent(&c, r)),
        ),
        (
            "(e) CURP birth state is not ENTIDAD",
            by_row(&|r| !born_here(&c, r)),
        ),
        (
            "(e) municipio seen once in its entity",
            once(&[c.municipio, c.entidad]),
        ),
        ("(e) CP prefix seen once in its entity", {
            let prefixes: Vec<Vec<String>> = t
                .rows
                .iter()
                .map(|r| vec![r[c.cp].chars().take(2).collect(), r[c.entidad].clone()])
                .collect();
            let tt = t.with_rows(prefixes);
            counts(&tt, &[0, 1]).iter().map(|&m| m == 1).collect()
        }),
        (
            "(e) section seen once with its municipio",
            once(&[c.seccion, c.municipio]),
        ),
    ];

    // The classifier: trained on half the rows of another issuance, whose
    // canaries are known.
    let train = issue(42);
    let fx = features(&train.copy);
    let model = Logistic::train_on_half(&fx, &train.canary, 43);
    let ft = features(t);
    let mut scored: Vec<(f64, usize)> = ft.iter().map(|f| model.score(f)).zip(0..).collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut flagged = vec![false; n];
    for &(_, i) in scored.iter().take(k) {
        flagged[i] = true;
    }
    rules.push(("(f) logistic regression, top k", flagged));

    let mut failed = Vec::new();
    for (name, removed) in &rules {
        if !report(name, removed, canary) {
            failed.push(*name);
        }
    }
    assert!(failed.is_empty(), "rules that find canaries: {failed:?}");
}
