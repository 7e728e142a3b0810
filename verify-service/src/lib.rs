//! `verify-service`: `watermark verify --json` over HTTP, for an
//! investigations team.
//!
//! `POST /v1/verify` takes a leaked file as it was received (CSV or TSV in
//! any common text encoding, a workbook, JSON or NDJSON, Parquet, Arrow IPC,
//! a zip archive of them, any of them compressed; see
//! [`watermark_formats::Received`]) — the
//! raw request body (`Content-Type: text/csv`,
//! `application/vnd.apache.parquet`, `application/vnd.apache.arrow.file`,
//! `application/vnd.apache.arrow.stream`, or `application/octet-stream` to
//! have the format told by the first bytes) or a `multipart/form-data`
//! upload (field `file`, any of the formats) — from an investigator holding
//! a bearer token, spools it to a temporary
//! file chunk by chunk (refusing it with 413 as soon as it passes the size
//! limit), runs the verify workflow of the application layer that the
//! `watermark` command runs too ([`watermark_app::verify::run`]) on a
//! blocking thread, and answers with the same JSON report — or, asked for
//! HTML (`?format=html`, or `Accept: text/html`), with the signed evidence
//! report of `watermark verify --report` ([`watermark_app::report`]), signed
//! with the log's key. A verification that fails answers 400 or 500 by
//! whose fault it is ([`watermark_app::Fault`]): the upload's, with the
//! message, or the server's, with nothing but the request id.
//! Each verification is appended to the
//! state's signed issuance log under the investigator's name; appends take
//! the state's lock, so concurrent requests (and `watermark` commands run
//! beside the service) are serialised.
//!
//! `GET /` serves an upload page; `GET /openapi.json` describes the API.
//!
//! Slow clients cannot hold connections: a request's headers must come
//! within [`Config::header_timeout`], and an upload that stalls for
//! [`Config::body_timeout`] is refused (408). Wrong tokens lock out the
//! address they come from ([`lockout`]).
#![forbid(unsafe_code)]

pub mod lockout;
pub mod ratelimit;
pub mod tokens;

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _};
use tower::ServiceExt as _;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;
use watermark_app::formats::FileFormat;
use watermark_app::messages::{self, Msg, Said};
use watermark_app::{verify, witnessing, Fault, Lang, Quiet};
use watermark_text::said;

use crate::lockout::Lockouts;
use crate::ratelimit::RateLimiter;
use crate::tokens::Tokens;

/// Default largest request body: 512 MiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 512 * 1024 * 1024;
/// Default requests per investigator per minute.
pub const DEFAULT_RATE_LIMIT: u32 = 60;
/// Default request timeout, in seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 300;
/// Default time a client has to send a request's headers, in seconds.
pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 10;
/// Default longest stall of an upload, in seconds.
pub const DEFAULT_BODY_TIMEOUT_SECS: u64 = 30;

/// The OpenAPI 3.1 document served at `/openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");
const INDEX_HTML: &str = include_str!("index.html");

/// What the service needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The state directory (master key, policies, issuance log).
    pub state: PathBuf,
    /// The investigators allowed to verify.
    pub tokens: Tokens,
    /// Largest request body accepted.
    pub max_body_bytes: u64,
    /// Requests per investigator per minute (0: no limit).
    pub rate_limit: u32,
    /// Time allowed for a request, upload and verification together.
    pub timeout: Duration,
    /// Time a client has to send a request's headers, from the moment the
    /// connection is ready for them (accepted, or kept alive after an
    /// answer); the connection is closed past it.
    pub header_timeout: Duration,
    /// Longest wait for the next part of an upload's body (408 past it).
    pub body_timeout: Duration,
    /// When wrong tokens lock out the address they come from.
    pub lockout: lockout::Policy,
    /// Reverse proxies whose `X-Forwarded-For` names the client, for the
    /// lockouts ([`lockout::client_address`]).
    pub trusted_proxies: Vec<IpAddr>,
    /// Where uploads are spooled (default: the system's temporary directory).
    pub spool_dir: Option<PathBuf>,
}

