//! Interoperability of `watermark_log::tlog` with Cloudflare's independent
//! Rust ports of Go's `sumdb/note` and `sumdb/tlog`: the crates `signed_note`
//! (c2sp.org/signed-note) and `tlog_tiles` (c2sp.org/tlog-checkpoint and
//! RFC 6962 record/tree proofs).
//!
//! Each direction is checked: their verifiers accept what we produce, and
//! ours accept what they produce.

use signed_note::{Note, StandardSigner, StandardVerifier, VerifierList};
use tlog_tiles::{HashReader, RecordProof, TreeProof};
use watermark_log::tlog::{self, Checkpoint, Hash, Signer, Tree, Verifier};

const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";

fn their_verifiers(vkey: &str) -> VerifierList {
    VerifierList::new(vec![Box::new(
        StandardVerifier::new(vkey).expect("their vkey parse"),
    )])
}

/// Signs `text` with their implementation.
fn their_sign(text: &str, skey: &str) -> Vec<u8> {
    let signer = StandardSigner::new(skey).expect("their skey parse");
    let mut note = Note::new(text.as_bytes(), &[]).expect("their note");
    note.add_sigs(&[&signer]).expect("their sign");
    note.to_bytes()
}

/// Verifies with their implementation, returning the note text.
fn their_open(signed: &[u8], vkey: &str) -> Vec<u8> {
    let note = Note::from_bytes(signed).expect("their parse");
    let (verified, _) = note.verify(&their_verifiers(vkey)).expect("their verify");
    assert_eq!(verified.len(), 1);
    note.text().to_vec()
}

fn keys() -> Vec<Signer> {
    vec![
        Signer::from_skey(PETER_SKEY).unwrap(),
        Signer::from_seed("example.com/issuance-log", &[0x5a; 32]).unwrap(),
        Signer::generate("registry.example/extracts/log1").unwrap(),
    ]
}

#[test]
fn tlog_interop_keys_parse_both_ways() {
    for signer in keys() {
        let skey = signer.to_skey();
        let vkey = signer.verifier().to_vkey();
        StandardSigner::new(&skey).expect("they parse our signer key");
        StandardVerifier::new(&vkey).expect("they parse our verifier key");
    }
    let mut rng = rand::rngs::OsRng;
    let (skey, vkey) = signed_note::generate_key(&mut rng, "their.example/log");
    let signer = Signer::from_skey(&skey).expect("we parse their signer key");
    let verifier = Verifier::from_vkey(&vkey).expect("we parse their verifier key");
    assert_eq!(signer.verifier(), verifier);
    assert_eq!(verifier.to_vkey(), vkey);
    assert_eq!(signer.to_skey().as_str(), skey);
}

#[test]
fn tlog_interop_signed_notes_both_ways() {
    let texts = [
        "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n",
        "one line\n",
        "text with\n\nan empty line and unicode — ✓\n",
    ];
    for signer in keys() {
        let skey = signer.to_skey();
        let vkey = signer.verifier().to_vkey();
        let verifier = signer.verifier();
        for text in texts {
            // Ours -> theirs.
            let ours = tlog::sign(text, &signer).unwrap();
            assert_eq!(their_open(ours.as_bytes(), &vkey), text.as_bytes());
            // Theirs -> ours.
            let theirs = their_sign(text, &skey);
            let opened = verifier.verify(&theirs).expect("we verify their note");
            assert_eq!(opened.text, text);
            // Ed25519 is deterministic: the encodings agree byte for byte.
            assert_eq!(ours.as_bytes(), &theirs[..]);
        }
    }
}

#[test]
fn tlog_interop_tampered_notes_rejected_by_both() {
    let signer = Signer::from_skey(PETER_SKEY).unwrap();
    let vkey = signer.verifier().to_vkey();
    let signed = tlog::sign("origin\n1\nAAAA\n", &signer).unwrap();
    let tampered = signed.replacen("\n1\n", "\n2\n", 1);
    let note = Note::from_bytes(tampered.as_bytes()).unwrap();
    assert!(note.verify(&their_verifiers(&vkey)).is_err());
    assert!(signer.verifier().verify(tampered.as_bytes()).is_err());
}

