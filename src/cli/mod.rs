//! Command line: `serve` (default) runs the gateway; the other commands are tools for the people
//! who add vendors (`check`, `translate`, `sign`, `verify`), operate the queue (`deliveries`,
//! `orders`, `config`) or want to see it work (`demo`).

mod demo;
mod health;
mod mapping_tools;
mod ops;
mod orders;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "assessment-relay",
    version,
    about = "Verifies, translates and durably forwards assessment vendors' webhooks to StackOne"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (the default). Configured by RELAY_* variables, see docs/configuration.md.
    Serve,
    /// Load and validate every mapping file; exit 1 with precise errors if any is invalid.
    Check {
        /// Mappings folder (default: RELAY_MAPPINGS_DIR or ./mappings).
        dir: Option<PathBuf>,
    },
    /// Show what the gateway would do with a payload: the rule, the PATCH it would send (validated
    /// against the StackOne schema), or why it would be ignored or rejected. No network.
    Translate(TranslateArgs),
    /// Print the headers a vendor would send with a payload (`Name: value` lines), signed with
    /// RELAY_SECRET_<VENDOR>.
    Sign(SignArgs),
    /// Check a request's authentication as the gateway would, explaining a failure. Exit 0 if valid.
    Verify(VerifyArgs),
    /// Run the gateway against a built-in stand-in for StackOne and send the bundled fixtures through it.
    Demo(demo::DemoArgs),
    /// Inspect and replay deliveries (works on RELAY_DATABASE_URL directly).
    #[command(subcommand)]
    Deliveries(ops::DeliveriesCmd),
    /// Manage order registrations and per-invite callback URLs (on RELAY_DATABASE_URL directly).
    #[command(subcommand)]
    Orders(orders::OrdersCmd),
    /// Print the effective configuration, secrets redacted.
    Config,
    /// Exit 0 if the gateway at RELAY_LISTEN_ADDR answers /healthz (the container HEALTHCHECK).
    Healthcheck,
}

#[derive(Debug, Args)]
pub struct MappingsDir {
    /// Mappings folder (default: RELAY_MAPPINGS_DIR or ./mappings).
    #[arg(long = "mappings")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TranslateArgs {
    pub vendor: String,
    pub payload: PathBuf,
    /// A request header the mapping may read, `Name: value` (repeatable).
    #[arg(short = 'H', long = "header")]
    pub headers: Vec<String>,
    /// The account carried by the route (`/webhooks/{vendor}/{account_id}`).
    #[arg(long)]
    pub account: Option<String>,
    #[command(flatten)]
    pub mappings: MappingsDir,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    pub vendor: String,
    pub payload: PathBuf,
    /// Signing time, Unix seconds (default: now).
    #[arg(long)]
    pub now: Option<i64>,
    /// The URL the vendor calls, for schemes that sign it (default: RELAY_PUBLIC_URL + /webhooks/{vendor}).
    #[arg(long)]
    pub url: Option<String>,
    #[command(flatten)]
    pub mappings: MappingsDir,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    pub vendor: String,
    /// The exact body received.
    #[arg(long)]
    pub body: PathBuf,
    /// A received header, `Name: value` (repeatable).
    #[arg(short = 'H', long = "header")]
    pub headers: Vec<String>,
    /// Verification time, Unix seconds (default: now).
    #[arg(long)]
    pub now: Option<i64>,
    /// The URL the vendor called (for schemes that sign it).
    #[arg(long)]
    pub url: Option<String>,
    /// The client address (for IP allow-lists).
    #[arg(long)]
    pub peer: Option<std::net::IpAddr>,
    #[command(flatten)]
    pub mappings: MappingsDir,
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve().await,
        Command::Check { dir } => mapping_tools::check(dir),
        Command::Translate(a) => mapping_tools::translate(a),
        Command::Sign(a) => mapping_tools::sign(a),
        Command::Verify(a) => mapping_tools::verify(a),
        Command::Demo(a) => demo::run(a).await,
        Command::Deliveries(c) => ops::deliveries(c).await,
        Command::Orders(c) => orders::orders(c).await,
        Command::Config => ops::config(),
        Command::Healthcheck => health::healthcheck(),
    }
}

async fn serve() -> anyhow::Result<ExitCode> {
    let settings = crate::config::Settings::from_env()?;
    crate::telemetry::init(settings.log_format());
    let app = crate::startup::Application::build(
        settings,
        crate::startup::BuildOptions {
            secrets: std::sync::Arc::new(crate::signature::EnvSecrets),
            verification_clock: None,
        },
    )
    .await?;
    app.run_until_stopped().await?;
    Ok(ExitCode::SUCCESS)
}

/// `Name: value` → (name, value).
fn parse_header(h: &str) -> anyhow::Result<(String, String)> {
    let (n, v) = h
        .split_once(':')
        .ok_or_else(|| anyhow::anyhow!("header {h:?} is not `Name: value`"))?;
    Ok((n.trim().to_owned(), v.trim().to_owned()))
}

/// The mappings folder: the argument, else RELAY_MAPPINGS_DIR, else ./mappings.
fn mappings_dir(arg: Option<PathBuf>) -> PathBuf {
    arg.or_else(|| std::env::var_os("RELAY_MAPPINGS_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("./mappings"))
}
