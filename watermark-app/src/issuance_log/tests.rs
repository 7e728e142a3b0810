use std::fs;
use std::path::{Path, PathBuf};

use super::*;
use crate::state::State;
use watermark_core::CodeParams;
use watermark_core::ErrorKind;
use watermark_log::{hash_hex, AccusedRecord, CodeRecord, VerifyEntry};

fn issue(recipient: &str, slot: u32, digest: char) -> Entry {
    Entry::Issue(IssueEntry {
        scheme: watermark_core::SCHEME_VERSION,
        time: "2026-05-01T10:00:00Z".into(),
        recipient: recipient.into(),
        slot,
        input_blake3: "1".repeat(64),
        input_rows: 3000,
        output_blake3: digest.to_string().repeat(64),
        output_bytes: 456_789,
        output_rows: 3000,
        canaries: 0,
        canary_list_blake3: String::new(),
        slots_marked: 4321,
        key_id: "0123456789abcdef".into(),
        policy_digest: "5".repeat(32),
        code: CodeRecord::from(&CodeParams::default()),
        tool: "watermark 0.1.0".into(),
    })
}

fn verification(accused: &[(&str, u32)]) -> Entry {
    Entry::Verify(VerifyEntry {
        scheme: watermark_core::SCHEME_VERSION,
        time: "2026-05-02T11:00:00Z".into(),
        investigator: "auditor-1".into(),
        leak_blake3: "e".repeat(64),
        leak_bytes: 5000,
        leak_format: None,
        leak_encoding: None,
        rows_read: 60,
        positions_read: 144,
        comparisons: 3,
        threshold: "1e-9".into(),
        accused: accused
            .iter()
            .map(|(r, s)| AccusedRecord::new(*r, *s, 3.6e-34))
            .collect(),
        tool: "watermark 0.1.0".into(),
    })
}

/// A state whose log holds four entries (three appends).
fn sample() -> (tempfile::TempDir, State) {
    let dir = tempfile::tempdir().unwrap();
    let state =
        State::init_with_log_origin(&dir.path().join("s"), Some("example.org/log")).unwrap();
    let lock = state.lock().unwrap();
    state
        .append(&lock, &[issue("PAN", 0, 'a'), issue("PRI", 1, 'b')])
        .unwrap();
    state.append(&lock, &[verification(&[("PRI", 1)])]).unwrap();
    state.append(&lock, &[issue("MORENA", 2, 'c')]).unwrap();
    (dir, state)
}

fn log_file(state: &State, name: &str) -> PathBuf {
    state.dir().join(LOG_DIR).join(name)
}

fn damage(err: watermark_core::Error) -> LogDamage {
    match err.kind() {
        ErrorKind::Log(d) => (**d).clone(),
        other => panic!("not a log error: {other}"),
    }
}

#[test]
fn a_new_log_is_the_signed_empty_tree() {
    let dir = tempfile::tempdir().unwrap();
    let state = State::init(&dir.path().join("s")).unwrap();
    let log = state.log().unwrap();
    assert_eq!(log.size(), 0);
    assert_eq!(log.root(), tlog::EMPTY_ROOT);
    assert!(log.origin().starts_with("watermark/issuance/"));
    assert_eq!(log.signing_key(), SigningKeyCheck::Matches);
    assert!(log.uncommitted().is_none());
    let cp = tlog::open_checkpoint(log.checkpoint(), log.verifier()).unwrap();
    assert_eq!(cp.size, 0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&log_file(&state, SIGNING_KEY_FILE)), 0o600);
        assert_eq!(mode(&state.dir().join(LOG_DIR)), 0o700);
    }
    assert!(State::init_with_log_origin(&dir.path().join("t"), Some("has space")).is_err());
    assert!(
        !dir.path().join("t").exists(),
        "a bad origin leaves nothing"
    );
}

