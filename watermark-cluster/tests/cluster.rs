//! Issuing and verifying on a Ballista cluster started here on loopback: a
//! scheduler and two executors, as separate processes of this crate's
//! binaries, driven by the `watermark` command line.
//!
//! - an extract split into 8 Parquet files, issued on the cluster to three
//!   recipients, gives copies that hold, file by file and row by row, the
//!   cells of the copies this machine makes of the same files;
//! - a leak verified on the cluster gives the report (accused, scores,
//!   bounds, positions read) this machine gives, and that one Parquet file
//!   of the same rows gives;
//! - an executor killed in the middle of an issuance: the other finishes
//!   the job and the copies are the same bytes; a job that fails logs
//!   nothing and leaves no copy;
//! - no byte of the master key is in the processes' logs, the plans, or
//!   what crosses the network to and from the scheduler.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use watermark_core::RowSource;
use watermark_formats::{csv_to_parquet, ColumnarRows, ConvertOptions};

/// A process this test started, killed when dropped.
struct Proc {
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A free port on loopback.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A binary of the workspace: this crate's, or the command line's (built
/// by `cargo test --workspace`, or here if this crate is tested alone).
fn binary(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_BIN_EXE_watermark-executor"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = dir.join(name);
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--offline", "-p", "watermark-cli", "--bin", name])
            .status()
            .unwrap();
        assert!(status.success(), "building {name}");
    }
    path
}

fn wm() -> Command {
    let mut c = Command::new(binary("watermark"));
    c.env_remove("WATERMARK_STATE")
        .env_remove("WATERMARK_WITNESSES")
        .env_remove("WATERMARK_LANG")
        .env("WATERMARK_INVESTIGATOR", "fiscalia-pruebas")
        .env("LANG", "C");
    c
}

/// Runs `watermark ARGS`; its standard output, and whether it succeeded.
fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> (bool, String, String) {
    let out = wm().args(args.iter().map(|a| a.as_ref())).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(args: &[&dyn AsRef<std::ffi::OsStr>]) -> String {
    let (success, stdout, stderr) = run(args);
    assert!(success, "watermark failed: {stderr}");
    stdout
}

/// A TCP relay from a local port to `to`, keeping every byte that crosses
/// it, both ways.
struct Relay {
    port: u16,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl Relay {
    fn start(to: u16) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&seen);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(("127.0.0.1", to)) else {
                    continue;
                };
                for (mut from, mut into) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let kept = Arc::clone(&kept);
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 1 << 16];
                        loop {
                            match from.read(&mut buf) {
                                Ok(0) | Err(_) => {
                                    let _ = into.shutdown(std::net::Shutdown::Write);
                                    return;
                                }
                                Ok(n) => {
                                    kept.lock().unwrap().extend_from_slice(&buf[..n]);
                                    if into.write_all(&buf[..n]).is_err() {
                                        return;
                                    }
                                }
                            }
                        }
                    });
                }
            }
        });
        Relay { port, seen }
    }

    fn bytes(&self) -> Vec<u8> {
        self.seen.lock().unwrap().clone()
    }
}

/// A scheduler and its executors on loopback.
struct Cluster {
    dir: PathBuf,
    scheduler_port: u16,
    /// What clients and executors connect to: a relay to the scheduler.
    relay: Relay,
    scheduler: Proc,
    executors: Vec<Proc>,
}

impl Cluster {
    fn start(dir: &Path, key_file: &Path, executors: usize) -> Cluster {
        fs::create_dir_all(dir).unwrap();
        let scheduler_port = free_port();
        let log = dir.join("scheduler.log");
        let child = Command::new(env!("CARGO_BIN_EXE_watermark-scheduler"))
            .args(["--bind", "127.0.0.1", "--port", &scheduler_port.to_string()])
            .args(["--executor-timeout", "3"])
            .env("RUST_LOG", "debug")
            .stdout(File::create(dir.join("scheduler.out")).unwrap())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let scheduler = Proc { child, log };
        wait_for("the scheduler", Duration::from_secs(60), || {
            TcpStream::connect(("127.0.0.1", scheduler_port)).is_ok()
        });
        let relay = Relay::start(scheduler_port);
        let mut cluster = Cluster {
            dir: dir.to_path_buf(),
            scheduler_port,
            relay,
            scheduler,
            executors: Vec::new(),
        };
        for i in 0..executors {
            cluster.add_executor(i, key_file);
        }
        wait_for("the executors", Duration::from_secs(60), || {
            cluster
                .executors
                .iter()
                .all(|e| e.log().contains("Starting poll work loop"))
        });
        // Registered at their first poll.
        std::thread::sleep(Duration::from_secs(2));
        cluster
    }

