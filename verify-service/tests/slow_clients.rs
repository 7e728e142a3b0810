//! Clients that stall or trickle, on raw loopback connections: headers that
//! never end are cut off at the header timeout, uploads that stall at the
//! body timeout, while other clients are served.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use support::{make_fixture, post_csv, send, Fixture, Server};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::time::Instant;
use verify_service::tokens::Tokens;
use verify_service::Config;

const TOKEN: &str = "slow-0123456789abcdef0123456789ab";
const HEADER_TIMEOUT: Duration = Duration::from_secs(1);
const BODY_TIMEOUT: Duration = Duration::from_secs(1);
/// Allowed past a timeout for the closing or the answer to arrive.
const MARGIN: Duration = Duration::from_secs(3);

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verify-service-slow");
        make_fixture(&dir, 1_500, 3, 50)
    })
}

fn config() -> Config {
    let mut config = Config::new(
        fixture().state.clone(),
        Tokens::parse(&format!("{TOKEN} slow\n")).unwrap(),
    );
    config.rate_limit = 0;
    config.header_timeout = HEADER_TIMEOUT;
    config.body_timeout = BODY_TIMEOUT;
    // Far longer than a timeout and its margin: what cuts a slow client
    // off here is not the whole request's deadline.
    config.timeout = Duration::from_secs(60);
    config
}

/// How a slow client sends its request head.
#[derive(Debug, Clone, Copy)]
enum Head {
    /// Connects and sends nothing.
    Nothing,
    /// The request line, then nothing.
    RequestLine,
    /// The request line and whole headers, but not the empty line that
    /// ends them.
    Unfinished,
    /// The request line, then a header a byte every 100 ms, never ending.
    Trickle,
}

/// Opens a connection, sends `head`'s way, and returns how long after
/// connecting the server closed it, or `None` if it was still open at
/// `HEADER_TIMEOUT + MARGIN`.
async fn slow_head(addr: SocketAddr, head: Head) -> Option<Duration> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let connected = Instant::now();
    let (mut rd, mut wr) = stream.into_split();
    let writer = tokio::spawn(async move {
        let line = "POST /v1/verify HTTP/1.1\r\n";
        let headers = format!(
            "Host: localhost\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: text/csv\r\n"
        );
        let sent = match head {
            Head::Nothing => Ok(()),
            Head::RequestLine => wr.write_all(line.as_bytes()).await,
            Head::Unfinished => wr.write_all(format!("{line}{headers}").as_bytes()).await,
            Head::Trickle => {
                let mut sent = wr.write_all(line.as_bytes()).await;
                for b in b"X-Slow: ".iter().chain(std::iter::repeat(&b'z')) {
                    if sent.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    sent = wr.write_all(&[*b]).await;
                }
                sent
            }
        };
        // Keep the sending side open: the server is to close the connection.
        if sent.is_ok() {
            std::future::pending::<()>().await;
        }
        drop(wr);
    });
    let deadline = connected + HEADER_TIMEOUT + MARGIN;
    let mut buf = [0u8; 1024];
    let closed = loop {
        match tokio::time::timeout_at(deadline, rd.read(&mut buf)).await {
            // Closed, or reset, by the server.
            Ok(Ok(0)) | Ok(Err(_)) => break Some(connected.elapsed()),
            Ok(Ok(_)) => continue,
            Err(_) => break None,
        }
    };
    writer.abort();
    closed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_stalled_or_trickled_heads_are_closed_at_the_header_timeout() {
    let f = fixture();
    let server = Server::start(config()).await;
    let addr = server.addr;
    let kinds = [
        Head::Nothing,
        Head::RequestLine,
        Head::Unfinished,
        Head::Trickle,
    ];
    let slow: Vec<_> = (0..200)
        .map(|i| {
            let head = kinds[i % kinds.len()];
            tokio::spawn(async move { (head, slow_head(addr, head).await) })
        })
        .collect();

    // Meanwhile, an investigator is served as usual.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let csv = std::fs::read(&f.leaks[0]).unwrap();
    let (status, report) = post_csv(addr, TOKEN, csv.clone()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["accused"][0]["recipient"], f.recipients[0].as_str());
    let (status, _, _) = send(addr, "GET", "/openapi.json", &[], support::full("")).await;
    assert_eq!(status, 200);

    // Every slow connection was closed by the server, within the timeout
    // and a margin; none at once (the trickling ones were never idle for
    // long, so the timeout is one for the whole head, not between bytes).
    for task in slow {
        let (head, closed) = task.await.unwrap();
        let after = closed.unwrap_or_else(|| {
            panic!(
                "a {head:?} connection was still open {:?} after connecting",
                HEADER_TIMEOUT + MARGIN
            )
        });
        assert!(
            after >= HEADER_TIMEOUT / 2,
            "{head:?} closed after {after:?}"
        );
    }

    // And the service still works.
    let (status, report) = post_csv(addr, TOKEN, csv).await;
    assert_eq!(status, 200, "{report}");
    server.stop().await;
}

