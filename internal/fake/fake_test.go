package fake

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/reader"
)

// Every generated person passes the reader's checks, and people are distinct.
func TestPersonValidAndDistinct(t *testing.T) {
	seen := map[batch.Fields]bool{}
	for i := 0; i < 3000; i++ {
		f := Person(i)
		if p := reader.Check(f, time.Now()); p != nil {
			t.Fatalf("person %d fails %s", i, p)
		}
		if seen[f] {
			t.Fatalf("person %d repeats an earlier one", i)
		}
		seen[f] = true
	}
}

func TestWriteList(t *testing.T) {
	var b bytes.Buffer
	distinct, err := WriteList(&b, 10)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 11 || distinct != 8 {
		t.Fatalf("%d records, %d distinct", len(recs), distinct)
	}
	if recs[5][1] != recs[4][1] || recs[5][0] != "R00004" {
		t.Errorf("row 4 should repeat row 3's person: %v %v", recs[4], recs[5])
	}
}

// MessyRow's rows are valid, whatever the spelling of card and phone, but
// for one in 50 whose ID check character is set to 0 (wrong unless it was
// 0 already).
func TestMessyRow(t *testing.T) {
	invalid := 0
	for i := range 200 {
		r := MessyRow(i)
		if len(r) != len(ListHeader) {
			t.Fatalf("row %d has %d cells", i, len(r))
		}
		f := batch.Fields{
			Name:     reader.Normalize(batch.FieldName, r[1]),
			BankCard: reader.Normalize(batch.FieldBankCard, r[2]),
			Phone:    reader.Normalize(batch.FieldPhone, r[3]),
			IDCard:   reader.Normalize(batch.FieldIDCard, r[4]),
		}
		p := reader.Check(f, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		switch {
		case p != nil && i%50 == 0:
			invalid++
		case p != nil:
			t.Errorf("row %d %q: %v", i, r, p)
		}
	}
	if invalid == 0 {
		t.Error("no row with a wrong check character")
	}
}
