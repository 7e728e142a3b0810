//! Tests for signed notes.
//!
//! Known answers are the test vectors of Go's signed-note implementation:
//! github.com/golang/mod, `sumdb/note/note_test.go` (keys of "PeterNeumann"
//! and "EnochRoot", the Peter Neumann quote and its signatures).

use super::*;

const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
const PETER_SIG: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

fn peter() -> (Signer, Verifier) {
    (
        Signer::from_skey(PETER_SKEY).unwrap(),
        Verifier::from_vkey(PETER_VKEY).unwrap(),
    )
}

#[test]
fn tlog_note_go_known_answer_sign() {
    let (signer, verifier) = peter();
    assert_eq!(signer.name(), "PeterNeumann");
    assert_eq!(signer.key_id(), 0xc74f20a3);
    assert_eq!(verifier.key_id(), 0xc74f20a3);
    assert_eq!(&signer.verifier(), &verifier);
    assert_eq!(signer.to_skey().as_str(), PETER_SKEY);
    assert_eq!(verifier.to_vkey(), PETER_VKEY);
    assert_eq!(verifier.to_string(), PETER_VKEY);

    let signed = sign(TEXT, &signer).unwrap();
    assert_eq!(signed, format!("{TEXT}\n{PETER_SIG}"));
}

#[test]
fn tlog_note_go_known_answer_open() {
    let (_, peter) = peter();
    let enoch = Verifier::from_vkey(ENOCH_VKEY).unwrap();
    let msg = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");

    let n = peter.verify(msg.as_bytes()).unwrap();
    assert_eq!(n.text, TEXT);
    assert_eq!(n.verified.len(), 1);
    assert_eq!(n.verified[0].name, "PeterNeumann");
    assert_eq!(n.verified[0].key_id, 0xc74f20a3);
    assert_eq!(n.unverified.len(), 1);
    assert_eq!(n.unverified[0].name, "EnochRoot");
    assert_eq!(n.unverified[0].key_id, 0xaf0cfe78);

    let n = enoch.verify(msg.as_bytes()).unwrap();
    assert_eq!(n.verified[0].name, "EnochRoot");
    assert_eq!(n.unverified[0].name, "PeterNeumann");

    // Duplicates are collapsed.
    let msg = format!("{TEXT}\n{PETER_SIG}{PETER_SIG}{ENOCH_SIG}{ENOCH_SIG}");
    let n = peter.verify(msg.as_bytes()).unwrap();
    assert_eq!((n.verified.len(), n.unverified.len()), (1, 1));
}

#[test]
fn tlog_note_requires_a_signature_by_the_key() {
    let (_, peter) = peter();
    let msg = format!("{TEXT}\n{ENOCH_SIG}");
    assert_eq!(
        peter.verify(msg.as_bytes()).unwrap_err(),
        TlogError::MissingSignature {
            name: "PeterNeumann".into(),
            key_id: 0xc74f20a3,
            found: 1
        }
    );
    // Same name, other key id; and same key id, other name: both ignored.
    let other_id = PETER_SIG.replace("x08g", "xxxx");
    let other_name = PETER_SIG.replace("PeterNeumann", "CarmenSandiego");
    for sig in [other_id, other_name] {
        let msg = format!("{TEXT}\n{sig}");
        let err = peter.verify(msg.as_bytes()).unwrap_err();
        assert!(
            matches!(err, TlogError::MissingSignature { found: 1, .. }),
            "{err}"
        );
    }
}

