//! Signed evidence reports from the command line: `watermark verify --report`
//! writes one, `watermark report verify` checks it with a key from outside.

use std::path::{Path, PathBuf};

mod common;

use assert_cmd::Command;
use common::{init, issue, suggest, synth, wm};
use predicates::prelude::*;
use predicates::str::contains;

/// The log origin of the states made here.
const ORIGIN: &str = "registry.example/extracts";

/// A state with a 3,000-row roll issued to PAN and PRI, and a 60-row leak
/// of PAN's copy.
struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let f = Fixture { _dir: dir, root };
        synth(3000, &f.p("roll.csv"));
        suggest(&f.p("roll.csv"), &[], &f.p("policy.toml"));
        init(&f.p("state"), Some(ORIGIN));
        issue(
            &f.p("state"),
            &f.p("policy.toml"),
            &f.p("roll.csv"),
            &["PAN", "PRI"],
            &f.p("copies"),
        )
        .assert()
        .success();
        let text = std::fs::read_to_string(f.p("copies/PAN.csv")).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let mut leak = vec![lines[0]];
        leak.extend(lines[100..160].iter().rev());
        std::fs::write(f.p("leak.csv"), leak.join("\n") + "\n").unwrap();
        f
    }

    fn p(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn pubkey(&self, state: &str) -> String {
        let out = wm()
            .args(["log", "pubkey", "--state"])
            .arg(self.p(state))
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone())
            .unwrap()
            .trim_end()
            .to_owned()
    }

    fn log_size(&self) -> u64 {
        let out = wm()
            .args(["log", "show", "--json", "--state"])
            .arg(self.p("state"))
            .assert()
            .success();
        let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        doc["size"].as_u64().unwrap()
    }

    /// `verify --state state leak.csv --report REPORT`, to run.
    fn verify_with_report(&self, report: &Path) -> Command {
        let mut c = wm();
        c.arg("verify")
            .arg("--state")
            .arg(self.p("state"))
            .arg(self.p("leak.csv"))
            .arg("--report")
            .arg(report);
        c
    }

    fn report_verify(&self, report: &Path, key: &str) -> assert_cmd::assert::Assert {
        wm().args(["report", "verify"])
            .arg(report)
            .args(["--pubkey", key])
            .assert()
    }
}

