//! `deliveries`, `orders`, `config`: operating a gateway's store directly (no running gateway
//! needed; a running one picks changes up on its next poll).

use crate::config::Settings;
use crate::correlation::{self, CallbackInput, RegistrationInput};
use crate::queue::{JobFilter, JobId, JobState, Store, StoreOptions};
use crate::replay::{replay, ReplayResult};
use crate::signature::{EnvSecrets, VerifierContext};
use crate::stackone::ResultValidator;
use crate::vendors::{load_dir, LoadOptions};
use anyhow::Context as _;
use clap::Subcommand;
use serde_json::json;
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

#[derive(Debug, Subcommand)]
pub enum OrdersCmd {
    /// List registrations.
    List {
        #[arg(long)]
        vendor: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Register a correlation key → order (releases results that arrived first).
    Put {
        vendor: String,
        correlation_key: String,
        order_id: String,
        account_id: String,
    },
    /// Delete a registration.
    Delete {
        vendor: String,
        correlation_key: String,
    },
    /// Import registrations from a JSON-lines file (one {vendor, correlation_key, order_id, account_id} per line).
    Import { file: PathBuf },
    /// Create a per-invite callback URL for an order (needs RELAY_PUBLIC_URL).
    Callback {
        vendor: String,
        order_id: String,
        account_id: String,
    },
}

async fn open_store(s: &Settings) -> anyhow::Result<Arc<dyn Store>> {
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

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn print(v: &impl serde::Serialize) -> anyhow::Result<()> {
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

pub async fn orders(cmd: OrdersCmd) -> anyhow::Result<ExitCode> {
    let settings = Settings::from_env()?;
    let store = open_store(&settings).await?;
    let retention = settings.registration_retention();
    match cmd {
        OrdersCmd::List { vendor, limit } => {
            for r in store
                .list_registrations(vendor.as_deref(), limit, None)
                .await?
            {
                println!("{}", serde_json::to_string(&r)?);
            }
        }
        OrdersCmd::Put {
            vendor,
            correlation_key,
            order_id,
            account_id,
        } => {
            let input = RegistrationInput {
                vendor,
                correlation_key,
                order_id,
                account_id,
                expires_in_days: None,
            };
            let reg = input
                .into_registration(now_ms(), retention)
                .map_err(anyhow::Error::msg)?;
            let released = store.put_registration(&reg, now_ms()).await?;
            print(&json!({"registration": reg, "released": released}))?;
        }
        OrdersCmd::Delete {
            vendor,
            correlation_key,
        } => {
            if !store.delete_registration(&vendor, &correlation_key).await? {
                eprintln!("no such registration");
                return Ok(ExitCode::FAILURE);
            }
        }
        OrdersCmd::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let (inputs, mut errors) = correlation::parse_jsonl(&text);
            let (mut imported, mut released) = (0u64, 0u64);
            for (line, input) in inputs {
                match input.into_registration(now_ms(), retention) {
                    Ok(reg) => {
                        released += store.put_registration(&reg, now_ms()).await?;
                        imported += 1;
                    }
                    Err(e) => errors.push((line, e)),
                }
            }
            errors.sort_by_key(|(line, _)| *line);
            for (line, e) in &errors {
                eprintln!("line {line}: {e}");
            }
            print(&json!({"imported": imported, "released": released, "errors": errors.len()}))?;
            if !errors.is_empty() {
                return Ok(ExitCode::FAILURE);
            }
        }
        OrdersCmd::Callback {
            vendor,
            order_id,
            account_id,
        } => {
            let public = settings
                .public_url
                .clone()
                .context("RELAY_PUBLIC_URL must be set to issue callback URLs")?;
            let token = correlation::new_token();
            let v = vendor.clone();
            let cb = CallbackInput {
                vendor,
                order_id,
                account_id,
                expires_in_days: None,
            }
            .into_callback(&token, now_ms(), retention)
            .map_err(anyhow::Error::msg)?;
            store.put_callback(&cb).await?;
            print(
                &json!({"callback_url": correlation::callback_url(&public, &v, &token), "expires_at_ms": cb.expires_at_ms}),
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
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
