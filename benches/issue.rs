//! Issuing copies against a plain CSV parse-and-write of the same file.
//!
//! `cargo bench --bench issue` generates a 1,000,000-row electoral-style roll
//! (`BENCH_ROWS` to change), then times, in one run and interleaved, best of
//! `BENCH_RUNS` (default 3; `BENCH_INPUT=FILE` reuses an existing roll):
//!
//! * baseline: `csv` reads every record as bytes and writes it back, with the
//!   same 64 KiB buffers the toolkit uses; timed before and after the first
//!   copy is issued, so that it runs in the same state of the page cache as
//!   the copies (on virtual machines, the kernel time of writing 150 MB of
//!   new file varies several-fold with it);
//! * issue, library: `issue_csv` writing one marked copy;
//! * issue, as the CLI does it: the same plus BLAKE3 digests of input and copy;
//! * issue, eight copies in one pass (`issue_csv` with eight outputs);
//! * issue, library, for recipient slot 37: slots 0 to 13 draw their bits
//!   from a position's head, later slots from a tail block of the row's
//!   stream (`BENCH_SLOT` sets the slot of `BENCH_ONLY=issue`, and
//!   `BENCH_DIGESTS=1` makes it the CLI path);
//!
//! and prints each as a ratio to the baseline. `BENCH_ONLY=anchor` times the
//! row anchor, HMAC-SHA256 against a keyed BLAKE3 call, beside issuing. Every step writes new files
//! and closes them within its timing. Between timings the files just written
//! are flushed to disk and removed, untimed, so that no step runs while the
//! kernel writes back the one before it. Then it
//! times verifying a
//! whole marked copy against 100 recipients, against a plain `csv` parse of
//! the same file, and prints the process's peak memory during each part
//! (`VmHWM`, reset before each; Linux). Run it with `BENCH_ROWS=4000000` too to see whether
//! memory grows with the input. The verify group also times the copy as Parquet and the
//! copy with every row read twice; `BENCH_ONLY=verify-ratio` runs that group alone.
//!
//! Last, the workflows that read an extract as rows of text (`BENCH_ONLY=rows` runs
//! them alone): reading every row, making the canary list, suggesting a policy from the
//! first 100,000 rows and matching a 5,000-row leak without identity columns to the master
//! extract, each on the roll as CSV and on the same roll converted to Parquet, timed as a
//! ratio to CSV. `BENCH_ONLY=parquet` times issuing from the roll converted to Parquet
//! (one copy, eight copies), which also ends the full run.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use watermark_core::{
    make_canaries_from_rows, suggest_from_rows, verify_rows_with_master, Detector, Embedder,
    MasterKey, Policy, Recipient, RowBatch, RowSource, DEFAULT_CANARY_RATE,
};
use watermark_core::{Attribution, MasterError, MasterMatch};
use watermark_formats::{
    csv_to_parquet, issue_csv_with, make_canaries, suggest_from_csv, verify_csv,
    verify_csv_with_master, ColumnarRows, ConvertOptions, CsvRows, HashingReader, HashingWriter,
    IssueOptions,
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
    // Closing the file is part of writing it, here as for the copies.
    drop(wtr);
    start.elapsed()
}

/// A plain parse of every record, as bytes.
fn parse_only(input: &Path) -> Duration {
    let start = Instant::now();
    let mut rdr = csv::ReaderBuilder::new()
        .buffer_capacity(1 << 16)
        .from_reader(File::open(input).unwrap());
    let mut rec = csv::ByteRecord::new();
    let mut fields = 0usize;
    while rdr.read_byte_record(&mut rec).unwrap() {
        fields += rec.len();
    }
    std::hint::black_box(fields);
    start.elapsed()
}

/// The CPU time the process has used, in seconds (Linux; 0 elsewhere).
fn cpu_secs() -> f64 {
    let (user, system) = cpu_split();
    user + system
}

