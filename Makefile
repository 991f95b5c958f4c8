# bankcard4e — see README.md. Every target runs on a fresh machine with Go.
GO ?= go
PKGS := ./...
BENCH_ROWS ?= 1000000

.PHONY: build test lint tidy fuzz bench demo crashtest clean

build:
	$(GO) build -ldflags "-X main.commit=$$(git rev-parse --short HEAD 2>/dev/null) -X main.date=$$(date -u +%Y-%m-%dT%H:%M:%SZ)" -o bankcard4e .

test:
	$(GO) test -race $(PKGS)

# staticcheck, pinned; `go run` fetches it once into the module cache and
# keeps it out of go.mod.
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

# go vet, staticcheck, gofmt, and the import direction of STYLE.md: reader,
# writer and verifier never import each other, and batch imports none of
# them (internal/fileutil, the shared file helpers, is allowed to all).
lint:
	$(GO) vet $(PKGS)
	@out=$$($(STATICCHECK) $(PKGS)); if [ -n "$$out" ]; then echo "$$out"; exit 1; fi
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@for p in reader writer verifier batch; do \
	  deps=$$($(GO) list -f '{{join .Imports "\n"}}' ./$$p/... | grep 'bankcard4e/bankcard4e/' | grep -v 'bankcard4e/bankcard4e/batch$$' | grep -v 'bankcard4e/bankcard4e/internal/fileutil$$' | grep -v "bankcard4e/bankcard4e/$$p" || true); \
	  if [ -n "$$deps" ]; then echo "$$p imports $$deps (see STYLE.md)"; exit 1; fi; \
	done
	@echo lint ok

tidy:
	@cp go.mod go.mod.bak; cp go.sum go.sum.bak
	@$(GO) mod tidy
	@if ! cmp -s go.mod go.mod.bak || ! cmp -s go.sum go.sum.bak; then \
	  mv go.mod.bak go.mod; mv go.sum.bak go.sum; echo "go mod tidy changes go.mod/go.sum"; exit 1; fi
	@rm -f go.mod.bak go.sum.bak; echo tidy ok

FUZZTIME ?= 30s
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzNormalize -fuzztime=$(FUZZTIME) ./reader/
	$(GO) test -run='^$$' -fuzz=FuzzReadCSV -fuzztime=$(FUZZTIME) ./reader/
	$(GO) test -run='^$$' -fuzz=FuzzXLSX -fuzztime=$(FUZZTIME) ./reader/
	$(GO) test -run='^$$' -fuzz=FuzzIsUTF8 -fuzztime=$(FUZZTIME) ./reader/
	$(GO) test -run='^$$' -fuzz=FuzzRecord -fuzztime=$(FUZZTIME) ./batch/journal/

bench:
	./bench/run.sh $(BENCH_ROWS)

demo: build
	./bankcard4e verify --simulate samples/customers.csv

crashtest:
	$(GO) test -count=1 -run 'TestCrash' -timeout 15m ./crashtest/

clean:
	rm -f bankcard4e samples/*.results.* samples/*.journal