#[test]
fn tlog_note_invalid_signature_by_known_key_rejects_note() {
    let (_, peter) = peter();
    let bad = format!("{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    let msg = format!("{TEXT}\n{bad}");
    assert_eq!(
        peter.verify(msg.as_bytes()).unwrap_err().to_string(),
        "signature by key PeterNeumann+c74f20a3 does not verify"
    );
    // Even next to a good one.
    let msg = format!("{TEXT}\n{PETER_SIG}{bad}");
    assert!(matches!(
        peter.verify(msg.as_bytes()),
        Err(TlogError::InvalidSignature { .. })
    ));
}

#[test]
fn tlog_note_tampering_fails() {
    let (signer, verifier) = peter();
    let signed = sign(TEXT, &signer).unwrap();
    verifier.verify(signed.as_bytes()).unwrap();
    let bytes = signed.as_bytes();
    // Change every byte of the text, and every base64 character of the
    // signature, one at a time.
    let sig_start = TEXT.len() + 1 + "— PeterNeumann ".len();
    let positions = (0..TEXT.len()).chain(sig_start..bytes.len() - 1);
    for i in positions {
        let mut m = bytes.to_vec();
        m[i] = if m[i] == b'A' { b'B' } else { b'A' };
        assert!(verifier.verify(&m).is_err(), "tampered byte {i} accepted");
    }
}

#[test]
fn tlog_note_round_trip_and_generated_keys() {
    let signer = Signer::generate("example.com/log").unwrap();
    let verifier = Verifier::from_vkey(&signer.verifier().to_vkey()).unwrap();
    let again = Signer::from_skey(&signer.to_skey()).unwrap();
    assert_eq!(again.public_key(), signer.public_key());
    for text in [
        "a\n",
        "\n",
        "a\n\nb\n",
        "a\n\n",
        "unicode — ✓ ed è subito sera\n",
    ] {
        let signed = sign(text, &signer).unwrap();
        let n = verifier.verify(signed.as_bytes()).unwrap();
        assert_eq!(n.text, text);
        // Deterministic Ed25519: the same key gives the same note.
        assert_eq!(sign(text, &again).unwrap(), signed);
    }
    // Debug shows no secret.
    let dbg = format!("{signer:?}");
    assert!(dbg.contains("example.com/log") && dbg.contains(&format!("{:08x}", signer.key_id())));
    assert!(!dbg.contains(&signer.to_skey().as_str()[40..]));
}

#[test]
fn tlog_note_sign_rejects_bad_text() {
    let (signer, _) = peter();
    assert_eq!(sign("abc", &signer), Err(TlogError::NoteTextNotTerminated));
    assert_eq!(sign("", &signer), Err(TlogError::NoteTextNotTerminated));
    assert_eq!(
        sign("a\tb\n", &signer),
        Err(TlogError::NoteControlChar { byte: 9, offset: 1 })
    );
    assert!(sign("a\r\n", &signer).is_err());
}

#[test]
fn tlog_note_malformed_notes_rejected() {
    let (_, peter) = peter();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (TEXT.into(), "no separator"),
        (format!("{TEXT}\n").into(), "no signatures"),
        (format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]).into(), "no final newline"),
        (format!("\x01{TEXT}\n{PETER_SIG}").into(), "control char"),
        ([&[0xffu8][..], format!("{TEXT}\n{PETER_SIG}").as_bytes()].concat(), "bad utf-8"),
        (
            format!("{TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n").into(),
            "name with space",
        ),
        (format!("{TEXT}\n{PETER_SIG}Unexpected line.\n").into(), "stray line"),
        (format!("{TEXT}\n- PeterNeumann AAAAAAAA\n").into(), "hyphen not em dash"),
        (format!("{TEXT}\n— PeterNeumann\n").into(), "no signature"),
        (format!("{TEXT}\n— PeterNeumann \n").into(), "empty signature"),
        (format!("{TEXT}\n— PeterNeumann AAAA\n").into(), "short signature"),
        (format!("{TEXT}\n— PeterNeumann not*base64\n").into(), "bad base64"),
        (format!("{TEXT}\n— a+b AAAAAAAA\n").into(), "plus in name"),
        (format!("{TEXT}\n{}", PETER_SIG.repeat(MAX_SIGNATURES + 1)).into(), "too many"),
    ];
    for (msg, desc) in cases {
        assert!(peter.verify(&msg).is_err(), "accepted: {desc}");
    }
    // Up to the limit is fine.
    let msg = format!("{TEXT}\n{}", PETER_SIG.repeat(MAX_SIGNATURES));
    peter.verify(msg.as_bytes()).unwrap();

    let err = peter
        .verify(format!("{TEXT}\n{PETER_SIG}Unexpected line.\n").as_bytes())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "signature line 5 of the note is malformed: it does not start with an em dash (U+2014) and a space"
    );
    assert_eq!(
        peter.verify(b"a\x7f\x00\n\n").unwrap_err(),
        TlogError::NoteControlChar { byte: 0, offset: 2 }
    );
}

