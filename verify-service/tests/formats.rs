//! Parquet and Arrow IPC leaks over HTTP: raw bodies of each content type,
//! multipart uploads, and bodies that are not what they are sent as.

mod support;

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::OnceLock;

use support::{full, make_fixture, send, Fixture, Server};
use verify_service::tokens::Tokens;
use verify_service::Config;
use watermark_formats::{convert_columnar, csv_to_parquet, ConvertOptions, Format, HashingReader};

const ALICE: &str = "alice-0123456789abcdef0123456789";

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verify-service-formats");
        make_fixture(&dir, 1_500, 3, 60)
    })
}

fn config() -> Config {
    let tokens = Tokens::parse(&format!("{ALICE} fiscalia-7 alice\n")).unwrap();
    Config::new(fixture().state.clone(), tokens)
}

/// Recipient `i`'s CSV leak (60 rows of their CSV copy) as Parquet.
fn parquet_leak(i: usize) -> Vec<u8> {
    let csv = std::fs::read(&fixture().leaks[i]).unwrap();
    let mut out = Vec::new();
    csv_to_parquet(&csv[..], &mut out, ConvertOptions::default()).unwrap();
    out
}

fn blake3(bytes: &[u8]) -> String {
    let mut r = HashingReader::new(bytes);
    std::io::copy(&mut r, &mut std::io::sink()).unwrap();
    r.digest().0
}