#[test]
fn every_entry_has_its_own_signed_checkpoint() {
    let (_d, state) = sample();
    let log = state.log().unwrap();
    assert_eq!(log.size(), 4);
    let data = fs::read_to_string(log_file(&state, ENTRIES_FILE)).unwrap();
    assert_eq!(data.lines().count(), 4);
    for k in 0..=4u64 {
        let cp = tlog::open_checkpoint(log.checkpoint_at(k).unwrap(), log.verifier()).unwrap();
        assert_eq!(cp.size, k);
        let leaves: Vec<Hash> = data
            .lines()
            .take(k as usize)
            .map(|l| tlog::leaf_hash(l.as_bytes()))
            .collect();
        assert_eq!(cp.root, tlog::root(&leaves));
    }
    assert!(log.checkpoint_at(5).is_none());
    // Receipts against the latest and an older checkpoint verify offline.
    for i in 0..4 {
        let r = log.receipt(i).unwrap();
        let back = Receipt::from_json(&r.to_json()).unwrap();
        assert_eq!(back, r);
        let v = back.verify(log.verifier()).unwrap();
        assert_eq!(v.index, i);
        assert_eq!(Some(&v.entry), log.entry(i));
        assert_eq!(v.checkpoint.size, 4);
        log.receipt_at(i, i + 1)
            .unwrap()
            .verify(log.verifier())
            .unwrap();
        assert!(log.receipt_at(i, i).is_err());
    }
    // Each older checkpoint is consistent with the latest.
    for k in 0..=4 {
        let c = log.consistency(log.checkpoint_at(k).unwrap()).unwrap();
        assert_eq!((c.old.size, c.new.size), (k, 4));
    }
    assert_eq!(log.issues().count(), 3);
}

#[test]
fn receipts_that_were_changed_do_not_verify() {
    let (_d, state) = sample();
    let log = state.log().unwrap();
    let r = log.receipt(1).unwrap();
    let v = log.verifier();

    let mut other = r.clone();
    other.index = 2;
    assert!(other.verify(v).is_err());
    let mut other = r.clone();
    other.entry = other.entry.replace("\"slot\":1", "\"slot\":7");
    assert!(other.verify(v).is_err());
    let mut other = r.clone();
    other.inclusion_proof[0][3] ^= 1;
    assert!(other.verify(v).is_err());
    let mut other = r.clone();
    other.checkpoint = log.checkpoint_at(3).unwrap().to_owned();
    assert!(other.verify(v).is_err());
    let stranger = tlog::Signer::generate("example.org/log")
        .unwrap()
        .verifier();
    assert!(r.verify(&stranger).is_err());
    // The JSON form checks its own leaf hash and format.
    let json = r.to_json();
    let leaf = hash_hex(&log.leaf_hash(1).unwrap());
    assert!(json.contains(&leaf));
    assert!(Receipt::from_json(&json.replace(&leaf, &"0".repeat(64))).is_err());
    assert!(Receipt::from_json(&json.replace("receipt/v1", "receipt/v9")).is_err());
}

