//! Scheme v1, frozen: the committed fixture in `tests/fixtures/scheme-v1`
//! (a key, a state whose log issued three copies of a 300-row roll, the
//! copies, a leak) must verify, and be reproduced byte for byte, by every
//! later build. If a test here fails, a change altered what copies already
//! in the field hold: that needs a new scheme version (docs/design.md,
//! "Scheme versions"), never an edit of the fixture.

use std::fs::File;
use std::path::{Path, PathBuf};

mod common;

use common::wm;
use watermark_app::State;
use watermark_core::{Embedder, MasterKey, Policy, Recipient, SCHEME_VERSION};
use watermark_formats::reexport::arrow_array::{cast::AsArray, Array as _, RecordBatch};
use watermark_formats::reexport::arrow_ipc::reader::{FileReader, StreamReader};
use watermark_formats::reexport::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use watermark_formats::{issue_csv, make_canaries};
use watermark_log::Entry;

const RECIPIENTS: [&str; 3] = ["PAN", "PRI", "MORENA"];

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/scheme-v1")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// The fixture's state, copied where it may be written, with the modes git
/// does not keep: secrets 0600, directories 0700.
fn state_copy(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let state = dir.join("state");
    copy_dir(&fixture().join("state"), &state);
    let private = |p: &Path, mode: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    for d in ["", "log", "policies", "canaries"] {
        private(&state.join(d), 0o700);
    }
    private(&state.join("master.key"), 0o600);
    private(&state.join("log/signing.key"), 0o600);
    for e in std::fs::read_dir(state.join("canaries")).unwrap() {
        private(&e.unwrap().path(), 0o600);
    }
    state
}

fn blake3_hex(data: &[u8]) -> String {
    blake3::hash(data).to_hex().to_string()
}

/// The recorded copies: recipient, slot, BLAKE3, canary list digest.
fn recorded(state: &State) -> Vec<(String, u32, String, String)> {
    state
        .log()
        .unwrap()
        .issues()
        .map(|(_, e)| {
            (
                e.recipient.clone(),
                e.slot,
                e.output_blake3.clone(),
                e.canary_list_blake3.clone(),
            )
        })
        .collect()
}

#[test]
fn the_v1_fixture_verifies_and_is_reproduced_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let state_dir = state_copy(dir.path());
    let f = fixture();
    wm().args(["log", "verify", "--state"])
        .arg(&state_dir)
        .assert()
        .success();
    // Every entry says its scheme.
    let out = wm()
        .args(["log", "show", "--json", "--state"])
        .arg(&state_dir)
        .assert()
        .success();
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    for e in doc["entries"].as_array().unwrap() {
        assert_eq!(e["entry"]["scheme"], 1, "{e}");
    }
    assert_eq!(SCHEME_VERSION, 1);

    let state = State::open(&state_dir).unwrap();
    let recorded = recorded(&state);
    assert_eq!(recorded.len(), 3);
    for (id, _, blake3, _) in &recorded {
        let copy = std::fs::read(f.join(format!("copies/{id}.csv"))).unwrap();
        assert_eq!(&blake3_hex(&copy), blake3, "the committed copy of {id}");
        wm().args(["log", "verify-receipt", "--state"])
            .arg(&state_dir)
            .arg(f.join(format!("copies/{id}.receipt")))
            .assert()
            .success();
    }

    // The CLI issues the same three copies again, byte for byte: and as
    // they are the copies the log holds, it logs nothing new.
    let out_dir = dir.path().join("again");
    common::issue(
        &state_dir,
        &f.join("policy.toml"),
        &f.join("roll.csv"),
        &RECIPIENTS,
        &out_dir,
    )
    .assert()
    .success();
    for id in RECIPIENTS {
        assert_eq!(
            std::fs::read(out_dir.join(format!("{id}.csv"))).unwrap(),
            std::fs::read(f.join(format!("copies/{id}.csv"))).unwrap(),
            "{id}'s copy"
        );
    }
    assert_eq!(state.log().unwrap().size(), 3);

    // The leak names PRI, from the same marked positions as when frozen.
    let out = wm()
        .args(["verify", "--json", "--state"])
        .arg(&state_dir)
        .arg(f.join("leaks/PRI-40-rows.csv"))
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let accused: Vec<&str> = report["accused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["recipient"].as_str().unwrap())
        .collect();
    assert_eq!(accused, ["PRI"]);
    assert_eq!(report["rows_read"], 40);
    assert_eq!(report["positions_read"], 148);
    assert_eq!(report["canaries_known"], 10);

    // Parquet and Arrow copies hold exactly the CSV copies' cells, canary
    // rows included at the same places. (Their bytes are not pinned: the
    // writer's version is in the file's metadata.)
    for (format, ext) in [
        ("parquet", "parquet"),
        ("arrow", "arrow"),
        ("arrow-stream", "arrows"),
    ] {
        let out_dir = dir.path().join(format);
        common::issue(
            &state_dir,
            &f.join("policy.toml"),
            &f.join("roll.csv"),
            &RECIPIENTS,
            &out_dir,
        )
        .args(["--format", format])
        .assert()
        .success();
        for id in RECIPIENTS {
            let cells = cells_of(&out_dir.join(format!("{id}.{ext}")));
            assert_eq!(
                cells,
                csv_cells(&f.join(format!("copies/{id}.csv"))),
                "{id}'s {format} copy"
            );
        }
    }
}

