# Parley in a container: the host and every first-party plugin, built by the
# project's own `make build`, on a distroless base (the store is pure-Go
# SQLite, so the binaries are static).
#
#   docker build -t parley --build-arg VERSION=$(git describe --tags --always) .
#   docker run -d --name parley -v parley-data:/var/lib/parley \
#     -v $PWD/parley.toml:/etc/parley/parley.toml:ro \
#     -e PARLEY_TELEGRAM_TOKEN -e PARLEY_WEBHOOK_SECRET -p 127.0.0.1:8080:8080 parley
#
# In parley.toml: server.listen = "0.0.0.0:8080", store.dsn = "/var/lib/parley/parley.db",
# plugins.dir = "/usr/local/lib/parley/plugins"; publish the admin port only to loopback if at all.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 make build VERSION=${VERSION} && mkdir -p /out/state

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/bin/parley /usr/local/bin/parley
COPY --from=build /src/bin/plugins/ /usr/local/lib/parley/plugins/
COPY --from=build --chown=nonroot:nonroot /src/config.example.toml /etc/parley/parley.example.toml
# The store lives on a volume; nonroot (65532) owns it.
COPY --from=build --chown=nonroot:nonroot /out/state /var/lib/parley
VOLUME /var/lib/parley
WORKDIR /var/lib/parley
ENV PARLEY_CONFIG=/etc/parley/parley.toml
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/parley"]
CMD ["run"]