fn to_their_hash(h: &Hash) -> tlog_tiles::Hash {
    tlog_tiles::Hash(*h)
}

fn to_their_proof(p: &[Hash]) -> Vec<tlog_tiles::Hash> {
    p.iter().map(to_their_hash).collect()
}

fn from_their_proof(p: &[tlog_tiles::Hash]) -> Vec<Hash> {
    p.iter().map(|h| h.0).collect()
}

#[test]
fn tlog_interop_checkpoints_both_ways() {
    let mut tree = Tree::new();
    for i in 0u32..1000 {
        tree.push_entry(&i.to_be_bytes());
    }
    for signer in keys() {
        let skey = signer.to_skey();
        let vkey = signer.verifier().to_vkey();
        for (size, ext) in [(0u64, ""), (1, ""), (1000, ""), (777, "ext a\next b\n")] {
            let root = tree.root_at(size).unwrap();
            let mut ours = Checkpoint::new(signer.name(), size, root);
            ours.extensions = ext.lines().map(str::to_owned).collect();

            // Ours -> theirs.
            let signed = tlog::sign_checkpoint(&ours, &signer).unwrap();
            let text = their_open(signed.as_bytes(), &vkey);
            let parsed = tlog_tiles::Checkpoint::from_bytes(&text).expect("their checkpoint parse");
            assert_eq!(parsed.origin(), signer.name());
            assert_eq!(parsed.size(), size);
            assert_eq!(parsed.hash().0, root);
            assert_eq!(parsed.extension(), ext);

            // Theirs -> ours.
            let theirs =
                tlog_tiles::Checkpoint::new(signer.name(), size, to_their_hash(&root), ext)
                    .expect("their checkpoint");
            assert_eq!(theirs.to_bytes(), ours.to_body().as_bytes());
            let signed = their_sign(std::str::from_utf8(&theirs.to_bytes()).unwrap(), &skey);
            let opened =
                tlog::open_checkpoint(std::str::from_utf8(&signed).unwrap(), &signer.verifier())
                    .expect("we open their checkpoint");
            assert_eq!(opened, ours);
        }
    }
}

/// Hash storage in the layout of Go's `sumdb/tlog` (`stored_hash_index`),
/// filled with `tlog_tiles::stored_hashes`.
struct TheirStorage(Vec<tlog_tiles::Hash>);

