//! `watermark witness …`: a witness in the C2SP tlog-witness style, which
//! cosigns a log's checkpoint only if it extends the last one it cosigned.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::State as AxumState;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde::Serialize;
use watermark_app::messages::{tr, Msg};
use watermark_app::{AddCheckpointError, Trusted, Witness};
use watermark_log::tlog::{witness, Refusal, Verifier};

use crate::cli::{WitnessCommand, WitnessInitArgs, WitnessServeArgs, WitnessTrustArgs};
use crate::output::Printer;
use watermark_app::text::quoted;
use watermark_text::{said, Said, SaidContext as _};

/// Largest request body read: a checkpoint with 100 signatures and 63 proof
/// lines is well under it.
const BODY_LIMIT: usize = 64 * 1024;

/// How long a client has to send its request body.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);

pub fn run(cmd: WitnessCommand, quiet: bool) -> anyhow::Result<()> {
    let printer = |json| Printer { json, quiet };
    match cmd {
        WitnessCommand::Init(a) => init(&a, printer(a.json)),
        WitnessCommand::Trust(a) => trust(&a, printer(a.json)),
        WitnessCommand::Serve(a) => serve(&a, printer(false)),
    }
}

#[derive(Debug, Serialize)]
struct InitDoc {
    dir: std::path::PathBuf,
    name: String,
    key_id: String,
    verifier_key: String,
}

fn init(a: &WitnessInitArgs, printer: Printer) -> anyhow::Result<()> {
    let vkey = Witness::init(&a.dir.dir, &a.name)?;
    let lang = crate::output::lang();
    printer.text(&format!(
        "{}\n{}\n  {}\n{}\n",
        tr(
            lang,
            Msg::WitnessCreated,
            &[
                &vkey.name(),
                &a.dir.dir.display(),
                &a.dir.dir.join("witness.key").display()
            ]
        ),
        tr(lang, Msg::WitnessVerifierKey, &[]),
        vkey.to_vkey(),
        tr(lang, Msg::WitnessNext, &[&a.dir.dir.display()])
    ))?;
    printer.json(&InitDoc {
        dir: a.dir.dir.clone(),
        name: vkey.name().to_owned(),
        key_id: format!("{:08x}", vkey.key_id()),
        verifier_key: vkey.to_vkey(),
    })?;
    Ok(())
}

#[derive(Debug, Serialize)]
struct TrustDoc {
    origin: String,
    key: String,
    added: bool,
    logs: Vec<String>,
}

fn trust(a: &WitnessTrustArgs, printer: Printer) -> anyhow::Result<()> {
    let log = crate::commands::keys::parse_key(&a.log_key, "LOG_VERIFIER_KEY")?;
    let w = Witness::open(&a.dir.dir)?;
    let added = w.trust(&log)? == Trusted::Added;
    let logs = w.trusted_logs()?;
    printer.text(&format!(
        "{}\n",
        tr(
            crate::output::lang(),
            if added {
                Msg::WitnessTrustNow
            } else {
                Msg::WitnessTrustAlready
            },
            &[&w.verifier().name(), &log.name(), &log.to_vkey()]
        )
    ))?;
    printer.json(&TrustDoc {
        origin: log.name().to_owned(),
        key: log.to_vkey(),
        added,
        logs: logs.iter().map(Verifier::to_vkey).collect(),
    })?;
    Ok(())
}

