# bankcard4e — see README.md. Every target runs on a fresh machine with Go.
GO ?= go
PKGS := ./...
BENCH_ROWS ?= 1000000

.PHONY: build test lint tidy fuzz bench bench-quick bombs demo crashtest render clean

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
# Every fuzz target, FUZZTIME each: PACKAGE:TARGET pairs.
FUZZ_TARGETS := reader:FuzzNormalize reader:FuzzReadCSV reader:FuzzXLSX reader:FuzzIsUTF8 \
	reader:FuzzSheetXML reader:FuzzSharedStrings reader:FuzzXMLScanner \
	batch/journal:FuzzRecord batch:FuzzScrubDigits writer:FuzzEscapeCSV \
	memory:FuzzParseDuration shared:FuzzParseURL
# The targets that read files write one per input: in memory (/dev/shm)
# they run hundreds of times faster than on a busy disk.
FUZZ_TMP ?= $(shell test -d /dev/shm && echo /dev/shm || echo /tmp)
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  echo "fuzz $$t"; TMPDIR=$(FUZZ_TMP) $(GO) test -run='^$$' -fuzz="^$${t#*:}$$" -fuzztime=$(FUZZTIME) ./$${t%%:*}/; \
	done

# The peak RSS of reading each bomb (SPEC section 3: under 300 MB): an .xlsx
# of a few hundred KB holding BOMB_MB MiB of white space in one cell or in one
# shared string, 8M shared strings, 128 MiB of shared-string text, and a CSV
# with a 1 GiB line. Each is read in a child process; figures on stdout.
BOMB_MB ?= 4096
bombs:
	$(GO) test ./reader/ -run='^TestBombPeakMemory$$' -count=1 -v -timeout=30m -args -bombs -bombsize=$(BOMB_MB)

# The benchmarks of SPEC section 10 and the others BENCHMARKS.md quotes,
# one table on stdout (bench/run.sh says which variables tune it); about 30
# minutes at 1,000,000 rows. bench-quick checks that the harness works, on
# small sizes, in about 4 minutes; its figures mean nothing.
bench:
	./bench/run.sh $(BENCH_ROWS)

bench-quick:
	RATE_ROWS=100 SHARED_ROWS=60 OWN_ROWS=5000 SERIES="5000 10000" BOMB_MB=64 REPEAT=1 SLOW_REPEAT=1 ./bench/run.sh 20000

demo: build
	./bankcard4e verify --simulate samples/customers.csv

crashtest:
	$(GO) test -count=1 -run 'TestCrash' -timeout 15m ./crashtest/

# A sample results workbook as printed pages, for a person to look at:
# render-out/sample.xlsx, sample.pdf (LibreOffice) and page-N.png (pdftoppm).
RENDER_DIR ?= render-out
SOFFICE ?= $(shell command -v libreoffice || command -v soffice)
render:
	@mkdir -p $(RENDER_DIR)
	rm -f $(RENDER_DIR)/sample.* $(RENDER_DIR)/page-*.png
	$(GO) test -count=1 -run '^TestRenderSample$$' ./writer -sample $(CURDIR)/$(RENDER_DIR)/sample.xlsx
	$(SOFFICE) -env:UserInstallation=file://$(CURDIR)/$(RENDER_DIR)/profile --headless \
	  --convert-to pdf --outdir $(RENDER_DIR) $(RENDER_DIR)/sample.xlsx
	pdftoppm -r 110 -png $(RENDER_DIR)/sample.pdf $(RENDER_DIR)/page
	@echo "$$(ls $(RENDER_DIR)/page-*.png | wc -l) pages in $(RENDER_DIR)/"

# Everything the README's commands, make demo, make render and make bench write.
clean:
	rm -f bankcard4e samples/*.results.* samples/*.journal samples/*.report.json samples/*.prom
	rm -rf render-out bench-out
