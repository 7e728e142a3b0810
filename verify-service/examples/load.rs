//! Load test: the service in-process on loopback, a synthetic state, 1,000
//! verifications of 50-row leaks from 8 concurrent clients. Prints the
//! errors (must be 0), p50/p99 latency and the peak RSS.
//!
//! ```sh
//! cargo run --release -p verify-service --example load [-- REQUESTS CLIENTS]
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use support::{make_fixture, post_csv, write_tokens, Server};
use verify_service::tokens::Tokens;
use verify_service::Config;

fn main() {
    let mut args = std::env::args().skip(1);
    let requests: usize = args.next().map_or(1000, |a| a.parse().expect("REQUESTS"));
    let clients: usize = args.next().map_or(8, |a| a.parse().expect("CLIENTS"));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let t0 = Instant::now();
    let fixture = make_fixture(dir.path(), 20_000, 5, 50);
    println!(
        "state: 20000-row synthetic roll, {} recipients, made in {:.1} s",
        fixture.recipients.len(),
        t0.elapsed().as_secs_f64()
    );
    // One token per client; no rate limit.
    let tokens: Vec<String> = (0..clients)
        .map(|i| format!("load-token-{i:02}-0123456789abcdef"))
        .collect();
    let text: String = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{t} load-client-{i}\n"))
        .collect();
    write_tokens(&dir.path().join("tokens"), &text);
    let mut config = Config::new(
        fixture.state.clone(),
        Tokens::load(&dir.path().join("tokens")).expect("tokens"),
    );
    config.rate_limit = 0;
    let leaks: Vec<Vec<u8>> = fixture
        .leaks
        .iter()
        .map(|p| std::fs::read(p).expect("leak"))
        .collect();
    let rss_before = rss(true);
    // The resident set after each tenth of the requests.
    let tenth = (requests / 10).max(1);
    let samples = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(usize, u64)>::new()));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (latencies, errors, wall) = runtime.block_on(async {
        let server = Server::start(config).await;
        let addr = server.addr;
        let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let samples = samples.clone();
        let started = Instant::now();
        let mut tasks = Vec::new();
        for token in tokens {
            let next = next.clone();
            let leaks = leaks.clone();
            let expected = fixture.recipients.clone();
            let samples = samples.clone();
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0usize;
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    if i >= requests {
                        break;
                    }
                    let k = i % leaks.len();
                    let t = Instant::now();
                    let (status, report) = post_csv(addr, &token, leaks[k].clone()).await;
                    latencies.push((i, t.elapsed()));
                    if (i + 1).is_multiple_of(tenth) {
                        samples.lock().expect("samples").push((i + 1, rss(false)));
                    }
                    let right = report["accused"]
                        .as_array()
                        .is_some_and(|a| a.len() == 1 && a[0]["recipient"] == expected[k].as_str());
                    if status != 200 || !right {
                        errors += 1;
                        eprintln!("request {i}: {status} {report}");
                    }
                }
                (latencies, errors)
            }));
        }
        let mut latencies: Vec<(usize, Duration)> = Vec::new();
        let mut errors = 0;
        for t in tasks {
            let (l, e) = t.await.expect("client");
            latencies.extend(l);
            errors += e;
        }
        let wall = started.elapsed();
        server.stop().await;
        (latencies, errors, wall)
    });
    let mut sorted: Vec<Duration> = latencies.iter().map(|l| l.1).collect();
    sorted.sort();
    // Every verification reads and checks the whole log, which grows by one
    // entry a request: compare the first and the last tenth.
    let median_of = |from: usize, to: usize| {
        let mut part: Vec<Duration> = latencies
            .iter()
            .filter(|(i, _)| (from..to).contains(i))
            .map(|l| l.1)
            .collect();
        part.sort();
        part.get(part.len() / 2).copied().unwrap_or_default()
    };
    let pct = |p: f64| sorted[((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let log_size = watermark_app::State::open(&fixture.state)
        .and_then(|s| s.log())
        .map(|l| l.size())
        .unwrap_or(0);
    println!(
        "requests:   {} from {clients} concurrent clients",
        latencies.len()
    );
    println!("errors:     {errors}");
    println!(
        "latency:    p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(pct(0.50)),
        ms(pct(0.99)),
        ms(pct(1.0))
    );
    println!(
        "            p50 of the first {tenth} requests {:.1} ms, of the last {tenth} {:.1} ms",
        ms(median_of(0, tenth)),
        ms(median_of(requests.saturating_sub(tenth), requests))
    );
    println!(
        "throughput: {:.1} verifications/s ({:.1} s in all)",
        latencies.len() as f64 / wall.as_secs_f64(),
        wall.as_secs_f64()
    );
    println!("log:        {log_size} entries after the run");
    println!(
        "peak RSS:   {:.1} MiB (before the load: {:.1} MiB)",
        rss(true) as f64 / 1048576.0,
        rss_before as f64 / 1048576.0
    );
    let mut samples = samples.lock().expect("samples").clone();
    samples.sort();
    let line: Vec<String> = samples
        .iter()
        .map(|(n, b)| format!("{n}: {:.0}", *b as f64 / 1048576.0))
        .collect();
    println!(
        "RSS (MiB) after each tenth of the requests: {}",
        line.join(", ")
    );
    if errors > 0 {
        std::process::exit(1);
    }
}

/// The process's peak resident set (VmHWM), or its resident set now
/// (VmRSS), in bytes; 0 where `/proc` is not there.
fn rss(peak: bool) -> u64 {
    #[cfg(target_os = "linux")]
    {
        if peak {
            support::peak_rss()
        } else {
            support::current_rss()
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = peak;
        0
    }
}