/// The process's CPU time in user and in system (kernel) mode, in seconds
/// (Linux; zeros elsewhere).
fn cpu_split() -> (f64, f64) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return (0.0, 0.0);
    };
    // Fields after the command name, which is in parentheses: utime and
    // stime are the 12th and 13th, in clock ticks of 1/100 s.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let mut f = rest
        .split_whitespace()
        .skip(11)
        .map(|v| v.parse::<f64>().unwrap_or(0.0) / 100.0);
    (f.next().unwrap_or(0.0), f.next().unwrap_or(0.0))
}

/// A timing: the wall-clock time, and the CPU seconds the process spent in
/// user and in kernel mode meanwhile.
#[derive(Clone, Copy)]
struct Timing {
    wall: Duration,
    user: f64,
    system: f64,
}

impl Timing {
    const NONE: Timing = Timing {
        wall: Duration::MAX,
        user: 0.0,
        system: 0.0,
    };

    /// Runs `f` (which returns its own wall-clock time) and adds the CPU
    /// time it took.
    fn of(f: impl FnOnce() -> Duration) -> Timing {
        let (u0, s0) = cpu_split();
        let wall = f();
        let (u1, s1) = cpu_split();
        Timing {
            wall,
            user: u1 - u0,
            system: s1 - s0,
        }
    }

    /// The faster of two timings.
    fn best(self, other: Timing) -> Timing {
        if other.wall < self.wall {
            other
        } else {
            self
        }
    }
}

/// Starts measuring the process's peak resident memory afresh (Linux), so
/// that what generating the roll or an earlier part held is not counted.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Writes a file's pages to disk, between timings: otherwise the kernel
/// writes back one step's 150 MB while the next step runs, and whichever
/// step comes after a big write (eight copies) is charged for it.
fn settle(path: &Path) {
    if let Ok(file) = File::open(path) {
        let _ = file.sync_all();
    }
}

/// Settles a step's output and removes it, so that the next step writes a
/// new file, as issuing does (copies go to new temporary files): writing
/// over a file truncates it, and closing a truncated file makes ext4 start
/// writing it back at once.
fn settle_and_remove(path: &Path) {
    settle(path);
    let _ = std::fs::remove_file(path);
}

/// The process's peak resident memory in MB, where the OS says.
fn peak_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn issue_many(embedder: &Embedder, input: &Path, dir: &Path) -> Duration {
    let start = Instant::now();
    let outs: Vec<File> = (0..embedder.recipients().len())
        .map(|r| File::create(dir.join(format!("copy{r}.csv"))).unwrap())
        .collect();
    let s = issue_csv_with(
        embedder,
        File::open(input).unwrap(),
        outs,
        options(),
        &mut |_| {},
    )
    .unwrap();
    std::hint::black_box(s.rows);
    drop(s);
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
        drop(s);
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
        drop(s);
    }
    start.elapsed()
}

/// Writes recipient 37's copy of `input` to `output`, and a detector for
/// 100 recipients.
fn verify_setup<'a>(
    key: &'a MasterKey,
    policy: &'a Policy,
    input: &Path,
    output: &'a Path,
) -> (Detector, &'a Path) {
    let hundred: Vec<Recipient> = (0..100)
        .map(|i| Recipient::new(format!("party{i}"), i).unwrap())
        .collect();
    let one = Embedder::builder()
        .key(key)
        .policy(policy)
        .recipient(hundred[37].clone())
        .build()
        .unwrap();
    // BENCH_COPY=FILE keeps the copy there, made once (for profilers).
    let output = match std::env::var_os("BENCH_COPY") {
        Some(path) => {
            let path: &'a Path = Box::leak(std::path::PathBuf::from(path).into_boxed_path());
            if !path.exists() {
                issue(&one, input, path, false);
            }
            path
        }
        None => {
            issue(&one, input, output, false);
            output
        }
    };
    let detector = Detector::builder()
        .key(key)
        .policy(policy)
        .recipients(hundred)
        .build()
        .unwrap();
    (detector, output)
}

