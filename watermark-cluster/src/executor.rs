//! A Ballista executor with the toolkit's operators: `watermark-executor`.
//!
//! The executor loads the master key from its own file (refused unless
//! only its owner can read it) and gives it to the operators its codec
//! decodes; the key is never in a plan, a task, a log line or an error.

use std::path::PathBuf;
use std::sync::Arc;

use ballista_core::config::TaskSchedulingPolicy;
use ballista_executor::executor_process::{start_executor_process, ExecutorProcessConfig};

use crate::codec::{WatermarkLogicalCodec, WatermarkPhysicalCodec};

/// How an executor runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The master key's file (mode 0600).
    pub key_file: PathBuf,
    /// The scheduler's host.
    pub scheduler_host: String,
    /// The scheduler's port.
    pub scheduler_port: u16,
    /// The address to listen on.
    pub bind_host: String,
    /// The Arrow Flight port, from which other executors and the client
    /// fetch results.
    pub port: u16,
    /// The gRPC port.
    pub grpc_port: u16,
    /// Where shuffle files go; a temporary directory if `None`.
    pub work_dir: Option<PathBuf>,
    /// Tasks run at once (each marks on one thread).
    pub concurrent_tasks: usize,
    /// Seconds between heartbeats to the scheduler.
    pub heartbeat_seconds: u64,
}

/// Loads the key and runs the executor until it is stopped.
pub async fn run(options: Options) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let key = Arc::new(watermark_app::key_file::load(&options.key_file)?);
    tracing::info!(key_id = %key.id(), "master key loaded");
    let config = ExecutorProcessConfig {
        bind_host: options.bind_host.clone(),
        external_host: Some(options.bind_host.clone()),
        port: options.port,
        grpc_port: options.grpc_port,
        scheduler_host: options.scheduler_host.clone(),
        scheduler_port: options.scheduler_port,
        vcores: options.concurrent_tasks.max(1),
        // Executors ask the scheduler for tasks: every plan an executor
        // runs comes over its own connection to the scheduler.
        task_scheduling_policy: TaskSchedulingPolicy::PullStaged,
        work_dir: options
            .work_dir
            .as_ref()
            .map(|d| d.to_string_lossy().into_owned()),
        executor_heartbeat_interval_seconds: options.heartbeat_seconds.max(1),
        override_logical_codec: Some(Arc::new(WatermarkLogicalCodec::new(Some(Arc::clone(&key))))),
        override_physical_codec: Some(Arc::new(WatermarkPhysicalCodec::new(Some(key)))),
        ..Default::default()
    };
    start_executor_process(Arc::new(config)).await?;
    Ok(())
}

/// Logs to standard error, at the level `RUST_LOG` gives (`info` if
/// unset): the cluster's processes' own logs and Ballista's.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}
