//! `assessment-relay demo` arguments; the work is in `crate::demo`.

use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Mappings folder.
    #[arg(long, default_value = "./mappings")]
    pub mappings: PathBuf,
    /// Fixtures folder.
    #[arg(long, default_value = "./tests/fixtures")]
    pub fixtures: PathBuf,
    /// Gateway address (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Exit after sending the fixtures (exit code 1 if any did not match) instead of serving.
    #[arg(long)]
    pub exit: bool,
}

pub async fn run(a: DemoArgs) -> anyhow::Result<ExitCode> {
    crate::telemetry::init_with_default(Some(crate::config::LogFormat::Pretty), "warn");
    let ok = crate::demo::run(crate::demo::DemoOptions {
        mappings: a.mappings,
        fixtures: a.fixtures,
        listen: a.listen,
        exit: a.exit,
    })
    .await?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