/// The row anchor's share of issuing: HMAC-SHA256 (the scheme's anchor)
/// against a keyed BLAKE3 call over the same identities, per row, beside
/// the time `issue_csv` takes per row, all in this process.
#[allow(clippy::print_stdout)]
fn anchor_costs(embedder: &Embedder, input: &Path, output: &Path, runs: usize) {
    use hmac::Mac as _;
    let mut rdr = csv::Reader::from_path(input).unwrap();
    let at = rdr
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "CURP")
        .expect("a CURP column");
    let ids: Vec<Vec<u8>> = rdr
        .byte_records()
        .map(|r| r.unwrap()[at].to_vec())
        .collect();
    let key = [9u8; 32];
    let hmac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    let time = |f: &dyn Fn() -> u8| {
        (0..runs.max(3))
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(f());
                start.elapsed()
            })
            .min()
            .unwrap()
    };
    let h = time(&|| {
        let mut x = 0u8;
        for id in &ids {
            let mut mac = hmac.clone();
            mac.update(id);
            x ^= mac.finalize().into_bytes()[0];
        }
        x
    });
    let b = time(&|| {
        let mut x = 0u8;
        for id in &ids {
            x ^= blake3::keyed_hash(&key, id).as_bytes()[0];
        }
        x
    });
    settle(input);
    let issue_t = (0..runs)
        .map(|_| {
            let t = Timing::of(|| issue(embedder, input, output, false));
            settle_and_remove(output);
            t.wall
        })
        .min()
        .unwrap();
    let n = ids.len() as f64;
    let per = |d: Duration| d.as_secs_f64() * 1e9 / n;
    println!(
        "row anchor over {} identities, best of {}:",
        ids.len(),
        runs.max(3)
    );
    println!("  HMAC-SHA256        {:>7.1} ns/row", per(h));
    println!(
        "  keyed BLAKE3       {:>7.1} ns/row  ratio {:.2}",
        per(b),
        per(b) / per(h)
    );
    println!(
        "  issue_csv          {:>7.1} ns/row; the anchor is {:.1}% of it, BLAKE3 would save {:.1}%",
        per(issue_t),
        100.0 * per(h) / per(issue_t),
        100.0 * (per(h) - per(b)) / per(issue_t)
    );
}

