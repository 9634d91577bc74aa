#!/usr/bin/env bash
# The project's test command (see README): ./test.sh
# Needs Go, Java 17+ and (for the first DynamoDB Local install) npm.
set -euo pipefail
cd "$(dirname "$0")"

passed=0
failed=0

# step NAME CMD...: run one step, count it, keep going on failure.
step() {
	local name=$1
	shift
	echo "==> ${name}"
	local t0=$SECONDS
	if "$@"; then
		passed=$((passed + 1))
		echo "--- ok: ${name} ($((SECONDS - t0))s)"
	else
		failed=$((failed + 1))
		echo "--- FAILED: ${name} ($((SECONDS - t0))s)"
	fi
}

gofmt_check() {
	local out
	out=$(gofmt -l .)
	if [[ -n "$out" ]]; then
		echo "gofmt -l lists unformatted files:"
		echo "$out"
		return 1
	fi
}

# Install DynamoDB Local once, so parallel test binaries do not all race to.
step "install DynamoDB Local" go run ./ddblocal/cmd/ddblocal-install
step "gofmt -l" gofmt_check
step "go vet ./..." go vet ./...
step "go test -race ./..." go test -race -count=1 -timeout 40m ./...
# Allocation counts differ in race builds: the tests that count them are
# built with !race and run here, without -race.
step "allocation tests (no -race)" go test -count=1 -timeout 10m -run 'Allocs|ParsedOncePerType' ./...

if [[ -f bench/go.mod ]]; then
	step "bench: go vet + go test -short" bash -c 'cd bench && go vet ./... && go test -count=1 -run . -short ./...'
fi

if [[ -f examples/otelconn/go.mod ]]; then
	step "examples/otelconn: go vet + go test" bash -c 'cd examples/otelconn && go vet ./... && go test -race -count=1 ./...'
fi

shopt -s nullglob
tests=(*_test.go)
shopt -u nullglob
if ((${#tests[@]} > 0)); then
	fuzz=$(grep -h '^func Fuzz' "${tests[@]}" | sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' || true)
	# An execution count, not a duration: Go 1.26's fuzz coordinator can fail
	# a run with a bare "context deadline exceeded" when a duration runs out
	# while a worker is busy (golang/go#75804, fixed in Go 1.27). About 10 to
	# 30 s per target on 2 cores.
	for name in $fuzz; do
		step "fuzz ${name} (100000 inputs)" go test -run '^$' -fuzz "^${name}\$" -fuzztime 100000x -timeout 5m .
	done
fi

echo "test.sh: ${passed} passed, ${failed} failed"
((failed == 0))
