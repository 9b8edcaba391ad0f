# syntax=docker/dockerfile:1
# Build: docker build -t bulkjobs-dashboard .
# Run:   docker run -p 8080:8080 -v dashboard-data:/data \
#          -e DASHBOARD_PUBLIC_URL=https://dashboard.example.com bulkjobs-dashboard
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
ENTRYPOINT ["/dashboard"]
CMD ["serve"]