#[allow(clippy::print_stdout)]
fn main() {
    let rows = env_usize("BENCH_ROWS", 1_000_000);
    let runs = env_usize("BENCH_RUNS", 3);
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out.csv");
    // Times a step that writes `output`, then settles and removes it.
    let settled = |step: &dyn Fn() -> Duration| {
        let t = Timing::of(step);
        settle_and_remove(&output);
        t
    };
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
    let one = |slot: u32| {
        Embedder::builder()
            .key(&key)
            .policy(&policy)
            .recipient(Recipient::new("bench", slot).unwrap())
            .build()
            .unwrap()
    };
    // BENCH_SLOT: the recipient's code slot in BENCH_ONLY=issue.
    let embedder = one(env_usize("BENCH_SLOT", 0) as u32);

    // BENCH_ONLY=issue|baseline|verify runs one stage once (for profilers).
    match std::env::var("BENCH_ONLY").as_deref() {
        Ok("issue") => {
            // BENCH_DIGESTS=1: as the CLI does it, with BLAKE3 digests.
            let digests = env_usize("BENCH_DIGESTS", 0) == 1;
            // BENCH_RUNS times; the median and the fastest run.
            settle(&input);
            let mut t: Vec<Timing> = (0..runs)
                .map(|_| settled(&|| issue(&embedder, &input, &output, digests)))
                .collect();
            t.sort_by_key(|t| t.wall);
            for (what, t) in [("median", t[t.len() / 2]), ("fastest", t[0])] {
                println!(
                    "issue_csv, {what} of {runs}: {:.3} s, CPU {:.2} s user + {:.2} s kernel",
                    t.wall.as_secs_f64(),
                    t.user,
                    t.system
                );
            }
            return;
        }
        Ok("verify") => {
            let (detector, copy) = verify_setup(&key, &policy, &input, &output);
            let (start, cpu) = (Instant::now(), cpu_secs());
            let a = verify_csv(&detector, File::open(copy).unwrap(), &mut |_| {}).unwrap();
            println!(
                "verify_csv: {:.3} s ({:.2} s of CPU), {} rows, {} positions",
                start.elapsed().as_secs_f64(),
                cpu_secs() - cpu,
                a.rows_read,
                a.positions_read
            );
            assert_eq!(a.accused[0].recipient, "party37");
            for c in &a.positions_by_column {
                println!("  {}: {} positions", c.column, c.positions);
            }
            if let Some(mb) = peak_mb() {
                println!("  peak memory (VmHWM): {mb:.0} MB");
            }
            return;
        }
        Ok("anchor") => {
            anchor_costs(&embedder, &input, &output, runs);
            return;
        }
        Ok("verify-ratio") => {
            verify_group(&key, &policy, &input, &output, dir.path(), runs);
            return;
        }
        Ok("baseline") => {
            let t = baseline(&input, &output);
            println!("baseline: {:.3} s", t.as_secs_f64());
            return;
        }
        Ok("rows") => {
            row_workflows(&key, &input, dir.path(), runs);
            return;
        }
        Ok("parquet") => {
            parquet_issue(&key, &policy, &input, dir.path(), runs);
            return;
        }
        _ => {}
    }
    let eight = Embedder::builder()
        .key(&key)
        .policy(&policy)
        .recipients((0..8).map(|i| Recipient::new(format!("party{i}"), i).unwrap()))
        .build()
        .unwrap();
    // Slots 0 to 13 draw from a position's head; later ones from its tail.
    let late = one(37);
    reset_peak();
    let mut best = [Timing::NONE; 5];
    let copies: Vec<PathBuf> = (0..8)
        .map(|r| dir.path().join(format!("copy{r}.csv")))
        .collect();
    settle(&input);
    for _ in 0..runs {
        best[0] = best[0].best(settled(&|| baseline(&input, &output)));
        best[1] = best[1].best(settled(&|| issue(&embedder, &input, &output, false)));
        best[0] = best[0].best(settled(&|| baseline(&input, &output)));
        best[2] = best[2].best(settled(&|| issue(&embedder, &input, &output, true)));
        best[3] = best[3].best(Timing::of(|| issue_many(&eight, &input, dir.path())));
        for copy in &copies {
            let _ = std::fs::remove_file(copy);
        }
        best[4] = best[4].best(settled(&|| issue(&late, &input, &output, false)));
    }
    let issue_peak = peak_mb();
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
        "issue_csv, 8 copies in one pass",
        "issue_csv, recipient slot 37",
    ];
    let line = |name: &str, t: Timing, base: Timing| {
        let wall = t.wall.as_secs_f64();
        println!(
            "  {name:<40} {wall:>7.3} s  {:>6.0} MB/s  ratio {:.2}   CPU {:.2} s user + {:.2} s kernel",
            mb / wall,
            wall / base.wall.as_secs_f64(),
            t.user,
            t.system,
        );
    };
    for (name, t) in names.iter().zip(best) {
        line(name, t, best[0]);
    }
    if let Some(mb) = issue_peak {
        println!("  peak memory while issuing (VmHWM): {mb:.0} MB");
    }

    verify_group(&key, &policy, &input, &output, dir.path(), runs);
    row_workflows(&key, &input, dir.path(), runs);
    parquet_issue(&key, &policy, &input, dir.path(), runs);
}

