#!/usr/bin/env bash
# The benchmarks of SPEC section 10 (make bench). Usage:
#
#   ./bench/run.sh [ROWS]        # ROWS: size of the generated inputs, 1000000 by default
#
# Environment: RATE_ROWS (calls of the rate benchmark, 2000), SHARED_ROWS (rows
# of the shared-account run, 600), OWN_ROWS (rows of the own-cost benchmark,
# 100000 or ROWS if smaller), SERIES (the smaller row counts of the verify
# memory series, "100000 300000", each below ROWS), REPEAT (runs of the
# check CSV timing; the fastest counts, 5), SLOW_REPEAT (runs of the check
# XLSX and writer timings, 2), BOMB_MB (make bombs' payload, 4096),
# VERIFY_MEMORY (the verify runs with the SQLite memory, true; the
# 1,000,000-row runs then took 7 minutes side by side on 2026-12-02), SKIP
# (space-separated names to skip: check writer rate rate_inproc rate_hog shared
# shared_latency owncost pipe extras verify crash bombs; default "pipe", the
# own cost over in-memory pipes).
#
# Order: the timings first, one at a time (check, writer, rate, shared, own
# cost, the Go benchmarks of memory/, shared/ and verifier/); then the
# measurements of peak memory and of correctness, which do not depend on the
# machine being quiet, all at once (the verify runs, the crash test, the
# bombs), to keep the whole run near 30 minutes.
#
# Everything goes to bench-out/ (git-ignored): the inputs, generated once per
# size; every raw figure in results.txt; CPU profiles (*.prof) with their top
# functions (*.top.txt), the heap profiles of the ROWS-row verify runs taken
# at 95% of the rows (verify_heap.prof for .csv, verify_xlsx_heap.prof for
# .xlsx, each with a .top.txt); the Go benchmarks' output (extra_*.txt). The summary
# table goes to standard output and bench-out/summary.txt.
set -euo pipefail

ROWS=${1:-1000000}
RATE_ROWS=${RATE_ROWS:-2000}
SHARED_ROWS=${SHARED_ROWS:-600}
OWN_ROWS=${OWN_ROWS:-$(( ROWS < 100000 ? ROWS : 100000 ))}
SERIES=${SERIES:-100000 300000}
REPEAT=${REPEAT:-5}
SLOW_REPEAT=${SLOW_REPEAT:-2}
BOMB_MB=${BOMB_MB:-4096}
VERIFY_MEMORY=${VERIFY_MEMORY:-true}
SKIP=${SKIP-pipe}

cd "$(dirname "$0")/.."
OUT=bench-out
mkdir -p "$OUT"
RES=$OUT/results.txt
: > "$RES"
rm -f "$OUT"/extra_*.txt "$OUT/crash.summary.txt"

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
series=()
for n in $SERIES; do (( n < ROWS )) && series+=("$n"); done
for n in "$OWN_ROWS" "${series[@]}"; do
	if [[ ! -s $OUT/in-$n.csv ]]; then
		"$OUT/gen" -rows "$n" -csv "$OUT/in-$n.csv"
	fi
done

# check vs a bare read, CSV and XLSX; alternated, REPEAT (CSV) and
# SLOW_REPEAT (XLSX) times.
if ! skip check; then
	for i in $(seq "$REPEAT"); do
		log "check CSV, run $i of $REPEAT (load $(cut -d' ' -f1 /proc/loadavg))"
		measured check_csv "$OUT/bankcard4e" check "$CSV"
		measured bare_csv "$OUT/bare" -mode csv "$CSV"
	done
	for i in $(seq "$SLOW_REPEAT"); do
		log "check XLSX, run $i of $SLOW_REPEAT (load $(cut -d' ' -f1 /proc/loadavg))"
		measured check_xlsx "$OUT/bankcard4e" check "$XLSX"
		measured bare_xlsx "$OUT/bare" -mode xlsx "$XLSX"
	done
fi

# Writing ROWS result rows to XLSX vs a bare StreamWriter: the writer
# package's own benchmarks, one process each so that each has its own peak RSS.
if ! skip writer; then
	go test -c -o "$OUT/writer.test" ./writer
	for i in $(seq "$SLOW_REPEAT"); do
		for b in WriteXLSX BareStreamWriter; do
			log "writer $b, run $i of $SLOW_REPEAT (load $(cut -d' ' -f1 /proc/loadavg))"
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

