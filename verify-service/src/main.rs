//! `verify-service`: `watermark verify --json` over HTTP, for an
//! investigations team. See the crate's README.
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory as _, Parser};
use verify_service::lockout::{self, DEFAULT_FAILURES};
use verify_service::tokens::Tokens;
use verify_service::{
    serve, Config, DEFAULT_BODY_TIMEOUT_SECS, DEFAULT_HEADER_TIMEOUT_SECS, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_RATE_LIMIT, DEFAULT_TIMEOUT_SECS,
};
use watermark_text::{said, Msg, SaidContext as _};

const AFTER_HELP: &str = "\
Endpoints:
  POST /v1/verify     the leaked file as the body (Content-Type: text/csv) or as the field `file`
                      of a multipart/form-data upload, with Authorization: Bearer TOKEN; answers
                      the JSON report of `watermark verify --json`
  GET  /              an upload page for investigators
  GET  /openapi.json  the API as an OpenAPI 3.1 document

Tokens file: one investigator a line, `TOKEN NAME`; blank lines and # comments are ignored.
Verifications are logged under NAME, which every token must have (a person or an office
answerable for the verification). Like a key file it must not be readable by the group or
others (chmod 600).

Slow clients: a connection whose client has not sent a request's headers within
--header-timeout-secs (of connecting, or of the last answer on a kept-alive connection) is
closed; an upload of which nothing comes for --body-timeout-secs is refused (408). The whole
request stays bounded by --timeout-secs.

Wrong tokens: the --auth-failures-th request from one address (an IPv6 address's /64) whose
token is wrong locks that address out for --auth-lockout-secs; each wrong token after that
doubles the lockout, up to --auth-lockout-max-secs. A locked-out address gets 429 with
Retry-After for every verification, a right token included; other addresses are not affected.
A right token after the lockout clears the address's count. Behind a reverse proxy, name it
with --trusted-proxy and have it append the client's address to X-Forwarded-For; otherwise
every client has the proxy's address, and one guesser locks out everyone behind it.

Logs go to standard error (RUST_LOG=debug for more): method, path, status, latency and request
id; never tokens or file contents. SIGINT or SIGTERM stops accepting connections and lets
requests under way finish.

Exit status:
  0  stopped by SIGINT or SIGTERM
  1  an error: unreadable tokens file or state, address in use
  2  the command line is wrong

Example:
  verify-service --state /srv/registry-state --tokens /etc/verify-service/tokens \\
      --listen 127.0.0.1:8080
  curl -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: text/csv' \\
      --data-binary @leaked.csv http://127.0.0.1:8080/v1/verify";

/// Attribute leaked registry extracts over HTTP.
///
/// The same verification as `watermark verify --json`, for an investigations
/// team: each investigator posts a leaked file with their token and gets the
/// report; each verification is recorded in the state's signed issuance log
/// under the investigator's name.
#[derive(Debug, Parser)]
#[command(name = "verify-service", version, after_help = AFTER_HELP, max_term_width = 100)]
struct Args {
    /// The state directory (master key, policies, issuance log), as made by `watermark init`.
    #[arg(long, env = "WATERMARK_STATE", value_name = "DIR")]
    state: PathBuf,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The investigators' tokens: `TOKEN NAME` a line, mode 0600.
    #[arg(long, value_name = "FILE")]
    tokens: PathBuf,
    /// Refuse request bodies larger than this many bytes (413).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: u64,
    /// Requests a minute allowed per token (429 past it); 0 for no limit.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RATE_LIMIT)]
    rate_limit: u32,
    /// Seconds allowed for one request, upload and verification (408 past it).
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..))]
    timeout_secs: u64,
    /// Seconds a client has to send a request's headers before its connection is closed.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_HEADER_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_timeout_secs: u64,
    /// Seconds an upload may stall, nothing of its body coming, before it is refused (408).
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_BODY_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    body_timeout_secs: u64,
    /// Wrong tokens from one address that lock it out (429); 0 for no lockouts.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_FAILURES)]
    auth_failures: u32,
    /// Seconds of the first lockout; each later one is twice the one before.
    #[arg(long, value_name = "SECS", default_value_t = lockout::DEFAULT_LOCKOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    auth_lockout_secs: u64,
    /// Seconds of the longest lockout; an address quiet this long after it is forgotten.
    #[arg(long, value_name = "SECS", default_value_t = lockout::DEFAULT_MAX_LOCKOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    auth_lockout_max_secs: u64,
    /// A reverse proxy in front of the service: for its requests the client's address, for the
    /// lockouts, is the one it appends to X-Forwarded-For. Repeat for each proxy.
    #[arg(long, value_name = "ADDR")]
    trusted_proxy: Vec<std::net::IpAddr>,
    /// Directory uploads are spooled to while they are verified (default: $TMPDIR or /tmp).
    #[arg(long, value_name = "DIR")]
    spool_dir: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    // A damaged Parquet or Arrow file is refused with an error naming it;
    // the reader's own panic message would only be noise.
    watermark_formats::silence_reader_panics();
    if args.auth_lockout_max_secs < args.auth_lockout_secs {
        Args::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "--auth-lockout-max-secs must be at least --auth-lockout-secs",
            )
            .exit();
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("verify-service: error: {err:#}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let tokens = Tokens::load(&args.tokens)?;
    // Refuse a state the verification could not use, before listening.
    let state = watermark_app::State::open(&args.state)?;
    state.master_key()?;
    state.log()?;
    let config = Config {
        state: args.state,
        tokens,
        max_body_bytes: args.max_body_bytes,
        rate_limit: args.rate_limit,
        timeout: Duration::from_secs(args.timeout_secs),
        header_timeout: Duration::from_secs(args.header_timeout_secs),
        body_timeout: Duration::from_secs(args.body_timeout_secs),
        lockout: lockout::Policy {
            failures: args.auth_failures,
            lockout: Duration::from_secs(args.auth_lockout_secs),
            max_lockout: Duration::from_secs(args.auth_lockout_max_secs),
            capacity: lockout::DEFAULT_CAPACITY,
        },
        trusted_proxies: args.trusted_proxy,
        spool_dir: args.spool_dir,
    };
    let investigators = config.tokens.len();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .said(|| said!(Msg::SvRuntime))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .said(|| said!(Msg::CtxListening, args.listen))?;
        tracing::info!(
            address = %listener.local_addr()?,
            state = %config.state.display(),
            investigators,
            "verify-service listening"
        );
        serve(listener, config, shutdown_signal())
            .await
            .said(|| said!(Msg::CtxServing))?;

        tracing::info!("stopped");
        Ok(())
    })
}

/// SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
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
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests under way");
}