struct Shared {
    witness: Witness,
    printer: Printer,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

fn refusal_response(r: &Refusal) -> Response {
    let status = StatusCode::from_u16(r.status()).unwrap_or(StatusCode::BAD_REQUEST);
    match r.conflict_size() {
        Some(size) => text(status, witness::SIZE_CONTENT_TYPE, witness::size_body(size)),
        None => text(status, "text/plain; charset=utf-8", format!("{r}\n")),
    }
}

/// A request in a few words, for the witness's report on standard error.
fn describe(body: &[u8]) -> String {
    match witness::AddCheckpoint::parse(body) {
        Ok(r) => format!(
            "log {} old {} size {}",
            quoted(r.origin()),
            r.old_size,
            quoted(r.checkpoint.split('\n').nth(1).unwrap_or("?"))
        ),
        Err(_) => "(malformed)".to_owned(),
    }
}

async fn add_checkpoint(AxumState(shared): AxumState<Arc<Shared>>, body: Body) -> Response {
    let bytes =
        match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, BODY_LIMIT)).await {
            Err(_) => {
                return text(
                    StatusCode::REQUEST_TIMEOUT,
                    "text/plain; charset=utf-8",
                    "the request body did not arrive in time\n".into(),
                )
            }
            Ok(Err(_)) => {
                return text(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "text/plain; charset=utf-8",
                    format!("the request body is larger than {BODY_LIMIT} bytes, or was cut off\n"),
                )
            }
            Ok(Ok(b)) => b,
        };
    let what = describe(&bytes);
    let task = Arc::clone(&shared);
    // The witness locks its directory and syncs files: not on the runtime's threads.
    let result =
        tokio::task::spawn_blocking(move || task.witness.add_checkpoint(&bytes, now())).await;
    let outcome = |r: &Result<String, AddCheckpointError>| match r {
        Ok(_) => "cosigned".to_owned(),
        Err(AddCheckpointError::Refused(r)) => format!("refused ({}): {r}", r.status()),
        Err(e) => format!("failed: {e}"),
    };
    match result {
        Ok(r) => {
            let _ = shared
                .printer
                .notice(&format!("add-checkpoint {what}: {}", outcome(&r)));
            match r {
                Ok(lines) => text(StatusCode::OK, "text/plain; charset=utf-8", lines),
                Err(AddCheckpointError::Refused(r)) => refusal_response(&r),
                Err(_) => text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "text/plain; charset=utf-8",
                    "the witness could not record the checkpoint; nothing was cosigned\n".into(),
                ),
            }
        }
        Err(_) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain; charset=utf-8",
            "internal error; nothing was cosigned\n".into(),
        ),
    }
}

/// The witness's HTTP routes: `POST /add-checkpoint`.
fn app(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(witness::ADD_CHECKPOINT_PATH, post(add_checkpoint))
        .with_state(shared)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

fn serve(a: &WitnessServeArgs, printer: Printer) -> anyhow::Result<()> {
    let witness = Witness::open(&a.dir.dir)?;
    let logs = witness.trusted_logs()?;
    if logs.is_empty() {
        printer.notice(&format!(
            "warning: {} witnesses no log yet: every request is answered 404 until `watermark \
             witness trust --dir {} LOG_KEY` adds one",
            a.dir.dir.display(),
            a.dir.dir.display()
        ))?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .said(|| said!(Msg::CtxRuntime))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&a.listen)
            .await
            .said(|| said!(Msg::CtxListening, a.listen))?;
        let addr = listener
            .local_addr()
            .said(|| Said::new(Msg::ClAddressListened))?;

        let vkey = witness.verifier();
        let lang = crate::output::lang();
        printer.text(&format!(
            "{}\n  {}\n  {}\n  {}\n",
            tr(
                lang,
                Msg::WitnessListening,
                &[&vkey.name(), &format!("http://{addr}")]
            ),
            tr(lang, Msg::WitnessServeKey, &[&vkey.to_vkey()]),
            tr(
                lang,
                Msg::WitnessServeLogs,
                &[&if logs.is_empty() {
                    tr(lang, Msg::WitnessNoneYet, &[])
                } else {
                    logs.iter()
                        .map(|l| l.name().to_owned())
                        .collect::<Vec<_>>()
                        .join(", ")
                }]
            ),
            tr(
                lang,
                Msg::WitnessSubmit,
                &[&format!("http://{addr}{}", witness::ADD_CHECKPOINT_PATH)]
            ),
        ))?;
        let shared = Arc::new(Shared { witness, printer });
        axum::serve(listener, app(shared))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .said(|| said!(Msg::CtxServing))
            .map_err(anyhow::Error::new)
    })
}
