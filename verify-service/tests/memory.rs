//! A body far over the limit is refused without being held in memory.
//! In its own test binary, so that no other test moves the peak.

mod support;

use support::{raw_exchange, write_tokens, Server};
use verify_service::tokens::Tokens;
use verify_service::Config;

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_64_mib_body_against_a_16_mib_limit_stays_out_of_memory() {
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
    config.max_body_bytes = 16 * 1024 * 1024;
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
            64 * 1024 * 1024 + 49
        );
        let status = raw_exchange(
            server.addr,
            &head,
            prefix.as_bytes(),
            64 * 1024 * 1024,
            false,
        )
        .await;
        assert_eq!(status, Some(413), "{ct}");
    }
    let grown = support::peak_rss().saturating_sub(before);
    assert!(grown < 32 * 1024 * 1024, "peak RSS grew by {grown} bytes");
    assert_eq!(std::fs::read_dir(dir.join("spool")).unwrap().count(), 0);
    server.stop().await;
}
