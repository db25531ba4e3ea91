//! See the module docs in `demo`.

use super::fixtures::{self, Case};
use super::standin::{Received, StandIn};
use crate::config::Settings;
use crate::domain::{Secret, VendorId};
use crate::forward::{order_path, Target};
use crate::signature::{MapSecrets, VerifierContext};
use crate::startup::{Application, BuildOptions};
use crate::vendors::{load_file, LoadOptions};
use anyhow::Context as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What to run.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub mappings: PathBuf,
    pub fixtures: PathBuf,
    /// Address for the gateway; port 0 picks a free one.
    pub listen: String,
    /// Stop after sending the fixtures instead of serving until Ctrl-C.
    pub exit: bool,
}

const API_KEY: &str = "demo-api-key";
const ADMIN_TOKEN: &str = "demo-admin-token-0123456789";

/// The secret the demo gives vendor `v` (hex: valid as raw text and as base64).
fn demo_secret(v: &str) -> String {
    hex::encode(format!("demo-secret-{v}-0"))
}

/// Runs the demo; returns whether every fixture did what its expected file says.
pub async fn run(o: DemoOptions) -> anyhow::Result<bool> {
    let cases = fixtures::load(&o.fixtures)
        .map_err(anyhow::Error::msg)
        .context("cannot read the fixtures")?;
    let mut secrets = MapSecrets::new();
    for c in &cases {
        if let Ok(id) = VendorId::parse(&c.vendor) {
            secrets = secrets.with(&id.env_suffix(), demo_secret(&c.vendor));
        }
    }
    let target = Target::new("", &Secret::new(API_KEY));
    let (standin, standin_server) = StandIn::start(target.authorization().clone())?;
    tokio::spawn(standin_server);

    // Bind first to learn the port: the public URL (signed by some vendors, used for callback
    // URLs) must name it.
    let probe = std::net::TcpListener::bind(&o.listen)
        .with_context(|| format!("cannot listen on {}", o.listen))?;
    let addr = probe.local_addr()?;
    drop(probe);
    let base = format!("http://{addr}");
    let data_dir =
        std::env::temp_dir().join(format!("assessment-relay-demo-{}", std::process::id()));
    let vars = [
        ("RELAY_LISTEN_ADDR", addr.to_string()),
        ("RELAY_MAPPINGS_DIR", o.mappings.display().to_string()),
        ("RELAY_UPSTREAM_URL", standin.url.clone()),
        ("RELAY_API_KEY", API_KEY.into()),
        (
            "RELAY_DATABASE_URL",
            format!("sqlite://{}/relay.db", data_dir.display()),
        ),
        ("RELAY_ADMIN_TOKEN", ADMIN_TOKEN.into()),
        ("RELAY_PUBLIC_URL", base.clone()),
        ("RELAY_TRUSTED_PROXIES", "127.0.0.1".into()),
        ("RELAY_RETRY_BASE_MS", "200".into()),
        ("RELAY_WORKERS", "2".into()),
    ];
    let settings = Settings::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.clone())))?;
    // Signed timestamps are checked against the samples' own time (see FIXTURE_CLOCK_MS).
    let clock: crate::startup::Clock = Arc::new(|| fixtures::FIXTURE_CLOCK_MS);
    let app = Application::build(
        settings,
        BuildOptions {
            secrets: Arc::new(secrets.clone()),
            verification_clock: Some(clock),
        },
    )
    .await?;
    let mut server = tokio::spawn(app.run_until_stopped());

    println!("assessment-relay demo");
    println!("  gateway   {base}  (POST /webhooks/{{vendor}})");
    println!(
        "  stand-in  {}  (plays StackOne: checks auth, validates bodies)",
        standin.url
    );
    println!("  store     {}", data_dir.join("relay.db").display());
    println!();

    let all_ok = tokio::task::LocalSet::new()
        .run_until(send_all(&cases, &o, &secrets, &base, &standin))
        .await?;
    println!();
    println!(
        "{}",
        if all_ok {
            "every fixture did what its .expected.json says"
        } else {
            "SOME FIXTURES DID NOT MATCH (see above)"
        }
    );
    if !o.exit {
        println!();
        println!("The gateway keeps running at {base} (admin token: {ADMIN_TOKEN}). Try:");
        println!("  curl -s {base}/readyz");
        println!("Ctrl-C to stop.");
        // The gateway stops by itself on SIGINT or SIGTERM (drains, lets deliveries finish),
        // so its end is the demo's: `kill` or `docker stop` end it as Ctrl-C does.
        match (&mut server).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("the gateway stopped: {e:#}"),
            Err(e) => eprintln!("the gateway's task ended: {e}"),
        }
    }
    server.abort();
    standin.stop().await;
    let _ = std::fs::remove_dir_all(&data_dir);
    Ok(all_ok)
}

