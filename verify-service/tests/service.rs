//! The service on loopback, with a real HTTP client, against a state made
//! with the `watermark` library.

mod support;

use std::path::PathBuf;
use std::sync::OnceLock;

use support::{full, make_fixture, post_csv, raw_exchange, send, write_tokens, Fixture, Server};
use verify_service::tokens::Tokens;
use verify_service::Config;

const ALICE: &str = "alice-0123456789abcdef0123456789";
const BOB: &str = "bob-fedcba9876543210fedcba9876543";
/// Used by one test only, so the log entries under its name are that test's.
const REPORTER: &str = "reporter-5a5a5a5a5a5a5a5a5a5a5a5a";

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verify-service-tests");
        make_fixture(&dir, 3_000, 4, 50)
    })
}

fn config() -> Config {
    let tokens = Tokens::parse(&format!(
        "# test investigators\n{ALICE} fiscalia-7 alice\n\n{BOB} fiscalia-8 bob\n{REPORTER} report-tester\n"
    ))
    .unwrap();
    Config::new(fixture().state.clone(), tokens)
}

fn log_text() -> String {
    let dir = fixture().state.join("log");
    let mut text = String::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            text.push_str(&String::from_utf8_lossy(&std::fs::read(p).unwrap()));
        }
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leak_names_its_recipient_and_the_log_names_the_investigator() {
    let f = fixture();
    let server = Server::start(config()).await;
    let csv = std::fs::read(&f.leaks[2]).unwrap();
    let (status, report) = post_csv(server.addr, ALICE, csv.clone()).await;
    assert_eq!(status, 200, "{report}");
    let accused: Vec<&str> = report["accused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["recipient"].as_str().unwrap())
        .collect();
    assert_eq!(accused, [f.recipients[2].as_str()]);
    assert_eq!(report["rows_read"], 50);
    assert_eq!(report["leak"]["file"], "upload.csv");
    assert_eq!(report["recipients"].as_array().unwrap().len(), 4);
    // The very report of `watermark verify --json`: the same fields in the
    // same order, the same scores.
    let cli = watermark_app::verify::run(
        &watermark_app::verify::Settings {
            state: f.state.clone(),
            leaked: f.leaks[2].clone(),
            threshold: None,
            investigator: "cli-comparison".into(),
            master: None,
            encoding: None,
        },
        support::QUIET,
    )
    .unwrap();
    let cli_json = serde_json::to_string(&cli).unwrap();
    let (_, _, raw) = send(
        server.addr,
        "POST",
        "/v1/verify",
        &[
            ("authorization", &format!("Bearer {ALICE}")),
            ("content-type", "text/csv"),
        ],
        full(csv.clone()),
    )
    .await;
    let raw = String::from_utf8(raw.to_vec()).unwrap();
    assert!(raw.starts_with("{\"tool\":"), "{}", &raw[..40]);
    let cli_value: serde_json::Value = serde_json::from_str(&cli_json).unwrap();
    assert_eq!(report["recipients"], cli_value["recipients"]);
    assert_eq!(report["leak"]["blake3"], cli_value["leak"]["blake3"]);

    // A multipart upload of another leak, by the investigator without a name.
    let boundary = "XyZboundary42";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nignored\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"C:\\\\dl\\\\foro.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&std::fs::read(&f.leaks[1]).unwrap());
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let ct = format!("multipart/form-data; boundary={boundary}");
    let auth = format!("Bearer {BOB}");
    let (status, headers, bytes) = send(
        server.addr,
        "POST",
        "/v1/verify",
        &[("authorization", &auth), ("content-type", &ct)],
        full(body),
    )
    .await;
    let report: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(status, 200, "{report}");
    assert!(headers.contains_key("x-request-id"));
    assert_eq!(report["accused"][0]["recipient"], f.recipients[1].as_str());
    assert_eq!(report["leak"]["file"], "foro.csv");

    // Both verifications are logged under the investigators' names, and no
    // token is anywhere in the log.
    let log = log_text();
    assert!(log.contains("fiscalia-7 alice"));
    assert!(log.contains("fiscalia-8 bob"));
    assert!(!log.contains(ALICE) && !log.contains(BOB));
    assert!(!log.contains(&ALICE[..16]));
    server.stop().await;
}

/// A multipart upload of `csv` as `filename`, to `path`, with extra headers.
async fn upload(
    addr: std::net::SocketAddr,
    path: &str,
    token: &str,
    filename: &str,
    csv: &[u8],
    extra: &[(&str, &str)],
) -> (hyper::StatusCode, hyper::HeaderMap, bytes::Bytes) {
    let boundary = "RePoRtBoUnDaRy7";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(csv);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let ct = format!("multipart/form-data; boundary={boundary}");
    let auth = format!("Bearer {token}");
    let mut headers = vec![
        ("authorization", auth.as_str()),
        ("content-type", ct.as_str()),
    ];
    headers.extend_from_slice(extra);
    send(addr, "POST", path, &headers, full(body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signed_report_verifies_with_the_states_key_and_is_one_verification() {
    use watermark_app::report;
    let f = fixture();
    let server = Server::start(config()).await;
    let csv = std::fs::read(&f.leaks[3]).unwrap();
    // A file name meant to be markup.
    let name = "<img src=x onerror=alert(1)>&.csv";
    let (status, headers, bytes) = upload(
        server.addr,
        "/v1/verify?format=html",
        REPORTER,
        name,
        &csv,
        &[],
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"evidence-"));

    // One upload, one verification in the log.
    let state = watermark_app::State::open(&f.state).unwrap();
    let log = state.log().unwrap();
    let mine: Vec<&watermark_log::VerifyEntry> = log
        .entries()
        .filter_map(|e| match e {
            watermark_log::Entry::Verify(v) if v.investigator == "report-tester" => Some(v),
            _ => None,
        })
        .collect();
    assert_eq!(mine.len(), 1);

    // It verifies with the state's public key, and names the upload.
    let key = state.log_verifier().unwrap();
    let payload = report::check_signature(&bytes, &key).unwrap();
    let json = report::embedded_json(payload).unwrap();
    assert_eq!(json["leak"]["file"], name);
    assert_eq!(json["leak"]["blake3"], mine[0].leak_blake3.as_str());
    assert_eq!(json["accused"][0]["recipient"], f.recipients[3].as_str());
    let html = std::str::from_utf8(&bytes).unwrap();
    assert!(!html.contains("<img") && html.contains("&lt;img src=x onerror=alert(1)&gt;&amp;.csv"));
    // Its receipts check out against the key.
    let receipt: watermark_log::Receipt =
        serde_json::from_value(json["log"]["verification"].clone()).unwrap();
    let v = receipt.verify(&key).unwrap();
    assert!(
        matches!(v.entry, watermark_log::Entry::Verify(ref e) if e.investigator == "report-tester")
    );
    for c in json["log"]["accused"][0]["copies"].as_array().unwrap() {
        let r: watermark_log::Receipt = serde_json::from_value(c.clone()).unwrap();
        r.verify(&key).unwrap();
    }
    // Another key, or one changed byte, and it does not.
    let other = watermark_log::tlog::Signer::generate(key.name())
        .unwrap()
        .verifier();
    assert!(report::check_signature(&bytes, &other).is_err());
    for at in [0, bytes.len() / 3, bytes.len() - 40] {
        let mut changed = bytes.to_vec();
        changed[at] ^= 0x01;
        assert!(
            report::check_signature(&changed, &key).is_err(),
            "byte {at}"
        );
    }

    // Accept: text/html asks for it too; JSON stays the default; an
    // unknown format is refused before anything is read or logged.
    let (status, headers, bytes) = upload(
        server.addr,
        "/v1/verify",
        REPORTER,
        "a.csv",
        &csv,
        &[("accept", "text/html,application/xhtml+xml,*/*;q=0.8")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    report::check_signature(&bytes, &key).unwrap();
    let (status, headers, _) = upload(
        server.addr,
        "/v1/verify",
        REPORTER,
        "a.csv",
        &csv,
        &[("accept", "*/*")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/json");
    let (status, headers, _) = upload(
        server.addr,
        "/v1/verify?format=json",
        REPORTER,
        "a.csv",
        &csv,
        &[("accept", "text/html")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/json");
    let before = state.log().unwrap().size();
    let (status, _, body) = upload(
        server.addr,
        "/v1/verify?format=pdf",
        REPORTER,
        "a.csv",
        &csv,
        &[],
    )
    .await;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    let after = state.log().unwrap();
    let logged = after
        .entries()
        .skip(before as usize)
        .filter(
            |e| matches!(e, watermark_log::Entry::Verify(v) if v.investigator == "report-tester"),
        )
        .count();
    assert_eq!(logged, 0);
    server.stop().await;
}

#[test]
fn html_is_chosen_only_when_asked_for() {
    use verify_service::prefers_html;
    assert!(prefers_html("text/html"));
    assert!(prefers_html(
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    ));
    assert!(prefers_html("text/html, */*"));
    assert!(prefers_html("application/json;q=0.5, text/html"));
    assert!(!prefers_html(""));
    assert!(!prefers_html("*/*"));
    assert!(!prefers_html("application/json"));
    assert!(!prefers_html("application/json, text/html"));
    assert!(!prefers_html("text/html;q=0.4, application/*"));
    assert!(!prefers_html("text/html;q=0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_verifications_all_get_logged() {
    let f = fixture();
    let server = Server::start(config()).await;
    let before = watermark_app::State::open(&f.state)
        .unwrap()
        .log()
        .unwrap()
        .size();
    let csv = std::fs::read(&f.leaks[0]).unwrap();
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let csv = csv.clone();
        let addr = server.addr;
        tasks.push(tokio::spawn(
            async move { post_csv(addr, ALICE, csv).await },
        ));
    }
    for t in tasks {
        let (status, report) = t.await.unwrap();
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["accused"][0]["recipient"], f.recipients[0].as_str());
    }
    // Other tests verify at the same time: at least these six were added,
    // and under the state's lock (no append under way) the log verifies
    // with nothing uncommitted.
    let state = watermark_app::State::open(&f.state).unwrap();
    let lock = state.lock().unwrap();
    let log = state.log().unwrap();
    assert!(log.size() >= before + 6);
    assert!(log.uncommitted().is_none());
    drop(lock);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_required_and_checked() {
    let f = fixture();
    let server = Server::start(config()).await;
    let csv = std::fs::read(&f.leaks[0]).unwrap();
    let (status, headers, body) = send(
        server.addr,
        "POST",
        "/v1/verify",
        &[("content-type", "text/csv")],
        full(csv.clone()),
    )
    .await;
    assert_eq!(status, 401);
    assert!(headers["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    let err: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(err["error"].as_str().unwrap().contains("Bearer"));
    assert_eq!(err["request_id"], headers["x-request-id"].to_str().unwrap());

    let wrong = "alice-0123456789abcdef0123456788";
    for auth in [
        format!("Bearer {wrong}"),
        format!("Basic {ALICE}"),
        "Bearer".into(),
    ] {
        let (status, headers, body) = send(
            server.addr,
            "POST",
            "/v1/verify",
            &[("authorization", &auth), ("content-type", "text/csv")],
            full(csv.clone()),
        )
        .await;
        assert_eq!(status, 401);
        assert!(headers.contains_key("www-authenticate"));
        assert!(!String::from_utf8_lossy(&body).contains(wrong));
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_content_type_is_415_and_bad_leaks_are_400() {
    let server = Server::start(config()).await;
    let auth = format!("Bearer {ALICE}");
    for ct in [Some("image/png"), Some("text/plain"), None] {
        let mut headers = vec![("authorization", auth.as_str())];
        if let Some(ct) = ct {
            headers.push(("content-type", ct));
        }
        let (status, _, body) = send(server.addr, "POST", "/v1/verify", &headers, full("{}")).await;
        assert_eq!(status, 415, "{ct:?}");
        let err: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(err["error"].as_str().unwrap().contains("text/csv"));
    }
    // A leak without the identity column, and a ragged one: 400 naming the
    // row, never the spool file.
    let (status, err) = post_csv(server.addr, ALICE, b"A,B\n1,2\n".to_vec()).await;
    assert_eq!(status, 400, "{err}");
    let msg = err["error"].as_str().unwrap();
    assert!(
        msg.starts_with("upload.csv: ") && msg.contains("CURP"),
        "{msg}"
    );
    let mut ragged = std::fs::read(&fixture().leaks[0]).unwrap();
    ragged.extend_from_slice(b"only,three,fields\n");
    let (status, err) = post_csv(server.addr, ALICE, ragged).await;
    assert_eq!(status, 400, "{err}");
    let msg = err["error"].as_str().unwrap();
    assert!(
        msg.contains("row 51") && !msg.contains("verify-service-"),
        "{msg}"
    );
    server.stop().await;
}

/// A failed verification is answered by whose fault it is: an upload that
/// cannot be read is 400 with the message, a state that cannot be used
/// (its master key gone, its log damaged, after the service started) is
/// 500 with nothing of the reason. On a state of its own, as it is
/// damaged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_uploads_faults_are_400_and_the_servers_are_500_without_detail() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verify-service-faults");
    let f = make_fixture(&dir, 1_500, 2, 40);
    let tokens = Tokens::parse(&format!("{ALICE} fiscalia-7\n")).unwrap();
    let server = Server::start(Config::new(f.state.clone(), tokens)).await;
    let auth = format!("Bearer {ALICE}");
    let leak = std::fs::read(&f.leaks[1]).unwrap();
    let (status, report) = post_csv(server.addr, ALICE, leak.clone()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["accused"][0]["recipient"], f.recipients[1].as_str());

    // The upload's faults: a Parquet file that is not one inside, a CSV
    // without the identity columns, a ragged CSV.
    let (status, _, body) = send(
        server.addr,
        "POST",
        "/v1/verify",
        &[
            ("authorization", &auth),
            ("content-type", "application/vnd.apache.parquet"),
        ],
        full(b"PAR1 and then no Parquet at all".to_vec()),
    )
    .await;
    let err: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, 400, "{err}");
    let msg = err["error"].as_str().unwrap();
    assert!(msg.starts_with("upload.parquet: "), "{msg}");
    assert!(err["request_id"].is_string());
    let (status, err) = post_csv(server.addr, ALICE, b"A,B\n1,2\n".to_vec()).await;
    assert_eq!(status, 400, "{err}");
    assert!(err["error"].as_str().unwrap().contains("CURP"), "{err}");
    let mut ragged = leak.clone();
    ragged.extend_from_slice(b"only,three,fields\n");
    let (status, err) = post_csv(server.addr, ALICE, ragged).await;
    assert_eq!(status, 400, "{err}");
    assert!(err["error"].as_str().unwrap().contains("row 41"), "{err}");

    // Nothing of the server's reason reaches the client: not the state's
    // path, not the file that is missing or damaged, not the library's
    // words for it.
    let secret_free = |status: hyper::StatusCode, body: &[u8]| {
        let text = String::from_utf8_lossy(body).into_owned();
        assert_eq!(status, 500, "{text}");
        let err: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(err["request_id"].is_string(), "{text}");
        assert_eq!(
            err["error"],
            "the verification failed on the server; its log has the reason under this request id"
        );
        for detail in [
            "verify-service-faults",
            "state",
            "master.key",
            "entries",
            "checkpoint",
        ] {
            assert!(!text.contains(detail), "{detail} in {text}");
        }
    };
    let post = |body: Vec<u8>| {
        let auth = auth.clone();
        async move {
            send(
                server.addr,
                "POST",
                "/v1/verify",
                &[("authorization", &auth), ("content-type", "text/csv")],
                full(body),
            )
            .await
        }
    };

    // The master key removed: the server's fault, for JSON and HTML alike.
    let key_file = f.state.join("master.key");
    let key = std::fs::read(&key_file).unwrap();
    std::fs::remove_file(&key_file).unwrap();
    let (status, _, body) = post(leak.clone()).await;
    secret_free(status, &body);
    let (status, _, body) = upload(
        server.addr,
        "/v1/verify?format=html",
        ALICE,
        "leak.csv",
        &leak,
        &[],
    )
    .await;
    secret_free(status, &body);

    // The key back, the service verifies again.
    std::fs::write(&key_file, &key).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let (status, report) = post_csv(server.addr, ALICE, leak.clone()).await;
    assert_eq!(status, 200, "{report}");

    // A byte of the log's first entry changed: the log no longer verifies.
    let entries = f.state.join("log").join("entries");
    let mut bytes = std::fs::read(&entries).unwrap();
    let at = bytes.iter().position(|&b| b == b'"').unwrap() + 1;
    bytes[at] ^= 0x01;
    std::fs::write(&entries, &bytes).unwrap();
    let (status, _, body) = post(leak.clone()).await;
    secret_free(status, &body);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_multipart_and_truncated_bodies_are_clean_4xx() {
    let server = Server::start(config()).await;
    let auth = format!("Bearer {ALICE}");
    let cases: [(&str, &[u8]); 5] = [
        // No boundary parameter.
        ("multipart/form-data", b"--x\r\n\r\n"),
        // Garbage where parts should be.
        (
            "multipart/form-data; boundary=abc",
            b"this is not multipart at all",
        ),
        // A part that never ends.
        (
            "multipart/form-data; boundary=abc",
            b"--abc\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nCURP\r\nAAAA",
        ),
        // Well-formed, without a `file` field.
        (
            "multipart/form-data; boundary=abc",
            b"--abc\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--abc--\r\n",
        ),
        // Two `file` fields: which one was verified would be a guess.
        (
            "multipart/form-data; boundary=abc",
            b"--abc\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nCURP\r\nA\r\n\
              --abc\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.csv\"\r\n\r\nCURP\r\nB\r\n\
              --abc--\r\n",
        ),
    ];
    for (ct, body) in cases {
        let (status, _, bytes) = send(
            server.addr,
            "POST",
            "/v1/verify",
            &[("authorization", &auth), ("content-type", ct)],
            full(body.to_vec()),
        )
        .await;
        assert_eq!(status, 400, "{ct} {}", String::from_utf8_lossy(&bytes));
        let err: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert!(err["error"].is_string() && err["request_id"].is_string());
        if body.windows(8).filter(|w| w == b"filename").count() == 2 {
            let msg = err["error"].as_str().unwrap();
            assert!(msg.contains("more than one field named `file`"), "{msg}");
        }
    }
    // A body shorter than its Content-Length, the sending side closed.
    for ct in ["text/csv", "multipart/form-data; boundary=abc"] {
        let head = format!(
            "POST /v1/verify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ALICE}\r\n\
             Content-Type: {ct}\r\nContent-Length: 100000\r\n\r\n"
        );
        let status = raw_exchange(server.addr, &head, b"--abc\r\n", 1000, true).await;
        assert_eq!(status, Some(400), "{ct}");
    }
    // The server still works.
    let (status, _) = post_csv(
        server.addr,
        ALICE,
        std::fs::read(&fixture().leaks[3]).unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_are_refused_while_streaming() {
    let mut config = config();
    config.max_body_bytes = 1024 * 1024;
    config.spool_dir = Some(fixture().state.parent().unwrap().join("spool"));
    std::fs::create_dir_all(config.spool_dir.as_ref().unwrap()).unwrap();
    let spool = config.spool_dir.clone().unwrap();
    let server = Server::start(config).await;
    // 5 MiB, chunked (no Content-Length), as text/csv and as multipart.
    for ct in ["text/csv", "multipart/form-data; boundary=abc"] {
        let head = format!(
            "POST /v1/verify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ALICE}\r\n\
             Content-Type: {ct}\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        // One chunk header announcing all of it; the bytes follow in pieces.
        let prefix = format!(
            "{:x}\r\n--abc\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n",
            5 * 1024 * 1024 + 49
        );
        let status = raw_exchange(
            server.addr,
            &head,
            prefix.as_bytes(),
            5 * 1024 * 1024,
            false,
        )
        .await;
        assert_eq!(status, Some(413), "{ct}");
    }
    // A declared length over the limit is refused before any byte is read.
    let status = raw_exchange(
        server.addr,
        &format!(
            "POST /v1/verify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ALICE}\r\n\
             Content-Type: text/csv\r\nContent-Length: {}\r\n\r\n",
            5 * 1024 * 1024
        ),
        b"",
        5 * 1024 * 1024,
        false,
    )
    .await;
    assert_eq!(status, Some(413));
    // The server keeps working, and left no spool file behind.
    let (status, report) = post_csv(
        server.addr,
        ALICE,
        std::fs::read(&fixture().leaks[0]).unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(std::fs::read_dir(&spool).unwrap().count(), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_token_is_rate_limited() {
    let mut config = config();
    config.rate_limit = 2;
    let server = Server::start(config).await;
    let csv = std::fs::read(&fixture().leaks[0]).unwrap();
    for _ in 0..2 {
        assert_eq!(post_csv(server.addr, ALICE, csv.clone()).await.0, 200);
    }
    let auth = format!("Bearer {ALICE}");
    let (status, headers, _) = send(
        server.addr,
        "POST",
        "/v1/verify",
        &[("authorization", &auth), ("content-type", "text/csv")],
        full(csv.clone()),
    )
    .await;
    assert_eq!(status, 429);
    assert!(
        headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    // Another investigator's bucket is full.
    assert_eq!(post_csv(server.addr, BOB, csv).await.0, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_and_the_openapi_document() {
    let server = Server::start(config()).await;
    let (status, headers, body) = send(server.addr, "GET", "/", &[], full("")).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let page = String::from_utf8(body.to_vec()).unwrap();
    assert!(page.contains("/v1/verify") && page.contains("type=\"file\""));
    // One request gives the page its report and the signed file to download.
    assert!(page.contains("/v1/verify?format=html") && page.contains("id=\"download-report\""));
    for id in [
        "form", "token", "drop", "chosen", "file", "go", "download", "status", "result",
    ] {
        assert!(page.contains(&format!("id=\"{id}\"")), "{id}");
    }
    // Nothing from elsewhere.
    assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("src=\""));

    let (status, _, body) = send(server.addr, "GET", "/openapi.json", &[], full("")).await;
    assert_eq!(status, 200);
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for p in ["/v1/verify", "/openapi.json", "/", "/healthz"] {
        assert!(paths.contains_key(p), "{p}");
    }
    let responses = doc["paths"]["/v1/verify"]["post"]["responses"]
        .as_object()
        .unwrap();
    for code in ["200", "400", "401", "413", "415", "429"] {
        assert!(responses.contains_key(code), "{code}");
    }
    server.stop().await;
}

/// `/healthz` says whether the state can be used, without a token, and
/// says nothing of why not but to the server's log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_says_whether_the_state_can_be_used() {
    let server = Server::start(config()).await;
    let (status, _, body) = send(server.addr, "GET", "/healthz", &[], full("")).await;
    assert_eq!(status, 200);
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(doc["status"], "ok");
    assert!(doc["log_entries"].as_u64().unwrap() >= 1);
    server.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let mut broken = config();
    broken.state = dir.path().join("no-state-here");
    let server = Server::start(broken).await;
    let (status, _, body) = send(server.addr, "GET", "/healthz", &[], full("")).await;
    assert_eq!(status, 503);
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(
        text.contains("unavailable") && !text.contains("no-state-here"),
        "{text}"
    );
    server.stop().await;
}

#[test]
fn a_tokens_file_others_can_read_is_refused() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verify-service-tokens");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tokens");
    write_tokens(&path, &format!("{ALICE} alice\n"));
    assert!(Tokens::load(&path).is_ok());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = format!("{:#}", Tokens::load(&path).unwrap_err());
        assert!(err.contains("chmod 600") && !err.contains(ALICE), "{err}");
    }
}

/// The service checks the state against its witnesses as `watermark verify`
/// does: a state whose witnesses cannot vouch for it verifies nothing and
/// logs nothing (500), and verifies again once the list is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_its_witnesses_cannot_vouch_for_verifies_nothing() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verify-service-witnessed");
    let f = make_fixture(&dir, 1_500, 2, 40);
    let witness = watermark_app::Witness::init(&dir.join("witness"), "witness-a.example").unwrap();
    // Nothing listens on port 9 of the loopback: the witness cannot cosign.
    let list = dir.join("state-witnesses.toml");
    std::fs::write(
        &list,
        format!(
            "required = 1\n\n[[witness]]\nname = \"witness-a.example\"\n\
             url = \"http://127.0.0.1:9\"\nkey = \"{}\"\n",
            witness.to_vkey()
        ),
    )
    .unwrap();
    let in_state = f.state.join(watermark_app::WITNESSES_FILE);
    std::fs::copy(&list, &in_state).unwrap();
    let logged = || {
        watermark_app::State::open(&f.state)
            .unwrap()
            .log()
            .unwrap()
            .size()
    };
    let before = logged();
    let tokens = Tokens::parse(&format!("{ALICE} fiscalia-7\n")).unwrap();
    let server = Server::start(Config::new(f.state.clone(), tokens)).await;
    let leak = std::fs::read(&f.leaks[1]).unwrap();
    let (status, err) = post_csv(server.addr, ALICE, leak.clone()).await;
    assert_eq!(status, 500, "{err}");
    assert!(!err.to_string().contains("127.0.0.1"), "{err}");
    assert_eq!(logged(), before, "nothing is logged");
    std::fs::remove_file(&in_state).unwrap();
    let (status, report) = post_csv(server.addr, ALICE, leak).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["accused"][0]["recipient"], f.recipients[1].as_str());
    assert_eq!(logged(), before + 1);
    server.stop().await;
}

/// The text a Spanish reader sees in a page or report: the embedded JSON
/// report (language-neutral data) left out, entities read back.
fn human_text(html: &str) -> String {
    let text = match html.find("<script type=\"application/json\"") {
        Some(start) => {
            let end = start + html[start..].find("</script>").unwrap();
            format!("{}{}", &html[..start], &html[end..])
        }
        None => html.to_owned(),
    };
    text.replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_and_the_report_are_spanish_for_a_spanish_browser() {
    use watermark_app::messages::english_in;
    use watermark_app::report;
    let f = fixture();
    let server = Server::start(config()).await;
    let get = |path: &'static str, accept: &'static str| async move {
        let (status, headers, body) = send(
            server.addr,
            "GET",
            path,
            &[("accept-language", accept)],
            full(""),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(headers["vary"], "Accept-Language");
        String::from_utf8(body.to_vec()).unwrap()
    };
    let es = get("/", "es-MX,es;q=0.9,en;q=0.5").await;
    assert!(es.contains("<html lang=\"es-MX\">"));
    assert!(es.contains("<title>Verificar un extracto filtrado</title>"));
    let found = english_in(&human_text(&es), 3);
    assert!(found.is_empty(), "English in the Spanish page: {found:?}");
    // The switch, and ?lang= over Accept-Language both ways.
    assert!(es.contains("href=\"?lang=en\"") && es.contains("href=\"?lang=es\""));
    let en = get("/?lang=en", "es-MX").await;
    assert!(en.contains("<title>Verify a leaked extract</title>"));
    assert!(!english_in(&human_text(&en), 3).is_empty());
    assert!(get("/?lang=es", "en-US").await.contains("lang=\"es-MX\""));
    assert!(get("/", "").await.contains("<html lang=\"en\">"));

    // The signed report the page asks for, in Spanish: Spanish throughout,
    // and it verifies with the state's key like an English one.
    let csv = std::fs::read(&f.leaks[2]).unwrap();
    let (status, _, bytes) = upload(
        server.addr,
        "/v1/verify?format=html",
        // Not REPORTER: another test counts its verifications.
        ALICE,
        "fuga.csv",
        &csv,
        &[("accept-language", "es-MX")],
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    let html = std::str::from_utf8(&bytes).unwrap();
    assert!(html.contains("<html lang=\"es-MX\">"));
    assert!(html.contains(&format!(
        "Acusado: <span class=\"id\">{}</span>",
        f.recipients[2]
    )));
    let found = english_in(&human_text(html), 3);
    assert!(found.is_empty(), "English in the Spanish report: {found:?}");
    let state = watermark_app::State::open(&f.state).unwrap();
    let key = state.log_verifier().unwrap();
    let payload = report::check_signature(&bytes, &key).unwrap();
    let json = report::embedded_json(payload).unwrap();
    assert_eq!(json["accused"][0]["recipient"], f.recipients[2].as_str());

    // A refusal for a Spanish browser: `error` in English, `message` in
    // Spanish, with the row and the upload's name.
    let mut bad = csv.clone();
    bad.extend_from_slice(b"A,B\n");
    let (status, _, body) = upload(
        server.addr,
        "/v1/verify",
        ALICE,
        "fuga.csv",
        &bad,
        &[("accept-language", "es-MX")],
    )
    .await;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    let err: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let (english, spanish) = (
        err["error"].as_str().unwrap(),
        err["message"].as_str().unwrap(),
    );
    assert!(english.contains("fields but the header has"), "{english}");
    assert!(
        spanish.starts_with("fuga.csv: fila ") && spanish.contains("campos, pero el encabezado"),
        "{spanish}"
    );
    assert!(english_in(spanish, 3).is_empty(), "{spanish}");
    // One the service itself refuses.
    let (status, _, body) = send(
        server.addr,
        "POST",
        "/v1/verify?lang=es",
        &[("authorization", "Bearer nonsense")],
        full("x"),
    )
    .await;
    assert_eq!(status, 401);
    let err: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(err["error"], "the bearer token is not valid");
    assert_eq!(err["message"], "el token no es válido");
    server.stop().await;
}
