use super::*;
use crate::tlog::{open_checkpoint, sign_checkpoint, Tree};

const ORIGIN: &str = "example.com/issuance";

/// A log of `n` entries: its key and tree.
fn log_of(n: u8, seed: u8) -> (Signer, Tree) {
    let signer = Signer::from_seed(ORIGIN, &[seed; 32]).unwrap();
    let mut tree = Tree::new();
    for i in 0..n {
        tree.push_entry(&[i, seed]);
    }
    (signer, tree)
}

fn signed_at(signer: &Signer, tree: &Tree, size: u64) -> (Checkpoint, String) {
    let cp = Checkpoint::new(ORIGIN, size, tree.root_at(size).unwrap());
    let note = sign_checkpoint(&cp, signer).unwrap();
    (cp, note)
}

fn request(tree: &Tree, old: u64, note: String, size: u64) -> AddCheckpoint {
    AddCheckpoint {
        old_size: old,
        proof: tree.consistency_proof(old, size).unwrap(),
        checkpoint: note,
    }
}

#[test]
fn tlog_witness_request_from_the_specification_parses() {
    let body = "old 20852014\n\
                PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n\
                jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n\
                5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n\
                /6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n\
                \n\
                example.com/behind-the-sofa\n\
                20852163\n\
                CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\
                \n\
                \u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
    let req = AddCheckpoint::parse(body.as_bytes()).unwrap();
    assert_eq!(req.old_size, 20_852_014);
    assert_eq!(req.proof.len(), 4);
    assert_eq!(req.origin(), "example.com/behind-the-sofa");
    assert!(req
        .checkpoint
        .starts_with("example.com/behind-the-sofa\n20852163\n"));
    assert_eq!(req.to_body(), body);
}

#[test]
fn tlog_witness_request_round_trips() {
    let (signer, tree) = log_of(7, 1);
    let (_, note) = signed_at(&signer, &tree, 7);
    for old in [0, 1, 3, 4, 7] {
        let req = request(&tree, old, note.clone(), 7);
        let body = req.to_body();
        assert_eq!(AddCheckpoint::parse(body.as_bytes()).unwrap(), req);
        if old == 0 {
            assert!(body.starts_with("old 0\n\n"));
        }
    }
}

#[test]
fn tlog_witness_malformed_requests_are_refused() {
    let (signer, tree) = log_of(3, 1);
    let (_, note) = signed_at(&signer, &tree, 3);
    let hash = base64::encode(&[7; 32]);
    let long = "x".repeat(10_000);
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "empty"),
        ("old 0".into(), "no newline"),
        (format!("new 0\n\n{note}"), "not `old`"),
        (format!("old\n\n{note}"), "no size"),
        (format!("old 01\n\n{note}"), "leading zero"),
        (format!("old -1\n\n{note}"), "negative"),
        (format!("old  1\n\n{note}"), "two spaces"),
        (format!("old 1 \n\n{note}"), "trailing space"),
        (format!("old 18446744073709551616\n\n{note}"), "overflow"),
        (format!("old 1\n{hash}\n"), "no empty line"),
        (format!("old 1\n{hash}\n\n"), "no checkpoint"),
        (format!("old 1\nnot base64!\n\n{note}"), "bad base64"),
        (format!("old 1\nAAAA\n\n{note}"), "short hash"),
        (format!("old 1\n{hash} \n\n{note}"), "space after hash"),
        (
            format!("old 1\n{}\n{note}", format!("{hash}\n").repeat(64)),
            "64 proof lines",
        ),
        (format!("old {long}\n\n{note}"), "long size"),
    ];
    for (body, what) in cases {
        let err = AddCheckpoint::parse(body.as_bytes())
            .err()
            .unwrap_or_else(|| panic!("accepted: {what}"));
        // Errors quote at most a short part of the input.
        assert!(err.to_string().len() < 300, "{what}: {err}");
    }
    let mut bad = b"old 1\n\n".to_vec();
    bad.extend_from_slice(&[0xff, b'\n']);
    assert!(AddCheckpoint::parse(&bad).is_err());
    // 63 proof lines are accepted by the parser.
    let body = format!("old 1\n{}\n{note}", format!("{hash}\n").repeat(63));
    assert_eq!(
        AddCheckpoint::parse(body.as_bytes()).unwrap().proof.len(),
        63
    );
}