impl Config {
    /// A configuration with the defaults.
    pub fn new(state: PathBuf, tokens: Tokens) -> Config {
        Config {
            state,
            tokens,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            rate_limit: DEFAULT_RATE_LIMIT,
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            header_timeout: Duration::from_secs(DEFAULT_HEADER_TIMEOUT_SECS),
            body_timeout: Duration::from_secs(DEFAULT_BODY_TIMEOUT_SECS),
            lockout: lockout::Policy::default(),
            trusted_proxies: Vec::new(),
            spool_dir: None,
        }
    }
}

#[derive(Debug)]
struct App {
    config: Config,
    /// The state, once opened: its clones share what was verified of its
    /// log, so each request checks only the entries appended since.
    state: std::sync::Mutex<Option<watermark_app::State>>,
    limiter: RateLimiter,
    lockouts: Lockouts,
}

impl App {
    /// The state, opened at the first request that needs it and kept.
    fn state(&self) -> watermark_core::Result<watermark_app::State> {
        let mut kept = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(state) = kept.as_ref() {
            return Ok(state.clone());
        }
        let state = watermark_app::State::open(&self.config.state)?;
        *kept = Some(state.clone());
        Ok(state)
    }
}

/// The service's routes and middleware: request ids, tracing.
///
/// `POST /v1/verify` needs the client's address (`ConnectInfo<SocketAddr>`,
/// which [`serve`] gives each request); without it the request is refused
/// (500) rather than left out of the lockouts.
pub fn router(config: Config) -> Router {
    let limiter = RateLimiter::new(config.tokens.len(), config.rate_limit);
    let lockouts = Lockouts::new(config.lockout);
    let app = Arc::new(App {
        config,
        state: std::sync::Mutex::new(None),
        limiter,
        lockouts,
    });
    let trace = TraceLayer::new_for_http()
        // Method, path (not the query) and request id; never headers or bodies.
        .make_span_with(|req: &Request| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!(
                "request",
                method = %req.method(),
                path = %req.uri().path(),
                request_id = %id,
            )
        })
        .on_request(())
        .on_response(|res: &Response, latency: Duration, _span: &Span| {
            tracing::info!(
                status = res.status().as_u16(),
                latency_ms = latency.as_secs_f64() * 1000.0,
                "response"
            );
        });
    Router::new()
        .route("/", get(index))
        .route("/openapi.json", get(openapi))
        .route("/healthz", get(health))
        .route("/v1/verify", post(verify_handler))
        .with_state(app)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(trace)
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// Serves the service for `config` on `listener` until `shutdown`
/// completes: then it stops accepting, closes idle connections and waits
/// for the requests under way to finish.
///
/// HTTP/1.1, each connection on its own task. A connection whose client
/// has not sent a whole request head within `config.header_timeout` of the
/// connection being ready for one (accepted, or kept alive after an
/// answer) is closed, so clients that stall or trickle their headers do not
/// hold connections. Each request carries the address it came from
/// (`ConnectInfo<SocketAddr>`).
pub async fn serve<F>(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout);
    let app = router(config);

    // `stop` is closed once `shutdown` completes; `open` once every
    // connection's task has ended.
    let (stop, stop_rx) = tokio::sync::watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        drop(stop_rx);
    });
    let (open, open_rx) = tokio::sync::watch::channel(());

    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            () = stop.closed() => break,
        };
        let service = TowerToHyperService::new(app.clone().map_request(
            move |mut req: axum::http::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req.map(Body::new)
            },
        ));
        let http = http.clone();
        let stop = stop.clone();
        let open_rx = open_rx.clone();
        tokio::spawn(async move {
            let mut conn = std::pin::pin!(http.serve_connection(TokioIo::new(stream), service));
            let mut stopping = std::pin::pin!(stop.closed());
            let mut shutting_down = false;
            loop {
                tokio::select! {
                    result = conn.as_mut() => {
                        if let Err(e) = result {
                            // A header timeout, a malformed request, a
                            // client gone: nothing to answer.
                            tracing::debug!(client = %peer, error = %e, "connection closed");
                        }
                        break;
                    }
                    () = &mut stopping, if !shutting_down => {
                        shutting_down = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(open_rx);
        });
    }
    drop(open_rx);
    drop(listener);
    open.closed().await;
    Ok(())
}

/// An error accepting a connection: one about that connection only is
/// ignored; others (such as too many open files) are logged, and accepting
/// pauses for a second rather than spinning.
async fn accept_error(e: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

async fn index(uri: axum::http::Uri, headers: HeaderMap) -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                 connect-src 'self'; img-src data:",
            ),
            // The page differs by language.
            (header::VARY, "Accept-Language"),
        ],
        Html(page(lang_of(uri.query(), &headers))),
    )
}