async fn post(
    server: &Server,
    content_type: &str,
    body: Vec<u8>,
) -> (hyper::StatusCode, serde_json::Value) {
    let auth = format!("Bearer {ALICE}");
    let (status, _, bytes) = send(
        server.addr,
        "POST",
        "/v1/verify",
        &[("authorization", &auth), ("content-type", content_type)],
        full(body),
    )
    .await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

fn accused(report: &serde_json::Value) -> Vec<&str> {
    report["accused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["recipient"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parquet_and_arrow_leaks_name_their_recipient_raw_and_multipart() {
    let f = fixture();
    let server = Server::start(config()).await;

    // A raw Parquet body.
    let parquet = parquet_leak(1);
    let (status, report) = post(&server, "application/vnd.apache.parquet", parquet.clone()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(accused(&report), [f.recipients[1].as_str()]);
    assert_eq!(report["rows_read"], 60);
    assert_eq!(report["leak"]["file"], "upload.parquet");
    assert_eq!(report["leak"]["blake3"], blake3(&parquet));
    assert_eq!(report["leak"]["bytes"], parquet.len());

    // The same file as a multipart upload, with the browser's generic type.
    let boundary = "XyZboundary42";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"foro.parquet\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&parquet);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let (status, report) = post(
        &server,
        &format!("multipart/form-data; boundary={boundary}"),
        body,
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(accused(&report), [f.recipients[1].as_str()]);
    assert_eq!(report["leak"]["file"], "foro.parquet");
    assert_eq!(report["leak"]["blake3"], blake3(&parquet));

    // Another leak as an Arrow IPC stream, sent as octet-stream: told by its
    // first bytes.
    let mut stream = Vec::new();
    convert_columnar(
        Cursor::new(parquet_leak(2)),
        Format::Parquet,
        &mut stream,
        Format::ArrowIpc,
        &ConvertOptions {
            ipc_stream: true,
            ..ConvertOptions::default()
        },
    )
    .unwrap();
    let (status, report) = post(&server, "application/octet-stream", stream.clone()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(accused(&report), [f.recipients[2].as_str()]);
    assert_eq!(report["leak"]["file"], "upload.arrows");
    let (status, report) = post(&server, "application/vnd.apache.arrow.stream", stream).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(accused(&report), [f.recipients[2].as_str()]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_that_are_not_what_they_are_sent_as_are_400_and_damaged_ones_named() {
    let f = fixture();
    let server = Server::start(config()).await;
    let csv = std::fs::read(&f.leaks[0]).unwrap();
    let parquet = parquet_leak(0);
    for (ct, body) in [
        ("application/vnd.apache.parquet", csv.clone()),
        ("application/vnd.apache.arrow.file", parquet.clone()),
        ("text/csv", parquet.clone()),
    ] {
        let (status, err) = post(&server, ct, body).await;
        assert_eq!(status, 400, "{ct}: {err}");
        let msg = err["error"].as_str().unwrap();
        assert!(
            msg.contains(ct) && msg.contains("application/octet-stream"),
            "{msg}"
        );
    }
    // A Parquet file cut short: 400, named as the upload, never the spool.
    let (status, err) = post(
        &server,
        "application/vnd.apache.parquet",
        parquet[..parquet.len() / 2].to_vec(),
    )
    .await;
    assert_eq!(status, 400, "{err}");
    let msg = err["error"].as_str().unwrap();
    assert!(
        msg.starts_with("upload.parquet: ") && msg.contains("Parquet"),
        "{msg}"
    );
    assert!(!msg.contains("verify-service-"), "{msg}");
    // Other content types are 415, and the answer names the accepted ones.
    let (status, err) = post(&server, "image/png", b"\x89PNG".to_vec()).await;
    assert_eq!(status, 415);
    let msg = err["error"].as_str().unwrap();
    assert!(
        msg.contains("text/csv") && msg.contains("application/vnd.apache.parquet"),
        "{msg}"
    );
    // The OpenAPI document lists the raw body types.
    let (_, _, body) = send(server.addr, "GET", "/openapi.json", &[], full("")).await;
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let content = &doc["paths"]["/v1/verify"]["post"]["requestBody"]["content"];
    for ct in [
        "text/csv",
        "application/vnd.apache.parquet",
        "application/vnd.apache.arrow.file",
        "application/vnd.apache.arrow.stream",
        "application/octet-stream",
        "application/gzip",
        "application/zip",
        "application/json",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "multipart/form-data",
    ] {
        assert!(content.get(ct).is_some(), "{ct}");
    }
    server.stop().await;
}

/// `bytes` gzip-compressed.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaks_as_received_compressed_archived_or_json_name_their_recipient() {
    let f = fixture();
    let server = Server::start(config()).await;
    let csv = std::fs::read(&f.leaks[2]).unwrap();

    // A gzip-compressed CSV, raw, with its own content type.
    let gz = gzip(&csv);
    let (status, report) = post(&server, "application/gzip", gz.clone()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(accused(&report), [f.recipients[2].as_str()]);
    assert_eq!(report["leak"]["format"], "csv.gz");
    assert_eq!(report["leak"]["file"], "upload.gz");
    assert_eq!(report["leak"]["blake3"], blake3(&gz));
    assert_eq!(report["leak"]["bytes"], gz.len() as u64);

    // The same rows as NDJSON in a multipart upload, as a browser sends it.
    let text = String::from_utf8(csv).unwrap();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = rows.headers().unwrap().iter().map(str::to_string).collect();
    let mut ndjson = String::new();
    for r in rows.records() {
        let object: serde_json::Map<String, serde_json::Value> = header
            .iter()
            .cloned()
            .zip(
                r.unwrap()
                    .iter()
                    .map(|c| serde_json::Value::String(c.into())),
            )
            .collect();
        ndjson.push_str(&serde_json::Value::Object(object).to_string());
        ndjson.push('\n');
    }
    let boundary = "XyZboundary43";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"leak.ndjson\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(ndjson.as_bytes());
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let (status, report) = post(
        &server,
        &format!("multipart/form-data; boundary={boundary}"),
        body,
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(accused(&report), [f.recipients[2].as_str()]);
    assert_eq!(report["leak"]["format"], "ndjson");
    assert_eq!(report["leak"]["file"], "leak.ndjson");
    assert_eq!(report["leak"]["blake3"], blake3(ndjson.as_bytes()));

    // A cut-short gzip is the upload's fault, said plainly.
    let (status, report) = post(&server, "application/gzip", gz[..gz.len() / 2].to_vec()).await;
    assert_eq!(status, 400, "{report}");
    let error = report["error"].as_str().unwrap();
    assert!(error.contains("cut short"), "{error}");
    assert!(!error.contains("iconv"), "{error}");
    server.stop().await;
}
