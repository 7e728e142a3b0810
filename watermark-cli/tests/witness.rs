//! Witnessing with real processes on loopback: `watermark witness serve`
//! started and stopped by each test, states issuing through them, and Go's
//! own `note.Open` reading what they cosigned.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};

mod common;

use common::{init, issue, suggest, synth, wm};
use predicates::str::contains;
use watermark_app::State;
use watermark_log::tlog::AddCheckpoint;

const ORIGIN: &str = "registry.example/extracts";

/// A witness process, killed when dropped.
struct Served {
    child: Child,
    url: String,
    key: String,
    dir: PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `watermark witness init` and `trust`, then `serve` on a free loopback
/// port, read from the first line it prints.
fn witness(root: &Path, name: &str, log_key: &str) -> Served {
    let dir = root.join(name);
    wm().args(["witness", "init", "--name", name, "--dir"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(contains(name));
    wm().args(["witness", "trust", "--dir"])
        .arg(&dir)
        .arg(log_key)
        .assert()
        .success();
    let key = std::fs::read_to_string(dir.join("witness.pub"))
        .unwrap()
        .trim_end()
        .to_owned();
    let log = std::fs::File::create(root.join(format!("{name}.log"))).unwrap();
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("watermark"))
        .args(["witness", "serve", "--listen", "127.0.0.1:0", "--dir"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first
        .trim_end()
        .split_once(" listening on ")
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .1
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    Served {
        child,
        url,
        key,
        dir,
    }
}

/// A witness list for `witnesses`, at `path`.
fn witness_list(path: &Path, required: usize, witnesses: &[(&str, &str, &str)]) {
    let mut s = format!("required = {required}\n");
    for (name, url, key) in witnesses {
        s.push_str(&format!(
            "\n[[witness]]\nname = \"{name}\"\nurl = \"{url}\"\nkey = \"{key}\"\n"
        ));
    }
    std::fs::write(path, s).unwrap();
}

fn listed<'a>(w: &'a Served, name: &'a str) -> (&'a str, &'a str, &'a str) {
    (name, w.url.as_str(), w.key.as_str())
}

/// A roll, a policy and a state whose log is named `ORIGIN`.
struct Setup {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        synth(400, &root.join("roll.csv"));
        suggest(&root.join("roll.csv"), &[], &root.join("policy.toml"));
        init(&root.join("state"), Some(ORIGIN));
        Setup { _dir: dir, root }
    }

    fn p(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn log_key(&self) -> String {
        std::fs::read_to_string(self.p("state/log/verifier.key"))
            .unwrap()
            .trim_end()
            .to_owned()
    }

    fn issue(&self, state: &str, to: &[&str]) -> assert_cmd::assert::Assert {
        issue(
            &self.p(state),
            &self.p("policy.toml"),
            &self.p("roll.csv"),
            to,
            &self.p(&format!("copies-{state}")),
        )
        .assert()
    }

    fn log_size(&self, state: &str) -> u64 {
        State::open_for_audit(&self.p(state))
            .unwrap()
            .log()
            .unwrap()
            .size()
    }

    fn log_witness(&self, state: &str) -> assert_cmd::assert::Assert {
        wm().args(["log", "witness", "--state"])
            .arg(self.p(state))
            .assert()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn json(out: &assert_cmd::assert::Assert) -> serde_json::Value {
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

fn stderr(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&out.get_output().stderr).into_owned()
}

/// A plain HTTP/1.1 POST of `body` to `URL/add-checkpoint`: the status, the
/// content type and the body of the answer.
fn post(url: &str, body: &[u8]) -> (u16, String, String) {
    let host = url.strip_prefix("http://").unwrap();
    let mut s = TcpStream::connect(host).unwrap();
    write!(
        s,
        "POST /add-checkpoint HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let status = head[9..12].parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_owned)
        })
        .unwrap_or_default();
    (status, content_type, body.to_owned())
}

/// An add-checkpoint body for the state's checkpoint of `size` entries.
fn request(state: &Path, old: u64, size: u64) -> Vec<u8> {
    let log = State::open_for_audit(state).unwrap().log().unwrap();
    let proof = if old <= size && size == log.size() {
        log.consistency(log.checkpoint_at(old).unwrap())
            .unwrap()
            .proof
    } else {
        Vec::new()
    };
    AddCheckpoint {
        old_size: old,
        proof,
        checkpoint: log.checkpoint_at(size).unwrap().to_owned(),
    }
    .to_body()
    .into_bytes()
}

#[test]
fn two_witnesses_cosign_what_is_issued_and_verifiers_count_them() {
    let s = Setup::new();
    let (a, b) = (
        witness(&s.root, "witness-a.example", &s.log_key()),
        witness(&s.root, "witness-b.example", &s.log_key()),
    );
    // The list outside the state, given by the environment.
    witness_list(
        &s.p("witnesses.toml"),
        2,
        &[
            listed(&a, "witness-a.example"),
            listed(&b, "witness-b.example"),
        ],
    );
    let out = issue(
        &s.p("state"),
        &s.p("policy.toml"),
        &s.p("roll.csv"),
        &["PAN", "PRI"],
        &s.p("copies"),
    )
    .env("WATERMARK_WITNESSES", s.p("witnesses.toml"))
    .arg("--json")
    .assert()
    .success();
    assert!(
        stderr(&out).contains("2 witnesses cosigned the checkpoint of 2 entries"),
        "{}",
        stderr(&out)
    );
    let report = json(&out);
    let checkpoint = report["log"]["checkpoint"].as_str().unwrap();
    assert_eq!(checkpoint.matches("\u{2014} witness-a.example ").count(), 2);
    assert_eq!(checkpoint.matches("\u{2014} witness-b.example ").count(), 2);
    assert_eq!(
        std::fs::read_to_string(s.p("state/log/cosigned")).unwrap(),
        checkpoint
    );
    // Each receipt carries both cosignatures, and verifies with them.
    for id in ["PAN", "PRI"] {
        let receipt = s.p(&format!("copies/{id}.receipt"));
        let text = std::fs::read_to_string(&receipt).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["checkpoint"].as_str().unwrap(), checkpoint);
        wm().args(["log", "verify-receipt", "--pubkey", &s.log_key()])
            .arg(&receipt)
            .args(["--witness-key", &a.key, "--witness-key", &b.key])
            .arg("--copy")
            .arg(s.p(&format!("copies/{id}.csv")))
            .assert()
            .success()
            .stdout(contains("2 of the 2 required cosigned it"));
    }
    // log verify: two of two; a third, unknown witness cannot make three.
    let pub_a = a.dir.join("witness.pub");
    let ok = wm()
        .args(["log", "verify", "--json", "--state"])
        .arg(s.p("state"))
        .arg("--witness-key")
        .arg(&pub_a)
        .args(["--witness-key", &b.key, "--require", "2"])
        .assert()
        .success();
    let doc = json(&ok);
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["witnesses"]["valid"], 2);
    let stranger = tempfile::tempdir().unwrap();
    let c = wm()
        .args([
            "witness",
            "init",
            "--json",
            "--name",
            "witness-c.example",
            "--dir",
        ])
        .arg(stranger.path())
        .assert()
        .success();
    let c_key = json(&c)["verifier_key"].as_str().unwrap().to_owned();
    let three = |require: &str| {
        wm().args(["log", "verify", "--state"])
            .arg(s.p("state"))
            .args(["--witness-key", &a.key, "--witness-key", &b.key])
            .args(["--witness-key", &c_key, "--require", require])
            .assert()
    };
    three("2").success();
    let failed = three("3").code(5);
    assert!(
        stderr(&failed).contains("only 2 of the 3 required witnesses cosigned it"),
        "{}",
        stderr(&failed)
    );
    wm().args(["log", "verify", "--state"])
        .arg(s.p("state"))
        .args(["--witness-key", &c_key])
        .assert()
        .code(5);
    // The log's own key is no witness.
    wm().args(["log", "verify", "--state"])
        .arg(s.p("state"))
        .args(["--witness-key", &s.log_key()])
        .assert()
        .code(1)
        .stderr(contains("a log cannot witness itself"));

    // A verification is witnessed too, and its report carries the cosignatures.
    let copy = std::fs::read_to_string(s.p("copies/PRI.csv")).unwrap();
    let leak: String = copy.lines().take(120).map(|l| format!("{l}\n")).collect();
    std::fs::write(s.p("leak.csv"), leak).unwrap();
    wm().args(["verify", "--state"])
        .arg(s.p("state"))
        .arg(s.p("leak.csv"))
        .arg("--report")
        .arg(s.p("report.html"))
        .env("WATERMARK_WITNESSES", s.p("witnesses.toml"))
        .assert()
        .success();
    let report_verify = |keys: &[&str], require: &str| {
        let mut c = wm();
        c.args(["report", "verify", "--pubkey", &s.log_key()])
            .arg(s.p("report.html"));
        for k in keys {
            c.args(["--witness-key", k]);
        }
        c.args(["--require", require]).assert()
    };
    report_verify(&[&a.key, &b.key], "2")
        .success()
        .stdout(contains("2 of the 2 required cosigned it"));
    report_verify(&[&a.key, &b.key, &c_key], "3").code(5);
    // And the log's latest checkpoint, after the verification, is cosigned.
    assert_eq!(s.log_size("state"), 3);
    wm().args(["log", "verify", "--state"])
        .arg(s.p("state"))
        .args(["--witness-key", &a.key, "--witness-key", &b.key])
        .assert()
        .success();
}

#[test]
fn witnesses_refuse_a_forked_log_and_a_rollback() {
    let s = Setup::new();
    // One entry, then two copies of the state that go their own ways under
    // one log key.
    s.issue("state", &["PAN"]).success();
    copy_dir(&s.p("state"), &s.p("fork"));
    s.issue("state", &["PRI"]).success();
    s.issue("fork", &["MORENA"]).success();
    assert_eq!((s.log_size("state"), s.log_size("fork")), (2, 2));

    let (a, b) = (
        witness(&s.root, "witness-a.example", &s.log_key()),
        witness(&s.root, "witness-b.example", &s.log_key()),
    );
    let list = [
        listed(&a, "witness-a.example"),
        listed(&b, "witness-b.example"),
    ];
    witness_list(&s.p("state/witnesses.toml"), 2, &list);
    witness_list(&s.p("fork/witnesses.toml"), 2, &list);
    s.log_witness("state")
        .success()
        .stdout(contains("2 of 2 witnesses cosigned it"));

    // The fork, at the same size: each witness refuses it.
    let out = s.log_witness("fork").code(4);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert_eq!(text.matches("this log is forked").count(), 2, "{text}");
    assert!(
        stderr(&out).contains("is forked from what its witness"),
        "{}",
        stderr(&out)
    );
    assert!(!s.p("fork/log/cosigned").exists());
    // The same round in Spanish: each witness's answer and the count.
    for (state, code, says) in [
        ("state", 0, "2 de 2 testigos lo cofirmaron"),
        ("fork", 4, "se bifurcó"),
    ] {
        let out = wm()
            .args(["log", "witness", "--lang", "es", "--state"])
            .arg(s.p(state))
            .assert()
            .code(code);
        let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        assert!(text.contains(says), "{text}");
        let found = watermark_app::messages::english_in(&text, 3);
        assert!(
            found.is_empty(),
            "English in log witness: {found:?}\n{text}"
        );
    }
    // It may not issue: no entry, no copy.
    s.issue("fork", &["PT"]).code(4);
    assert_eq!(s.log_size("fork"), 2);
    assert!(!s.p("copies-fork/PT.csv").exists());

    // The protocol's answers, over plain HTTP.
    for w in [&a, &b] {
        // The fork's checkpoint of 2: a conflict naming the size held.
        let (status, ctype, body) = post(&w.url, &request(&s.p("fork"), 2, 2));
        assert_eq!(
            (status, ctype.as_str(), body.as_str()),
            (409, "text/x.tlog.size", "2\n")
        );
        // Rollbacks: the checkpoint of 1, from the size held or from its own.
        let (status, _, _) = post(&w.url, &request(&s.p("state"), 2, 1));
        assert_eq!(status, 400);
        let (status, ctype, body) = post(&w.url, &request(&s.p("state"), 1, 1));
        assert_eq!(
            (status, ctype.as_str(), body.as_str()),
            (409, "text/x.tlog.size", "2\n")
        );
        // Garbage: a body that is not a request, a checkpoint that is no note.
        assert_eq!(post(&w.url, b"hello").0, 400);
        let no_note = format!("old 2\n\n{ORIGIN}\n2\nno signature\n");
        assert_eq!(post(&w.url, no_note.as_bytes()).0, 400);
    }
    let other = tempfile::tempdir().unwrap();
    init(&other.path().join("s"), Some("other.example/log"));
    assert_eq!(post(&a.url, &request(&other.path().join("s"), 0, 0)).0, 404);

    // The fork grows without witnesses: its proof from the size the witnesses
    // hold cannot lead from their root (422), and it is refused as a fork.
    std::fs::remove_file(s.p("fork/witnesses.toml")).unwrap();
    s.issue("fork", &["PT"]).success();
    let out = wm()
        .args(["log", "witness", "--json", "--state"])
        .arg(s.p("fork"))
        .arg("--witnesses")
        .arg(s.p("state/witnesses.toml"))
        .assert()
        .code(4);
    let doc = json(&out);
    for w in doc["witnesses"].as_array().unwrap() {
        assert_eq!(w["result"], "forked", "{w}");
        assert_eq!(w["witness_size"], 2);
    }
    // The witnesses still hold the log they saw, and cosign its growth.
    s.issue("state", &["PT"]).success();
    assert_eq!(s.log_size("state"), 3);
    wm().args(["log", "verify", "--state"])
        .arg(s.p("state"))
        .args(["--witness-key", &a.key, "--witness-key", &b.key])
        .assert()
        .success();
}

#[test]
fn a_state_restored_from_a_backup_refuses_to_issue_until_it_has_caught_up() {
    let s = Setup::new();
    let (a, b) = (
        witness(&s.root, "witness-a.example", &s.log_key()),
        witness(&s.root, "witness-b.example", &s.log_key()),
    );
    witness_list(
        &s.p("state/witnesses.toml"),
        2,
        &[
            listed(&a, "witness-a.example"),
            listed(&b, "witness-b.example"),
        ],
    );
    s.issue("state", &["PAN"]).success();
    copy_dir(&s.p("state"), &s.p("backup"));
    s.issue("state", &["PRI", "MORENA"]).success();
    assert_eq!(s.log_size("state"), 3);

    // The backup is put back.
    std::fs::rename(s.p("state"), s.p("newer")).unwrap();
    copy_dir(&s.p("backup"), &s.p("state"));
    let out = s.issue("state", &["PT"]).code(4);
    let err = stderr(&out);
    for needed in [
        "the state is behind its witness witness-a.example",
        "a checkpoint of 3 entries",
        "holds only 1",
        "restored from an older backup",
        "restore the latest log",
    ] {
        assert!(err.contains(needed), "{needed:?} not in {err}");
    }
    // Nothing was issued: no entry, no copy, no slot given twice.
    assert_eq!(s.log_size("state"), 1);
    assert!(!s.p("copies-state/PT.csv").exists());
    let shown = wm()
        .args(["log", "show", "--json", "--state"])
        .arg(s.p("state"))
        .assert()
        .success();
    assert_eq!(json(&shown)["entries"].as_array().unwrap().len(), 1);
    // `log witness` says the same.
    s.log_witness("state").code(4);
    // So does `verify`: a leak of a copy the backup forgot is not read
    // against it, and nothing is appended to fork the log.
    let out = wm()
        .args(["verify", "--state"])
        .arg(s.p("state"))
        .arg(s.p("copies-state/MORENA.csv"))
        .assert()
        .code(4);
    assert!(
        stderr(&out).contains("behind its witness"),
        "{}",
        stderr(&out)
    );
    assert_eq!(s.log_size("state"), 1);

    // The newer log is restored: issuing goes on, with the next free slot.
    std::fs::remove_dir_all(s.p("state/log")).unwrap();
    copy_dir(&s.p("newer/log"), &s.p("state/log"));
    let out = wm()
        .args(["issue", "--json", "--state"])
        .arg(s.p("state"))
        .arg("--policy")
        .arg(s.p("policy.toml"))
        .arg(s.p("roll.csv"))
        .args(["--to", "PT", "--out-dir"])
        .arg(s.p("copies-state"))
        .assert()
        .success();
    assert_eq!(json(&out)["copies"][0]["slot"], 3);
    assert_eq!(s.log_size("state"), 4);
    wm().args(["log", "verify", "--state"])
        .arg(s.p("state"))
        .args(["--witness-key", &a.key, "--witness-key", &b.key])
        .assert()
        .success();
}

#[test]
fn issuing_needs_enough_witnesses_before_and_only_warns_after() {
    let s = Setup::new();
    let a = witness(&s.root, "witness-a.example", &s.log_key());
    // A port nothing listens on.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let b_key = json(
        &wm()
            .args([
                "witness",
                "init",
                "--json",
                "--name",
                "witness-b.example",
                "--dir",
            ])
            .arg(s.p("b"))
            .assert()
            .success(),
    )["verifier_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = s.p("state/witnesses.toml");
    witness_list(
        &list,
        2,
        &[
            listed(&a, "witness-a.example"),
            ("witness-b.example", &closed, &b_key),
        ],
    );
    // Before issuing: one of two required cannot vouch for the state.
    let out = s.issue("state", &["PAN"]).code(5);
    assert!(
        stderr(&out).contains("nothing was issued"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("witness-b.example: not reached"),
        "{}",
        stderr(&out)
    );
    assert_eq!(s.log_size("state"), 0);
    assert!(!s.p("copies-state/PAN.csv").exists());

    // Witness a is reached once, then no more: the copies are issued, with a
    // warning, and their receipts carry no cosignature yet.
    let relay = OneExchange::start(&a.url);
    witness_list(&list, 1, &[("witness-a.example", &relay.url, &a.key)]);
    let out = s.issue("state", &["PAN"]).success();
    let err = stderr(&out);
    assert!(
        err.contains("warning: the copies are issued and logged (their entries are signed)"),
        "{err}"
    );
    assert!(err.contains("watermark log witness --state"), "{err}");
    assert_eq!(s.log_size("state"), 1);
    let receipt = std::fs::read_to_string(s.p("copies-state/PAN.receipt")).unwrap();
    assert!(!receipt.contains("witness-a.example"));
    wm().args(["log", "verify", "--state"])
        .arg(s.p("state"))
        .args(["--witness-key", &a.key])
        .assert()
        .code(5)
        .stderr(contains(
            "the latest checkpoint, of 1 entries, is not cosigned",
        ));
    // `log witness` catches up once the witness is reached.
    witness_list(&list, 1, &[listed(&a, "witness-a.example")]);
    s.log_witness("state").success();
    wm().args(["log", "verify", "--state"])
        .arg(s.p("state"))
        .args(["--witness-key", &a.key])
        .assert()
        .success();

    // A witnessed state without its list does not issue unwitnessed.
    std::fs::remove_file(&list).unwrap();
    s.issue("state", &["PRI"])
        .code(1)
        .stderr(contains("no witness list was found"));
    assert_eq!(s.log_size("state"), 1);
}

/// A relay to a witness that carries one HTTP exchange, closes, and drops
/// every later connection: the witness is reached once and then no more.
struct OneExchange {
    url: String,
}

impl OneExchange {
    fn start(upstream: &str) -> OneExchange {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.strip_prefix("http://").unwrap().to_owned();
        std::thread::spawn(move || {
            let Ok((mut client, _)) = listener.accept() else {
                return;
            };
            let mut server = TcpStream::connect(&upstream).unwrap();
            let mut to_server = server.try_clone().unwrap();
            let mut from_client = client.try_clone().unwrap();
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut from_client, &mut to_server);
            });
            // One answer: its head, then as many bytes as it says.
            let mut answer = Vec::new();
            let mut buf = [0u8; 4096];
            let length = loop {
                let n = server.read(&mut buf).unwrap();
                assert!(n > 0, "the witness closed the connection");
                answer.extend_from_slice(&buf[..n]);
                if let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&answer[..end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length: "))
                        .unwrap()
                        .trim()
                        .parse()
                        .unwrap();
                    break end + 4 + len;
                }
            };
            while answer.len() < length {
                let n = server.read(&mut buf).unwrap();
                assert!(n > 0, "the witness closed the connection");
                answer.extend_from_slice(&buf[..n]);
            }
            client.write_all(&answer).unwrap();
            let _ = client.shutdown(std::net::Shutdown::Both);
            let _ = server.shutdown(std::net::Shutdown::Both);
            // Every later connection is dropped at once.
            for c in listener.incoming() {
                drop(c);
            }
        });
        OneExchange { url }
    }
}