/// The language a request asks for: `?lang=es` or `?lang=en`, else its
/// `Accept-Language` (Spanish when it ranks Spanish first), else English.
pub fn lang_of(query: Option<&str>, headers: &HeaderMap) -> Lang {
    let asked = query
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("lang="))
        .and_then(Lang::parse);
    asked.unwrap_or_else(|| {
        Lang::from_accept_language(
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or(""),
        )
    })
}

/// The upload page in `lang`: its text from the message catalogue, and the
/// messages its script shows results with.
pub fn page(lang: Lang) -> String {
    // JSON made safe inside a script element.
    let script_json = |v: serde_json::Value| {
        v.to_string()
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
    };
    let messages: serde_json::Map<String, serde_json::Value> = messages::PAGE_SCRIPT
        .iter()
        .map(|m| (format!("{m:?}"), m.template(lang).into()))
        .collect();
    let scales: Vec<serde_json::Value> = watermark_app::text::scale_names(lang)
        .iter()
        .map(|(scale, one, many)| json!([scale, one, many]))
        .collect();
    let switch = Lang::ALL
        .iter()
        .map(|l| {
            format!(
                "<a href=\"?lang={}\" lang=\"{}\"{}>{}</a>",
                l.code(),
                l.html_tag(),
                if *l == lang {
                    " aria-current=\"true\""
                } else {
                    ""
                },
                match l {
                    Lang::En => "English",
                    Lang::Es => "Español",
                }
            )
        })
        .collect::<Vec<_>>()
        .join(" · ");
    let mut html = INDEX_HTML
        .replace("{{lang}}", lang.html_tag())
        .replace("{{code}}", lang.code())
        .replace("{{switch}}", &switch)
        .replace("/*MESSAGES*/", &script_json(messages.into()))
        .replace("/*SCALES*/", &script_json(scales.into()));
    for m in [
        Msg::PageTitle,
        Msg::PageLanguage,
        Msg::PageToken,
        Msg::PageFileLabel,
        Msg::PageDrop,
        Msg::PageVerify,
        Msg::PageDownloadJson,
        Msg::PageDownloadSigned,
    ] {
        html = html.replace(&format!("{{{{{m:?}}}}}"), &messages::tr_html(lang, m, &[]));
    }
    html.replace(
        "{{PageIntro}}",
        &messages::tr_html(
            lang,
            Msg::PageIntro,
            &[&"<code>watermark report verify</code>"],
        ),
    )
}

/// Whether the service can verify: its state opens and its log verifies
/// (200 with the log's size), or not (503; the reason goes to the server's
/// log, not to the answer). For load balancers and monitors; no token.
async fn health(State(app): State<Arc<App>>) -> Response {
    let checked = tokio::task::spawn_blocking(move || {
        let state = app.state()?;
        state.log().map(|log| log.size())
    })
    .await;
    match checked {
        Ok(Ok(size)) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "log_entries": size })),
        )
            .into_response(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "health check: the state cannot be used");
            unavailable()
        }
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            unavailable()
        }
    }
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({
            "status": "unavailable",
            "error": "the state or its issuance log cannot be used; the server's log has the reason"
        })),
    )
        .into_response()
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}