impl HashReader for TheirStorage {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| {
                self.0
                    .get(usize::try_from(i).unwrap())
                    .copied()
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}

fn build_both(n: u64) -> (Tree, TheirStorage) {
    let mut tree = Tree::new();
    let mut storage = TheirStorage(Vec::new());
    for i in 0..n {
        let data = format!("entry {i}");
        tree.push_entry(data.as_bytes());
        let hashes = tlog_tiles::stored_hashes(i, data.as_bytes(), &storage).unwrap();
        storage.0.extend(hashes);
    }
    (tree, storage)
}

#[test]
fn tlog_interop_roots_and_proofs_both_ways() {
    const N: u64 = 70;
    let (tree, storage) = build_both(N);
    for size in 1..=N {
        let root = tree.root_at(size).unwrap();
        assert_eq!(
            tlog_tiles::tree_hash(size, &storage).unwrap().0,
            root,
            "root at {size}"
        );

        for index in 0..size {
            let leaf = *tree.leaf(index).unwrap();
            // Ours -> theirs.
            let ours = tree.inclusion_proof(index, size).unwrap();
            let p: RecordProof = to_their_proof(&ours);
            tlog_tiles::check_record(&p, size, to_their_hash(&root), index, to_their_hash(&leaf))
                .expect("they verify our inclusion proof");
            // Theirs -> ours.
            let theirs = tlog_tiles::prove_record(size, index, &storage).unwrap();
            let theirs = from_their_proof(&theirs);
            tlog::verify_inclusion(&leaf, index, size, &theirs, &root)
                .expect("we verify their inclusion proof");
            assert_eq!(ours, theirs);
        }

        for old in 1..=size {
            let old_root = tree.root_at(old).unwrap();
            // Ours -> theirs.
            let ours = tree.consistency_proof(old, size).unwrap();
            let p: TreeProof = to_their_proof(&ours);
            tlog_tiles::check_tree(
                &p,
                size,
                to_their_hash(&root),
                old,
                to_their_hash(&old_root),
            )
            .expect("they verify our consistency proof");
            // Theirs -> ours.
            let theirs = tlog_tiles::prove_tree(size, old, &storage).unwrap();
            let theirs = from_their_proof(&theirs);
            tlog::verify_consistency(old, size, &old_root, &root, &theirs)
                .expect("we verify their consistency proof");
            assert_eq!(ours, theirs);
        }
    }
}

#[test]
fn tlog_interop_large_tree_spot_checks() {
    const N: u64 = 5_000;
    let (tree, storage) = build_both(N);
    let root = tree.root();
    assert_eq!(tlog_tiles::tree_hash(N, &storage).unwrap().0, root);
    for index in [0, 1, 2047, 2048, 4095, 4096, 4999] {
        let leaf = *tree.leaf(index).unwrap();
        let theirs = from_their_proof(&tlog_tiles::prove_record(N, index, &storage).unwrap());
        assert_eq!(tree.inclusion_proof(index, N).unwrap(), theirs);
        tlog::verify_inclusion(&leaf, index, N, &theirs, &root).unwrap();
    }
    for old in [1, 2, 3, 1024, 3333, 4096, 4999] {
        let theirs = from_their_proof(&tlog_tiles::prove_tree(N, old, &storage).unwrap());
        assert_eq!(tree.consistency_proof(old, N).unwrap(), theirs);
        tlog::verify_consistency(old, N, &tree.root_at(old).unwrap(), &root, &theirs).unwrap();
    }
}

#[test]
fn tlog_interop_corrupted_proofs_rejected_by_both() {
    let (tree, _) = build_both(13);
    let root = tree.root();
    let leaf = *tree.leaf(6).unwrap();
    let mut proof = tree.inclusion_proof(6, 13).unwrap();
    proof[1][7] ^= 0x40;
    assert!(tlog::verify_inclusion(&leaf, 6, 13, &proof, &root).is_err());
    let p: RecordProof = to_their_proof(&proof);
    assert!(
        tlog_tiles::check_record(&p, 13, to_their_hash(&root), 6, to_their_hash(&leaf)).is_err()
    );

    let old_root = tree.root_at(5).unwrap();
    let mut proof = tree.consistency_proof(5, 13).unwrap();
    proof[0][0] ^= 1;
    assert!(tlog::verify_consistency(5, 13, &old_root, &root, &proof).is_err());
    let p: TreeProof = to_their_proof(&proof);
    assert!(
        tlog_tiles::check_tree(&p, 13, to_their_hash(&root), 5, to_their_hash(&old_root)).is_err()
    );
}

/// The log as `watermark` stores it: they verify every stored checkpoint and
/// every receipt's inclusion proof, and their proofs are ours.
#[test]
fn tlog_interop_real_log_storage() {
    use watermark_app::State;
    use watermark_log::{Entry, VerifyEntry};

    let dir = tempfile::tempdir().unwrap();
    let state =
        State::init_with_log_origin(&dir.path().join("s"), Some("example.org/extracts")).unwrap();
    let lock = state.lock().unwrap();
    let mut n = 0u64;
    for batch in [1, 3, 2, 1, 4] {
        let entries: Vec<Entry> = (0..batch)
            .map(|_| {
                n += 1;
                Entry::Verify(VerifyEntry {
                    scheme: watermark_core::SCHEME_VERSION,
                    time: "2026-05-01T10:00:00Z".into(),
                    investigator: format!("investigator-{n}"),
                    leak_blake3: blake3::hash(&n.to_be_bytes()).to_hex().to_string(),
                    leak_bytes: n * 100,
                    leak_format: None,
                    leak_encoding: None,
                    rows_read: n,
                    positions_read: 3 * n,
                    comparisons: 2,
                    threshold: "1e-9".into(),
                    accused: Vec::new(),
                    tool: "watermark test".into(),
                })
            })
            .collect();
        state.append(&lock, &entries).unwrap();
    }
    let log = state.log().unwrap();
    assert_eq!(log.size(), n);
    let vkey = log.verifier().to_vkey();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("s/log/verifier.key")).unwrap(),
        format!("{vkey}\n")
    );

    // Their storage, filled from the stored entries file.
    let stored = std::fs::read_to_string(dir.path().join("s/log/entries")).unwrap();
    let mut storage = TheirStorage(Vec::new());
    for (i, line) in stored.lines().enumerate() {
        let hashes = tlog_tiles::stored_hashes(i as u64, line.as_bytes(), &storage).unwrap();
        storage.0.extend(hashes);
    }

    for size in 0..=n {
        let note = log.checkpoint_at(size).unwrap();
        let text = their_open(note.as_bytes(), &vkey);
        let cp = tlog_tiles::Checkpoint::from_bytes(&text).expect("their checkpoint parse");
        assert_eq!(cp.origin(), "example.org/extracts");
        assert_eq!(cp.size(), size);
        if size > 0 {
            assert_eq!(
                cp.hash().0,
                tlog_tiles::tree_hash(size, &storage).unwrap().0
            );
        }
        for index in 0..size {
            let receipt = log.receipt_at(index, size).unwrap();
            receipt.verify(log.verifier()).unwrap();
            let leaf = tlog::leaf_hash(receipt.entry.as_bytes());
            let p: RecordProof = to_their_proof(&receipt.inclusion_proof);
            tlog_tiles::check_record(&p, size, *cp.hash(), index, to_their_hash(&leaf))
                .expect("they verify our receipt");
            let theirs = tlog_tiles::prove_record(size, index, &storage).unwrap();
            assert_eq!(from_their_proof(&theirs), receipt.inclusion_proof);
        }
        if size > 0 {
            let c = log.consistency(note).unwrap();
            let theirs = tlog_tiles::prove_tree(n, size, &storage).unwrap();
            assert_eq!(from_their_proof(&theirs), c.proof);
            let p: TreeProof = to_their_proof(&c.proof);
            tlog_tiles::check_tree(&p, n, to_their_hash(&log.root()), size, *cp.hash())
                .expect("they verify our consistency proof");
        }
    }
}