#[test]
fn go_note_open_verifies_the_log_and_both_witnesses() {
    let go = std::env::var_os("GO").map_or_else(|| PathBuf::from("go"), PathBuf::from);
    let found = StdCommand::new(&go)
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    let note_src = Path::new("/usr/share/gocode/src/golang.org/x/mod/sumdb/note/note.go");
    if !found || !note_src.is_file() {
        let why = "Go or golang.org/x/mod is not installed (Debian's golang-go and \
                   golang-golang-x-mod-dev packages)";
        // CI installs them (.ci/run): there, a missing Go is a failure.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI is set and {why}"
        );
        #[allow(clippy::print_stderr)]
        {
            eprintln!("skipping the Go interop test: {why}");
        }
        return;
    }
    let s = Setup::new();
    let (a, b) = (
        witness(&s.root, "witness-a.example", &s.log_key()),
        witness(&s.root, "witness-b.example", &s.log_key()),
    );
    witness_list(
        &s.p("state/witnesses.toml"),
        2,
        &[
            listed(&a, "witness-a.example"),
            listed(&b, "witness-b.example"),
        ],
    );
    s.issue("state", &["PAN", "PRI"]).success();
    let receipt: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.p("copies-state/PRI.receipt")).unwrap())
            .unwrap();
    let cosigned = s.p("cosigned.note");
    std::fs::write(&cosigned, receipt["checkpoint"].as_str().unwrap()).unwrap();

    let program = tempfile::tempdir().unwrap();
    std::fs::write(program.path().join("main.go"), GO_OPEN).unwrap();
    let run = |keys: &[&str]| {
        let out = StdCommand::new(&go)
            .args(["run", "main.go"])
            .arg(&cosigned)
            .args(keys)
            .current_dir(program.path())
            .env("GO111MODULE", "off")
            .env("GOPATH", "/usr/share/gocode")
            .env("GOCACHE", program.path().join("cache"))
            .env("GOFLAGS", "")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let log_key = s.log_key();
    let (ok, stdout, stderr) = run(&[&log_key, &a.key, &b.key]);
    assert!(ok, "go: {stderr}");
    let verified: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("verified "))
        .collect();
    let id = |k: &str| k.split('+').nth(1).unwrap().to_owned();
    assert_eq!(
        verified,
        [
            format!("{ORIGIN} {}", id(&log_key)),
            format!("witness-a.example {}", id(&a.key)),
            format!("witness-b.example {}", id(&b.key)),
        ],
        "{stdout}"
    );
    // Go checks, not trusts: a changed root fails its note.Open.
    let text = std::fs::read_to_string(&cosigned).unwrap();
    let mut lines: Vec<&str> = text.split('\n').collect();
    let root = lines[2].to_owned();
    let changed = format!(
        "{}{}",
        if root.starts_with('A') { "B" } else { "A" },
        &root[1..]
    );
    lines[2] = &changed;
    std::fs::write(&cosigned, lines.join("\n")).unwrap();
    let (ok, _, stderr) = run(&[&a.key]);
    assert!(!ok, "Go accepted a changed checkpoint");
    assert!(stderr.contains("invalid signature"), "{stderr}");
}

