use std::io::Write as _;

use super::*;
use watermark_core::CodeParams;
use watermark_log::CodeRecord;

struct Setup {
    _dir: tempfile::TempDir,
    state: State,
    out: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let state = State::init(&dir.path().join("state")).unwrap();
    let out = dir.path().join("out");
    Setup {
        _dir: dir,
        state,
        out,
    }
}

fn recipients() -> Vec<Recipient> {
    vec![
        Recipient::new("PAN", 0).unwrap(),
        Recipient::new("PRI", 1).unwrap(),
    ]
}

fn entry(r: &Recipient, content: &[u8]) -> IssueEntry {
    IssueEntry {
        scheme: watermark_core::SCHEME_VERSION,
        time: crate::now_rfc3339(),
        recipient: r.id.clone(),
        slot: r.slot,
        input_blake3: "1".repeat(64),
        input_rows: 1,
        output_blake3: blake3::hash(content).to_hex().to_string(),
        output_bytes: content.len() as u64,
        output_rows: 1,
        canaries: 0,
        canary_list_blake3: String::new(),
        slots_marked: 1,
        key_id: "0123456789abcdef".into(),
        policy_digest: "5".repeat(32),
        code: CodeRecord::from(&CodeParams::default()),
        tool: "test".into(),
    }
}

