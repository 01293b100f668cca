# Parley build, test and demo targets. `make test` is what CI runs.
GO        ?= go
BIN       := bin
PLUGINS   := $(notdir $(wildcard plugins/*))
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/parley-dev/parley/host/version.Version=$(VERSION) -X github.com/parley-dev/parley/sdk.buildVersion=$(VERSION)
BUF       := $(GO) run github.com/bufbuild/buf/cmd/buf@v1.75.0
# The released protocol v1 as a buf image; `buf breaking` compares against it
# (docs/protocol.md). PROTO_AGAINST may name another buf input, e.g. '.git#ref=main'.
PROTO_BASELINE := proto/parley/channel/v1/baseline.binpb
PROTO_AGAINST  ?= $(PROTO_BASELINE)

.PHONY: all build test test-short fuzz bench soak demo proto proto-check proto-baseline lint clean

all: build

## build: bin/parley and bin/plugins/parley-channel-<name> for every plugin
build:
	@mkdir -p $(BIN)/plugins
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/parley ./host/cmd/parley
	@for p in $(PLUGINS); do \
		echo "$(GO) build -o $(BIN)/plugins/parley-channel-$$p ./plugins/$$p"; \
		$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/plugins/parley-channel-$$p ./plugins/$$p || exit 1; \
	done

## test: the whole suite with the race detector, never from the test cache (end-to-end tests build
## the binaries themselves, which the cache cannot see)
test: build
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 30m ./...

## test-short: unit tests only
test-short:
	$(GO) test -short ./...

## fuzz: every Go fuzz target for FUZZTIME each, one after another (`make test` runs only their seeds)
FUZZTIME ?= 30s
fuzz:
	.ci/fuzz '$(FUZZTIME)'

# PostgreSQL rows of the benchmark use the machine's local server unless told otherwise.
BENCH_POSTGRES_DSN ?= $(or $(PARLEY_TEST_POSTGRES_DSN),postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)

## bench: end-to-end benchmarks; writes docs/bench.md
bench: build
	PARLEY_TEST_POSTGRES_DSN='$(BENCH_POSTGRES_DSN)' $(GO) run ./host/internal/benchrun -out docs/bench.md

# Soak length, store driver (sqlite, or postgres with two replicas) and database server.
SOAK        ?= 10m
SOAK_DRIVER ?= sqlite
SOAK_POSTGRES_DSN ?= $(or $(PARLEY_TEST_POSTGRES_DSN),postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)

## soak: chaos run (host, plugin and database kills) with a ledger; updates docs/soak.md
soak: build
	$(GO) run ./host/internal/soak -duration $(SOAK) -driver $(SOAK_DRIVER) -postgres-dsn '$(SOAK_POSTGRES_DSN)' -out docs/soak.md

## demo: build everything and open the two-pane demo in a browser
demo: build
	$(BIN)/parley demo --plugins-dir $(BIN)/plugins

## proto: regenerate proto/ Go code (and the Python example's) with pinned generator versions
proto:
	$(BUF) lint
	$(BUF) generate
	@docs/examples/python-desk/generate.sh || echo "make proto: the Python example's code was not regenerated (see the line above); its test will say so"

## proto-check: fail when v1 breaks compatibility or the committed generated code is stale
proto-check:
	$(BUF) lint
	@$(BUF) breaking --against '$(PROTO_AGAINST)' || { \
		echo "proto/: breaking change against the released protocol ($(PROTO_AGAINST)); v1 only grows: see docs/protocol.md"; exit 1; }
	@echo "proto/: compatible with the released protocol ($(PROTO_AGAINST))"
	@tmp=$$(mktemp -d); cp -r proto $$tmp/; \
	$(BUF) generate; \
	if ! diff -r $$tmp/proto proto >/dev/null; then \
		diff -r $$tmp/proto proto | head -20; rm -rf proto; cp -r $$tmp/proto .; rm -rf $$tmp; \
		echo "proto/: generated code is stale; run 'make proto' and commit"; exit 1; \
	fi; rm -rf $$tmp; echo "proto/: generated code is up to date"

## proto-baseline: record today's protocol as the released one (at a release only: docs/protocol.md)
proto-baseline:
	$(BUF) build -o $(PROTO_BASELINE)

clean:
	rm -rf $(BIN)