#[test]
fn a_report_verifies_with_the_logs_key_and_fails_for_any_changed_byte_or_other_key() {
    let f = Fixture::new();
    let report = f.p("evidence.html");
    f.verify_with_report(&report)
        .assert()
        .success()
        .stdout(contains("ACCUSED: PAN").and(contains("Signed report written to")));
    let bytes = std::fs::read(&report).unwrap();
    assert!(bytes.starts_with(b"<!DOCTYPE html>\n"));
    assert!(bytes.ends_with(b" -->\n"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&report).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }
    // No secret is in it: not the master key, not the log's signing key.
    let text = String::from_utf8(bytes.clone()).unwrap();
    let master = std::fs::read_to_string(f.p("state/master.key")).unwrap();
    let secret = master
        .lines()
        .find_map(|l| l.strip_prefix("secret: "))
        .unwrap();
    assert!(secret.len() >= 32 && !text.contains(secret));
    let skey = std::fs::read_to_string(f.p("state/log/signing.key")).unwrap();
    // PRIVATE+KEY+NAME+ID+BASE64: names have no '+', base64 may.
    let seed = skey
        .trim_end()
        .strip_prefix("PRIVATE+KEY+")
        .unwrap()
        .splitn(3, '+')
        .nth(2)
        .unwrap();
    assert!(seed.len() >= 40 && !text.contains(seed));
    assert!(!text.contains("PRIVATE+KEY"));
    // No temporary file is left beside it.
    let left: Vec<_> = std::fs::read_dir(&f.root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(".watermark-report-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // The log's key, as the registry would publish it, in a file and as text.
    let key = f.pubkey("state");
    std::fs::write(f.p("log.pub"), format!("{key}\n")).unwrap();
    f.report_verify(&report, &key).success().stdout(
        contains("verifies")
            .and(contains("accused PAN"))
            .and(contains("nothing by itself")),
    );
    wm().args(["report", "verify"])
        .arg(&report)
        .arg("--public-key")
        .arg(f.p("log.pub"))
        .assert()
        .success();
    wm().args(["report", "verify"])
        .arg(&report)
        .arg("--state")
        .arg(f.p("state"))
        .assert()
        .success();

    // Another log's key, even under the same name, does not verify it.
    init(&f.p("other"), Some(ORIGIN));
    let other = f.pubkey("other");
    f.report_verify(&report, &other)
        .code(3)
        .stderr(contains("does not verify").and(contains("signed by key")));
    wm().args(["report", "verify"])
        .arg(&report)
        .arg("--state")
        .arg(f.p("other"))
        .assert()
        .code(3);

    // One byte changed anywhere: at the start, in the HTML, in the embedded
    // JSON, at the newline before the signature line, in the signature line
    // (its marker, key, signature, end) and its final newline.
    let sig_line = text[..text.len() - 1].rfind('\n').unwrap() + 1;
    let json = text.find("\"accused\": [").unwrap();
    let score = text.find("<td class=\"num\">").unwrap();
    let mut positions = vec![
        0,
        1,
        bytes.len() / 4,
        bytes.len() / 2,
        score + 16,
        json + 3,
        sig_line - 8,
        sig_line - 1,
        sig_line,
        sig_line + 10,
        sig_line + text[sig_line..].find("key=").unwrap() + 4,
        sig_line + text[sig_line..].find("sig=").unwrap() + 4,
        sig_line + text[sig_line..].find("sig=").unwrap() + 70,
        bytes.len() - 3,
        bytes.len() - 1,
    ];
    positions.extend((0..bytes.len()).step_by(997));
    let changed = f.p("changed.html");
    for at in positions {
        let mut copy = bytes.clone();
        copy[at] ^= 0x01;
        std::fs::write(&changed, &copy).unwrap();
        let out = f.report_verify(&changed, &key).code(3);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(stderr.contains("does not verify"), "byte {at}: {stderr}");
    }
    // Cut short, or something appended.
    std::fs::write(&changed, &bytes[..bytes.len() - 1]).unwrap();
    f.report_verify(&changed, &key).code(3);
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"<p>Accused: PRI</p>\n");
    std::fs::write(&changed, &longer).unwrap();
    f.report_verify(&changed, &key).code(3);
    // The original still verifies.
    f.report_verify(&report, &key).success();
}

#[test]
fn report_verify_json_says_what_was_checked_and_saves_receipts() {
    let f = Fixture::new();
    let report = f.p("evidence.html");
    // With --json, stdout stays the JSON report; the signed file is written too.
    let out = wm()
        .arg("verify")
        .arg("--state")
        .arg(f.p("state"))
        .arg(f.p("leak.csv"))
        .arg("--json")
        .arg("--report")
        .arg(&report)
        .assert()
        .success();
    let verify: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let key = f.pubkey("state");
    let saved = f.p("receipts");
    let out = wm()
        .args(["report", "verify", "--json"])
        .arg(&report)
        .args(["--pubkey", &key])
        .arg("--leaked")
        .arg(f.p("leak.csv"))
        .arg("--save-receipts")
        .arg(&saved)
        .assert()
        .success();
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["signature"]["ok"], true);
    assert_eq!(doc["signature"]["algorithm"], "ed25519");
    assert_eq!(doc["signature"]["key"], key.as_str());
    assert_eq!(doc["signature"]["key_source"], "--pubkey");
    assert_eq!(doc["signature"]["context"], "watermark evidence report v1");
    let bytes = std::fs::read(&report).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let payload = text[..text.len() - 1].rfind('\n').unwrap() + 1;
    assert_eq!(doc["signature"]["signed_bytes"], payload as u64);
    assert_eq!(doc["signature"]["file_bytes"], bytes.len() as u64);
    assert_eq!(doc["embedded_key_matches"], true);
    assert_eq!(doc["leak"]["blake3"], verify["leak"]["blake3"]);
    assert_eq!(doc["leaked_file_matches"], true);
    assert_eq!(doc["accused"][0]["recipient"], "PAN");
    assert_eq!(
        doc["accused"][0]["false_accusation_bound"],
        verify["accused"][0]["false_accusation_bound"]
    );
    assert_eq!(doc["checkpoint"]["ok"], true);
    assert_eq!(doc["checkpoint"]["origin"], "registry.example/extracts");
    assert_eq!(doc["checkpoint"]["size"], f.log_size());
    let receipts = doc["receipts"].as_array().unwrap();
    assert_eq!(receipts[0]["what"], "verification");
    assert_eq!(receipts[0]["index"], verify["log"]["verification"]["index"]);
    assert!(receipts.len() >= 2, "{receipts:?}");
    assert!(receipts.iter().all(|r| r["ok"] == true));
    assert!(receipts[1..]
        .iter()
        .all(|r| r["what"] == "copy" && r["recipient"] == "PAN"));
    assert!(doc["problem"].is_null());

    // The embedded JSON is the `verify --json` document.
    let start = text.find("id=\"watermark-report\">\n").unwrap() + 23;
    let end = start + text[start..].find("</script>").unwrap();
    let embedded: serde_json::Value = serde_json::from_str(&text[start..end]).unwrap();
    assert_eq!(embedded, verify);

    // The saved receipts check out on their own, and the copy's names PAN's copy.
    for r in receipts {
        let index = r["index"].as_u64().unwrap();
        let mut c = wm();
        c.args(["log", "verify-receipt"])
            .arg(saved.join(format!("entry-{index}.receipt")))
            .args(["--pubkey", &key]);
        if r["what"] == "copy" {
            c.arg("--copy").arg(f.p("copies/PAN.csv"));
        }
        c.assert().success();
    }
    wm().args(["log", "consistency", "--state"])
        .arg(f.p("state"))
        .arg(saved.join("checkpoint"))
        .assert()
        .success();

    // Another file given as the leak: exit 3, and the JSON says so.
    let out = wm()
        .args(["report", "verify", "--json"])
        .arg(&report)
        .args(["--pubkey", &key])
        .arg("--leaked")
        .arg(f.p("roll.csv"))
        .assert()
        .code(3);
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["signature"]["ok"], true);
    assert_eq!(doc["leaked_file_matches"], false);
    assert!(doc["problem"].as_str().unwrap().contains("--leaked"));

    // A changed byte: exit 3, signature not ok, nothing else claimed.
    let mut copy = bytes.clone();
    copy[payload / 2] ^= 0x01;
    std::fs::write(f.p("changed.html"), &copy).unwrap();
    let out = wm()
        .args(["report", "verify", "--json"])
        .arg(f.p("changed.html"))
        .args(["--pubkey", &key])
        .assert()
        .code(3);
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["signature"]["ok"], false);
    assert!(doc["leak"].is_null());
    assert!(doc["receipts"].as_array().unwrap().is_empty());
    assert!(doc["problem"]
        .as_str()
        .unwrap()
        .contains("signature does not verify"));
}