#[test]
fn consistency_fails_for_a_rewritten_or_cut_back_log() {
    let (d, state) = sample();
    // A fork: the same key, a different third entry.
    let fork_dir = d.path().join("fork");
    copy_dir(state.dir(), &fork_dir);
    let fork = State::open(&fork_dir).unwrap();
    let log = state.log().unwrap();
    let old = log.checkpoint_at(2).unwrap().to_owned();
    cut_log(&fork, 2);
    let lock = fork.lock().unwrap();
    fork.append(&lock, &[issue("PT", 3, 'd')]).unwrap();
    let forked = fork.log().unwrap();
    // Both extend the checkpoint of two entries…
    forked.consistency(&old).unwrap();
    log.consistency(&old).unwrap();
    // …but neither extends the other's third.
    let err = log
        .consistency(forked.checkpoint_at(3).unwrap())
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not extend"), "{err}");
    // A log cut back below an old checkpoint.
    let err = forked
        .consistency(log.checkpoint())
        .unwrap_err()
        .to_string();
    assert!(err.contains("cut back"), "{err}");
    // A checkpoint of another log.
    let (_d2, other) = sample();
    let err = log
        .consistency(other.log().unwrap().checkpoint())
        .unwrap_err()
        .to_string();
    assert!(err.contains("not one of this log's"), "{err}");
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// Cuts a log back to its first `size` entries (as only the key holder
/// could), to make forks for tests.
fn cut_log(state: &State, size: u64) {
    let log = state.log().unwrap();
    let entries: String = (0..size)
        .map(|i| format!("{}\n", log.entry_text(i).unwrap()))
        .collect();
    let notes: String = (0..=size).map(|k| log.checkpoint_at(k).unwrap()).collect();
    fs::write(log_file(state, ENTRIES_FILE), entries).unwrap();
    fs::write(log_file(state, CHECKPOINTS_FILE), notes).unwrap();
}

/// Index of the line holding byte `at` (a newline belongs to its line).
fn line_of(data: &[u8], at: usize) -> u64 {
    data[..at].iter().filter(|&&b| b == b'\n').count() as u64
}

/// Index of the note holding byte `at`, given each note's text.
fn note_of(notes: &[String], at: usize) -> u64 {
    let mut end = 0;
    for (k, n) in notes.iter().enumerate() {
        end += n.len();
        if at < end {
            return k as u64;
        }
    }
    panic!("byte {at} is past the notes");
}

fn put_byte(file: &mut fs::File, at: usize, byte: u8) {
    use std::io::{Seek, SeekFrom, Write};
    file.seek(SeekFrom::Start(at as u64)).unwrap();
    file.write_all(&[byte]).unwrap();
}

/// Makes `path` hold `data[..len]`, writing only when `data` is not already
/// there (cutting a file back is cheap, rewriting it is not).
fn cut_to(path: &Path, data: &[u8], len: usize) {
    let current = fs::read(path).unwrap();
    if current.len() < len || !data.starts_with(&current) {
        fs::write(path, data).unwrap();
    }
    fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len as u64)
        .unwrap();
}

#[test]
fn every_flipped_byte_of_every_log_file_is_found_and_placed() {
    let (_d, state) = sample();
    let log = state.log().unwrap();
    let notes: Vec<String> = (0..=log.size())
        .map(|k| log.checkpoint_at(k).unwrap().to_owned())
        .collect();
    let skey = fs::read_to_string(log_file(&state, SIGNING_KEY_FILE)).unwrap();
    // PRIVATE+KEY+name+keyid+base64: the base64 may itself contain '+', so
    // split at the first four only (splitting at the last made the "secret"
    // a short suffix that an error message could contain by chance).
    let secret = skey.trim_end().splitn(5, '+').nth(4).unwrap().to_owned();
    assert!(secret.len() >= 40, "{secret}");
    let mut checked = 0;
    for name in [
        ENTRIES_FILE,
        CHECKPOINTS_FILE,
        VERIFIER_KEY_FILE,
        SIGNING_KEY_FILE,
    ] {
        let path = log_file(&state, name);
        let original = fs::read(&path).unwrap();
        // Bytes are changed in place: rewriting whole files thousands of
        // times is slow on file systems that flush a truncated file.
        let mut file = fs::OpenOptions::new().write(true).open(&path).unwrap();
        for at in 0..original.len() {
            // Every byte with its low bit and its case bit flipped, and
            // every fifth with its high bit (not UTF-8 any more).
            let flips: &[u8] = if at % 5 == 0 {
                &[0x01, 0x20, 0x80]
            } else {
                &[0x01, 0x20]
            };
            for &flip in flips {
                put_byte(&mut file, at, original[at] ^ flip);
                let err = Log::open(state.dir(), None)
                    .expect_err(&format!("{name}: byte {at} ^ {flip:#04x} was not noticed"));
                let text = err.to_string();
                assert!(!text.contains(&secret), "{text}");
                let d = damage(err);
                assert_eq!(d.file, path, "{name} byte {at}: {d}");
                match name {
                    ENTRIES_FILE => {
                        assert_eq!(d.entry, Some(line_of(&original, at)), "byte {at}: {d}");
                        assert!(d.line.is_some() && d.byte.is_some(), "{d}");
                    }
                    CHECKPOINTS_FILE => {
                        assert_eq!(d.checkpoint, Some(note_of(&notes, at)), "byte {at}: {d}");
                        assert!(d.line.is_some() && d.byte.is_some(), "{d}");
                    }
                    _ => {}
                }
                checked += 1;
            }
            put_byte(&mut file, at, original[at]);
        }
        assert_eq!(fs::read(&path).unwrap(), original);
        Log::open(state.dir(), None).unwrap();
    }
    assert!(checked > 6000, "{checked}");
}