#[test]
fn tlog_witness_accepts_a_first_checkpoint_and_then_only_extensions() {
    let (signer, tree) = log_of(9, 1);
    let log = signer.verifier();
    // First sight: old 0, empty proof.
    let (cp4, note4) = signed_at(&signer, &tree, 4);
    let got = check_add_checkpoint(&log, None, &request(&tree, 0, note4.clone(), 4)).unwrap();
    assert_eq!(got, cp4);
    // The same checkpoint again.
    assert_eq!(
        check_add_checkpoint(&log, Some(&cp4), &request(&tree, 4, note4, 4)).unwrap(),
        cp4
    );
    // Its extension, with a proof from 4.
    let (cp9, note9) = signed_at(&signer, &tree, 9);
    assert_eq!(
        check_add_checkpoint(&log, Some(&cp4), &request(&tree, 4, note9, 9)).unwrap(),
        cp9
    );
}

#[test]
fn tlog_witness_conflict_names_the_size_it_holds() {
    let (signer, tree) = log_of(9, 1);
    let log = signer.verifier();
    let (cp4, _) = signed_at(&signer, &tree, 4);
    let (_, note9) = signed_at(&signer, &tree, 9);
    // The client thinks the witness holds 2, or nothing.
    for old in [0, 2, 5] {
        let err = check_add_checkpoint(&log, Some(&cp4), &request(&tree, old, note9.clone(), 9))
            .unwrap_err();
        assert_eq!(err, Refusal::Conflict { size: 4, old });
        assert_eq!((err.status(), err.conflict_size()), (409, Some(4)));
    }
    // A witness that holds nothing answers 0.
    let err = check_add_checkpoint(&log, None, &request(&tree, 4, note9, 9)).unwrap_err();
    assert_eq!(err.conflict_size(), Some(0));
}

#[test]
fn tlog_witness_refuses_a_rollback() {
    let (signer, tree) = log_of(9, 1);
    let log = signer.verifier();
    let (cp9, _) = signed_at(&signer, &tree, 9);
    let (_, note4) = signed_at(&signer, &tree, 4);
    // Told the truth about what it holds: the old size exceeds the checkpoint's.
    let req = AddCheckpoint {
        old_size: 9,
        proof: Vec::new(),
        checkpoint: note4.clone(),
    };
    let err = check_add_checkpoint(&log, Some(&cp9), &req).unwrap_err();
    assert_eq!(err.status(), 400, "{err}");
    // Told its own size: a conflict naming 9.
    let err = check_add_checkpoint(&log, Some(&cp9), &request(&tree, 4, note4, 4)).unwrap_err();
    assert_eq!(err.conflict_size(), Some(9));
}

#[test]
fn tlog_witness_refuses_a_fork() {
    // Two logs under one key that share their first 3 entries.
    let (signer, a) = log_of(6, 1);
    let mut b = Tree::new();
    for i in 0..6u8 {
        b.push_entry(&[i, if i < 3 { 1 } else { 2 }]);
    }
    let log = signer.verifier();
    let (a6, _) = signed_at(&signer, &a, 6);
    let (_, b6) = signed_at(&signer, &b, 6);
    // Same size, other root.
    let err = check_add_checkpoint(&log, Some(&a6), &request(&b, 6, b6, 6)).unwrap_err();
    assert_eq!(err, Refusal::Fork { size: 6 });
    assert_eq!((err.status(), err.conflict_size()), (409, Some(6)));
    // A larger tree of the other branch: its proof from 6 cannot lead from a's root.
    let (a4, _) = signed_at(&signer, &a, 4);
    let (_, b6) = signed_at(&signer, &b, 6);
    let err = check_add_checkpoint(&log, Some(&a4), &request(&b, 4, b6, 6)).unwrap_err();
    assert!(matches!(err, Refusal::BadProof(_)), "{err}");
    assert_eq!(err.status(), 422);
}

