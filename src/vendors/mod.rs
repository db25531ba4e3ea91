//! The loaded vendors: each mapping file compiled into a [`Vendor`] (its verifier and its
//! mapping), the whole folder loaded as one [`VendorSet`] that is swapped atomically on reload, so
//! a request always sees one consistent set and in-flight requests finish on the set they began with.

mod load;
mod registry;

pub use load::{load_dir, load_file, report, LoadError, LoadOptions};
pub use registry::{Registry, ReloadStatus};

use crate::domain::VendorId;
use crate::mapping::{CompiledMapping, ResponseOptions};
use crate::signature::Verifier;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// One vendor, ready to serve.
#[derive(Debug)]
pub struct Vendor {
    pub id: VendorId,
    pub file: PathBuf,
    pub verifier: Verifier,
    pub mapping: CompiledMapping,
    pub response: ResponseOptions,
    /// Why the vendor is loaded but refuses webhooks (503), e.g. its secret is not configured.
    pub disabled: Option<String>,
    /// Hot-path metric handles labelled with this vendor.
    pub metrics: crate::metrics::VendorMetrics,
}

/// Every vendor of one load of the mappings folder.
#[derive(Debug, Default)]
pub struct VendorSet {
    vendors: BTreeMap<VendorId, Arc<Vendor>>,
}

impl VendorSet {
    pub fn new(vendors: impl IntoIterator<Item = Vendor>) -> Self {
        Self {
            vendors: vendors
                .into_iter()
                .map(|v| (v.id.clone(), Arc::new(v)))
                .collect(),
        }
    }

    /// The vendor whose name is exactly `name`. Only names of loaded files can match, so a
    /// crafted name (`..%2f`, `%00`) is simply unknown — no file is ever opened for a request.
    pub fn get(&self, name: &str) -> Option<&Arc<Vendor>> {
        let id = VendorId::parse(name).ok()?;
        self.vendors.get(&id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Vendor>> {
        self.vendors.values()
    }

    pub fn len(&self) -> usize {
        self.vendors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vendors.is_empty()
    }
}

#[cfg(test)]
mod tests;