/// An error answer: `{ "error": ..., "request_id": ... }`.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    /// What went wrong, a sentence of the catalogue: `error` in English,
    /// `message` in the request's language.
    said: Said,
    /// The message in the request's language when it is not `said`'s (a
    /// workflow's error, written with its causes).
    localized: Option<String>,
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl ApiError {
    fn new(status: StatusCode, said: Said) -> ApiError {
        ApiError {
            status,
            said,
            localized: None,
            headers: Vec::new(),
        }
    }

    /// The English message with its causes, for the `error` field and the
    /// server's log.
    fn message(&self) -> String {
        watermark_app::text::error_in(Lang::En, &self.said)
    }

    fn with_header(mut self, name: header::HeaderName, value: &'static str) -> ApiError {
        self.headers.push((name, HeaderValue::from_static(value)));
        self
    }

    /// A 429 with `Retry-After: secs`.
    fn too_many(said: Said, secs: u64) -> ApiError {
        let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, said);
        e.headers
            .push((header::RETRY_AFTER, HeaderValue::from(secs)));
        e
    }

    fn unauthorized(said: Said, error: &'static str) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, said).with_header(header::WWW_AUTHENTICATE, error)
    }

    fn too_large(limit: u64) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, said!(Msg::SvTooLarge, limit))
            // The rest of the body is not read: the connection is closed.
            .with_header(header::CONNECTION, "close")
    }

    fn stalled(idle: Duration) -> ApiError {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            said!(Msg::SvStalled, idle.as_secs_f64()),
        )
        .with_header(header::CONNECTION, "close")
    }

    fn into_response(self, request_id: &str, lang: Lang) -> Response {
        let message = self
            .localized
            .clone()
            .unwrap_or_else(|| watermark_app::text::error_in(lang, &self.said));
        let mut res = (
            self.status,
            Json(json!({ "error": self.message(), "message": message, "request_id": request_id })),
        )
            .into_response();
        for (name, value) in self.headers {
            res.headers_mut().insert(name, value);
        }
        res
    }
}

fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

async fn verify_handler(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let id = request_id(req.headers());
    let lang = lang_of(req.uri().query(), req.headers());
    let timeout = app.config.timeout;
    let client = lockout::client_address(peer.ip(), req.headers(), &app.config.trusted_proxies);
    match tokio::time::timeout(timeout, verify_request(app, client, req)).await {
        Ok(Ok(res)) => res,
        Ok(Err(e)) => {
            if e.status.is_server_error() {
                tracing::error!(error = %e.message(), "verification failed");
            } else {
                tracing::info!(status = e.status.as_u16(), error = %e.message(), "refused");
            }
            e.into_response(&id, lang)
        }
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            said!(Msg::SvTimeout, timeout.as_secs()),
        )
        .with_header(header::CONNECTION, "close")
        .into_response(&id, lang),
    }
}

/// What the body holds.
enum Upload {
    /// The file itself, in the format its content type declares (`None`:
    /// told by its first bytes).
    Raw(Option<FileFormat>),
    Multipart(String),
}

/// Content types of leaks the verification reads by their bytes: workbooks,
/// JSON, archives, compressed files.
const TOLD_BY_CONTENT: &[&str] = &[
    "text/tab-separated-values",
    "application/json",
    "application/x-ndjson",
    "application/jsonl",
    "application/zip",
    "application/gzip",
    "application/x-gzip",
    "application/zstd",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel",
    "application/vnd.oasis.opendocument.spreadsheet",
];