/// Writes each recipient's content into its temporary file.
fn write_copies(temps: Vec<NamedTempFile>, rs: &[Recipient]) -> Vec<(NamedTempFile, IssueEntry)> {
    temps
        .into_iter()
        .zip(rs)
        .map(|(mut t, r)| {
            let content = format!("copy for {}\n", r.id);
            t.write_all(content.as_bytes()).unwrap();
            (t, entry(r, content.as_bytes()))
        })
        .collect()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn commit_logs_the_copies_then_places_them_with_receipts() {
    let s = setup();
    let lock = s.state.lock().unwrap();
    assert!(s.state.recover(&lock).unwrap().is_empty());
    let rs = recipients();
    let (pending, temps) = s.state.begin_issue(&lock, &s.out, &rs, false).unwrap();
    assert!(s.state.has_interrupted_issue());
    let issued = pending.commit(write_copies(temps, &rs)).unwrap();
    assert!(!s.state.has_interrupted_issue());
    assert_eq!(
        names(&s.out),
        ["PAN.csv", "PAN.receipt", "PRI.csv", "PRI.receipt"]
    );
    let log = s.state.log().unwrap();
    assert_eq!(log.size(), 2);
    for (i, c) in issued.iter().enumerate() {
        assert_eq!(c.index, i as u64);
        let text = fs::read_to_string(&c.receipt_path).unwrap();
        let v = Receipt::from_json(&text)
            .unwrap()
            .verify(log.verifier())
            .unwrap();
        let Entry::Issue(e) = v.entry else { panic!() };
        assert_eq!(
            e.output_blake3,
            blake3::hash(&fs::read(&c.path).unwrap())
                .to_hex()
                .to_string()
        );
    }
    // An abandoned issuance leaves nothing.
    let more = [Recipient::new("PT", 2).unwrap()];
    let (pending, temps) = s.state.begin_issue(&lock, &s.out, &more, false).unwrap();
    drop(temps);
    drop(pending);
    assert!(!s.state.has_interrupted_issue());
    assert_eq!(names(&s.out).len(), 4);
    assert_eq!(s.state.log().unwrap().size(), 2);
}

/// Stops an issuance at the point where its entries are logged (as a kill
/// right after the append would), leaving the journal and temporary files.
fn logged_but_not_placed(s: &Setup, lock: &StateLock) -> Vec<PathBuf> {
    let rs = recipients();
    let (pending, temps) = s.state.begin_issue(lock, &s.out, &rs, false).unwrap();
    let copies = write_copies(temps, &rs);
    let first = s.state.log().unwrap().size();
    let mut journal = Journal {
        out_dir: pending.out_dir().to_path_buf(),
        recipients: rs.iter().map(|r| r.id.clone()).collect(),
        replace: false,
        copies: Vec::new(),
    };
    let mut entries = Vec::new();
    let mut paths = Vec::new();
    for (i, (t, e)) in copies.into_iter().enumerate() {
        let temp = t.into_temp_path().keep().unwrap();
        journal.copies.push(JournalCopy {
            index: first + i as u64,
            recipient: e.recipient.clone(),
            temp: temp.clone(),
            copy: copy_path(pending.out_dir(), &e.recipient),
            receipt: receipt_path(pending.out_dir(), &e.recipient),
            blake3: e.output_blake3.clone(),
        });
        paths.push(temp);
        entries.push(Entry::Issue(e));
    }
    write_journal(&s.state, &journal).unwrap();
    std::mem::forget(pending);
    s.state.append(lock, &entries).unwrap();
    paths
}

#[test]
fn recovery_completes_copies_that_were_logged() {
    let s = setup();
    let lock = s.state.lock().unwrap();
    let temps = logged_but_not_placed(&s, &lock);
    assert_eq!(names(&s.out).len(), 2, "{:?}", names(&s.out));
    let rec = s.state.recover(&lock).unwrap();
    assert_eq!(rec.completed.len(), 2);
    assert!(rec.undone.is_empty() && rec.lost.is_empty());
    assert_eq!(
        names(&s.out),
        ["PAN.csv", "PAN.receipt", "PRI.csv", "PRI.receipt"]
    );
    assert!(temps.iter().all(|t| !t.exists()));
    assert!(!s.state.has_interrupted_issue());
    // Recovering again finds nothing.
    assert!(s.state.recover(&lock).unwrap().is_empty());
}

#[test]
fn recovery_undoes_copies_that_were_not_logged() {
    let s = setup();
    let lock = s.state.lock().unwrap();
    let temps = logged_but_not_placed(&s, &lock);
    // As if the kill came before the checkpoints: only the entries written.
    let log_dir = s.state.dir().join(issuance_log::LOG_DIR);
    let log = s.state.log().unwrap();
    let notes: String = (0..=0).map(|k| log.checkpoint_at(k).unwrap()).collect();
    fs::write(log_dir.join(issuance_log::CHECKPOINTS_FILE), notes).unwrap();
    // The signed intent such a killed append leaves.
    let text: String = (0..2)
        .map(|i| format!("{}\n", log.entry_text(i).unwrap()))
        .collect();
    let signer = s.state.log_signer().unwrap();
    issuance_log::intent::write(&log_dir, &signer, 0, 2, &text).unwrap();
    let rec = s.state.recover(&lock).unwrap();
    let removed = rec.removed_from_log.clone().unwrap();
    assert_eq!(removed.entry_lines, 2);
    assert_eq!(rec.undone, ["PAN", "PRI"]);
    assert!(rec.completed.is_empty());
    assert!(names(&s.out).is_empty(), "{:?}", names(&s.out));
    assert!(temps.iter().all(|t| !t.exists()));
    assert_eq!(s.state.log().unwrap().size(), 0);
    assert!(s.state.log().unwrap().uncommitted().is_none());
}

#[test]
fn recovery_reports_lost_copies_and_refuses_to_clobber() {
    let s = setup();
    let lock = s.state.lock().unwrap();
    let temps = logged_but_not_placed(&s, &lock);
    fs::remove_file(&temps[0]).unwrap();
    fs::write(s.out.join("PRI.csv"), "something else\n").unwrap();
    let err = s.state.recover(&lock).unwrap_err().to_string();
    assert!(
        err.contains("PRI.csv") && err.contains("move away"),
        "{err}"
    );
    assert!(s.state.has_interrupted_issue(), "the journal stays");
    fs::remove_file(s.out.join("PRI.csv")).unwrap();
    let rec = s.state.recover(&lock).unwrap();
    assert_eq!(rec.lost.len(), 1);
    assert_eq!(rec.lost[0].recipient, "PAN");
    assert_eq!(rec.completed.len(), 1);
    assert_eq!(names(&s.out), ["PRI.csv", "PRI.receipt"]);
}

#[test]
fn recovery_removes_copies_of_a_run_killed_while_writing() {
    let s = setup();
    let lock = s.state.lock().unwrap();
    let rs = recipients();
    let (pending, temps) = s.state.begin_issue(&lock, &s.out, &rs, false).unwrap();
    for t in temps {
        t.into_temp_path().keep().unwrap();
    }
    std::mem::forget(pending);
    assert_eq!(names(&s.out).len(), 2);
    let rec = s.state.recover(&lock).unwrap();
    assert_eq!(rec.partials_removed, 2);
    assert!(names(&s.out).is_empty());
    assert!(!s.state.has_interrupted_issue());
}

#[test]
fn a_damaged_journal_is_refused() {
    let s = setup();
    let lock = s.state.lock().unwrap();
    fs::write(s.state.dir().join(JOURNAL_FILE), "{not json").unwrap();
    let err = s.state.recover(&lock).unwrap_err().to_string();
    assert!(err.contains("issue.journal"), "{err}");
    assert!(s
        .state
        .begin_issue(&lock, &s.out, &recipients(), false)
        .is_err());
}

#[test]
fn copies_in_other_formats_get_their_extension_and_their_partials_are_recovered() {
    let s = setup();
    let lock = s.state.lock().unwrap();
    let rs = recipients();
    assert!(s
        .state
        .begin_issue_as(&lock, &s.out, &rs, false, "xlsx")
        .is_err());
    let (pending, temps) = s
        .state
        .begin_issue_as(&lock, &s.out, &rs, false, "parquet")
        .unwrap();
    assert!(temps.iter().all(|t| t
        .path()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .contains(".parquet.")));
    let issued = pending.commit(write_copies(temps, &rs)).unwrap();
    assert_eq!(
        names(&s.out),
        ["PAN.parquet", "PAN.receipt", "PRI.parquet", "PRI.receipt"]
    );
    assert_eq!(
        issued[0].path,
        copy_path_as(&s.out.canonicalize().unwrap(), "PAN", "parquet")
    );
    // A run killed while writing Arrow IPC stream copies leaves only
    // temporary files, which the next run removes.
    let (pending, temps) = s
        .state
        .begin_issue_as(&lock, &s.out, &rs, true, "arrows")
        .unwrap();
    for t in temps {
        t.into_temp_path().keep().unwrap();
    }
    std::mem::forget(pending);
    assert_eq!(names(&s.out).len(), 6);
    let rec = s.state.recover(&lock).unwrap();
    assert_eq!(rec.partials_removed, 2);
    assert_eq!(names(&s.out).len(), 4);
}

/// Files beside the state and the output directory that a journal must
/// never reach: `victim/file` and `victim/authorized_keys`.
fn victims(s: &Setup) -> (PathBuf, PathBuf) {
    let dir = s._dir.path().join("victim");
    fs::create_dir_all(&dir).unwrap();
    let file = dir.join("file");
    let keys = dir.join("authorized_keys");
    fs::write(&file, "precious\n").unwrap();
    fs::write(&keys, "ssh-ed25519 AAAA precious\n").unwrap();
    (file, keys)
}

fn journal_json(s: &Setup) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(s.state.dir().join(JOURNAL_FILE)).unwrap()).unwrap()
}

