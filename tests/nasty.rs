//! Hostile input: the leak reader and issuance meet huge fields, NUL bytes,
//! ragged rows, broken quoting, invalid UTF-8, odd line ends and nothing at
//! all. Every case ends in an attribution or a clean error naming where it
//! went wrong, never a panic. The files under `tests/corpus/` are small
//! seeds shared with the fuzz targets; the large cases are made here.

use watermark_core::{Detector, Embedder, MasterKey, Policy, Recipient};
use watermark_formats::{issue_csv, verify_csv};

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

fn detector() -> Detector {
    let key = MasterKey::from_bytes([1; 32]);
    let policy = Policy::from_toml(POLICY).unwrap();
    let recipients = (0..20).map(|i| Recipient::new(format!("r{i}"), i).unwrap());
    Detector::builder()
        .key(&key)
        .policy(&policy)
        .recipients(recipients)
        .build()
        .unwrap()
}

fn embedder() -> Embedder {
    let key = MasterKey::from_bytes([1; 32]);
    let policy = Policy::from_toml(POLICY).unwrap();
    Embedder::builder()
        .key(&key)
        .policy(&policy)
        .recipients((0..3).map(|i| Recipient::new(format!("r{i}"), i).unwrap()))
        .build()
        .unwrap()
}

/// Runs both readers; returns the errors' messages (None where it succeeded).
fn run(input: &[u8]) -> (Option<String>, Option<String>) {
    let v = verify_csv(&detector(), input, &mut |_| {})
        .err()
        .map(|e| e.to_string());
    let i = issue_csv(&embedder(), input, vec![Vec::new(); 3], &mut |_| {})
        .err()
        .map(|e| e.to_string());
    (v, i)
}

fn cases() -> Vec<(&'static str, Vec<u8>)> {
    let mut v: Vec<(&str, Vec<u8>)> = Vec::new();
    let header = b"CURP,CALLE,MONTO\n".to_vec();
    let with = |rows: &[u8]| [header.clone(), rows.to_vec()].concat();
    v.push(("empty", Vec::new()));
    v.push(("only a newline", b"\n".to_vec()));
    v.push(("header only", header.clone()));
    v.push(("BOM only", b"\xEF\xBB\xBF".to_vec()));
    v.push(("ragged row", with(b"A,AV. X,1.00\nB,AV. Y\n")));
    v.push(("extra field", with(b"A,AV. X,1.00,EXTRA\n")));
    v.push(("unterminated quote", with(b"A,\"AV. X,1.00\n")));
    v.push(("quote in the middle", with(b"A,AV\" X,1.00\n")));
    v.push(("invalid UTF-8", with(b"A,AV\xFF X,1.00\n")));
    v.push(("invalid UTF-8 in header", b"CU\xC3RP,CALLE\nA,B\n".to_vec()));
    v.push(("embedded NUL", with(b"A\0B,AV.\0 X,1.00\n")));
    v.push((
        "CR line ends",
        b"CURP,CALLE,MONTO\rA,AV. X,1.00\rB,CALLE Y,2.00\r".to_vec(),
    ));
    v.push(("empty identity", with(b",AV. X,1.00\n")));
    v.push(("whitespace identity", with(b"   ,AV. X,1.00\n")));
    v.push(("many columns", {
        let mut h = (0..5000)
            .map(|i| format!("C{i}"))
            .collect::<Vec<_>>()
            .join(",");
        h.push_str(",CURP,CALLE,MONTO\n");
        let mut r = vec!["x"; 5000].join(",");
        r.push_str(",A,AV. X,1.00\n");
        [h.into_bytes(), r.into_bytes()].concat()
    }));
    v.push(("huge field", {
        let mut r = b"A,AV. ".to_vec();
        r.extend(std::iter::repeat_n(b'X', 8 << 20));
        r.extend(b",1.00\n");
        with(&r)
    }));
    v.push(("huge token run", {
        let mut r = b"A,".to_vec();
        for _ in 0..200_000 {
            r.extend(b"AV. ");
        }
        r.extend(b",1.00\n");
        with(&r)
    }));
    v.push((
        "numbers at the edge",
        with(b"A,AV. X,99999999999999999999999.99\nB,AV. Y,-0.00\nC,AV. Z,$,.\n"),
    ));
    v.push(("duplicate header", b"CURP,CURP,CALLE\nA,B,AV. X\n".to_vec()));
    v.push(("no identity column", b"NAME,CALLE\nA,AV. X\n".to_vec()));
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus")).unwrap() {
        let path = entry.unwrap().path();
        let name: &'static str = Box::leak(
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
                .into_boxed_str(),
        );
        v.push((name, std::fs::read(&path).unwrap()));
    }
    v
}