#[test]
fn tlog_witness_refuses_a_bad_proof() {
    let (signer, tree) = log_of(9, 1);
    let log = signer.verifier();
    let (cp4, _) = signed_at(&signer, &tree, 4);
    let (_, note9) = signed_at(&signer, &tree, 9);
    let good = request(&tree, 4, note9, 9);
    let mut flipped = good.clone();
    flipped.proof[0][0] ^= 1;
    let mut short = good.clone();
    short.proof.pop();
    let mut long = good.clone();
    long.proof.push([0; 32]);
    let mut from_other_size = good.clone();
    from_other_size.proof = tree.consistency_proof(3, 9).unwrap();
    for (req, what) in [
        (flipped, "flipped"),
        (short, "short"),
        (long, "long"),
        (from_other_size, "from 3"),
    ] {
        let err = check_add_checkpoint(&log, Some(&cp4), &req).unwrap_err();
        assert_eq!(err.status(), 422, "{what}: {err}");
    }
    // A proof where none is due.
    let (_, note4) = signed_at(&signer, &tree, 4);
    let mut req = request(&tree, 0, note4, 4);
    req.proof.push([0; 32]);
    assert_eq!(
        check_add_checkpoint(&log, None, &req).unwrap_err().status(),
        422
    );
}

#[test]
fn tlog_witness_refuses_bad_signatures_and_other_logs() {
    let (signer, tree) = log_of(4, 1);
    let log = signer.verifier();
    let (_, note) = signed_at(&signer, &tree, 4);
    // Signed by another key of the same name.
    let other = Signer::from_seed(ORIGIN, &[9; 32]).unwrap();
    let (_, forged) = signed_at(&other, &tree, 4);
    let err = check_add_checkpoint(&log, None, &request(&tree, 0, forged.clone(), 4)).unwrap_err();
    assert_eq!(err.status(), 403, "{err}");
    // A changed size under the log's signature.
    let tampered = note.replacen("\n4\n", "\n5\n", 1);
    let err = check_add_checkpoint(&log, None, &request(&tree, 0, tampered, 4)).unwrap_err();
    assert_eq!(err.status(), 403, "{err}");
    // A valid signature plus one by an unknown key: the unknown one is ignored.
    let mut both = note.clone();
    both.push_str(
        forged
            .rsplit_once("\n\n")
            .unwrap()
            .1
            .replace(ORIGIN, "someone.else")
            .as_str(),
    );
    check_add_checkpoint(&log, None, &request(&tree, 0, both, 4)).unwrap();
    // Not a signed note at all.
    let err =
        check_add_checkpoint(&log, None, &request(&tree, 0, "hello\n".into(), 4)).unwrap_err();
    assert_eq!(err.status(), 400, "{err}");
    // A note by the log's key whose text is not a checkpoint.
    let not_cp = note::sign("example.com/issuance\nnot a size\n", &signer).unwrap();
    let err = check_add_checkpoint(&log, None, &request(&tree, 0, not_cp, 4)).unwrap_err();
    assert_eq!(err.status(), 400, "{err}");
    // The empty tree must have the empty root.
    let empty = sign_checkpoint(&Checkpoint::new(ORIGIN, 0, [1; 32]), &signer).unwrap();
    let req = AddCheckpoint {
        old_size: 0,
        proof: Vec::new(),
        checkpoint: empty,
    };
    assert_eq!(
        check_add_checkpoint(&log, None, &req).unwrap_err().status(),
        400
    );
}

