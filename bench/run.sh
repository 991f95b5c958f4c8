#!/usr/bin/env bash
# The benchmarks of SPEC section 10 (make bench). Usage:
#
#   ./bench/run.sh [ROWS]        # ROWS: size of the generated inputs, 1000000 by default
#
# Environment: RATE_ROWS (calls of the rate benchmark, 2000), OWN_ROWS (rows of
# the own-cost benchmark, 200000 or ROWS if smaller), REPEAT (runs of each
# timing of check and of the writer; the fastest counts, 3), SKIP (space-separated
# names to skip: check writer rate rate_hog owncost verify).
#
# Everything goes to bench-out/ (git-ignored): the inputs, generated once per
# size; every raw figure in results.txt; CPU profiles (*.prof) with their top
# functions (*.top.txt). The summary table goes to standard output.
set -euo pipefail

ROWS=${1:-1000000}
RATE_ROWS=${RATE_ROWS:-2000}
OWN_ROWS=${OWN_ROWS:-$(( ROWS < 200000 ? ROWS : 200000 ))}
REPEAT=${REPEAT:-3}
SKIP=${SKIP:-}

cd "$(dirname "$0")/.."
OUT=bench-out
mkdir -p "$OUT"
RES=$OUT/results.txt
: > "$RES"

skip() { [[ " $SKIP " == *" $1 "* ]]; }
log() { printf '%s  %s\n' "$(date +%T)" "$*" >&2; }
# record NAME LINE: keep one result line (key=value pairs).
record() { echo "name=$1 $2" >> "$RES"; }

# measured NAME CMD...: run CMD under bench/measure, record its wall/CPU/RSS.
measured() {
	local name=$1; shift
	local line
	line=$("$OUT/measure" -stdout "$OUT/$name.stdout" -stderr "$OUT/$name.stderr" -- "$@" 2>&1 >/dev/null)
	record "$name" "$line"
	log "$name: $line"
}

machine() {
	echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ) nproc=$(nproc) go=$(go env GOVERSION)"
	echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
	echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,)"
}
machine | tee "$OUT/machine.txt" >&2

log "build"
go build -o "$OUT/bankcard4e" .
for t in gen bare measure pipeline summary; do go build -o "$OUT/$t" "./bench/$t"; done

CSV=$OUT/in-$ROWS.csv
XLSX=$OUT/in-$ROWS.xlsx
OWNCSV=$OUT/in-$OWN_ROWS.csv
if [[ ! -s $CSV || ! -s $XLSX ]]; then
	log "generate $ROWS rows: $CSV $XLSX"
	"$OUT/gen" -rows "$ROWS" -csv "$CSV" -xlsx "$XLSX"
fi
if [[ ! -s $OWNCSV ]]; then
	"$OUT/gen" -rows "$OWN_ROWS" -csv "$OWNCSV"
fi

# 3. check vs a bare read, CSV and XLSX; alternated, REPEAT times each.
if ! skip check; then
	for i in $(seq "$REPEAT"); do
		log "check, run $i of $REPEAT (load $(cut -d' ' -f1 /proc/loadavg))"
		measured check_csv "$OUT/bankcard4e" check "$CSV"
		measured bare_csv "$OUT/bare" -mode csv "$CSV"
		measured check_xlsx "$OUT/bankcard4e" check "$XLSX"
		measured bare_xlsx "$OUT/bare" -mode xlsx "$XLSX"
	done
fi

