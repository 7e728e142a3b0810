use std::io::Write as _;

use super::*;
use crate::issuance_log::CodeRecord;
use crate::policy::CodeParams;

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
        scheme: crate::scheme::SCHEME_VERSION,
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