#[test]
fn tlog_witness_refuses_a_checkpoint_of_another_origin() {
    // The key's name is the origin the witness trusts; a checkpoint signed by
    // that key but naming another origin is not that log's.
    let signer = Signer::from_seed(ORIGIN, &[1; 32]).unwrap();
    let cp = Checkpoint::new("example.com/other", 0, EMPTY_ROOT);
    let req = AddCheckpoint {
        old_size: 0,
        proof: Vec::new(),
        checkpoint: sign_checkpoint(&cp, &signer).unwrap(),
    };
    let err = check_add_checkpoint(&signer.verifier(), None, &req).unwrap_err();
    assert_eq!(err.status(), 404, "{err}");
}

fn witness(n: u8) -> Signer {
    Signer::from_seed(&format!("witness-{n}.example"), &[100 + n; 32]).unwrap()
}

#[test]
fn tlog_witness_cosignatures_verify_and_leave_the_log_signature_alone() {
    let (signer, tree) = log_of(5, 1);
    let (cp, note) = signed_at(&signer, &tree, 5);
    let w = witness(1);
    let lines = cosign(&w, &cp, 1_700_000_000).unwrap();
    assert_eq!(lines.lines().count(), 2);
    assert!(lines
        .lines()
        .all(|l| l.starts_with("\u{2014} witness-1.example ")));
    let cosigned = merge_cosignatures(&note, &w.verifier(), &lines).unwrap();
    // The log's key still opens it; the witness's key opens it as a note too.
    assert_eq!(open_checkpoint(&cosigned, &signer.verifier()).unwrap(), cp);
    let by_witness = w.verifier().verify(cosigned.as_bytes()).unwrap();
    assert_eq!(by_witness.verified.len(), 1);
    // The second line has the cosignature/v1 key id and verifies as one.
    let checks = check_cosignatures(cosigned.as_bytes(), &[w.verifier()]).unwrap();
    assert_eq!(
        checks[0].status,
        CosignatureStatus::Valid {
            timestamp: Some(1_700_000_000)
        }
    );
    let v1_only: String = {
        let (text, sigs) = cosigned.split_once("\n\n").unwrap();
        let v1 = sigs.lines().last().unwrap();
        format!("{text}\n\n{}\n", v1)
    };
    assert_eq!(
        check_cosignatures(v1_only.as_bytes(), &[w.verifier()]).unwrap()[0].status,
        CosignatureStatus::Valid {
            timestamp: Some(1_700_000_000)
        }
    );
    assert!(cosign(&w, &cp, 1 << 63).is_err());
}

#[test]
fn tlog_witness_counts_distinct_valid_cosignatures() {
    let (signer, tree) = log_of(5, 1);
    let (cp, mut note) = signed_at(&signer, &tree, 5);
    let (a, b, c) = (witness(1), witness(2), witness(3));
    for w in [&a, &b] {
        note = merge_cosignatures(&note, &w.verifier(), &cosign(w, &cp, 1).unwrap()).unwrap();
    }
    let keys = [a.verifier(), b.verifier(), c.verifier()];
    assert_eq!(count_cosignatures(note.as_bytes(), &keys).unwrap(), 2);
    assert_eq!(count_cosignatures(note.as_bytes(), &keys[..1]).unwrap(), 1);
    // A key given twice, or under another name, is one witness.
    let renamed = Verifier::new_ed25519("alias.example", *a.verifier().public_key()).unwrap();
    let twice = [a.verifier(), a.verifier(), renamed];
    assert_eq!(count_cosignatures(note.as_bytes(), &twice).unwrap(), 1);
    // The count knows no log: the log's own key, given as a witness key,
    // would count, so callers keep it out of the witness keys.
    assert_eq!(
        count_cosignatures(note.as_bytes(), &[signer.verifier()]).unwrap(),
        1
    );
    assert_eq!(
        count_cosignatures(note.as_bytes(), &[c.verifier()]).unwrap(),
        0
    );
    // A cosignature of another checkpoint does not count here.
    let (cp4, note4) = signed_at(&signer, &tree, 4);
    let other = cosign(&c, &cp4, 1).unwrap();
    let mut pasted = note.clone();
    pasted.push_str(&other);
    let checks = check_cosignatures(pasted.as_bytes(), &keys).unwrap();
    assert_eq!(checks[2].status, CosignatureStatus::Invalid);
    assert_eq!(count_cosignatures(pasted.as_bytes(), &keys).unwrap(), 2);
    assert!(merge_cosignatures(&note4, &c.verifier(), &other).is_ok());
    // A flipped byte in a's lines makes a's cosignature invalid, not b's.
    let (text, sigs) = note.split_once("\n\n").unwrap();
    let mut lines: Vec<String> = sigs.lines().map(str::to_owned).collect();
    let i = lines
        .iter()
        .position(|l| l.contains("witness-1.example"))
        .unwrap();
    let mut raw = base64::decode(lines[i].rsplit_once(' ').unwrap().1).unwrap();
    raw[10] ^= 1;
    lines[i] = format!("\u{2014} witness-1.example {}", base64::encode(&raw));
    let broken = format!("{text}\n\n{}\n", lines.join("\n"));
    let checks = check_cosignatures(broken.as_bytes(), &keys).unwrap();
    assert_eq!(checks[0].status, CosignatureStatus::Invalid);
    assert!(matches!(checks[1].status, CosignatureStatus::Valid { .. }));
    assert_eq!(checks[2].status, CosignatureStatus::Absent);
    assert_eq!(count_cosignatures(broken.as_bytes(), &keys).unwrap(), 1);
    // Not a note.
    assert!(count_cosignatures(b"no signatures\n", &keys).is_err());
}

