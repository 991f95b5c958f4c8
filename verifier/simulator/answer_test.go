package simulator

import (
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
)

// The deterministic answers of SPEC section 9.
func TestAnswerFor(t *testing.T) {
	sim, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	today := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	good := person(1)
	with := func(mod func(*batch.Fields)) batch.Fields { f := good; mod(&f); return f }
	reg := Registry()
	if len(reg) < 10 {
		t.Fatalf("registry has %d customers, want at least 10", len(reg))
	}
	tests := []struct {
		name string
		f    batch.Fields
		want string
	}{
		{"empty name", with(func(f *batch.Fields) { f.Name = "" }), "-2"},
		{"name with digits", with(func(f *batch.Fields) { f.Name = "张3" }), "-2"},
		{"id check character wrong", with(func(f *batch.Fields) { f.IDCard = f.IDCard[:17] + wrongCheck(f.IDCard[17]) }), "-3"},
		{"id 17 characters", with(func(f *batch.Fields) { f.IDCard = f.IDCard[:17] }), "-3"},
		{"id birth date not real", with(func(f *batch.Fields) { f.IDCard = withCheck("11010119800231001") }), "-3"},
		{"id born in the future", with(func(f *batch.Fields) { f.IDCard = withCheck("11010120990101001") }), "-3"},
		{"id first generation", with(func(f *batch.Fields) { f.IDCard = "110101800101001" }), "-20"},
		{"card 11 digits", with(func(f *batch.Fields) { f.BankCard = "62220200000" }), "-4"},
		{"card 20 digits", with(func(f *batch.Fields) { f.BankCard = "62220200000000000000" }), "-4"},
		{"card with a letter", with(func(f *batch.Fields) { f.BankCard = "62220200000A000" }), "-4"},
		{"phone starting 12", with(func(f *batch.Fields) { f.Phone = "12800000000" }), "-5"},
		{"phone 10 digits", with(func(f *batch.Fields) { f.Phone = "1380000000" }), "-5"},
		{"registry customer, other card", with(func(f *batch.Fields) { *f = reg[0]; f.BankCard = "6222020000000000" }), "-6"},
		{"registry customer, other phone", with(func(f *batch.Fields) { *f = reg[1]; f.Phone = "13800000000" }), "-6"},
	}
	for i, r := range reg {
		tests = append(tests, struct {
			name string
			f    batch.Fields
			want string
		}{"registry row " + pad3(i), r, "0"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sim.answerFor(tt.f, today); got != tt.want {
				t.Errorf("answer %s, want %s", got, tt.want)
			}
		})
	}
}

// Everyone else gets a stable answer from the mix: the same input gives
// the same answer, never -18, and the mix is spread over many codes.
func TestAnswerMixStable(t *testing.T) {
	a, _ := New(Config{})
	b, _ := New(Config{Seed: 99})
	today := time.Now()
	seen := map[string]int{}
	for i := range 1000 {
		f := person(i)
		got := a.answerFor(f, today)
		if again := b.answerFor(f, today); again != got {
			t.Fatalf("person %d: %s then %s", i, got, again)
		}
		if got == "-18" || got == "-2" || got == "-3" || got == "-4" || got == "-5" {
			t.Fatalf("person %d: well-formed fields got %s", i, got)
		}
		if _, ok := results[got]; !ok {
			t.Fatalf("person %d: %s is not a documented result", i, got)
		}
		seen[got]++
	}
	if len(seen) < 12 || seen["0"] < 200 {
		t.Errorf("mix over 1000 people: %v; want at least 12 codes and mostly 0", seen)
	}
}

func TestCheckChar(t *testing.T) {
	// Published examples of valid resident ID numbers.
	for _, id := range []string{"11010519491231002X", "440524188001010014", "32010219870919640X"} {
		if got := checkChar(id[:17]); got != id[17] {
			t.Errorf("checkChar(%s) = %c, want %c", id[:17], got, id[17])
		}
	}
}

// withCheck appends the right check character.
func withCheck(d17 string) string { return d17 + string(checkChar(d17)) }

// wrongCheck is a check character other than c.
func wrongCheck(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}
