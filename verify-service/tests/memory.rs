//! A body far over the limit is refused without being held in memory.
//! In its own test binary, so that no other test moves the peak.

mod support;

use support::{raw_exchange, write_tokens, Server};
use verify_service::tokens::Tokens;
use verify_service::Config;

/// 600 MB, past the default limit of 512 MiB.
const BODY: usize = 600 * 1000 * 1000;

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_600_mb_body_against_the_default_limit_stays_out_of_memory() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verify-service-memory");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("spool")).unwrap();
    let token = "memory-0123456789abcdef0123456789";
    write_tokens(&dir.join("tokens"), &format!("{token} memory-test\n"));
    // No verification runs: the state is never opened.
    let mut config = Config::new(
        dir.join("state"),
        Tokens::load(&dir.join("tokens")).unwrap(),
    );
    // The default limit, 512 MiB: the body is spooled to disk up to it.
    assert_eq!(
        config.max_body_bytes,
        verify_service::DEFAULT_MAX_BODY_BYTES
    );
    config.spool_dir = Some(dir.join("spool"));
    let server = Server::start(config).await;
    let before = support::peak_rss();
    for ct in ["text/csv", "multipart/form-data; boundary=abc"] {
        let head = format!(
            "POST /v1/verify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: {ct}\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        let prefix = format!(
            "{:x}\r\n--abc\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n",
            BODY + 49
        );
        let status = raw_exchange(server.addr, &head, prefix.as_bytes(), BODY, false).await;
        assert_eq!(status, Some(413), "{ct}");
    }
    let peak = support::peak_rss();
    let grown = peak.saturating_sub(before);
    assert!(grown < 32 * 1024 * 1024, "peak RSS grew by {grown} bytes");
    assert!(peak < 300 * 1000 * 1000, "peak RSS {peak} bytes");
    assert_eq!(std::fs::read_dir(dir.join("spool")).unwrap().count(), 0);
    server.stop().await;
}