/// A whole answer read from `rd`, or `None` if the connection closed or
/// `deadline` passed first; `true` with it if the server then closed the
/// connection.
async fn answer(
    rd: &mut tokio::net::tcp::OwnedReadHalf,
    deadline: Instant,
) -> Option<(u16, String, serde_json::Value, bool)> {
    let mut got = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let (head, body) = loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if got.len() >= end + 4 + len {
                break (head, got[end + 4..end + 4 + len].to_vec());
            }
        }
        match tokio::time::timeout_at(deadline, rd.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return None,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    };
    let status = head.get(9..12)?.parse().ok()?;
    let closed = matches!(
        tokio::time::timeout_at(deadline, rd.read(&mut buf)).await,
        Ok(Ok(0)) | Ok(Err(_))
    );
    let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    Some((status, head, json, closed))
}

/// Sends a request head for a body of `total` bytes, then `pieces` of the
/// body with `gap` between them, and returns the answer with the time from
/// the last piece sent before it to its arrival.
async fn upload(
    addr: SocketAddr,
    content_type: &str,
    total: usize,
    pieces: Vec<Vec<u8>>,
    gap: Duration,
) -> (Option<(u16, String, serde_json::Value, bool)>, Duration) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let head = format!(
        "POST /v1/verify HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: {content_type}\r\nContent-Length: {total}\r\n\r\n"
    );
    wr.write_all(head.as_bytes()).await.unwrap();
    let deadline = Instant::now() + gap * pieces.len() as u32 + BODY_TIMEOUT + MARGIN;
    let last_sent = std::sync::Arc::new(std::sync::Mutex::new(Instant::now()));
    let sent = last_sent.clone();
    let writer = tokio::spawn(async move {
        for (i, piece) in pieces.into_iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(gap).await;
            }
            if wr.write_all(&piece).await.is_err() {
                break;
            }
            *sent.lock().unwrap() = Instant::now();
        }
        // Keep the connection open (the rest of the body never comes).
        std::future::pending::<()>().await;
        drop(wr);
    });
    let got = answer(&mut rd, deadline).await;
    let after = last_sent.lock().unwrap().elapsed();
    writer.abort();
    (got, after)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_slower_than_the_body_timeout_is_408_and_a_steady_one_is_served() {
    let f = fixture();
    let server = Server::start(config()).await;
    let addr = server.addr;
    let csv = std::fs::read(&f.leaks[2]).unwrap();
    let piece = |i: usize, n: usize| csv[csv.len() * i / n..csv.len() * (i + 1) / n].to_vec();

    // A raw body a piece every 2 s: after the first, nothing comes for
    // longer than the body timeout.
    let trickle = upload(
        addr,
        "text/csv",
        csv.len(),
        (0..3).map(|i| piece(i, 3)).collect(),
        BODY_TIMEOUT * 2,
    );
    // A multipart body that stops halfway.
    let boundary = "SlOwBoUnDaRy";
    let mut multipart = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"l.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    multipart.extend_from_slice(&csv);
    multipart.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let half = multipart[..multipart.len() / 2].to_vec();
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let stalled = upload(
        addr,
        &content_type,
        multipart.len(),
        vec![half],
        Duration::ZERO,
    );
    // The whole body in eight pieces 300 ms apart: 2.4 s in all, longer
    // than the body timeout, but it never stalls that long.
    let steady = upload(
        addr,
        "text/csv",
        csv.len(),
        (0..8).map(|i| piece(i, 8)).collect(),
        Duration::from_millis(300),
    );
    let (trickle, stalled, steady) = tokio::join!(trickle, stalled, steady);

    let brief = |v: &serde_json::Value| v.to_string().chars().take(300).collect::<String>();
    for (what, (got, after)) in [("trickled", trickle), ("stalled", stalled)] {
        let (status, head, err, closed) =
            got.unwrap_or_else(|| panic!("the {what} upload got no answer"));
        assert_eq!(status, 408, "{what}: {}", brief(&err));
        assert!(
            err["error"].as_str().unwrap_or("").contains("stalled"),
            "{what}: {}",
            brief(&err)
        );
        assert!(err["request_id"].is_string());
        assert!(head.contains("connection: close"), "{what}: {head}");
        assert!(closed, "the {what} upload's connection was left open");
        assert!(
            after <= BODY_TIMEOUT + MARGIN,
            "the {what} upload was answered {after:?} after its last piece"
        );
    }
    let (status, _, report, _) = steady.0.expect("the steady upload got no answer");
    assert_eq!(status, 200, "{}", brief(&report));
    assert_eq!(report["accused"][0]["recipient"], f.recipients[2].as_str());
    server.stop().await;
}
