# syntax=docker/dockerfile:1
# Vigil: static binary on distroless, running as nonroot.

FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -ldflags="-s -w" -o /out/vigil ./cmd/vigil && \
    mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/vigil /usr/local/bin/vigil
COPY --from=build --chown=nonroot:nonroot /out/data /var/lib/vigil
ENV VIGIL_ADDR=0.0.0.0:8000 \
    VIGIL_DATA_DIR=/var/lib/vigil
EXPOSE 8000
USER nonroot
VOLUME ["/var/lib/vigil"]
# distroless has no shell or curl: the binary probes itself.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/vigil", "health", "--url", "http://127.0.0.1:8000"]
ENTRYPOINT ["/usr/local/bin/vigil"]
CMD ["serve"]
