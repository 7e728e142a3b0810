//! Matching a leak without identity columns to the master extract, read
//! from CSV: attribution through the master, and errors placed in the
//! leak's and the master's rows.

use watermark_core::{
    verify_rows, Detector, Embedder, ErrorKind, ExtraRows, MasterError, MasterKey, MasterMatch,
    Policy, Recipient,
};
use watermark_formats::{
    csv_to_parquet, issue_csv, verify_csv, verify_csv_with_master, verify_parquet, ColumnarRows,
    ConvertOptions, CsvRows,
};

const POLICY: &str = r#"
version = 1
identity = ["CURP"]
[[carrier]]
column = "CALLE"
kind = "variants"
[[carrier]]
column = "MONTO"
kind = "numeric"
decimals = 2
"#;

fn key() -> MasterKey {
    MasterKey::from_bytes([7; 32])
}

fn recipients() -> Vec<Recipient> {
    (0..4)
        .map(|i| Recipient::new(format!("r{i}"), i * 3).unwrap())
        .collect()
}

fn detector(policy: &Policy) -> Detector {
    Detector::builder()
        .key(&key())
        .policy(policy)
        .recipients(recipients())
        .build()
        .unwrap()
}

/// A 600-row extract with unique names, and its copies for `recipients()`.
fn issued(policy: &Policy) -> (String, Vec<String>) {
    let streets = [
        "AV. REFORMA",
        "CALLE HIDALGO",
        "PRIV. LAS FLORES",
        "CDA. DEL RIO",
        "BLVD. NORTE",
    ];
    let mut master = String::from("CURP,NOMBRE,CALLE,MONTO,SECCION\n");
    for i in 0..600 {
        master.push_str(&format!(
            "CURP{i:06},PERSONA {i},{} {},{}.{:02},{}\n",
            streets[i % streets.len()],
            i % 37,
            1000 + i * 7,
            i % 100,
            i % 11
        ));
    }
    let embedder = Embedder::builder()
        .key(&key())
        .policy(policy)
        .recipients(recipients())
        .build()
        .unwrap();
    let copies = issue_csv(
        &embedder,
        master.as_bytes(),
        vec![Vec::new(); 4],
        &mut |_| {},
    )
    .unwrap()
    .outputs
    .into_iter()
    .map(|c| String::from_utf8(c).unwrap())
    .collect();
    (master, copies)
}

/// Keeps the given columns of a CSV (no quoting in these files), rows reversed.
fn project(csv: &str, keep: &[usize]) -> String {
    let lines: Vec<&str> = csv.lines().collect();
    let pick = |l: &str| {
        let f: Vec<&str> = l.split(',').collect();
        keep.iter().map(|&k| f[k]).collect::<Vec<_>>().join(",")
    };
    let mut out = pick(lines[0]) + "\n";
    for l in lines[1..].iter().rev() {
        out.push_str(&pick(l));
        out.push('\n');
    }
    out
}

