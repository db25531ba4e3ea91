//! `docs/configuration.md` is generated from `Settings`: names and defaults from the struct itself,
//! meanings from the fields' doc comments (in src/config/mod.rs). This test regenerates the table and fails when the file
//! differs; `UPDATE_DOCS=1 cargo test config_docs` rewrites it.

use crate::helpers::repo;
use assessment_relay::config::Settings;
use std::collections::BTreeMap;

const BEGIN: &str = "<!-- BEGIN GENERATED: settings table (tests/api/config_docs.rs) -->";
const END: &str = "<!-- END GENERATED -->";

/// `field → doc comment` from src/config/mod.rs (the `///` lines right above `pub field:`).
fn field_docs() -> BTreeMap<String, String> {
    let src = std::fs::read_to_string(repo().join("src/config/mod.rs")).unwrap();
    let mut docs = BTreeMap::new();
    let mut pending: Vec<String> = Vec::new();
    let mut in_struct = false;
    for line in src.lines() {
        let t = line.trim();
        if t.starts_with("pub struct Settings") {
            in_struct = true;
            continue;
        }
        if !in_struct {
            continue;
        }
        if t == "}" {
            break;
        }
        if let Some(d) = t.strip_prefix("///") {
            pending.push(d.trim().to_owned());
        } else if let Some(rest) = t.strip_prefix("pub ") {
            let field = rest.split(':').next().unwrap().trim().to_owned();
            docs.insert(field, pending.join(" "));
            pending.clear();
        } else if !t.starts_with("#[") && !t.starts_with("//") {
            pending.clear();
        }
    }
    docs
}

fn table() -> String {
    let defaults = Settings::from_vars(Vec::<(String, String)>::new())
        .unwrap()
        .describe();
    let docs = field_docs();
    let mut out = String::from("| Variable | Default | Meaning |\n|---|---|---|\n");
    for (var, default) in defaults {
        let field = var.trim_start_matches("RELAY_").to_lowercase();
        let meaning = docs.get(&field).cloned().unwrap_or_default();
        assert!(
            !meaning.is_empty(),
            "{var} has no doc comment in src/config/mod.rs"
        );
        let default = if default.is_empty() {
            "unset".to_owned()
        } else {
            format!("`{default}`")
        };
        out.push_str(&format!(
            "| `{var}` | {default} | {} |\n",
            meaning.replace('|', "\\|")
        ));
    }
    out
}

#[test]
fn the_configuration_reference_matches_the_settings_struct() {
    let path = repo().join("docs/configuration.md");
    let text = std::fs::read_to_string(&path).expect("docs/configuration.md exists");
    let (head, rest) = text.split_once(BEGIN).expect("the begin marker is present");
    let (_, tail) = rest.split_once(END).expect("the end marker is present");
    let fresh = format!("{head}{BEGIN}\n{}{END}{tail}", table());
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    assert!(
        fresh == text,
        "docs/configuration.md is out of date with src/config/mod.rs; run `UPDATE_DOCS=1 cargo test config_docs` and commit it"
    );
}

#[test]
fn every_variable_the_docs_and_readme_mention_exists() {
    let mut text = String::new();
    for f in [
        "docs/configuration.md",
        "README.md",
        "docs/operations.md",
        "docs/performance.md",
        "docs/correlation.md",
        "docs/errors.md",
    ] {
        text.push_str(&std::fs::read_to_string(repo().join(f)).unwrap_or_default());
    }
    let known: Vec<String> = Settings::from_vars(Vec::<(String, String)>::new())
        .unwrap()
        .describe()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if word.starts_with("RELAY_")
            && !word.starts_with("RELAY_SECRET_")
            && !word.starts_with("RELAY_TEST_")
            && word != "RELAY_"
        {
            assert!(
                known.iter().any(|k| k == word),
                "the docs or README mention {word}, which is not a setting"
            );
        }
    }
}