#[test]
fn tlog_interop_cosigned_checkpoints_open_with_log_and_witness_keys() {
    let mut tree = Tree::new();
    for i in 0u32..9 {
        tree.push_entry(&i.to_be_bytes());
    }
    let log = Signer::from_seed("registry.example/extracts", &[0x5a; 32]).unwrap();
    let witnesses = [
        Signer::from_seed("witness-a.example", &[1; 32]).unwrap(),
        Signer::from_seed("witness-b.example/w1", &[2; 32]).unwrap(),
    ];
    let cp = Checkpoint::new(log.name(), 9, tree.root());
    let mut note = tlog::sign_checkpoint(&cp, &log).unwrap();
    for w in &witnesses {
        let lines = tlog::cosign(w, &cp, 1_700_000_000).unwrap();
        note = tlog::merge_cosignatures(&note, &w.verifier(), &lines).unwrap();
    }
    // Their verifier, given the log's and both witnesses' keys, verifies the
    // three note signatures and leaves the cosignature/v1 lines unverified.
    let theirs = Note::from_bytes(note.as_bytes()).expect("their parse");
    let keys = VerifierList::new(
        std::iter::once(&log)
            .chain(&witnesses)
            .map(|s| {
                Box::new(StandardVerifier::new(&s.verifier().to_vkey()).unwrap())
                    as Box<dyn signed_note::Verifier>
            })
            .collect(),
    );
    let (verified, unverified) = theirs.verify(&keys).expect("their verify");
    let mut names: Vec<&str> = verified.iter().map(|s| s.name()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "registry.example/extracts",
            "witness-a.example",
            "witness-b.example/w1"
        ]
    );
    assert_eq!(unverified.len(), 2);
    // With the log's key alone, as a log's client would.
    assert_eq!(
        their_open(note.as_bytes(), &log.verifier().to_vkey()),
        cp.to_body().as_bytes()
    );
}
