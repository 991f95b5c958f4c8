# bankcard4e — see README.md. Every target runs on a fresh machine with Go.
GO ?= go
PKGS := ./...
BENCH_ROWS ?= 1000000

.PHONY: build test lint tidy fuzz bench bombs demo crashtest clean

build:
	$(GO) build -o bankcard4e .

test:
	$(GO) test -race $(PKGS)

# go vet, gofmt, and the import direction of STYLE.md: reader, writer and
# verifier never import each other, and batch imports none of them.
lint:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@for p in reader writer verifier batch; do \
	  deps=$$($(GO) list -f '{{join .Imports "\n"}}' ./$$p/... | grep 'bankcard4e/bankcard4e/' | grep -v 'bankcard4e/bankcard4e/batch$$' | grep -v "bankcard4e/bankcard4e/$$p" || true); \
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

# The peak RSS of reading each bomb (SPEC section 3: under 300 MB): an .xlsx
# of a few hundred KB holding BOMB_MB MiB of white space in one cell or in one
# shared string, 8M shared strings, 128 MiB of shared-string text, and a CSV
# with a 1 GiB line. Each is read in a child process; figures on stdout.
BOMB_MB ?= 4096
bombs:
	$(GO) test ./reader/ -run='^TestBombPeakMemory$$' -count=1 -v -timeout=30m -args -bombs -bombsize=$(BOMB_MB)

bench:
	./bench/run.sh $(BENCH_ROWS)

demo: build
	./bankcard4e verify --simulate samples/customers.csv

crashtest:
	$(GO) test -count=1 -run 'TestCrash' -timeout 15m ./crashtest/

clean:
	rm -f bankcard4e samples/*.results.* samples/*.journal