#[test]
fn an_existing_report_is_never_replaced_and_nothing_is_logged_then() {
    let f = Fixture::new();
    let report = f.p("evidence.html");
    std::fs::write(&report, "an earlier report\n").unwrap();
    let before = f.log_size();
    f.verify_with_report(&report)
        .assert()
        .code(1)
        .stderr(contains("already exists"));
    assert_eq!(
        std::fs::read_to_string(&report).unwrap(),
        "an earlier report\n"
    );
    assert_eq!(f.log_size(), before);
    // Nor into a directory that is not there.
    f.verify_with_report(&f.p("no/such/dir/evidence.html"))
        .assert()
        .code(1)
        .stderr(contains("not a directory"));
    assert_eq!(f.log_size(), before);
}

#[test]
fn report_verify_usage_and_io_errors_are_not_a_verdict() {
    let f = Fixture::new();
    let key = f.pubkey("state");
    // Unreadable report, bad key: 1.
    f.report_verify(&f.p("missing.html"), &key)
        .code(1)
        .stderr(contains("missing.html"));
    std::fs::write(f.p("r.html"), "<!DOCTYPE html>\n").unwrap();
    f.report_verify(&f.p("r.html"), "not-a-key")
        .code(1)
        .stderr(contains("--pubkey"));
    // A file that is not a signed report: 3.
    f.report_verify(&f.p("r.html"), &key)
        .code(3)
        .stderr(contains("not a watermark evidence signature"));
    // No key, or two sources of one: 2.
    wm().args(["report", "verify"])
        .arg(f.p("r.html"))
        .assert()
        .code(2);
    wm().args(["report", "verify"])
        .arg(f.p("r.html"))
        .args(["--pubkey", &key])
        .arg("--state")
        .arg(f.p("state"))
        .assert()
        .code(2);
    wm().args(["report", "verify", "--help"])
        .assert()
        .success()
        .stdout(
            contains("Example:")
                .and(contains("Exit status"))
                .and(contains("proves nothing by")),
        );
    wm().args(["report", "--help"])
        .assert()
        .success()
        .stdout(contains("verify"));
    wm().arg("--help")
        .assert()
        .success()
        .stdout(contains("3  report verify"));
    wm().args(["verify", "--help"])
        .assert()
        .success()
        .stdout(contains("--report"));
}

