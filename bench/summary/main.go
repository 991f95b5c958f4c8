// Command summary reads the results.txt that run.sh writes (one line of
// key=value pairs per measurement, name=… first) and prints the table of
// SPEC section 10's targets in Markdown: each figure beside its baseline
// from the same run, the ratio, and whether the target is met. Of a timing
// repeated several times the fastest run counts, for the figure and its
// baseline alike.
//
//	summary bench-out/results.txt
package main

import (
	"bufio"
	"fmt"
	"os"
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
	t := &table{}
	t.rate(runs)
	t.ownCost(runs, "tcp")
	t.ownCost(runs, "pipe")
	t.check(runs, "csv", 3)
	t.check(runs, "xlsx", 1.3)
	t.write(runs)
	t.verify(runs)
	t.print()
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

type table struct{ rows [][]string }

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

func (t *table) rate(runs map[string][]result) {
	rs := runs["rate"]
	if len(rs) == 0 {
		return
	}
	r := rs[len(rs)-1]
	qps := r.f("qps")
	t.add("Rate: calls / (last start − first start), "+r["calls"]+" calls, latency 0.05–2 s, workers auto ("+r["workers"]+")",
		fmt.Sprintf("%.3f req/s", r.f("rate_calls")), fmt.Sprintf("--qps %g", qps),
		fmt.Sprintf("%.2f%%", 100*r.f("rate_ratio")), "≥ 98%", met(r.f("rate_ratio") >= 0.98))
	t.add("Rate: rows / whole run (includes the last call's latency)",
		fmt.Sprintf("%.3f rows/s in %.1f s", r.f("rate_rows"), r.f("elapsed_s")), fmt.Sprintf("--qps %g", qps),
		fmt.Sprintf("%.2f%%", 100*r.f("rows_ratio")), "(informative)", "")
	t.add("Rate: RequestLimitExceeded answers", r["throttled"], "0", "", "0", met(r["throttled"] == "0"))
	t.add("Rate: simulator's most arrivals in any 1 s window (most accepted; most client starts)",
		r["max_arrivals_window"]+" ("+r["max_in_window"]+"; "+r["max_starts_window"]+")",
		fmt.Sprintf("%g", qps), "", "≤ 20", met(r.f("max_arrivals_window") <= qps))
}

func (t *table) ownCost(runs map[string][]result, tr string) {
	o, c := runs["owncost_"+tr], runs["calls_"+tr]
	if len(o) == 0 || len(c) == 0 {
		return
	}
	r, b := o[len(o)-1], c[len(c)-1]
	t.add("Own cost over "+tr+": rows/s end to end ("+r["rows"]+" rows, journal on, "+r["workers"]+" workers)",
		fmt.Sprintf("%.0f rows/s", r.f("rows_per_s")), fmt.Sprintf("%.0f calls/s (client+simulator alone)", b.f("calls_per_s")),
		fmt.Sprintf("%.2f", r.f("rows_per_s")/b.f("calls_per_s")), "≥ 3,000 rows/s", met(r.f("rows_per_s") >= 3000))
	t.add("Own cost over "+tr+": CPU per row (user+sys, client and simulator both in process)",
		fmt.Sprintf("%.0f µs/row", r.f("cpu_us_per_row")), fmt.Sprintf("%.0f µs/call", b.f("cpu_us_per_call")),
		fmt.Sprintf("%.2f", r.f("cpu_us_per_row")/b.f("cpu_us_per_call")), "", "")
}

func (t *table) check(runs map[string][]result, kind string, limit float64) {
	cr, n := best(runs["check_"+kind], "wall_s")
	br, _ := best(runs["bare_"+kind], "wall_s")
	if cr == nil || br == nil {
		return
	}
	base := "encoding/csv read"
	if kind == "xlsx" {
		base = "excelize Rows()"
	}
	ratio := cr.f("wall_s") / br.f("wall_s")
	t.add(fmt.Sprintf("check %s, wall (fastest of %d)", strings.ToUpper(kind), n),
		fmt.Sprintf("%.2f s", cr.f("wall_s")), fmt.Sprintf("%.2f s (bare %s)", br.f("wall_s"), base),
		fmt.Sprintf("%.2f×", ratio), fmt.Sprintf("≤ %g×", limit), met(ratio <= limit))
	cc, bc := cpu(runs["check_"+kind]), cpu(runs["bare_"+kind])
	t.add(fmt.Sprintf("check %s, CPU user+sys (least of %d)", strings.ToUpper(kind), n),
		fmt.Sprintf("%.2f s", cc), fmt.Sprintf("%.2f s", bc), fmt.Sprintf("%.2f×", cc/bc), "(informative)", "")
	rc, rb := maxOf(runs["check_"+kind], "maxrss_mb"), maxOf(runs["bare_"+kind], "maxrss_mb")
	t.add(fmt.Sprintf("check %s, peak RSS", strings.ToUpper(kind)),
		fmt.Sprintf("%.0f MB", rc), fmt.Sprintf("%.0f MB", rb), fmt.Sprintf("%.2f×", rc/rb), "< 200 MB", met(rc < 200))
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

func (t *table) write(runs map[string][]result) {
	w, n := best(runs["write_WriteXLSX"], "ns_per_row")
	b, _ := best(runs["write_BareStreamWriter"], "ns_per_row")
	if w == nil || b == nil {
		return
	}
	ratio := w.f("ns_per_row") / b.f("ns_per_row")
	t.add(fmt.Sprintf("write XLSX, %s rows, wall per row (fastest of %d)", os.Getenv("ROWS"), n),
		fmt.Sprintf("%.0f ns/row", w.f("ns_per_row")), fmt.Sprintf("%.0f ns/row (bare StreamWriter)", b.f("ns_per_row")),
		fmt.Sprintf("%.2f×", ratio), "≤ 1.3×", met(ratio <= 1.3))
	wc, _ := best(runs["write_WriteXLSX"], "cpu_ns_per_row")
	bc, _ := best(runs["write_BareStreamWriter"], "cpu_ns_per_row")
	t.add("write XLSX, CPU per row (least)", fmt.Sprintf("%.0f ns/row", wc.f("cpu_ns_per_row")), fmt.Sprintf("%.0f ns/row", bc.f("cpu_ns_per_row")),
		fmt.Sprintf("%.2f×", wc.f("cpu_ns_per_row")/bc.f("cpu_ns_per_row")), "(informative)", "")
	rw, rb := maxOf(runs["write_WriteXLSX"], "maxrss_mb"), maxOf(runs["write_BareStreamWriter"], "maxrss_mb")
	t.add("write XLSX, peak RSS (test binary)", fmt.Sprintf("%.0f MB", rw), fmt.Sprintf("%.0f MB", rb), fmt.Sprintf("%.2f×", rw/rb), "", "")
}

func (t *table) verify(runs map[string][]result) {
	rs := runs["verify"]
	if len(rs) == 0 {
		return
	}
	r := rs[len(rs)-1]
	rows, _ := strconv.ParseFloat(os.Getenv("ROWS"), 64)
	t.add(fmt.Sprintf("verify --simulate --qps 100000, %s rows: wall, rows/s (exit %s)", os.Getenv("ROWS"), r["exit"]),
		fmt.Sprintf("%.1f s, %.0f rows/s", r.f("wall_s"), rows/r.f("wall_s")), "", "", "", "")
	t.add("verify --simulate: CPU user+sys, per row", fmt.Sprintf("%.1f s, %.0f µs/row", r.f("user_s")+r.f("sys_s"), 1e6*(r.f("user_s")+r.f("sys_s"))/rows), "", "", "", "")
	t.add("verify --simulate: peak RSS", fmt.Sprintf("%.0f MB", r.f("maxrss_mb")), "", "", "", "")
}

func (t *table) print() {
	fmt.Println("| Benchmark | Figure | Baseline (same run) | Ratio | Target | |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, r := range t.rows {
		fmt.Println("| " + strings.Join(r, " | ") + " |")
	}
}
