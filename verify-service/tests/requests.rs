//! The request path under generated requests, written byte by byte on raw
//! connections: malformed and mutated multipart bodies, bodies cut short,
//! over the limit or framed wrongly (bad lengths, bad chunks, both framings
//! at once), wrong and odd content types and tokens, corrupted Parquet and
//! Arrow files, giant headers and hundreds of headers.
//!
//! Every request must get a whole HTTP answer (a crash or a panic would drop
//! the connection), never a 5xx, never a 200 without a valid token; answers
//! from the service's own handler carry a JSON error and the request id.
//! Afterwards the service still names the recipient of a real leak and has
//! left no spool file behind.
//!
//! `PROPTEST_CASES` sets how many requests are generated (default 1000).

mod support;

use std::io::Cursor;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use support::{make_fixture, post_csv, Fixture, Server};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use verify_service::tokens::Tokens;
use verify_service::Config;
use watermark_formats::{convert_columnar, csv_to_parquet, ConvertOptions, Format};

const TOKEN: &str = "fuzz-0123456789abcdef0123456789abc";
/// The body limit the service runs with here, so that some bodies pass it.
const LIMIT: usize = 256 * 1024;

struct Env {
    runtime: tokio::runtime::Runtime,
    addr: SocketAddr,
    /// Kept alive for the whole run.
    _server: Server,
    spool: PathBuf,
    fixture: Fixture,
    csv: Vec<u8>,
    parquet: Vec<u8>,
    arrow: Vec<u8>,
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verify-service-requests");
        let fixture = make_fixture(&dir, 1_500, 3, 50);
        let spool = dir.join("spool");
        std::fs::create_dir_all(&spool).unwrap();
        let mut config = Config::new(
            fixture.state.clone(),
            Tokens::parse(&format!("{TOKEN} fuzz\n")).unwrap(),
        );
        config.rate_limit = 0;
        // Every request comes from 127.0.0.1, many with wrong tokens: the
        // lockouts (tests/lockout.rs) would answer most of them 429.
        config.lockout.failures = 0;
        config.max_body_bytes = LIMIT as u64;
        config.timeout = Duration::from_secs(20);
        config.spool_dir = Some(spool.clone());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let server = runtime.block_on(Server::start(config));
        let csv = std::fs::read(&fixture.leaks[0]).unwrap();
        let mut parquet = Vec::new();
        csv_to_parquet(&csv[..], &mut parquet, ConvertOptions::default()).unwrap();
        let mut arrow = Vec::new();
        convert_columnar(
            Cursor::new(parquet.clone()),
            Format::Parquet,
            &mut arrow,
            Format::ArrowIpc,
            &ConvertOptions::default(),
        )
        .unwrap();
        Env {
            addr: server.addr,
            runtime,
            _server: server,
            spool,
            fixture,
            csv,
            parquet,
            arrow,
        }
    })
}

#[derive(Clone, Debug, PartialEq)]
enum Auth {
    Missing,
    Valid,
    /// A token of the right shape that is not in the tokens file.
    Wrong,
    /// Any other header value (another scheme, no token, odd bytes).
    Other(Vec<u8>),
}

/// The file at the heart of the body.
#[derive(Clone, Debug)]
enum Payload {
    /// The CSV leak, its first `n`‰ only when `cut` (rows cut mid-field).
    Csv {
        cut: Option<u16>,
    },
    /// The leak as Parquet or Arrow IPC, perhaps with one byte changed.
    Parquet {
        flip: Option<(usize, u8)>,
    },
    Arrow {
        flip: Option<(usize, u8)>,
    },
    /// A format's magic bytes around garbage.
    Magic {
        kind: u8,
        junk: Vec<u8>,
    },
    Junk(Vec<u8>),
    /// `n` bytes of one letter: some over the limit.
    Big(usize),
}

#[derive(Clone, Debug)]
enum Wrapping {
    Raw {
        /// `None`: the payload's own type; `Some(None)`: no Content-Type.
        content_type: Option<Option<String>>,
    },
    Multipart {
        boundary: String,
        /// The boundary the content type declares, if not `boundary`.
        declared: Option<String>,
        field: String,
        filename: Option<String>,
        extra_parts: usize,
        /// Cut the body after this many ‰ of it.
        cut: Option<u16>,
        /// Change one byte.
        flip: Option<(usize, u8)>,
    },
}

