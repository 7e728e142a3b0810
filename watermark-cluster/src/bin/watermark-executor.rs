//! `watermark-executor`: a Ballista executor with the registry watermark's
//! operators, holding the master key from its own protected file.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// A Ballista executor with the registry watermark's operators. It loads
/// the master key from KEY_FILE (readable by its owner only) and never
/// sends it anywhere: plans name the key by its id.
#[derive(Debug, Parser)]
#[command(name = "watermark-executor", version)]
struct Args {
    /// The master key's file: STATE/master.key, or a copy of it, mode 0600.
    #[arg(long, value_name = "FILE")]
    key_file: PathBuf,
    /// The scheduler, as HOST:PORT.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:50050")]
    scheduler: String,
    /// The address to listen on.
    #[arg(long, value_name = "HOST", default_value = "127.0.0.1")]
    bind: String,
    /// The Arrow Flight port (results and shuffles).
    #[arg(long, value_name = "PORT", default_value_t = 50051)]
    port: u16,
    /// The gRPC port.
    #[arg(long, value_name = "PORT", default_value_t = 50052)]
    grpc_port: u16,
    /// Where shuffle files go.
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
    /// Tasks run at once; each marks on one thread [default: the cores].
    #[arg(long, value_name = "N")]
    concurrent_tasks: Option<usize>,
    /// Seconds between heartbeats to the scheduler.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    heartbeat: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    watermark_cluster::executor::init_logging();
    let Some((host, port)) = args
        .scheduler
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u16>().ok()?)))
    else {
        tracing::error!(scheduler = %args.scheduler, "the scheduler is named as HOST:PORT");
        return ExitCode::from(2);
    };
    let options = watermark_cluster::executor::Options {
        key_file: args.key_file,
        scheduler_host: host,
        scheduler_port: port,
        bind_host: args.bind,
        port: args.port,
        grpc_port: args.grpc_port,
        work_dir: args.work_dir,
        concurrent_tasks: args
            .concurrent_tasks
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        heartbeat_seconds: args.heartbeat,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "no async runtime");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(watermark_cluster::executor::run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "executor stopped");
            ExitCode::FAILURE
        }
    }
}
