//! The command-line tools mapping authors use: check, translate, sign, verify, config, demo.

use crate::helpers::{repo, secret_for};
use crate::process::BIN;
use std::process::{Command, Output};

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(repo())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn check_passes_on_the_bundled_mappings_and_fails_with_file_field_and_reason_on_a_bad_one() {
    let ok = run(&["check"], &[]);
    assert!(ok.status.success(), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("6 mapping file(s)"), "{}", stdout(&ok));

    let dir = crate::helpers::mappings_copy();
    let broken = r#"{"auth": {"scheme": "none"}, "rules": [{"name": "r", "result": {"result": {"value": "Passed"}}}]}"#;
    std::fs::write(dir.path().join("broken.json"), broken).unwrap();
    let bad = run(&["check", dir.path().to_str().unwrap()], &[]);
    assert_eq!(bad.status.code(), Some(1));
    let out = stdout(&bad);
    assert!(
        out.contains("FAIL")
            && out.contains("broken.json")
            && out.contains("rule \"r\", result.result.value"),
        "{out}"
    );
    assert!(out.contains("\"Passed\" is not one of"), "says why: {out}");
}

#[test]
fn translate_prints_exactly_what_the_expected_fixture_holds() {
    let o = run(
        &[
            "translate",
            "hackerearth",
            "tests/fixtures/hackerearth/candidate-test-finished.json",
        ],
        &[],
    );
    assert!(o.status.success());
    let got: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let want: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            repo().join("tests/fixtures/hackerearth/candidate-test-finished.expected.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(got["body"], want["body"]);
    assert_eq!(got["rule"], want["rule"]);
    assert_eq!(got["correlation_key"], want["correlation_key"]);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("PUT /admin/orders"),
        "says where the order comes from"
    );

    let ignored = run(
        &[
            "translate",
            "hackerearth",
            "tests/fixtures/hackerearth/candidate-test-started.json",
        ],
        &[],
    );
    assert!(ignored.status.success());
    assert!(stdout(&ignored).contains("\"ignored\": true"));

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.json"), "not json").unwrap();
    let rejected = run(
        &[
            "translate",
            "hackerearth",
            dir.path().join("p.json").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(rejected.status.code(), Some(1));
    assert!(stdout(&rejected).contains("invalid_json"));
}

#[test]
fn sign_then_verify_round_trips_and_verify_explains_a_tampered_body() {
    let secret = secret_for("hackerearth");
    let env = [("RELAY_SECRET_HACKEREARTH", secret.as_str())];
    let body = "tests/fixtures/hackerearth/candidate-test-finished.json";
    let signed = run(&["sign", "hackerearth", body, "--now", "1700000000"], &env);
    assert!(signed.status.success());
    let header = stdout(&signed).trim().to_owned();
    assert!(
        header.starts_with("HE-Signature: t=1700000000,v1="),
        "{header}"
    );

    let ok = run(
        &[
            "verify",
            "hackerearth",
            "--body",
            body,
            "-H",
            &header,
            "--now",
            "1700000010",
        ],
        &env,
    );
    assert!(ok.status.success(), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("result: valid"));

    let dir = tempfile::tempdir().unwrap();
    let tampered = dir.path().join("t.json");
    std::fs::write(
        &tampered,
        std::fs::read_to_string(repo().join(body))
            .unwrap()
            .replace("alice", "mallory"),
    )
    .unwrap();
    let bad = run(
        &[
            "verify",
            "hackerearth",
            "--body",
            tampered.to_str().unwrap(),
            "-H",
            &header,
            "--now",
            "1700000010",
        ],
        &env,
    );
    assert_eq!(bad.status.code(), Some(1));
    let out = stdout(&bad);
    assert!(
        out.contains("signature_mismatch") && out.contains("secrets tried: 1"),
        "{out}"
    );
    assert!(
        !out.contains(&secret) && !out.contains(&header[27..]),
        "never prints the secret or the signature"
    );
}

#[test]
fn config_prints_every_setting_with_secrets_redacted() {
    let o = run(
        &["config"],
        &[
            ("RELAY_API_KEY", "sk_live_very_secret"),
            ("RELAY_SECRET_ACME", "shh"),
        ],
    );
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(
        out.contains("RELAY_API_KEY=[redacted]") && out.contains("RELAY_SECRET_ACME=[redacted]"),
        "{out}"
    );
    assert!(out.contains("RELAY_LISTEN_ADDR=0.0.0.0:8080"));
    assert!(!out.contains("sk_live_very_secret") && !out.contains("shh\n"));
    let bad = run(&["config"], &[("RELAY_LISTEN_ADDR", "nowhere")]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("RELAY_LISTEN_ADDR"),
        "names the variable"
    );
}

#[test]
fn the_demo_sends_every_fixture_through_the_gateway_and_all_match() {
    let o = run(&["demo", "--exit", "--listen", "127.0.0.1:0"], &[]);
    let out = stdout(&o);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("every fixture did what its .expected.json says"),
        "{out}"
    );
    assert!(!out.contains("FAIL"), "{out}");
}

#[test]
fn the_demo_left_running_stops_on_sigterm_and_removes_its_store() {
    use std::io::BufRead;
    use std::time::{Duration, Instant};
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["demo", "--listen", "127.0.0.1:0"])
        .current_dir(repo())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TMPDIR", tmp.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary runs");
    // Lines arrive on a thread so that every wait below is bounded.
    let (lines, rx) = std::sync::mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let mut store = None;
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the demo reaches its prompt");
        if let Some(path) = line.trim().strip_prefix("store") {
            store = Some(std::path::PathBuf::from(path.trim()));
        }
        if line.contains("Ctrl-C to stop") {
            break;
        }
    }
    let store = store.expect("the demo names its store");
    assert!(store.starts_with(tmp.path()) && store.exists(), "{store:?}");

    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(25));
    };
    assert_eq!(status.and_then(|s| s.code()), Some(0), "exits 0 on SIGTERM");
    assert!(!store.parent().unwrap().exists(), "its store is removed");
}