# The rate at 20 qps, latency uniform 0.05-2 s, RATE_ROWS calls, the
# journal on disk in bench-out, the simulator a process of its own on a
# Unix socket (in the real-time class when allowed: the service's clock and
# network stack are not on the job's machine; see bench/pipeline/simproc.go); then with the simulator in the job's process (rate_inproc);
# then again with a CPU hog (one `yes` per core) beside the job (rate_hog).
# SKIP=rate_inproc or rate_hog leaves one out.
if ! skip rate; then
	log "rate: $RATE_ROWS calls at 20 qps (about $(( RATE_ROWS / 20 )) s; load $(cut -d' ' -f1 /proc/loadavg))"
	line=$("$OUT/pipeline" -mode rate -rows "$RATE_ROWS" -qps 20 -latmin 50ms -latmax 2s -out "$OUT") || true
	record rate "$line"
	log "rate: $line"
	if ! skip rate_inproc; then
		log "rate, the simulator in the job's process: $RATE_ROWS calls at 20 qps"
		line=$("$OUT/pipeline" -mode rate -simproc=false -rows "$RATE_ROWS" -qps 20 -latmin 50ms -latmax 2s -out "$OUT") || true
		record rate_inproc "$line"
		log "rate_inproc: $line"
	fi
	if ! skip rate_hog; then
		hogs=()
		for _ in $(seq "$(nproc)"); do yes > /dev/null & hogs+=($!); done
		log "rate with ${#hogs[@]} CPU hogs: $RATE_ROWS calls at 20 qps"
		line=$("$OUT/pipeline" -mode rate -rows "$RATE_ROWS" -qps 20 -latmin 50ms -latmax 2s -out "$OUT") || true
		kill "${hogs[@]}"
		record rate_hog "hogs=${#hogs[@]} $line"
		log "rate_hog: $line"
	fi
fi

# A shared account: the simulator lets this job have 10 of the account's
# 20 requests a second; the job runs at the default --qps 20 (job.Run,
# journal on disk): with no latency, as `simulate --qps 10` serves by
# default (the target), then with latency uniform 0.05-2 s (shared_latency).
if ! skip shared; then
	log "shared account: $SHARED_ROWS rows, simulator 10/s, --qps 20, no latency (load $(cut -d' ' -f1 /proc/loadavg))"
	line=$("$OUT/pipeline" -mode shared -rows "$SHARED_ROWS" -qps 20 -simqps 10 -latmin 0 -latmax 0 -out "$OUT") || true
	record shared "$line"
	log "shared: $line"
	if ! skip shared_latency; then
		log "shared account: $SHARED_ROWS rows, simulator 10/s, --qps 20, latency 0.05-2 s"
		line=$("$OUT/pipeline" -mode shared -rows "$SHARED_ROWS" -qps 20 -simqps 10 -latmin 50ms -latmax 2s -out "$OUT") || true
		record shared_latency "$line"
		log "shared_latency: $line"
	fi
fi

# Own cost: job.Run (reader -> batch with the journal and a SQLite memory
# -> client -> unthrottled loopback simulator -> XLSX writer), then the same
# with the memory off, then over in-memory pipes; the baseline is the same
# number of client+simulator calls alone.
if ! skip owncost; then
	log "own cost: $OWN_ROWS rows, memory on (load $(cut -d' ' -f1 /proc/loadavg))"
	line=$("$OUT/pipeline" -mode owncost -transport tcp -input "$OWNCSV" -out "$OUT" -cpuprofile "$OUT/owncost_tcp.prof") || true
	record owncost_tcp "$line"
	log "owncost_tcp: $line"
	go tool pprof -top -nodecount=30 "$OUT/pipeline" "$OUT/owncost_tcp.prof" > "$OUT/owncost_tcp.top.txt" 2>/dev/null || true
	go tool pprof -top -cum -nodecount=60 "$OUT/pipeline" "$OUT/owncost_tcp.prof" > "$OUT/owncost_tcp.cum.txt" 2>/dev/null || true
	log "own cost: $OWN_ROWS rows, memory off"
	line=$("$OUT/pipeline" -mode owncost -memory=false -transport tcp -input "$OWNCSV" -out "$OUT" -cpuprofile "$OUT/owncost_tcp_nomemory.prof") || true
	record owncost_tcp_nomemory "$line"
	log "owncost_tcp_nomemory: $line"
	go tool pprof -top -nodecount=30 "$OUT/pipeline" "$OUT/owncost_tcp_nomemory.prof" > "$OUT/owncost_tcp_nomemory.top.txt" 2>/dev/null || true
	line=$("$OUT/pipeline" -mode calls -transport tcp -rows "$OWN_ROWS") || true
	record calls_tcp "$line"
	log "calls_tcp: $line"
	if ! skip pipe; then
		line=$("$OUT/pipeline" -mode owncost -transport pipe -input "$OWNCSV" -out "$OUT") || true
		record owncost_pipe "$line"
		log "owncost_pipe: $line"
		line=$("$OUT/pipeline" -mode calls -transport pipe -rows "$OWN_ROWS") || true
		record calls_pipe "$line"
		log "calls_pipe: $line"
	fi