#[derive(Clone, Debug)]
enum Framing {
    Length,
    /// Declares `n` bytes more than it sends, then closes its sending side.
    LengthTooLong(usize),
    /// Declares `n` bytes fewer: the rest reads as a next request.
    LengthTooShort(usize),
    /// A Content-Length that is not a number.
    BadLength(String),
    Chunked(usize),
    /// A chunk size that is not hexadecimal.
    BadChunk,
    /// Chunked, but ends mid-chunk, then closes its sending side.
    ChunkedCut,
    /// Both Content-Length and chunked.
    Both,
}

#[derive(Clone, Debug)]
struct Req {
    method: String,
    target: String,
    auth: Auth,
    payload: Payload,
    wrapping: Wrapping,
    framing: Framing,
    /// A header of this many bytes.
    giant: Option<usize>,
    /// This many extra headers.
    many: usize,
    /// One header with arbitrary bytes (name and value).
    odd_header: Option<(Vec<u8>, Vec<u8>)>,
}

fn header_text() -> impl Strategy<Value = String> {
    "[ -~]{0,40}"
}

fn auth() -> impl Strategy<Value = Auth> {
    prop_oneof![
        1 => Just(Auth::Missing),
        16 => Just(Auth::Valid),
        1 => Just(Auth::Wrong),
        2 => prop_oneof![
            Just(b"Bearer".to_vec()),
            Just(b"Bearer ".to_vec()),
            Just(format!("Basic {TOKEN}").into_bytes()),
            Just(format!("bearer  {TOKEN}x").into_bytes()),
            Just(format!("Bearer {}", &TOKEN[..TOKEN.len() - 1]).into_bytes()),
            proptest::collection::vec(32u8..=255, 0..60),
        ]
        .prop_map(Auth::Other),
    ]
}

fn flip_of() -> impl Strategy<Value = Option<(usize, u8)>> {
    proptest::option::weighted(0.5, (any::<usize>(), 1u8..=255))
}

fn payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        6 => proptest::option::weighted(0.3, 0u16..1000).prop_map(|cut| Payload::Csv { cut }),
        2 => flip_of().prop_map(|flip| Payload::Parquet { flip }),
        2 => flip_of().prop_map(|flip| Payload::Arrow { flip }),
        2 => (0u8..3, proptest::collection::vec(any::<u8>(), 0..300))
            .prop_map(|(kind, junk)| Payload::Magic { kind, junk }),
        2 => proptest::collection::vec(any::<u8>(), 0..600).prop_map(Payload::Junk),
        1 => prop_oneof![Just(0usize), 1usize..2048, (LIMIT - 64)..(LIMIT + 4096)]
            .prop_map(Payload::Big),
    ]
}

/// `None`: the payload's own type; `Some(None)`: no Content-Type.
fn content_type() -> impl Strategy<Value = Option<Option<String>>> {
    prop_oneof![
        8 => Just(None),
        4 => prop_oneof![
            Just("text/csv"),
            Just("text/csv; charset=utf-8"),
            Just("TEXT/CSV"),
            Just("application/vnd.apache.parquet"),
            Just("application/vnd.apache.arrow.file"),
            Just("application/vnd.apache.arrow.stream"),
            Just("application/octet-stream"),
            Just("application/json"),
            Just("text/plain"),
            Just("multipart/form-data"),
            Just("multipart/form-data; boundary="),
            Just("multipart/form-data; boundary=\"unclosed"),
            Just(""),
            Just(";;;"),
        ]
        .prop_map(|s| Some(Some(s.to_owned()))),
        1 => header_text().prop_map(|s| Some(Some(s))),
        1 => Just(Some(None)),
    ]
}

fn wrapping() -> impl Strategy<Value = Wrapping> {
    let multipart = (
        "[A-Za-z0-9'()+_,./:=?-]{1,70}",
        proptest::option::weighted(0.15, "[A-Za-z0-9-]{0,20}"),
        prop_oneof![6 => Just("file".to_owned()), 1 => "[a-z]{0,8}"],
        proptest::option::of("[ -~]{0,40}"),
        0usize..3,
        proptest::option::weighted(0.15, 0u16..1000),
        proptest::option::weighted(0.15, (any::<usize>(), 1u8..=255)),
    )
        .prop_map(
            |(boundary, declared, field, filename, extra_parts, cut, flip)| Wrapping::Multipart {
                boundary,
                declared,
                field,
                filename,
                extra_parts,
                cut,
                flip,
            },
        );
    prop_oneof![
        3 => content_type().prop_map(|content_type| Wrapping::Raw { content_type }),
        2 => multipart,
    ]
}