/// Every proper substring and every one-byte increment of a key string must
/// be rejected (as in Go's `TestNewVerifier` / `TestNewSigner`).
#[test]
fn tlog_note_mangled_keys_rejected() {
    fn check(key: &str, parse: fn(&str) -> bool) {
        assert!(parse(key));
        let b = key.as_bytes();
        for i in 0..=b.len() {
            for j in i + 1..=b.len() {
                if (i, j) != (0, b.len()) {
                    if let Ok(s) = std::str::from_utf8(&b[i..j]) {
                        assert!(!parse(s), "accepted substring {s:?}");
                    }
                }
            }
        }
        for i in 0..b.len() {
            let mut m = b.to_vec();
            m[i] += 1;
            if let Ok(s) = std::str::from_utf8(&m) {
                assert!(!parse(s), "accepted mangled key {s:?}");
            }
        }
    }
    check(PETER_VKEY, |s| Verifier::from_vkey(s).is_ok());
    check(PETER_SKEY, |s| Signer::from_skey(s).is_ok());

    // Wrong key length with adjusted key id; unknown algorithm with adjusted id.
    let err = Verifier::from_vkey(
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
    )
    .unwrap_err();
    assert!(
        matches!(err, TlogError::MalformedVerifierKey { .. }),
        "{err}"
    );
    assert_eq!(
        Verifier::from_vkey("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        Err(TlogError::UnsupportedAlgorithm(0x65))
    );
    assert_eq!(
        Verifier::from_vkey("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        Err(TlogError::KeyIdMismatch {
            stated: 0xc74f20a4,
            computed: 0xc74f20a3
        })
    );
    // Signer key errors never quote the secret.
    let err = Signer::from_skey(&PETER_SKEY.replace("AYEK", "AYE*")).unwrap_err();
    assert!(!err.to_string().contains("AYE"), "{err}");
}

#[test]
fn tlog_note_key_names() {
    for bad in ["", "a b", "a+b", "a\u{a0}b", "tab\t"] {
        assert!(matches!(
            Signer::from_seed(bad, &[7; 32]),
            Err(TlogError::InvalidKeyName { .. })
        ));
        assert!(Verifier::new_ed25519(bad, [7; 32]).is_err());
    }
    let s = Signer::from_seed("example.com/log42", &[7; 32]).unwrap();
    assert_eq!(
        s.key_id(),
        ed25519_key_id("example.com/log42", &s.public_key())
    );
}

#[test]
fn tlog_note_detached_signatures_are_bound_to_context_message_and_key() {
    let (signer, verifier) = peter();
    let ctx = "example detached v1\n";
    let sig = signer.sign_detached(ctx, b"hello").unwrap();
    verifier.verify_detached(ctx, b"hello", &sig).unwrap();
    // Ed25519 is deterministic.
    assert_eq!(sig, signer.sign_detached(ctx, b"hello").unwrap());
    assert!(verifier.verify_detached(ctx, b"hellp", &sig).is_err());
    assert!(verifier
        .verify_detached("example detached v2\n", b"hello", &sig)
        .is_err());
    // The boundary between context and message is fixed by the context's
    // newline, so moving bytes across it changes what is signed.
    assert!(verifier
        .verify_detached("example detached v1\n", b"hello", &sig[..63])
        .is_err());
    let enoch = Verifier::from_vkey(ENOCH_VKEY).unwrap();
    assert!(matches!(
        enoch.verify_detached(ctx, b"hello", &sig),
        Err(TlogError::InvalidSignature { .. })
    ));
    for i in 0..64 {
        let mut bad = sig;
        bad[i] ^= 0x01;
        assert!(
            verifier.verify_detached(ctx, b"hello", &bad).is_err(),
            "{i}"
        );
    }
}

#[test]
fn tlog_note_detached_contexts_cannot_look_like_a_checkpoint() {
    let (signer, _) = peter();
    for bad in [
        "",
        "no-newline v1",
        "nospace\n",
        "two lines\nhere\n",
        "tab\there\n",
        "caf\u{e9} v1\n",
    ] {
        assert!(
            matches!(
                signer.sign_detached(bad, b"x"),
                Err(TlogError::InvalidContext { .. })
            ),
            "{bad:?}"
        );
    }
    // A checkpoint's text starts with its origin, a key name, which has no
    // space: a checkpoint text is refused as a context.
    assert!(signer.sign_detached("PeterNeumann\n", b"1\n").is_err());
}
