// Command summary reads the results.txt that run.sh writes (one line of
// key=value pairs per measurement, name=… first) and prints, in Markdown,
// ONE table with every target of SPEC section 10: its figure, the baseline
// from the same run, the ratio, the target and whether it is met. Of a
// timing repeated several times the fastest run counts, for the figure and
// its baseline alike; of a peak memory, the highest. A target whose
// measurement is missing (skipped or failed) is printed as not measured.
// Rows marked (informative) have no target of their own.
//
// After the table come the other measurements run.sh made (the memory's,
// the shared limiter's and the encryption's Go benchmarks, the bombs' peak
// memory), from the extra_*.txt files beside results.txt.
//
//	summary bench-out/results.txt
package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// result is one measurement's key=value pairs.
type result map[string]string

func (r result) f(key string) float64 {
	v, _ := strconv.ParseFloat(r[key], 64)
	return v
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: summary RESULTS.txt")
		os.Exit(2)
	}
	runs, err := load(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "summary:", err)
		os.Exit(1)
	}
	dir := filepath.Dir(os.Args[1])
	t := &table{}
	t.rate(runs)
	t.shared(runs)
	t.ownCost(runs)
	t.check(runs, "csv", 2)
	t.check(runs, "xlsx", 0.6)
	t.verify(runs)
	t.write(runs)
	t.crash(runs, dir)
	t.print()
	extras(dir)
}

// load reads every result line, grouped by name in file order.
func load(path string) (map[string][]result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %q: %w", path, err)
	}
	defer f.Close()
	runs := map[string][]result{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		r := result{}
		for _, kv := range strings.Fields(sc.Text()) {
			if k, v, ok := strings.Cut(kv, "="); ok {
				r[k] = v
			}
		}
		if r["name"] != "" {
			runs[r["name"]] = append(runs[r["name"]], r)
		}
	}
	return runs, sc.Err()
}

// best is the run with the lowest value of key, and how many runs there were.
func best(rs []result, key string) (result, int) {
	var b result
	for _, r := range rs {
		if b == nil || r.f(key) < b.f(key) {
			b = r
		}
	}
	return b, len(rs)
}

// last is the latest run of rs, or nil.
func last(rs []result) result {
	if len(rs) == 0 {
		return nil
	}
	return rs[len(rs)-1]
}

