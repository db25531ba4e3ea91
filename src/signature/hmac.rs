//! HMAC schemes (`hmac` and every preset): the received signatures are decoded into stack
//! buffers, the signed content is resolved once from the compiled template, and each configured
//! key — prepared at load, so a request never re-derives the HMAC pads — is cloned, fed the
//! content, and compared with every received signature through `Mac::verify_slice` (constant
//! time). The algorithm is fixed by the configuration: a digest of another length (a sha1 value
//! offered to a sha256 vendor) or another prefix is refused, never tried.

use super::errors::AuthFailure;
use super::explain::Trace;
use super::header_formats::{self, Unusable, MAX_DIGEST, MAX_SIGS};
use super::request::Req;
use super::secrets::Keys;
use super::spec::{Algorithm, HeaderFormat, HmacSpec, TsSource};
use super::template::{Inputs, Resolved};
use super::timestamp;
use hmac::{Hmac, KeyInit, Mac};

/// Keys prepared for one algorithm.
#[derive(Clone)]
enum Macs {
    Sha1(Vec<Hmac<sha1::Sha1>>),
    Sha256(Vec<Hmac<sha2::Sha256>>),
    Sha512(Vec<Hmac<sha2::Sha512>>),
}

fn prepare<M: KeyInit>(keys: &Keys) -> Vec<M> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail; an impossible error
    // drops the key rather than panicking.
    keys.keys
        .iter()
        .filter_map(|k| M::new_from_slice(k.expose()).ok())
        .collect()
}

fn matches<M: Mac + Clone>(macs: &[M], content: &Resolved<'_>, sigs: &[&[u8]]) -> bool {
    macs.iter().any(|key| {
        let mut mac = key.clone();
        content.feed(|b| mac.update(b));
        sigs.iter().any(|sig| mac.clone().verify_slice(sig).is_ok())
    })
}

fn digest<M: Mac + Clone>(key: &M, content: &Resolved<'_>) -> Vec<u8> {
    let mut mac = key.clone();
    content.feed(|b| mac.update(b));
    mac.finalize().into_bytes().to_vec()
}

/// A compiled HMAC scheme.
#[derive(Clone)]
pub(crate) struct HmacVerifier {
    pub(crate) spec: HmacSpec,
    macs: Macs,
}

impl std::fmt::Debug for HmacVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "HmacVerifier({}, {} keys)",
            self.describe(),
            self.key_count()
        )
    }
}

impl HmacVerifier {
    pub(crate) fn new(spec: HmacSpec, keys: &Keys) -> Self {
        let macs = match spec.algorithm {
            Algorithm::Sha1 => Macs::Sha1(prepare(keys)),
            Algorithm::Sha256 => Macs::Sha256(prepare(keys)),
            Algorithm::Sha512 => Macs::Sha512(prepare(keys)),
        };
        Self { spec, macs }
    }

    pub(crate) fn key_count(&self) -> usize {
        match &self.macs {
            Macs::Sha1(k) => k.len(),
            Macs::Sha256(k) => k.len(),
            Macs::Sha512(k) => k.len(),
        }
    }

    pub(crate) fn describe(&self) -> String {
        let s = &self.spec;
        let mut out = format!(
            "hmac-{}({}) on {}",
            s.algorithm.name(),
            s.encoding.name(),
            s.header
        );
        match &s.format {
            HeaderFormat::Value if !s.prefix.is_empty() => out += &format!(" ({}…)", s.prefix),
            HeaderFormat::Value => {}
            HeaderFormat::Kv { key, .. } => out += &format!(" ({key}=…)"),
            HeaderFormat::Versioned { version } => out += &format!(" ({version},…)"),
        }
        out += &format!(", signed \"{}\"", s.signed.src());
        if let Some(t) = &s.timestamp {
            let dir = if t.allow_future { "±" } else { "past " };
            out += &format!(
                ", timestamp {} {dir}{} s",
                timestamp::origin(t, &s.header),
                t.tolerance_s
            );
        }
        if s.scheme != "hmac" {
            out = format!("{}: {out}", s.scheme);
        }
        out
    }

    /// The first key's digest of `content` (for `sign`).
    pub(crate) fn sign_digest(&self, content: &Resolved<'_>) -> Option<Vec<u8>> {
        Some(match &self.macs {
            Macs::Sha1(k) => digest(k.first()?, content),
            Macs::Sha256(k) => digest(k.first()?, content),
            Macs::Sha512(k) => digest(k.first()?, content),
        })
    }

