package journal

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
)

var (
	charged   = batch.Outcome{Status: batch.StatusVerified, Result: "0", Description: "认证通过", Charged: batch.ChargedYes, RequestID: "7a1c-req", Calls: 1}
	free2     = batch.Outcome{Status: batch.StatusVerified, Result: "-4", Description: "持卡人信息有误", Charged: batch.ChargedNo, RequestID: "b2", Calls: 2}
	lostOnce  = batch.Outcome{Status: batch.StatusVerified, Result: "-6", Charged: batch.ChargedYes, RequestID: "c3", Calls: 2, Lost: 1}
	rowErr2   = batch.Outcome{Status: batch.StatusError, Error: "InternalError: retries exhausted", Charged: batch.ChargedNo, Calls: 2}
	duplicate = batch.Outcome{Status: batch.StatusDuplicate, Result: "0", Charged: batch.ChargedNo, RequestID: "7a1c-req", Duplicate: 3}
	invalid   = batch.Outcome{Status: batch.StatusInvalid, Error: "idcard: check character is 3, want X", Charged: batch.ChargedNo}
)

func TestRoundTrip(t *testing.T) {
	path := tempPath(t)
	run1 := []op{
		attempt(0, 1), final(0, charged),
		attempt(1, 1), answered(1, 1), attempt(1, 2), final(1, free2),
		attempt(2, 1), attempt(2, 2), final(2, lostOnce), // attempt 1 timed out
		attempt(3, 1), answered(3, 1), attempt(3, 2), answered(3, 2), final(3, rowErr2),
		attempt(4, 1),                 // in flight when the run ended
		attempt(5, 1), answered(5, 1), // waiting for its retry
		final(6, duplicate), final(7, invalid),
	}
	got := script(t, path, run1)
	want := &State{
		Final:  map[int]batch.Outcome{0: charged, 1: free2, 2: lostOnce, 6: duplicate, 7: invalid},
		Carry:  map[int]Counts{3: {Calls: 2, Lost: 0}, 4: {Calls: 1, Lost: 1}, 5: {Calls: 1, Lost: 0}},
		Errors: map[int]batch.Outcome{3: rowErr2},
		Runs:   1,
	}
	if d := diffState(want, got); d != "" {
		t.Fatalf("after run 1 (-want +got):\n%s", d)
	}

	// Run 2 retries row 3 and crashes with it in flight; row 4 ends.
	row4 := batch.Outcome{Status: batch.StatusVerified, Result: "-5", Charged: batch.ChargedNo, Calls: 2, Lost: 1}
	j, st, err := open(path, testMeta(), false, fastConfig())
	if err != nil {
		t.Fatal(err)
	}
	if st.Runs != 2 { // the reopen in script, then this one
		t.Errorf("Runs = %d, want 2", st.Runs)
	}
	for _, o := range []op{attempt(3, 3), attempt(4, 2), final(4, row4)} {
		apply(t, j, o)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	got = reopen(t, path)
	want.Final[4] = row4
	delete(want.Carry, 4)
	want.Carry[3] = Counts{Calls: 3, Lost: 1}
	want.Runs = 3
	if d := diffState(want, got); d != "" {
		t.Fatalf("after run 2 (-want +got):\n%s", d)
	}
}

func TestLostAttempts(t *testing.T) {
	errFinal := func(calls, lost int) batch.Outcome {
		return batch.Outcome{Status: batch.StatusError, Error: "HTTP 503", Calls: calls, Lost: lost}
	}
	verified := func(calls, lost int) batch.Outcome {
		return batch.Outcome{Status: batch.StatusVerified, Result: "0", Charged: batch.ChargedYes, Calls: calls, Lost: lost}
	}
	tests := []struct {
		name      string
		ops       []op
		wantFinal *batch.Outcome
		wantCarry *Counts
	}{
		{"attempt without answer is lost", []op{attempt(9, 1)}, nil, &Counts{Calls: 1, Lost: 1}},
		{"answered attempt is not lost", []op{attempt(9, 1), answered(9, 1)}, nil, &Counts{Calls: 1, Lost: 0}},
		{"answer to another attempt does not count", []op{attempt(9, 1), answered(9, 2)}, nil, &Counts{Calls: 1, Lost: 1}},
		{"answer to another row does not count", []op{attempt(9, 1), answered(8, 1)}, nil, &Counts{Calls: 1, Lost: 1}},
		{"lost then answered", []op{attempt(9, 1), attempt(9, 2), answered(9, 2), attempt(9, 3)}, nil, &Counts{Calls: 3, Lost: 2}},
		{"lost in a crashed run, then lost again", []op{attempt(9, 1), rerun(), attempt(9, 2)}, nil, &Counts{Calls: 2, Lost: 2}},
		{"final outcome is used as is", []op{attempt(9, 1), rerun(), attempt(9, 2), final(9, verified(2, 1))}, ptr(verified(2, 1)), nil},
		{"error final is carried, not final", []op{attempt(9, 1), attempt(9, 2), final(9, errFinal(2, 1))}, nil, &Counts{Calls: 2, Lost: 1}},
		{"error final then a lost attempt in a new run", []op{attempt(9, 1), answered(9, 1), attempt(9, 2), final(9, errFinal(2, 0)), rerun(), attempt(9, 3)}, nil, &Counts{Calls: 3, Lost: 1}},
		{"error final then an answered attempt", []op{attempt(9, 1), final(9, errFinal(1, 1)), rerun(), attempt(9, 2), answered(9, 2)}, nil, &Counts{Calls: 2, Lost: 1}},
		{"error final then success", []op{attempt(9, 1), final(9, errFinal(1, 0)), rerun(), attempt(9, 2), final(9, verified(2, 0))}, ptr(verified(2, 0)), nil},
		{"not attempted is not final", []op{attempt(9, 1), answered(9, 1), final(9, batch.Outcome{Status: batch.StatusNotAttempted, Calls: 1}), rerun()}, nil, &Counts{Calls: 1, Lost: 0}},
		{"verified is sticky", []op{attempt(9, 1), final(9, verified(1, 0)), final(9, errFinal(1, 0))}, ptr(verified(1, 0)), nil},
		{"attempts after verified are still counted", []op{attempt(9, 1), final(9, verified(1, 0)), attempt(9, 2)}, ptr(verified(2, 1)), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := script(t, tempPath(t), tt.ops)
			want := &State{Final: map[int]batch.Outcome{}, Carry: map[int]Counts{}, Errors: st.Errors, Runs: st.Runs}
			if tt.wantFinal != nil {
				want.Final[9] = *tt.wantFinal
			}
			if tt.wantCarry != nil {
				want.Carry[9] = *tt.wantCarry
			}
			if d := diffState(want, st); d != "" {
				t.Errorf("state (-want +got):\n%s", d)
			}
			if _, ok := st.Errors[9]; ok != (tt.wantCarry != nil && hasErrorFinal(tt.ops)) {
				t.Errorf("Errors[9] present = %v", ok)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func hasErrorFinal(ops []op) bool {
	for _, o := range ops {
		if o.kind == kindFinal && o.o.Status == batch.StatusError {
			return true
		}
	}
	return false
}

func TestMismatch(t *testing.T) {
	tests := []struct {
		name   string
		change func(m *Meta)
		want   []string // in the message
	}{
		{"input sha256", func(m *Meta) { m.InputSHA256 = strings.Repeat("0", 64) }, []string{"the input file changed since the journal was written", "sha256 9f86d081884c… → 000000000000…", "restore the original input"}},
		{"input size", func(m *Meta) { m.InputSize++ }, []string{"the input file changed since the journal was written", "size 1234 → 1235 bytes"}},
		{"option value", func(m *Meta) { m.Options["endpoint"] = "https://faceid.tencentcloudapi.com" }, []string{`option "endpoint" changed since the journal was written: "https://faceid.intl.tencentcloudapi.com" → "https://faceid.tencentcloudapi.com"`, "rerun with the original options"}},
		{"option added", func(m *Meta) { m.Options["region"] = "ap-guangzhou" }, []string{`option "region" changed since the journal was written: "" → "ap-guangzhou"`}},
		{"option removed", func(m *Meta) { delete(m.Options, "encrypt") }, []string{`option "encrypt" changed since the journal was written: "false" → ""`}},
		{"input and option", func(m *Meta) { m.InputSize = 1; m.Options["sheet"] = "Sheet2" }, []string{"the input file changed", `option "sheet"`, "restore the original input and options"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tempPath(t)
			script(t, path, []op{attempt(0, 1), final(0, charged)})
			m := testMeta()
			tt.change(&m)
			_, _, err := open(path, m, false, fastConfig())
			if !errors.Is(err, ErrMismatch) {
				t.Fatalf("Open = %v, want ErrMismatch", err)
			}
			msg := err.Error()
			for _, w := range append(tt.want, path, "rerun with --fresh to start over (rows already charged will be charged again)") {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q\ndoes not say %q", msg, w)
				}
			}

			// --fresh starts over, and the new journal fits the new meta.
			j, st, err := open(path, m, true, fastConfig())
			if err != nil {
				t.Fatal(err)
			}
			if d := diffState(&State{}, st); d != "" {
				t.Errorf("fresh state not empty:\n%s", d)
			}
			j.Close()
			j, st, err = open(path, m, false, fastConfig())
			if err != nil {
				t.Fatal(err)
			}
			j.Close()
			if len(st.Final) != 0 || st.Runs != 1 {
				t.Errorf("after fresh: %d finals, %d runs; want 0, 1", len(st.Final), st.Runs)
			}
		})
	}

	t.Run("version is not compared", func(t *testing.T) {
		path := tempPath(t)
		script(t, path, []op{final(0, charged)})
		m := testMeta()
		m.Version = "v9"
		j, st, err := open(path, m, false, fastConfig())
		if err != nil {
			t.Fatal(err)
		}
		j.Close()
		if len(st.Final) != 1 {
			t.Errorf("Final = %v", st.Final)
		}
	})
}

func TestBadHeader(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef"
	good, err := appendHeader(nil, id, testMeta())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, content, want string
	}{
		{"empty", "", "not a bankcard4e journal"},
		{"other file", "Name,BankCard,Phone,IdCard\n", "not a bankcard4e journal"},
		{"torn header", string(good[:len(good)-5]), "not a bankcard4e journal"},
		{"damaged header", strings.Replace(string(good), "1234", "1235", 1), "damaged at line 1 (the header fails its checksum)"},
		{"old format", string(seal([]byte(magic+" 1 {}"), 0, 0)), `format "1" is not read by this version`},
		{"future format", string(seal([]byte(magic+" 3 "+id+" {}"), 0, 0)), `format "3" is not read by this version`},
		{"unknown record", string(good) + string(seal([]byte("Z 1 2"), 0, lineKey(id))), "damaged at line 2 (unknown record kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tempPath(t)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := open(path, testMeta(), false, fastConfig())
			if err == nil || errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("Open = %v, want an error naming %q and saying %q", err, path, tt.want)
			}
			if j, _, err := open(path, testMeta(), true, fastConfig()); err != nil {
				t.Errorf("fresh Open = %v", err)
			} else {
				j.Close()
			}
		})
	}
}

func TestModeAndRemove(t *testing.T) {
	for _, fresh := range []bool{false, true} {
		path := tempPath(t)
		if fresh {
			if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		j, _, err := Open(path, testMeta(), fresh)
		if err != nil {
			t.Fatal(err)
		}
		if err := j.Attempt(0, 1); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("fresh=%v: mode %v, want 0600", fresh, fi.Mode().Perm())
		}
		if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
			t.Errorf("fresh=%v: directory holds %d files, want only the journal", fresh, len(entries))
		}
		if err := j.Remove(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("fresh=%v: after Remove, Stat = %v", fresh, err)
		}
		if err := j.Attempt(1, 1); !errors.Is(err, ErrClosed) {
			t.Errorf("Attempt after Remove = %v, want ErrClosed", err)
		}
	}
}

func TestInUse(t *testing.T) {
	path := tempPath(t)
	j, _, err := Open(path, testMeta(), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, fresh := range []bool{false, true} {
		if _, _, err := Open(path, testMeta(), fresh); err == nil || !strings.Contains(err.Error(), "in use by another run") {
			t.Errorf("second Open (fresh=%v) = %v, want in use", fresh, err)
		}
	}
	j.Close()
	j, _, err = Open(path, testMeta(), false)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	j.Close()
}