    fn add_executor(&mut self, i: usize, key_file: &Path) {
        let log = self.dir.join(format!("executor-{i}.log"));
        let work = self.dir.join(format!("work-{i}"));
        fs::create_dir_all(&work).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_watermark-executor"))
            .arg("--key-file")
            .arg(key_file)
            .args(["--scheduler", &format!("127.0.0.1:{}", self.relay.port)])
            .args(["--port", &free_port().to_string()])
            .args(["--grpc-port", &free_port().to_string()])
            .args(["--concurrent-tasks", "1", "--heartbeat", "1"])
            .arg("--work-dir")
            .arg(&work)
            .env("RUST_LOG", "debug")
            .stdout(File::create(self.dir.join(format!("executor-{i}.out"))).unwrap())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .unwrap();
        self.executors.push(Proc { child, log });
    }

    fn url(&self) -> String {
        format!("df://127.0.0.1:{}", self.relay.port)
    }

    /// Every log line the processes wrote.
    fn logs(&self) -> Vec<u8> {
        let mut all = self.scheduler.log().into_bytes();
        for e in &self.executors {
            all.extend(e.log().into_bytes());
        }
        for entry in fs::read_dir(&self.dir).unwrap() {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == "out") {
                all.extend(fs::read(p).unwrap());
            }
        }
        all
    }
}

/// Writes a synthetic roll of `rows` rows as CSV and as `files` Parquet
/// files of consecutive rows.
fn split_roll(root: &Path, rows: usize, files: usize) -> (PathBuf, PathBuf) {
    let csv = root.join("roll.csv");
    ok(&[
        &"synth",
        &"--rows",
        &rows.to_string(),
        &"--seed",
        &"22",
        &"-o",
        &csv,
    ]);
    let text = fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_owned();
    let body: Vec<&str> = lines.collect();
    let dir = root.join("lake");
    fs::create_dir_all(&dir).unwrap();
    let per = body.len().div_ceil(files);
    for (i, chunk) in body.chunks(per).enumerate() {
        let mut part = header.clone();
        part.push('\n');
        for l in chunk {
            part.push_str(l);
            part.push('\n');
        }
        let out = File::create(dir.join(format!("part-{i:02}.parquet"))).unwrap();
        csv_to_parquet(part.as_bytes(), out, ConvertOptions::default()).unwrap();
    }
    (csv, dir)
}

/// A table's header and rows, every cell in its text form.
type Rendered = (Vec<String>, Vec<Vec<String>>);

/// A Parquet file's header and rows, every cell in its text form.
fn rendered(path: &Path) -> Rendered {
    let rows = ColumnarRows::parquet(File::open(path).unwrap()).unwrap();
    let header = rows.header().to_vec();
    (header, rows.into_rows().map(|r| r.unwrap()).collect())
}

/// The files of a copy directory, by name, rendered.
fn copy_files(dir: &Path) -> Vec<(String, Rendered)> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let r = rendered(&dir.join(&n));
            (n, r)
        })
        .collect()
}