type table struct{ rows [][]string }

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// missing is a target row whose measurement is absent.
func (t *table) missing(what, target string) {
	t.add(what, "not measured", "", "", target, "**not measured**")
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

const info = "(informative)"

func (t *table) rate(runs map[string][]result) {
	const target = "≥ 99.5% and 0 throttled"
	r := last(runs["rate"])
	if r == nil {
		t.missing("Rate: 20 qps, latency uniform 0.05–2 s, journal on disk", target)
		return
	}
	ok := r.f("rate_ratio") >= 0.995 && r["throttled"] == "0"
	t.add(fmt.Sprintf("Rate: %s calls at --qps %s, latency uniform 0.05–2 s, journal on disk, workers auto (%s), %s: calls ÷ (last start − first start); RequestLimitExceeded",
		r["calls"], r["qps"], r["workers"], simWhere(r)),
		fmt.Sprintf("%.3f req/s, %s throttled", r.f("rate_calls"), r["throttled"]), "--qps "+r["qps"],
		fmt.Sprintf("%.2f%%", 100*r.f("rate_ratio")), target, met(ok))
	t.add("Rate: rows ÷ whole run (adds the last call's latency); most arrivals at the simulator in any 1 s (accepted; client starts); the request's last write → its arrival at the simulator, most",
		fmt.Sprintf("%.3f rows/s in %.1f s; %s (%s; %s); %s ms", r.f("rate_rows"), r.f("elapsed_s"), r["max_arrivals_window"], r["max_in_window"], r["max_starts_window"], r["wire_lag_max_ms"]),
		"--qps "+r["qps"], fmt.Sprintf("%.2f%%", 100*r.f("rows_ratio")), info, "")
	if h := last(runs["rate_hog"]); h != nil {
		t.add(fmt.Sprintf("Rate, the same with a CPU hog beside the job (%s busy loops, the job's priority), %s: calls ÷ span; RequestLimitExceeded; most arrivals in 1 s; last write → arrival, most",
			h["hogs"], simWhere(h)),
			fmt.Sprintf("%.3f req/s, %s throttled, %s; %s ms", h.f("rate_calls"), h["throttled"], h["max_arrivals_window"], h["wire_lag_max_ms"]), "--qps "+h["qps"],
			fmt.Sprintf("%.2f%%", 100*h.f("rate_ratio")), target, met(h.f("rate_ratio") >= 0.995 && h["throttled"] == "0"))
	}
	if h := last(runs["rate_inproc"]); h != nil {
		t.add(fmt.Sprintf("Rate, the same with %s (no hog): calls ÷ span; RequestLimitExceeded; most arrivals in 1 s; last write → arrival, most", simWhere(h)),
			fmt.Sprintf("%.3f req/s, %s throttled, %s; %s ms", h.f("rate_calls"), h["throttled"], h["max_arrivals_window"], h["wire_lag_max_ms"]), "--qps "+h["qps"],
			fmt.Sprintf("%.2f%%", 100*h.f("rate_ratio")), info, "would be "+met(h.f("rate_ratio") >= 0.995 && h["throttled"] == "0"))
	}
}

// simWhere says where a rate run's simulator ran.
func simWhere(r result) string {
	if r["sim_process"] != "true" {
		return "the simulator in the job's process"
	}
	switch {
	case r["sim_sched"] == "fifo":
		return "the simulator a process of its own in the real-time class, on a " + r["sim_net"] + " socket (as the service runs elsewhere)"
	case r["sim_nice"] != "" && r["sim_nice"] != "0":
		return "the simulator a process of its own at nice " + r["sim_nice"] + ", on a " + r["sim_net"] + " socket"
	}
	return "the simulator a process of its own, normal priority, on a " + r["sim_net"] + " socket"
}

func (t *table) shared(runs map[string][]result) {
	const target = "exit 0, ≥ 90%, throttled < 5%"
	r := last(runs["shared"])
	if r == nil {
		t.missing("Shared account: the service lets this job have 10/s, run at --qps 20", target)
		return
	}
	figure := func(r result) string {
		return fmt.Sprintf("exit %s; %.3f rows/s; %s of %s calls throttled (%.2f%%); %s pace cuts, lowest %s/s",
			r["exit"], r.f("rate_rows"), r["throttled"], r["sim_requests"], 100*r.f("throttled_ratio"), r["pace_cuts"], r["lowest_qps"])
	}
	ok := func(r result) bool {
		return r["exit"] == "0" && r.f("rate_ratio") >= 0.9 && r.f("throttled_ratio") < 0.05
	}
	t.add(fmt.Sprintf("Shared account: the simulator lets the job have %s/s (no latency, as simulate --qps 10), run at --qps %s, %s rows, journal on: exit code; verified rows ÷ whole run; throttled ÷ calls",
		r["sim_qps"], r["qps"], r["rows"]),
		figure(r), r["sim_qps"]+"/s left", fmt.Sprintf("%.2f%%", 100*r.f("rate_ratio")), target, met(ok(r)))
	if l := last(runs["shared_latency"]); l != nil {
		t.add("Shared account, the same with latency uniform 0.05–2 s", figure(l), l["sim_qps"]+"/s left",
			fmt.Sprintf("%.2f%%", 100*l.f("rate_ratio")), info, "would be "+met(ok(l)))
	}
}

func (t *table) ownCost(runs map[string][]result) {
	const target = "≥ 5,000 rows/s"
	r := last(runs["owncost_tcp"])
	b := last(runs["calls_tcp"])
	if r == nil {
		t.missing("Own cost: unthrottled simulator, job.Run, memory and journal on", target)
		return
	}
	base, ratio := "", ""
	if b != nil {
		base = fmt.Sprintf("%.0f calls/s, %.0f µs/call (client + simulator alone)", b.f("calls_per_s"), b.f("cpu_us_per_call"))
		ratio = fmt.Sprintf("%.2f", r.f("rows_per_s")/b.f("calls_per_s"))
	}
	t.add(fmt.Sprintf("Own cost: %s rows through job.Run (as verify), loopback simulator unthrottled, SQLite memory and journal on, %s workers: rows/s; CPU per row",
		r["rows"], r["workers"]),
		fmt.Sprintf("%.0f rows/s; %.0f µs/row", r.f("rows_per_s"), r.f("cpu_us_per_row")), base, ratio, target, met(r.f("rows_per_s") >= 5000))
	if m := last(runs["owncost_tcp_nomemory"]); m != nil {
		t.add("Own cost, the same with the memory off", fmt.Sprintf("%.0f rows/s; %.0f µs/row", m.f("rows_per_s"), m.f("cpu_us_per_row")),
			base, fmt.Sprintf("%.2f", r.f("rows_per_s")/m.f("rows_per_s"))+" (on ÷ off)", info, "")
	}
	for _, tr := range []string{"pipe"} {
		if p := last(runs["owncost_"+tr]); p != nil {
			pb := last(runs["calls_"+tr])
			base := ""
			if pb != nil {
				base = fmt.Sprintf("%.0f calls/s, %.0f µs/call", pb.f("calls_per_s"), pb.f("cpu_us_per_call"))
			}
			t.add("Own cost over in-memory pipes instead of loopback TCP (memory on)", fmt.Sprintf("%.0f rows/s; %.0f µs/row", p.f("rows_per_s"), p.f("cpu_us_per_row")), base, "", info, "")
		}
	}
}

func (t *table) check(runs map[string][]result, kind string, limit float64) {
	K := strings.ToUpper(kind)
	cr, n := best(runs["check_"+kind], "wall_s")
	br, _ := best(runs["bare_"+kind], "wall_s")
	base := "encoding/csv read"
	if kind == "xlsx" {
		base = "excelize Rows() pass"
	}
	if cr == nil || br == nil {
		t.missing("check "+K+", "+rowsEnv()+" rows: wall", fmt.Sprintf("≤ %g×", limit))
		t.missing("check "+K+": peak RSS", "< 200 MB")
		return
	}
	ratio := cr.f("wall_s") / br.f("wall_s")
	cc, bc := cpu(runs["check_"+kind]), cpu(runs["bare_"+kind])
	t.add(fmt.Sprintf("check %s, %s rows: wall, fastest of %d (CPU user+sys, least)", K, rowsEnv(), n),
		fmt.Sprintf("%.2f s (CPU %.2f s)", cr.f("wall_s"), cc), fmt.Sprintf("%.2f s, bare %s (CPU %.2f s)", br.f("wall_s"), base, bc),
		fmt.Sprintf("%.2f× (CPU %.2f×)", ratio, cc/bc), fmt.Sprintf("≤ %g× wall", limit), met(ratio <= limit))
	rc, rb := maxOf(runs["check_"+kind], "maxrss_mb"), maxOf(runs["bare_"+kind], "maxrss_mb")
	t.add(fmt.Sprintf("check %s: peak RSS", K), fmt.Sprintf("%.0f MB", rc), fmt.Sprintf("%.0f MB", rb), fmt.Sprintf("%.2f×", rc/rb), "< 200 MB", met(rc < 200))
}

// cpu is the least user+sys time among rs.
func cpu(rs []result) float64 {
	least := -1.0
	for _, r := range rs {
		if c := r.f("user_s") + r.f("sys_s"); least < 0 || c < least {
			least = c
		}
	}
	return least
}

func maxOf(rs []result, key string) float64 {
	m := 0.0
	for _, r := range rs {
		m = max(m, r.f(key))
	}
	return m
}

func rowsEnv() string {
	n, err := strconv.Atoi(os.Getenv("ROWS"))
	if err != nil {
		return os.Getenv("ROWS")
	}
	return group(n)
}

// group writes n with thousands separators.
func group(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func (t *table) verify(runs map[string][]result) {
	const target = "< 200 MB"
	for _, name := range []string{"xlsx", "csv", "csv_memory"} {
		r := last(runs["verify_"+name])
		ext := strings.TrimSuffix(name, "_memory")
		if r == nil && name == "csv_memory" {
			continue // run.sh's own runs have the memory as VERIFY_MEMORY says
		}
		if r == nil || r["maxrss_mb"] == "" {
			t.missing(fmt.Sprintf("verify %s rows → .%s: peak RSS", rowsEnv(), ext), target)
			continue
		}
		t.add(fmt.Sprintf("verify %s rows → .%s (job.Run, loopback simulator, --qps %s, %s and journal on; exit %s): peak RSS (CPU per row%s)",
			group(int(r.f("rows"))), ext, r["qps"], memoryState(r), r["exit"], alone(name, r)),
			fmt.Sprintf("%.0f MB (%.0f µs/row)", r.f("maxrss_mb"), r.f("cpu_us_per_row")), "", "", target,
			met(r.f("maxrss_mb") < 200 && r["exit"] == "0"))
	}
	// The series: the same run, .csv output, at several row counts.
	// Only the points with the memory as the ROWS-row run had it.
	var series []result
	top := last(runs["verify_csv"])
	if top != nil && top["maxrss_mb"] != "" {
		series = append(series, top)
		for _, r := range runs["series"] {
			if r["maxrss_mb"] != "" && r["memory"] == top["memory"] {
				series = append(series, r)
			}
		}
	}
	sort.Slice(series, func(i, j int) bool { return series[i].f("rows") < series[j].f("rows") })
	if len(series) < 2 {
		t.missing("verify → .csv, peak RSS against row count", "max ÷ min ≤ 1.20")
		return
	}
	var parts []string
	lo, hi := series[0].f("maxrss_mb"), series[0].f("maxrss_mb")
	for _, r := range series {
		parts = append(parts, fmt.Sprintf("%s: %.0f MB (%s)", group(int(r.f("rows"))), r.f("maxrss_mb"), memoryState(r)))
		lo, hi = min(lo, r.f("maxrss_mb")), max(hi, r.f("maxrss_mb"))
	}
	t.add("verify → .csv, peak RSS against row count (otherwise the same options)", strings.Join(parts, "; "), fmt.Sprintf("%.0f MB (least)", lo),
		fmt.Sprintf("%.2f (max ÷ min)", hi/lo), "flat within 20%", met(hi/lo <= 1.2))
}

// alone notes the rate of the memory-on run, which runs by itself; the
// others run side by side, so their rate means nothing.
func alone(name string, r result) string {
	if name == "csv_memory" {
		return fmt.Sprintf("; run alone: %.0f rows/s", r.f("rows_per_s"))
	}
	return "; run beside others, so no rate"
}

// memoryState says whether run r had the SQLite memory on.
func memoryState(r result) string {
	if r["memory"] == "false" {
		return "memory off"
	}
	return "SQLite memory on"
}

func (t *table) write(runs map[string][]result) {
	const target = "≤ 1.3× wall"
	w, n := best(runs["write_WriteXLSX"], "ns_per_row")
	b, _ := best(runs["write_BareStreamWriter"], "ns_per_row")
	if w == nil || b == nil {
		t.missing("write "+rowsEnv()+" result rows to XLSX", target)
		return
	}
	wc, _ := best(runs["write_WriteXLSX"], "cpu_ns_per_row")
	bc, _ := best(runs["write_BareStreamWriter"], "cpu_ns_per_row")
	ratio := w.f("ns_per_row") / b.f("ns_per_row")
	rw, rb := maxOf(runs["write_WriteXLSX"], "maxrss_mb"), maxOf(runs["write_BareStreamWriter"], "maxrss_mb")
	t.add(fmt.Sprintf("write %s result rows to XLSX (writer package): wall per row, fastest of %d (CPU per row, least; peak RSS)", rowsEnv(), n),
		fmt.Sprintf("%.0f ns/row (CPU %.0f; %.0f MB)", w.f("ns_per_row"), wc.f("cpu_ns_per_row"), rw),
		fmt.Sprintf("%.0f ns/row, bare excelize StreamWriter (CPU %.0f; %.0f MB)", b.f("ns_per_row"), bc.f("cpu_ns_per_row"), rb),
		fmt.Sprintf("%.2f× (CPU %.2f×)", ratio, wc.f("cpu_ns_per_row")/bc.f("cpu_ns_per_row")), target, met(ratio <= 1.3))
}

func (t *table) crash(runs map[string][]result, dir string) {
	const target = "no row lost; double charges ≤ calls in flight"
	r := last(runs["crash"])
	if r == nil {
		t.missing("A crash at any moment (crashtest)", target)
		return
	}
	// crash.summary.txt: each test's summary line, then its --- PASS/FAIL
	// line. The SIGKILL test's line is the one that counts.
	data, _ := os.ReadFile(filepath.Join(dir, "crash.summary.txt"))
	var line, verdict string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, "stops,") && line == "" {
			line = l
		} else if strings.HasPrefix(l, "--- ") && verdict == "" {
			verdict = strings.TrimPrefix(l, "--- ")
		}
	}
	var stops, inFlight, requests, simCharged, rowsCharged, possibly int
	fmt.Sscanf(line, "%d stops, %d calls in flight", &stops, &inFlight)
	fmt.Sscanf(after(line, "simulator: requests "), "%d, charged %d", &requests, &simCharged)
	fmt.Sscanf(after(line, "rows charged "), "%d", &rowsCharged)
	fmt.Sscanf(after(line, "possibly charged "), "%d", &possibly)
	double := simCharged - rowsCharged
	t.add("A crash at any moment: go test -count=1 -run TestCrash ./crashtest/ (SIGKILL at random moments of a 1,000-row run, rerun until exit 0; output compared with an uninterrupted run's)",
		fmt.Sprintf("%s; %d SIGKILLs, %d calls in flight at them; %d charged twice (simulator %d − rows %d); reported possibly charged %d", verdict, stops, inFlight, double, simCharged, rowsCharged, possibly),
		"an uninterrupted run's output", "", target, met(r["exit"] == "0" && double <= inFlight && line != ""))
}