fi

# The Go benchmarks of the memory (a million remembered customers), the
# shared limiter (Redis; redis-server must be installed) and the encryption.
if ! skip extras; then
	log "Go benchmarks: memory (load $(cut -d' ' -f1 /proc/loadavg))"
	go test -run '^$' -bench 'BenchmarkLookup|BenchmarkRecord|BenchmarkReserveCard' -benchtime 2s ./memory/ > "$OUT/extra_memory.txt" 2>&1 || true
	log "Go benchmarks: shared limiter"
	go test -run '^$' -bench 'GateWait' -benchtime 5000x ./shared/ > "$OUT/extra_gate_wait.txt" 2>&1 || true
	go test -run '^$' -bench 'GateRate' -benchtime 1x ./shared/ > "$OUT/extra_gate_rate.txt" 2>&1 || true
	log "Go benchmarks: encryption"
	go test -run '^$' -bench 'BenchmarkVerify$|BenchmarkEncryptFields' ./verifier/ > "$OUT/extra_encryption.txt" 2>&1 || true
fi

# Peak memory and correctness, all at once: the ROWS-row verify to .xlsx
# and to .csv and the smaller .csv runs of the series (job.Run with the
# loopback simulator at --qps 100000, the SQLite memory and the journal on;
# each its own process, its own peak RSS), the crash test, the bombs.
pids=()
if ! skip verify; then
	log "verify --qps 100000 at once: $ROWS rows to .xlsx and .csv, ${series[*]} rows to .csv (load $(cut -d' ' -f1 /proc/loadavg))"
	verify_run() { # NAME ROWS EXT [ARGS...]
		local name=$1 n=$2 ext=$3; shift 3
		local line
		line=$("$OUT/pipeline" -mode verify -memory="$VERIFY_MEMORY" -qps 100000 -outext "$ext" -input "$OUT/in-$n.csv" -out "$OUT" "$@" 2>"$OUT/$name-$n.stderr") || true
		record "$name" "${line:-rows=$n failed=see_$name-$n.stderr}"
		log "$name $n: $line"
	}
	verify_run verify_csv "$ROWS" csv -heapprofile "$OUT/verify_heap.prof" & pids+=($!)
	verify_run verify_xlsx "$ROWS" xlsx -heapprofile "$OUT/verify_xlsx_heap.prof" & pids+=($!)
	for n in "${series[@]}"; do verify_run series "$n" csv & pids+=($!); done
fi
if ! skip crash; then
	(
		log "crash test"
		rc=0
		go test -count=1 -run TestCrash -v -timeout 15m ./crashtest/ > "$OUT/crash.txt" 2>&1 || rc=$?
		grep -o -e '^--- [A-Z]*: TestCrash[A-Za-z]*' -e '[0-9]* stops, .*' "$OUT/crash.txt" > "$OUT/crash.summary.txt" || true
		record crash "exit=$rc"
		log "crash test: exit $rc"
	) & pids+=($!)
fi
if ! skip bombs; then
	( log "bombs, $BOMB_MB MiB"; make --no-print-directory bombs BOMB_MB="$BOMB_MB" > "$OUT/extra_bombs.txt" 2>&1 || true; log "bombs done" ) & pids+=($!)
fi
for p in "${pids[@]}"; do wait "$p" || true; done
for h in verify_heap verify_xlsx_heap; do
	if [[ -s $OUT/$h.prof ]]; then
		go tool pprof -top -sample_index=inuse_space -nodecount=25 "$OUT/pipeline" "$OUT/$h.prof" > "$OUT/$h.top.txt" 2>/dev/null || true
	fi
done

echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,)" | tee -a "$OUT/machine.txt" >&2

# The summary: the fastest run of each repeated timing.
ROWS=$ROWS "$OUT/summary" "$RES" | tee "$OUT/summary.txt"