fn write_journal_json(s: &Setup, j: &serde_json::Value) {
    fs::write(
        s.state.dir().join(JOURNAL_FILE),
        serde_json::to_string_pretty(j).unwrap(),
    )
    .unwrap();
}

/// Recovery from `journal` must fail naming the journal and `problem`, and
/// leave the journal, the output directory and the victims as they were.
fn assert_refused(s: &Setup, lock: &StateLock, problem: &str, victims: &[&Path]) {
    let journal = fs::read(s.state.dir().join(JOURNAL_FILE)).unwrap();
    let out_before = names(&s.out);
    let err = s.state.recover(lock).unwrap_err().to_string();
    assert!(
        err.contains("issue.journal") && err.contains(problem),
        "{problem}: {err}"
    );
    assert_eq!(names(&s.out), out_before, "{problem}: {err}");
    assert_eq!(
        fs::read(s.state.dir().join(JOURNAL_FILE)).unwrap(),
        journal,
        "the journal stays"
    );
    for v in victims {
        assert!(v.exists(), "{problem}: {} was removed", v.display());
        assert!(
            fs::read_to_string(v).unwrap().contains("precious"),
            "{problem}: {} was overwritten",
            v.display()
        );
    }
}

/// The attack a security review found: a crafted journal made the next
/// `watermark issue` delete a file (the "temporary file" of a copy whose
/// entry is not logged) and overwrite another (the "receipt" of a logged
/// copy already in place).
#[test]
fn regression_a_crafted_journal_deletes_or_overwrites_nothing() {
    let s = setup();
    let lock = s.state.lock().unwrap();
    let rs = recipients();
    let (pending, temps) = s.state.begin_issue(&lock, &s.out, &rs, false).unwrap();
    let issued = pending.commit(write_copies(temps, &rs)).unwrap();
    let (file, keys) = victims(&s);
    let out = s.out.canonicalize().unwrap();
    let pan = &issued[0];
    let pan_blake3 = blake3::hash(&fs::read(&pan.path).unwrap())
        .to_hex()
        .to_string();

    // A copy whose entry is not logged: its "temporary file" is removed.
    write_journal_json(
        &s,
        &serde_json::json!({
            "out_dir": out,
            "recipients": ["PAN"],
            "replace": false,
            "copies": [{
                "index": 99,
                "recipient": "PAN",
                "temp": file,
                "copy": copy_path(&out, "PAN"),
                "receipt": receipt_path(&out, "PAN"),
                "blake3": "0".repeat(64),
            }],
        }),
    );
    assert_refused(&s, &lock, "temporary file", &[&file, &keys]);

    // A logged copy already in place: its "receipt" is (re)written.
    write_journal_json(
        &s,
        &serde_json::json!({
            "out_dir": out,
            "recipients": ["PAN"],
            "replace": false,
            "copies": [{
                "index": 0,
                "recipient": "PAN",
                "temp": out.join(".PAN.csv.abcdef.partial"),
                "copy": copy_path(&out, "PAN"),
                "receipt": keys,
                "blake3": pan_blake3,
            }],
        }),
    );
    assert_refused(&s, &lock, "receipt", &[&file, &keys]);

    // Once the journal is gone, issuing goes on as before.
    fs::remove_file(s.state.dir().join(JOURNAL_FILE)).unwrap();
    assert!(s.state.recover(&lock).unwrap().is_empty());
}