// after is what follows the first sep in s, or "".
func after(s, sep string) string {
	_, a, _ := strings.Cut(s, sep)
	return a
}

func (t *table) print() {
	fmt.Println("| SPEC 10 target: measurement | Figure | Baseline (same run) | Ratio | Target | |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, r := range t.rows {
		fmt.Println("| " + strings.Join(r, " | ") + " |")
	}
}

// extras prints the Go benchmark lines of each extra_*.txt (name, then
// every value and unit pair) and the other files' lines verbatim.
func extras(dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "extra_*.txt"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "extra_"), ".txt")
		fmt.Printf("\n%s (%s):\n\n", name, filepath.Base(f))
		for _, line := range strings.Split(string(data), "\n") {
			fs := strings.Fields(line)
			switch {
			case len(fs) >= 4 && strings.HasPrefix(fs[0], "Benchmark"):
				var vals []string
				for i := 2; i+1 < len(fs); i += 2 {
					vals = append(vals, fs[i]+" "+fs[i+1])
				}
				fmt.Printf("    %-50s %s\n", fs[0], strings.Join(vals, ", "))
			case strings.HasPrefix(line, "    "), strings.HasPrefix(line, "BOMB"), strings.HasPrefix(line, "ok "), strings.HasPrefix(line, "FAIL"):
				fmt.Println("    " + strings.TrimSpace(line))
			case len(fs) > 0 && strings.Contains(line, "peak RSS"):
				fmt.Println("    " + strings.TrimSpace(line))
			}
		}
	}
}
