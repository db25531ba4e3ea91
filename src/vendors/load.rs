//! Reading and compiling mapping files. Every problem is reported with its file, field and
//! reason, and a folder loads whole or not at all.

use super::{Vendor, VendorSet};
use crate::domain::VendorId;
use crate::mapping::{CompiledMapping, MappingError, MappingFile};
use crate::signature::{SecretSource, Verifier, VerifierContext};
use std::fmt;
use std::path::{Path, PathBuf};

/// What loading needs besides the files.
#[derive(Clone, Copy)]
pub struct LoadOptions<'a> {
    pub secrets: &'a dyn SecretSource,
    pub verifier: &'a VerifierContext,
    /// `RELAY_PUBLIC_URL`; vendors whose signature covers `{url}` are disabled without it.
    pub public_url: Option<&'a str>,
}

impl fmt::Debug for LoadOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadOptions")
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub file: PathBuf,
    /// Where in the file (`auth.header`, `rule "finished", result.score.value`), when known.
    pub field: Option<String>,
    pub reason: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}: {field}: {}", self.file.display(), self.reason),
            None => write!(f, "{}: {}", self.file.display(), self.reason),
        }
    }
}

/// Every error on its own line (`  - file: field: reason`), for messages to people.
pub fn report(errors: &[LoadError]) -> String {
    errors
        .iter()
        .map(|e| format!("  - {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Loads every `*.json` in `dir` except JSON Schemas (`*.schema.json`). Returns all errors of all
/// files when any file fails.
pub fn load_dir(dir: &Path, opts: LoadOptions<'_>) -> Result<VendorSet, Vec<LoadError>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        vec![LoadError {
            file: dir.to_owned(),
            field: None,
            reason: format!("cannot read the mappings folder: {e}"),
        }]
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| is_mapping_file(p))
        .collect();
    paths.sort();
    let mut vendors = Vec::new();
    let mut errors = Vec::new();
    for p in &paths {
        match load_file(p, opts) {
            Ok(v) => vendors.push(v),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(VendorSet::new(vendors))
    } else {
        Err(errors)
    }
}

/// A vendor mapping: `name.json`, not a schema, not hidden (editors' swap files start with `.`).
fn is_mapping_file(p: &Path) -> bool {
    let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    name.ends_with(".json")
        && !name.ends_with(".schema.json")
        && !name.starts_with('.')
        && p.is_file()
}

/// Loads one mapping file; the vendor id is the file name without `.json`.
pub fn load_file(path: &Path, opts: LoadOptions<'_>) -> Result<Vendor, Vec<LoadError>> {
    let err = |field: Option<String>, reason: String| LoadError {
        file: path.to_owned(),
        field,
        reason,
    };
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let id = VendorId::parse(stem).map_err(|e| {
        vec![err(
            None,
            format!("the file name {stem:?} is not a valid vendor name: it {e} (use lowercase letters, digits, - and _)"),
        )]
    })?;
    let text =
        std::fs::read_to_string(path).map_err(|e| vec![err(None, format!("cannot read: {e}"))])?;
    let mapping_err = |e: MappingError| {
        let field = match (e.rule, e.field.is_empty()) {
            (Some(r), false) => Some(format!("rule {r:?}, {}", e.field)),
            (Some(r), true) => Some(format!("rule {r:?}")),
            (None, false) => Some(e.field),
            (None, true) => None,
        };
        err(field, e.reason)
    };
    let file = MappingFile::parse(&text, stem)
        .map_err(|es| es.into_iter().map(mapping_err).collect::<Vec<_>>())?;
    let mut errors = Vec::new();
    if !matches!(file.response.accepted_status, 200 | 202) {
        errors.push(err(
            Some("response.accepted_status".into()),
            "must be 200 or 202".into(),
        ));
    }
    let verifier = Verifier::compile(&id, &file.auth, opts.secrets, opts.verifier)
        .map_err(|e| errors.push(err(Some(e.field.clone()), e.reason.clone())))
        .ok();
    let mapping = CompiledMapping::compile(&file)
        .map_err(|es| errors.extend(es.into_iter().map(mapping_err)))
        .ok();
    let (Some(verifier), Some(mapping), true) = (verifier, mapping, errors.is_empty()) else {
        return Err(errors);
    };
    let disabled = match (
        verifier.missing_secret(),
        verifier.uses_url() && opts.public_url.is_none(),
    ) {
        (Some(var), _) => Some(format!("{var} is not set")),
        (None, true) => {
            Some("RELAY_PUBLIC_URL is not set and this vendor signs the URL it calls".into())
        }
        (None, false) => None,
    };
    let metrics = crate::metrics::VendorMetrics::new(id.as_str());
    Ok(Vendor {
        id,
        file: path.to_owned(),
        verifier,
        mapping,
        response: file.response,
        disabled,
        metrics,
    })
}
