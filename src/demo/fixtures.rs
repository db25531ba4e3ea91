//! Reading the fixtures folder (`tests/fixtures/{vendor}/{case}.json` + `.expected.json` +
//! optional `.context.json`, see `docs/mapping.md`). Used by the demo and the test suite.

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The time the published samples were sent, Unix ms: CodeSignal's sample carries
/// `triggeredOn: 1553720789347` inside its signed content, so replay protection accepts it only
/// near that time. The test suite and the demo check signed timestamps against this clock (and
/// sign the other vendors' fixtures at it), so the samples are used verbatim.
pub const FIXTURE_CLOCK_MS: i64 = 1_553_720_789_347 + 60_000;

/// One fixture case.
#[derive(Debug, Clone)]
pub struct Case {
    pub vendor: String,
    pub name: String,
    pub payload_path: PathBuf,
    /// The payload's exact bytes.
    pub payload: Vec<u8>,
    pub expected: Expected,
    pub context: CaseContext,
}

/// `{case}.expected.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Expected {
    #[serde(default)]
    pub ignored: bool,
    pub order_id: Option<String>,
    pub account_id: Option<String>,
    pub body: Option<Value>,
    pub rule: Option<String>,
    pub event_id: Option<String>,
    pub correlation_key: Option<String>,
}

/// `{case}.context.json`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CaseContext {
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub route_account_id: Option<String>,
    pub registration: Option<Binding>,
    pub callback: Option<Binding>,
    pub peer_ip: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Binding {
    pub correlation_key: Option<String>,
    pub order_id: String,
    pub account_id: String,
}

/// Every case under `dir`, sorted by vendor then case name.
pub fn load(dir: &Path) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    let mut vendors: Vec<PathBuf> = read_dir(dir)?.into_iter().filter(|p| p.is_dir()).collect();
    vendors.sort();
    for vdir in vendors {
        let vendor = file_name(&vdir);
        if vendor.starts_with("invalid") {
            continue; // invalid mapping files for the loader's tests, not vendor payloads
        }
        let mut files: Vec<PathBuf> = read_dir(&vdir)?
            .into_iter()
            .filter(|p| {
                let n = file_name(p);
                n.ends_with(".json")
                    && !n.ends_with(".expected.json")
                    && !n.ends_with(".context.json")
            })
            .collect();
        files.sort();
        for payload_path in files {
            let name = file_name(&payload_path)
                .trim_end_matches(".json")
                .to_owned();
            let expected_path = vdir.join(format!("{name}.expected.json"));
            let context_path = vdir.join(format!("{name}.context.json"));
            let payload = std::fs::read(&payload_path)
                .map_err(|e| format!("{}: {e}", payload_path.display()))?;
            let expected: Expected = read_json(&expected_path)?;
            let context: CaseContext = if context_path.exists() {
                read_json(&context_path)?
            } else {
                CaseContext::default()
            };
            cases.push(Case {
                vendor: vendor.clone(),
                name,
                payload_path,
                payload,
                expected,
                context,
            });
        }
    }
    Ok(cases)
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, String> {
    Ok(std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect())
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned()
}

fn read_json<T: serde::de::DeserializeOwned>(p: &Path) -> Result<T, String> {
    let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
}