/// Verifying a whole marked copy against 100 recipients, as CSV on every
/// core, as Parquet, and as CSV with every row read twice (the second
/// half repeating the first: each position is counted once), against a
/// plain `csv` parse of the copy, best of `runs`.
#[allow(clippy::print_stdout)]
fn verify_group(
    key: &MasterKey,
    policy: &Policy,
    input: &Path,
    output: &Path,
    dir: &Path,
    runs: usize,
) {
    let (detector, copy) = verify_setup(key, policy, input, output);
    settle(copy);
    let parquet = dir.join("copy.parquet");
    csv_to_parquet(
        File::open(copy).unwrap(),
        File::create(&parquet).unwrap(),
        ConvertOptions::default(),
    )
    .unwrap();
    // The copy with its rows read twice: the header once, then the data
    // rows, then the data rows again.
    let twice = dir.join("twice.csv");
    {
        let text = std::fs::read(copy).unwrap();
        let body = text.iter().position(|&b| b == b'\n').unwrap() + 1;
        let mut w = BufWriter::new(File::create(&twice).unwrap());
        w.write_all(&text).unwrap();
        w.write_all(&text[body..]).unwrap();
        w.flush().unwrap();
    }
    settle(&parquet);
    settle(&twice);
    reset_peak();
    let accused = |a: &Attribution| assert_eq!(a.accused[0].recipient, "party37");
    let mut best = [Timing::NONE; 4];
    for _ in 0..runs {
        best[0] = best[0].best(Timing::of(|| parse_only(copy)));
        best[1] = best[1].best(Timing::of(|| {
            let start = Instant::now();
            accused(&verify_csv(&detector, File::open(copy).unwrap(), &mut |_| {}).unwrap());
            start.elapsed()
        }));
        best[2] = best[2].best(Timing::of(|| {
            let start = Instant::now();
            let a = watermark_formats::verify_parquet(
                &detector,
                File::open(&parquet).unwrap(),
                &mut |_| {},
            )
            .unwrap();
            accused(&a);
            start.elapsed()
        }));
        best[3] = best[3].best(Timing::of(|| {
            let start = Instant::now();
            let a = verify_csv(&detector, File::open(&twice).unwrap(), &mut |_| {}).unwrap();
            accused(&a);
            assert!(a.repeated_positions > 0);
            start.elapsed()
        }));
    }
    let mb = std::fs::metadata(copy).unwrap().len() as f64 / 1e6;
    let line = |name: &str, t: Timing, base: Timing| {
        let wall = t.wall.as_secs_f64();
        println!(
            "  {name:<40} {wall:>7.3} s  {:>6.0} MB/s  ratio {:.2}   CPU {:.2} s user + {:.2} s kernel",
            mb / wall,
            wall / base.wall.as_secs_f64(),
            t.user,
            t.system,
        );
    };
    println!("verify a whole marked copy against 100 recipients, best of {runs}");
    line("baseline: csv parse", best[0], best[0]);
    line("verify_csv, 100 recipients", best[1], best[0]);
    line("verify_parquet, 100 recipients", best[2], best[0]);
    line("verify_csv, every row twice", best[3], best[0]);
    if let Some(mb) = peak_mb() {
        println!("  peak memory while verifying (VmHWM): {mb:.0} MB");
    }
}

