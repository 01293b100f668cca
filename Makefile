# Parley build, test and demo targets. `make test` is what CI runs.
GO        ?= go
BIN       := bin
PLUGINS   := $(notdir $(wildcard plugins/*))
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/parley-dev/parley/host/version.Version=$(VERSION)
BUF       := $(GO) run github.com/bufbuild/buf/cmd/buf@v1.75.0

.PHONY: all build test test-short fuzz bench demo proto proto-check lint clean

all: build

## build: bin/parley and bin/plugins/parley-channel-<name> for every plugin
build:
	@mkdir -p $(BIN)/plugins
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/parley ./host/cmd/parley
	@for p in $(PLUGINS); do \
		echo "$(GO) build -o $(BIN)/plugins/parley-channel-$$p ./plugins/$$p"; \
		$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/plugins/parley-channel-$$p ./plugins/$$p || exit 1; \
	done

## test: the whole suite with the race detector (end-to-end tests build the binaries themselves)
test: build
	$(GO) vet ./...
	$(GO) test -race -timeout 30m ./...

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

## demo: build everything and open the two-pane demo in a browser
demo: build
	$(BIN)/parley demo --plugins-dir $(BIN)/plugins

## proto: regenerate proto/ Go code with pinned generator versions
proto:
	$(BUF) lint
	$(BUF) generate

## proto-check: fail when the committed generated code is stale
proto-check:
	$(BUF) lint
	@tmp=$$(mktemp -d); cp -r proto $$tmp/; \
	$(BUF) generate; \
	if ! diff -r $$tmp/proto proto >/dev/null; then \
		diff -r $$tmp/proto proto | head -20; rm -rf proto; cp -r $$tmp/proto .; rm -rf $$tmp; \
		echo "proto/: generated code is stale; run 'make proto' and commit"; exit 1; \
	fi; rm -rf $$tmp; echo "proto/: generated code is up to date"

clean:
	rm -rf $(BIN)
