//! `watermark-scheduler`: a Ballista scheduler with the registry
//! watermark's codecs. It holds no key.

use std::process::ExitCode;

use clap::Parser;

/// A Ballista scheduler with the registry watermark's codecs: it plans
/// issuances and verifications and hands their tasks to the executors
/// (`watermark-executor`). It holds no key.
#[derive(Debug, Parser)]
#[command(name = "watermark-scheduler", version)]
struct Args {
    /// The address to listen on.
    #[arg(long, value_name = "HOST", default_value = "127.0.0.1")]
    bind: String,
    /// The port clients and executors connect to.
    #[arg(long, value_name = "PORT", default_value_t = 50050)]
    port: u16,
    /// Seconds without a heartbeat before an executor is taken for dead
    /// and its tasks run again on the others.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    executor_timeout: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    watermark_cluster::executor::init_logging();
    let options = watermark_cluster::scheduler::Options {
        bind_host: args.bind,
        port: args.port,
        executor_timeout_seconds: args.executor_timeout,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "no async runtime");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(watermark_cluster::scheduler::run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "scheduler stopped");
            ExitCode::FAILURE
        }
    }
}
