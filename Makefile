# cltrain: OpenCL training backend in Go.
GO      ?= go
BIN     ?= ./cltrain
FUZZTIME ?= 5m

.PHONY: build deps vet test test-race fuzz-short fuzz demo bench bench-quick gpu-check clean

# The binary needs no cgo: OpenCL, OpenBLAS and CLBlast are loaded at run time.
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/cltrain

# Installs PoCL (unless an OpenCL ICD is registered), clinfo, OpenBLAS, CLBlast,
# and Oclgrind (the simulated GPU the tests check the kernels on).
deps:
	scripts/deps.sh

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

# Short fuzz runs, then the tests under the race detector (which needs cgo).
# The short runs are counted in executions, not seconds: with a duration,
# Go 1.26's fuzz coordinator can fail a clean run with "context deadline
# exceeded" when a worker is busy at the deadline (golang/go#75804).
test: deps vet build
	$(MAKE) fuzz-short FUZZTIME=50000x
	CGO_ENABLED=1 $(GO) test -race -timeout 15m ./...

fuzz-short fuzz:
	$(GO) test ./dataset -run '^$$' -fuzz '^FuzzLoadCSV$$' -fuzztime $(FUZZTIME)
	$(GO) test ./dataset -run '^$$' -fuzz '^FuzzLoadNPZ$$' -fuzztime $(FUZZTIME)

# Trains the flower data set on the default device (PoCL on a machine without GPU).
demo: deps build
	$(BIN) train --plot flower.png

bench: build
	$(BIN) bench

bench-quick: build
	$(BIN) bench --quick

clean:
	rm -f $(BIN) flower.png flower-boundary.png

# The OpenCL check for GPU machines (scripts/gpu-check.sh; docs/GPU.md), here
# with the binary just built; results in out/gpu-check.
gpu-check: build
	CLTRAIN_BIN=$(BIN) scripts/gpu-check.sh out/gpu-check

# Fills .gpu/ with an ICD loader and a static cltrain for a bare GPU machine.
.PHONY: gpu-bundle
gpu-bundle:
	scripts/gpu-check.sh --bundle
