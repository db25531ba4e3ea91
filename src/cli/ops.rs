//! `deliveries` and `config`: operating a gateway's store directly (no running gateway needed;
//! a running one picks changes up on its next poll). `orders` is in `orders.rs`.

use crate::config::Settings;
use crate::queue::{JobFilter, JobId, JobState, Store, StoreOptions};
use crate::replay::{replay, ReplayResult};
use crate::signature::{EnvSecrets, VerifierContext};
use crate::stackone::ResultValidator;
use crate::vendors::{load_dir, LoadOptions};
use anyhow::Context as _;
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Subcommand)]
pub enum DeliveriesCmd {
    /// List deliveries, newest first.
    List {
        /// pending, in_flight, delivered, dead or awaiting_order
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        vendor: Option<String>,
        #[arg(long)]
        order_id: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Show one delivery with its body, payload, attempts and last error.
    Show { id: JobId },
    /// Replay dead (or delivered) jobs: the given ids, or every dead letter matching the filter.
    Replay {
        ids: Vec<JobId>,
        /// Replay every dead letter (optionally of one vendor).
        #[arg(long)]
        all_dead: bool,
        #[arg(long)]
        vendor: Option<String>,
        /// Translate the stored payload again with the current mappings first.
        #[arg(long)]
        retranslate: bool,
        /// Mappings folder for --retranslate (default: RELAY_MAPPINGS_DIR or ./mappings).
        #[arg(long = "mappings")]
        mappings: Option<PathBuf>,
    },
}

pub(super) async fn open_store(s: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    crate::queue::open(
        &s.database_url,
        &StoreOptions {
            pool_size: 2,
            statement_timeout_ms: s.db_statement_timeout_ms,
        },
    )
    .await
    .context("cannot open the store (RELAY_DATABASE_URL)")
}

pub(super) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(super) fn print(v: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

pub async fn deliveries(cmd: DeliveriesCmd) -> anyhow::Result<ExitCode> {
    let settings = Settings::from_env()?;
    let store = open_store(&settings).await?;
    match cmd {
        DeliveriesCmd::List {
            state,
            vendor,
            order_id,
            limit,
        } => {
            let state = state
                .map(|s| JobState::parse(&s).ok_or_else(|| anyhow::anyhow!("unknown state {s:?}")))
                .transpose()?;
            let jobs = store
                .list(&JobFilter {
                    state,
                    vendor,
                    order_id,
                    before_id: None,
                    limit,
                })
                .await?;
            for j in &jobs {
                println!(
                    "{:>8}  {:<14} {:<12} attempts={:<3} order={} {}",
                    j.id,
                    j.state.as_str(),
                    j.vendor,
                    j.attempts,
                    j.order_id.as_deref().unwrap_or("-"),
                    j.last_error.as_deref().unwrap_or("")
                );
            }
            println!("{} deliveries", jobs.len());
            Ok(ExitCode::SUCCESS)
        }
        DeliveriesCmd::Show { id } => match store.get(id).await? {
            Some(job) => {
                print(&job)?;
                Ok(ExitCode::SUCCESS)
            }
            None => {
                eprintln!("no delivery {id}");
                Ok(ExitCode::FAILURE)
            }
        },
        DeliveriesCmd::Replay {
            ids,
            all_dead,
            vendor,
            retranslate,
            mappings,
        } => {
            let ids = if all_dead {
                store
                    .ids(&JobFilter {
                        state: Some(JobState::Dead),
                        vendor,
                        order_id: None,
                        before_id: None,
                        limit: usize::MAX >> 1,
                    })
                    .await?
            } else {
                anyhow::ensure!(!ids.is_empty(), "give delivery ids, or --all-dead");
                ids
            };
            let dir = super::mappings_dir(mappings.or(Some(settings.mappings_dir.clone())));
            let ctx = VerifierContext::default();
            let vendors = load_dir(
                &dir,
                LoadOptions {
                    secrets: &EnvSecrets,
                    verifier: &ctx,
                    public_url: settings.public_url.as_deref(),
                },
            )
            .map_err(|e| {
                anyhow::anyhow!("mappings do not load:\n{}", crate::vendors::report(&e))
            })?;
            let validator = ResultValidator::bundled();
            let mut failed = 0;
            for id in ids {
                let r = replay(
                    store.as_ref(),
                    &vendors,
                    &validator,
                    id,
                    retranslate,
                    now_ms(),
                )
                .await?;
                if !matches!(r, ReplayResult::Replayed { .. }) {
                    failed += 1;
                }
                println!("{}", serde_json::to_string(&r)?);
            }
            Ok(if failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

pub fn config() -> anyhow::Result<ExitCode> {
    let settings = Settings::from_env()?;
    for (k, v) in settings.describe() {
        println!("{k}={v}");
    }
    let mut secrets: Vec<String> = std::env::vars()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("RELAY_SECRET_"))
        .collect();
    secrets.sort();
    for k in secrets {
        println!("{k}=[redacted]");
    }
    Ok(ExitCode::SUCCESS)
}