fn framing() -> impl Strategy<Value = Framing> {
    prop_oneof![
        24 => Just(Framing::Length),
        1 => (1usize..5000).prop_map(Framing::LengthTooLong),
        1 => (1usize..200).prop_map(Framing::LengthTooShort),
        1 => prop_oneof![
            Just("-1".to_owned()),
            Just("12abc".to_owned()),
            Just("99999999999999999999999".to_owned()),
            Just("5, 6".to_owned()),
            "[ -~]{0,12}",
        ]
        .prop_map(Framing::BadLength),
        6 => (1usize..9000).prop_map(Framing::Chunked),
        1 => Just(Framing::BadChunk),
        1 => Just(Framing::ChunkedCut),
        1 => Just(Framing::Both),
    ]
}

fn request() -> impl Strategy<Value = Req> {
    (
        prop_oneof![
            30 => Just("POST".to_owned()),
            1 => Just("GET".to_owned()),
            1 => Just("PUT".to_owned()),
            1 => "[A-Z]{1,10}",
        ],
        prop_oneof![
            30 => Just("/v1/verify".to_owned()),
            4 => Just("/v1/verify?format=html".to_owned()),
            1 => Just("/v1/verify?format=xml".to_owned()),
            1 => Just("/v1/verify?format=".to_owned()),
            1 => Just("/v1/verify?%ff%00=&&format=json".to_owned()),
            1 => Just("/".to_owned()),
            1 => "/[!-~]{0,30}",
        ],
        auth(),
        payload(),
        wrapping(),
        framing(),
        proptest::option::weighted(
            0.06,
            prop_oneof![1usize..64 * 1024, (64usize * 1024)..(700 * 1024)],
        ),
        prop_oneof![16 => Just(0usize), 1 => 1usize..60, 1 => 60usize..300],
        proptest::option::weighted(
            0.06,
            (
                proptest::collection::vec(any::<u8>(), 0..12),
                proptest::collection::vec(any::<u8>(), 0..40),
            ),
        ),
    )
        .prop_map(
            |(method, target, auth, payload, wrapping, framing, giant, many, odd_header)| Req {
                method,
                target,
                auth,
                payload,
                wrapping,
                framing,
                giant,
                many,
                odd_header,
            },
        )
}

fn flip(bytes: &mut [u8], at: usize, xor: u8) {
    if !bytes.is_empty() {
        let i = at % bytes.len();
        bytes[i] ^= xor;
    }
}

fn permille(len: usize, p: u16) -> usize {
    len * usize::from(p) / 1000
}

/// The file, then the body that carries it, and its content type.
fn body(env: &Env, req: &Req) -> (Vec<u8>, Option<String>) {
    let file = match &req.payload {
        Payload::Csv { cut } => {
            let n = cut.map_or(env.csv.len(), |p| permille(env.csv.len(), p));
            env.csv[..n].to_vec()
        }
        Payload::Parquet { flip: change } => {
            let mut b = env.parquet.clone();
            if let Some((at, xor)) = change {
                flip(&mut b, *at, *xor);
            }
            b
        }
        Payload::Arrow { flip: change } => {
            let mut b = env.arrow.clone();
            if let Some((at, xor)) = change {
                flip(&mut b, *at, *xor);
            }
            b
        }
        Payload::Magic { kind, junk } => match kind {
            0 => [b"PAR1", &junk[..], b"PAR1"].concat(),
            1 => [b"ARROW1\0\0", &junk[..], b"ARROW1"].concat(),
            _ => [&[0xFF, 0xFF, 0xFF, 0xFF][..], &junk[..]].concat(),
        },
        Payload::Junk(j) => j.clone(),
        Payload::Big(n) => vec![b'A'; *n],
    };
    match &req.wrapping {
        Wrapping::Raw { content_type } => {
            let own = match &req.payload {
                Payload::Parquet { .. } => "application/vnd.apache.parquet",
                Payload::Arrow { .. } => "application/vnd.apache.arrow.file",
                Payload::Magic { .. } | Payload::Junk(_) => "application/octet-stream",
                Payload::Csv { .. } | Payload::Big(_) => "text/csv",
            };
            let content_type = content_type.clone().unwrap_or(Some(own.to_owned()));
            (file, content_type)
        }
        Wrapping::Multipart {
            boundary,
            declared,
            field,
            filename,
            extra_parts,
            cut,
            flip: change,
        } => {
            let mut b = Vec::new();
            for i in 0..*extra_parts {
                b.extend_from_slice(
                    format!(
                        "--{boundary}\r\nContent-Disposition: form-data; name=\"note{i}\"\r\n\r\n\
                         a note\r\n"
                    )
                    .as_bytes(),
                );
            }
            let filename = filename
                .as_ref()
                .map(|f| format!("; filename=\"{f}\""))
                .unwrap_or_default();
            b.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"{filename}\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            b.extend_from_slice(&file);
            b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            if let Some((at, xor)) = change {
                flip(&mut b, *at, *xor);
            }
            if let Some(p) = cut {
                b.truncate(permille(b.len(), *p));
            }
            let declared = declared.as_deref().unwrap_or(boundary);
            // Boundaries with characters special in header parameters are
            // quoted, as browsers do.
            let plain = declared
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "'+_-.".contains(c));
            let declared = if plain {
                declared.to_owned()
            } else {
                format!("\"{declared}\"")
            };
            (b, Some(format!("multipart/form-data; boundary={declared}")))
        }
    }
}

