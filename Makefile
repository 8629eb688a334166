# chat-lambdas: build, test and deploy helpers.
#
# `sam build` calls build-ImportFunction, build-DeleteFunction,
# build-UserSigFunction and build-SyncFunction (template.yaml uses
# BuildMethod: makefile) with ARTIFACTS_DIR set; SAM's own go1.x builder
# passes no build tags or linker flags, hence this file.

SHELL := /bin/bash

GO      ?= go
PYTHON  ?= python3
VENV    ?= .venv

# Pinned tools. cfn-lint releases from 1.54 on no longer bundle the SAM
# translator, so the standalone linter stays on 1.51 (the SAM CLI venv carries
# its own cfn-lint for `sam validate --lint`).
SAM_CLI_VERSION  ?= 1.170.0
CFN_LINT_VERSION ?= 1.51.0
MOTO_VERSION     ?= 5.2.1

SAM      ?= $(shell command -v sam 2>/dev/null || echo $(VENV)/bin/sam)
CFN_LINT ?= $(shell command -v cfn-lint 2>/dev/null || echo cfn-lint)

# Lambda binaries: linux/arm64 (provided.al2023, Architectures arm64), static,
# no RPC mode, stripped and reproducible.
LAMBDA_ENV     := GOOS=linux GOARCH=arm64 CGO_ENABLED=0
LAMBDA_GOFLAGS := -tags lambda.norpc -trimpath -ldflags='-s -w'

FUZZTIME ?= 10s

.PHONY: all test bench demo local build build-ImportFunction build-DeleteFunction \
	build-UserSigFunction build-SyncFunction sam-build sam-local lint fuzz tools clean distclean

all: build

## test: go vet, every test with the race detector (this includes the
## template checks in internal/deploy: cfn-lint, sam validate --lint, sam build),
## printed as go test prints them plus one line naming every skipped test and
## why (internal/testsum), then the soak test verbosely so that its figures
## are printed.
test:
	$(GO) vet ./...
	set -o pipefail; $(GO) test -race -skip '^TestSoak$$' -json ./... | $(GO) run ./internal/testsum
	$(GO) test -race -count=1 -run '^TestSoak$$' -v ./pkg/handler/

## bench: every Go benchmark, then the full measurements into BENCHMARKS.md (~7 min).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) test -count=1 -timeout 30m -run '^TestReport$$' ./internal/bench -args -report '$(CURDIR)/BENCHMARKS.md'

## demo / local: the chatsync developer command. `go run` compiles it first
## and prints nothing meanwhile, so say what is happening.
BUILDING_CHATSYNC := building chatsync (the first build takes about a minute)...

demo:
	@echo '$(BUILDING_CHATSYNC)' >&2
	$(GO) run ./cmd/chatsync demo

local:
	@echo '$(BUILDING_CHATSYNC)' >&2
	$(GO) run ./cmd/chatsync local

# One rule for every function: build-<Name>Function builds ./functions/<name>
# (its name in lower case) into $(ARTIFACTS_DIR)/bootstrap. `sam build`
# calls these targets (BuildMethod: makefile) with ARTIFACTS_DIR in the
# environment; by hand they build into bin/<name>.
FUNCTIONS := Import Delete UserSig Sync
lower = $(shell echo '$(1)' | tr '[:upper:]' '[:lower:]')

## build: every Lambda bootstrap into bin/import, bin/delete, bin/usersig and bin/sync.
build:
	@for f in $(FUNCTIONS); do \
		$(MAKE) --no-print-directory build-$${f}Function ARTIFACTS_DIR=$(CURDIR)/bin/$$(echo $$f | tr '[:upper:]' '[:lower:]') || exit 1; \
	done

$(FUNCTIONS:%=build-%Function): build-%Function:
	mkdir -p "$(or $(ARTIFACTS_DIR),$(CURDIR)/bin/$(call lower,$*))"
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_GOFLAGS) -o "$(or $(ARTIFACTS_DIR),$(CURDIR)/bin/$(call lower,$*))/bootstrap" ./functions/$(call lower,$*)

## sam-build: the real SAM CLI build into .aws-sam/build (settings in samconfig.toml).
sam-build:
	$(SAM) build

## sam-local: with Docker (root), `sam build`, then `sam local invoke` of every
## function with its sample events and `sam local start-api` with the curl
## examples of docs/local-tools.md, against `chatsync emulator`, each outcome
## checked (internal/samlocal). Where Docker cannot start it says so and
## skips; under CI=true it fails. `internal/samlocal/docker.sh install`
## installs Docker, qemu and busybox from Debian's packages first.
sam-local:
	SAM="$(abspath $(SAM))" GO="$(GO)" internal/samlocal/run.sh

## lint: cfn-lint, plus `sam validate --lint` when the SAM CLI is present.
lint:
	$(CFN_LINT) template.yaml
	@if command -v "$(SAM)" >/dev/null 2>&1; then \
		echo "$(SAM) validate --lint"; \
		AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} "$(SAM)" validate --lint; \
	else \
		echo "SAM CLI not found (run 'make tools'): skipping sam validate --lint"; \
	fi

## fuzz: every Fuzz target in the module for FUZZTIME each (default 10s).
fuzz:
	@set -euo pipefail; \
	targets=$$($(GO) test -list '^Fuzz' ./... | awk '/^Fuzz/ { f[n++] = $$1 } /^ok/ { for (i = 0; i < n; i++) print $$2 " " f[i]; n = 0 }'); \
	if [ -z "$$targets" ]; then echo "no fuzz targets"; exit 0; fi; \
	while read -r pkg fn; do \
		echo "== fuzz $$pkg $$fn ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) "$$pkg"; \
	done <<< "$$targets"

## tools: the pinned SAM CLI in $(VENV); cfn-lint and moto_server when missing.
tools: $(VENV)/.aws-sam-cli-$(SAM_CLI_VERSION)
	@command -v cfn-lint >/dev/null 2>&1 || \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check "cfn-lint==$(CFN_LINT_VERSION)" || \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check --user "cfn-lint==$(CFN_LINT_VERSION)"
	@command -v moto_server >/dev/null 2>&1 || \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check "moto[server]==$(MOTO_VERSION)" || \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check --user "moto[server]==$(MOTO_VERSION)"

$(VENV)/.aws-sam-cli-$(SAM_CLI_VERSION):
	test -x $(VENV)/bin/pip || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check "aws-sam-cli==$(SAM_CLI_VERSION)"
	$(VENV)/bin/sam --version
	rm -f $(VENV)/.aws-sam-cli-*
	touch $@

clean:
	rm -rf .aws-sam bin coverage.out coverage.html *.coverprofile *.test

distclean: clean
	rm -rf $(VENV)
