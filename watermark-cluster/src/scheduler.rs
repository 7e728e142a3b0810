//! A Ballista scheduler with the toolkit's codecs: `watermark-scheduler`.
//! It plans and hands out tasks; it holds no key and runs no operator.

use std::net::SocketAddr;
use std::sync::Arc;

use ballista_core::config::TaskSchedulingPolicy;
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;

use crate::codec::{WatermarkLogicalCodec, WatermarkPhysicalCodec};

/// How the scheduler runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The address to listen on.
    pub bind_host: String,
    /// The port.
    pub port: u16,
    /// Seconds without a heartbeat after which an executor is taken for
    /// dead and its tasks are run again elsewhere.
    pub executor_timeout_seconds: u64,
}

/// Runs the scheduler until it is stopped.
pub async fn run(options: Options) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let config = SchedulerConfig {
        bind_host: options.bind_host.clone(),
        external_host: options.bind_host.clone(),
        bind_port: options.port,
        // Executors pull their tasks (see `executor`).
        scheduling_policy: TaskSchedulingPolicy::PullStaged,
        executor_timeout_seconds: options.executor_timeout_seconds,
        expire_dead_executor_interval_seconds: (options.executor_timeout_seconds / 2).clamp(1, 15),
        no_executors_grace_period_seconds: options.executor_timeout_seconds,
        override_logical_codec: Some(Arc::new(WatermarkLogicalCodec::new(None))),
        override_physical_codec: Some(Arc::new(WatermarkPhysicalCodec::new(None))),
        ..Default::default()
    };
    let addr: SocketAddr = format!("{}:{}", config.bind_host, config.bind_port).parse()?;
    let cluster = BallistaCluster::new_from_config(&config).await?;
    start_server(cluster, addr, Arc::new(config)).await?;
    Ok(())
}