/// The request's bytes, and whether the client stops sending before the
/// body it announced is complete (and then closes its sending side).
fn bytes(env: &Env, req: &Req) -> (Vec<u8>, bool) {
    let (body, content_type) = body(env, req);
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: 127.0.0.1\r\n",
        req.method, req.target
    )
    .into_bytes();
    let mut header = |name: &[u8], value: &[u8]| {
        head.extend_from_slice(name);
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    };
    match &req.auth {
        Auth::Missing => {}
        Auth::Valid => header(b"Authorization", format!("Bearer {TOKEN}").as_bytes()),
        Auth::Wrong => header(
            b"Authorization",
            b"Bearer fuzz-ffffffffffffffffffffffffffffffffff",
        ),
        Auth::Other(v) => header(b"Authorization", v),
    }
    if let Some(ct) = &content_type {
        header(b"Content-Type", ct.as_bytes());
    }
    if let Some(n) = req.giant {
        header(b"X-Padding", &vec![b'p'; n]);
    }
    for i in 0..req.many {
        header(format!("X-Extra-{i}").as_bytes(), b"1");
    }
    if let Some((name, value)) = &req.odd_header {
        header(name, value);
    }
    header(b"Connection", b"close");
    let mut out_body = Vec::new();
    let mut ends_early = false;
    match &req.framing {
        Framing::Length => {
            header(b"Content-Length", body.len().to_string().as_bytes());
            out_body = body;
        }
        Framing::LengthTooLong(n) => {
            header(b"Content-Length", (body.len() + n).to_string().as_bytes());
            out_body = body;
            ends_early = true;
        }
        Framing::LengthTooShort(n) => {
            header(
                b"Content-Length",
                body.len().saturating_sub(*n).to_string().as_bytes(),
            );
            out_body = body;
        }
        Framing::BadLength(v) => {
            header(b"Content-Length", v.as_bytes());
            out_body = body;
        }
        Framing::Chunked(size) => {
            header(b"Transfer-Encoding", b"chunked");
            for chunk in body.chunks(*size) {
                out_body.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                out_body.extend_from_slice(chunk);
                out_body.extend_from_slice(b"\r\n");
            }
            out_body.extend_from_slice(b"0\r\n\r\n");
        }
        Framing::BadChunk => {
            header(b"Transfer-Encoding", b"chunked");
            out_body.extend_from_slice(b"zz\r\n");
            out_body.extend_from_slice(&body);
            out_body.extend_from_slice(b"\r\n0\r\n\r\n");
        }
        Framing::ChunkedCut => {
            header(b"Transfer-Encoding", b"chunked");
            out_body.extend_from_slice(format!("{:x}\r\n", body.len() + 100).as_bytes());
            out_body.extend_from_slice(&body);
            ends_early = true;
        }
        Framing::Both => {
            header(b"Content-Length", body.len().to_string().as_bytes());
            header(b"Transfer-Encoding", b"chunked");
            out_body.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
            out_body.extend_from_slice(&body);
            out_body.extend_from_slice(b"\r\n0\r\n\r\n");
        }
    }
    head.extend_from_slice(b"\r\n");
    head.extend_from_slice(&out_body);
    (head, ends_early)
}

/// What came back.
#[derive(Debug)]
struct Answer {
    status: u16,
    request_id: bool,
    content_type: String,
    body: Vec<u8>,
}

