//! The `watermark` command as users and scripts drive it: exit codes, stdout,
//! stderr, and the files it leaves behind.

use std::path::{Path, PathBuf};

mod common;

use assert_cmd::Command;
use common::{init, issue, suggest, synth, wm};
use predicates::prelude::*;
use predicates::str::{contains, is_empty};

/// A state with a 3,000-row roll issued to two parties.
struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        synth(3000, &root.join("roll.csv"));
        suggest(&root.join("roll.csv"), &[], &root.join("policy.toml"));
        init(&root.join("state"), None);
        Fixture { _dir: dir, root }
    }

    fn p(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn issue(&self, input: &Path, to: &[&str]) -> assert_cmd::assert::Assert {
        issue(
            &self.p("state"),
            &self.p("policy.toml"),
            input,
            to,
            &self.p("copies"),
        )
        .assert()
    }

    /// `verify --json` on a leak, which must succeed, parsed.
    fn verify_json(&self, leak: &Path) -> serde_json::Value {
        let out = self.verify_cmd(leak).arg("--json").assert().success();
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    }

    fn verify_cmd(&self, leak: &Path) -> Command {
        let mut c = wm();
        c.arg("verify")
            .arg("--state")
            .arg(self.p("state"))
            .arg(leak);
        c
    }

    fn verify(&self, leak: &Path) -> assert_cmd::assert::Assert {
        wm().arg("verify")
            .arg("--state")
            .arg(self.p("state"))
            .arg(leak)
            .assert()
    }

    /// Files in the copies directory (hidden ones included).
    fn copies(&self) -> Vec<String> {
        match std::fs::read_dir(self.p("copies")) {
            Ok(d) => d
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// The header and rows 100..160 of a copy.
fn leak_of(copy: &Path, out: &Path) {
    let text = std::fs::read_to_string(copy).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut leak = vec![lines[0]];
    leak.extend(lines[100..160].iter().rev());
    std::fs::write(out, leak.join("\n") + "\n").unwrap();
}

#[test]
fn help_reads_like_a_unix_tool() {
    wm().arg("--help").assert().success().stdout(
        contains("issue")
            .and(contains("verify"))
            .and(contains("Exit status")),
    );
    for sub in ["init", "issue", "verify", "demo", "synth", "log"] {
        wm().args([sub, "--help"])
            .assert()
            .success()
            .stdout(contains("Usage: watermark"));
    }
    wm().args(["policy", "suggest", "--help"])
        .assert()
        .success();
    for sub in [
        "show",
        "verify",
        "prove",
        "consistency",
        "pubkey",
        "checkpoint",
        "verify-receipt",
    ] {
        wm().args(["log", sub, "--help"])
            .assert()
            .success()
            .stdout(contains("Usage: watermark log"));
    }
    wm().arg("frobnicate").assert().code(2);
    wm().arg("verify")
        .assert()
        .code(2)
        .stderr(contains("--state"));
}

#[test]
fn issue_then_verify_names_the_leaker() {
    let f = Fixture::new();
    f.issue(&f.p("roll.csv"), &["PAN", "PRI", "MORENA"])
        .success()
        .stdout(contains("Issued 3 copies"));
    let mut names = f.copies();
    names.sort();
    assert_eq!(
        names,
        [
            "MORENA.csv",
            "MORENA.receipt",
            "PAN.csv",
            "PAN.receipt",
            "PRI.csv",
            "PRI.receipt"
        ]
    );
    leak_of(&f.p("copies/PRI.csv"), &f.p("leak.csv"));

    let doc = f.verify_json(&f.p("leak.csv"));
    assert_eq!(doc["accused"].as_array().unwrap().len(), 1);
    assert_eq!(doc["accused"][0]["recipient"], "PRI");
    assert!(
        doc["accused"][0]["false_accusation_bound"]
            .as_f64()
            .unwrap()
            <= 1e-9
    );
    assert_eq!(doc["recipients"].as_array().unwrap().len(), 3);
    assert_eq!(doc["rows_read"], 60);
    assert!(doc["rows_used"].as_u64().unwrap() > 40);
    assert!(doc["positions_read"].as_u64().unwrap() > 100);
    assert_eq!(doc["leak"]["blake3"].as_str().unwrap().len(), 64);

    f.verify(&f.p("leak.csv")).success().stdout(
        contains("ACCUSED: PRI")
            .and(contains("RANK"))
            .and(contains("Re-check")),
    );

    // The log names every copy and both verifications, and no personal data.
    let record = std::fs::read_to_string(f.p("state/log/entries")).unwrap();
    assert_eq!(record.lines().count(), 5);
    assert_eq!(
        record
            .lines()
            .filter(|l| l.starts_with(r#"{"type":"issue""#))
            .count(),
        3
    );
    let roll = std::fs::read_to_string(f.p("roll.csv")).unwrap();
    let curp = roll.lines().nth(1).unwrap().split(',').nth(1).unwrap();
    assert!(!record.contains(curp));
}

/// A header without rows is not an extract: refused, no copy, no entry.
#[test]
fn regression_an_extract_with_only_a_header_is_refused() {
    let f = Fixture::new();
    let roll = std::fs::read_to_string(f.p("roll.csv")).unwrap();
    let header = roll.lines().next().unwrap();
    std::fs::write(f.p("empty.csv"), format!("{header}\n")).unwrap();
    f.issue(&f.p("empty.csv"), &["PAN"])
        .failure()
        .stderr(contains("no data rows"));
    assert_eq!(
        f.copies(),
        Vec::<String>::new(),
        "no copy, temporary or final"
    );
    let entries = std::fs::read_to_string(f.p("state/log/entries")).unwrap_or_default();
    assert_eq!(entries.lines().count(), 0, "nothing logged");
}

/// Rewrites the CURP (second column) of every data row of a CSV leak.
fn rewrite_curps(path: &Path, mut f: impl FnMut(usize, &str) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let mut out = vec![lines.next().unwrap().to_string()];
    assert!(out[0].starts_with("CLAVE_ELECTOR,CURP,"), "{}", out[0]);
    for (i, line) in lines.enumerate() {
        let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
        fields[1] = f(i, &fields[1]);
        out.push(fields.join(","));
    }
    std::fs::write(path, out.join("\n") + "\n").unwrap();
}

/// A leaker who writes each CURP with a spreadsheet's apostrophe, spaces or
/// dashes changes nothing; one who alters the identifiers themselves is
/// told about in words and in `--json`.
#[test]
fn formatted_identities_still_name_the_leaker_and_altered_ones_are_warned_of() {
    let f = Fixture::new();
    f.issue(&f.p("roll.csv"), &["PAN", "PRI"]).success();
    leak_of(&f.p("copies/PRI.csv"), &f.p("leak.csv"));
    rewrite_curps(&f.p("leak.csv"), |i, curp| match i % 3 {
        0 => format!("'{curp}"),
        1 => format!("{} {} {}", &curp[..4], &curp[4..10], &curp[10..]),
        _ => format!("{}-{}-{}", &curp[..4], &curp[4..10], &curp[10..]),
    });
    let doc = f.verify_json(&f.p("leak.csv"));
    assert_eq!(doc["accused"][0]["recipient"], "PRI", "{doc:#}");
    assert_eq!(doc["identifier"]["kind"], "curp");
    assert_eq!(doc["identifier"]["rows_valid"], 60);
    assert_eq!(doc["identifier"]["warning"], false);
    f.verify(&f.p("leak.csv"))
        .success()
        .stdout(contains("ACCUSED: PRI").and(contains("WARNING").not()));

    // Each CURP's check digit changed: no row anchors, and the report says
    // why nobody is accused.
    rewrite_curps(&f.p("leak.csv"), |_, curp| {
        let curp: String = curp.chars().filter(char::is_ascii_alphanumeric).collect();
        let last = curp.as_bytes()[17];
        let other = if last == b'0' { '1' } else { '0' };
        format!("{}{other}", &curp[..17])
    });
    let doc = f.verify_json(&f.p("leak.csv"));
    assert_eq!(doc["accused"].as_array().unwrap().len(), 0, "{doc:#}");
    assert_eq!(doc["identifier"]["rows_valid"], 0);
    assert_eq!(doc["identifier"]["warning"], true);
    f.verify(&f.p("leak.csv")).success().stdout(
        contains("WARNING: only 0 of 60 rows have an identity value that reads as a valid CURP")
            .and(contains("NO ONE ACCUSED")),
    );
}

/// A whole copy's bound is far below the smallest 64-bit float: it reads 0
/// as a number, and is reported from its logarithm, never as "0".
#[test]
fn a_whole_copy_gets_its_bound_from_the_logarithm() {
    let f = Fixture::new();
    f.issue(&f.p("roll.csv"), &["PAN", "PRI"]).success();
    let copy = f.p("copies/PRI.csv");
    let doc = f.verify_json(&copy);
    let accused = &doc["accused"][0];
    assert_eq!(accused["recipient"], "PRI");
    assert_eq!(accused["false_accusation_bound"].as_f64(), Some(0.0));
    let log10 = accused["false_accusation_bound_log10"].as_f64().unwrap();
    assert!(log10 < -400.0, "{log10}");
    let innocent = &doc["recipients"][1];
    let l = innocent["false_accusation_bound_log10"].as_f64().unwrap();
    let p = innocent["false_accusation_bound"].as_f64().unwrap();
    assert!(
        (10f64.powf(l) - p).abs() <= 1e-12 * p.max(1e-300),
        "{l} {p}"
    );

    // 10^log10 = m·10^e with m rounded up to one decimal.
    let e = log10.floor();
    let m = (10f64.powf(log10 - e) * 10.0).ceil() / 10.0;
    let shown = if m >= 10.0 {
        format!("1e{}", e + 1.0)
    } else {
        format!("{m}e{e}")
    };
    let words = format!("less than 1 in 10^{}", (-log10).floor());
    let out = f.verify(&copy).success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        text.contains(&format!("at most {shown}\n")),
        "log10 {log10:?} from --json, {shown} expected in:\n{text}"
    );
    assert!(text.contains(&words), "{text}");
    assert!(!text.contains("0e0"), "{text}");
    // The log records the same decimal, and `log show` prints it.
    let log = wm()
        .args(["log", "show", "--state"])
        .arg(f.p("state"))
        .assert()
        .success();
    let shown_in_log = format!("accused PRI ({shown})");
    assert!(
        String::from_utf8_lossy(&log.get_output().stdout).contains(&shown_in_log),
        "{shown_in_log}"
    );
}

#[test]
fn state_can_come_from_the_environment_and_unmarked_data_accuses_no_one() {
    let f = Fixture::new();
    f.issue(&f.p("roll.csv"), &["A", "B"]).success();
    wm().env("WATERMARK_STATE", f.p("state"))
        .arg("verify")
        .arg(f.p("roll.csv"))
        .assert()
        .success()
        .stdout(contains("NO ONE ACCUSED"));
    // Without a name given or configured, nothing is verified or logged:
    // the account name is not taken in its place.
    let before = std::fs::read(f.p("state/log/entries")).unwrap();
    for blank in [None, Some(""), Some("   ")] {
        let mut c = wm();
        c.env("WATERMARK_STATE", f.p("state"))
            .env_remove("WATERMARK_INVESTIGATOR")
            .env("USER", "someone")
            .arg("verify")
            .arg(f.p("roll.csv"));
        if let Some(b) = blank {
            c.args(["--investigator", b]);
        }
        c.assert()
            .code(1)
            .stderr(contains("no investigator is named").and(contains("WATERMARK_INVESTIGATOR")));
    }
    assert_eq!(std::fs::read(f.p("state/log/entries")).unwrap(), before);
    wm().env("WATERMARK_STATE", f.p("state"))
        .env("WATERMARK_INVESTIGATOR", "fiscalia-9")
        .arg("verify")
        .arg(f.p("roll.csv"))
        .assert()
        .success();
    wm().env("WATERMARK_STATE", f.p("state"))
        .args(["verify", "--investigator", "fiscalia-7"])
        .arg(f.p("roll.csv"))
        .assert()
        .success();
    let entries = std::fs::read_to_string(f.p("state/log/entries")).unwrap();
    assert!(entries.contains("\"investigator\":\"fiscalia-7\""));
    assert!(entries.contains("\"investigator\":\"fiscalia-9\""));
    assert!(!entries.contains("\"investigator\":\"someone\""));
}

#[test]
fn key_file_is_private() {
    let f = Fixture::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = f.p("state/master.key");
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let text = std::fs::read_to_string(&key).unwrap();
        let secret = text.lines().find(|l| l.starts_with("secret:")).unwrap();
        wm().arg("init")
            .arg("--state")
            .arg(f.p("state"))
            .assert()
            .code(1)
            .stderr(contains("already"));
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        f.issue(&f.p("roll.csv"), &["A"]).code(1).stderr(
            contains("master.key")
                .and(contains("chmod 600"))
                .and(contains(&secret[8..]).not()),
        );
        assert!(f.copies().is_empty());
    }
}

#[test]
fn bad_input_is_refused_with_file_row_and_column_and_no_copy() {
    let f = Fixture::new();
    let roll = std::fs::read_to_string(f.p("roll.csv")).unwrap();
    let mut lines: Vec<String> = roll.lines().map(String::from).collect();

    // A ragged row.
    lines[17].push_str(",EXTRA");
    std::fs::write(f.p("ragged.csv"), lines.join("\n")).unwrap();
    f.issue(&f.p("ragged.csv"), &["A", "B"]).code(1).stderr(
        contains("ragged.csv")
            .and(contains("row 17"))
            .and(contains("line 18"))
            .and(contains("16 fields")),
    );
    assert!(f.copies().is_empty(), "{:?}", f.copies());

    // Not UTF-8.
    let mut bytes = roll.clone().into_bytes();
    let at = roll.lines().take(40).map(|l| l.len() + 1).sum::<usize>() + 20;
    bytes[at] = 0xFF;
    std::fs::write(f.p("latin1.csv"), &bytes).unwrap();
    f.issue(&f.p("latin1.csv"), &["A"]).code(1).stderr(
        contains("latin1.csv")
            .and(contains("row 40"))
            .and(contains("column CURP"))
            .and(contains("UTF-8")),
    );
    assert!(f.copies().is_empty());

    // No identity column.
    let no_curp: String = roll
        .lines()
        .map(|l| {
            l.split(',')
                .enumerate()
                .filter(|(i, _)| *i != 1)
                .map(|(_, v)| v)
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(f.p("nocurp.csv"), no_curp).unwrap();
    f.issue(&f.p("nocurp.csv"), &["A"])
        .code(1)
        .stderr(contains("nocurp.csv").and(contains("identity column \"CURP\"")));
    f.verify(&f.p("nocurp.csv")).code(1);

    // Empty.
    std::fs::write(f.p("empty.csv"), "").unwrap();
    f.issue(&f.p("empty.csv"), &["A"])
        .code(1)
        .stderr(contains("empty.csv").and(contains("empty")));
    assert!(f.copies().is_empty());

    // Unsafe recipient ids.
    for bad in ["../evil", "a/b", ".hidden", ""] {
        f.issue(&f.p("roll.csv"), &[bad])
            .code(1)
            .stderr(contains("recipient id"));
    }
    assert!(f.copies().is_empty());

    // Nothing was logged for any failed issuance, and nothing is left to
    // recover.
    assert_eq!(
        std::fs::read_to_string(f.p("state/log/entries")).unwrap(),
        ""
    );
    assert!(!f.p("state/issue.journal").exists());

    // An existing copy is not replaced without --force.
    f.issue(&f.p("roll.csv"), &["A"]).success();
    f.issue(&f.p("roll.csv"), &["A"])
        .code(1)
        .stderr(contains("--force"));
}

#[test]
fn verify_refuses_a_state_with_another_key() {
    let f = Fixture::new();
    f.issue(&f.p("roll.csv"), &["A", "B"]).success();
    wm().arg("init")
        .arg("--state")
        .arg(f.p("other"))
        .assert()
        .success();
    // The other state gets this one's log, keys and all: a sound log of
    // copies made under a master key it does not hold, whose key that
    // master key does not bind.
    for name in ["entries", "checkpoints", "verifier.key", "signing.key"] {
        std::fs::copy(f.p("state/log").join(name), f.p("other/log").join(name)).unwrap();
    }
    wm().arg("verify")
        .arg("--state")
        .arg(f.p("other"))
        .arg(f.p("copies/A.csv"))
        .assert()
        .code(6)
        .stderr(contains("key.binding").and(contains("master key")));
    wm().arg("verify")
        .arg("--state")
        .arg(f.p("nowhere"))
        .arg(f.p("copies/A.csv"))
        .assert()
        .code(1)
        .stderr(contains("not a state directory"));
}

#[test]
fn demo_runs_and_is_right() {
    wm().args(["demo", "--rows", "3000", "--recipients", "4"])
        .assert()
        .success()
        .stdout(contains("ACCUSED").and(contains("the verdict is correct")));
    let out = wm()
        .args(["demo", "--rows", "2000", "--json", "--seed", "9"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["verdict_correct"], true);
}

#[test]
fn policy_suggest_prints_a_usable_policy() {
    let f = Fixture::new();
    wm().args(["policy", "suggest"])
        .arg(f.p("roll.csv"))
        .assert()
        .success()
        .stdout(
            contains("identity = [\"CURP\"]")
                .and(contains("CALLE"))
                .and(contains("check digit")),
        );
    wm().args(["policy", "suggest", "--json"])
        .arg(f.p("roll.csv"))
        .assert()
        .success()
        .stdout(contains("\"role\": \"identity\""));
}

// ----- The issuance log ------------------------------------------------------

fn json_of(assert: assert_cmd::assert::Assert) -> serde_json::Value {
    serde_json::from_slice(&assert.get_output().stdout).unwrap()
}

fn blake3_of(path: &Path) -> String {
    let mut r = watermark_formats::HashingReader::new(std::fs::File::open(path).unwrap());
    std::io::copy(&mut r, &mut std::io::sink()).unwrap();
    r.digest().0
}

impl Fixture {
    fn log(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        wm().arg("log")
            .arg(args[0])
            .arg("--state")
            .arg(self.p("state"))
            .args(&args[1..])
            .assert()
    }
}

#[test]
fn an_auditor_can_show_verify_prove_and_compare_checkpoints() {
    let f = Fixture::new();
    f.issue(&f.p("roll.csv"), &["PAN", "PRI"]).success();
    let pubkey =
        String::from_utf8(f.log(&["pubkey"]).success().get_output().stdout.clone()).unwrap();
    assert!(pubkey.starts_with("watermark/issuance/") && pubkey.ends_with('\n'));
    std::fs::write(f.p("pub.key"), &pubkey).unwrap();
    let pubkey = pubkey.trim_end();

    // Last month's checkpoint, kept by the auditor.
    let old = f.log(&["checkpoint"]).success().get_output().stdout.clone();
    std::fs::write(f.p("old.checkpoint"), &old).unwrap();
    assert!(String::from_utf8(old).unwrap().contains("\n2\n"));

    leak_of(&f.p("copies/PRI.csv"), &f.p("leak.csv"));
    wm().arg("verify")
        .arg("--state")
        .arg(f.p("state"))
        .arg(f.p("leak.csv"))
        .args(["--investigator", "fiscalia-7"])
        .assert()
        .success();
    f.issue(&f.p("roll.csv"), &["MORENA"]).success();

    // Show.
    f.log(&["show"]).success().stdout(
        contains("Entries     4")
            .and(contains("issue   PRI"))
            .and(contains("verify  fiscalia-7"))
            .and(contains("accused PRI"))
            .and(contains("Latest signed checkpoint")),
    );
    let doc = json_of(f.log(&["show", "--json"]).success());
    assert_eq!(doc["size"], 4);
    assert_eq!(doc["public_key"], pubkey);
    let entries = doc["entries"].as_array().unwrap();
    assert_eq!(entries[2]["entry"]["type"], "verify");
    assert_eq!(entries[2]["entry"]["accused"][0]["recipient"], "PRI");
    assert_eq!(entries[3]["entry"]["recipient"], "MORENA");
    assert_eq!(entries[3]["entry"]["slot"], 2);
    assert_eq!(entries[0]["leaf_hash"].as_str().unwrap().len(), 64);

    // Verify, with the state's key and with the auditor's own copy of it.
    f.log(&["verify"])
        .success()
        .stdout(contains("verifies").and(contains("5 signed checkpoints")));
    let doc = json_of(f.log(&["verify", "--json", "--pubkey", pubkey]).success());
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["pinned_key"], true);
    assert_eq!(doc["checkpoints_verified"], 5);
    assert_eq!(doc["signing_key"], "matches");
    assert_eq!(doc["policies_checked"], 1);
    f.log(&["verify", "--pubkey", f.p("pub.key").to_str().unwrap()])
        .success();
    wm().args(["init", "--state"])
        .arg(f.p("stranger"))
        .assert()
        .success();
    let stranger = std::fs::read_to_string(f.p("stranger/log/verifier.key")).unwrap();
    f.log(&["verify", "--pubkey", stranger.trim_end()])
        .code(6)
        .stderr(contains("verifier.key").and(contains("not the key given")));

    // Prove one entry, by index or by the copy's digest, and check the
    // receipt offline.
    let digest = blake3_of(&f.p("copies/PRI.csv"));
    let receipt = json_of(f.log(&["prove", &digest, "--json"]).success());
    assert_eq!(receipt["index"], 1);
    assert_eq!(receipt["format"], "watermark-log-receipt/v1");
    f.log(&["prove", "1", "-o", f.p("e1.receipt").to_str().unwrap()])
        .success()
        .stdout(contains("inclusion proof").and(contains("Receipt written")));
    for r in [f.p("e1.receipt"), f.p("copies/PRI.receipt")] {
        wm().args(["log", "verify-receipt"])
            .arg(&r)
            .args(["--pubkey", pubkey, "--copy"])
            .arg(f.p("copies/PRI.csv"))
            .assert()
            .success()
            .stdout(contains("The receipt verifies").and(contains("is that copy")));
    }
    wm().args(["log", "verify-receipt"])
        .arg(f.p("e1.receipt"))
        .arg("--copy")
        .arg(f.p("copies/PAN.csv"))
        .arg("--pubkey")
        .arg(f.p("pub.key"))
        .assert()
        .code(1)
        .stderr(contains("is not the copy"));
    wm().args(["log", "verify-receipt"])
        .arg(f.p("e1.receipt"))
        .args(["--pubkey", stranger.trim_end()])
        .assert()
        .code(1)
        .stderr(contains("does not verify"));
    let forged = std::fs::read_to_string(f.p("e1.receipt"))
        .unwrap()
        .replace(r#"\"slot\":1"#, r#"\"slot\":0"#);
    std::fs::write(f.p("forged.receipt"), forged).unwrap();
    wm().args(["log", "verify-receipt"])
        .arg(f.p("forged.receipt"))
        .args(["--pubkey", pubkey])
        .assert()
        .code(1);
    f.log(&["prove", "9"])
        .code(1)
        .stderr(contains("no entry 9"));

    // Today's checkpoint extends last month's.
    f.log(&["consistency", f.p("old.checkpoint").to_str().unwrap()])
        .success()
        .stdout(contains("extends the old checkpoint").and(contains("consistency proof")));
    let doc = json_of(
        f.log(&[
            "consistency",
            f.p("old.checkpoint").to_str().unwrap(),
            "--json",
        ])
        .success(),
    );
    assert_eq!(doc["consistent"], true);
    assert_eq!(doc["old"]["size"], 2);
    assert_eq!(doc["new"]["size"], 4);
    assert!(!doc["proof"].as_array().unwrap().is_empty());
    // A checkpoint of another log is refused.
    let theirs = wm()
        .args(["log", "checkpoint", "--state"])
        .arg(f.p("stranger"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    std::fs::write(f.p("theirs.checkpoint"), theirs).unwrap();
    f.log(&["consistency", f.p("theirs.checkpoint").to_str().unwrap()])
        .code(1)
        .stderr(contains("not one of this log's"));

    // An auditor's copy: the log alone, without any secret.
    let audit = f.p("audit");
    std::fs::create_dir_all(audit.join("log")).unwrap();
    for name in ["entries", "checkpoints", "verifier.key"] {
        std::fs::copy(f.p("state/log").join(name), audit.join("log").join(name)).unwrap();
    }
    let doc = json_of(
        wm().args(["log", "verify", "--json", "--pubkey", pubkey, "--state"])
            .arg(&audit)
            .assert()
            .success(),
    );
    assert_eq!(doc["signing_key"], "absent");
    assert!(doc["policies_checked"].is_null());
}

#[test]
fn verify_reports_the_accused_copies_entries_with_proofs() {
    let f = Fixture::new();
    f.issue(&f.p("roll.csv"), &["PAN", "PRI"]).success();
    f.issue(&f.p("roll.csv"), &["MORENA"]).success();
    leak_of(&f.p("copies/PRI.csv"), &f.p("leak.csv"));
    let doc = json_of(
        wm().arg("verify")
            .arg("--state")
            .arg(f.p("state"))
            .arg(f.p("leak.csv"))
            .args(["--json", "--investigator", "ana"])
            .assert()
            .success(),
    );
    let log = &doc["log"];
    assert_eq!(log["size"], 4);
    assert_eq!(log["verification"]["index"], 3);
    let accused = log["accused"].as_array().unwrap();
    assert_eq!(accused.len(), 1);
    assert_eq!(accused[0]["recipient"], "PRI");
    let copies = accused[0]["copies"].as_array().unwrap();
    assert_eq!(copies.len(), 1);
    assert_eq!(copies[0]["index"], 1);
    assert_eq!(copies[0]["checkpoint"], log["checkpoint"]);
    // Each proof in the report checks offline with the public key alone.
    let pubkey = log["public_key"].as_str().unwrap();
    for (name, receipt) in [("copy", &copies[0]), ("verification", &log["verification"])] {
        let path = f.p(&format!("{name}.receipt"));
        std::fs::write(&path, serde_json::to_string(receipt).unwrap()).unwrap();
        wm().args(["log", "verify-receipt"])
            .arg(&path)
            .args(["--pubkey", pubkey])
            .assert()
            .success();
    }
    let entry: serde_json::Value =
        serde_json::from_str(log["verification"]["entry"].as_str().unwrap()).unwrap();
    assert_eq!(entry["investigator"], "ana");
    assert_eq!(entry["leak_blake3"], doc["leak"]["blake3"]);
    assert_eq!(entry["rows_read"], 60);
    assert_eq!(entry["accused"][0]["recipient"], "PRI");
    // The text report says where the proofs are.
    f.verify(&f.p("leak.csv")).success().stdout(
        contains("Issuance log")
            .and(contains("PRI received copy"))
            .and(contains("inclusion proof")),
    );
}

/// Changes one byte of a file. A hex digit stays a hex digit (the digests
/// are random, and flipping a bit of `f` or `a` would make a non-digit, a
/// different error from the one the test looks for); any other byte has its
/// lowest bit flipped.
fn flip(path: &Path, at: usize) {
    let mut data = std::fs::read(path).unwrap();
    data[at] = match data[at] {
        b'0' => b'1',
        c if c.is_ascii_hexdigit() => b'0',
        c => c ^ 0x01,
    };
    std::fs::write(path, data).unwrap();
}

#[test]
fn log_verify_says_where_a_log_file_was_changed() {
    let f = Fixture::new();
    f.issue(&f.p("roll.csv"), &["PAN", "PRI", "MORENA"])
        .success();
    let log_dir = f.p("state/log");
    let entries = std::fs::read_to_string(log_dir.join("entries")).unwrap();
    let second = entries.lines().next().unwrap().len() + 1;
    let notes = std::fs::read_to_string(log_dir.join("checkpoints")).unwrap();
    let third_signature = notes.match_indices("\n\n\u{2014} ").nth(2).unwrap().0 + 40;
    let cases: Vec<(&str, usize, Vec<&str>)> = vec![
        // A digit of entry 1's copy digest.
        (
            "entries",
            second
                + entries
                    .lines()
                    .nth(1)
                    .unwrap()
                    .find("output_blake3")
                    .unwrap()
                + 20,
            vec![
                "entries: entry 1 (line 2, byte",
                "changed after it was logged",
            ],
        ),
        // The newline that ends entry 0.
        ("entries", second - 1, vec!["entries: entry 0 (line 1"]),
        // A character of checkpoint 2's signature.
        (
            "checkpoints",
            third_signature,
            vec![
                "checkpoints: checkpoint 2 (line 11, byte",
                "does not verify",
            ],
        ),
        ("verifier.key", 5, vec!["verifier.key: line 1"]),
        ("signing.key", 30, vec!["signing.key: line 1"]),
    ];
    for (file, at, wanted) in cases {
        let path = log_dir.join(file);
        let original = std::fs::read(&path).unwrap();
        flip(&path, at);
        let out = f.log(&["verify"]).code(6).get_output().stderr.clone();
        let err = String::from_utf8(out).unwrap();
        for w in &wanted {
            assert!(err.contains(w), "{file} byte {at}: {err}");
        }
        let doc = json_of(f.log(&["verify", "--json"]).code(6));
        assert_eq!(doc["ok"], false);
        assert!(doc["problem"]["file"].as_str().unwrap().ends_with(file));
        std::fs::write(&path, original).unwrap();
        f.log(&["verify"]).success();
    }
    // The last entry cut short.
    let path = log_dir.join("entries");
    std::fs::write(&path, &entries[..entries.len() - 10]).unwrap();
    f.log(&["verify"]).code(6).stderr(
        contains("entries: entry 2 (line 3")
            .and(contains("missing or cut short"))
            .and(contains("checkpoint 3")),
    );
    // Neither issue nor verify writes to a damaged log.
    f.issue(&f.p("roll.csv"), &["PT"])
        .code(6)
        .stderr(contains("entry 2"));
    assert!(!f.p("copies/PT.csv").exists());
    f.verify(&f.p("copies/PAN.csv"))
        .code(6)
        .stderr(contains("entry 2"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        entries[..entries.len() - 10]
    );
}

/// A signed entry that loses its checkpoint (deleted, or cut anywhere) is
/// damage, never an interrupted append to clean up: `log verify` names the
/// entry, nothing more is issued (so its slot is never given again), and
/// the leak of that recipient's copy still names that recipient.
#[test]
fn a_deleted_checkpoint_is_damage_and_its_slot_is_never_given_again() {
    let f = Fixture::new();
    f.issue(&f.p("roll.csv"), &["PAN", "PRI"]).success();
    f.issue(&f.p("roll.csv"), &["MORENA"]).success();
    let path = f.p("state/log/checkpoints");
    let notes = std::fs::read_to_string(&path).unwrap();
    let entries = std::fs::read(f.p("state/log/entries")).unwrap();
    let origin = notes.lines().next().unwrap();
    let last = notes.rfind(&format!("\n{origin}\n")).unwrap() + 1;
    leak_of(&f.p("copies/MORENA.csv"), &f.p("leak.csv"));
    for cut in [last, last + 10, notes.len() - 30] {
        std::fs::write(&path, &notes[..cut]).unwrap();
        f.log(&["verify"]).code(6).stderr(
            contains("entry 2")
                .and(contains("signed by no checkpoint"))
                .and(contains("never removed")),
        );
        f.issue(&f.p("roll.csv"), &["PT"])
            .code(6)
            .stderr(contains("signed by no checkpoint"));
        assert!(!f.p("copies/PT.csv").exists());
        assert_eq!(std::fs::read(f.p("state/log/entries")).unwrap(), entries);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), &notes[..cut]);
        // Nothing is attributed from a log that lost a checkpoint: the
        // unsigned line could have been written by anyone.
        f.verify(&f.p("leak.csv"))
            .code(6)
            .stderr(contains("signed by no checkpoint").and(contains("log restore")));
    }
    // The checkpoint comes back from MORENA's receipt: then the leak names
    // MORENA, and the next recipient gets the next slot.
    std::fs::write(&path, &notes[..last + 10]).unwrap();
    wm().args(["log", "restore", "--state"])
        .arg(f.p("state"))
        .arg("--from")
        .arg(f.p("copies/MORENA.receipt"))
        .assert()
        .success()
        .stdout(contains("Restored the checkpoints of 1 entry"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), notes);
    f.log(&["verify"]).success();
    let doc = f.verify_json(&f.p("leak.csv"));
    assert_eq!(doc["accused"][0]["recipient"], "MORENA");
    std::fs::write(&path, &notes).unwrap();
    // A forged line (an innocent's entry copied under the leaker's slot)
    // cannot be restored: no checkpoint signs it.
    let forged_entries = {
        let text = String::from_utf8(entries.clone()).unwrap();
        let pri = text
            .lines()
            .nth(1)
            .unwrap()
            .replace("\"slot\":1", "\"slot\":2");
        format!("{text}{pri}\n")
    };
    std::fs::write(f.p("state/log/entries"), &forged_entries).unwrap();
    f.verify(&f.p("leak.csv")).code(6);
    wm().args(["log", "restore", "--state"])
        .arg(f.p("state"))
        .arg("--from")
        .arg(f.p("copies/MORENA.receipt"))
        .assert()
        .code(1);
    std::fs::write(f.p("state/log/entries"), &entries).unwrap();
    // A line after the last signed entry, with no append under way, is the
    // same damage.
    std::fs::write(&path, &notes).unwrap();
    let mut torn = entries.clone();
    torn.extend_from_slice(&entries[..entries.len() / 3]);
    std::fs::write(f.p("state/log/entries"), &torn).unwrap();
    f.log(&["verify"])
        .code(6)
        .stderr(contains("entry 3").and(contains("no append was under way")));
    f.issue(&f.p("roll.csv"), &["PT"]).code(6);
    // Put back, the log verifies and issues again, after the last slot.
    std::fs::write(f.p("state/log/entries"), &entries).unwrap();
    f.log(&["verify"]).success().stderr(is_empty());
    f.issue(&f.p("roll.csv"), &["PT"]).success();
    let doc = json_of(f.log(&["show", "--json"]).success());
    let slots: Vec<u64> = doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["entry"]["slot"].as_u64())
        .collect();
    assert_eq!(slots, [0, 1, 2, 3], "{doc}");
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            out.extend(files_under(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

/// The rows of a CSV file, by column name.
fn rows_of(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    rdr.records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

#[test]
fn no_curp_nss_name_or_other_input_value_reaches_the_state_or_a_receipt() {
    let f = Fixture::new();
    wm().args([
        "synth",
        "--kind",
        "pensioners",
        "--rows",
        "2000",
        "--seed",
        "8",
        "-o",
    ])
    .arg(f.p("pens.csv"))
    .assert()
    .success();
    wm().args(["policy", "suggest", "--identity", "NSS"])
        .arg(f.p("pens.csv"))
        .arg("-o")
        .arg(f.p("pens-policy.toml"))
        .assert()
        .success();
    f.issue(&f.p("roll.csv"), &["PAN", "PRI"]).success();
    // `verify` compares a leak with every policy of a state and needs each
    // one's identity column, so the pensioners get a state of their own.
    wm().args(["init", "--state"])
        .arg(f.p("state2"))
        .assert()
        .success();
    issue(
        &f.p("state2"),
        &f.p("pens-policy.toml"),
        &f.p("pens.csv"),
        &["AFORE-1", "AFORE-2"],
        &f.p("copies"),
    )
    .assert()
    .success();
    leak_of(&f.p("copies/PRI.csv"), &f.p("leak1.csv"));
    leak_of(&f.p("copies/AFORE-2.csv"), &f.p("leak2.csv"));
    for (state, leak) in [("state", "leak1.csv"), ("state2", "leak2.csv")] {
        wm().arg("verify")
            .arg("--state")
            .arg(f.p(state))
            .arg(f.p(leak))
            .assert()
            .success()
            .stdout(contains("ACCUSED"));
    }

    let mut files = files_under(&f.p("state"));
    files.extend(files_under(&f.p("state2")));
    // The canary lists are secret and kept like the key: synthetic people
    // made from parts of real rows (names, a neighbour's address), never a
    // real identifier. They are checked apart.
    let (canary_files, mut files): (Vec<_>, Vec<_>) = files
        .into_iter()
        .partition(|p| p.parent().is_some_and(|d| d.ends_with("canaries")));
    assert!(!canary_files.is_empty());
    let canary_text: String = canary_files
        .iter()
        .map(|p| {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                let mode = std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", p.display());
                let dir = std::fs::metadata(p.parent().unwrap()).unwrap();
                assert_eq!(dir.permissions().mode() & 0o777, 0o700);
            }
            String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned()
        })
        .collect();
    let canary_tokens: std::collections::HashSet<&str> =
        canary_text.split(|c: char| !c.is_alphanumeric()).collect();
    for (input, col) in [
        ("roll.csv", "CURP"),
        ("roll.csv", "CLAVE_ELECTOR"),
        ("pens.csv", "NSS"),
    ] {
        for row in rows_of(&f.p(input)) {
            assert!(!canary_tokens.contains(row[col].as_str()), "{input}: {col}");
        }
    }
    files.extend(
        files_under(&f.p("copies"))
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "receipt")),
    );
    assert!(files.iter().any(|p| p.ends_with("log/entries")));
    assert!(files.iter().any(|p| p.ends_with("PRI.receipt")));
    let text: String = files
        .iter()
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned() + "\n")
        .collect();
    let tokens: std::collections::HashSet<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();

    let mut values = 0;
    for (input, identifiers, names, others) in [
        (
            "roll.csv",
            &["CURP", "CLAVE_ELECTOR"][..],
            &["NOMBRE", "APELLIDO_PATERNO", "APELLIDO_MATERNO"][..],
            &["CALLE", "COLONIA", "MUNICIPIO", "FECHA_NACIMIENTO"][..],
        ),
        (
            "pens.csv",
            &["NSS", "CURP", "TELEFONO"][..],
            &["NOMBRE", "APELLIDO_PATERNO", "APELLIDO_MATERNO"][..],
            &["MONTO_MENSUAL", "FECHA_NACIMIENTO", "FECHA_ALTA"][..],
        ),
    ] {
        for row in rows_of(&f.p(input)) {
            for col in identifiers {
                let v = &row[*col];
                assert!(
                    !tokens.contains(v.as_str()),
                    "{input}: {col} {v} is in the state"
                );
                values += 1;
            }
            for col in names {
                for part in row[*col].split_whitespace().filter(|p| p.len() >= 4) {
                    assert!(
                        !tokens.contains(part),
                        "{input}: {col} {part} is in the state"
                    );
                    values += 1;
                }
            }
            let full = format!(
                "{} {} {}",
                row["NOMBRE"], row["APELLIDO_PATERNO"], row["APELLIDO_MATERNO"]
            );
            assert!(
                !text.contains(&full),
                "{input}: name {full} is in the state"
            );
            for col in others {
                let v = &row[*col];
                if v.len() >= 6 {
                    assert!(
                        !text.contains(v.as_str()),
                        "{input}: {col} {v} is in the state"
                    );
                    values += 1;
                }
            }
        }
    }
    assert!(values > 30_000, "{values}");
}

/// After a kill: `log verify` passes, every copy under its final name has an
/// entry with its digest, and every receipt verifies and matches its copy.
fn check_sound(f: &Fixture, out: &Path) {
    let doc = json_of(f.log(&["verify", "--json"]).success());
    assert_eq!(doc["ok"], true);
    let show = json_of(f.log(&["show", "--json"]).success());
    let verifier =
        watermark_log::tlog::Verifier::from_vkey(show["public_key"].as_str().unwrap()).unwrap();
    let logged: std::collections::HashSet<String> = show["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entry"]["type"] == "issue")
        .map(|e| e["entry"]["output_blake3"].as_str().unwrap().to_owned())
        .collect();
    let Ok(dir) = std::fs::read_dir(out) else {
        return;
    };
    for e in dir {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.starts_with('.') {
            assert!(name.ends_with(".partial"), "{name}");
        } else if name.ends_with(".csv") {
            assert!(
                logged.contains(&blake3_of(&path)),
                "{name} sits under its final name without its entry"
            );
        } else if name.ends_with(".receipt") {
            let receipt =
                watermark_log::Receipt::from_json(&std::fs::read_to_string(&path).unwrap())
                    .unwrap();
            let v = receipt.verify(&verifier).unwrap();
            let watermark_log::Entry::Issue(entry) = v.entry else {
                panic!("{name} is not an issue's receipt");
            };
            let copy = path.with_extension("csv");
            assert_eq!(blake3_of(&copy), entry.output_blake3, "{name}");
        } else {
            panic!("unexpected file {name}");
        }
    }
}

#[test]
#[allow(clippy::print_stderr)]
fn issue_killed_at_20_random_moments_leaves_a_sound_log_and_the_next_run_completes() {
    use rand::{Rng, SeedableRng};
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let f = Fixture::new();
    wm().args(["synth", "--rows", "40000", "--seed", "11", "-o"])
        .arg(f.p("big.csv"))
        .assert()
        .success();
    let bin = assert_cmd::cargo::cargo_bin("watermark");
    let issue = |out: &Path, ids: &[String], force: bool| {
        let mut c = std::process::Command::new(&bin);
        c.env_remove("WATERMARK_STATE")
            .arg("issue")
            .arg("--state")
            .arg(f.p("state"))
            .arg("--policy")
            .arg(f.p("policy.toml"))
            .arg(f.p("big.csv"))
            .arg("--out-dir")
            .arg(out);
        for id in ids {
            c.args(["--to", id]);
        }
        if force {
            c.arg("--force");
        }
        c
    };
    // How long a whole run takes here.
    let started = Instant::now();
    let status = issue(&f.p("warm"), &["WARM".into()], false)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let full = started.elapsed();

    let journal = f.p("state/issue.journal");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2016);
    let mut seen = std::collections::BTreeMap::<&str, u32>::new();
    let test_started = Instant::now();
    for i in 0..20 {
        let out = f.p(&format!("kill-{i:02}"));
        let ids = vec![format!("K{i:02}A"), format!("K{i:02}B")];
        let mut child = issue(&out, &ids, false)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if i % 2 == 0 {
            // Anywhere in the run.
            std::thread::sleep(full.mul_f64(rng.gen_range(0.0..1.2)));
        } else {
            // While the copies are being logged and moved into place: once
            // the journal names them, and a little later.
            let deadline = Instant::now() + full * 4;
            while Instant::now() < deadline && child.try_wait().unwrap().is_none() {
                let committing =
                    std::fs::read_to_string(&journal).is_ok_and(|j| j.contains("\"index\""));
                if committing {
                    break;
                }
                std::thread::sleep(Duration::from_micros(100));
            }
            std::thread::sleep(Duration::from_micros(rng.gen_range(0..2_000)));
        }
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        *seen
            .entry(if finished {
                "finished before the kill"
            } else if journal.exists() {
                "killed with an issuance in progress"
            } else {
                "killed outside an issuance"
            })
            .or_default() += 1;
        check_sound(&f, &out);

        // The next run completes (replacing whatever copies the killed one
        // got into place).
        let rerun = issue(&out, &ids, true).output().unwrap();
        let stderr = String::from_utf8_lossy(&rerun.stderr);
        assert!(rerun.status.success(), "run {i} after the kill: {stderr}");
        for (needle, what) in [
            ("removed an interrupted append", "log tail removed"),
            (
                "completed an interrupted issuance",
                "logged copies completed",
            ),
            ("undid an interrupted issuance", "unlogged copies undone"),
            ("temporary file(s)", "temporary files removed"),
        ] {
            if stderr.contains(needle) {
                *seen.entry(what).or_default() += 1;
            }
        }
        check_sound(&f, &out);
        assert!(!journal.exists());
        let mut names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                format!("{}.csv", ids[0]),
                format!("{}.receipt", ids[0]),
                format!("{}.csv", ids[1]),
                format!("{}.receipt", ids[1]),
            ]
        );
    }
    // A final run completes too.
    let last = issue(&f.p("last"), &["LAST".into()], false)
        .output()
        .unwrap();
    assert!(last.status.success());
    check_sound(&f, &f.p("last"));
    eprintln!(
        "20 kills (a full run takes {full:?}; the loop took {:?}): {seen:?}",
        test_started.elapsed()
    );
    assert!(
        seen.get("killed with an issuance in progress")
            .copied()
            .unwrap_or(0)
            >= 5,
        "{seen:?}"
    );
}

/// One state holding copies made under two policies: a leak that lacks the
/// second policy's identity column is still attributed, and the copies it
/// cannot be compared with are listed, not silently dropped.
#[test]
fn regression_verify_with_a_second_policy_whose_identity_is_missing() {
    let f = Fixture::new();
    f.issue(&f.p("roll.csv"), &["A", "B"]).success();
    wm().args(["synth", "--kind", "pensioners", "--rows", "2000", "-o"])
        .arg(f.p("pensioners.csv"))
        .assert()
        .success();
    wm().args(["policy", "suggest", "--identity", "NSS"])
        .arg(f.p("pensioners.csv"))
        .arg("-o")
        .arg(f.p("pensioners.toml"))
        .assert()
        .success();
    issue(
        &f.p("state"),
        &f.p("pensioners.toml"),
        &f.p("pensioners.csv"),
        &["IMSS-C"],
        &f.p("pension-copies"),
    )
    .assert()
    .success();
    leak_of(&f.p("copies/B.csv"), &f.p("leak.csv"));
    let doc = f.verify_json(&f.p("leak.csv"));
    assert_eq!(doc["accused"][0]["recipient"], "B");
    assert_eq!(doc["not_compared"][0]["recipients"][0], "IMSS-C");
    assert_eq!(
        doc["comparisons"], 3,
        "the union bound still counts every recipient"
    );
    f.verify(&f.p("leak.csv"))
        .success()
        .stdout(contains("Not compared IMSS-C"));
    // A file no policy can read is still an error.
    std::fs::write(f.p("nothing.csv"), "NAME,CALLE\nA,AV. X\n").unwrap();
    f.verify(&f.p("nothing.csv"))
        .code(1)
        .stderr(contains("none of the policies"));
}

/// `watermark ... --json | head` closed the pipe mid-document, and the JSON
/// writer's error lost its BrokenPipe kind: the command reported an error.
#[cfg(unix)]
#[test]
fn regression_closed_pipe_during_json_is_not_an_error() {
    use std::io::Read as _;
    use std::process::{Command as Std, Stdio};
    let mut child = Std::new(assert_cmd::cargo::cargo_bin("watermark"))
        .args(["demo", "--rows", "2000", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one byte, then close our end, as `head -c1` would.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("error"), "{stderr}");
}

// ----- Leaks without identity columns ------------------------------------------

/// A leak of names, address and section only, with neither CURP nor clave de
/// elector, is attributed by matching its rows to the master extract on the
/// columns that survived; without `--master` it is refused, saying so.
#[test]
fn verify_with_master_attributes_a_leak_without_identity_columns() {
    let f = Fixture::new();
    wm().args([
        "synth",
        "--kind",
        "electoral-roll",
        "--rows",
        "4000",
        "--seed",
        "17",
        "-o",
    ])
    .arg(f.p("roll.csv"))
    .assert()
    .success();
    wm().args(["policy", "suggest"])
        .arg(f.p("roll.csv"))
        .arg("-o")
        .arg(f.p("policy.toml"))
        .assert()
        .success();
    // The policy the roll gets: CURP is the identity; the leak keeps every
    // carrier it picks, all of them address columns.
    let policy =
        watermark_core::Policy::from_toml(&std::fs::read_to_string(f.p("policy.toml")).unwrap())
            .unwrap();
    assert_eq!(policy.identity, ["CURP"]);
    let address = [
        "CALLE",
        "NUM_EXT",
        "NUM_INT",
        "COLONIA",
        "CODIGO_POSTAL",
        "MUNICIPIO",
        "ENTIDAD",
    ];
    assert!(!policy.carriers.is_empty());
    for c in &policy.carriers {
        assert!(address.contains(&c.column.as_str()), "carrier {}", c.column);
    }
    let mut keep = vec!["NOMBRE", "APELLIDO_PATERNO", "APELLIDO_MATERNO"];
    keep.extend(address);
    keep.push("SECCION");

    f.issue(&f.p("roll.csv"), &["PAN", "PRI", "MORENA", "PT", "PVEM"])
        .success();
    // 200 rows of PRI's copy, shuffled by a fixed stride, the kept columns only.
    let mut rdr = csv::Reader::from_path(f.p("copies/PRI.csv")).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    assert!(header.iter().any(|h| h == "CLAVE_ELECTOR"));
    let at: Vec<usize> = keep
        .iter()
        .map(|k| header.iter().position(|h| h == k).unwrap())
        .collect();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let mut out = csv::Writer::from_path(f.p("leak.csv")).unwrap();
    out.write_record(&keep).unwrap();
    for k in 0..200 {
        let row = &rows[(1000 + k * 13) % rows.len()];
        out.write_record(at.iter().map(|&i| &row[i])).unwrap();
    }
    out.flush().unwrap();
    drop(out);

    let out = f
        .verify_cmd(&f.p("leak.csv"))
        .arg("--master")
        .arg(f.p("roll.csv"))
        .arg("--json")
        .assert()
        .success();
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let accused: Vec<&str> = doc["accused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["recipient"].as_str().unwrap())
        .collect();
    assert_eq!(accused, ["PRI"]);
    assert!(
        doc["accused"][0]["false_accusation_bound"]
            .as_f64()
            .unwrap()
            <= 1e-9
    );
    assert_eq!(doc["rows_read"], 200);
    let m = &doc["master"];
    assert_eq!(m["file"], f.p("roll.csv").to_str().unwrap());
    assert_eq!(m["blake3"], blake3_of(&f.p("roll.csv")));
    let count = |k: &str| m[k].as_u64().unwrap();
    assert_eq!(
        count("rows_matched") + count("rows_unmatched") + count("rows_ambiguous"),
        200
    );
    // Only a canary row, which the master does not have, may go unmatched.
    assert!(count("rows_matched") >= 190, "{m}");
    assert_eq!(
        doc["rows_without_identity"].as_u64().unwrap(),
        200 - count("rows_matched")
    );
    let columns: Vec<&str> = m["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(columns, keep);
    assert!(
        doc["recheck"].as_str().unwrap().contains("--master"),
        "{}",
        doc["recheck"]
    );

    f.verify_cmd(&f.p("leak.csv"))
        .arg("--master")
        .arg(f.p("roll.csv"))
        .assert()
        .success()
        .stdout(
            contains("ACCUSED: PRI")
                .and(contains("Matched"))
                .and(contains("--master")),
        );

    // Without the master, the file cannot be read, and the error says what
    // would read it.
    f.verify(&f.p("leak.csv")).code(1).stderr(
        contains("leak.csv")
            .and(contains("CURP"))
            .and(contains("--master")),
    );

    // A leak that kept the identity needs no match: the same verdict as
    // without --master.
    leak_of(&f.p("copies/PAN.csv"), &f.p("with-curp.csv"));
    let doc = json_of(
        f.verify_cmd(&f.p("with-curp.csv"))
            .arg("--master")
            .arg(f.p("roll.csv"))
            .arg("--json")
            .assert()
            .success(),
    );
    assert_eq!(doc["accused"][0]["recipient"], "PAN");
    assert_eq!(doc["master"]["used"], false);
    assert_eq!(doc["master"]["blake3"], blake3_of(&f.p("roll.csv")));

    // A master that shares no column with the leak is a clear error.
    std::fs::write(f.p("other.csv"), "CURP,FOLIO\nX,1\n").unwrap();
    f.verify_cmd(&f.p("leak.csv"))
        .arg("--master")
        .arg(f.p("other.csv"))
        .assert()
        .code(1)
        .stderr(contains("other.csv").and(contains("no column")));
}

#[test]
fn a_three_column_list_is_issued_with_canaries_and_its_leak_attributed() {
    let f = Fixture::new();
    wm().args([
        "synth",
        "--kind",
        "name-list",
        "--rows",
        "20000",
        "--seed",
        "3",
        "-o",
    ])
    .arg(f.p("list.csv"))
    .assert()
    .success();
    let suggested = json_of(
        wm().args(["policy", "suggest", "--json", "--canary-rate", "0.04"])
            .arg(f.p("list.csv"))
            .assert()
            .success(),
    );
    let policy = &suggested["policy"];
    assert_eq!(
        policy["identity"],
        serde_json::json!(["NOMBRE_COMPLETO", "SECCION"])
    );
    assert_eq!(policy["canaries"]["full_name"], "NOMBRE_COMPLETO");
    wm().args(["policy", "suggest", "--canary-rate", "0.04"])
        .arg(f.p("list.csv"))
        .arg("-o")
        .arg(f.p("list.toml"))
        .assert()
        .success();
    let issued = json_of(
        issue(
            &f.p("state"),
            &f.p("list.toml"),
            &f.p("list.csv"),
            &["PAN", "PRI", "MORENA"],
            &f.p("lists"),
        )
        .arg("--json")
        .assert()
        .success(),
    );
    let made = issued["canaries_made"].as_u64().unwrap();
    // 0.04 × 20,000 rows / 0.315, the mean presence bias at cutoff 0.15.
    assert!((2300..=2800).contains(&made), "{made}");
    for copy in issued["copies"].as_array().unwrap() {
        let canaries = copy["canaries"].as_u64().unwrap();
        let path = PathBuf::from(copy["file"].as_str().unwrap());
        let rows = std::fs::read_to_string(path).unwrap().lines().count() as u64 - 1;
        assert_eq!(rows, 20_000 + canaries);
    }
    // The log records each copy's canaries and rows.
    let entries = std::fs::read_to_string(f.p("state/log/entries")).unwrap();
    let last: serde_json::Value = serde_json::from_str(entries.lines().last().unwrap()).unwrap();
    assert_eq!(last["canaries"], issued["copies"][2]["canaries"]);
    assert_eq!(
        last["output_rows"].as_u64().unwrap(),
        20_000 + last["canaries"].as_u64().unwrap()
    );
    // 3,000 rows of PRI's copy.
    let text = std::fs::read_to_string(f.p("lists/PRI.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut leak = vec![lines[0]];
    leak.extend(lines[1..].iter().step_by(7).take(3000));
    std::fs::write(f.p("list-leak.csv"), leak.join("\n") + "\n").unwrap();
    let report = json_of(
        wm().args(["verify", "--json", "--state"])
            .arg(f.p("state"))
            .arg(f.p("list-leak.csv"))
            .assert()
            .success(),
    );
    let accused: Vec<&str> = report["accused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["recipient"].as_str().unwrap())
        .collect();
    assert_eq!(accused, ["PRI"], "{report:#}");
    assert!(report["canaries_found"].as_u64().unwrap() > 20);
    assert_eq!(report["accused"][0]["evidence"][0]["canary"], true);
    // Issuing the same list again reuses its canaries: the same bytes.
    issue(
        &f.p("state"),
        &f.p("list.toml"),
        &f.p("list.csv"),
        &["PRI"],
        &f.p("again"),
    )
    .arg("--force")
    .assert()
    .success();
    assert_eq!(
        std::fs::read(f.p("again/PRI.csv")).unwrap(),
        std::fs::read(f.p("lists/PRI.csv")).unwrap()
    );
}

/// The canary list and the policy are bound to the log: every changed byte
/// of either is caught by the state's checks (which `log verify`, `issue`
/// and `verify` run), and the attack of rewriting every canary's CURP is
/// refused by each command.
#[test]
fn every_changed_byte_of_a_canary_list_or_policy_is_caught() {
    use watermark_app::State;
    let f = Fixture::new();
    f.issue(&f.p("roll.csv"), &["PAN", "PRI"]).success();
    let state = State::open(&f.p("state")).unwrap();
    let log = state.log().unwrap();
    let canary_file = std::fs::read_dir(f.p("state/canaries"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .unwrap();
    let policy_file = std::fs::read_dir(f.p("state/policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .next()
        .unwrap();
    let (_, e) = log.issues().next().unwrap();
    let (input, digest) = (e.input_blake3.clone(), e.policy_digest.clone());
    assert!(!e.canary_list_blake3.is_empty());
    let check = |what: &str| {
        assert!(state.check_files(&log).is_err(), "{what}: check_files");
    };
    let canaries = std::fs::read(&canary_file).unwrap();
    for i in 0..canaries.len() {
        let mut bad = canaries.clone();
        bad[i] ^= 0x20;
        std::fs::write(&canary_file, &bad).unwrap();
        check(&format!("canary byte {i}"));
        assert!(state.canaries(&log, &input, &digest).is_err());
        assert!(state.canary_lists(&log, &digest).is_err());
    }
    std::fs::write(&canary_file, &canaries).unwrap();
    let policy = std::fs::read(&policy_file).unwrap();
    for i in 0..policy.len() {
        let mut bad = policy.clone();
        bad[i] ^= 0x20;
        std::fs::write(&policy_file, &bad).unwrap();
        check(&format!("policy byte {i}"));
        assert!(state.policy(&digest).is_err(), "policy byte {i}");
    }
    std::fs::write(&policy_file, &policy).unwrap();
    assert_eq!(
        state.check_files(&log).unwrap(),
        state.check_files(&log).unwrap()
    );
    f.log(&["verify"])
        .success()
        .stdout(contains("canary lists: the 1 the entries record"));

    // Every canary's CURP rewritten: each command refuses, naming the file.
    leak_of(&f.p("copies/PAN.csv"), &f.p("leak.csv"));
    let text = String::from_utf8(canaries.clone()).unwrap();
    let mut rewritten = text.clone();
    for curp in text
        .split('"')
        .filter(|s| s.len() == 18 && s.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        let mut other: Vec<char> = curp.chars().collect();
        other[16] = if other[16] == '0' { '1' } else { '0' };
        rewritten = rewritten.replace(curp, &other.iter().collect::<String>());
    }
    assert_ne!(rewritten, text, "the list holds CURPs");
    std::fs::write(&canary_file, &rewritten).unwrap();
    let name = canary_file
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    f.log(&["verify"])
        .failure()
        .stderr(contains(name.as_str()).and(contains("changed after issuance")));
    f.issue(&f.p("roll.csv"), &["PT"])
        .failure()
        .stderr(contains(name.as_str()));
    assert!(!f.p("copies/PT.csv").exists());
    f.verify(&f.p("leak.csv"))
        .failure()
        .stderr(contains(name.as_str()));
    std::fs::write(&canary_file, &canaries).unwrap();
    f.verify(&f.p("leak.csv")).success();

    // A state without its canaries or policies directory does not verify.
    std::fs::rename(f.p("state/canaries"), f.p("canaries-away")).unwrap();
    f.log(&["verify"])
        .failure()
        .stderr(contains(name.as_str()).and(contains("missing")));
    std::fs::rename(f.p("canaries-away"), f.p("state/canaries")).unwrap();
    std::fs::rename(f.p("state/policies"), f.p("policies-away")).unwrap();
    f.log(&["verify"])
        .failure()
        .stderr(contains("policies").and(contains("missing")));
    std::fs::rename(f.p("policies-away"), f.p("state/policies")).unwrap();
    f.log(&["verify"]).success();
}

/// Issuing the very same copy again (`--force`, say after a recovery put it
/// in place) does not log it twice.
#[test]
fn the_same_copy_issued_again_is_not_logged_twice() {
    let f = Fixture::new();
    f.issue(&f.p("roll.csv"), &["PAN"]).success();
    let entries = || {
        std::fs::read_to_string(f.p("state/log/entries"))
            .unwrap()
            .lines()
            .count()
    };
    assert_eq!(entries(), 1);
    let receipt = std::fs::read(f.p("copies/PAN.receipt")).unwrap();
    let again = |to: &[&str]| {
        issue(
            &f.p("state"),
            &f.p("policy.toml"),
            &f.p("roll.csv"),
            to,
            &f.p("copies"),
        )
        .arg("--force")
        .assert()
    };
    again(&["PAN"])
        .success()
        .stdout(contains("not logged again"));
    assert_eq!(entries(), 1);
    again(&["PAN", "PRI"]).success();
    assert_eq!(entries(), 2);
    // The receipt still proves entry 0, now against the newer checkpoint.
    let now = std::fs::read_to_string(f.p("copies/PAN.receipt")).unwrap();
    assert_ne!(now.as_bytes(), receipt.as_slice());
    assert!(
        now.contains("\"index\": 0") || now.contains("\"index\":0"),
        "{now}"
    );
    f.log(&["verify"]).success();
}

/// Recipient ids that differ only in case name one file on macOS and
/// Windows: `--to A --to a` would leave one copy under both names (a leak
/// of it accusing the wrong one), so it is refused, in one run or across
/// runs, and nothing is issued.
#[test]
fn regression_ids_that_differ_only_in_case_are_refused() {
    let f = Fixture::new();
    let out = issue(
        &f.p("state"),
        &f.p("policy.toml"),
        &f.p("roll.csv"),
        &["A", "a"],
        &f.p("copies"),
    )
    .arg("--force")
    .assert()
    .failure()
    .stderr(
        contains("\"A\"")
            .and(contains("\"a\""))
            .and(contains("case")),
    );
    assert_eq!(out.get_output().stdout.len(), 0);
    assert!(f.copies().is_empty(), "{:?}", f.copies());
    f.issue(&f.p("roll.csv"), &["PAN"]).success();
    issue(
        &f.p("state"),
        &f.p("policy.toml"),
        &f.p("roll.csv"),
        &["pan"],
        &f.p("other"),
    )
    .arg("--force")
    .assert()
    .failure()
    .stderr(contains("\"pan\"").and(contains("\"PAN\"")));
    assert!(!f.p("other/pan.csv").exists());
    let state = watermark_app::State::open(&f.p("state")).unwrap();
    assert_eq!(state.log().unwrap().size(), 1);
}

/// Three `init`s of one directory at once, 30 times: each time the
/// directory is one complete state, made by exactly one run; the others
/// fail saying why, and no temporary directory is left beside it.
#[test]
fn concurrent_inits_of_one_directory_leave_one_complete_state() {
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("watermark");
    for round in 0..30 {
        let path = dir.path().join(format!("s{round}"));
        let children: Vec<_> = (0..3)
            .map(|_| {
                std::process::Command::new(&bin)
                    .env_remove("WATERMARK_STATE")
                    .args(["--quiet", "init", "--state"])
                    .arg(&path)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outputs: Vec<_> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let state =
            watermark_app::State::open(&path).unwrap_or_else(|e| panic!("round {round}: {e}"));
        state
            .master_key()
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        let log = state.log().unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(log.size(), 0);
        assert!(path.join("policies").is_dir(), "round {round}");
        let succeeded = outputs.iter().filter(|o| o.status.success()).count();
        assert_eq!(succeeded, 1, "round {round}");
        for o in outputs.iter().filter(|o| !o.status.success()) {
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(
                err.contains(&path.display().to_string())
                    && (err.contains("already holds a state")
                        || err.contains("is not empty")
                        || err.contains("another `watermark init`")),
                "round {round}: {err}"
            );
        }
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.contains(".init-"))
            .collect();
        assert!(left.is_empty(), "round {round}: {left:?}");
    }
}

/// `init` killed at 100 moments across its run: the directory is either
/// absent or a complete state, and the next `init` succeeds.
#[test]
#[allow(clippy::print_stderr)]
fn init_killed_at_100_moments_leaves_no_state_or_a_complete_one() {
    use rand::{Rng, SeedableRng};
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("watermark");
    let init = |path: &Path| {
        let mut c = std::process::Command::new(&bin);
        c.env_remove("WATERMARK_STATE")
            .args(["--quiet", "init", "--state"])
            .arg(path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        c
    };
    // How long a whole run takes here.
    let started = Instant::now();
    for i in 0..3 {
        assert!(init(&dir.path().join(format!("warm{i}")))
            .status()
            .unwrap()
            .success());
    }
    let run = started.elapsed() / 3;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let (mut absent, mut complete) = (0, 0);
    for i in 0..100 {
        let path = dir.path().join(format!("s{i}"));
        let mut child = init(&path).spawn().unwrap();
        let wait = rng.gen_range(0..=run.as_micros() as u64 * 6 / 5);
        std::thread::sleep(Duration::from_micros(wait));
        let _ = child.kill();
        child.wait().unwrap();
        if path.exists() {
            let state = watermark_app::State::open(&path)
                .unwrap_or_else(|e| panic!("kill {i} after {wait} µs: {e}"));
            state.master_key().unwrap();
            assert_eq!(state.log().unwrap().size(), 0);
            complete += 1;
        } else {
            absent += 1;
            // What the killed run left beside it goes with the next init.
            assert!(init(&path).status().unwrap().success(), "kill {i}");
            watermark_app::State::open(&path).unwrap().log().unwrap();
        }
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect();
    let stale: Vec<_> = leftovers
        .iter()
        .filter(|n| {
            let state = n.trim_start_matches('.').split(".init-").next().unwrap();
            dir.path().join(state).exists()
        })
        .collect();
    // Only states that never got their second init (none here) keep one.
    assert!(stale.is_empty(), "{stale:?}");
    eprintln!("100 kills: {absent} left no state, {complete} a complete one (a run takes {run:?})");
    assert!(absent > 0 && complete > 0, "{absent} {complete}");
}

/// A log replaced by one signed under another key (whoever can write the
/// state can make one) is refused by every command that reads the state's
/// log with its master key: the log's key is tied to the master key.
#[test]
fn a_log_signed_under_another_key_is_refused() {
    let f = Fixture::new();
    f.issue(&f.p("roll.csv"), &["PAN", "PRI"]).success();
    init(&f.p("other"), None);
    issue(
        &f.p("other"),
        &f.p("policy.toml"),
        &f.p("roll.csv"),
        &["PRI", "PAN"],
        &f.p("other-copies"),
    )
    .assert()
    .success();
    leak_of(&f.p("copies/PAN.csv"), &f.p("leak.csv"));
    // The other state's whole log, with its keys, in place of this one's.
    for name in ["entries", "checkpoints", "verifier.key", "signing.key"] {
        std::fs::copy(
            f.p(&format!("other/log/{name}")),
            f.p(&format!("state/log/{name}")),
        )
        .unwrap();
    }
    f.log(&["verify"])
        .failure()
        .stderr(contains("key.binding").and(contains("master key")));
    f.verify(&f.p("leak.csv"))
        .failure()
        .stderr(contains("key.binding"));
    f.issue(&f.p("roll.csv"), &["PT"]).failure();
    // Without the binding at all, the same.
    std::fs::remove_file(f.p("state/log/key.binding")).unwrap();
    f.log(&["verify"])
        .failure()
        .stderr(contains("key.binding").and(contains("missing")));
}

/// "Could not read" and "tampered" are different answers, with different
/// exit statuses: 1 for a state directory that is not there, 6 for a
/// policy the log binds that was changed after issuance; and the same
/// tampering stops issuing and verifying with 6 too.
#[test]
fn exit_status_tells_tampering_from_a_missing_state() {
    let f = Fixture::new();
    f.issue(&f.p("roll.csv"), &["A", "B"]).success();
    f.log(&["verify"]).success();
    wm().args(["log", "verify", "--state"])
        .arg(f.p("nowhere"))
        .assert()
        .code(1);
    let policies: Vec<PathBuf> = std::fs::read_dir(f.p("state/policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(policies.len(), 1);
    let original = std::fs::read_to_string(&policies[0]).unwrap();
    std::fs::write(&policies[0], format!("{original}# a comment\n")).unwrap();
    f.log(&["verify"])
        .code(6)
        .stderr(contains("changed after issuance"));
    // Nobody reading the answer does not turn it into a success.
    for args in [&["log", "verify"][..], &["log", "verify", "--json"]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("watermark"))
            .args(args)
            .arg("--state")
            .arg(f.p("state"))
            .stdout(writer)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(6), "{args:?}");
    }
    f.verify(&f.p("copies/A.csv"))
        .code(6)
        .stderr(contains("changed after issuance"));
    std::fs::write(&policies[0], &original).unwrap();
    f.log(&["verify"]).success();
}

/// The installation's completion scripts and man pages come from the
/// command-line definitions: every subcommand is in them.
#[test]
fn completions_and_man_pages_cover_every_command() {
    for (shell, marker) in [
        ("bash", "_watermark()"),
        ("zsh", "#compdef watermark"),
        ("fish", "complete -c watermark"),
    ] {
        let out = wm().args(["completions", shell]).assert().success();
        let script = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        assert!(script.contains(marker), "{shell}: {script:.200}");
        for sub in ["issue", "verify", "verify-receipt", "completions"] {
            assert!(script.contains(sub), "{shell} lacks {sub}");
        }
    }
    let out = wm().arg("man").assert().success();
    let page = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(page.contains(".TH watermark 1"), "{page:.300}");
    assert!(
        page.contains("Exit status") || page.contains("EXIT"),
        "no exit codes"
    );
    let dir = tempfile::tempdir().unwrap();
    wm().args(["man", "--dir"])
        .arg(dir.path())
        .assert()
        .success();
    for name in [
        "watermark.1",
        "watermark-verify.1",
        "watermark-log-verify-receipt.1",
        "watermark-report-verify.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert!(text.starts_with(".ie") || text.contains(".TH"), "{name}");
    }
    let verify = std::fs::read_to_string(dir.path().join("watermark-verify.1")).unwrap();
    assert!(verify.contains("watermark\\-verify") && verify.contains("investigator"));
    wm().args(["man", "--dir"])
        .arg(dir.path().join("missing"))
        .assert()
        .code(1)
        .stderr(contains("not a directory"));
}

/// The English fragments of three words or more in the definitions' own
/// texts (abouts, argument help, after_help) and clap's own words, that
/// Spanish help must not contain. Quoted and backquoted text (commands,
/// literal values) is the same in both languages and left out.
fn english_help_fragments() -> Vec<String> {
    use clap::CommandFactory as _;
    fn texts(cmd: &clap::Command, out: &mut Vec<String>) {
        let mut push = |t: Option<&clap::builder::StyledStr>| out.extend(t.map(|t| t.to_string()));
        push(cmd.get_about());
        push(cmd.get_long_about());
        push(cmd.get_after_help());
        for a in cmd.get_arguments() {
            out.extend(a.get_help().map(|t| t.to_string()));
            out.extend(a.get_long_help().map(|t| t.to_string()));
            for v in a.get_possible_values() {
                out.extend(v.get_help().map(|t| t.to_string()));
            }
        }
        for s in cmd.get_subcommands() {
            texts(s, out);
        }
    }
    let mut all = Vec::new();
    texts(&watermark_cli::cli::Cli::command(), &mut all);
    let mut fragments: Vec<String> = all.iter().flat_map(|t| word_runs(t, 3)).collect();
    // clap's words.
    fragments.extend(
        [
            "Usage:",
            "Options:",
            "Commands:",
            "Arguments:",
            "Print help",
            "Print version",
            "[OPTIONS]",
            "<COMMAND>",
            "[env:",
            "[default:",
            "possible values",
            "Possible values",
            "For more information",
        ]
        .map(str::to_owned),
    );
    fragments.sort();
    fragments.dedup();
    fragments
}

/// Runs of `n` or more words (letters only, some lower-case) in `text`
/// outside quotes and backquotes, whitespace collapsed.
fn word_runs(text: &str, n: usize) -> Vec<String> {
    let mut prose = String::new();
    let mut quoted = None;
    // Example command lines are the same in both languages; their
    // comments are not.
    let text: Vec<&str> = text
        .lines()
        .map(|l| {
            let start = l.trim_start();
            if ["watermark ", "sudo ", "curl "]
                .iter()
                .any(|p| start.starts_with(p))
            {
                l.split_once(" # ").map_or("", |(_, comment)| comment)
            } else {
                l
            }
        })
        .collect();
    for c in text.join("\n").chars() {
        match (quoted, c) {
            (None, '`' | '"') => quoted = Some(c),
            (Some(q), c) if c == q => quoted = None,
            (None, c) => prose.push(c),
            _ => {}
        }
    }
    let mut runs = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    let mut flush = |run: &mut Vec<&str>| {
        if run.len() >= n {
            runs.push(run.join(" "));
        }
        run.clear();
    };
    for token in prose.split_inclusive(|c: char| !(c.is_alphabetic() || c == '\'')) {
        let word = token.trim_end_matches(|c: char| !(c.is_alphabetic() || c == '\''));
        let ends_here = token.len() != word.len() && !token.ends_with(' ');
        if word.is_empty() {
            if !token.trim().is_empty() {
                flush(&mut run);
            }
            continue;
        }
        if word.chars().any(char::is_lowercase)
            && word.chars().all(|c| c.is_alphabetic() || c == '\'')
        {
            run.push(word);
        } else {
            flush(&mut run);
        }
        if ends_here {
            flush(&mut run);
        }
    }
    flush(&mut run);
    runs
}

/// The English fragments found in a help text.
fn english_in_help(help: &str, fragments: &[String]) -> Vec<String> {
    let help: String = help.split_whitespace().collect::<Vec<_>>().join(" ");
    fragments
        .iter()
        .filter(|f| help.contains(f.as_str()))
        .cloned()
        .collect()
}

/// `--help` is in Spanish when the output is, chosen as the output
/// chooses it: `--lang es` anywhere on the line (also after the
/// subcommand), `WATERMARK_LANG`, or a Spanish locale.
#[test]
fn help_is_spanish_when_the_output_is() {
    let fragments = english_help_fragments();
    assert!(fragments.len() > 100, "{}", fragments.len());
    let stdout = |c: &mut Command| {
        let out = c.assert().success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    let english = stdout(wm().args(["verify", "--help"]));
    assert!(english_in_help(&english, &fragments).len() > 10);

    let lines: [&[&str]; 12] = [
        &["--help"],
        &["-h"],
        &["verify", "--help"],
        &["verify", "-h"],
        &["issue", "--help"],
        &["log", "verify", "--help"],
        &["log", "-h"],
        &["report", "verify", "--help"],
        &["policy", "suggest", "--help"],
        &["witness", "serve", "--help"],
        &["help", "verify"],
        &["completions", "--help"],
    ];
    // `watermark help` takes no options after it: there the flag goes first.
    let with_lang = |args: &[&str], lang: &'static str| -> Vec<String> {
        let flag = ["--lang", lang];
        let line: Vec<&str> = if args[0] == "help" {
            flag.iter().chain(args).copied().collect()
        } else {
            args.iter().chain(&flag).copied().collect()
        };
        line.into_iter().map(str::to_owned).collect()
    };
    for args in lines {
        let by_flag = stdout(wm().args(with_lang(args, "es")));
        let by_locale = stdout(wm().args(args).env("LANG", "es_MX.UTF-8"));
        let by_variable = stdout(wm().args(args).env("WATERMARK_LANG", "es"));
        assert_eq!(by_flag, by_locale, "{args:?}");
        assert_eq!(by_flag, by_variable, "{args:?}");
        let found = english_in_help(&by_flag, &fragments);
        assert!(
            found.is_empty(),
            "{args:?}: English in the Spanish help: {found:?}\n{by_flag}"
        );
        assert!(by_flag.contains("Uso: watermark"), "{args:?}\n{by_flag}");
        assert!(
            by_flag.contains("Muestra la ayuda") || args[0] == "help",
            "{args:?}"
        );
        // `--lang en` wins over a Spanish locale.
        let english = stdout(wm().args(with_lang(args, "en")).env("LANG", "es_MX.UTF-8"));
        assert!(english.contains("Usage: watermark"), "{args:?}\n{english}");
    }
    let top = stdout(wm().args(["--help", "--lang", "es"]));
    for status in ["  0  ", "  2  ", "  6  "] {
        assert!(top.contains(status), "{top}");
    }
    assert!(
        top.contains("Estado de salida:") && top.contains("Comandos:"),
        "{top}"
    );
    let verify = stdout(wm().args(["verify", "--help"]).env("LANG", "es_MX.UTF-8"));
    for words in [
        "Argumentos:",
        "Opciones:",
        "[variable de entorno: WATERMARK_STATE]",
        "Ejemplos:",
    ] {
        assert!(verify.contains(words), "{words}\n{verify}");
    }
}

/// clap's errors follow the language, with the same exit status 2.
#[test]
fn command_line_errors_are_spanish_when_the_output_is() {
    wm().args(["verify", "--lang", "es"])
        .assert()
        .code(2)
        .stderr(
            contains("faltan los siguientes argumentos obligatorios")
                .and(contains("--state <DIR>"))
                .and(contains("Uso: watermark verify"))
                .and(contains("Para más información")),
        );
    wm().args(["verify", "--stat", "st", "x"])
        .env("LANG", "es_MX.UTF-8")
        .assert()
        .code(2)
        .stderr(contains("argumento inesperado '--stat'").and(contains("'--state'")));
    wm().args(["frobnicate"])
        .env("WATERMARK_LANG", "es")
        .assert()
        .code(2)
        .stderr(contains("subcomando no reconocido 'frobnicate'"));
    wm().args([
        "policy", "suggest", "x.csv", "--rows", "muchas", "--lang", "es",
    ])
    .assert()
    .code(2)
    .stderr(contains(
        "valor no válido 'muchas' para '--rows <N>': no es un número entero",
    ));
    wm().args(["verify", "--lang", "fr"])
        .env("LANG", "es_MX.UTF-8")
        .assert()
        .code(2)
        .stderr(contains("\"fr\" no es un idioma: indique es o en"));
    // And in English as before.
    wm().args(["verify"]).assert().code(2).stderr(contains(
        "the following required arguments were not provided",
    ));
    wm().args(["--version", "--lang", "es"])
        .assert()
        .success()
        .stdout(contains("watermark "));
}

/// `watermark man --lang es` writes the pages from the Spanish help.
#[test]
fn man_pages_are_spanish_when_the_output_is() {
    let out = wm().args(["man", "--lang", "es"]).assert().success();
    let page = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    for words in [
        ".SH NOMBRE",
        ".SH SINOPSIS",
        ".SH OPCIONES",
        "Estado de salida",
        "Muestra la ayuda",
    ] {
        assert!(page.contains(words), "{words}: {page:.600}");
    }
    assert!(
        !page.contains("Exit status") && !page.contains(".SH NAME"),
        "{page:.600}"
    );
    let dir = tempfile::tempdir().unwrap();
    wm().args(["man", "--dir"])
        .arg(dir.path())
        .env("LANG", "es_MX.UTF-8")
        .assert()
        .success()
        .stderr(contains("páginas de manual"));
    let verify = std::fs::read_to_string(dir.path().join("watermark-verify.1")).unwrap();
    assert!(
        verify.contains("Quién verifica") && verify.contains("investigator"),
        "{verify:.600}"
    );
}