/// Issuing from the roll converted to Parquet: one copy and eight copies in
/// one pass, Parquet in and out, best of `runs`.
#[allow(clippy::print_stdout)]
fn parquet_issue(key: &MasterKey, policy: &Policy, input: &Path, dir: &Path, runs: usize) {
    let parquet = dir.join("issue.parquet");
    csv_to_parquet(
        File::open(input).unwrap(),
        File::create(&parquet).unwrap(),
        ConvertOptions::default(),
    )
    .unwrap();
    println!("issue_parquet, Parquet in and out, best of {runs}, wall-clock time (CPU time)");
    for copies in [1, 8] {
        let embedder = Embedder::builder()
            .key(key)
            .policy(policy)
            .recipients((0..copies).map(|i| Recipient::new(format!("party{i}"), i).unwrap()))
            .build()
            .unwrap();
        let outputs: Vec<PathBuf> = (0..copies)
            .map(|r| dir.join(format!("copy{r}.parquet")))
            .collect();
        let mut best = (f64::MAX, f64::MAX);
        for _ in 0..runs {
            let t = Timing::of(|| {
                let start = Instant::now();
                let outs = outputs.iter().map(|p| File::create(p).unwrap()).collect();
                let s = watermark_formats::issue_parquet(
                    &embedder,
                    File::open(&parquet).unwrap(),
                    outs,
                    options(),
                    &mut |_| {},
                )
                .unwrap();
                std::hint::black_box(s.rows);
                drop(s);
                start.elapsed()
            });
            for p in &outputs {
                settle_and_remove(p);
            }
            best.0 = best.0.min(t.wall.as_secs_f64());
            best.1 = best.1.min(t.user + t.system);
        }
        println!(
            "  {copies} {:<28} {:>6.3} s ({:>5.2})",
            if copies == 1 {
                "copy"
            } else {
                "copies in one pass"
            },
            best.0,
            best.1
        );
    }
}