#[test]
fn a_truncated_last_entry_is_found() {
    let (_d, state) = sample();
    let path = log_file(&state, ENTRIES_FILE);
    let original = fs::read(&path).unwrap();
    let last_start = original[..original.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap()
        + 1;
    for cut in [
        1,
        2,
        original.len() - last_start - 1,
        original.len() - last_start,
    ] {
        fs::write(&path, &original[..original.len() - cut]).unwrap();
        let d = damage(Log::open(state.dir(), None).unwrap_err());
        assert_eq!(d.entry, Some(3), "{d}");
        assert_eq!(d.line, Some(4), "{d}");
        assert!(d.to_string().contains("missing or cut short"), "{d}");
    }
    // A changed entry is refused, never repaired away.
    let mut changed = original.clone();
    changed[last_start + 40] ^= 1;
    fs::write(&path, &changed).unwrap();
    let lock = state.lock().unwrap();
    assert!(state.repair_log(&lock).is_err());
    assert_eq!(fs::read(&path).unwrap(), changed);
}

#[test]
fn a_pinned_key_must_be_the_logs() {
    let (_d, state) = sample();
    let own = state.log_verifier().unwrap();
    state.log_pinned(&own).unwrap();
    let stranger = tlog::Signer::generate("example.org/log")
        .unwrap()
        .verifier();
    let d = damage(state.log_pinned(&stranger).unwrap_err());
    assert!(d.file.ends_with("verifier.key"), "{d}");
}

#[cfg(unix)]
#[test]
fn a_signing_key_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let (_d, state) = sample();
    let path = log_file(&state, SIGNING_KEY_FILE);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let err = Log::open(state.dir(), None).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::KeyPermissions { .. }),
        "{err}"
    );
    // An auditor's copy without the signing key verifies.
    fs::remove_file(&path).unwrap();
    let log = Log::open(state.dir(), None).unwrap();
    assert_eq!(log.signing_key(), SigningKeyCheck::Absent);
    let lock = state.lock().unwrap();
    assert!(state.append(&lock, &[issue("X", 9, 'f')]).is_err());
}

#[test]
fn the_log_signer_is_the_key_of_the_logs_public_key() {
    let (_d, state) = sample();
    let signer = state.log_signer().unwrap();
    let verifier = state.log_verifier().unwrap();
    assert_eq!(signer.verifier(), verifier);
    let sig = signer.sign_detached("a test v1\n", b"doc").unwrap();
    verifier
        .verify_detached("a test v1\n", b"doc", &sig)
        .unwrap();
    // Its Debug names the key, never the seed.
    let shown = format!("{signer:?}");
    let skey = signer.to_skey();
    // PRIVATE+KEY+NAME+ID+BASE64: names have no '+', base64 may.
    let seed = skey.splitn(5, '+').nth(4).unwrap();
    assert_eq!(seed.len(), 44);
    assert!(!shown.contains(seed), "{shown}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let path = log_file(&state, SIGNING_KEY_FILE);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = state.log_signer().unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::KeyPermissions { .. }),
            "{err}"
        );
    }
}

