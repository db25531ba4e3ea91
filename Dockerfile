# syntax=docker/dockerfile:1
# assessment-relay image: a static-ish Rust binary on distroless (glibc + CA certificates, no
# shell), running as the non-root user 65532, the embedded SQLite store on the /data volume,
# mappings baked in at /etc/assessment-relay/mappings and overridable by a mount.
#
# Expected size: gcr.io/distroless/cc-debian12 is ~23 MB (glibc, libgcc, ca-certificates,
# tzdata); the stripped `dist` binary is 22 MB (measured: actix, rustls+ring, sqlx
# sqlite+postgres and rusqlite sharing one bundled SQLite, mimalloc; the C parts build with the
# image's gcc); mappings and the StackOne spec are compiled into it or tiny. ~45 MB in all.

ARG RUST_VERSION=1.95
FROM rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY spec ./spec
# Declared bench and test targets must exist for Cargo to read the manifest.
COPY benches ./benches
COPY tests/api ./tests/api
# The `dist` profile (Cargo.toml): fat LTO, one codegen unit; what bench/run.sh measures.
RUN cargo build --profile dist --locked --bin assessment-relay \
 && strip target/dist/assessment-relay \
 && ./target/dist/assessment-relay --version \
 && mkdir -p /out/data && cp target/dist/assessment-relay /out/

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/assessment-relay /usr/local/bin/assessment-relay
COPY --from=build --chown=65532:65532 /out/data /data
COPY mappings /etc/assessment-relay/mappings
ENV RELAY_LISTEN_ADDR=0.0.0.0:8080 \
    RELAY_MAPPINGS_DIR=/etc/assessment-relay/mappings \
    RELAY_DATABASE_URL=sqlite:///data/relay.db \
    RELAY_LOG_FORMAT=json
USER 65532:65532
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
# The binary checks its own /healthz: no shell or curl in the image.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 CMD ["/usr/local/bin/assessment-relay", "healthcheck"]
# PID 1: the gateway handles SIGTERM itself (stop accepting, drain, release leases, exit 0).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/assessment-relay"]
CMD ["serve"]