/// The format a raw body's content type declares: `Some(None)` for
/// `application/octet-stream`; `None` for a type that is not a file's.
fn raw_body_format(essence: &str) -> Option<Option<FileFormat>> {
    match essence {
        "application/octet-stream" => Some(None),
        // Read as the verification tells them by their bytes.
        other if TOLD_BY_CONTENT.contains(&other) => Some(None),
        other => [
            FileFormat::Csv,
            FileFormat::Parquet,
            FileFormat::Arrow,
            FileFormat::ArrowStream,
        ]
        .into_iter()
        .find(|f| f.media_type() == other)
        .map(Some),
    }
}

/// The answer to a body whose first bytes are not those of the format its
/// content type declares.
fn format_mismatch(declared: FileFormat, found: FileFormat) -> ApiError {
    let what = match found {
        FileFormat::Csv => Msg::SvFirstBytesCsv,
        FileFormat::Parquet => Msg::SvFirstBytesParquet,
        FileFormat::Arrow => Msg::SvFirstBytesArrow,
        FileFormat::ArrowStream => Msg::SvFirstBytesArrowStream,
    };
    ApiError::new(
        StatusCode::BAD_REQUEST,
        Said::new(Msg::SvWrongType)
            .arg(declared.media_type())
            .arg(declared)
            .sentence(Said::new(what))
            .arg(found.media_type()),
    )
}