/// Every state a killed append can leave: the new entries cut anywhere, or
/// all of them with their checkpoints cut anywhere.
#[test]
fn every_torn_append_is_uncommitted_and_repaired() {
    let (d, state) = sample();
    let before_entries = fs::read(log_file(&state, ENTRIES_FILE)).unwrap();
    let before_notes = fs::read(log_file(&state, CHECKPOINTS_FILE)).unwrap();
    let after_dir = d.path().join("after");
    copy_dir(state.dir(), &after_dir);
    let after = State::open(&after_dir).unwrap();
    {
        let lock = after.lock().unwrap();
        after
            .append(&lock, &[issue("PT", 3, 'd'), issue("PVEM", 4, 'e')])
            .unwrap();
    }
    let after_entries = fs::read(log_file(&after, ENTRIES_FILE)).unwrap();
    let after_notes = fs::read(log_file(&after, CHECKPOINTS_FILE)).unwrap();
    let notes_4 = after.log().unwrap().checkpoint_at(5).unwrap().len();

    let lock = state.lock().unwrap();
    let entries = log_file(&state, ENTRIES_FILE);
    let checkpoints = log_file(&state, CHECKPOINTS_FILE);
    // What the killed append had signed and written before it began.
    let signer = state.log_signer().unwrap();
    let pending = std::str::from_utf8(&after_entries[before_entries.len()..]).unwrap();
    let intend = || {
        super::intent::write(&state.dir().join(LOG_DIR), &signer, 4, 2, pending).unwrap();
    };
    intend();
    // Entries cut anywhere, no new checkpoint. Every cut is read; some are
    // repaired (which syncs, and so costs).
    cut_to(&checkpoints, &before_notes, before_notes.len());
    for (n, cut) in (before_entries.len() + 1..after_entries.len() + 1)
        .rev()
        .enumerate()
    {
        cut_to(&entries, &after_entries, cut);
        let log = Log::open(state.dir(), None).unwrap();
        assert_eq!(log.size(), 4);
        let u = log.uncommitted().unwrap();
        assert_eq!(u.entry_bytes as usize, cut - before_entries.len());
        assert_eq!(u.checkpoint_bytes, 0);
        if n % 97 == 0 {
            let removed = state.repair_log(&lock).unwrap().unwrap();
            assert_eq!(&removed, u);
            assert_eq!(fs::read(&entries).unwrap(), before_entries);
            assert!(state.log().unwrap().uncommitted().is_none());
            intend();
        }
    }
    // All entries, checkpoints cut anywhere.
    for (n, cut) in (before_notes.len() + 1..after_notes.len())
        .rev()
        .enumerate()
    {
        cut_to(&entries, &after_entries, after_entries.len());
        cut_to(&checkpoints, &after_notes, cut);
        let log = Log::open(state.dir(), None)
            .unwrap_or_else(|e| panic!("checkpoints cut at {cut}: {e}"));
        let expect = if cut >= before_notes.len() + notes_4 {
            5
        } else {
            4
        };
        assert_eq!(log.size(), expect, "cut at {cut}");
        assert!(log.uncommitted().is_some());
        if n % 53 == 0 {
            state.repair_log(&lock).unwrap();
            let log = state.log().unwrap();
            assert_eq!(log.size(), expect);
            assert!(log.uncommitted().is_none());
            // The repaired log takes new entries.
            state.append(&lock, &[issue("NEW", 9, 'f')]).unwrap();
            assert_eq!(state.log().unwrap().size(), expect + 1);
            intend();
        }
    }
    let restore = || {
        fs::write(&entries, &before_entries).unwrap();
        fs::write(&checkpoints, &before_notes).unwrap();
    };
    // Junk after the checkpoints is not a torn append.
    restore();
    let mut junk = before_notes.clone();
    junk.extend_from_slice(b"example.org/log\n5\n");
    fs::write(log_file(&state, CHECKPOINTS_FILE), &junk).unwrap();
    let d = damage(Log::open(state.dir(), None).unwrap_err());
    assert_eq!(d.byte, Some(before_notes.len() as u64), "{d}");
}

