//! The JSON Schema (`mappings/mapping.schema.json`) and the loader agree: both accept every
//! bundled mapping and both reject every file in `tests/fixtures/invalid-mappings/`, where the
//! loader's message contains the text of the sibling `.error.txt`. The schema's relative
//! `auth.schema.json` reference is resolved from `mappings/`, as an editor would.

use super::catalogue::{bundled_mappings, repo};
use super::*;
use jsonschema::{Retrieve, Uri, Validator};
use std::path::PathBuf;

/// Serves `$ref`s by file name from `mappings/` (no network, no other directory).
struct MappingsDir(PathBuf);

impl Retrieve for MappingsDir {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri
            .path()
            .as_str()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        if !name.ends_with(".schema.json") || name.contains("..") {
            return Err(format!("not a bundled schema: {uri}").into());
        }
        let text = std::fs::read_to_string(self.0.join(&name))?;
        Ok(serde_json::from_str(&text)?)
    }
}

fn validator() -> Validator {
    let dir = repo().join("mappings");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("mapping.schema.json")).unwrap())
            .unwrap();
    jsonschema::options()
        .with_retriever(MappingsDir(dir))
        .build(&schema)
        .unwrap_or_else(|e| panic!("mapping.schema.json does not compile: {e}"))
}

fn schema_errors(v: &Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn the_schema_accepts_every_bundled_mapping() {
    let v = validator();
    for (vendor, path) in bundled_mappings() {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let errs = schema_errors(&v, &doc);
        assert!(errs.is_empty(), "{vendor}: {errs:#?}");
    }
}

#[test]
fn the_schema_and_the_loader_reject_every_invalid_mapping() {
    let v = validator();
    let dir = repo().join("tests/fixtures/invalid-mappings");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "{files:?}");
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert!(!v.is_valid(&doc), "{name}: the schema accepts it");
        let want = std::fs::read_to_string(dir.join(format!("{name}.error.txt")))
            .unwrap_or_else(|_| panic!("{name}: no .error.txt"));
        let want = want.trim();
        match CompiledMapping::from_text(&text, &name) {
            Ok(_) => panic!("{name}: the loader accepts it"),
            Err(errs) => {
                let msgs = messages(&errs);
                assert!(
                    msgs.iter().any(|m| m.contains(want)),
                    "{name}: expected {want:?} in {msgs:#?}"
                );
            }
        }
    }
}

/// The ```json blocks of the mapping guide, in order.
fn guide_blocks() -> Vec<Value> {
    let guide = std::fs::read_to_string(repo().join("docs/mapping.md")).unwrap();
    guide
        .split("```json")
        .skip(1)
        .filter_map(|b| b.find("```").map(|end| &b[..end]))
        .filter_map(|b| serde_json::from_str(b).ok())
        .collect()
}

#[test]
fn every_whole_file_example_in_the_mapping_guide_is_accepted_by_the_schema_and_the_loader() {
    let v = validator();
    let files: Vec<Value> = guide_blocks()
        .into_iter()
        .filter(|d| d.get("rules").is_some())
        .collect();
    assert!(!files.is_empty());
    for doc in files {
        let errs = schema_errors(&v, &doc);
        assert!(errs.is_empty(), "{doc}: {errs:#?}");
        let stem = doc["vendor"].as_str().unwrap_or("acme");
        if let Err(e) = CompiledMapping::from_text(&doc.to_string(), stem) {
            panic!("guide example does not load: {:#?}\n{doc}", messages(&e));
        }
    }
}

#[test]
fn the_first_example_of_the_mapping_guide_translates_as_printed() {
    let blocks = guide_blocks();
    let (payload, file, printed) = (&blocks[0], &blocks[1], &blocks[2]);
    let (_, m) = CompiledMapping::from_text(&file.to_string(), "acme").unwrap();
    let t = mapped(run(&m, payload).unwrap());
    let got = json!({
        "rule": t.rule, "order_id": t.order_id, "account_id": t.account_id, "event_id": t.event_id,
        "body": serde_json::to_value(&t.body).unwrap(),
    });
    assert_eq!(&got, printed);
    let other = json!({"type": "test.started", "data": {}});
    assert!(matches!(
        run(&m, &other).unwrap(),
        Translation::Ignored { .. }
    ));
}
