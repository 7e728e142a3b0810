//! Shared by the CLI's test binaries: the command, and the steps that make
//! a working directory (a synthetic roll, a policy, a state).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// `watermark`, without a `WATERMARK_STATE` or `WATERMARK_WITNESSES` from
/// the environment.
pub fn wm() -> Command {
    let mut c = Command::cargo_bin("watermark").unwrap();
    c.env_remove("WATERMARK_STATE");
    c.env_remove("WATERMARK_WITNESSES");
    // Verifications are logged under a name given or configured.
    c.env("WATERMARK_INVESTIGATOR", "fiscalia-pruebas");
    // English, whatever the locale of whoever runs the tests.
    c.env_remove("WATERMARK_LANG");
    c.env_remove("LC_ALL");
    c.env_remove("LC_MESSAGES");
    c.env("LANG", "C");
    c
}

/// `watermark synth --rows ROWS --seed 5 -o OUT`.
pub fn synth(rows: usize, out: &Path) {
    wm().args(["synth", "--rows", &rows.to_string(), "--seed", "5", "-o"])
        .arg(out)
        .assert()
        .success();
}

/// `watermark policy suggest INPUT [EXTRA...] -o OUT`.
pub fn suggest(input: &Path, extra: &[&str], out: &Path) {
    wm().args(["policy", "suggest"])
        .arg(input)
        .args(extra)
        .arg("-o")
        .arg(out)
        .assert()
        .success();
}

/// `watermark issue --state STATE --policy POLICY INPUT --out-dir OUT
/// --to ID...`, to add flags to and run.
pub fn issue(state: &Path, policy: &Path, input: &Path, to: &[&str], out_dir: &Path) -> Command {
    let mut c = wm();
    c.arg("issue")
        .arg("--state")
        .arg(state)
        .arg("--policy")
        .arg(policy)
        .arg(input)
        .arg("--out-dir")
        .arg(out_dir);
    for t in to {
        c.args(["--to", t]);
    }
    c
}

/// `watermark init [--log-origin ORIGIN] --state STATE`.
pub fn init(state: &Path, log_origin: Option<&str>) {
    let mut c = wm();
    c.arg("init");
    if let Some(origin) = log_origin {
        c.args(["--log-origin", origin]);
    }
    c.arg("--state").arg(state).assert().success();
}

/// A directory with a synthetic roll (`roll.csv`) and a state (`state`).
pub struct Setup {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl Setup {
    /// A roll of `rows` rows and a new state, in a new temporary directory.
    pub fn new(rows: usize) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        synth(rows, &root.join("roll.csv"));
        init(&root.join("state"), None);
        Setup { _dir: dir, root }
    }

    /// A path in the directory.
    pub fn p(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }
}