    pub(crate) fn verify(&self, req: &Req<'_>, trace: &mut Trace) -> Result<(), AuthFailure> {
        let s = &self.spec;
        let h = s.header.as_str();
        let mut values = req.r.headers.get_all(h).peekable();
        if values.peek().is_none() {
            trace.note(|| format!("header {h}: absent"));
            return Err(AuthFailure::SignatureMissing(format!("no {h} header")));
        }
        let ts_key = match s.timestamp.as_ref().map(|t| &t.source) {
            Some(TsSource::Kv(k)) => Some(k.as_str()),
            _ => None,
        };
        let found = header_formats::parse(&s.format, ts_key, values);
        trace.note(|| format!("header {h}: {} signature(s) found", found.sigs().len()));
        if found.overflow {
            return Err(AuthFailure::SignatureMalformed(format!(
                "more than {MAX_SIGS} signatures in {h}"
            )));
        }
        if found.sigs().is_empty() {
            return Err(AuthFailure::SignatureMalformed(match &s.format {
                HeaderFormat::Value => format!("{h} is empty"),
                HeaderFormat::Kv { key, .. } => format!("no {key} signature in {h}"),
                HeaderFormat::Versioned { version } => format!("no {version} signature in {h}"),
            }));
        }

        let want = s.algorithm.output_len();
        let mut bufs = [[0u8; MAX_DIGEST]; MAX_SIGS];
        let mut lens = [0usize; MAX_SIGS];
        let mut usable = 0;
        let mut problem = None;
        for sig in found.sigs() {
            match header_formats::decode(sig, &s.prefix, s.encoding, want, &mut bufs[usable]) {
                Ok(len) => {
                    lens[usable] = len;
                    usable += 1;
                }
                Err(p) => problem = problem.or(Some(p)),
            }
        }
        trace.note(|| format!("usable signatures: {usable} of {}", found.sigs().len()));
        if usable == 0 {
            return Err(AuthFailure::SignatureMalformed(self.unusable(problem)));
        }
        let mut sigs: [&[u8]; MAX_SIGS] = [&[]; MAX_SIGS];
        for (i, slot) in sigs.iter_mut().enumerate().take(usable) {
            *slot = &bufs[i][..lens[i]];
        }

        let stamp = match &s.timestamp {
            Some(t) => Some(timestamp::read(t, found.timestamp, h, req)?),
            None => None,
        };
        let id = match &s.id_header {
            Some(idh) => Some(
                req.r
                    .headers
                    .get(idh)
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| {
                        AuthFailure::SignatureMalformed(format!(
                            "no {idh} header (it is part of the signed content)"
                        ))
                    })?,
            ),
            None => None,
        };
        let inputs = Inputs {
            timestamp: stamp.as_ref().map(|st| st.raw.as_ref()),
            id,
        };
        let content = s.signed.resolve(req, inputs)?;
        let keys = self.key_count();
        trace.note(|| {
            format!(
                "signed content: \"{}\" ({} bytes); computed digest {want} bytes (hmac-{}), received {}",
                s.signed.src(),
                content.len(),
                s.algorithm.name(),
                lens[..usable].iter().map(|l| format!("{l} bytes")).collect::<Vec<_>>().join(", ")
            )
        });
        trace.note(|| format!("secrets tried: {keys}"));
        let sigs = &sigs[..usable];
        let ok = match &self.macs {
            Macs::Sha1(k) => matches(k, &content, sigs),
            Macs::Sha256(k) => matches(k, &content, sigs),
            Macs::Sha512(k) => matches(k, &content, sigs),
        };
        if !ok {
            return Err(AuthFailure::SignatureMismatch(if keys == 0 {
                format!("{} is not set", s.secret.var())
            } else {
                format!("no signature in {h} matches the signed content ({keys} secret(s) tried)")
            }));
        }
        trace.note(|| "signature: matches".into());
        if let (Some(t), Some(st)) = (&s.timestamp, &stamp) {
            let result = timestamp::check(t, &st.raw, st.value, req.r.now_ms);
            trace.note(|| {
                let now = if t.unit_ms { req.r.now_ms } else { req.r.now_ms.div_euclid(1000) };
                let unit = if t.unit_ms { "ms" } else { "s" };
                format!(
                    "timestamp {} {unit} ({}); now {now}; age {} s (negative: in the future); tolerance {} s",
                    st.value,
                    timestamp::origin(t, h),
                    (now - st.value) / if t.unit_ms { 1000 } else { 1 },
                    t.tolerance_s
                )
            });
            result?;
        }
        Ok(())
    }

    fn unusable(&self, problem: Option<Unusable>) -> String {
        let s = &self.spec;
        let h = &s.header;
        match problem {
            Some(Unusable::NoPrefix) => format!("the signature in {h} does not start with {}", s.prefix),
            Some(Unusable::WrongLength(n)) => format!(
                "the signature in {h} is a {n}-byte digest; hmac-{} gives {} (no other algorithm is accepted)",
                s.algorithm.name(),
                s.algorithm.output_len()
            ),
            Some(Unusable::BadEncoding) | None => format!("the signature in {h} is not valid {}", s.encoding.name()),
        }
    }
}
