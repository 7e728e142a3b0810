//! Shared by the tests and the load example: a synthetic state made with the
//! `watermark` library, a server on loopback, and small HTTP clients.
#![allow(dead_code)]

use std::convert::Infallible;
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::{HeaderMap, Request, StatusCode};
use hyper_util::rt::TokioIo;
use rand::seq::SliceRandom as _;
use rand::SeedableRng as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use verify_service::{serve, Config};
use watermark_app::issue;
use watermark_app::State;
use watermark_formats::suggest_from_csv;
use watermark_synth::Kind;

/// The workflows' notices and progress, dropped.
pub const QUIET: watermark_app::Quiet = watermark_app::Quiet;

/// A state with copies issued to `recipients`, and a leak of each copy.
#[derive(Debug)]
pub struct Fixture {
    pub state: PathBuf,
    pub recipients: Vec<String>,
    /// `leaks[i]`: `leak_rows` random rows of recipient i's copy, shuffled.
    pub leaks: Vec<PathBuf>,
}

/// Makes a fixture in `dir` (emptied first): `watermark synth`, `init`,
/// `policy suggest`, `issue`, then a leak of each copy.
pub fn make_fixture(dir: &Path, rows: usize, recipients: usize, leak_rows: usize) -> Fixture {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let roll = dir.join("roll.csv");
    let mut out = BufWriter::new(File::create(&roll).unwrap());
    watermark_synth::write_csv(Kind::ElectoralRoll, 7, rows, &mut out).unwrap();
    out.flush().unwrap();
    drop(out);
    let state = dir.join("state");
    State::init(&state).unwrap();
    let suggestion = suggest_from_csv(
        File::open(&roll).unwrap(),
        10_000,
        None,
        Some(watermark_core::DEFAULT_CANARY_RATE),
    )
    .unwrap();
    let policy = dir.join("policy.toml");
    std::fs::write(&policy, suggestion.to_commented_toml()).unwrap();
    let names: Vec<String> = (0..recipients).map(|i| format!("party-{i}")).collect();
    let copies = dir.join("copies");
    issue::run(
        &issue::Settings {
            state: state.clone(),
            policy,
            input: roll,
            recipients: names.clone(),
            out_dir: copies.clone(),
            force: false,
            format: None,
            witnesses: None,
            encoding: None,
        },
        QUIET,
    )
    .unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let leaks = names
        .iter()
        .map(|name| {
            let leak = dir.join(format!("leak-{name}.csv"));
            let mut rdr = csv::Reader::from_path(copies.join(format!("{name}.csv"))).unwrap();
            let header = rdr.byte_headers().unwrap().clone();
            let all: Vec<csv::ByteRecord> = rdr.byte_records().map(Result::unwrap).collect();
            let mut w = csv::Writer::from_path(&leak).unwrap();
            w.write_byte_record(&header).unwrap();
            for r in all.choose_multiple(&mut rng, leak_rows) {
                w.write_byte_record(r).unwrap();
            }
            w.flush().unwrap();
            leak
        })
        .collect();
    Fixture {
        state,
        recipients: names,
        leaks,
    }
}

/// Writes a tokens file with mode 0600.
pub fn write_tokens(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// A running service; stopped (gracefully) on drop of `stop`.
pub struct Server {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    pub async fn start(config: Config) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, config, async {
            let _ = rx.await;
        }));
        Server {
            addr,
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// Stops accepting and waits for requests under way.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

pub type Body = BoxBody<Bytes, Infallible>;

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

/// A body of `total` bytes sent in `chunk`-byte pieces, never held whole.
pub fn streamed(total: usize, chunk: usize) -> Body {
    let piece = Bytes::from(vec![b'x'; chunk]);
    let mut left = total;
    let stream = futures_util::stream::iter(std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        let n = left.min(piece.len());
        left -= n;
        Some(Ok::<_, Infallible>(Frame::data(piece.slice(..n))))
    }));
    BodyExt::boxed(StreamBody::new(stream))
}

/// One request with hyper's client on a fresh connection.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Body,
) -> (StatusCode, HeaderMap, Bytes) {
    try_send(addr, method, path, headers, body).await.unwrap()
}

