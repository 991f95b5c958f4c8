package writer

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
)

// lastSuccess is the metric that a failed run carries over.
const lastSuccess = "bankcard4e_last_success_timestamp_seconds"

// WriteMetrics writes rep in the Prometheus text format for the
// node_exporter textfile collector to path, mode 0600, atomically. Every
// metric is a gauge. The last success timestamp is now when rep.ExitCode is
// 0; otherwise it is carried over from the file already at path (0 when
// there is none), so a failed run does not erase the last success.
func WriteMetrics(path string, rep *batch.Report, now time.Time) error {
	success := float64(0)
	if rep.ExitCode == 0 {
		success = float64(now.Unix())
	} else if prev, ok := readGauge(path, lastSuccess); ok {
		success = prev
	}
	var b bytes.Buffer
	m := &metricsBuilder{b: &b}
	m.family("bankcard4e_rows", "Rows of the last run by status.")
	for _, s := range []struct {
		status string
		n      int
	}{
		{"verified", rep.Verified},
		{"reused", rep.Reused},
		{"duplicate", rep.Duplicates},
		{"invalid", rep.Invalid},
		{"deferred", rep.Deferred},
		{"error", rep.Errors},
		{"not_attempted", rep.NotAttempted},
		{"blank", rep.Blank},
	} {
		m.sample(`status="`+s.status+`"`, float64(s.n))
	}
	m.family("bankcard4e_verdicts", "Rows of the last run by verdict.")
	n := verdictCounts(rep, nil)
	for i, v := range batch.Verdicts {
		m.sample(`verdict="`+escapeLabel(string(v))+`"`, float64(n[i]))
	}
	m.family("bankcard4e_results", "Rows of the last run by result code of the service.")
	for _, c := range sortedKeys(rep.ByResult) {
		m.sample(`code="`+escapeLabel(c)+`"`, float64(rep.ByResult[c]))
	}
	m.family("bankcard4e_errors", "Rows of the last run that ended in error, by error code.")
	for _, c := range sortedKeys(rep.ByError) {
		m.sample(`code="`+escapeLabel(c)+`"`, float64(rep.ByError[c]))
	}
	m.gauge("bankcard4e_calls_total", "Calls sent in the last run, retries included.", float64(rep.Calls))
	m.gauge("bankcard4e_charged", "Results of the last run that were charged.", float64(rep.Charged))
	m.gauge("bankcard4e_free", "Results of the last run that were free.", float64(rep.Free))
	m.gauge("bankcard4e_possibly_charged", "Calls of the last run that may have been charged (lost answers, unknown results).", float64(rep.PossiblyCharged))
	if cost, _, ok := costs(rep); ok {
		m.gauge("bankcard4e_cost", "Cost of the charged results of the last run at --price.", cost)
	}
	m.gauge("bankcard4e_duration_seconds", "Duration of the last run.", rep.DurationSeconds)
	m.gauge("bankcard4e_aborted", "1 when the last run was aborted by the service or the circuit breaker.", boolGauge(rep.Aborted))
	m.gauge("bankcard4e_exit_code", "Exit code of the last run.", float64(rep.ExitCode))
	m.gauge("bankcard4e_last_run_timestamp_seconds", "Unix time the last run ended.", float64(now.Unix()))
	m.gauge(lastSuccess, "Unix time of the last run that exited 0 (0: none known).", success)
	return writeFileAtomic(path, b.Bytes())
}

// metricsBuilder writes metric families in the Prometheus text format.
type metricsBuilder struct {
	b    *bytes.Buffer
	name string // the current family
}

// family starts a gauge family with its HELP and TYPE lines.
func (m *metricsBuilder) family(name, help string) {
	m.name = name
	fmt.Fprintf(m.b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
}

// sample writes one sample of the current family; labels is "" or the
// label pairs without braces.
func (m *metricsBuilder) sample(labels string, v float64) {
	m.b.WriteString(m.name)
	if labels != "" {
		m.b.WriteString("{" + labels + "}")
	}
	m.b.WriteString(" " + strconv.FormatFloat(v, 'f', -1, 64) + "\n")
}

// gauge writes a family with one unlabelled sample.
func (m *metricsBuilder) gauge(name, help string, v float64) {
	m.family(name, help)
	m.sample("", v)
}

// escapeLabel escapes a label value: backslash, double quote and newline.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// readGauge finds the value of an unlabelled sample in the metrics file at
// path; ok is false when the file or the sample is missing or unreadable.
func readGauge(path, name string) (v float64, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, found := strings.CutPrefix(sc.Text(), name+" ")
		if !found {
			continue
		}
		fields := strings.Fields(rest) // value, then an optional timestamp
		if len(fields) == 0 {
			return 0, false
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		return v, err == nil
	}
	return 0, false
}