#[test]
fn reopening_resumes_from_what_was_verified_and_agrees_with_a_fresh_verification() {
    let (_d, state) = sample();
    let cache = Cache::new();
    let open = || Log::open_with(state.dir(), None, &cache, false);
    let fresh = || Log::open_with(state.dir(), None, &Cache::new(), false);
    let first = open().unwrap();
    assert_eq!(cache.resumes(), 0);
    assert_eq!(format!("{first:?}"), format!("{:?}", fresh().unwrap()));
    // Remembered, then appended to by another process (here: with another
    // cache): the reopened log is the whole log.
    let lock = state.lock().unwrap();
    state.append(&lock, &[verification(&[])]).unwrap();
    let resumed = open().unwrap();
    assert_eq!(cache.resumes(), 1);
    assert_eq!(resumed.size(), 5);
    assert_eq!(format!("{resumed:?}"), format!("{:?}", fresh().unwrap()));
    // Appended to here: the log is remembered as written, signatures and
    // all, and the next open resumes after it with nothing to check.
    let (appended, first, _) = store::append(state.dir(), &[issue("PT", 3, 'd')], &cache).unwrap();
    assert_eq!((first, appended.size()), (5, 6));
    assert_eq!(cache.resumes(), 2);
    let reopened = open().unwrap();
    assert_eq!(cache.resumes(), 3);
    let from_scratch = fresh().unwrap();
    assert_eq!(format!("{reopened:?}"), format!("{from_scratch:?}"));
    assert_eq!(format!("{appended:?}"), format!("{from_scratch:?}"));
    drop(lock);
    open().unwrap();
    assert_eq!(cache.resumes(), 4);

    // A signature line added after the last checkpoint extends that note:
    // the remembered notes no longer end where they did, and the answer is
    // the one a fresh verification gives.
    let path = log_file(&state, CHECKPOINTS_FILE);
    let original = fs::read(&path).unwrap();
    let mut extended = original.clone();
    extended.extend_from_slice("\u{2014} example.org/log AAAA\n".as_bytes());
    fs::write(&path, &extended).unwrap();
    let remembered = format!("{:?}", open().map(|l| l.size()));
    assert_eq!(cache.resumes(), 4);
    assert_eq!(remembered, format!("{:?}", fresh().map(|l| l.size())));
    fs::write(&path, &original).unwrap();
    open().unwrap();

    // Whatever follows the remembered part is judged as a fresh
    // verification judges it: places in errors are the whole file's.
    let entries_path = log_file(&state, ENTRIES_FILE);
    let entries_original = fs::read(&entries_path).unwrap();
    let next_note = {
        let text = String::from_utf8(original.clone()).unwrap();
        let last = reopened.checkpoint().to_owned();
        assert!(text.ends_with(&last));
        last
    };
    let cases: Vec<(Vec<u8>, Vec<u8>)> = vec![
        // Garbage after the last checkpoint.
        (
            entries_original.clone(),
            [&original[..], b"garbage\n"].concat(),
        ),
        // A blank line, then a checkpoint.
        (
            entries_original.clone(),
            [&original[..], b"\n", next_note.as_bytes()].concat(),
        ),
        // The last checkpoint repeated.
        (
            entries_original.clone(),
            [&original[..], next_note.as_bytes()].concat(),
        ),
        // An entry without its checkpoint, then half a checkpoint.
        (
            [&entries_original[..], b"{\"kind\":\"x\"}\n"].concat(),
            [&original[..], &next_note.as_bytes()[..20]].concat(),
        ),
        // Half an entry.
        ([&entries_original[..], b"{\"ki"].concat(), original.clone()),
    ];
    for (i, (entries_bytes, checkpoint_bytes)) in cases.iter().enumerate() {
        open().unwrap();
        fs::write(&entries_path, entries_bytes).unwrap();
        fs::write(&path, checkpoint_bytes).unwrap();
        let resumes = cache.resumes();
        let remembered = format!("{:?}", open().map(|l| (l.size(), l.uncommitted().cloned())));
        // Resumed from what was remembered (a tail no intent names is read
        // again a few times before it is called damage, each time resumed).
        assert!(cache.resumes() > resumes, "case {i}");
        let from_scratch = format!(
            "{:?}",
            fresh().map(|l| (l.size(), l.uncommitted().cloned()))
        );
        assert_eq!(remembered, from_scratch, "case {i}");
        fs::write(&entries_path, &entries_original).unwrap();
        fs::write(&path, &original).unwrap();
    }
    open().unwrap();

    // An earlier entry changed (same length) after the log was remembered
    // is found exactly as without the cache.
    let entries = log_file(&state, ENTRIES_FILE);
    let data = fs::read(&entries).unwrap();
    let at = data.iter().position(|&b| b == b'P').unwrap();
    let mut file = fs::OpenOptions::new().write(true).open(&entries).unwrap();
    put_byte(&mut file, at, b'Q');
    let resumes = cache.resumes();
    let remembered = damage(open().unwrap_err());
    assert_eq!(cache.resumes(), resumes);
    let from_scratch = damage(fresh().unwrap_err());
    assert_eq!(remembered.to_string(), from_scratch.to_string());
    assert_eq!(remembered.entry, Some(line_of(&data, at)));
    put_byte(&mut file, at, b'P');
    // The changed log was forgotten: verified from the start, remembered.
    open().unwrap();
    assert_eq!(cache.resumes(), resumes);
    open().unwrap();
    assert_eq!(cache.resumes(), resumes + 1);
}

