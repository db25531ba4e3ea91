//! What the container image runs, without a Docker engine: the built binary started from a
//! scratch root with the Dockerfile's own ENV (paths rebased into the scratch root), as the
//! image's non-root user, answering its HEALTHCHECK, writing its store to the /data volume, and
//! exiting 0 on SIGTERM. Also: a request id flows from acceptance to the delivery's log lines.

use crate::helpers::{acme_event, repo, secret_for, sign_with, test_mappings, API_KEY};
use crate::process::{free_port, Gateway, BIN};
use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The Dockerfile's final stage: ENV pairs (continuations joined), USER, WORKDIR, HEALTHCHECK.
struct Image {
    env: BTreeMap<String, String>,
    uid: u32,
    workdir: String,
    healthcheck: Vec<String>,
}

fn parse_dockerfile() -> Image {
    let text = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let joined = text.replace("\\\n", " ");
    let last_stage = joined.rsplit("\nFROM ").next().unwrap();
    let mut img = Image {
        env: BTreeMap::new(),
        uid: 0,
        workdir: "/".into(),
        healthcheck: Vec::new(),
    };
    for line in last_stage.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("ENV ") {
            for pair in rest.split_whitespace() {
                let (k, v) = pair.split_once('=').expect("ENV k=v");
                img.env.insert(k.to_owned(), v.to_owned());
            }
        } else if let Some(u) = line.strip_prefix("USER ") {
            img.uid = u.split(':').next().unwrap().parse().expect("numeric USER");
        } else if let Some(w) = line.strip_prefix("WORKDIR ") {
            img.workdir = w.to_owned();
        } else if let Some(h) = line.strip_prefix("HEALTHCHECK ") {
            let json = &h[h.find("CMD [").expect("exec-form HEALTHCHECK") + 4..];
            img.healthcheck = serde_json::from_str(json).expect("HEALTHCHECK CMD is a JSON array");
        }
    }
    img
}

/// `/etc/x` → `{root}/etc/x`, also inside URLs like `sqlite:///data/relay.db`.
fn rebase(v: &str, root: &Path) -> String {
    let r = root.display().to_string();
    v.replace("sqlite:///", &format!("sqlite://{r}/"))
        .split(' ')
        .map(|p| {
            if p.starts_with('/') {
                format!("{r}{p}")
            } else {
                p.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_runs_as_the_image_would_as_a_non_root_user_and_stops_cleanly_on_sigterm() {
    let img = parse_dockerfile();
    assert_ne!(img.uid, 0, "the image runs as a non-root user");
    assert_eq!(
        img.env.get("RELAY_DATABASE_URL").map(String::as_str),
        Some("sqlite:///data/relay.db")
    );
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("SKIPPED: switching to uid {} needs root", img.uid);
        return;
    }
    // The scratch root: the mappings where the image copies them, an empty /data owned by the user.
    let root = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        root.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let mappings = root.path().join("etc/assessment-relay/mappings");
    std::fs::create_dir_all(&mappings).unwrap();
    for e in std::fs::read_dir(repo().join("mappings"))
        .unwrap()
        .flatten()
    {
        std::fs::copy(e.path(), mappings.join(e.file_name())).unwrap();
    }
    let data = root.path().join(img.workdir.trim_start_matches('/'));
    std::fs::create_dir_all(&data).unwrap();
    nix::unistd::chown(&data, Some(img.uid.into()), Some(img.uid.into())).unwrap();

    let port = free_port();
    let mut env: BTreeMap<String, String> = img
        .env
        .iter()
        .map(|(k, v)| (k.clone(), rebase(v, root.path())))
        .collect();
    env.insert("RELAY_API_KEY".into(), API_KEY.into());
    let mut cmd = Command::new(BIN);
    cmd.uid(img.uid).gid(img.uid).current_dir(&data);
    let log = root.path().join("gateway.log");
    std::fs::write(&log, "").unwrap();
    nix::unistd::chown(&log, Some(img.uid.into()), Some(img.uid.into())).unwrap();
    let mut g = Gateway::start_with(cmd, &env, port, &log);

    // The HEALTHCHECK command, run as the image would run it.
    let (prog, args) = img.healthcheck.split_first().unwrap();
    assert!(prog.ends_with("assessment-relay"), "{prog}");
    let out = Command::new(BIN)
        .args(args)
        .uid(img.uid)
        .env_clear()
        .envs(&env)
        .env("RELAY_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "healthcheck: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let version = Command::new(BIN).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("assessment-relay "));

    // The store went to the /data volume, owned by the image's user.
    let db = data.join("relay.db");
    assert!(db.exists(), "the embedded store lives on the volume");
    assert_eq!(
        std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&db).unwrap()),
        img.uid
    );

    let status = g.terminate(Duration::from_secs(20));
    assert!(
        status.is_some_and(|s| s.success()),
        "SIGTERM exits 0: {status:?}\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_id_flows_from_acceptance_to_the_delivery_log_lines() {
    let dir = test_mappings();
    let data = tempfile::tempdir().unwrap();
    let upstream = MockServer::builder().start().await;
    Mock::given(method("PATCH"))
        .and(path("/unified/ats/assessments/orders/ord-rid/result"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&upstream)
        .await;
    let port = free_port();
    let mut env = crate::crash::env_for(
        dir.path(),
        &upstream.uri(),
        &format!("sqlite://{}/r.db", data.path().display()),
        port,
    );
    env.insert("RUST_LOG".into(), "info".into());
    let log = data.path().join("gateway.log");
    let mut g = Gateway::start(&env, port, &log);

    let body = acme_event("rid-1", "ord-rid", "PASS");
    let signed = sign_with(
        dir.path(),
        "acme",
        &secret_for("acme"),
        &body,
        chrono::Utc::now().timestamp_millis(),
    );
    let mut req = reqwest::Client::new()
        .post(format!("{}/webhooks/acme", g.url()))
        .header("x-request-id", "req-abc-123")
        .body(body);
    for (n, v) in &signed.headers {
        req = req.header(n, v);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(r.headers()["x-request-id"], "req-abc-123", "echoed");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let lines = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        if lines.iter().any(|l| l["message"] == "delivered") || std::time::Instant::now() > deadline
        {
            break lines;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mentions = |msg: &str| {
        lines
            .iter()
            .any(|l| l["message"] == msg && l.to_string().contains("req-abc-123"))
    };
    assert!(
        mentions("webhook accepted"),
        "acceptance log line carries the request id"
    );
    assert!(
        mentions("delivered"),
        "delivery log line carries the same request id"
    );
    let upstream_got = upstream.received_requests().await.unwrap();
    let delivered = upstream_got
        .iter()
        .find(|r| r.url.path() == "/unified/ats/assessments/orders/ord-rid/result")
        .expect("the order's PATCH reached the upstream");
    assert_eq!(
        delivered.headers["x-request-id"], "req-abc-123",
        "and so does the upstream request"
    );
    // Nothing secret or body-like in the logs.
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        !text.contains(&secret_for("acme"))
            && !text.contains(API_KEY)
            && !text.contains("\"divisor\""),
        "logs leak nothing"
    );
    g.terminate(Duration::from_secs(20));
}
