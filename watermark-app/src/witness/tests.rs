use super::*;
use crate::state::now_rfc3339;
use watermark_log::tlog::{count_cosignatures, sign_checkpoint, Tree};
use watermark_log::{CodeRecord, Entry, IssueEntry};

const ORIGIN: &str = "registry.example/extracts";

struct TestLog {
    signer: Signer,
    tree: Tree,
}

impl TestLog {
    fn new(n: u8, branch: u8) -> Self {
        let mut tree = Tree::new();
        for i in 0..n {
            tree.push_entry(&[i, if i < 2 { 0 } else { branch }]);
        }
        TestLog {
            signer: Signer::from_seed(ORIGIN, &[7; 32]).unwrap(),
            tree,
        }
    }

    fn checkpoint(&self, size: u64) -> Checkpoint {
        Checkpoint::new(ORIGIN, size, self.tree.root_at(size).unwrap())
    }

    /// An add-checkpoint body for the checkpoint of `size`, from `old`.
    fn body(&self, old: u64, size: u64) -> Vec<u8> {
        AddCheckpoint {
            old_size: old,
            proof: self.tree.consistency_proof(old, size).unwrap(),
            checkpoint: sign_checkpoint(&self.checkpoint(size), &self.signer).unwrap(),
        }
        .to_body()
        .into_bytes()
    }
}

