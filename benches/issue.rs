//! Issuing copies against a plain CSV parse-and-write of the same file.
//!
//! `cargo bench --bench issue` generates a 1,000,000-row electoral-style roll
//! (`BENCH_ROWS` to change), then times, in one run and interleaved, best of
//! `BENCH_RUNS` (default 3; `BENCH_INPUT=FILE` reuses an existing roll):
//!
//! * baseline: `csv` reads every record as bytes and writes it back, with the
//!   same 64 KiB buffers the toolkit uses;
//! * issue, library: `issue_csv` writing one marked copy;
//! * issue, as the CLI does it: the same plus BLAKE3 digests of input and copy;
//!
//! and prints each as a ratio to the baseline.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use watermark_core::{
    issue_csv_with, suggest_from_csv, Embedder, HashingReader, HashingWriter, IssueOptions,
    MasterKey, Recipient,
};
use watermark_synth::Kind;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn baseline(input: &Path, output: &Path) -> Duration {
    let start = Instant::now();
    let mut rdr = csv::ReaderBuilder::new()
        .buffer_capacity(1 << 16)
        .from_reader(File::open(input).unwrap());
    let mut wtr = csv::WriterBuilder::new()
        .buffer_capacity(1 << 16)
        .from_writer(File::create(output).unwrap());
    wtr.write_byte_record(rdr.byte_headers().unwrap()).unwrap();
    let mut rec = csv::ByteRecord::new();
    while rdr.read_byte_record(&mut rec).unwrap() {
        wtr.write_byte_record(&rec).unwrap();
    }
    wtr.flush().unwrap();
    start.elapsed()
}

fn options() -> IssueOptions {
    let d = IssueOptions::default();
    IssueOptions {
        threads: env_usize("BENCH_THREADS", d.threads),
        batch_rows: env_usize("BENCH_BATCH", d.batch_rows),
    }
}

fn issue(embedder: &Embedder, input: &Path, output: &Path, digests: bool) -> Duration {
    let start = Instant::now();
    if digests {
        let mut rdr = HashingReader::new(File::open(input).unwrap());
        let out = HashingWriter::new(File::create(output).unwrap());
        let s = issue_csv_with(embedder, &mut rdr, vec![out], options(), &mut |_| {}).unwrap();
        std::hint::black_box((rdr.digest(), s.outputs[0].digest()));
    } else {
        let out = vec![File::create(output).unwrap()];
        let s = issue_csv_with(
            embedder,
            File::open(input).unwrap(),
            out,
            options(),
            &mut |_| {},
        )
        .unwrap();
        std::hint::black_box(s.rows);
    }
    start.elapsed()
}

#[allow(clippy::print_stdout)]
fn main() {
    let rows = env_usize("BENCH_ROWS", 1_000_000);
    let runs = env_usize("BENCH_RUNS", 3);
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out.csv");
    // BENCH_INPUT reuses an existing roll (for profiling one stage).
    let input = match std::env::var_os("BENCH_INPUT") {
        Some(path) => path.into(),
        None => {
            let input = dir.path().join("roll.csv");
            let mut w = BufWriter::new(File::create(&input).unwrap());
            watermark_synth::write_csv(Kind::ElectoralRoll, 1, rows, &mut w).unwrap();
            w.flush().unwrap();
            input
        }
    };
    let bytes = std::fs::metadata(&input).unwrap().len();
    let policy = suggest_from_csv(
        BufReader::new(File::open(&input).unwrap()),
        10_000,
        None,
        None,
    )
    .unwrap()
    .policy;
    let key = MasterKey::from_bytes([7; 32]);
    let embedder = Embedder::builder()
        .key(&key)
        .policy(&policy)
        .recipient(Recipient::new("bench", 0).unwrap())
        .build()
        .unwrap();

    // BENCH_ONLY=issue|baseline runs one stage once (for profilers).
    match std::env::var("BENCH_ONLY").as_deref() {
        Ok("issue") => {
            let t = issue(&embedder, &input, &output, false);
            println!("issue_csv: {:.3} s", t.as_secs_f64());
            return;
        }
        Ok("baseline") => {
            let t = baseline(&input, &output);
            println!("baseline: {:.3} s", t.as_secs_f64());
            return;
        }
        _ => {}
    }
    let mut best = [Duration::MAX; 3];
    for _ in 0..runs {
        best[0] = best[0].min(baseline(&input, &output));
        best[1] = best[1].min(issue(&embedder, &input, &output, false));
        best[2] = best[2].min(issue(&embedder, &input, &output, true));
    }
    let mb = bytes as f64 / 1e6;
    let what = match std::env::var_os("BENCH_INPUT") {
        Some(path) => format!("{}", std::path::Path::new(&path).display()),
        None => format!("{rows} generated rows"),
    };
    println!("issue one copy: {what}, {mb:.0} MB, best of {runs}");
    let names = [
        "baseline: csv parse + write",
        "issue_csv (library)",
        "issue_csv + BLAKE3 digests (CLI path)",
    ];
    for (name, t) in names.iter().zip(best) {
        println!(
            "  {name:<40} {:>7.3} s  {:>6.0} MB/s  ratio {:.2}",
            t.as_secs_f64(),
            mb / t.as_secs_f64(),
            t.as_secs_f64() / best[0].as_secs_f64()
        );
    }
}