/// Whole seconds, rounded up: at least 1.
fn whole_seconds(d: Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

async fn verify_request(app: Arc<App>, client: IpAddr, req: Request) -> Result<Response, ApiError> {
    let config = &app.config;
    let (parts, body) = req.into_parts();

    // An address locked out for wrong tokens gets nothing checked, its
    // token included: the answer must not tell a right guess. Nothing is
    // awaited between this check and the count of a failure below, so at
    // most one request per runtime worker thread can slip past the moment
    // a lockout starts.
    if let Err(left) = app.lockouts.check(client) {
        let secs = whole_seconds(left);
        return Err(ApiError::too_many(said!(Msg::SvLockedOut, secs), secs));
    }

    // Who is asking.
    let Some(auth) = parts.headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::unauthorized(
            Said::new(Msg::SvNoToken),
            "Bearer realm=\"verify-service\"",
        ));
    };
    let token = auth
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    let found = token.and_then(|t| config.tokens.find(t));
    let Some((index, investigator)) = found else {
        if let Some(lockout) = app.lockouts.fail(client) {
            tracing::warn!(
                client = %lockout::client_key(client),
                lockout_secs = lockout.as_secs_f64(),
                "wrong tokens: the address is locked out"
            );
        }
        return Err(ApiError::unauthorized(
            Said::new(Msg::SvBadToken),
            "Bearer realm=\"verify-service\", error=\"invalid_token\"",
        ));
    };
    app.lockouts.succeed(client);
    if let Err(wait) = app.limiter.check(index) {
        let secs = wait.as_secs() + 1;
        return Err(ApiError::too_many(
            said!(Msg::SvRateLimited, config.rate_limit, secs),
            secs,
        ));
    }
    let investigator = investigator.name.clone();

    // What to answer with: the JSON report, or the signed HTML one, in
    // the language asked for.
    let html = wants_html(&parts)?;
    let lang = lang_of(parts.uri.query(), &parts.headers);

    // What it is.
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let upload = match essence.as_str() {
        "multipart/form-data" => match multer::parse_boundary(content_type) {
            Ok(b) => Upload::Multipart(b),
            Err(e) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    said!(Msg::SvMultipartType, e),
                ))
            }
        },
        other if raw_body_format(other).is_some() => Upload::Raw(raw_body_format(other).flatten()),
        _ => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                if essence.is_empty() {
                    Said::new(Msg::SvUnsupportedType).sentence(Said::new(Msg::SvNoContentType))
                } else {
                    said!(Msg::SvUnsupportedType, format!("{:?}", essence.as_str()))
                },
            ))
        }
    };

    // A declared length over the limit is refused before reading anything.
    let limit = config.max_body_bytes;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::too_large(limit));
    }

    // Spool it.
    let spool_dir = config.spool_dir.clone().unwrap_or_else(std::env::temp_dir);
    let spool = tempfile::Builder::new()
        .prefix("verify-service-")
        .suffix(".csv")
        .tempfile_in(&spool_dir)
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                said!(Msg::CtxFileIn, spool_dir.display()).because(e),
            )
        })?;
    let file = spool.as_file().try_clone().map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            Said::new(Msg::SvOpeningSpool).because(e),
        )
    })?;
    let mut out = tokio::fs::File::from_std(file);
    let idle = config.body_timeout;
    let ended = Arc::new(BodyEnd::default());
    let stream = limited(body, limit, idle, ended.clone());
    let declared = match upload {
        Upload::Raw(declared) => declared,
        Upload::Multipart(_) => None,
    };
    let name = match upload {
        Upload::Raw(_) => {
            spool_stream(stream, &mut out, limit, idle).await?;
            None
        }
        Upload::Multipart(boundary) => {
            let mut multipart = multer::Multipart::new(stream, boundary);
            let mut name = None;
            let multipart_error = |e: multer::Error| {
                if ended.over.load(Ordering::SeqCst) {
                    ApiError::too_large(limit)
                } else if ended.stalled.load(Ordering::SeqCst) {
                    ApiError::stalled(idle)
                } else {
                    ApiError::new(StatusCode::BAD_REQUEST, said!(Msg::SvMultipartBody, e))
                }
            };
            while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
                let is_file = field.name() == Some("file");
                if is_file && name.is_some() {
                    // Which of two files was verified would be a guess.
                    return Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        Said::new(Msg::SvTwoFiles),
                    ));
                }
                if is_file {
                    name = Some(display_name(field.file_name()));
                }
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    if is_file {
                        write_chunk(&mut out, &chunk).await?;
                    }
                }
            }
            name.ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, Said::new(Msg::SvNoFile)))?
        }
    };
    out.flush().await.map_err(spool_error)?;
    // Any of the formats: the verification tells them by their bytes; a
    // raw body must be what its content type says.
    let first = first_bytes(&mut out).await?;
    let format = FileFormat::from_first_bytes(&first);
    if let Some(declared) = declared.filter(|d| *d != format) {
        return Err(format_mismatch(declared, format));
    }
    drop(out);
    // A compressed file, an archive or a workbook is named by its kind.
    let extension = match first.as_slice() {
        [0x1f, 0x8b, ..] => "gz",
        [0x28, 0xb5, 0x2f, 0xfd, ..] => "zst",
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] => "zip",
        [0xD0, 0xCF, 0x11, 0xE0, ..] => "xls",
        _ => format.extension(),
    };
    let name = name.unwrap_or_else(|| format!("upload.{extension}"));

    // Verify it, on a blocking thread: reading the file, scoring, and
    // appending to the log under the state's lock.
    let spool_path = spool.path().to_path_buf();
    let settings = verify::Settings {
        state: config.state.clone(),
        leaked: spool_path.clone(),
        threshold: None,
        investigator,
        master: None,
        encoding: None,
    };
    let state = app.state().map_err(|e| {
        tracing::error!(error = %e, "opening the state");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, Said::new(Msg::SvFailed))
    })?;
    let result = tokio::task::spawn_blocking(move || {
        // The key that signs the HTML report, loaded before verifying so
        // that no verification is logged without the report asked for.
        let signer = match html {
            true => Some(state.log_signer().map_err(|e| {
                watermark_app::Error::server(
                    anyhow::Error::new(e).context(Said::new(Msg::SvLoadingSigningKey)),
                )
            })?),
            false => None,
        };
        let result = witnessing::verify(&state, &settings, None, Quiet).map(|r| (r, signer));
        // The spool file lives until the verification is done.
        drop(spool);
        result
    })
    .await
    .map_err(|e| {
        // A panic's message may quote the server's files: it goes to the
        // server's log, not to the client.
        tracing::error!(error = %e, "the verification stopped");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, Said::new(Msg::SvStopped))
    })?;
    match result {
        Ok((mut report, signer)) => {
            report.leak.file = PathBuf::from(&name);
            report.recheck = report
                .recheck
                .replace(&spool_path.display().to_string(), &name);
            if let Some(signer) = signer {
                return signed_report(&report, &signer, lang);
            }
            // Serialised as the command prints it, fields in the same order.
            let json = serde_json::to_vec(&report).map_err(|e| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Said::new(Msg::SvSerialising).because(e),
                )
            })?;
            Ok((
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                json,
            )
                .into_response())
        }
        Err(e) => Err(verify_error(&e, &spool_path, &name, lang)),
    }
}

