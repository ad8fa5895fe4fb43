# Millwright — run `make help` for the targets.

SHELL := /bin/bash
GO ?= go
# Every Go module of the project (tools/ stays out of go.work: it pins the
# code generators).
MODULES := $(shell $(GO) list -m -f '{{.Dir}}' 2>/dev/null)
TOOL := GOWORK=off $(GO) -C tools tool
BIN := bin/millwright
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
TEST_DATABASE_URL ?=
export TEST_DATABASE_URL

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

.PHONY: build
build: ## Build bin/millwright
	$(GO) build -ldflags "-X github.com/millwright-dev/millwright/services/millwright/internal/cli.Version=$(VERSION)" -o $(BIN) ./services/millwright/cmd/millwright

.PHONY: run
run: build ## Run everything on loopback with an embedded SQLite store (millwright dev)
	./$(BIN) dev

.PHONY: test
test: ## Run every module's tests (PostgreSQL ones need TEST_DATABASE_URL)
	@set -e; for m in $(MODULES); do echo "== $$m"; (cd $$m && $(GO) test $(TESTFLAGS) ./...); done

.PHONY: test-race
test-race: ## Run every module's tests with the race detector
	@$(MAKE) --no-print-directory test TESTFLAGS="-race $(TESTFLAGS)"

.PHONY: vet
vet: ## Run go vet on every module
	@set -e; for m in $(MODULES); do (cd $$m && $(GO) vet ./...); done

.PHONY: lint
lint: ## Lint the protos (buf lint)
	cd tools && GOWORK=off $(GO) tool buf lint ..

.PHONY: generate
generate: ## Regenerate the Go code and the OpenAPI document from proto/
	rm -rf gen/go/millwright gen/openapi/*.json
	cd tools && GOWORK=off $(GO) tool buf generate .. --template ../buf.gen.yaml -o .. --path ../proto/millwright

.PHONY: check-generated
check-generated: generate ## Fail when the committed generated code is stale
	@git diff --exit-code --stat -- gen/ || (echo "generated code is stale: run 'make generate' and commit"; exit 1)
	@test -z "$$(git status --porcelain -- gen/)" || (git status --porcelain -- gen/; echo "generated code is stale: run 'make generate' and commit"; exit 1)

.PHONY: build-modules
build-modules: ## Build each module on its own (GOWORK=off), so requirements stay honest
	@set -e; for m in $(MODULES); do echo "== $$m"; (cd $$m && GOWORK=off $(GO) build ./... && GOWORK=off $(GO) vet ./... >/dev/null); done

.PHONY: bench
bench: ## Run the benchmarks and print the figures for docs/benchmarks.md
	./scripts/bench

.PHONY: tidy
tidy: ## go mod tidy in every module
	@set -e; for m in $(MODULES) $(CURDIR)/tools; do (cd $$m && GOWORK=off $(GO) mod tidy); done

.PHONY: clean
clean: ## Remove build output and the dev data directory
	rm -rf bin .millwright
