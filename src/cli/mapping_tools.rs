//! `check`, `translate`, `sign`, `verify`: offline tools for mapping authors.

use super::{mappings_dir, parse_header, SignArgs, TranslateArgs, VerifyArgs};
use crate::domain::{Headers, VendorId};
use crate::forward::order_path;
use crate::ingest::{self, Prepared, Rejection, StoredRoute};
use crate::mapping::RouteParams;
use crate::signature::{EnvSecrets, InboundRequest, VerifierContext};
use crate::stackone::ResultValidator;
use crate::vendors::{load_file, LoadOptions, Vendor};
use anyhow::Context as _;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

fn load_opts<'a>(ctx: &'a VerifierContext, public_url: Option<&'a str>) -> LoadOptions<'a> {
    LoadOptions {
        secrets: &EnvSecrets,
        verifier: ctx,
        public_url,
    }
}

fn public_url() -> Option<String> {
    std::env::var("RELAY_PUBLIC_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// Loads one vendor's file, printing every problem when it does not load.
fn load_vendor(dir: Option<PathBuf>, vendor: &str) -> anyhow::Result<Vendor> {
    let id = VendorId::parse(vendor)
        .map_err(|e| anyhow::anyhow!("{vendor:?} is not a vendor name: it {e}"))?;
    let path = mappings_dir(dir).join(format!("{id}.json"));
    anyhow::ensure!(path.is_file(), "no mapping file {}", path.display());
    let ctx = VerifierContext::default();
    let public = public_url();
    load_file(&path, load_opts(&ctx, public.as_deref())).map_err(|errors| {
        anyhow::anyhow!(
            "{} does not load:\n{}",
            path.display(),
            crate::vendors::report(&errors)
        )
    })
}

pub fn check(dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let dir = mappings_dir(dir);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            n.ends_with(".json") && !n.ends_with(".schema.json") && !n.starts_with('.')
        })
        .collect();
    paths.sort();
    let ctx = VerifierContext::default();
    let public = public_url();
    let mut bad = 0;
    for p in &paths {
        match load_file(p, load_opts(&ctx, public.as_deref())) {
            Ok(v) => {
                println!(
                    "ok    {:<16} auth: {}; rules: {}",
                    v.id,
                    v.verifier.describe(),
                    v.mapping.rule_names().join(", ")
                );
                if let Some(why) = &v.disabled {
                    println!("      {:<16} note: would start disabled here: {why}", "");
                }
            }
            Err(errors) => {
                bad += 1;
                for e in errors {
                    println!("FAIL  {e}");
                }
            }
        }
    }
    println!(
        "{} mapping file(s) in {}, {bad} invalid",
        paths.len(),
        dir.display()
    );
    Ok(if bad == 0 && !paths.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub fn translate(a: TranslateArgs) -> anyhow::Result<ExitCode> {
    let vendor = load_vendor(a.mappings.dir, &a.vendor)?;
    let body = std::fs::read(&a.payload)
        .with_context(|| format!("cannot read {}", a.payload.display()))?;
    let mut headers = Headers::new();
    for h in &a.headers {
        let (n, v) = parse_header(h)?;
        headers.push(&n, &v);
    }
    let route = StoredRoute::new(
        RouteParams {
            account_id: a.account,
        },
        None,
    );
    let ctx = ingest::Context {
        vendor: &vendor,
        headers: &headers,
        route: &route,
        received_at: chrono::Utc::now(),
        request_id: "cli",
    };
    let validator = ResultValidator::bundled();
    let (out, ok) = match ingest::prepare(ctx, &body, &validator) {
        Ok(Prepared::Ignored { reason }) => (
            serde_json::to_string_pretty(&json!({"ignored": true, "reason": reason}))?,
            true,
        ),
        Ok(Prepared::Job(job)) => {
            let body: serde_json::Value =
                serde_json::from_str(job.body.as_deref().unwrap_or("null"))?;
            match (&job.order_id, &job.account_id) {
                (Some(o), Some(acct)) => eprintln!("would send: PATCH {} with x-account-id: {acct}", order_path(o)),
                _ => eprintln!(
                    "the order comes from the registry at acceptance: PUT /admin/orders with correlation_key {:?}",
                    job.correlation_key.as_deref().unwrap_or_default()
                ),
            }
            eprintln!(
                "the body is valid against StackOne's {}",
                crate::stackone::RESULT_SCHEMA
            );
            let out = Expected {
                rule: job.rule.as_deref(),
                order_id: job.order_id.as_deref(),
                account_id: job.account_id.as_deref(),
                event_id: job.event_key.strip_prefix("id:"),
                correlation_key: job.correlation_key.as_deref(),
                body,
            };
            (serde_json::to_string_pretty(&out)?, true)
        }
        Ok(Prepared::DeadLetter(_, r)) | Err(r) => (
            serde_json::to_string_pretty(
                &json!({"rejected": rejection_code(&r), "reason": r.message()}),
            )?,
            false,
        ),
    };
    println!("{out}");
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The `.expected.json` shape, in the order people read it.
#[derive(serde::Serialize)]
struct Expected<'a> {
    rule: Option<&'a str>,
    order_id: Option<&'a str>,
    account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    correlation_key: Option<&'a str>,
    body: serde_json::Value,
}

fn rejection_code(r: &Rejection) -> &'static str {
    match r {
        Rejection::InvalidJson(_) => "invalid_json",
        Rejection::MappingFailed(_) => "mapping_failed",
        Rejection::InvalidResult(_) => "invalid_result",
        Rejection::OrderUnresolved(_) => "order_unresolved",
    }
}

pub fn sign(a: SignArgs) -> anyhow::Result<ExitCode> {
    let vendor = load_vendor(a.mappings.dir, &a.vendor)?;
    let body = std::fs::read(&a.payload)
        .with_context(|| format!("cannot read {}", a.payload.display()))?;
    let now_ms = a
        .now
        .map(|s| s * 1000)
        .unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
    let url = a.url.or_else(|| {
        public_url().map(|p| format!("{}/webhooks/{}", p.trim_end_matches('/'), vendor.id))
    });
    let signed = vendor
        .verifier
        .sign(&body, now_ms, url.as_deref())
        .map_err(|e| anyhow::anyhow!("cannot sign for {}: {e}", vendor.id))?;
    for (n, v) in &signed.headers {
        println!("{n}: {v}");
    }
    if !signed.query.is_empty() {
        eprintln!("note: append ?{} to the webhook URL", signed.query);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn verify(a: VerifyArgs) -> anyhow::Result<ExitCode> {
    let vendor = load_vendor(a.mappings.dir, &a.vendor)?;
    let body = bytes::Bytes::from(
        std::fs::read(&a.body).with_context(|| format!("cannot read {}", a.body.display()))?,
    );
    let mut headers = Headers::new();
    for h in &a.headers {
        let (n, v) = parse_header(h)?;
        headers.push(&n, &v);
    }
    let query = a
        .url
        .as_deref()
        .and_then(|u| u.split_once('?'))
        .map(|(_, q)| q.to_owned())
        .unwrap_or_default();
    let req = InboundRequest {
        headers: &headers,
        body: &body,
        url: a.url.as_deref(),
        query: &query,
        peer: a.peer,
        callback: None,
        now_ms: a
            .now
            .map(|s| s * 1000)
            .unwrap_or_else(|| chrono::Utc::now().timestamp_millis()),
    };
    let ex = vendor.verifier.explain(&req);
    println!("{ex}");
    Ok(if ex.valid && ex.failure.is_none() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
