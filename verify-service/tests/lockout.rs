//! Wrong tokens lock out the address they come from, on loopback: 127.0.0.1
//! guesses, 127.0.0.2 is an investigator at another address.

mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use support::{full, make_fixture, try_send_from, Fixture};
use verify_service::lockout::Policy;
use verify_service::tokens::Tokens;
use verify_service::Config;

const ALICE: &str = "alice-0123456789abcdef0123456789";
const BOB: &str = "bob-0123456789abcdef0123456789ab";
/// Of the right shape, in no tokens file.
const WRONG: &str = "alice-0123456789abcdef0123456788";

const GUESSER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

fn fixture() -> Fixture {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verify-service-lockout");
    make_fixture(&dir, 1_500, 3, 50)
}

struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: String,
}

async fn verify(addr: std::net::SocketAddr, from: IpAddr, token: &str, csv: &[u8]) -> Answer {
    let auth = format!("Bearer {token}");
    let (status, headers, body) = try_send_from(
        Some(from),
        addr,
        "POST",
        "/v1/verify",
        &[("authorization", &auth), ("content-type", "text/csv")],
        full(csv.to_vec()),
    )
    .await
    .unwrap();
    let body = String::from_utf8_lossy(&body).into_owned();
    // No answer ever holds a token, right or wrong.
    for t in [ALICE, BOB, WRONG] {
        assert!(!body.contains(&t[6..]), "{body}");
    }
    Answer {
        status: status.as_u16(),
        retry_after: headers
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned()),
        body,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_tokens_lock_out_their_address_only_and_the_lockout_doubles_then_ends() {
    let f = fixture();
    let csv = std::fs::read(&f.leaks[1]).unwrap();
    let mut config = Config::new(
        f.state.clone(),
        Tokens::parse(&format!("{ALICE} alice\n{BOB} bob\n")).unwrap(),
    );
    config.rate_limit = 0;
    config.lockout = Policy {
        failures: 3,
        lockout: Duration::from_secs(1),
        max_lockout: Duration::from_secs(2),
        ..Policy::default()
    };
    let server = support::Server::start(config).await;
    let addr = server.addr;

    // Three wrong tokens are answered 401; the third locks the address out.
    for _ in 0..3 {
        let a = verify(addr, GUESSER, WRONG, &csv).await;
        assert_eq!(a.status, 401, "{}", a.body);
        assert_eq!(a.retry_after, None);
    }
    // Now every verification from it is 429 for a second, a right token's too:
    // the answer must not tell a right guess from a wrong one.
    for token in [WRONG, ALICE] {
        let a = verify(addr, GUESSER, token, &csv).await;
        assert_eq!(a.status, 429, "{}", a.body);
        assert_eq!(a.retry_after.as_deref(), Some("1"));
        let err: serde_json::Value = serde_json::from_str(&a.body).unwrap();
        assert!(err["error"]
            .as_str()
            .unwrap()
            .contains("wrong tokens from this address"));
    }
    // An investigator at another address is not affected, and has a count
    // of their own.
    let a = verify(addr, OTHER, BOB, &csv).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let report: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(report["accused"][0]["recipient"], f.recipients[1].as_str());
    assert_eq!(verify(addr, OTHER, WRONG, &csv).await.status, 401);

    // Once the lockout is over, tokens are checked again; the next wrong
    // one locks the address out for twice as long.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(verify(addr, GUESSER, WRONG, &csv).await.status, 401);
    let a = verify(addr, GUESSER, ALICE, &csv).await;
    assert_eq!(a.status, 429, "{}", a.body);
    assert_eq!(a.retry_after.as_deref(), Some("2"));

    // After it, the right token works and clears the count: two wrong
    // tokens do not lock the address out, the third does, for a second.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let a = verify(addr, GUESSER, ALICE, &csv).await;
    assert_eq!(a.status, 200, "{}", a.body);
    for _ in 0..3 {
        assert_eq!(verify(addr, GUESSER, WRONG, &csv).await.status, 401);
    }
    let a = verify(addr, GUESSER, ALICE, &csv).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.retry_after.as_deref(), Some("1"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_token_is_not_a_guess_and_zero_failures_turns_lockouts_off() {
    let f = fixture_b();
    let csv = std::fs::read(&f.leaks[0]).unwrap();
    let tokens = Tokens::parse(&format!("{ALICE} alice\n")).unwrap();
    let mut config = Config::new(f.state.clone(), tokens);
    config.lockout.failures = 2;
    let server = support::Server::start(config.clone()).await;
    // Requests without an Authorization header present no guess.
    for _ in 0..5 {
        let (status, _, _) = try_send_from(
            Some(GUESSER),
            server.addr,
            "POST",
            "/v1/verify",
            &[("content-type", "text/csv")],
            full(csv.clone()),
        )
        .await
        .unwrap();
        assert_eq!(status, 401);
    }
    assert_eq!(verify(server.addr, GUESSER, ALICE, &csv).await.status, 200);
    // Another scheme, or a bearer with nothing, is a failure like a wrong token.
    for auth in [format!("Basic {ALICE}"), "Bearer".to_owned()] {
        let (status, _, _) = try_send_from(
            Some(GUESSER),
            server.addr,
            "POST",
            "/v1/verify",
            &[("authorization", &auth), ("content-type", "text/csv")],
            full(csv.clone()),
        )
        .await
        .unwrap();
        assert_eq!(status, 401);
    }
    assert_eq!(verify(server.addr, GUESSER, ALICE, &csv).await.status, 429);
    server.stop().await;

    config.lockout.failures = 0;
    let server = support::Server::start(config).await;
    for _ in 0..20 {
        assert_eq!(verify(server.addr, GUESSER, WRONG, &csv).await.status, 401);
    }
    assert_eq!(verify(server.addr, GUESSER, ALICE, &csv).await.status, 200);
    server.stop().await;
}

/// A state of its own, so the two tests can run at once.
fn fixture_b() -> Fixture {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verify-service-lockout-b");
    make_fixture(&dir, 1_500, 2, 50)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_forwarded_client_is_locked_out_alone() {
    let f = fixture_c();
    let csv = std::fs::read(&f.leaks[0]).unwrap();
    let mut config = Config::new(
        f.state.clone(),
        Tokens::parse(&format!("{ALICE} alice\n")).unwrap(),
    );
    config.rate_limit = 0;
    config.lockout.failures = 2;
    // 127.0.0.1 is the proxy; 127.0.0.2 a client that is not.
    config.trusted_proxies = vec![GUESSER];
    let server = support::Server::start(config).await;
    let post = |from: IpAddr, token: &'static str, forwarded: Option<&'static str>| {
        let csv = csv.clone();
        async move {
            let auth = format!("Bearer {token}");
            let mut headers = vec![
                ("authorization", auth.as_str()),
                ("content-type", "text/csv"),
            ];
            if let Some(xff) = forwarded {
                headers.push(("x-forwarded-for", xff));
            }
            try_send_from(
                Some(from),
                server.addr,
                "POST",
                "/v1/verify",
                &headers,
                full(csv),
            )
            .await
            .unwrap()
            .0
            .as_u16()
        }
    };
    // A guesser behind the proxy is locked out...
    for _ in 0..2 {
        assert_eq!(post(GUESSER, WRONG, Some("203.0.113.7")).await, 401);
    }
    assert_eq!(post(GUESSER, ALICE, Some("203.0.113.7")).await, 429);
    // ...whatever it writes to the left of what the proxy appended.
    assert_eq!(
        post(GUESSER, ALICE, Some("198.51.100.9, 203.0.113.7")).await,
        429
    );
    // An investigator behind the same proxy is not, nor the proxy itself.
    assert_eq!(post(GUESSER, ALICE, Some("203.0.113.8")).await, 200);
    assert_eq!(post(GUESSER, ALICE, None).await, 200);
    // A client that is not a trusted proxy cannot pass its guesses off as
    // someone else's: its header is not read.
    for _ in 0..2 {
        assert_eq!(post(OTHER, WRONG, Some("203.0.113.8")).await, 401);
    }
    assert_eq!(post(OTHER, ALICE, Some("203.0.113.8")).await, 429);
    assert_eq!(post(GUESSER, ALICE, Some("203.0.113.8")).await, 200);
    server.stop().await;
}

fn fixture_c() -> Fixture {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verify-service-lockout-c");
    make_fixture(&dir, 1_500, 2, 50)
}