#[test]
fn a_leak_without_identity_is_attributed_through_the_master() {
    let policy = Policy::from_toml(POLICY).unwrap();
    let d = detector(&policy);
    let (master, copies) = issued(&policy);
    // Names, street, amount and section; no CURP.
    let leak = project(&copies[2], &[1, 2, 3, 4]);
    let (found, matched) =
        verify_csv_with_master(&d, leak.as_bytes(), master.as_bytes(), &[], &mut |_| {}).unwrap();
    assert!(matched.used);
    assert_eq!(matched.columns, ["NOMBRE", "CALLE", "MONTO", "SECCION"]);
    assert_eq!(
        (
            matched.rows_matched,
            matched.rows_unmatched,
            matched.rows_ambiguous
        ),
        (600, 0, 0)
    );
    assert_eq!(matched.master_rows, 600);
    assert_eq!(found.rows_read, 600);
    assert_eq!(found.rows_without_identity, 0);
    assert_eq!(found.accused.len(), 1);
    assert_eq!(found.accused[0].recipient, "r2");

    // Rows read from the master are the ones the copy's own CURPs give:
    // the same attribution as the leak with its CURP column.
    let with_curp = verify_csv(&d, copies[2].as_bytes(), &mut |_| {}).unwrap();
    assert_eq!(with_curp.positions_read, found.positions_read);
    for (a, b) in with_curp.recipients.iter().zip(&found.recipients) {
        assert_eq!(a.recipient, b.recipient);
        assert_eq!(a.matching_positions, b.matching_positions);
        // The rows come in another order: the sums may round otherwise.
        assert!((a.score - b.score).abs() < 1e-9 * a.score.abs().max(1.0));
    }

    // A normaliser expanded every abbreviation: marks in CALLE are gone,
    // the rows still match, the amounts still name the leaker.
    let expanded = leak
        .replace("AV. ", "AVENIDA ")
        .replace("PRIV. ", "PRIVADA ")
        .replace("CDA. ", "CERRADA ")
        .replace("BLVD. ", "BOULEVARD ")
        .replace(",C. ", ",CALLE ")
        .replace(",C ", ",CALLE ");
    let (found, matched) =
        verify_csv_with_master(&d, expanded.as_bytes(), master.as_bytes(), &[], &mut |_| {})
            .unwrap();
    assert_eq!(matched.rows_matched, 600);
    assert_eq!(found.accused[0].recipient, "r2");

    // Rows the master does not have count as unmatched and are not read;
    // given as extra rows, they are.
    let mut with_extra = leak.clone();
    with_extra.push_str("PERSONA NUEVA,AV. SOL 1,10.01,3\n");
    let (found, matched) = verify_csv_with_master(
        &d,
        with_extra.as_bytes(),
        master.as_bytes(),
        &[],
        &mut |_| {},
    )
    .unwrap();
    assert_eq!((matched.rows_matched, matched.rows_unmatched), (600, 1));
    assert_eq!(found.rows_without_identity, 1);
    let extra = ExtraRows {
        header: ["CURP", "NOMBRE", "CALLE", "MONTO", "SECCION"]
            .map(String::from)
            .to_vec(),
        rows: vec![["CURPX", "PERSONA NUEVA", "AVENIDA SOL 1", "10.00", "3"]
            .map(String::from)
            .to_vec()],
    };
    assert!(!format!("{extra:?}").contains("NUEVA"));
    let (found, matched) = verify_csv_with_master(
        &d,
        with_extra.as_bytes(),
        master.as_bytes(),
        std::slice::from_ref(&extra),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!((matched.rows_matched, matched.extra_rows), (601, 1));
    assert_eq!(found.rows_without_identity, 0);
}

#[test]
fn a_leak_with_its_identity_does_not_need_the_master() {
    let policy = Policy::from_toml(POLICY).unwrap();
    let d = detector(&policy);
    let (_, copies) = issued(&policy);
    let leak = project(&copies[1], &[2, 0, 3]);
    // The master is not read: even an unreadable one does not matter.
    let (found, matched) =
        verify_csv_with_master(&d, leak.as_bytes(), &b"\xFF\xFE"[..], &[], &mut |_| {}).unwrap();
    assert!(!matched.used);
    assert_eq!(matched, MasterMatch::default());
    assert_eq!(found, verify_csv(&d, leak.as_bytes(), &mut |_| {}).unwrap());
    assert_eq!(found.accused[0].recipient, "r1");
}

#[test]
fn errors_name_the_input_row_and_column() {
    let policy = Policy::from_toml(POLICY).unwrap();
    let d = detector(&policy);
    let (master, copies) = issued(&policy);
    let leak = project(&copies[0], &[1, 2]);
    let run = |leak: &[u8], master: &[u8]| {
        verify_csv_with_master(&d, leak, master, &[], &mut |_| {}).unwrap_err()
    };

    let mut bad = master.clone().into_bytes();
    let at = master.lines().take(3).map(|l| l.len() + 1).sum::<usize>() + 12;
    bad[at] = 0xFF;
    match run(leak.as_bytes(), &bad) {
        MasterError::Master(e) => {
            assert!(matches!(e.kind(), ErrorKind::Utf8));
            assert_eq!(
                (e.row(), e.line(), e.column()),
                (Some(3), Some(4), Some("NOMBRE"))
            );
        }
        other => panic!("{other}"),
    }
    let ragged = master.replacen("CURP000004,", "CURP000004,X,", 1);
    match run(leak.as_bytes(), ragged.as_bytes()) {
        MasterError::Master(e) => {
            assert!(matches!(e.kind(), ErrorKind::UnequalLengths { .. }), "{e}");
            assert_eq!(e.row(), Some(5));
        }
        other => panic!("{other}"),
    }
    let ragged_leak = leak.replacen('\n', "\nA,B,C\n", 1);
    match run(ragged_leak.as_bytes(), master.as_bytes()) {
        MasterError::Leak(e) => assert_eq!(e.row(), Some(1), "{e}"),
        other => panic!("{other}"),
    }
    match run(b"FOO,BAR\n1,2\n", master.as_bytes()) {
        e @ MasterError::NoSharedColumn { .. } => {
            assert!(e.to_string().contains("FOO, BAR"), "{e}")
        }
        other => panic!("{other}"),
    }
    assert!(matches!(
        run(leak.as_bytes(), b""),
        MasterError::Master(e) if matches!(e.kind(), ErrorKind::EmptyInput)
    ));
    let extra = ExtraRows {
        header: vec!["CURP".into(), "NOMBRE".into(), "CALLE".into()],
        rows: vec![vec!["X".into()]],
    };
    let err = verify_csv_with_master(
        &d,
        leak.as_bytes(),
        master.as_bytes(),
        &[ExtraRows::default(), extra],
        &mut |_| {},
    )
    .unwrap_err();
    match err {
        MasterError::Extra(e) => assert_eq!(e.row(), Some(1), "{e}"),
        other => panic!("{other}"),
    }
}

/// A leak in any format is verified from its rows alone (`verify_rows` on a
/// row source), with exactly the attribution of the format's own
/// multi-threaded verification: a new leak format needs only its rows.
#[test]
fn rows_from_any_adaptor_verify_as_the_formats_own_verification() {
    let policy = Policy::from_toml(POLICY).unwrap();
    let d = detector(&policy);
    let (_, copies) = issued(&policy);
    let leak = project(&copies[2], &[2, 0, 3]);
    let by_csv = verify_csv(&d, leak.as_bytes(), &mut |_| {}).unwrap();
    assert_eq!(by_csv.accused[0].recipient, "r2");
    let rows = CsvRows::new(leak.as_bytes()).unwrap();
    assert_eq!(verify_rows(&d, rows, &mut |_| {}).unwrap(), by_csv);

    let mut parquet = Vec::new();
    csv_to_parquet(leak.as_bytes(), &mut parquet, ConvertOptions::default()).unwrap();
    let by_parquet =
        verify_parquet(&d, std::io::Cursor::new(parquet.clone()), &mut |_| {}).unwrap();
    let rows = ColumnarRows::parquet(std::io::Cursor::new(parquet)).unwrap();
    assert_eq!(verify_rows(&d, rows, &mut |_| {}).unwrap(), by_parquet);
    assert_eq!(by_parquet.accused, by_csv.accused);

    // A leak without the identity columns is refused, naming the column.
    let no_identity = project(&copies[2], &[2, 3]);
    let rows = CsvRows::new(no_identity.as_bytes()).unwrap();
    let err = verify_rows(&d, rows, &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("CURP"), "{err}");
}