#[test]
fn tlog_witness_merging_replaces_a_witness_lines_and_checks_them() {
    let (signer, tree) = log_of(5, 1);
    let (cp, note) = signed_at(&signer, &tree, 5);
    let (a, b) = (witness(1), witness(2));
    let once = merge_cosignatures(&note, &a.verifier(), &cosign(&a, &cp, 1).unwrap()).unwrap();
    let twice = merge_cosignatures(&once, &a.verifier(), &cosign(&a, &cp, 2).unwrap()).unwrap();
    assert_eq!(twice.matches("witness-1.example").count(), 2, "{twice}");
    assert_eq!(
        check_cosignatures(twice.as_bytes(), &[a.verifier()]).unwrap()[0].status,
        CosignatureStatus::Valid { timestamp: Some(2) }
    );
    // Lines by others in an answer are ignored.
    let mut answer = cosign(&a, &cp, 3).unwrap();
    answer.push_str(&cosign(&b, &cp, 3).unwrap());
    let merged = merge_cosignatures(&note, &a.verifier(), &answer).unwrap();
    assert_eq!(
        count_cosignatures(merged.as_bytes(), &[b.verifier()]).unwrap(),
        0
    );
    // An answer without a valid line by the witness is refused.
    for bad in [
        String::new(),
        "\n".to_owned(),
        "not a signature line\n".to_owned(),
        cosign(&b, &cp, 3).unwrap(),
        cosign(&a, &Checkpoint::new(ORIGIN, 4, tree.root_at(4).unwrap()), 3).unwrap(),
        cosign(&a, &cp, 3).unwrap().trim_end().to_owned(),
    ] {
        let err = merge_cosignatures(&note, &a.verifier(), &bad).unwrap_err();
        assert!(
            matches!(err, TlogError::NoCosignature { .. }),
            "{bad:?}: {err}"
        );
    }
}

#[test]
fn tlog_witness_size_bodies() {
    assert_eq!(size_body(42), "42\n");
    assert_eq!(parse_size_body(b"42\n"), Some(42));
    assert_eq!(parse_size_body(b"0\n"), Some(0));
    assert_eq!(parse_size_body(b"42"), Some(42));
    for bad in [
        &b""[..],
        b"\n",
        b"042\n",
        b"-1\n",
        b"4 2\n",
        b"42\n\n",
        b"\xff\n",
    ] {
        assert_eq!(parse_size_body(bad), None, "{bad:?}");
    }
}