#[test]
fn hostile_input_is_answered_or_refused_cleanly() {
    for (name, input) in cases() {
        let result = std::panic::catch_unwind(|| run(&input));
        let (v, i) = result.unwrap_or_else(|_| panic!("{name}: panicked"));
        for msg in [&v, &i].into_iter().flatten() {
            assert!(!msg.is_empty(), "{name}: empty error message");
            assert!(
                msg.len() < 2000,
                "{name}: error message of {} bytes",
                msg.len()
            );
        }
    }
}

/// A quoted field still open where the file ends means the file was cut
/// short: both readers refuse it, naming the line the record starts on.
#[test]
fn regression_an_unterminated_quote_at_the_end_is_refused() {
    let (v, i) = run(b"CURP,CALLE,MONTO\nA,AV. X,1.00\nB,\"AV. Y,2.00\n");
    for msg in [v.expect("verify refuses"), i.expect("issue refuses")] {
        assert!(
            msg.contains("line 3") && msg.contains("still open"),
            "{msg}"
        );
    }
    // A closed quote at the end is fine.
    let (v, i) = run(b"CURP,CALLE,MONTO\nA,AV. X,1.00\nB,\"AV. Y\",2.00");
    assert_eq!((v, i), (None, None));
}

#[test]
fn errors_say_where() {
    let (v, i) = run(b"CURP,CALLE,MONTO\nA,AV. X,1.00\nB,AV. Y\n");
    for msg in [v.unwrap(), i.unwrap()] {
        assert!(msg.contains("row 2") && msg.contains("line 3"), "{msg}");
    }
    let (v, _) = run(b"CURP,CALLE,MONTO\nA,AV. X,1.00\nB,AV\xFF Y,2.00\n");
    let msg = v.unwrap();
    assert!(
        msg.contains("row 2") && msg.contains("column CALLE") && msg.contains("UTF-8"),
        "{msg}"
    );
    let (v, i) = run(b"");
    assert!(v.unwrap().contains("empty") && i.unwrap().contains("empty"));
    let (v, _) = run(b"NAME,CALLE\nA,AV. X\n");
    assert!(v.unwrap().contains("identity column \"CURP\""));
}

/// Found by the `leak_reader` fuzz target: two fields that are each invalid
/// UTF-8 (0xDA, then 0xB8) join into a valid character, and slicing the row
/// at the field boundary panicked.
#[test]
fn regression_invalid_utf8_split_across_fields() {
    let input = b"CURP,CALLE,MONTO\r\n\xda,\"\xb8\"\t\x00. X\",\",.200\"\r\n";
    let (v, i) = run(input);
    for msg in [v.unwrap(), i.unwrap()] {
        assert!(
            msg.contains("UTF-8") && msg.contains("column CURP"),
            "{msg}"
        );
    }
    let (v, _) = run(b"CURP,CALLE\nA\xda,\xb8B\n");
    assert!(v.unwrap().contains("UTF-8"));
}

#[test]
fn rows_without_identity_are_counted_not_used() {
    let a = verify_csv(
        &detector(),
        &b"CURP,CALLE\n,AV. X\n  ,PRIV. Y\nA,AV. Z\n"[..],
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(
        (a.rows_read, a.rows_without_identity, a.rows_used),
        (3, 2, 1)
    );
}

/// Issuance splits records itself to copy their bytes; `verify_csv` still
/// reads through `csv::Reader`. Their errors must name the same row, line
/// and column, multi-line fields and every line end included.
#[test]
fn issue_and_verify_place_errors_alike() {
    let cases: [&[u8]; 8] = [
        b"CURP,CALLE,MONTO\nA,\"AV.\nX\",1.00\nB,\"AV.\n\nY\"\n",
        b"CURP,CALLE,MONTO\r\nA,\"AV.\r\nX\",1.00\r\nB,AV. Y\r\n",
        b"CURP,CALLE,MONTO\rA,AV. X,1.00\rB,AV. Y,2.00,3\r",
        b"CURP,CALLE,MONTO\n\n\nA,AV. X,1.00\n\nB,AV. Y\n",
        b"CURP,CALLE,MONTO\nA,\"AV.\nX\",1.00\nB,\"AV\xFF\nY\",2.00\n",
        b"\xEF\xBB\xBFCURP,CALLE,MONTO\r\nA,AV. X,1.00\r\nB\xda,\"\xb8\",2.00\r\n",
        b"CURP,CALLE,MONTO\nA,AV. X,\"1.\n00\"\nB,AV. Y,\"2.00\xC3\"\n",
        b"CURP,CALLE,MONTO\nA,AV. X,1.00\nB,\"AV. Y,2.00\n",
    ];
    for input in cases {
        let (v, i) = run(input);
        assert!(i.is_some(), "{input:?}: issued without error");
        assert_eq!(v, i, "{input:?}");
    }
}