fn refusal(r: std::result::Result<String, AddCheckpointError>) -> Refusal {
    match r {
        Err(AddCheckpointError::Refused(r)) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn new_witness(dir: &Path) -> (Witness, TestLog) {
    let vkey = Witness::init(dir, "witness.example/w1").unwrap();
    let w = Witness::open(dir).unwrap();
    assert_eq!(w.verifier(), vkey);
    let log = TestLog::new(8, 1);
    assert_eq!(w.trust(&log.signer.verifier()).unwrap(), Trusted::Added);
    (w, log)
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_witness_key_is_private_and_never_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("w");
    let vkey = Witness::init(&dir, "witness.example/w1").unwrap();
    assert_eq!(vkey.name(), "witness.example/w1");
    #[cfg(unix)]
    assert_eq!(mode(&dir.join(KEY_FILE)), 0o600);
    assert_eq!(
        read_to_string(&dir.join(PUB_FILE)).unwrap(),
        format!("{}\n", vkey.to_vkey())
    );
    let err = Witness::init(&dir, "witness.example/w1").unwrap_err();
    assert!(err.to_string().contains("refusing to replace"), "{err}");
    assert!(Witness::init(&tmp.path().join("x"), "has space").is_err());
    // The key never shows in Debug output or errors.
    let skey = fs::read_to_string(dir.join(KEY_FILE)).unwrap();
    let secret = skey.trim_end().splitn(5, '+').nth(4).unwrap();
    let w = Witness::open(&dir).unwrap();
    assert!(!format!("{w:?}").contains(secret));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(dir.join(KEY_FILE), fs::Permissions::from_mode(0o644)).unwrap();
        let err = Witness::open(&dir).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
        fs::set_permissions(dir.join(KEY_FILE), fs::Permissions::from_mode(0o600)).unwrap();
    }
    fs::write(dir.join(KEY_FILE), format!("{}x\n", skey.trim_end())).unwrap();
    let err = Witness::open(&dir).unwrap_err().to_string();
    assert!(!err.contains(secret), "{err}");
    assert!(Witness::open(&tmp.path().join("none")).is_err());
}

#[test]
fn a_witness_trusts_one_key_per_log() {
    let tmp = tempfile::tempdir().unwrap();
    let (w, log) = new_witness(tmp.path());
    assert_eq!(w.trust(&log.signer.verifier()).unwrap(), Trusted::Already);
    let other = Signer::from_seed(ORIGIN, &[8; 32]).unwrap().verifier();
    let err = w.trust(&other).unwrap_err().to_string();
    assert!(err.contains("a log has one key"), "{err}");
    let second = Signer::from_seed("other.example/log", &[8; 32]).unwrap();
    assert_eq!(w.trust(&second.verifier()).unwrap(), Trusted::Added);
    assert_eq!(
        w.trusted_logs().unwrap(),
        [log.signer.verifier(), second.verifier()]
    );
}

#[test]
fn a_witness_cosigns_extensions_and_records_them_before_answering() {
    let tmp = tempfile::tempdir().unwrap();
    let (w, log) = new_witness(tmp.path());
    let lines = w.add_checkpoint(&log.body(0, 3), 1_000).unwrap();
    // Recorded before the answer: a fresh open of the directory holds it.
    let again = Witness::open(tmp.path()).unwrap();
    assert_eq!(
        again.latest(&log.signer.verifier()).unwrap(),
        Some(log.checkpoint(3))
    );
    let note = sign_checkpoint(&log.checkpoint(3), &log.signer).unwrap();
    let cosigned = tlog::merge_cosignatures(&note, &w.verifier(), &lines).unwrap();
    assert_eq!(
        count_cosignatures(cosigned.as_bytes(), &[w.verifier()]).unwrap(),
        1
    );
    // The same checkpoint again, then an extension.
    w.add_checkpoint(&log.body(3, 3), 1_001).unwrap();
    w.add_checkpoint(&log.body(3, 8), 1_002).unwrap();
    assert_eq!(
        again.latest(&log.signer.verifier()).unwrap(),
        Some(log.checkpoint(8))
    );
    // What is recorded is the log's signed checkpoint, nothing more.
    let record = fs::read_to_string(w.checkpoint_path(ORIGIN)).unwrap();
    assert_eq!(
        record,
        sign_checkpoint(&log.checkpoint(8), &log.signer).unwrap()
    );
}

#[test]
fn a_witness_refuses_conflicts_forks_rollbacks_and_strangers() {
    let tmp = tempfile::tempdir().unwrap();
    let (w, log) = new_witness(tmp.path());
    w.add_checkpoint(&log.body(0, 5), 1).unwrap();
    // The client's idea of the old size is wrong: 409 with 5.
    let r = refusal(w.add_checkpoint(&log.body(3, 8), 2));
    assert_eq!((r.status(), r.conflict_size()), (409, Some(5)));
    // A rollback.
    assert_eq!(
        refusal(w.add_checkpoint(&log.body(3, 3), 2)).conflict_size(),
        Some(5)
    );
    let mut rollback = log.body(0, 3);
    rollback.splice(0..5, b"old 5".iter().copied());
    assert_eq!(refusal(w.add_checkpoint(&rollback, 2)).status(), 400);
    // A fork: the same key, other entries after the first two.
    let fork = TestLog::new(8, 2);
    let r = refusal(w.add_checkpoint(&fork.body(5, 5), 2));
    assert_eq!(r, Refusal::Fork { size: 5 });
    assert_eq!(refusal(w.add_checkpoint(&fork.body(5, 8), 2)).status(), 422);
    // A log it does not witness.
    let stranger = TestLog {
        signer: Signer::from_seed("stranger.example", &[3; 32]).unwrap(),
        tree: log.tree.clone(),
    };
    let mut body = log.body(0, 1);
    let cp = Checkpoint::new("stranger.example", 1, log.tree.root_at(1).unwrap());
    body.truncate(body.iter().position(|&b| b == b'\n').unwrap() + 2);
    body.extend_from_slice(sign_checkpoint(&cp, &stranger.signer).unwrap().as_bytes());
    assert_eq!(refusal(w.add_checkpoint(&body, 2)).status(), 404);
    // A bad signature, and a bad request.
    let forged = TestLog {
        signer: Signer::from_seed(ORIGIN, &[9; 32]).unwrap(),
        tree: log.tree.clone(),
    };
    assert_eq!(
        refusal(w.add_checkpoint(&forged.body(5, 8), 2)).status(),
        403
    );
    assert_eq!(refusal(w.add_checkpoint(b"old x\n\n", 2)).status(), 400);
    // None of these moved what it holds.
    assert_eq!(
        w.latest(&log.signer.verifier()).unwrap(),
        Some(log.checkpoint(5))
    );
}

#[test]
fn a_witness_that_cannot_record_does_not_cosign() {
    let tmp = tempfile::tempdir().unwrap();
    let (w, log) = new_witness(tmp.path());
    w.add_checkpoint(&log.body(0, 2), 1).unwrap();
    // The record cannot be replaced: a directory stands in its way.
    let path = w.checkpoint_path(ORIGIN);
    fs::remove_file(&path).unwrap();
    fs::create_dir(&path).unwrap();
    fs::write(path.join("x"), "").unwrap();
    let err = w.add_checkpoint(&log.body(0, 5), 2).unwrap_err();
    assert!(matches!(err, AddCheckpointError::Failed(_)), "{err}");
    fs::remove_dir_all(&path).unwrap();
    // A damaged record is never taken for no record.
    w.add_checkpoint(&log.body(0, 5), 3).unwrap();
    let record = fs::read_to_string(&path).unwrap();
    fs::write(&path, record.replacen("\n5\n", "\n4\n", 1)).unwrap();
    let err = w.add_checkpoint(&log.body(0, 8), 4).unwrap_err();
    assert!(matches!(err, AddCheckpointError::Failed(_)), "{err}");
    assert!(err.to_string().contains("does not verify"), "{err}");
    assert!(w.latest(&log.signer.verifier()).is_err());
}

#[test]
fn concurrent_requests_are_checked_one_at_a_time() {
    let tmp = tempfile::tempdir().unwrap();
    let (w, log) = new_witness(tmp.path());
    // Eight clients who all think the witness holds nothing, each with
    // another size: exactly one is cosigned, the others are told its size.
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..=8u64)
            .map(|size| {
                let (w, body) = (&w, log.body(0, size));
                s.spawn(move || (size, w.add_checkpoint(&body, size)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<u64> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(s, _)| *s)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for (_, r) in results.into_iter().filter(|(_, r)| r.is_err()) {
        assert_eq!(refusal(r).conflict_size(), Some(winners[0]));
    }
    assert_eq!(
        w.latest(&log.signer.verifier()).unwrap().map(|c| c.size),
        Some(winners[0])
    );
}

fn witness_key(n: u8) -> Verifier {
    Signer::from_seed(&format!("w{n}.example"), &[n; 32])
        .unwrap()
        .verifier()
}

#[test]
fn witness_lists_are_checked() {
    let (a, b) = (witness_key(1), witness_key(2));
    let good = format!(
        "required = 1\n\n[[witness]]\nname = \"w1.example\"\nurl = \"http://127.0.0.1:9/\"\nkey = \"{a}\"\n\n\
         [[witness]]\nname = \"w2.example\"\nurl = \"https://w2.example/witness\"\nkey = \"{b}\"\n"
    );
    let c = WitnessConfig::from_toml(&good).unwrap();
    assert_eq!(c.required, 1);
    assert_eq!(c.witnesses[0].url, "http://127.0.0.1:9");
    assert_eq!(c.keys(), [a.clone(), b.clone()]);
    let all = WitnessConfig::from_toml(&good.replace("required = 1\n", "")).unwrap();
    assert_eq!(all.required, 2);
    let log = Signer::from_seed(ORIGIN, &[1; 32]).unwrap().verifier();
    assert!(c.check_log(&log).is_err(), "w1's key is the log's");
    assert!(c.check_log(&witness_key(3)).is_ok());
    for (bad, what) in [
        (good.replace("required = 1", "required = 0"), "required 0"),
        (good.replace("required = 1", "required = 3"), "required 3"),
        (
            good.replace("name = \"w1.example\"", "name = \"w9\""),
            "name",
        ),
        (good.replace("http://127.0.0.1:9/", "ftp://x"), "scheme"),
        (good.replace("http://127.0.0.1:9/", "http://a b"), "space"),
        (
            good.replace("https://w2.example/witness", "http://127.0.0.1:9"),
            "same url",
        ),
        (
            good.replace(&b.to_string(), &a.to_string())
                .replace("w2.example\"", "w1.example\""),
            "same",
        ),
        (good.replace("required", "needed"), "unknown field"),
        (
            good.replace(&a.to_string(), "w1.example+00000000+AQ=="),
            "bad key",
        ),
        ("required = 1\n".to_owned(), "no witness"),
        ("[[witness]\n".to_owned(), "not TOML"),
    ] {
        assert!(WitnessConfig::from_toml(&bad).is_err(), "accepted: {what}");
    }
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(WitnessConfig::find(tmp.path(), None).unwrap(), None);
    assert!(WitnessConfig::find(tmp.path(), Some(&tmp.path().join("none.toml"))).is_err());
    fs::write(tmp.path().join(WITNESSES_FILE), &good).unwrap();
    let (path, found) = WitnessConfig::find(tmp.path(), None).unwrap().unwrap();
    assert_eq!((path, found), (tmp.path().join(WITNESSES_FILE), c));
}

fn issue(recipient: &str, slot: u32) -> Entry {
    Entry::Issue(IssueEntry {
        scheme: watermark_core::SCHEME_VERSION,
        time: now_rfc3339(),
        recipient: recipient.into(),
        slot,
        input_blake3: "1".repeat(64),
        input_rows: 1,
        output_blake3: "2".repeat(64),
        output_bytes: 1,
        output_rows: 1,
        canaries: 0,
        canary_list_blake3: String::new(),
        slots_marked: 1,
        key_id: "k".into(),
        policy_digest: "p".into(),
        code: CodeRecord::from(&watermark_core::CodeParams::default()),
        tool: "t".into(),
    })
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn a_state_keeps_its_cosigned_checkpoint_and_knows_when_its_log_is_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let state = State::init_with_log_origin(&tmp.path().join("s"), Some(ORIGIN)).unwrap();
    let lock = state.lock().unwrap();
    state.append(&lock, &[issue("a", 0)]).unwrap();
    let backup = tmp.path().join("backup");
    copy_dir(state.dir(), &backup);
    let log = state
        .append(&lock, &[issue("b", 1), issue("c", 2)])
        .unwrap()
        .log;
    assert_eq!(read_cosigned(&state, &log).unwrap(), CosignedState::Absent);

    let signer = Signer::from_seed("w1.example", &[1; 32]).unwrap();
    let lines = tlog::cosign(&signer, log.latest(), 5).unwrap();
    let note = tlog::merge_cosignatures(log.checkpoint(), &signer.verifier(), &lines).unwrap();
    let stored = store_cosigned(&state, &lock, &log, &note).unwrap();
    assert_eq!(stored.checkpoint.size, 3);
    assert_eq!(
        read_cosigned(&state, &log).unwrap(),
        CosignedState::Matches(stored.clone())
    );
    // Later entries: it still matches the log's checkpoint of its size.
    let log = state.append(&lock, &[issue("d", 3)]).unwrap().log;
    assert!(matches!(
        read_cosigned(&state, &log).unwrap(),
        CosignedState::Matches(_)
    ));
    // The log files of the backup: the cosigned checkpoint is ahead of them.
    for f in ["entries", "checkpoints"] {
        fs::copy(backup.join("log").join(f), state.dir().join("log").join(f)).unwrap();
    }
    let old = state.log().unwrap();
    assert_eq!(old.size(), 1);
    assert!(
        matches!(read_cosigned(&state, &old).unwrap(), CosignedState::Ahead(c) if c.checkpoint.size == 3)
    );
    // A checkpoint the log's key signed with another root: the log diverges.
    let other = Checkpoint::new(ORIGIN, 1, [9; 32]);
    let forged = sign_checkpoint(&other, &state.log_signer().unwrap()).unwrap();
    assert!(store_cosigned(&state, &lock, &old, &forged).is_err());
    write_atomic(&cosigned_path(&state), forged.as_bytes(), 0o644).unwrap();
    assert!(matches!(
        read_cosigned(&state, &old).unwrap(),
        CosignedState::Diverges(_)
    ));
    // Signed by another key: refused when read.
    let stranger = Signer::from_seed(ORIGIN, &[2; 32]).unwrap();
    let note = sign_checkpoint(old.latest(), &stranger).unwrap();
    write_atomic(&cosigned_path(&state), note.as_bytes(), 0o644).unwrap();
    assert!(read_cosigned(&state, &old).is_err());
}

#[test]
fn receipts_are_rewritten_to_carry_the_cosignatures() {
    let tmp = tempfile::tempdir().unwrap();
    let state = State::init_with_log_origin(&tmp.path().join("s"), Some(ORIGIN)).unwrap();
    let lock = state.lock().unwrap();
    let log = state
        .append(&lock, &[issue("a", 0), issue("b", 1)])
        .unwrap()
        .log;
    let copies: Vec<IssuedCopy> = ["a", "b"]
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let receipt_path = tmp.path().join(format!("{id}.receipt"));
            let receipt = if i == 0 {
                log.receipt_at(0, 1).unwrap()
            } else {
                log.receipt(1).unwrap()
            };
            fs::write(&receipt_path, receipt.to_json()).unwrap();
            IssuedCopy {
                recipient: id.to_string(),
                slot: i as u32,
                index: i as u64,
                already_logged: false,
                path: tmp.path().join(format!("{id}.csv")),
                receipt_path,
                receipt,
            }
        })
        .collect();
    let signer = Signer::from_seed("w1.example", &[1; 32]).unwrap();
    let lines = tlog::cosign(&signer, log.latest(), 5).unwrap();
    let note = tlog::merge_cosignatures(log.checkpoint(), &signer.verifier(), &lines).unwrap();
    let cosigned = store_cosigned(&state, &lock, &log, &note).unwrap();
    // Only b's receipt is against the cosigned checkpoint.
    assert_eq!(cosign_receipts(&copies, &cosigned).unwrap(), 1);
    let a = Receipt::from_json(&read_to_string(&copies[0].receipt_path).unwrap()).unwrap();
    let b = Receipt::from_json(&read_to_string(&copies[1].receipt_path).unwrap()).unwrap();
    assert_eq!(a, copies[0].receipt);
    assert_eq!(b.checkpoint, note);
    b.verify(log.verifier()).unwrap();
    assert_eq!(
        count_cosignatures(b.checkpoint.as_bytes(), &[signer.verifier()]).unwrap(),
        1
    );
}

/// A private key pasted into a witness list (a witness's `witness.key`, or a
/// master key's text) is never printed in the error that refuses the list.
#[test]
fn regression_a_secret_pasted_into_a_witness_list_is_never_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("w");
    Witness::init(&dir, "w1.example").unwrap();
    let skey = fs::read_to_string(dir.join(KEY_FILE)).unwrap();
    let skey = skey.trim_end();
    // PRIVATE+KEY+NAME+ID+BASE64: the name has no '+', the base64 may.
    let skey_secret = skey.splitn(5, '+').nth(4).unwrap();
    let master = watermark_core::MasterKey::generate().unwrap().to_text();
    let secret_line = master
        .lines()
        .find(|l| l.starts_with("secret:"))
        .unwrap()
        .to_owned();
    let master_secret = secret_line["secret:".len()..].trim().to_owned();
    let list = |key_line: &str| {
        format!("[[witness]]\nname = \"w1.example\"\nurl = \"http://127.0.0.1:9\"\n{key_line}\n")
    };
    let cases = [
        // The witness's private key where its verifier key belongs.
        (
            list(&format!("key = \"{skey}\"")),
            skey_secret,
            "private key",
        ),
        (
            list(&format!("key = \" {skey}\\n\"")),
            skey_secret,
            "private key",
        ),
        // ... and not even quoted: not TOML.
        (list(&format!("key = {skey}")), skey_secret, "private key"),
        // A master key's secret as the key, or its lines pasted in.
        (
            list(&format!("key = \"{master_secret}\"")),
            master_secret.as_str(),
            "not a verifier key",
        ),
        (list(&secret_line), master_secret.as_str(), "master key"),
        (master.to_string(), master_secret.as_str(), "master key"),
        // A private key in another field.
        (
            format!(
                "required = \"{skey}\"\n{}",
                list(&format!("key = \"{}\"", witness_key(1)))
            ),
            skey_secret,
            "private key",
        ),
        (
            list(&format!("key = \"{}\"", witness_key(1)))
                .replace("name = \"w1.example\"", &format!("name = \"{skey}\"")),
            skey_secret,
            "private key",
        ),
    ];
    for (text, secret, says) in &cases {
        let err = WitnessConfig::from_toml(text).unwrap_err().to_string();
        assert!(!err.contains(secret), "the secret is printed: {err}");
        assert!(err.contains(says), "{says}: {err}");
        // Nor any long piece of it.
        assert!(
            !(0..secret.len() - 16).any(|i| err.contains(&secret[i..i + 16])),
            "part of the secret is printed: {err}"
        );
    }
    // A private key is said to be exposed.
    let err = WitnessConfig::from_toml(&cases[0].0)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("witness 1") && err.contains("exposed"),
        "{err}"
    );
}
