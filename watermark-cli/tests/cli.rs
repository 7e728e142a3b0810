//! The `watermark` command as users and scripts drive it: exit codes, stdout,
//! stderr, and the files it leaves behind.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;

fn wm() -> Command {
    let mut c = Command::cargo_bin("watermark").unwrap();
    c.env_remove("WATERMARK_STATE");
    c
}

/// A state with a 3,000-row roll issued to two parties.
struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        wm().args(["synth", "--rows", "3000", "--seed", "5", "-o"])
            .arg(root.join("roll.csv"))
            .assert()
            .success();
        wm().args(["policy", "suggest"])
            .arg(root.join("roll.csv"))
            .arg("-o")
            .arg(root.join("policy.toml"))
            .assert()
            .success();
        wm().arg("init")
            .arg("--state")
            .arg(root.join("state"))
            .assert()
            .success();
        Fixture { _dir: dir, root }
    }

    fn p(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn issue(&self, input: &Path, to: &[&str]) -> assert_cmd::assert::Assert {
        let mut c = wm();
        c.arg("issue")
            .arg("--state")
            .arg(self.p("state"))
            .arg("--policy")
            .arg(self.p("policy.toml"))
            .arg(input)
            .arg("--out-dir")
            .arg(self.p("copies"));
        for t in to {
            c.args(["--to", t]);
        }
        c.assert()
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
    for sub in ["init", "issue", "verify", "demo", "synth"] {
        wm().args([sub, "--help"])
            .assert()
            .success()
            .stdout(contains("Usage: watermark"));
    }
    wm().args(["policy", "suggest", "--help"])
        .assert()
        .success();
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
    assert_eq!(names, ["MORENA.csv", "PAN.csv", "PRI.csv"]);
    leak_of(&f.p("copies/PRI.csv"), &f.p("leak.csv"));

    let out = wm()
        .arg("verify")
        .arg("--state")
        .arg(f.p("state"))
        .arg(f.p("leak.csv"))
        .arg("--json")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
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

    // The issuance record names every copy and no personal data.
    let record = std::fs::read_to_string(f.p("state/issuance.jsonl")).unwrap();
    assert_eq!(record.lines().count(), 3);
    let roll = std::fs::read_to_string(f.p("roll.csv")).unwrap();
    let curp = roll.lines().nth(1).unwrap().split(',').nth(1).unwrap();
    assert!(!record.contains(curp));
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

    // Nothing was recorded for any failed issuance.
    assert_eq!(
        std::fs::read_to_string(f.p("state/issuance.jsonl")).unwrap(),
        ""
    );

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
    std::fs::copy(f.p("state/issuance.jsonl"), f.p("other/issuance.jsonl")).unwrap();
    wm().arg("verify")
        .arg("--state")
        .arg(f.p("other"))
        .arg(f.p("copies/A.csv"))
        .assert()
        .code(1)
        .stderr(contains("issued under key"));
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
