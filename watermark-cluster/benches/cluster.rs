//! Issuing on a Ballista cluster of 1, 2 and 4 executors on this machine,
//! against issuing the same split extract in one process, in one run.
//!
//! `cargo bench -p watermark-cluster --bench cluster [-- ROWS FILES]`
//! (default 400,000 rows in 16 Parquet files, three recipients). Each
//! executor runs as many tasks at once as the machine has cores (one
//! marking thread each), as a cluster's executors would. Prints each
//! run's seconds, rows per second and its ratio to the single process, and
//! checks that every run's copies are the single process's bytes.

#![allow(clippy::print_stdout)]

use std::fs::{self, File};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use watermark_app::split::{issue, Settings, SplitRunner};
use watermark_app::{Quiet, State};
use watermark_cluster::ClusterRunner;
use watermark_core::make_canaries_from_rows;
use watermark_formats::split::SplitExtract;
use watermark_formats::{csv_to_parquet, ConvertOptions};
use watermark_synth::Kind;

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for(timeout: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < timeout, "timed out");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A scheduler and `n` executors; the processes end when dropped.
fn cluster(dir: &Path, key: &Path, n: usize, tasks: usize) -> (String, Vec<Proc>) {
    fs::create_dir_all(dir).unwrap();
    let port = free_port();
    let mut procs = vec![Proc(
        Command::new(env!("CARGO_BIN_EXE_watermark-scheduler"))
            .args(["--port", &port.to_string()])
            .env("RUST_LOG", "warn")
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )];
    wait_for(Duration::from_secs(60), || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let mut logs = Vec::new();
    for i in 0..n {
        let log = dir.join(format!("executor-{i}.log"));
        let work = dir.join(format!("work-{i}"));
        fs::create_dir_all(&work).unwrap();
        procs.push(Proc(
            Command::new(env!("CARGO_BIN_EXE_watermark-executor"))
                .arg("--key-file")
                .arg(key)
                .args(["--scheduler", &format!("127.0.0.1:{port}")])
                .args(["--port", &free_port().to_string()])
                .args(["--grpc-port", &free_port().to_string()])
                .args(["--concurrent-tasks", &tasks.to_string()])
                .arg("--work-dir")
                .arg(&work)
                .env("RUST_LOG", "info")
                .stderr(File::create(&log).unwrap())
                .spawn()
                .unwrap(),
        ));
        logs.push(log);
    }
    wait_for(Duration::from_secs(60), || {
        logs.iter()
            .all(|l| fs::read_to_string(l).is_ok_and(|t| t.contains("Starting poll work loop")))
    });
    // Registered at their first poll.
    std::thread::sleep(Duration::from_secs(2));
    (format!("df://127.0.0.1:{port}"), procs)
}

fn manifests(out: &Path, ids: &[&str]) -> Vec<Vec<u8>> {
    ids.iter()
        .map(|id| fs::read(out.join(format!("{id}.manifest"))).unwrap())
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let rows: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(400_000);
    let files: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(16);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();

    // The extract: a synthetic roll, split into `files` Parquet files.
    let mut csv = Vec::new();
    watermark_synth::write_csv(Kind::ElectoralRoll, 7, rows, &mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let body: Vec<&str> = lines.collect();
    let lake = root.join("lake");
    fs::create_dir_all(&lake).unwrap();
    for (i, chunk) in body.chunks(rows.div_ceil(files)).enumerate() {
        let mut part = format!("{header}\n");
        for l in chunk {
            part.push_str(l);
            part.push('\n');
        }
        let out = File::create(lake.join(format!("part-{i:03}.parquet"))).unwrap();
        csv_to_parquet(part.as_bytes(), out, ConvertOptions::default()).unwrap();
    }
    let suggestion = watermark_formats::suggest_from_csv(
        text.as_bytes(),
        10_000,
        None,
        Some(watermark_core::DEFAULT_CANARY_RATE),
    )
    .expect("a policy");
    let policy = root.join("policy.toml");
    fs::write(&policy, suggestion.policy.to_toml()).unwrap();
    let state = root.join("state");
    State::init(&state).unwrap();
    let ids = ["PAN", "PRI", "MC"];
    let settings = |out: &str| Settings {
        state: state.clone(),
        policy: policy.clone(),
        input: lake.clone(),
        recipients: ids.iter().map(|s| s.to_string()).collect(),
        out_dir: root.join(out),
        force: true,
        witnesses: None,
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "issuing {rows} rows ({} MB) in {files} Parquet files to {} recipients; {cores} cores",
        fs::read_dir(&lake)
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .sum::<u64>()
            / 1_000_000,
        ids.len()
    );

    // What the client does alone, whatever the cluster: hash the input
    // (its manifest) and, the first time, make the canary list (four passes).
    let split = SplitExtract::open(&lake).unwrap();
    let start = Instant::now();
    let manifest = split.manifest(&mut |_| {}).unwrap();
    let hashing = start.elapsed().as_secs_f64();
    let key = watermark_app::key_file::load(&state.join("master.key")).unwrap();
    let start = Instant::now();
    let list = make_canaries_from_rows(
        &key,
        &suggestion.policy,
        &manifest.blake3(),
        || split.row_source(),
        &mut |_, _| {},
    )
    .unwrap();
    let canaries = start.elapsed().as_secs_f64();
    println!(
        "client, input digest: {hashing:7.2} s  {:>10.0} MB/s",
        split.bytes() as f64 / hashing / 1e6
    );
    println!(
        "client, canary list:  {canaries:7.2} s  {:>10.0} rows/s ({} canaries)",
        rows as f64 / canaries,
        list.len()
    );

    // The canary list is made once, by the first issuance, and kept.
    issue(&settings("warm"), None, Quiet).unwrap();

    let start = Instant::now();
    issue(&settings("single"), None, Quiet).unwrap();
    let single = start.elapsed().as_secs_f64();
    let expected = manifests(&root.join("single"), &ids);
    println!(
        "single process:      {single:7.2} s  {:>10.0} rows/s  1.00x",
        rows as f64 / single
    );

    for n in [1usize, 2, 4] {
        let (url, procs) = cluster(
            &root.join(format!("cluster-{n}")),
            &state.join("master.key"),
            n,
            cores,
        );
        let runner = ClusterRunner::new(&url).unwrap();
        let out = format!("cluster-{n}");
        let start = Instant::now();
        issue(&settings(&out), Some(&runner as &dyn SplitRunner), Quiet).unwrap();
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(
            manifests(&root.join(&out), &ids),
            expected,
            "{n} executors: other copies"
        );
        println!(
            "{n} executor{}:         {secs:7.2} s  {:>10.0} rows/s  {:.2}x the single process's time",
            if n == 1 { " " } else { "s" },
            rows as f64 / secs,
            secs / single
        );
        drop(procs);
    }
}