/// A signed entry whose checkpoint is deleted or cut short, with no append
/// under way, is damage: the log does not open, nothing can be appended
/// (so its slot is never given again), and attribution still sees it.
#[test]
fn a_signed_entry_that_loses_its_checkpoint_is_damage_never_cleanup() {
    let (_d, state) = sample();
    let checkpoints = log_file(&state, CHECKPOINTS_FILE);
    let notes = fs::read(&checkpoints).unwrap();
    let log = state.log().unwrap();
    let last = log.checkpoint_at(4).unwrap().len();
    let signer = state.log_signer().unwrap();
    // Deleted whole, or cut anywhere in it.
    for cut in [
        notes.len() - last,
        notes.len() - last + 5,
        notes.len() - 40,
        notes.len() - 1,
    ] {
        cut_to(&checkpoints, &notes, cut);
        let d = damage(state.log().unwrap_err());
        assert_eq!(d.entry, Some(3), "cut at {cut}: {d:?}");
        assert_eq!(d.line, Some(4));
        assert!(
            d.message.to_string().contains("signed by no checkpoint"),
            "{}",
            d.message
        );
        let lock = state.lock().unwrap();
        assert!(state.repair_log(&lock).is_err());
        assert!(state.append(&lock, &[issue("PT", 3, 'd')]).is_err());
        drop(lock);
        assert!(state.assign_slots(&["PT".to_string()]).is_err());
        // The files were not touched.
        assert_eq!(fs::read(&checkpoints).unwrap(), &notes[..cut]);
        // The unsigned line is shown, never used.
        let log = Log::open_damaged(state.dir()).unwrap();
        assert_eq!(log.size(), 3);
        assert_eq!(log.orphaned().unwrap().lines.len(), 1);
        assert!(state.recipient_groups().is_err());
        // An intent for another append does not excuse it; neither does one
        // signed by another key.
        let dir = state.dir().join(LOG_DIR);
        super::intent::write(&dir, &signer, 3, 1, "{\"other\":1}\n").unwrap();
        assert!(state.log().is_err());
        let stranger = watermark_log::tlog::Signer::generate("example.org/log").unwrap();
        let text = std::str::from_utf8(&fs::read(log_file(&state, ENTRIES_FILE)).unwrap())
            .unwrap()
            .lines()
            .nth(3)
            .unwrap()
            .to_owned()
            + "\n";
        super::intent::write(&dir, &stranger, 3, 1, &text).unwrap();
        assert!(state.log().is_err());
        // The intent of the real append, signed with the log's key, is what
        // a killed append leaves: then (and only then) the tail is removed.
        super::intent::write(&dir, &signer, 3, 1, &text).unwrap();
        assert!(state.log().unwrap().uncommitted().is_some());
        super::intent::remove(&dir).unwrap();
    }
    cut_to(&checkpoints, &notes, notes.len());
    assert_eq!(state.log().unwrap().size(), 4);
}

/// A reader running while another appends never reports damage: it can
/// read new entries before their checkpoints and the intent after its
/// removal, and reads again before calling that a lost checkpoint.
#[test]
fn readers_during_appends_never_see_damage() {
    let (_d, state) = sample();
    let dir = state.dir().to_path_buf();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (state, done) = (state.clone(), done.clone());
        std::thread::spawn(move || {
            for i in 0..150 {
                let lock = state.lock().unwrap();
                state
                    .append(&lock, &[issue(&format!("R{i}"), 10 + i, 'd')])
                    .unwrap();
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        })
    };
    let mut reads = 0;
    while !done.load(std::sync::atomic::Ordering::SeqCst) {
        // A fresh cache: every read is a whole one, as another process's.
        if let Err(e) = Log::open_with(&dir, None, &Cache::new(), false) {
            panic!("read {reads} during appends: {e}");
        }
        reads += 1;
    }
    writer.join().unwrap();
    assert!(reads > 10, "{reads}");
    assert_eq!(state.log().unwrap().size(), 154);
}
