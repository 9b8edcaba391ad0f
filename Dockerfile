# syntax=docker/dockerfile:1
# One static binary for both backends: the SQLite (modernc.org/sqlite) and
# PostgreSQL (pgx) drivers are pure Go, so CGO_ENABLED=0 needs no C library.
#
# Build: docker build -t bulkjobs-dashboard .
# SQLite, one replica (database and generated keys on the volume):
#   docker run -d -p 8080:8080 -v dashboard-data:/data --env-file dashboard.env bulkjobs-dashboard
# PostgreSQL, each of several replicas (dashboard.env: DASHBOARD_DATABASE_URL=postgres://…,
# and the same DASHBOARD_ENCRYPTION_KEYS and DASHBOARD_SESSION_KEYS everywhere):
#   docker run -d -p 8080:8080 --env-file dashboard.env bulkjobs-dashboard
# See README "Deployment".
# Go 1.27 carries the standard-library fixes that 1.26.8 lacks (see .ci/run).
FROM golang:1.27-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/dashboard ./cmd/dashboard \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/dashboard /dashboard
# The data folder (SQLite database, generated keys) belongs to the nonroot user (65532).
COPY --from=build --chown=65532:65532 /out/data /data
ENV DASHBOARD_ADDR=0.0.0.0:8080 \
    DASHBOARD_DATA_DIR=/data \
    DASHBOARD_LOG_FORMAT=json
VOLUME /data
EXPOSE 8080
USER nonroot:nonroot
# Distroless has no shell or curl: the binary checks itself (GET /readyz on
# DASHBOARD_ADDR over loopback; exit 0 on 200, 1 while draining or without
# the database).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["/dashboard", "healthcheck"]
ENTRYPOINT ["/dashboard"]
CMD ["serve"]