/// Writes `request` while reading; returns the first answer, or `None` if
/// the connection closed (or 30 s passed) without a whole one.
async fn exchange(addr: SocketAddr, request: Vec<u8>, ends_early: bool) -> Option<Answer> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let writer = tokio::spawn(async move {
        // The server may answer (and close) before reading everything: a
        // failed write is not the test's concern, the answer is.
        for piece in request.chunks(64 * 1024) {
            if wr.write_all(piece).await.is_err() {
                return None;
            }
        }
        if ends_early {
            let _ = wr.shutdown().await;
        }
        // Keep the sending side (if open) until the reader is done.
        Some(wr)
    });
    let mut got = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let answer = loop {
        if let Some(a) = parse_answer(&got) {
            break Some(a);
        }
        match tokio::time::timeout_at(deadline, rd.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break parse_answer(&got),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    };
    drop(writer.await);
    answer
}

/// A whole answer with a Content-Length (or none: an empty body) at the
/// start of `got`.
fn parse_answer(got: &[u8]) -> Option<Answer> {
    let end = got.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
    let status = head
        .strip_prefix("http/1.1 ")
        .and_then(|s| s.get(..3))
        .and_then(|s| s.parse().ok())?;
    let field = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_owned())
    };
    let len: usize = field("content-length:").map_or(Some(0), |v| v.parse().ok())?;
    let body = got.get(end + 4..end + 4 + len)?.to_vec();
    Some(Answer {
        status,
        request_id: field("x-request-id:").is_some(),
        content_type: field("content-type:").unwrap_or_default(),
        body,
    })
}

/// Sends `req` and checks its answer; returns the answer's status.
fn check(env: &Env, req: &Req) -> Result<u16, TestCaseError> {
    let (request, ends_early) = bytes(env, req);
    let answer = env
        .runtime
        .block_on(exchange(env.addr, request, ends_early));
    let Some(answer) = answer else {
        return Err(TestCaseError::fail(
            "no whole answer: the connection was dropped",
        ));
    };
    let what = || {
        format!(
            "{} {}: {:?}",
            answer.status,
            answer.content_type,
            String::from_utf8_lossy(&answer.body[..answer.body.len().min(300)])
        )
    };
    prop_assert!(answer.status < 500, "a server error: {}", what());
    let path = req.target.split('?').next().unwrap_or("");
    let to_verify = req.method == "POST" && path == "/v1/verify";
    if path == "/v1/verify" && req.auth != Auth::Valid {
        prop_assert_ne!(answer.status, 200, "verified without a valid token");
    }
    if to_verify && answer.request_id {
        if answer.status == 200 {
            if answer.content_type.starts_with("application/json") {
                let report: serde_json::Value = serde_json::from_slice(&answer.body)
                    .map_err(|e| TestCaseError::fail(format!("a 200 that is not JSON: {e}")))?;
                prop_assert!(report["accused"].is_array(), "{}", what());
            } else {
                prop_assert!(answer.content_type.starts_with("text/html"), "{}", what());
            }
        } else if answer.status != 405 && answer.status != 404 {
            // The handler's own refusals explain themselves.
            let err: serde_json::Value = serde_json::from_slice(&answer.body)
                .map_err(|e| TestCaseError::fail(format!("{e}: {}", what())))?;
            prop_assert!(err["error"].is_string(), "{}", what());
            prop_assert!(err["request_id"].is_string(), "{}", what());
        }
    }
    Ok(answer.status)
}

#[test]
fn every_generated_request_gets_a_clean_answer_and_the_service_keeps_working() {
    let env = env();
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    // Deterministic: the same requests every run, so a failure found once
    // is found again.
    let rng = proptest::test_runner::TestRng::deterministic_rng(config.rng_algorithm);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let statuses = std::sync::Mutex::new(std::collections::BTreeMap::<u16, u32>::new());
    let result = runner.run(&request(), |req| {
        let status = check(env, &req)?;
        *statuses.lock().unwrap().entry(status).or_default() += 1;
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // The generated requests reach every kind of answer, not one refusal.
    let statuses = statuses.into_inner().unwrap();
    #[allow(clippy::print_stderr)] // Seen with `-- --nocapture`.
    {
        eprintln!("answers by status: {statuses:?}");
    }
    for expected in [200, 400, 401, 413, 415, 431] {
        assert!(
            statuses.contains_key(&expected),
            "no request got {expected}: {statuses:?}"
        );
    }
    // The service still works, and every spooled upload was removed.
    let (status, report) = env
        .runtime
        .block_on(post_csv(env.addr, TOKEN, env.csv.clone()));
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        report["accused"][0]["recipient"],
        env.fixture.recipients[0].as_str()
    );
    let left: Vec<_> = std::fs::read_dir(&env.spool).unwrap().collect();
    assert!(left.is_empty(), "spool files left: {left:?}");
}