/// [`send`], with what went wrong as an error instead of a panic.
pub async fn try_send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Body,
) -> Result<(StatusCode, HeaderMap, Bytes), String> {
    try_send_from(None, addr, method, path, headers, body).await
}

/// [`try_send`] from the local address `from` (any of 127.0.0.0/8 on
/// loopback), to be another client.
pub async fn try_send_from(
    from: Option<std::net::IpAddr>,
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Body,
) -> Result<(StatusCode, HeaderMap, Bytes), String> {
    let stream = match from {
        None => TcpStream::connect(addr).await,
        Some(ip) => {
            let socket = match ip {
                std::net::IpAddr::V4(_) => tokio::net::TcpSocket::new_v4(),
                std::net::IpAddr::V6(_) => tokio::net::TcpSocket::new_v6(),
            }
            .map_err(|e| e.to_string())?;
            socket
                .bind(SocketAddr::new(ip, 0))
                .map_err(|e| e.to_string())?;
            socket.connect(addr).await
        }
    }
    .map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(body).map_err(|e| e.to_string())?;
    let res = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let status = res.status();
    let headers = res.headers().clone();
    let body = res
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, headers, body))
}

/// Posts a file's bytes as text/csv with a bearer token.
pub async fn post_csv(
    addr: SocketAddr,
    token: &str,
    csv: Vec<u8>,
) -> (StatusCode, serde_json::Value) {
    let auth = format!("Bearer {token}");
    let (status, _, body) = send(
        addr,
        "POST",
        "/v1/verify",
        &[("authorization", &auth), ("content-type", "text/csv")],
        full(csv),
    )
    .await;
    (
        status,
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    )
}

/// Sends `head` and then `total` bytes of body in 64 KiB pieces on a raw
/// connection while reading the answer, as a client that keeps sending
/// after the server answered would; stops sending once an answer has come
/// or the connection is closed. With `half_close`, shuts its sending side
/// after the body. Returns the status of the answer, if one came.
pub async fn raw_exchange(
    addr: SocketAddr,
    head: &str,
    prefix: &[u8],
    total: usize,
    half_close: bool,
) -> Option<u16> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = answered.clone();
    let head = head.as_bytes().to_vec();
    let prefix = prefix.to_vec();
    let writer = tokio::spawn(async move {
        let piece = vec![b'x'; 64 * 1024];
        if wr.write_all(&head).await.is_err() || wr.write_all(&prefix).await.is_err() {
            return;
        }
        let mut left = total;
        while left > 0 && !flag.load(std::sync::atomic::Ordering::SeqCst) {
            let n = left.min(piece.len());
            if wr.write_all(&piece[..n]).await.is_err() {
                return;
            }
            left -= n;
        }
        if half_close {
            let _ = wr.shutdown().await;
        } else {
            // Keep the connection open until the answer has come.
            while !flag.load(std::sync::atomic::Ordering::SeqCst) {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
    });
    let mut got = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        match tokio::time::timeout_at(deadline, rd.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => {
                got.extend_from_slice(&buf[..n]);
                answered.store(true, std::sync::atomic::Ordering::SeqCst);
                if response_complete(&got) {
                    break;
                }
            }
        }
    }
    answered.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = writer.await;
    let text = String::from_utf8_lossy(&got);
    text.strip_prefix("HTTP/1.1 ")
        .and_then(|s| s.get(..3))
        .and_then(|s| s.parse().ok())
}

/// Whether `got` holds a whole response with a Content-Length body.
fn response_complete(got: &[u8]) -> bool {
    let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    got.len() >= end + 4 + len
}

/// The process's peak resident set (VmHWM), in bytes.
#[cfg(target_os = "linux")]
pub fn peak_rss() -> u64 {
    proc_status_bytes("VmHWM:")
}

/// The process's resident set now (VmRSS), in bytes.
#[cfg(target_os = "linux")]
pub fn current_rss() -> u64 {
    proc_status_bytes("VmRSS:")
}

/// A `kB` field of `/proc/self/status`, in bytes.
#[cfg(target_os = "linux")]
fn proc_status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap()
}