/// Whether the client asked for the signed HTML report: `?format=html`
/// (or `json`), else an `Accept` header that ranks `text/html` above
/// `application/json`. JSON otherwise, as before.
fn wants_html(parts: &axum::http::request::Parts) -> Result<bool, ApiError> {
    let format = parts
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("format="));
    match format {
        Some("html") => return Ok(true),
        Some("json") => return Ok(false),
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                said!(
                    Msg::SvFormat,
                    format!("{:?}", other.chars().take(40).collect::<String>())
                ),
            ))
        }
        None => {}
    }
    let accept = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Ok(prefers_html(accept))
}

/// Whether an `Accept` header ranks `text/html` above `application/json`
/// (`application/*` counts for JSON; `*/*` for neither, so JSON stays the
/// default).
pub fn prefers_html(accept: &str) -> bool {
    let (mut html, mut json) = (0.0f32, 0.0f32);
    for range in accept.split(',') {
        let mut params = range.split(';');
        let media = params.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = params
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match media.as_str() {
            "text/html" => html = html.max(q),
            "application/json" | "application/*" => json = json.max(q),
            _ => {}
        }
    }
    html > 0.0 && html > json
}

/// The signed HTML evidence report: a file to keep, which
/// `watermark report verify` checks with the log's public key.
fn signed_report(
    report: &verify::Report,
    signer: &watermark_log::tlog::Signer,
    lang: Lang,
) -> Result<Response, ApiError> {
    let html = watermark_app::report::sign_in(report, signer, lang).map_err(|e| {
        tracing::error!(error = %format!("{e:#}"), "signing the report failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            Said::new(Msg::SvNotSigned),
        )
    })?;
    let disposition = format!(
        "attachment; filename=\"evidence-{}.html\"",
        report.leak.blake3.get(..12).unwrap_or("report")
    );
    let mut res = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // Nothing in it runs or loads, whatever a file name says.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        html,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// The answer to a failed verification, by whose fault it is
/// ([`Fault`]). The upload's (it cannot be read, is malformed, lacks the
/// columns the copies were marked in): 400 with the message, which names
/// the row and column, and the upload by its name, never the spool file.
/// The server's (the state, its key, its log, the disk): 500 with the
/// request id only; the reason goes to the server's log.
fn verify_error(e: &watermark_app::Error, spool: &Path, name: &str, lang: Lang) -> ApiError {
    let text = e.message();
    let spool = spool.display().to_string();
    match e.fault() {
        Fault::Input => ApiError {
            localized: Some(e.message_in(lang).replace(&spool, name)),
            ..ApiError::new(
                StatusCode::BAD_REQUEST,
                said!(Msg::RfVerbatim, text.replace(&spool, name)),
            )
        },
        Fault::Server => {
            tracing::error!(error = %text, "verification failed");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, Said::new(Msg::SvFailed))
        }
    }
}

