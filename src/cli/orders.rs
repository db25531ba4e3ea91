//! `orders`: registering correlation keys and per-invite callback URLs directly in the store
//! (a running gateway releases the results waiting for them on its next poll).

use super::ops::{now_ms, open_store, print};
use crate::config::Settings;
use crate::correlation::{self, CallbackInput, RegistrationInput};
use anyhow::Context as _;
use clap::Subcommand;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

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
