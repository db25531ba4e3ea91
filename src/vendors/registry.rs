//! The live vendor set and its reloading. A reload compiles the whole folder aside and swaps it in
//! only if every file is valid; otherwise the running set stays and the errors are kept for
//! `/readyz` and the logs. Reloads come from SIGHUP and from changes in the folder.

use super::{load_dir, LoadError, LoadOptions, VendorSet};
use crate::metrics as m;
use crate::signature::{SecretSource, VerifierContext};
use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The outcome of the last reload attempt, shown on `/readyz`.
#[derive(Debug, Clone, Serialize)]
pub struct ReloadStatus {
    pub at: DateTime<Utc>,
    pub ok: bool,
    pub vendors: usize,
    /// Problems of a rejected reload (the running set was kept).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// Current vendors plus what is needed to load them again.
pub struct Registry {
    dir: PathBuf,
    secrets: Arc<dyn SecretSource>,
    verifier: VerifierContext,
    public_url: Option<String>,
    current: ArcSwap<VendorSet>,
    status: Mutex<ReloadStatus>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("dir", &self.dir)
            .field("vendors", &self.current.load().len())
            .finish()
    }
}

impl Registry {
    /// Loads `dir` for the first time; any error fails (start-up refuses a bad folder).
    pub fn load(
        dir: &Path,
        secrets: Arc<dyn SecretSource>,
        verifier: VerifierContext,
        public_url: Option<String>,
    ) -> Result<Self, Vec<LoadError>> {
        let opts = LoadOptions {
            secrets: secrets.as_ref(),
            verifier: &verifier,
            public_url: public_url.as_deref(),
        };
        let set = load_dir(dir, opts)?;
        let status = ReloadStatus {
            at: Utc::now(),
            ok: true,
            vendors: set.len(),
            errors: Vec::new(),
        };
        Ok(Self {
            dir: dir.to_owned(),
            secrets,
            verifier,
            public_url,
            current: ArcSwap::from_pointee(set),
            status: Mutex::new(status),
        })
    }

    /// The set to serve one request with. Holding the `Arc` keeps that set alive even if a reload
    /// swaps in another meanwhile.
    pub fn snapshot(&self) -> Arc<VendorSet> {
        self.current.load_full()
    }

    pub fn status(&self) -> ReloadStatus {
        self.status
            .lock()
            .map(|s| s.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Loads the folder again; swaps it in only when every file is valid.
    pub fn reload(&self) -> Result<usize, Vec<LoadError>> {
        let opts = LoadOptions {
            secrets: self.secrets.as_ref(),
            verifier: &self.verifier,
            public_url: self.public_url.as_deref(),
        };
        let result = load_dir(&self.dir, opts);
        let mut status = self.status.lock().unwrap_or_else(|p| p.into_inner());
        match result {
            Ok(set) => {
                let n = set.len();
                self.current.store(Arc::new(set));
                metrics::counter!(m::MAPPING_RELOADS, "result" => "ok").increment(1);
                metrics::gauge!(m::VENDORS_LOADED).set(n as f64);
                *status = ReloadStatus {
                    at: Utc::now(),
                    ok: true,
                    vendors: n,
                    errors: Vec::new(),
                };
                tracing::info!(vendors = n, dir = %self.dir.display(), "mappings reloaded");
                Ok(n)
            }
            Err(errors) => {
                metrics::counter!(m::MAPPING_RELOADS, "result" => "rejected").increment(1);
                let msgs: Vec<String> = errors.iter().map(ToString::to_string).collect();
                for m in &msgs {
                    tracing::error!(problem = %m, "mapping reload rejected; the running set stays");
                }
                *status = ReloadStatus {
                    at: Utc::now(),
                    ok: false,
                    vendors: self.current.load().len(),
                    errors: msgs,
                };
                Err(errors)
            }
        }
    }

    /// Starts watching the folder (when `watch` is set) and returns the reload loop to run: it
    /// reloads on SIGHUP and on changes in the folder (debounced: an editor saving a file emits
    /// several events) until `stop` is cancelled. The watcher is registered before this returns,
    /// so no change made after start-up is missed.
    pub fn watch(
        self: Arc<Self>,
        watch: bool,
        stop: CancellationToken,
    ) -> impl std::future::Future<Output = ()> + Send {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
        let watcher = if watch {
            self.start_watcher(tx.clone())
        } else {
            None
        };
        async move {
            let _keep = (watcher, tx);
            let mut hup = match tokio::signal::unix::signal(
                tokio::signal::unix::SignalKind::hangup(),
            ) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for SIGHUP; reload on signal is off");
                    None
                }
            };
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    Some(()) = rx.recv() => {
                        tokio::time::sleep(Duration::from_millis(250)).await;
                        while rx.try_recv().is_ok() {}
                        let _ = self.reload();
                    }
                    Some(()) = async { match hup.as_mut() { Some(h) => h.recv().await, None => std::future::pending().await } } => {
                        tracing::info!("SIGHUP: reloading mappings");
                        let _ = self.reload();
                    }
                }
            }
        }
    }

    fn start_watcher(
        &self,
        tx: tokio::sync::mpsc::UnboundedSender<()>,
    ) -> Option<notify::RecommendedWatcher> {
        use notify::{EventKind, RecursiveMode, Watcher};
        let handler = move |res: notify::Result<notify::Event>| {
            if let Ok(ev) = res {
                if matches!(
                    ev.kind,
                    EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
                ) {
                    let _ = tx.send(());
                }
            }
        };
        let mut w = match notify::recommended_watcher(handler) {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch the mappings folder; reload with SIGHUP");
                return None;
            }
        };
        if let Err(e) = w.watch(&self.dir, RecursiveMode::NonRecursive) {
            tracing::warn!(error = %e, dir = %self.dir.display(), "cannot watch the mappings folder; reload with SIGHUP");
            return None;
        }
        Some(w)
    }
}
