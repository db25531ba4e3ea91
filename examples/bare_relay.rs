//! The chosen stack's own ceiling, for `bench/stack.sh`: an actix-web server that relays
//! `POST /webhooks/x` as `PATCH {upstream}/api/items/x` with awc and answers with the upstream's
//! status, like `../shared/bench-baseline/nginx-relay.conf`. It verifies, translates and stores
//! nothing, so what it costs beside nginx is what actix-web and awc cost; the gateway does all
//! of that and more on the same stack.
//!
//! `BARE_LISTEN=127.0.0.1:18092 BARE_UPSTREAM=http://127.0.0.1:18081 cargo run --profile dist --example bare_relay`

use actix_web::{http::StatusCode, web, App, HttpResponse, HttpServer};

struct Upstream {
    client: awc::Client,
    url: String,
}

async fn relay(up: web::Data<Upstream>, body: web::Bytes) -> HttpResponse {
    let res = up
        .client
        .patch(&up.url)
        .insert_header(("content-type", "application/json"))
        .send_body(body)
        .await;
    match res {
        Ok(mut res) => {
            // Read the answer so that the connection goes back to the pool.
            let _ = res.body().await;
            HttpResponse::build(res.status()).finish()
        }
        Err(_) => HttpResponse::new(StatusCode::BAD_GATEWAY),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let listen = std::env::var("BARE_LISTEN").unwrap_or_else(|_| "127.0.0.1:18092".into());
    let upstream =
        std::env::var("BARE_UPSTREAM").unwrap_or_else(|_| "http://127.0.0.1:18081".into());
    let url = format!("{upstream}/api/items/x");
    HttpServer::new(move || {
        // awc::Client is not Send: one per worker thread, each with its own connection pool.
        let client = awc::Client::builder()
            .connector(awc::Connector::new().limit(256))
            .finish();
        App::new()
            .app_data(web::Data::new(Upstream {
                client,
                url: url.clone(),
            }))
            .route("/webhooks/x", web::post().to(relay))
    })
    .backlog(4096)
    .bind(listen)?
    .run()
    .await
}