/// A report that does not verify is status 3 even when standard output is
/// closed (`watermark report verify --json ... | head -0`).
#[test]
fn a_rejected_report_is_status_3_with_stdout_closed() {
    let f = Fixture::new();
    let report = f.p("evidence.html");
    f.verify_with_report(&report).assert().success();
    let mut bytes = std::fs::read(&report).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(&report, &bytes).unwrap();
    let key = f.pubkey("state");
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("watermark"))
        .args(["report", "verify", "--json"])
        .arg(&report)
        .args(["--pubkey", &key])
        .stdout(writer)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(3));
}

/// The human text of a report: the embedded JSON (language-neutral data)
/// left out, entities read back.
fn human_text(html: &str) -> String {
    let start = html.find("<script type=\"application/json\"").unwrap();
    let end = start + html[start..].find("</script>").unwrap();
    format!("{}{}", &html[..start], &html[end..])
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[test]
fn verify_lang_es_is_spanish_throughout_and_its_json_is_the_same() {
    use watermark_app::messages::english_in;
    let f = Fixture::new();
    let run = |args: &[&str]| {
        let out = wm()
            .arg("verify")
            .arg("--state")
            .arg(f.p("state"))
            .arg(f.p("leak.csv"))
            .args(args)
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    let es = run(&["--lang", "es"]);
    assert!(es.contains("ACUSADO: PAN"), "{es}");
    assert!(es.contains("La cota de falsa acusación"), "{es}");
    let found = english_in(&es, 3);
    assert!(
        found.is_empty(),
        "English in the Spanish output: {found:?}\n{es}"
    );
    // The check can fail: the English output is full of catalogue sentences.
    let en = run(&["--lang", "en"]);
    assert!(en.contains("ACCUSED: PAN"));
    assert!(english_in(&en, 3).len() > 10);
    // --json is language-neutral: the same keys and values, whatever --lang.
    let doc = |lang: &str| -> serde_json::Value {
        serde_json::from_str(&run(&["--json", "--lang", lang])).unwrap()
    };
    let (json_es, json_en) = (doc("es"), doc("en"));
    for key in [
        "accused",
        "recipients",
        "method",
        "groups",
        "rows_read",
        "leak",
    ] {
        assert_eq!(json_es[key], json_en[key], "{key}");
    }
    assert!(json_es["method"]
        .as_str()
        .unwrap()
        .starts_with("Each copy hides"));
    // A language that is not one is refused.
    wm().args(["--lang", "fr", "demo"]).assert().code(2);
}

#[test]
fn a_report_made_under_a_spanish_locale_is_spanish_and_verifies() {
    use watermark_app::messages::english_in;
    let f = Fixture::new();
    let key = f.pubkey("state");
    let es = f.p("informe.html");
    let out = f
        .verify_with_report(&es)
        .env("LANG", "es_MX.UTF-8")
        .assert()
        .success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains("ACUSADO: PAN") && stdout.contains("Informe firmado escrito en"),
        "{stdout}"
    );
    assert!(english_in(&stdout, 3).is_empty(), "{stdout}");
    let html = std::fs::read_to_string(&es).unwrap();
    assert!(html.contains("<html lang=\"es-MX\">"));
    assert!(html.contains("Acusado: <span class=\"id\">PAN</span>"));
    let found = english_in(&human_text(&html), 3);
    assert!(found.is_empty(), "English in the Spanish report: {found:?}");
    // --lang over the locale: an English report under the same locale.
    let en = f.p("report.html");
    f.verify_with_report(&en)
        .env("LANG", "es_MX.UTF-8")
        .args(["--lang", "en"])
        .assert()
        .success()
        .stdout(contains("ACCUSED: PAN"));
    let english = std::fs::read_to_string(&en).unwrap();
    assert!(english.contains("<html lang=\"en\">"));
    assert!(!english_in(&human_text(&english), 3).is_empty());
    // Both verify with the log's key, and carry the same kind of data.
    for report in [&es, &en] {
        f.report_verify(report, &key)
            .success()
            .stdout(contains("accused PAN"));
    }
    // report verify says what it checked in the locale's language too.
    let checked = wm()
        .args(["report", "verify"])
        .arg(&es)
        .args(["--pubkey", &key, "--save-receipts"])
        .arg(f.p("recibos"))
        .env("LANG", "es_MX.UTF-8")
        .assert()
        .success();
    let checked = String::from_utf8(checked.get_output().stdout.clone()).unwrap();
    assert!(
        checked.contains("se verificó correctamente") && checked.contains("se acusa a PAN"),
        "{checked}"
    );
    let found = english_in(&checked, 3);
    assert!(
        found.is_empty(),
        "English in report verify: {found:?}\n{checked}"
    );
    // WATERMARK_LANG chooses too, over the locale.
    f.verify_with_report(&f.p("third.html"))
        .env("LANG", "en_US.UTF-8")
        .env("WATERMARK_LANG", "es")
        .assert()
        .success()
        .stdout(contains("ACUSADO: PAN"));
}

#[test]
fn init_issue_log_and_demo_speak_spanish_too() {
    use watermark_app::messages::english_in;
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    let stdout =
        |a: assert_cmd::assert::Assert| String::from_utf8(a.get_output().stdout.clone()).unwrap();
    let init = stdout(
        wm().args(["init", "--state"])
            .arg(p("state"))
            .env("LC_MESSAGES", "es_MX.UTF-8")
            .assert()
            .success(),
    );
    assert!(init.starts_with("Estado creado en "), "{init}");
    assert!(english_in(&init, 3).is_empty(), "{init}");
    synth(1_500, &p("roll.csv"));
    suggest(&p("roll.csv"), &[], &p("policy.toml"));
    let issued = stdout(
        issue(
            &p("state"),
            &p("policy.toml"),
            &p("roll.csv"),
            &["PAN"],
            &p("copies"),
        )
        .args(["--lang", "es"])
        .assert()
        .success(),
    );
    assert!(issued.starts_with("Se emitió 1 copia de "), "{issued}");
    assert!(issued.contains("1,500 filas"), "{issued}");
    assert!(english_in(&issued, 3).is_empty(), "{issued}");
    for args in [&["log", "show"][..], &["log", "verify"][..]] {
        let out = stdout(
            wm().args(args)
                .arg("--state")
                .arg(p("state"))
                .args(["--lang", "es"])
                .assert()
                .success(),
        );
        assert!(
            out.contains("emisión") || out.contains("se verificó"),
            "{out}"
        );
        let found = english_in(&out, 3);
        assert!(found.is_empty(), "English in {args:?}: {found:?}\n{out}");
    }
    let checkpoint = stdout(
        wm().args(["log", "checkpoint", "--state"])
            .arg(p("state"))
            .assert()
            .success(),
    );
    std::fs::write(p("checkpoint"), checkpoint).unwrap();
    let proved = stdout(
        wm().args(["log", "prove", "0", "--lang", "es", "--state"])
            .arg(p("state"))
            .assert()
            .success(),
    );
    let consistent = stdout(
        wm().args(["log", "consistency", "--lang", "es", "--state"])
            .arg(p("state"))
            .arg(p("checkpoint"))
            .assert()
            .success(),
    );
    for out in [&proved, &consistent] {
        assert!(out.contains("punto de control"), "{out}");
        let found = english_in(out, 3);
        assert!(found.is_empty(), "English in log: {found:?}\n{out}");
    }
    let pubkey = stdout(
        wm().args(["log", "pubkey", "--state"])
            .arg(p("state"))
            .assert()
            .success(),
    );
    let receipt = stdout(
        wm().args(["log", "verify-receipt"])
            .arg(p("copies/PAN.receipt"))
            .args(["--pubkey", pubkey.trim(), "--copy"])
            .arg(p("copies/PAN.csv"))
            .env("WATERMARK_LANG", "es")
            .assert()
            .success(),
    );
    assert!(receipt.contains("es esa copia (mismo BLAKE3)"), "{receipt}");
    assert!(english_in(&receipt, 3).is_empty(), "{receipt}");
    // A witness set up in Spanish.
    let created = stdout(
        wm().args(["witness", "init", "--name", "testigo.example", "--dir"])
            .arg(p("testigo"))
            .args(["--lang", "es"])
            .assert()
            .success(),
    );
    let trusted = stdout(
        wm().args(["witness", "trust", "--dir"])
            .arg(p("testigo"))
            .arg(pubkey.trim())
            .args(["--lang", "es"])
            .assert()
            .success(),
    );
    for out in [&created, &trusted] {
        assert!(out.contains("estigo"), "{out}");
        let found = english_in(out, 3);
        assert!(found.is_empty(), "English in witness: {found:?}\n{out}");
    }
    let demo = stdout(
        wm().args([
            "--lang",
            "es",
            "demo",
            "--rows",
            "3000",
            "--recipients",
            "3",
        ])
        .assert()
        .success(),
    );
    assert!(demo.contains("el veredicto es correcto"), "{demo}");
    let found = english_in(&demo, 3);
    assert!(
        found.is_empty(),
        "English in the Spanish demo: {found:?}\n{demo}"
    );
}

/// The errors people meet, under `--lang es`: each is Spanish (no sentence
/// of the English catalogue, none of the system's English words), says
/// where (file, row, column), and keeps its exit status; the same command
/// in English still says it in English.
#[test]
fn errors_are_written_in_the_readers_language() {
    use watermark_app::messages::english_in;
    let f = Fixture::new();
    let p = |name: &str| f.p(name);
    // A CSV cut in the middle of a row, and a truncated gzip.
    let leak = std::fs::read_to_string(p("leak.csv")).unwrap();
    let mut lines: Vec<&str> = leak.lines().collect();
    lines[5] = "MAL,FORMADA";
    std::fs::write(p("bad.csv"), lines.join("\n") + "\n").unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, leak.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    std::fs::write(p("cut.csv.gz"), &gz[..gz.len() / 2]).unwrap();
    // A stored policy changed after issuance: tampering.
    let tampered = p("tampered");
    copy_dir(&p("state"), &tampered);
    let policy = std::fs::read_dir(tampered.join("policies"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut text = std::fs::read_to_string(&policy).unwrap();
    text.push_str("\n# changed\n");
    std::fs::write(&policy, text).unwrap();

    let verify = |state: &Path, leak: &Path| {
        let mut c = wm();
        c.arg("verify").arg("--state").arg(state).arg(leak);
        c
    };
    let cases: Vec<(&str, Command, i32, &[&str])> = vec![
        (
            "no state",
            verify(&p("nowhere"), &p("leak.csv")),
            1,
            &["no es un directorio de estado", "watermark init --state"],
        ),
        (
            "no leak file",
            verify(&p("state"), &p("missing.csv")),
            1,
            &[
                "al abrir",
                "missing.csv",
                "no existe el archivo o directorio",
            ],
        ),
        (
            "malformed row",
            verify(&p("state"), &p("bad.csv")),
            1,
            &["fila 5 (línea 6)", "campos", "encabezado"],
        ),
        (
            "truncated gzip",
            verify(&p("state"), &p("cut.csv.gz")),
            1,
            &["al descomprimir el flujo gzip", "incompleto (truncado)"],
        ),
        (
            "no investigator",
            {
                let mut c = verify(&p("state"), &p("leak.csv"));
                c.env_remove("WATERMARK_INVESTIGATOR");
                c
            },
            1,
            &["no se indicó un investigador", "--investigator"],
        ),
        (
            "copy exists",
            issue(
                &p("state"),
                &p("policy.toml"),
                &p("roll.csv"),
                &["PAN"],
                &p("copies"),
            ),
            1,
            &["ya existe", "--force"],
        ),
        (
            "recipient twice",
            issue(
                &p("state"),
                &p("policy.toml"),
                &p("roll.csv"),
                &["MC", "MC"],
                &p("more"),
            ),
            1,
            &["política no válida", "se nombró dos veces"],
        ),
        (
            "no policy file",
            issue(
                &p("state"),
                &p("absent.toml"),
                &p("roll.csv"),
                &["MC"],
                &p("more"),
            ),
            1,
            &["al leer la política", "no existe el archivo o directorio"],
        ),
        (
            "tampered policy",
            {
                let mut c = wm();
                c.args(["log", "verify", "--state"]).arg(&tampered);
                c
            },
            6,
            &["se modificó después de la emisión"],
        ),
    ];
    for (what, mut cmd, status, spanish) in cases {
        let english = cmd.output().unwrap();
        let english_err = String::from_utf8(english.stderr).unwrap();
        let out = cmd.args(["--lang", "es"]).assert().code(status);
        let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert!(err.starts_with("watermark: error: "), "{what}: {err}");
        for s in spanish {
            assert!(err.contains(s), "{what}: no {s:?} in\n{err}");
        }
        let found = english_in(&err, 3);
        assert!(found.is_empty(), "{what}: English {found:?} in\n{err}");
        for word in [
            "No such file",
            "os error",
            " the ",
            " is not ",
            "reading ",
            "opening ",
        ] {
            assert!(!err.contains(word), "{what}: {word:?} in\n{err}");
        }
        // The English run of the same command fails the same way, in English.
        assert_eq!(english.status.code(), Some(status), "{what}: {english_err}");
        assert!(
            english_err.starts_with("watermark: error: ") && english_err != err,
            "{what}: {english_err}"
        );
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}
