//! `/admin`: operating the queue and the order registry. Every route requires
//! `Authorization: Bearer $RELAY_ADMIN_TOKEN` (compared in constant time); without a configured
//! token the whole scope answers 404, as if it did not exist.

mod deliveries;
mod guard;
mod orders;

use actix_web::{middleware::from_fn, web};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("")
            .wrap(from_fn(guard::require_admin))
            .route("/deliveries", web::get().to(deliveries::list))
            .route(
                "/deliveries/replay",
                web::post().to(deliveries::replay_many),
            )
            .route("/deliveries/{id}", web::get().to(deliveries::show))
            .route(
                "/deliveries/{id}/replay",
                web::post().to(deliveries::replay_one),
            )
            .route("/orders", web::post().to(orders::create_callback))
            .route("/orders", web::put().to(orders::register))
            .route("/orders", web::get().to(orders::list))
            .route("/orders/import", web::post().to(orders::import))
            .route("/orders/{vendor}/{key}", web::delete().to(orders::delete))
            .route("/callbacks", web::get().to(orders::list_callbacks))
            .route(
                "/callbacks/{token_sha256}",
                web::delete().to(orders::delete_callback),
            )
            .route("/mappings/reload", web::post().to(orders::reload_mappings)),
    );
}