/// Opens a note with Go's golang.org/x/mod/sumdb/note, given the verifier
/// keys, and prints the signatures it verified.
const GO_OPEN: &str = r#"package main

import (
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/note"
)

func main() {
	msg, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var verifiers []note.Verifier
	for _, key := range os.Args[2:] {
		v, err := note.NewVerifier(key)
		if err != nil {
			fmt.Fprintln(os.Stderr, "verifier:", err)
			os.Exit(2)
		}
		verifiers = append(verifiers, v)
	}
	n, err := note.Open(msg, note.VerifierList(verifiers...))
	if err != nil {
		fmt.Fprintln(os.Stderr, "note.Open:", err)
		os.Exit(1)
	}
	for _, s := range n.Sigs {
		fmt.Printf("verified %s %08x\n", s.Name, s.Hash)
	}
	for _, s := range n.UnverifiedSigs {
		fmt.Printf("unverified %s %08x\n", s.Name, s.Hash)
	}
}
"#;

#[test]
fn witness_commands_say_what_is_wrong() {
    let s = Setup::new();
    let w = s.p("w");
    let out = wm()
        .args([
            "witness",
            "init",
            "--json",
            "--name",
            "witness.example/w1",
            "--dir",
        ])
        .arg(&w)
        .assert()
        .success();
    let doc = json(&out);
    assert_eq!(doc["name"], "witness.example/w1");
    let vkey = doc["verifier_key"].as_str().unwrap();
    assert!(vkey.starts_with("witness.example/w1+"), "{vkey}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(w.join("witness.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The signing key is never printed.
    let skey = std::fs::read_to_string(w.join("witness.key")).unwrap();
    let secret = skey.trim_end().splitn(5, '+').nth(4).unwrap().to_owned();
    assert!(!String::from_utf8_lossy(&out.get_output().stdout).contains(&secret));
    wm().args(["witness", "init", "--name", "other", "--dir"])
        .arg(&w)
        .assert()
        .code(1)
        .stderr(contains("refusing to replace its key"));
    wm().args(["witness", "init", "--name", "two words", "--dir"])
        .arg(s.p("w2"))
        .assert()
        .code(1)
        .stderr(contains("whitespace"));
    wm().args(["witness", "trust", "--dir"])
        .arg(&w)
        .arg("not-a-key")
        .assert()
        .code(1)
        .stderr(contains(
            "LOG_VERIFIER_KEY \"not-a-key\" is neither a verifier key",
        ));
    wm().args(["witness", "trust", "--dir"])
        .arg(&w)
        .arg(s.p("state/log/verifier.key"))
        .assert()
        .success()
        .stdout(contains(format!("now witnesses log {ORIGIN}")));
    wm().args(["witness", "trust", "--dir"])
        .arg(&w)
        .arg(s.log_key())
        .assert()
        .success()
        .stdout(contains("already witnessed"));
    wm().args(["witness", "serve", "--listen", "127.0.0.1:0", "--dir"])
        .arg(s.p("nowhere"))
        .assert()
        .code(1)
        .stderr(contains("is not a witness directory"));
    wm().args(["log", "verify", "--require", "2", "--state"])
        .arg(s.p("state"))
        .assert()
        .code(2);
    wm().args(["log", "verify", "--state"])
        .arg(s.p("state"))
        .args(["--witness-key", vkey, "--require", "2"])
        .assert()
        .code(1)
        .stderr(contains("--require 2 must be between 1 and the 1 distinct"));
    wm().args(["log", "witness", "--state"])
        .arg(s.p("state"))
        .assert()
        .code(1)
        .stderr(contains("has no witness list"));
    std::fs::write(s.p("state/witnesses.toml"), "required = 1\n").unwrap();
    s.issue("state", &["PAN"])
        .code(1)
        .stderr(contains("lists no witness"));
    assert_eq!(s.log_size("state"), 0);
}

/// A witness's private key given where a verifier key belongs, on the
/// command line, in a file, or in a state's witness list, is refused
/// without being printed; on the command line or in the list it is called
/// exposed.
#[test]
fn regression_a_private_key_given_as_a_witness_key_is_never_printed() {
    let s = Setup::new();
    let w = s.p("w");
    wm().args(["witness", "init", "--name", "w1.example", "--dir"])
        .arg(&w)
        .assert()
        .success();
    let skey_file = w.join("witness.key");
    let skey = std::fs::read_to_string(&skey_file).unwrap();
    let skey = skey.trim_end().to_owned();
    let secret = skey.trim_end().splitn(5, '+').nth(4).unwrap().to_owned();
    let refused = |out: assert_cmd::assert::Assert, exposed: bool| {
        let err = stderr(&out.code(1));
        assert!(!err.contains(&secret), "the secret is printed: {err}");
        assert!(err.contains("private"), "{err}");
        assert_eq!(err.contains("exposed"), exposed, "{err}");
    };
    refused(
        wm().args(["witness", "trust", "--dir"])
            .arg(&w)
            .arg(&skey)
            .assert(),
        true,
    );
    refused(
        wm().args(["log", "verify", "--state"])
            .arg(s.p("state"))
            .args(["--witness-key", &skey])
            .assert(),
        true,
    );
    // The key file itself: not printed, and not exposed by this.
    refused(
        wm().args(["log", "verify", "--state"])
            .arg(s.p("state"))
            .arg("--witness-key")
            .arg(&skey_file)
            .assert(),
        false,
    );
    // Any other malformed key given on the command line is not echoed
    // either (a file name that does not exist is).
    let out = wm()
        .args(["log", "verify", "--state"])
        .arg(s.p("state"))
        .args(["--witness-key", &format!("w1.example+0000000+{secret}")])
        .assert()
        .code(1);
    let err = stderr(&out);
    assert!(!err.contains(&secret), "{err}");
    assert!(err.contains("is not a verifier key"), "{err}");
    witness_list(
        &s.p("state/witnesses.toml"),
        1,
        &[("w1.example", "http://127.0.0.1:9", &skey)],
    );
    refused(s.issue("state", &["PAN"]), true);
    assert_eq!(s.log_size("state"), 0);
}