/// Header and rows of a CSV file.
fn csv_cells(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap();
    r.records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// Header and rows of a Parquet or Arrow IPC file of text columns.
fn cells_of(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    let batches: Vec<RecordBatch> = if bytes.starts_with(b"PAR1") {
        ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
            .unwrap()
            .build()
            .unwrap()
            .map(Result::unwrap)
            .collect()
    } else if bytes.starts_with(b"ARROW1") {
        FileReader::try_new(File::open(path).unwrap(), None)
            .unwrap()
            .map(Result::unwrap)
            .collect()
    } else {
        StreamReader::try_new(File::open(path).unwrap(), None)
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let schema = batches[0].schema();
    let mut out = vec![schema.fields().iter().map(|f| f.name().clone()).collect()];
    for b in &batches {
        for row in 0..b.num_rows() {
            out.push(
                b.columns()
                    .iter()
                    .map(|c| {
                        let s = c.as_string::<i32>();
                        if s.is_null(row) {
                            String::new()
                        } else {
                            s.value(row).to_owned()
                        }
                    })
                    .collect(),
            );
        }
    }
    out
}

/// The fixture's master key bytes (the key is a test key, committed).
fn key_bytes() -> [u8; 32] {
    let text = std::fs::read_to_string(fixture().join("state/master.key")).unwrap();
    let hex = text
        .lines()
        .find_map(|l| l.strip_prefix("secret:"))
        .unwrap()
        .trim();
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

/// PRI's copy of the fixture's roll under `key` and `policy`, made by the
/// library with its canaries: what the known answers are of.
fn copy_for_pri(key: &MasterKey, policy: &Policy) -> Vec<u8> {
    let roll = fixture().join("roll.csv");
    let input = std::fs::read(&roll).unwrap();
    let list = make_canaries(
        key,
        policy,
        &blake3_hex(&input),
        || File::open(&roll),
        &mut |_, _| {},
    )
    .unwrap();
    let embedder = Embedder::builder()
        .key(key)
        .policy(policy)
        .recipient(Recipient::new("PRI", 1).unwrap())
        .canaries(list)
        .build()
        .unwrap();
    let mut s = issue_csv(&embedder, input.as_slice(), vec![Vec::new()], &mut |_| {}).unwrap();
    s.outputs.remove(0)
}

/// A changed byte of the fixture's key, policy or copy changes the known
/// answers: the key's copy, the policy's acceptance or digest, the copy's
/// BLAKE3.
#[test]
fn any_changed_byte_of_the_fixtures_key_policy_or_copy_changes_the_known_answers() {
    let dir = tempfile::tempdir().unwrap();
    let state = State::open(&state_copy(dir.path())).unwrap();
    let recorded = recorded(&state);
    let (_, _, pri_blake3, _) = recorded.iter().find(|r| r.0 == "PRI").unwrap();
    let digest = state
        .log()
        .unwrap()
        .issues()
        .next()
        .unwrap()
        .1
        .policy_digest
        .clone();
    let policy = state.policy(&digest).unwrap();

    // The library reproduces PRI's logged copy from the key bytes.
    let bytes = key_bytes();
    assert_eq!(
        &blake3_hex(&copy_for_pri(&MasterKey::from_bytes(bytes), &policy)),
        pri_blake3
    );
    // Each key byte changed: another key id, another copy.
    for i in 0..32 {
        let mut other = bytes;
        other[i] ^= 1 << (i % 8);
        let key = MasterKey::from_bytes(other);
        assert_ne!(key.id(), MasterKey::from_bytes(bytes).id(), "key byte {i}");
        assert_ne!(
            &blake3_hex(&copy_for_pri(&key, &policy)),
            pri_blake3,
            "key byte {i}"
        );
    }
    // Each policy byte changed: refused, or another digest (which no
    // logged copy names).
    let stored = state.dir().join(format!("policies/{digest}.toml"));
    let text = std::fs::read(&stored).unwrap();
    for i in 0..text.len() {
        let mut bad = text.clone();
        bad[i] ^= 0x01;
        std::fs::write(&stored, &bad).unwrap();
        assert!(state.policy(&digest).is_err(), "policy byte {i}");
        if let Ok(p) = std::str::from_utf8(&bad)
            .map_err(|_| ())
            .and_then(|t| Policy::from_toml(t).map_err(|_| ()))
        {
            assert!(
                p.digest() != digest || p.to_toml().as_bytes() != bad.as_slice(),
                "policy byte {i}"
            );
        }
    }
    std::fs::write(&stored, &text).unwrap();
    // Each copy byte changed: not the logged copy.
    let copy = std::fs::read(fixture().join("copies/PRI.csv")).unwrap();
    for i in 0..copy.len() {
        let mut bad = copy.clone();
        bad[i] ^= 0x01;
        assert_ne!(&blake3_hex(&bad), pri_blake3, "copy byte {i}");
    }
    // Entries carry the scheme; receipts carry the entries.
    let receipt = std::fs::read_to_string(fixture().join("copies/PRI.receipt")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&receipt).unwrap();
    match Entry::from_canonical(doc["entry"].as_str().unwrap()).unwrap() {
        Entry::Issue(e) => assert_eq!(e.scheme, 1),
        other => panic!("{other:?}"),
    }
}

/// The job portal's and the staff roster's policies as `policy suggest`
/// proposed them (comments left out): the phone carrier, the job and degree
/// dictionaries, and canaries whose e-mail, phone and codes are built by the
/// table's rules.
const JOB_SEEKERS_POLICY: &str = r#"version = 1
identity = ["CURP"]
threshold = 0.000000001
[code]
cutoff = 0.15
active_fraction = 1.0
flip_rate = 0.1
[[carrier]]
column = "TELEFONO"
kind = "phone"
[[carrier]]
column = "TITULO"
kind = "variants"
dictionary = "mx-degrees"
[[carrier]]
column = "PUESTO_SOLICITADO"
kind = "variants"
dictionary = "mx-jobs"
[[carrier]]
column = "EXPERIENCIA"
kind = "variants"
dictionary = "mx-jobs"
[[carrier]]
column = "ULTIMO_SALARIO"
kind = "numeric"
decimals = 2
[canaries]
rate = 0.01
given_names = "NOMBRE"
first_surname = "APELLIDO_PATERNO"
second_surname = "APELLIDO_MATERNO"
sex = "SEXO"
birth_date = "FECHA_NACIMIENTO"
curp = "CURP"
email = "CORREO"
phone = "TELEFONO"
"#;
const STAFF_ROSTER_POLICY: &str = r#"version = 1
identity = ["CURP"]
threshold = 0.000000001
[code]
cutoff = 0.15
active_fraction = 1.0
flip_rate = 0.1
[[carrier]]
column = "PUESTO"
kind = "variants"
dictionary = "mx-jobs"
[[carrier]]
column = "SALARIO_MENSUAL"
kind = "numeric"
decimals = 2
[[carrier]]
column = "TELEFONO"
kind = "phone"
[canaries]
rate = 0.01
given_names = "NOMBRE"
first_surname = "APELLIDO_PATERNO"
second_surname = "APELLIDO_MATERNO"
curp = "CURP"
email = "CORREO"
phone = "TELEFONO"
codes = ["MATRICULA", "NUM_CONTRATO"]
"#;

/// Copies of those tables are scheme v1 too: 2,000 generated rows of each,
/// issued under a fixed key to three recipients, give these copies and this
/// canary list, byte for byte (their BLAKE3). The generators' output is
/// pinned by their own tests, so a failure here is a change to what such
/// copies hold: a new scheme version, never a new pin.
#[test]
fn job_portal_and_staff_roster_copies_are_pinned() {
    use watermark_synth::Kind;
    let cases = [
        (Kind::JobSeekers, JOB_SEEKERS_POLICY, JS_WANT),
        (Kind::StaffRoster, STAFF_ROSTER_POLICY, ST_WANT),
    ];
    for (kind, policy, want) in cases {
        let mut roll = Vec::new();
        watermark_synth::write_csv(kind, 5, 2_000, &mut roll).unwrap();
        let policy = Policy::from_toml(policy).unwrap();
        let key = MasterKey::from_bytes([0x5a; 32]);
        let list = make_canaries(
            &key,
            &policy,
            &blake3_hex(&roll),
            || Ok(roll.as_slice()),
            &mut |_, _| {},
        )
        .unwrap();
        assert!(list.len() > 20, "{kind:?}: {} canaries", list.len());
        let mut got = vec![blake3_hex(list.to_json().as_bytes())];
        let embedder = Embedder::builder()
            .key(&key)
            .policy(&policy)
            .recipients(
                RECIPIENTS
                    .iter()
                    .enumerate()
                    .map(|(slot, id)| Recipient::new(*id, slot as u32).unwrap()),
            )
            .canaries(list)
            .build()
            .unwrap();
        let issued =
            issue_csv(&embedder, roll.as_slice(), vec![Vec::new(); 3], &mut |_| {}).unwrap();
        got.extend(issued.outputs.iter().map(|c| blake3_hex(c)));
        assert_eq!(
            got, want,
            "{kind:?}: canary list, then PAN's, PRI's and MORENA's copy"
        );
    }
}

const JS_WANT: [&str; 4] = [
    "b3d71cee99d1adc898bd7c6f1d1fb7ae07814d17b08e9617bf2421d9c9530877",
    "6bdb1c01ad18bf27f6cfcec736718ea8a27fc66e167f81e2db7a69aae81e73aa",
    "a3be5e129bcbaea43ee296c92878a0ad342543d28804f2ecf3baba2fa3332ba4",
    "05f30d9864bbab18f779c76150cdb72eaa3541d395db5a6f72c8c1945acab3d8",
];
const ST_WANT: [&str; 4] = [
    "deef94b7e425b491856fdc606d83de8b583710ecb1c824d511eec649f08ee198",
    "ff5d749eaa08e40922200fe215223359e5515f66727f13159d0fd2190b4e24a6",
    "1147ddf530f38eecd2b55c176759d80a608c112abcc8227a0374f523aa93e612",
    "40f93bd6f093273b40073dedcfef43386a8e1b0400d42f376383243eb4889bf6",
];