/// Every path a journal names must be the one `watermark issue` would have
/// written for its recipient; one that is not makes recovery refuse the
/// whole journal before it touches any file.
#[test]
fn recovery_refuses_a_journal_with_any_path_that_issue_would_not_write() {
    type Change = Box<dyn Fn(&mut serde_json::Value, &Path, &Path)>;
    let s = setup();
    let lock = s.state.lock().unwrap();
    let temps = logged_but_not_placed(&s, &lock);
    let (file, keys) = victims(&s);
    let victim_dir = file.parent().unwrap().to_path_buf();
    let original = journal_json(&s);
    let out = s.out.canonicalize().unwrap();
    fn set(j: &mut serde_json::Value, ptr: &str, v: serde_json::Value) {
        *j.pointer_mut(ptr).unwrap() = v;
    }
    let cases: Vec<(&str, Change)> = vec![
        (
            "not a recipient id",
            Box::new(|j, out, _| {
                set(j, "/copies/0/recipient", "../PAN".into());
                set(j, "/copies/0/copy", out.join("../PAN.csv").to_str().into());
                set(
                    j,
                    "/copies/0/receipt",
                    out.join("../PAN.receipt").to_str().into(),
                );
            }),
        ),
        (
            "not a recipient id",
            Box::new(|j, _, _| set(j, "/recipients/1", "../victim/x".into())),
        ),
        (
            "not an absolute path",
            Box::new(|j, _, _| {
                let rel = |p: &serde_json::Value| {
                    let p = PathBuf::from(p.as_str().unwrap());
                    serde_json::Value::from(p.strip_prefix("/").unwrap().to_str().unwrap())
                };
                for c in 0..2 {
                    for f in ["temp", "copy", "receipt"] {
                        let v = rel(&j["copies"][c][f]);
                        j["copies"][c][f] = v;
                    }
                }
                j["out_dir"] = rel(&j["out_dir"]);
            }),
        ),
        (
            "not an absolute path",
            Box::new(|j, out, _| {
                let up = out.join("..").join(out.file_name().unwrap());
                set(j, "/out_dir", up.to_str().into());
                for c in 0..2 {
                    for f in ["temp", "copy", "receipt"] {
                        let name = PathBuf::from(j["copies"][c][f].as_str().unwrap());
                        j["copies"][c][f] = up.join(name.file_name().unwrap()).to_str().into();
                    }
                }
            }),
        ),
        (
            "is to be moved to",
            Box::new(|j, _, victim| {
                set(j, "/copies/0/copy", victim.join("PAN.csv").to_str().into())
            }),
        ),
        (
            "is to be moved to",
            Box::new(|j, out, _| set(j, "/copies/0/copy", out.join("PRI.csv").to_str().into())),
        ),
        (
            "is to be moved to",
            Box::new(|j, out, _| set(j, "/copies/0/copy", out.join("PAN.xlsx").to_str().into())),
        ),
        (
            "receipt",
            Box::new(|j, _, victim| {
                set(
                    j,
                    "/copies/1/receipt",
                    victim.join("PRI.receipt").to_str().into(),
                )
            }),
        ),
        (
            "temporary file",
            Box::new(|j, _, victim| {
                set(
                    j,
                    "/copies/0/temp",
                    victim.join(".PAN.csv.abcdef.partial").to_str().into(),
                )
            }),
        ),
        (
            "temporary file",
            Box::new(|j, out, _| {
                set(
                    j,
                    "/copies/0/temp",
                    out.join(".PRI.csv.abcdef.partial").to_str().into(),
                )
            }),
        ),
        (
            "temporary file",
            Box::new(|j, out, _| {
                set(
                    j,
                    "/copies/0/temp",
                    out.join(".PAN.parquet.abcdef.partial").to_str().into(),
                )
            }),
        ),
        (
            "temporary file",
            Box::new(|j, out, _| {
                set(
                    j,
                    "/copies/0/temp",
                    out.join(".PAN.csv.partial").to_str().into(),
                )
            }),
        ),
        (
            "temporary file",
            Box::new(|j, out, _| {
                set(
                    j,
                    "/copies/1/temp",
                    out.join("sub/../../victim/.PRI.csv.x.partial")
                        .to_str()
                        .into(),
                )
            }),
        ),
    ];
    for (problem, change) in &cases {
        let mut j = original.clone();
        change(&mut j, &out, &victim_dir);
        write_journal_json(&s, &j);
        assert_refused(&s, &lock, problem, &[&file, &keys]);
        assert!(temps.iter().all(|t| t.exists()), "{problem}");
        assert_eq!(s.state.log().unwrap().size(), 2);
    }
    // The journal as `watermark issue` wrote it is recovered.
    write_journal_json(&s, &original);
    let rec = s.state.recover(&lock).unwrap();
    assert_eq!(rec.completed.len(), 2);
    assert_eq!(
        names(&s.out),
        ["PAN.csv", "PAN.receipt", "PRI.csv", "PRI.receipt"]
    );
}

/// A journal recovery would refuse is never written: committing a
/// temporary file that `begin_issue` did not make is refused before
/// anything is logged.
#[test]
fn commit_refuses_copies_that_are_not_the_temporary_files_it_made() {
    let s = setup();
    let lock = s.state.lock().unwrap();
    let rs = recipients();
    let (pending, mut temps) = s.state.begin_issue(&lock, &s.out, &rs, false).unwrap();
    let elsewhere = s._dir.path().join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    temps[0] = tempfile::Builder::new()
        .prefix(".PAN.csv.")
        .suffix(".partial")
        .tempfile_in(&elsewhere)
        .unwrap();
    let err = pending
        .commit(write_copies(temps, &rs))
        .unwrap_err()
        .to_string();
    assert!(err.contains("temporary file"), "{err}");
    assert_eq!(s.state.log().unwrap().size(), 0);
    assert!(!s.state.has_interrupted_issue());
    assert!(names(&s.out).is_empty(), "{:?}", names(&s.out));
}