/// The uploaded file's name, for the report: its last path component,
/// printable, at most 200 characters; `None` without one (the report then
/// says `upload.` and the format's extension).
fn display_name(file_name: Option<&str>) -> Option<String> {
    let base = file_name
        .and_then(|n| n.rsplit(['/', '\\']).next())
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect::<String>();
    (!base.trim().is_empty()).then_some(base)
}

/// Up to the first 8 bytes of the spooled body.
async fn first_bytes(spool: &mut tokio::fs::File) -> Result<Vec<u8>, ApiError> {
    let read_error = |e: std::io::Error| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            Said::new(Msg::SvReadingSpool).because(e),
        )
    };
    spool
        .seek(std::io::SeekFrom::Start(0))
        .await
        .map_err(read_error)?;
    let mut first = [0u8; 8];
    let mut got = 0;
    while got < first.len() {
        match spool.read(&mut first[got..]).await.map_err(read_error)? {
            0 => break,
            n => got += n,
        }
    }
    Ok(first[..got].to_vec())
}

/// Why a body could not be read.
#[derive(Debug)]
enum BodyError {
    TooLarge,
    /// No part of it came for the body timeout.
    Stalled,
    Read(axum::Error),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::TooLarge => f.write_str("the body is over the size limit"),
            BodyError::Stalled => f.write_str("the body stalled"),
            BodyError::Read(e) => write!(f, "the body could not be read: {e}"),
        }
    }
}

impl std::error::Error for BodyError {}

/// How a body stream ended early, for answers to errors that the multipart
/// parser wraps.
#[derive(Debug, Default)]
struct BodyEnd {
    /// Over the size limit.
    over: AtomicBool,
    /// Stalled past the body timeout.
    stalled: AtomicBool,
}

/// The body's chunks, ending in [`BodyError::TooLarge`] as soon as more
/// than `limit` bytes have come, or in [`BodyError::Stalled`] when no chunk
/// has come for `idle` (either noted in `ended`).
fn limited(
    body: Body,
    limit: u64,
    idle: Duration,
    ended: Arc<BodyEnd>,
) -> impl Stream<Item = Result<Bytes, BodyError>> + Send + 'static {
    let chunks = body.into_data_stream();
    futures_util::stream::unfold((chunks, 0u64, false), move |(mut chunks, seen, done)| {
        let ended = ended.clone();
        async move {
            if done {
                return None;
            }
            let (item, seen, done) = match tokio::time::timeout(idle, chunks.next()).await {
                Err(_) => {
                    ended.stalled.store(true, Ordering::SeqCst);
                    (Err(BodyError::Stalled), seen, true)
                }
                Ok(None) => return None,
                Ok(Some(Ok(bytes))) => {
                    let seen = seen.saturating_add(bytes.len() as u64);
                    if seen > limit {
                        ended.over.store(true, Ordering::SeqCst);
                        (Err(BodyError::TooLarge), seen, true)
                    } else {
                        (Ok(bytes), seen, false)
                    }
                }
                Ok(Some(Err(e))) => (Err(BodyError::Read(e)), seen, true),
            };
            Some((item, (chunks, seen, done)))
        }
    })
}

async fn spool_stream(
    stream: impl Stream<Item = Result<Bytes, BodyError>>,
    out: &mut tokio::fs::File,
    limit: u64,
    idle: Duration,
) -> Result<(), ApiError> {
    let mut stream = std::pin::pin!(stream);
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => write_chunk(out, &bytes).await?,
            Err(BodyError::TooLarge) => return Err(ApiError::too_large(limit)),
            Err(BodyError::Stalled) => return Err(ApiError::stalled(idle)),
            Err(e @ BodyError::Read(_)) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    said!(Msg::RfVerbatim, e),
                ))
            }
        }
    }
    Ok(())
}

async fn write_chunk(out: &mut tokio::fs::File, chunk: &[u8]) -> Result<(), ApiError> {
    out.write_all(chunk).await.map_err(spool_error)
}

fn spool_error(e: std::io::Error) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        Said::new(Msg::SvWritingSpool).because(e),
    )
}
