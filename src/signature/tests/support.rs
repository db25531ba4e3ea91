//! Helpers shared by the scheme tests: compile a section against a map of secrets, build a
//! request from headers and a body at a fixed time, a signed HackerEarth request, and
//! CodeSignal's published sample with the URL its vectors are signed for.

use crate::domain::{Headers, VendorId};
use crate::signature::{
    AuthConfigError, AuthFailure, CallbackBinding, InboundRequest, MapSecrets, Verifier,
    VerifierContext,
};
use bytes::Bytes;
use serde_json::{json, Value};
use std::net::IpAddr;

pub(crate) fn vendor(name: &str) -> VendorId {
    VendorId::parse(name).expect("valid vendor id")
}

pub(crate) fn try_compile(
    vendor_name: &str,
    auth: Value,
    secrets: &MapSecrets,
) -> Result<Verifier, AuthConfigError> {
    Verifier::compile(
        &vendor(vendor_name),
        &auth,
        secrets,
        &VerifierContext::default(),
    )
}

pub(crate) fn compile(vendor_name: &str, auth: Value, secrets: &MapSecrets) -> Verifier {
    try_compile(vendor_name, auth, secrets).expect("auth section compiles")
}

/// A request under construction.
pub(crate) struct Request {
    pub(crate) headers: Headers,
    pub(crate) body: Bytes,
    pub(crate) url: Option<String>,
    pub(crate) query: String,
    pub(crate) peer: Option<IpAddr>,
    pub(crate) callback: Option<CallbackBinding>,
    pub(crate) now_ms: i64,
}

impl Request {
    pub(crate) fn new(body: &[u8], now_s: i64) -> Self {
        Self {
            headers: Headers::new(),
            body: Bytes::copy_from_slice(body),
            url: None,
            query: String::new(),
            peer: None,
            callback: None,
            now_ms: now_s * 1000,
        }
    }

    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push(name, value);
        self
    }

    pub(crate) fn headers(mut self, pairs: &[(String, String)]) -> Self {
        for (n, v) in pairs {
            self.headers.push(n, v);
        }
        self
    }

    pub(crate) fn url(mut self, url: &str) -> Self {
        self.url = Some(url.into());
        self
    }

    pub(crate) fn with(&self) -> InboundRequest<'_> {
        InboundRequest {
            headers: &self.headers,
            body: &self.body,
            url: self.url.as_deref(),
            query: &self.query,
            peer: self.peer,
            callback: self.callback.as_ref(),
            now_ms: self.now_ms,
        }
    }

    pub(crate) fn check(&self, v: &Verifier) -> Result<&'static str, AuthFailure> {
        v.verify(&self.with()).map(|ok| ok.scheme())
    }

    /// The failure code (panics when the request passes).
    pub(crate) fn code(&self, v: &Verifier) -> &'static str {
        match v.verify(&self.with()) {
            Ok(_) => panic!("request unexpectedly passed"),
            Err(e) => e.code(),
        }
    }
}

/// The HackerEarth scheme (it signs a timestamp), with its test secret.
pub(crate) fn hackerearth() -> Verifier {
    compile(
        "he",
        json!({"scheme": "hackerearth"}),
        &MapSecrets::new().with("HE", "he-secret"),
    )
}

/// A correctly signed HackerEarth request at `ts`, received at `now`.
pub(crate) fn he_request(v: &Verifier, ts: i64, now: i64) -> Request {
    let signed = v.sign(b"{\"a\":1}", ts * 1000, None).unwrap();
    let mut req = Request::new(b"{\"a\":1}", now).headers(&signed.headers);
    req.now_ms = now * 1000;
    req
}

pub(crate) fn failure(v: &Verifier, req: &Request) -> AuthFailure {
    v.verify(&req.with())
        .expect_err("request should be refused")
}

pub(crate) const CS_URL: &str = "https://relay.example.com/webhooks/codesignal";

pub(crate) fn codesignal_sample(score: u32) -> String {
    // The DERIVED strict-JSON transcription of CodeSignal's published companyTestSessionFinished sample.
    json!({
        "event": "companyTestSessionFinished",
        "triggeredOn": 1553720789347_i64,
        "payload": {
            "testSessionId": "lehu382hdleh29", "testId": "dhey29hcl28hl28",
            "testTitle": "Software Engineer intern", "candidateEmail": "jane.doe@gmail.com",
            "candidateName": "Jane Doe", "duration": 3480000, "score": score, "maxScore": 1000,
            "codingScore": 820, "versionedCodingScore": {"version": "codingScore2023", "value": 575},
            "plagiarismLevel": 0, "plagiarismLabel": "-",
            "url": "https://app.codesignal.com/test-result/oH3qeBC38oFsf7qB4?accessToken=A7HnBpab4aD7xm7Kp-iPhk2se5Wnxeg7x9GruANLzn"
        }
    })
    .to_string()
}
