//! The test app's HTTP side: signing as a vendor, posting webhooks, admin calls, bounded
//! waits for the upstream or a delivery state, and an expected delivery upstream.

use super::{TestApp, ADMIN_TOKEN};
use assessment_relay::forward::order_path;
use assessment_relay::signature::{Signed, VerifierContext};
use assessment_relay::vendors::{load_file, LoadOptions, Vendor};
use serde_json::Value;
use std::time::{Duration, Instant};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, ResponseTemplate};

impl TestApp {
    pub fn vendor(&self, name: &str) -> Vendor {
        let ctx = VerifierContext::default();
        load_file(
            &self.mappings.join(format!("{name}.json")),
            LoadOptions {
                secrets: &self.secrets,
                verifier: &ctx,
                public_url: Some(&self.address),
            },
        )
        .unwrap_or_else(|e| panic!("{name} loads: {e:?}"))
    }

    /// What vendor `name` would send with `body` now, for the URL `url`.
    pub fn sign(&self, name: &str, body: &[u8], url: &str) -> Signed {
        let now = self
            .clock
            .unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
        self.vendor(name)
            .verifier
            .sign(body, now, Some(url))
            .expect("signs")
    }

    pub fn webhook_url(&self, vendor: &str) -> String {
        format!("{}/webhooks/{vendor}", self.address)
    }

    /// POSTs `body` to `url` signed as `vendor` signs, plus `extra` headers.
    pub async fn post_signed_to(
        &self,
        vendor: &str,
        url: &str,
        body: &[u8],
        extra: &[(&str, &str)],
    ) -> reqwest::Response {
        let signed = self.sign(vendor, body, url);
        let full = if signed.query.is_empty() {
            url.to_owned()
        } else {
            format!("{url}?{}", signed.query)
        };
        let mut req = self
            .client
            .post(full)
            .header("content-type", "application/json")
            .body(body.to_vec());
        for (n, v) in &signed.headers {
            req = req.header(n, v);
        }
        for (n, v) in extra {
            req = req.header(*n, *v);
        }
        req.send().await.expect("request sent")
    }

    pub async fn post_signed(&self, vendor: &str, body: &[u8]) -> reqwest::Response {
        self.post_signed_to(vendor, &self.webhook_url(vendor), body, &[])
            .await
    }

    /// An admin request with the bearer token.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}/admin{path}", self.address))
            .bearer_auth(ADMIN_TOKEN)
    }

    /// The upstream answers every PATCH with `status`; with `times`, the mock checks when the
    /// app is dropped that exactly that many came.
    pub async fn upstream_answers(&self, status: u16, times: Option<u64>) {
        let mock = Mock::given(method("PATCH")).respond_with(ResponseTemplate::new(status));
        match times {
            Some(n) => mock.expect(n),
            None => mock,
        }
        .mount(&self.upstream)
        .await;
    }

    /// Waits (bounded) until the upstream has received at least `n` requests; returns them.
    pub async fn wait_for_upstream(&self, n: usize, within: Duration) -> Vec<wiremock::Request> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.upstream.received_requests().await.unwrap_or_default();
            if got.len() >= n || Instant::now() >= deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits (bounded) for delivery `id` to reach `state`; returns its detail JSON.
    pub async fn wait_for_state(&self, id: &str, state: &str, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let v: Value = self
                .admin(reqwest::Method::GET, &format!("/deliveries/{id}"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if v["state"] == state || Instant::now() >= deadline {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// POSTs `body` to `/webhooks/{vendor}` with exactly these headers.
    pub async fn post_raw(
        &self,
        vendor: &str,
        body: impl Into<reqwest::Body>,
        headers: &[(String, String)],
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.webhook_url(vendor))
            .header("content-type", "application/json")
            .body(body);
        for (n, v) in headers {
            req = req.header(n, v);
        }
        req.send().await.expect("request sent")
    }

    /// GETs `/readyz`; returns (status, JSON body).
    pub async fn readyz(&self) -> (u16, Value) {
        let r = self
            .client
            .get(format!("{}/readyz", self.address))
            .send()
            .await
            .expect("request sent");
        (r.status().as_u16(), json(r).await)
    }

    /// Posts an acme event, signed now; returns (status, JSON body).
    pub async fn post_acme(&self, body: &[u8]) -> (u16, Value) {
        let r = self.post_signed("acme", body).await;
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }
}

/// Parses a JSON response body.
pub async fn json(r: reqwest::Response) -> Value {
    r.json().await.expect("a JSON body")
}

/// Expects one delivery of `body` to `order` of `account` upstream.
pub async fn expect_delivery(app: &TestApp, order: &str, account: &str, body: &serde_json::Value) {
    Mock::given(method("PATCH"))
        .and(path(order_path(order)))
        .and(header("x-account-id", account))
        .and(body_json(body.clone()))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&app.upstream)
        .await;
}