# 4. writing ROWS result rows to XLSX vs a bare StreamWriter: the writer
# package's own benchmarks, one process each so that each has its own peak RSS.
if ! skip writer; then
	go test -c -o "$OUT/writer.test" ./writer
	for i in $(seq "$REPEAT"); do
		for b in WriteXLSX BareStreamWriter; do
			log "writer $b, run $i of $REPEAT (load $(cut -d' ' -f1 /proc/loadavg))"
			name=write_$b
			(cd "$OUT" && ./measure -stdout "$name.stdout" -stderr "$name.stderr" -- \
				./writer.test -test.run '^$' -test.bench "^Benchmark$b\$" -test.benchtime 1x -rows "$ROWS" 2>"$name.m") || true
			# The benchmark's own figures: wall and CPU nanoseconds per row.
			extra=$(awk '/^Benchmark/ { for (i = 1; i < NF; i++) { if ($(i+1) == "ns/row") w = $i; if ($(i+1) == "cpu-ns/row") c = $i } }
				END { printf "ns_per_row=%s cpu_ns_per_row=%s", w, c }' "$OUT/$name.stdout")
			record "$name" "$(cat "$OUT/$name.m") $extra"
			log "$name: $(cat "$OUT/$name.m") $extra"
		done
	done
	# One more run of each with a CPU profile (not counted in the figures).
	for b in WriteXLSX BareStreamWriter; do
		log "writer $b, profiled run"
		(cd "$OUT" && ./writer.test -test.run '^$' -test.bench "^Benchmark$b\$" -test.benchtime 1x -rows "$ROWS" \
			-test.cpuprofile "write_$b.prof" > /dev/null)
		go tool pprof -top -nodecount=30 "$OUT/writer.test" "$OUT/write_$b.prof" > "$OUT/write_$b.top.txt" 2>/dev/null || true
	done
fi

# 1. the rate at 20 qps, latency uniform 0.05-2 s, RATE_ROWS calls, the
# journal on disk in bench-out; then again with a CPU hog (one `yes` per
# core) beside it (rate_hog; SKIP=rate_hog to leave it out).
if ! skip rate; then
	log "rate: $RATE_ROWS calls at 20 qps (about $(( RATE_ROWS / 20 )) s; load $(cut -d' ' -f1 /proc/loadavg))"
	line=$("$OUT/pipeline" -mode rate -rows "$RATE_ROWS" -qps 20 -latmin 50ms -latmax 2s -out "$OUT")
	record rate "$line"
	log "rate: $line"
	if ! skip rate_hog; then
		hogs=()
		for _ in $(seq "$(nproc)"); do yes > /dev/null & hogs+=($!); done
		log "rate with ${#hogs[@]} CPU hogs: $RATE_ROWS calls at 20 qps"
		line=$("$OUT/pipeline" -mode rate -rows "$RATE_ROWS" -qps 20 -latmin 50ms -latmax 2s -out "$OUT") || true
		kill "${hogs[@]}"
		record rate_hog "$line"
		log "rate_hog: $line"
	fi
fi

# 2. own cost: reader -> batch (journal on) -> client -> unthrottled simulator
# -> XLSX writer, over loopback TCP and over in-memory pipes; the baseline is
# the same number of client+simulator calls alone.
if ! skip owncost; then
	for tr in tcp pipe; do
		log "own cost over $tr: $OWN_ROWS rows (load $(cut -d' ' -f1 /proc/loadavg))"
		line=$("$OUT/pipeline" -mode owncost -transport "$tr" -input "$OWNCSV" -out "$OUT" -cpuprofile "$OUT/owncost_$tr.prof")
		record "owncost_$tr" "$line"
		log "owncost_$tr: $line"
		go tool pprof -top -nodecount=25 "$OUT/pipeline" "$OUT/owncost_$tr.prof" > "$OUT/owncost_$tr.top.txt" 2>/dev/null || true
		line=$("$OUT/pipeline" -mode calls -transport "$tr" -rows "$OWN_ROWS")
		record "calls_$tr" "$line"
		log "calls_$tr: $line"
	done
fi

# 5. a ROWS-row verify through the binary against its in-process simulator
# at a high --qps.
if ! skip verify; then
	log "verify --simulate --qps 100000 on $ROWS rows (load $(cut -d' ' -f1 /proc/loadavg))"
	rm -f "$OUT/verify.results.xlsx" "$OUT/verify.results.xlsx.journal"
	measured verify "$OUT/bankcard4e" verify --simulate --qps 100000 --quiet --fresh \
		--out "$OUT/verify.results.xlsx" --report "$OUT/verify.report.json" "$CSV"
	rm -f "$OUT/verify.results.xlsx"
fi

echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,)" | tee -a "$OUT/machine.txt" >&2

# The summary: the fastest run of each repeated timing.
ROWS=$ROWS "$OUT/summary" "$RES" | tee "$OUT/summary.txt"