fn log_size(state: &Path) -> u64 {
    let out = ok(&[&"log", &"show", &"--state", &state, &"--json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    v["size"].as_u64().unwrap()
}

/// What two verification reports must share.
fn verdict(report: &Value) -> Value {
    serde_json::json!({
        "accused": report["accused"],
        "recipients": report["recipients"],
        "positions_read": report["positions_read"],
        "rows_read": report["rows_read"],
        "canaries_found": report["canaries_found"],
        "groups": report["groups"],
    })
}

/// The master key's secret, as its file holds it (hex).
fn key_hex(state: &Path) -> String {
    let text = fs::read_to_string(state.join("master.key")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("secret:"))
        .unwrap()
        .trim()
        .to_owned()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..=c.len() {
            out.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
        }
    }
    out
}

/// Asserts that no form of the key is in `bytes`.
fn assert_no_key(what: &str, bytes: &[u8], key_hex: &str) {
    let raw: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&key_hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    assert!(!bytes.is_empty(), "{what}: nothing was captured");
    assert!(!contains(bytes, &raw), "{what} holds the key's bytes");
    // Any 12 bytes of it, too: a key cut into pieces is a key.
    for piece in raw.windows(12).step_by(4) {
        assert!(!contains(bytes, piece), "{what} holds a piece of the key");
    }
    for form in [
        key_hex.to_lowercase(),
        key_hex.to_uppercase(),
        base64(&raw),
        key_hex[..24].to_lowercase(),
    ] {
        assert!(
            !contains(bytes, form.as_bytes()),
            "{what} holds the key as text"
        );
    }
}

#[test]
fn issuing_and_verifying_on_a_cluster_match_one_machine() {
    let tmp = tempfile::tempdir().unwrap();
    let root = &tmp.path().to_path_buf();
    // WATERMARK_KEEP_TEST=1 keeps the directory (data, logs) to look at.
    let _tmp = if std::env::var_os("WATERMARK_KEEP_TEST").is_some() {
        let kept = tmp.keep();
        std::fs::write(
            std::env::temp_dir().join("watermark-kept-test"),
            kept.to_string_lossy().as_bytes(),
        )
        .unwrap();
        None
    } else {
        Some(tmp)
    };
    let (csv, lake) = split_roll(root, 24_000, 8);
    assert_eq!(fs::read_dir(&lake).unwrap().count(), 8);
    let policy = root.join("policy.toml");
    ok(&[&"policy", &"suggest", &csv, &"-o", &policy]);
    let state = root.join("state");
    ok(&[&"init", &"--state", &state]);
    // This machine's state: the same key, log and slots.
    let here = root.join("here");
    copy_dir(&state, &here);
    let key = key_hex(&state);

    let mut cluster = Cluster::start(&root.join("cluster"), &state.join("master.key"), 2);

    // 1. The cluster's copies are this machine's, file by file, row by row.
    let out_cluster = root.join("copies-cluster");
    let issued = ok(&[
        &"issue",
        &"--state",
        &state,
        &"--policy",
        &policy,
        &lake,
        &"--cluster",
        &cluster.url(),
        &"--to",
        &"PAN",
        &"--to",
        &"PRI",
        &"--to",
        &"MC",
        &"--out-dir",
        &out_cluster,
        &"--json",
    ]);
    let issued: Value = serde_json::from_str(&issued).unwrap();
    let out_here = root.join("copies-here");
    let issued_here = ok(&[
        &"issue",
        &"--state",
        &here,
        &"--policy",
        &policy,
        &lake,
        &"--to",
        &"PAN",
        &"--to",
        &"PRI",
        &"--to",
        &"MC",
        &"--out-dir",
        &out_here,
        &"--json",
    ]);
    let issued_here: Value = serde_json::from_str(&issued_here).unwrap();
    assert!(issued["canaries_made"].as_u64().unwrap() > 0, "{issued}");
    for id in ["PAN", "PRI", "MC"] {
        let cl = copy_files(&out_cluster.join(id));
        let hr = copy_files(&out_here.join(id));
        assert_eq!(cl.len(), 8, "{id}: one copy file per input file");
        for ((name_c, rows_c), (name_h, rows_h)) in cl.iter().zip(&hr) {
            assert_eq!(name_c, name_h);
            assert_eq!(rows_c, rows_h, "{id}/{name_c}: the cells differ");
        }
        let m_c = fs::read(out_cluster.join(format!("{id}.manifest"))).unwrap();
        let m_h = fs::read(out_here.join(format!("{id}.manifest"))).unwrap();
        assert_eq!(m_c, m_h, "{id}: the manifests (each file's BLAKE3) differ");
    }
    for (c, h) in issued["copies"]
        .as_array()
        .unwrap()
        .iter()
        .zip(issued_here["copies"].as_array().unwrap())
    {
        for field in [
            "recipient",
            "slot",
            "blake3",
            "bytes",
            "canaries",
            "log_index",
        ] {
            assert_eq!(c[field], h[field], "{field}");
        }
    }
    assert_eq!(issued["input_blake3"], issued_here["input_blake3"]);
    // Canary rows are in the copies, at the places of the whole extract.
    let canaries: u64 = issued["copies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["canaries"].as_u64().unwrap())
        .sum();
    assert!(canaries > 0);
    ok(&[&"log", &"verify", &"--state", &state]);

    // 2. A large leak: PRI's whole copy, on the cluster and here, and as
    // one Parquet file of the same rows.
    let leak = out_cluster.join("PRI");
    let on_cluster = ok(&[
        &"verify",
        &"--state",
        &state,
        &leak,
        &"--cluster",
        &cluster.url(),
        &"--json",
    ]);
    let on_cluster: Value = serde_json::from_str(&on_cluster).unwrap();
    let here_report = ok(&[&"verify", &"--state", &here, &leak, &"--json"]);
    let here_report: Value = serde_json::from_str(&here_report).unwrap();
    assert_eq!(on_cluster["accused"][0]["recipient"], "PRI", "{on_cluster}");
    assert_eq!(on_cluster["accused"].as_array().unwrap().len(), 1);
    assert_eq!(verdict(&on_cluster), verdict(&here_report));
    assert_eq!(on_cluster["leak"]["blake3"], here_report["leak"]["blake3"]);
    let one_file = root.join("PRI-one-file.parquet");
    concat_parquet(&leak, &one_file);
    let single = ok(&[&"verify", &"--state", &here, &one_file, &"--json"]);
    let single: Value = serde_json::from_str(&single).unwrap();
    assert_eq!(verdict(&on_cluster), verdict(&single));

    // 3. An executor killed in the middle of an issuance: the other one
    // finishes it, and the copies are the same bytes. (New recipients: a
    // copy the log already holds, byte for byte, is not logged again.)
    let before = log_size(&state);
    let out_fault = root.join("copies-fault");
    let later = ["PT", "PVEM", "MORENA"];
    let out_later = root.join("copies-later");
    ok(&[
        &"issue",
        &"--state",
        &here,
        &"--policy",
        &policy,
        &lake,
        &"--to",
        &later[0],
        &"--to",
        &later[1],
        &"--to",
        &later[2],
        &"--out-dir",
        &out_later,
    ]);
    let received = |p: &Proc| p.log().matches("Received task").count();
    let before_tasks = received(&cluster.executors[0]);
    let issue = wm()
        .args(["issue", "--state"])
        .arg(&state)
        .arg("--policy")
        .arg(&policy)
        .arg(&lake)
        .args(["--cluster", &cluster.url()])
        .args([
            "--to",
            later[0],
            "--to",
            later[1],
            "--to",
            later[2],
            "--out-dir",
        ])
        .arg(&out_fault)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("a task on executor 0", Duration::from_secs(120), || {
        received(&cluster.executors[0]) > before_tasks
    });
    cluster.executors[0].kill();
    let lost = cluster.executors[0]
        .log()
        .lines()
        .find_map(|l| l.split("Executor id: ").nth(1).map(str::to_owned))
        .expect("the executor says its id");
    let done = issue.wait_with_output().unwrap();
    assert!(
        done.status.success(),
        "the issuance did not survive an executor: {}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(
        cluster
            .scheduler
            .log()
            .lines()
            .any(|l| l.contains("expire_dead_executors: [") && l.contains(&lost)),
        "the scheduler never took executor 0 for lost"
    );
    assert_eq!(log_size(&state), before + 3, "the copies are logged once");
    for id in later {
        assert_eq!(
            fs::read(out_fault.join(format!("{id}.manifest"))).unwrap(),
            fs::read(out_later.join(format!("{id}.manifest"))).unwrap(),
            "{id}: after the fault the copy differs"
        );
        let names: Vec<String> = fs::read_dir(out_fault.join(id))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 8, "{id}: stray files {names:?}");
    }

    // A job that fails (no executor left) logs nothing and leaves no copy.
    cluster.executors[1].kill();
    let before = log_size(&state);
    let out_failed = root.join("copies-failed");
    let (success, _, stderr) = run(&[
        &"issue",
        &"--state",
        &state,
        &"--policy",
        &policy,
        &lake,
        &"--cluster",
        &cluster.url(),
        &"--to",
        &"PAN",
        &"--force",
        &"--out-dir",
        &out_failed,
    ]);
    assert!(!success, "an issuance without executors succeeded");
    assert!(
        stderr.contains("failed") || stderr.contains("executor"),
        "{stderr}"
    );
    assert_eq!(log_size(&state), before, "a failed job was logged");
    assert!(!out_failed.join("PAN").exists() && !out_failed.join("PAN.manifest").exists());
    ok(&[&"log", &"verify", &"--state", &state]);

    // 4. No byte of the key in the logs, the plans, or the scheduler's
    // traffic.
    assert_no_key("the processes' logs", &cluster.logs(), &key);
    assert_no_key("the scheduler's traffic", &cluster.relay.bytes(), &key);
    let plans = watermark_cluster_plans(&state, &lake, &policy);
    assert_no_key("the encoded plans", &plans, &key);
    let _ = cluster.scheduler_port;
}

/// The encoded physical plans of an issuance and of a tally over the lake,
/// as the client's codec writes them.
fn watermark_cluster_plans(state: &Path, lake: &Path, policy: &Path) -> Vec<u8> {
    use watermark_formats::split::{
        DetectorSpec, IssueOrder, OrderRecipient, SpecRecipient, SplitExtract,
    };
    let key = watermark_app::key_file::load(&state.join("master.key")).unwrap();
    let split = SplitExtract::open(lake).unwrap();
    let policy = watermark_core::Policy::from_toml(&fs::read_to_string(policy).unwrap()).unwrap();
    let order = IssueOrder {
        key_id: key.id().to_hex(),
        policy: policy.to_toml(),
        recipients: vec![OrderRecipient {
            id: "PAN".into(),
            slot: 0,
            out_dir: lake.join("never"),
        }],
        canaries: None,
        files: split.files().to_vec(),
        authorization: String::new(),
    };
    let spec = DetectorSpec {
        key_id: key.id().to_hex(),
        policy: policy.to_toml(),
        recipients: vec![SpecRecipient {
            id: "PAN".into(),
            slot: 0,
        }],
        canaries: Vec::new(),
        comparisons: 1,
        threshold: None,
        authorization: String::new(),
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use datafusion::prelude::SessionContext;
        use datafusion_proto::bytes::{
            logical_plan_to_bytes_with_extension_codec, physical_plan_to_bytes_with_extension_codec,
        };
        use watermark_cluster::{
            IssueTable, LeakTable, TallyFunction, WatermarkLogicalCodec, WatermarkPhysicalCodec,
        };
        let ctx = SessionContext::new();
        let logical = WatermarkLogicalCodec::new(None);
        let physical = WatermarkPhysicalCodec::new(None);
        let mut out = Vec::new();
        let issue = ctx
            .read_table(Arc::new(IssueTable::new(order, None)))
            .unwrap();
        let mut args = vec![datafusion::logical_expr::col(watermark_cluster::ROW_COLUMN)];
        args.extend(split.header().iter().map(datafusion::logical_expr::ident));
        let tally = ctx
            .read_table(Arc::new(LeakTable::new(&split).unwrap()))
            .unwrap()
            .aggregate(
                vec![],
                vec![TallyFunction::new(spec, None).udaf().call(args)],
            )
            .unwrap();
        for df in [issue, tally] {
            let plan = df.logical_plan().clone();
            out.extend(logical_plan_to_bytes_with_extension_codec(&plan, &logical).unwrap());
            let exec = df.create_physical_plan().await.unwrap();
            out.extend(physical_plan_to_bytes_with_extension_codec(exec, &physical).unwrap());
        }
        out
    })
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Writes the rows of a directory's Parquet files, in order, as one
/// Parquet file.
fn concat_parquet(dir: &Path, out: &Path) {
    use watermark_formats::reexport::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use watermark_formats::reexport::parquet::arrow::ArrowWriter;
    let mut names: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let mut writer = None;
    for p in names {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&p).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let batch = batch.unwrap();
            let w = writer.get_or_insert_with(|| {
                ArrowWriter::try_new(File::create(out).unwrap(), batch.schema(), None).unwrap()
            });
            w.write(&batch).unwrap();
        }
    }
    writer.unwrap().close().unwrap();
}