async fn send_all(
    cases: &[Case],
    o: &DemoOptions,
    secrets: &MapSecrets,
    base: &str,
    standin: &StandIn,
) -> anyhow::Result<bool> {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(10))
        .finish();
    let ctx = VerifierContext::default();
    let mut all_ok = true;
    for c in cases {
        let path = o.mappings.join(format!("{}.json", c.vendor));
        let vendor = load_file(
            &path,
            LoadOptions {
                secrets,
                verifier: &ctx,
                public_url: Some(base),
            },
        )
        .map_err(|e| {
            anyhow::anyhow!(
                "{} does not load:\n{}",
                path.display(),
                crate::vendors::report(&e)
            )
        })?;
        let mut url = format!("{base}/webhooks/{}", c.vendor);
        if let Some(acct) = &c.context.route_account_id {
            url = format!("{url}/{acct}");
        }
        if let Some(b) = &c.context.registration {
            let body = serde_json::json!({"vendor": c.vendor, "correlation_key": b.correlation_key, "order_id": b.order_id, "account_id": b.account_id});
            admin(client.put(format!("{base}/admin/orders")), body).await?;
        }
        if let Some(b) = &c.context.callback {
            let body = serde_json::json!({"vendor": c.vendor, "order_id": b.order_id, "account_id": b.account_id});
            let created = admin(client.post(format!("{base}/admin/orders")), body).await?;
            url = created["callback_url"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
        }
        let signed = vendor
            .verifier
            .sign(&c.payload, fixtures::FIXTURE_CLOCK_MS, Some(&url))
            .map_err(|e| anyhow::anyhow!("cannot sign {}/{}: {e}", c.vendor, c.name))?;
        if !signed.query.is_empty() {
            url = format!("{url}?{}", signed.query);
        }
        let mut req = client
            .post(&url)
            .insert_header(("content-type", "application/json"));
        for (n, v) in signed
            .headers
            .iter()
            .map(|(n, v)| (n, v))
            .chain(c.context.headers.iter())
        {
            req = req.insert_header((n.as_str(), v.as_str()));
        }
        if let Some(ip) = &c.context.peer_ip {
            req = req.insert_header(("x-forwarded-for", ip.as_str()));
        }
        let before = standin.received.lock().map(|r| r.len()).unwrap_or(0);
        let mut res = req
            .send_body(c.payload.clone())
            .await
            .map_err(|e| anyhow::anyhow!("POST {url}: {e}"))?;
        let status = res.status().as_u16();
        let answer: serde_json::Value = res.json().await.unwrap_or_default();
        let verdict = check(c, status, &answer, standin, before).await;
        let ok = verdict.is_ok();
        all_ok &= ok;
        println!(
            "{} {:<12} {:<36} {} {}  {}",
            if ok { "ok  " } else { "FAIL" },
            c.vendor,
            c.name,
            status,
            answer["status"]
                .as_str()
                .unwrap_or(answer["error"]["code"].as_str().unwrap_or("")),
            verdict.unwrap_or_else(|e| e)
        );
    }
    Ok(all_ok)
}

async fn admin(
    req: awc::ClientRequest,
    body: serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    let mut res = req
        .insert_header(("authorization", format!("Bearer {ADMIN_TOKEN}")))
        .send_json(&body)
        .await
        .map_err(|e| anyhow::anyhow!("admin request: {e}"))?;
    anyhow::ensure!(
        res.status().is_success(),
        "admin request answered {}",
        res.status()
    );
    Ok(res.json().await.unwrap_or_default())
}

/// Compares what happened with the expected file; `Ok(description)` when it matches.
async fn check(
    c: &Case,
    status: u16,
    answer: &serde_json::Value,
    standin: &StandIn,
    before: usize,
) -> Result<String, String> {
    if c.expected.ignored {
        return match answer["status"].as_str() {
            Some("ignored") if status == 200 => Ok("ignored, as expected".into()),
            _ => Err(format!("expected ignored, got {status} {answer}")),
        };
    }
    if status == 200 && answer["status"] == "duplicate" {
        // Some vendors publish the same event twice (iMocha's two "In Progress" samples): one
        // gateway rightly answers the second as a duplicate and delivers it once.
        return Ok("same event as an earlier fixture: answered duplicate, delivered once".into());
    }
    if !(200..300).contains(&status) {
        return Err(format!("expected acceptance, got {status} {answer}"));
    }
    // Wait (bounded) for the delivery to reach the stand-in.
    let mut got: Option<Received> = None;
    for _ in 0..100 {
        if let Some(r) = standin
            .received
            .lock()
            .ok()
            .and_then(|r| r.get(before).cloned())
        {
            got = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let Some(r) = got else {
        return Err("not delivered within 5 s".into());
    };
    let want_path = order_path(c.expected.order_id.as_deref().unwrap_or_default());
    if r.path != want_path {
        return Err(format!("PATCH {} but expected {want_path}", r.path));
    }
    if Some(r.account_id.as_str()) != c.expected.account_id.as_deref() {
        return Err(format!(
            "x-account-id {} but expected {:?}",
            r.account_id, c.expected.account_id
        ));
    }
    if Some(&r.body) != c.expected.body.as_ref() {
        return Err(format!("body differs from expected: {}", r.body));
    }
    Ok(format!("→ PATCH {} valid={}", r.path, r.valid))
}