/// Canaries, a suggested policy and a match to the master extract, on the
/// roll as CSV and as Parquet (one `Utf8` column per CSV column, so the rows'
/// text is the same), best of `runs`, as ratios to CSV.
#[allow(clippy::print_stdout)]
fn row_workflows(key: &MasterKey, input: &Path, dir: &Path, runs: usize) {
    let parquet = dir.join("roll.parquet");
    csv_to_parquet(
        File::open(input).unwrap(),
        File::create(&parquet).unwrap(),
        ConvertOptions::default(),
    )
    .unwrap();
    let open_parquet = || ColumnarRows::parquet(File::open(&parquet).unwrap());
    let policy = suggest_from_csv(
        File::open(input).unwrap(),
        10_000,
        None,
        Some(DEFAULT_CANARY_RATE),
    )
    .unwrap()
    .policy;
    // A leak without the identity columns: 5,000 rows, CLAVE_ELECTOR and
    // CURP dropped.
    let mut leak = Vec::new();
    {
        let mut rdr = csv::Reader::from_path(input).unwrap();
        let mut w = csv::Writer::from_writer(&mut leak);
        let keep = |r: &csv::StringRecord| r.iter().skip(2).map(str::to_string).collect::<Vec<_>>();
        w.write_record(keep(rdr.headers().unwrap())).unwrap();
        for r in rdr.records().take(5_000) {
            w.write_record(keep(&r.unwrap())).unwrap();
        }
    }
    let detector = Detector::builder()
        .key(key)
        .policy(&policy)
        .recipients((0..10).map(|i| Recipient::new(format!("party{i}"), i).unwrap()))
        .build()
        .unwrap();
    let timed = |f: &dyn Fn() -> String| -> (Timing, String) {
        let mut out = String::new();
        let t = Timing::of(|| {
            let start = Instant::now();
            out = f();
            start.elapsed()
        });
        (t, out)
    };
    // A stage: its name, then how it runs on the CSV, on the Parquet file
    // as rows, and on the Parquet file rendered as CSV text and parsed back
    // (how Parquet reached these workflows before they took row sources).
    type Way<'a> = &'a dyn Fn() -> String;
    let as_csv = || open_parquet().unwrap().into_csv();
    // Every row read and its cells counted: what each adaptor costs.
    let read_all = |mut rows: Box<dyn RowSource>| {
        let mut batch = RowBatch::new();
        let (mut n, mut bytes) = (0usize, 0usize);
        while rows.next_batch(&mut batch, 1024).unwrap() {
            for row in batch.rows() {
                n += 1;
                bytes += row.iter().map(str::len).sum::<usize>();
            }
        }
        format!("{n} rows, {bytes} bytes of cells")
    };
    let canaries =
        |list: watermark_core::Result<watermark_core::CanaryList>| list.unwrap().to_json();
    let matched = |found: Result<(Attribution, MasterMatch), MasterError>| {
        let (a, m) = found.unwrap();
        format!("{} {} {}", a.positions_read, m.rows_matched, m.master_rows)
    };
    let stages: [(&str, Way, Way, Way); 4] = [
        (
            "read every row",
            &|| read_all(Box::new(CsvRows::new(File::open(input).unwrap()).unwrap())),
            &|| read_all(Box::new(open_parquet().unwrap())),
            &|| read_all(Box::new(CsvRows::new(as_csv()).unwrap())),
        ),
        (
            "make_canaries",
            &|| {
                canaries(make_canaries(
                    key,
                    &policy,
                    "bench",
                    || File::open(input),
                    &mut |_, _| {},
                ))
            },
            &|| {
                canaries(make_canaries_from_rows(
                    key,
                    &policy,
                    "bench",
                    open_parquet,
                    &mut |_, _| {},
                ))
            },
            &|| {
                canaries(make_canaries(
                    key,
                    &policy,
                    "bench",
                    || Ok(as_csv()),
                    &mut |_, _| {},
                ))
            },
        ),
        (
            "suggest, 100,000 rows",
            &|| {
                let s = suggest_from_csv(File::open(input).unwrap(), 100_000, None, Some(0.01));
                s.unwrap().to_commented_toml()
            },
            &|| {
                let s = suggest_from_rows(open_parquet().unwrap(), 100_000, None, Some(0.01));
                s.unwrap().to_commented_toml()
            },
            &|| {
                let s = suggest_from_csv(as_csv(), 100_000, None, Some(0.01));
                s.unwrap().to_commented_toml()
            },
        ),
        (
            "master match, 5,000-row leak",
            &|| {
                let master = File::open(input).unwrap();
                matched(verify_csv_with_master(
                    &detector,
                    &leak[..],
                    master,
                    &[],
                    &mut |_| {},
                ))
            },
            &|| {
                let leak = CsvRows::new(&leak[..]).unwrap();
                matched(verify_rows_with_master(
                    &detector,
                    leak,
                    open_parquet,
                    &[],
                    &mut |_| {},
                ))
            },
            &|| {
                matched(verify_csv_with_master(
                    &detector,
                    &leak[..],
                    as_csv(),
                    &[],
                    &mut |_| {},
                ))
            },
        ),
    ];
    // The least CPU time of the runs too: on a shared machine it varies
    // less than the wall-clock time (these stages run on one thread).
    println!(
        "rows of text, best of {runs}, wall-clock time (CPU time): the roll as CSV; as Parquet; \
         as Parquet rendered to CSV text and parsed back. Ratios to CSV"
    );
    for (name, csv_way, parquet_way, via_csv) in stages {
        let ways = [csv_way, parquet_way, via_csv];
        let mut best = [(f64::MAX, f64::MAX); 3];
        for _ in 0..runs {
            let mut outputs = Vec::new();
            for (way, best) in ways.iter().zip(&mut best) {
                let (t, out) = timed(*way);
                best.0 = best.0.min(t.wall.as_secs_f64());
                best.1 = best.1.min(t.user + t.system);
                outputs.push(out);
            }
            assert!(
                outputs.iter().all(|o| *o == outputs[0]),
                "{name}: the ways differ"
            );
        }
        let [c, p, r] = best;
        println!(
            "  {name:<30} {:>6.3} s ({:>5.2})  {:>6.3} s ({:>5.2}) {:.2}  {:>6.3} s ({:>5.2}) {:.2}",
            c.0,
            c.1,
            p.0,
            p.1,
            p.0 / c.0,
            r.0,
            r.1,
            r.0 / c.0
        );
    }
}
